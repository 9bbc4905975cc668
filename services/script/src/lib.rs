//! The script service: the script stage worker, and `glimvid.script.v1.ScriptService` for
//! synchronous previews. Both call the same `ScriptWriter`.

use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use glimvid_db::entity::enums::AssetKind;
use glimvid_db::repo::jobs::{NewAsset, StageResult};
use glimvid_domain::{Description, Stage};
use glimvid_pipeline::{Backends, StageError, StageHandler, StageRun, Worker, sha256_hex};
use glimvid_providers::{ScriptRequest, ScriptWriter};
use glimvid_runtime::Shutdown;

pub mod grpc;

pub struct ScriptStage {
    writer: Arc<dyn ScriptWriter>,
}

impl ScriptStage {
    pub fn new(writer: Arc<dyn ScriptWriter>) -> Self {
        Self { writer }
    }
}

#[async_trait]
impl StageHandler for ScriptStage {
    fn stage(&self) -> Stage {
        Stage::Script
    }

    async fn run(&self, run: &StageRun) -> Result<StageResult, StageError> {
        let job = &run.view.job;
        let options = run.options()?;
        let description = Description::parse(&job.description).map_err(|e| StageError::Permanent(e.message))?;
        let photo_count = job.photo_count.max(1) as usize;
        // Only the description and the options go to the writer: nothing about the user.
        let req = ScriptRequest { description, options, photo_count };
        let script = self.writer.write(&req).await?;
        script.validate(photo_count).map_err(|e| {
            StageError::Permanent(format!("the script writer returned an unusable script: {}", e.message))
        })?;
        let json = serde_json::to_vec(&script).map_err(|e| StageError::Permanent(e.to_string()))?;
        let key = run.key("script", 0, "json");
        run.put(&key, Bytes::from(json.clone()), "application/json").await?;
        Ok(StageResult {
            assets: vec![NewAsset {
                kind: AssetKind::Script,
                idx: 0,
                blob_key: key,
                size: json.len() as i64,
                content_type: "application/json".into(),
                sha256: sha256_hex(&json),
                width: None,
                height: None,
            }],
            script_json: Some(String::from_utf8(json).unwrap_or_default()),
            public_id: None,
            note: Some(format!("{} scenes, written by the {} writer", script.scenes.len(), self.writer.name())),
        })
    }
}

/// Runs the script worker until shutdown.
pub async fn run_worker(backends: Backends, writer: Arc<dyn ScriptWriter>, shutdown: Shutdown) {
    Worker::on(Arc::new(ScriptStage::new(writer)), &backends).run(shutdown).await;
}
