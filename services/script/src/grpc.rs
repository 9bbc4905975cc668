//! `glimvid.script.v1.ScriptService`: a synchronous preview of what the script stage writes.

use std::sync::Arc;

use glimvid_domain::{Description, DomainError, ErrorCode, Language, VideoOptions};
use glimvid_proto::{
    script::v1::{self as pb, script_service_server::ScriptServiceServer},
    status::to_status,
};
use glimvid_providers::{ScriptRequest, ScriptWriter};
use tonic::{Request, Response, Status};

pub struct ScriptGrpc {
    writer: Arc<dyn ScriptWriter>,
}

pub fn server(writer: Arc<dyn ScriptWriter>) -> ScriptServiceServer<ScriptGrpc> {
    ScriptServiceServer::new(ScriptGrpc { writer })
}

/// Options from their protobuf form, validated by the same rules as REST.
pub fn options_from_pb(o: Option<pb::VideoOptions>) -> Result<VideoOptions, DomainError> {
    let o = o.unwrap_or_default();
    let mut m = serde_json::Map::new();
    if !o.aspect_ratio.is_empty() {
        m.insert("aspect_ratio".into(), o.aspect_ratio.into());
    }
    if o.duration_s != 0 {
        m.insert("duration_s".into(), o.duration_s.into());
    }
    if !o.language.is_empty() {
        m.insert("language".into(), o.language.into());
    }
    if !o.style.is_empty() {
        m.insert("style".into(), o.style.into());
    }
    VideoOptions::from_value(&serde_json::Value::Object(m), Language::En)
}

#[tonic::async_trait]
impl pb::script_service_server::ScriptService for ScriptGrpc {
    async fn generate_script(
        &self,
        r: Request<pb::GenerateScriptRequest>,
    ) -> Result<Response<pb::GenerateScriptResponse>, Status> {
        let r = r.into_inner();
        let description = Description::parse(&r.description).map_err(|e| to_status(&e))?;
        let options = options_from_pb(r.options).map_err(|e| to_status(&e))?;
        if r.photo_count == 0 || r.photo_count > 6 {
            return Err(to_status(&DomainError::invalid("photo_count", "photo_count must be 1 to 6")));
        }
        let req = ScriptRequest { description, options, photo_count: r.photo_count as usize };
        let script = self.writer.write(&req).await.map_err(|e| {
            let code = if e.is_transient() { ErrorCode::Unavailable } else { ErrorCode::FailedPrecondition };
            to_status(&DomainError::new(code, e.message))
        })?;
        Ok(Response::new(pb::GenerateScriptResponse {
            script: Some(pb::Script {
                title: script.title,
                hook: script.hook,
                scenes: script
                    .scenes
                    .into_iter()
                    .map(|s| pb::Scene { caption: s.caption, voiceover: s.voiceover, photo_index: s.photo_index })
                    .collect(),
                call_to_action: script.call_to_action,
            }),
            writer: self.writer.name().into(),
        }))
    }
}
