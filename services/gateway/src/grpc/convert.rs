//! The partner API's messages to and from the application's types. REST JSON and these
//! messages are two views of the same job: conversions start from the JSON view where one
//! exists, so both say the same.

use glimvid_db::entity::enums::{DeliveryStatus, EventKind};
use glimvid_db::repo::{
    jobs::JobEvent,
    webhooks::{Delivery, Webhook},
};
use glimvid_domain::{JobStatus, Scene, Script, Stage, StageStatus, options::JobOptions};
use glimvid_proto::jobs::v1 as pb;

/// The options message as the JSON the REST API takes (unset fields left out).
pub(super) fn options_json(o: Option<&pb::VideoOptions>) -> String {
    let Some(o) = o else { return String::new() };
    let mut m = serde_json::Map::new();
    if !o.aspect_ratio.is_empty() {
        m.insert("aspect_ratio".into(), o.aspect_ratio.clone().into());
    }
    if o.duration_s != 0 {
        m.insert("duration_s".into(), o.duration_s.into());
    }
    if !o.language.is_empty() {
        m.insert("language".into(), o.language.clone().into());
    }
    if !o.style.is_empty() {
        m.insert("style".into(), o.style.clone().into());
    }
    if o.review {
        m.insert("review".into(), true.into());
    }
    for (name, value) in [("voice", &o.voice), ("music", &o.music), ("captions", &o.captions)] {
        if !value.is_empty() {
            m.insert(name.into(), value.clone().into());
        }
    }
    serde_json::Value::Object(m).to_string()
}

/// A time in milliseconds since the Unix epoch, as the database keeps it.
pub(super) fn timestamp(ms: i64) -> prost_types::Timestamp {
    prost_types::Timestamp { seconds: ms.div_euclid(1000), nanos: (ms.rem_euclid(1000) * 1_000_000) as i32 }
}

/// Exhaustive: a status added to the domain does not compile until the proto names it.
pub(super) fn job_status(s: JobStatus) -> pb::JobStatus {
    match s {
        JobStatus::Queued => pb::JobStatus::Queued,
        JobStatus::Running => pb::JobStatus::Running,
        JobStatus::AwaitingReview => pb::JobStatus::AwaitingReview,
        JobStatus::Succeeded => pb::JobStatus::Succeeded,
        JobStatus::Failed => pb::JobStatus::Failed,
        JobStatus::Canceled => pb::JobStatus::Canceled,
    }
}

pub(super) fn stage_name(s: Stage) -> pb::StageName {
    match s {
        Stage::Script => pb::StageName::Script,
        Stage::Enhance => pb::StageName::Enhance,
        Stage::Render => pb::StageName::Render,
    }
}

pub(super) fn stage_status(s: StageStatus) -> pb::StageStatus {
    match s {
        StageStatus::Pending => pb::StageStatus::Pending,
        StageStatus::Running => pb::StageStatus::Running,
        StageStatus::Succeeded => pb::StageStatus::Succeeded,
        StageStatus::Failed => pb::StageStatus::Failed,
        StageStatus::Canceled => pb::StageStatus::Canceled,
    }
}

pub(super) fn script(s: &Script) -> pb::Script {
    pb::Script {
        title: s.title.clone(),
        hook: s.hook.clone(),
        scenes: s
            .scenes
            .iter()
            .map(|c| pb::Scene {
                caption: c.caption.clone(),
                voiceover: c.voiceover.clone(),
                photo_index: c.photo_index,
            })
            .collect(),
        call_to_action: s.call_to_action.clone(),
    }
}

/// A script as sent, before the same checks as a REST edit (an empty field is refused there).
pub(super) fn script_from(s: pb::Script) -> Script {
    Script {
        title: s.title,
        hook: s.hook,
        scenes: s
            .scenes
            .into_iter()
            .map(|c| Scene { caption: c.caption, voiceover: c.voiceover, photo_index: c.photo_index })
            .collect(),
        call_to_action: s.call_to_action,
    }
}

/// The options a job recorded (validated at submission, defaults filled in).
pub(super) fn job_options(stored: &str) -> Option<pb::VideoOptions> {
    let o: JobOptions = serde_json::from_str(stored).ok()?;
    Some(pb::VideoOptions {
        aspect_ratio: o.video.aspect_ratio.as_str().to_owned(),
        duration_s: o.video.duration_s,
        language: o.video.language.as_str().to_owned(),
        style: o.video.style.as_str().to_owned(),
        review: o.review,
        voice: o.video.voice.to_string(),
        music: o.video.music.to_string(),
        captions: o.video.captions.as_str().to_owned(),
    })
}

