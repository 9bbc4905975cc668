//! Stage tasks on the wire: protobuf `glimvid.pipeline.v1.StageTask`.

use glimvid_domain::{JobId, Stage};
use glimvid_proto::pipeline::v1::StageTask;
use prost::Message;

pub fn encode_task(job_id: JobId, stage: Stage, traceparent: &str) -> Vec<u8> {
    StageTask {
        job_id: job_id.to_string(),
        stage: stage.as_str().into(),
        traceparent: traceparent.into(),
        resume: false,
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
        let (job, stage, t) = decode_task(&encode_task(j, Stage::Render, "tp")).unwrap();
        assert_eq!((job, stage, t.traceparent.as_str()), (j, Stage::Render, "tp"));
        assert!(decode_task(b"\xff\xff garbage").is_none());
    }
}
