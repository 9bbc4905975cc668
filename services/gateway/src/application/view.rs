//! JSON views of jobs and events, as REST returns them.

use glimvid_db::repo::jobs::{JobEvent, JobView};
use glimvid_domain::{Script, Stage};
use serde::Serialize;
use serde_json::Value;

use crate::state::GatewayState;

pub fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_default()
}

/// One stage of a job (`script`, `enhance`, `render`).
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Stage)]
pub struct StageJson {
    pub name: &'static str,
    /// `pending`, `running`, `succeeded`, `failed`, …
    pub status: String,
    pub attempts: i32,
    pub failure_reason: Option<String>,
    pub note: Option<String>,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
}

/// A file of the job, for its owner (`url` needs the access token).
#[derive(Serialize, utoipa::ToSchema)]
pub struct AssetLink {
    pub url: String,
    pub content_type: String,
    pub size: i64,
    pub width: Option<i32>,
    pub height: Option<i32>,
}

/// A video job, as submission, listing and `GET /api/v1/videos/{id}` return it.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Job)]
pub struct JobJson {
    pub id: String,
    /// `queued`, `running`, `awaiting_review`, `succeeded`, `failed` or `canceled`.
    pub status: String,
    pub description: String,
    /// The options the job was submitted with (`aspect_ratio`, `duration_s`, `language`, `style`,
    /// and `review` when it was asked for).
    #[schema(value_type = Object)]
    pub options: Value,
    pub stages: Vec<StageJson>,
    /// The script, once written.
    #[schema(value_type = Option<ScriptSchema>)]
    pub script: Option<Script>,
    pub photos: Vec<AssetLink>,
    pub enhanced_images: Vec<AssetLink>,
    pub video: Option<AssetLink>,
    /// The narration's subtitles once the video is made: WebVTT, then SRT (none for a video
    /// without narration).
    pub subtitles: Vec<AssetLink>,
    pub public_url: Option<String>,
    pub failure_reason: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub finished_at: Option<String>,
}

/// The schema of [`Script`], which is a domain type and so carries no schema of its own. The
/// end-to-end tests validate real scripts against it, so the two cannot drift apart unseen.
#[derive(utoipa::ToSchema)]
#[schema(as = Script)]
#[allow(dead_code)]
pub struct ScriptSchema {
    title: String,
    /// The opening line.
    hook: String,
    scenes: Vec<SceneSchema>,
    call_to_action: String,
}

/// The schema of one [`glimvid_domain::Scene`].
#[derive(utoipa::ToSchema)]
#[schema(as = Scene)]
#[allow(dead_code)]
pub struct SceneSchema {
    /// Text burned into the frame.
    caption: String,
    /// The line a narrator would read.
    voiceover: String,
    /// Which uploaded photo (0-based) the scene shows.
    photo_index: u32,
}

pub fn job_json(state: &GatewayState, v: &JobView) -> JobJson {
    let j = &v.job;
    let link = |a: &glimvid_db::repo::jobs::Asset| AssetLink {
        url: format!("/api/v1/videos/{}/assets/{}/{}", j.id, a.kind, a.idx),
        content_type: a.content_type.clone(),
        size: a.size,
        width: a.width,
        height: a.height,
    };
    let stages = Stage::ALL
        .iter()
        .filter_map(|s| v.stage(*s))
        .map(|s| StageJson {
            name: Stage::from(s.stage).as_str(),
            status: s.status.to_string(),
            attempts: s.attempts,
            failure_reason: s.failure_reason.clone(),
            note: s.note.clone(),
            started_at: s.started_at.map(rfc3339),
            finished_at: s.finished_at.map(rfc3339),
        })
        .collect();
    JobJson {
        id: j.id.to_string(),
        status: j.status.to_string(),
        description: j.description.clone(),
        options: serde_json::from_str(&j.options_json).unwrap_or(Value::Null),
        stages,
        script: j.script_json.as_deref().and_then(|s| serde_json::from_str(s).ok()),
        photos: v.assets.iter().filter(|a| a.kind == "original").map(link).collect(),
        enhanced_images: v.assets.iter().filter(|a| a.kind == "enhanced").map(link).collect(),
        video: v.assets.iter().find(|a| a.kind == "video").map(link),
        subtitles: v.assets.iter().filter(|a| a.kind == "subtitles").map(link).collect(),
        public_url: j.public_id.as_deref().map(|p| state.public_url(p)),
        failure_reason: j.failure_reason.clone(),
        created_at: rfc3339(j.created_at),
        updated_at: rfc3339(j.updated_at),
        finished_at: j.finished_at.map(rfc3339),
    }
}

/// One state change of a job: the `data` of a Server-Sent Event of
/// `GET /api/v1/videos/{id}/events` (its SSE `id` is `id`, its SSE `event` is `kind`).
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Event)]
pub struct EventJson {
    pub id: i64,
    pub job_id: String,
    pub kind: String,
    pub stage: Option<String>,
    pub status: Option<String>,
    pub message: Option<String>,
    pub at: String,
}

pub fn event_json(e: &JobEvent) -> EventJson {
    EventJson {
        id: e.id,
        job_id: e.job_id.to_string(),
        kind: e.kind.to_string(),
        stage: e.stage.map(|s| s.to_string()),
        status: e.status.map(|s| s.to_string()),
        message: e.message.clone(),
        at: rfc3339(e.at),
    }
}