pub(super) fn event(e: &JobEvent) -> pb::JobEvent {
    // A job event carries a job status, a stage event a stage status; anything else (a status
    // of the other kind) reads as unspecified.
    let (kind, job, stage) = match e.kind {
        EventKind::Job => (
            pb::JobEventKind::Job,
            e.status.and_then(|s| s.job_status()).map_or(pb::JobStatus::Unspecified, job_status),
            pb::StageStatus::Unspecified,
        ),
        EventKind::Stage => (
            pb::JobEventKind::Stage,
            pb::JobStatus::Unspecified,
            e.status.and_then(|s| s.stage_status()).map_or(pb::StageStatus::Unspecified, stage_status),
        ),
        EventKind::Note => (pb::JobEventKind::Unspecified, pb::JobStatus::Unspecified, pb::StageStatus::Unspecified),
    };
    pb::JobEvent {
        id: e.id,
        job_id: e.job_id.to_string(),
        kind: kind as i32,
        stage: e.stage.map_or(pb::StageName::Unspecified, |s| stage_name(s.into())) as i32,
        job_status: job as i32,
        stage_status: stage as i32,
        message: e.message.clone().unwrap_or_default(),
        event_time: Some(timestamp(e.at)),
    }
}

pub(super) fn webhook(w: &Webhook) -> pb::Webhook {
    pb::Webhook { id: w.id.to_string(), url: w.url.clone(), create_time: Some(timestamp(w.created_at)) }
}

pub(super) fn delivery(d: &Delivery) -> pb::WebhookDelivery {
    use glimvid_db::repo::webhooks::status;
    let delivery_status = match d.status {
        DeliveryStatus::Pending => pb::WebhookDeliveryStatus::Pending,
        DeliveryStatus::Delivered => pb::WebhookDeliveryStatus::Delivered,
        DeliveryStatus::Failed => pb::WebhookDeliveryStatus::Failed,
    };
    pb::WebhookDelivery {
        id: d.id,
        webhook_id: d.webhook_id.to_string(),
        event_id: d.event_id,
        status: delivery_status as i32,
        attempts: d.attempts.max(0) as u32,
        last_status_code: d.last_status_code.unwrap_or(0).max(0) as u32,
        last_error: d.last_error.clone().unwrap_or_default(),
        next_attempt_time: (d.status == status::PENDING).then(|| timestamp(d.next_attempt_at)),
        create_time: Some(timestamp(d.created_at)),
        deliver_time: d.delivered_at.map(timestamp),
    }
}

