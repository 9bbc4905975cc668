//! Stage tasks on the wire: protobuf `glimvid.pipeline.v1.StageTask`.

use glimvid_domain::{JobId, Stage};
use glimvid_proto::pipeline::v1::StageTask;
use prost::Message;

/// Where a task comes from, for the logs: the request that created the job.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskTrace {
    pub request_id: String,
    /// W3C traceparent.
    pub traceparent: String,
}

impl TaskTrace {
    /// The trace of a request: its id and a traceparent derived from it.
    pub fn for_request(request_id: &str) -> Self {
        Self { request_id: request_id.to_owned(), traceparent: glimvid_runtime::trace::traceparent_for(request_id) }
    }

    /// The trace a task carries on to the task it causes (same request, new span id).
    pub fn of(task: &StageTask) -> Self {
        if task.request_id.is_empty() {
            return Self { request_id: String::new(), traceparent: task.traceparent.clone() };
        }
        Self::for_request(&task.request_id)
    }

    /// The task's AMQP/queue headers: `job_id`, `request_id`, `traceparent` (the ones set).
    pub fn headers(task: &StageTask) -> glimvid_queue::Headers {
        let mut h = glimvid_queue::Headers::new();
        for (k, v) in [("job_id", &task.job_id), ("request_id", &task.request_id), ("traceparent", &task.traceparent)] {
            if !v.is_empty() {
                h.insert(k.into(), v.clone());
            }
        }
        h
    }
}

pub fn encode_task(job_id: JobId, stage: Stage, trace: &TaskTrace) -> Vec<u8> {
    StageTask {
        job_id: job_id.to_string(),
        stage: stage.as_str().into(),
        traceparent: trace.traceparent.clone(),
        resume: false,
        request_id: trace.request_id.clone(),
    }
    .encode_to_vec()
}

/// Decodes a task; `None` if it is not a valid task (it gets dead-lettered).
pub fn decode_task(payload: &[u8]) -> Option<(JobId, Stage, StageTask)> {
    let t = StageTask::decode(payload).ok()?;
    let job: JobId = t.job_id.parse().ok()?;
    let stage: Stage = t.stage.parse().ok()?;
    Some((job, stage, t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_garbage() {
        let j = JobId::new();
        let trace = TaskTrace::for_request("req-1");
        let (job, stage, t) = decode_task(&encode_task(j, Stage::Render, &trace)).unwrap();
        assert_eq!(
            (job, stage, t.traceparent.as_str(), t.request_id.as_str()),
            (j, Stage::Render, trace.traceparent.as_str(), "req-1")
        );
        let next = TaskTrace::of(&t);
        assert_eq!(next.request_id, "req-1");
        assert_eq!(
            glimvid_runtime::trace::trace_id(&next.traceparent),
            glimvid_runtime::trace::trace_id(&trace.traceparent)
        );
        let h = TaskTrace::headers(&t);
        assert_eq!(h.get("job_id"), Some(&j.to_string()));
        assert_eq!(h.get("request_id").map(String::as_str), Some("req-1"));
        assert!(decode_task(b"\xff\xff garbage").is_none());
    }
}