/// A request's `page_size`, 0 meaning the default.
pub(super) fn page_size(n: u32) -> u64 {
    if n == 0 { crate::application::page::DEFAULT_SIZE } else { n as u64 }
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;

    #[test]
    fn options_become_the_rest_json() {
        assert_eq!(options_json(None), "");
        let o = pb::VideoOptions { aspect_ratio: "1:1".into(), duration_s: 10, review: true, ..Default::default() };
        let sound = pb::VideoOptions {
            voice: "none".into(),
            music: "none".into(),
            captions: "none".into(),
            ..Default::default()
        };
        let v: serde_json::Value = serde_json::from_str(&options_json(Some(&sound))).unwrap();
        assert_eq!(v, serde_json::json!({"voice": "none", "music": "none", "captions": "none"}));
        let v: serde_json::Value = serde_json::from_str(&options_json(Some(&o))).unwrap();
        assert_eq!(v, serde_json::json!({"aspect_ratio": "1:1", "duration_s": 10, "review": true}));
        assert_eq!(options_json(Some(&pb::VideoOptions::default())), "{}");
    }

    #[test]
    fn times_become_timestamps_to_the_millisecond() {
        let t = timestamp(1_700_000_000_123);
        assert_eq!((t.seconds, t.nanos), (1_700_000_000, 123_000_000));
        // Before the epoch the nanoseconds stay positive, as Timestamp requires.
        let t = timestamp(-1);
        assert_eq!((t.seconds, t.nanos), (-1, 999_000_000));
    }

    #[test]
    fn every_status_has_its_own_proto_value() {
        use std::collections::HashSet;
        let jobs = [
            JobStatus::Queued,
            JobStatus::Running,
            JobStatus::AwaitingReview,
            JobStatus::Succeeded,
            JobStatus::Failed,
            JobStatus::Canceled,
        ]
        .map(job_status);
        assert!(!jobs.contains(&pb::JobStatus::Unspecified));
        assert_eq!(jobs.iter().collect::<HashSet<_>>().len(), jobs.len());
        assert_eq!(job_status(JobStatus::AwaitingReview), pb::JobStatus::AwaitingReview);
        let stages = Stage::ALL.map(stage_name);
        assert_eq!(stages, [pb::StageName::Script, pb::StageName::Enhance, pb::StageName::Render]);
        let statuses = [
            StageStatus::Pending,
            StageStatus::Running,
            StageStatus::Succeeded,
            StageStatus::Failed,
            StageStatus::Canceled,
        ]
        .map(stage_status);
        assert!(!statuses.contains(&pb::StageStatus::Unspecified));
        assert_eq!(statuses.iter().collect::<HashSet<_>>().len(), statuses.len());
        assert_eq!(stage_status(StageStatus::Canceled), pb::StageStatus::Canceled);
    }

    #[test]
    fn recorded_options_become_the_options_message() {
        let o = job_options(r#"{"aspect_ratio":"1:1","duration_s":6,"language":"de","style":"bold","review":true}"#)
            .expect("options");
        assert_eq!(
            o,
            pb::VideoOptions {
                aspect_ratio: "1:1".into(),
                duration_s: 6,
                language: "de".into(),
                style: "bold".into(),
                review: true,
                voice: "auto".into(),
                music: "auto".into(),
                captions: "burned".into(),
            }
        );
        let o =
            job_options(r#"{"aspect_ratio":"9:16","duration_s":15,"language":"en","style":"clean"}"#).expect("options");
        assert!(!o.review);
        let o = job_options(
            r#"{"aspect_ratio":"9:16","duration_s":15,"language":"zh","style":"clean","voice":"zm_yunjian","music":"none","captions":"none"}"#,
        )
        .expect("options");
        assert_eq!((o.voice.as_str(), o.music.as_str(), o.captions.as_str()), ("zm_yunjian", "none", "none"));
        assert_eq!(job_options("not json"), None);
    }

    #[test]
    fn a_script_survives_the_message_both_ways() {
        let s = Script {
            title: "Fresh coffee".into(),
            hook: "Smell that?".into(),
            scenes: vec![Scene { caption: "Beans".into(), voiceover: "Roasted today.".into(), photo_index: 1 }],
            call_to_action: "Order now".into(),
        };
        let m = script(&s);
        assert_eq!(m.scenes[0].photo_index, 1);
        assert_eq!(script_from(m), s);
    }

    #[test]
    fn events_carry_the_status_of_what_they_are_about() {
        let base = JobEvent {
            id: 7,
            job_id: Uuid::nil(),
            kind: EventKind::Stage,
            stage: Some(glimvid_db::entity::enums::Stage::Enhance),
            status: Some(glimvid_db::entity::enums::EventStatus::Failed),
            message: Some("too dark".into()),
            at: 1_500,
        };
        let e = event(&base);
        assert_eq!(e.kind(), pb::JobEventKind::Stage);
        assert_eq!(
            (e.stage(), e.stage_status(), e.job_status()),
            (pb::StageName::Enhance, pb::StageStatus::Failed, pb::JobStatus::Unspecified)
        );
        assert_eq!(e.event_time, Some(prost_types::Timestamp { seconds: 1, nanos: 500_000_000 }));
        let e = event(&JobEvent {
            kind: EventKind::Job,
            stage: None,
            status: Some(glimvid_db::entity::enums::EventStatus::Succeeded),
            ..base
        });
        assert_eq!(
            (e.kind(), e.job_status(), e.stage()),
            (pb::JobEventKind::Job, pb::JobStatus::Succeeded, pb::StageName::Unspecified)
        );
        assert_eq!(e.stage_status(), pb::StageStatus::Unspecified);
    }

    #[test]
    fn a_delivery_shows_its_next_attempt_only_while_pending() {
        let pending = Delivery {
            id: 1,
            webhook_id: Uuid::nil(),
            user_id: Uuid::nil(),
            event_id: 3,
            payload: "{}".into(),
            status: DeliveryStatus::Pending,
            attempts: 2,
            next_attempt_at: 60_000,
            locked_until: 0,
            last_status_code: Some(503),
            last_error: None,
            created_at: 1_000,
            delivered_at: None,
        };
        let d = delivery(&pending);
        assert_eq!(d.status(), pb::WebhookDeliveryStatus::Pending);
        assert_eq!(d.next_attempt_time.map(|t| t.seconds), Some(60));
        assert_eq!((d.deliver_time, d.last_status_code), (None, 503));
        let d = delivery(&Delivery { status: DeliveryStatus::Delivered, delivered_at: Some(2_000), ..pending });
        assert_eq!(d.status(), pb::WebhookDeliveryStatus::Delivered);
        assert_eq!((d.next_attempt_time, d.deliver_time.map(|t| t.seconds)), (None, Some(2)));
    }
}
