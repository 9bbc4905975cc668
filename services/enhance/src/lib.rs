//! The enhance service: the enhance stage worker, and `glimvid.enhance.v1.EnhanceService` for
//! synchronous previews. Both call the same `ImageEnhancer`.

use std::sync::Arc;

use async_trait::async_trait;
use glimvid_db::entity::enums::AssetKind;
use glimvid_db::repo::jobs::{NewAsset, StageResult};
use glimvid_domain::Stage;
use glimvid_pipeline::{Backends, StageError, StageHandler, StageRun, Worker, keys, sha256_hex};
use glimvid_providers::{EnhanceRequest, ImageEnhancer};
use glimvid_runtime::Shutdown;

pub mod grpc;

pub struct EnhanceStage {
    enhancer: Arc<dyn ImageEnhancer>,
}

impl EnhanceStage {
    pub fn new(enhancer: Arc<dyn ImageEnhancer>) -> Self {
        Self { enhancer }
    }
}

#[async_trait]
impl StageHandler for EnhanceStage {
    fn stage(&self) -> Stage {
        Stage::Enhance
    }

    async fn run(&self, run: &StageRun) -> Result<StageResult, StageError> {
        let options = run.options()?;
        let originals: Vec<_> = run.view.assets.iter().filter(|a| a.kind == "original").collect();
        if originals.is_empty() {
            return Err(StageError::Permanent("the job has no photos".into()));
        }
        let mut assets = Vec::with_capacity(originals.len());
        let mut notes = Vec::new();
        for (n, original) in originals.iter().enumerate() {
            let photo = run.blob.get(&original.blob_key).await?;
            let out = self.enhancer.enhance(&EnhanceRequest { photo, options }).await?;
            let key = run.key("enhanced", n, keys::ext_for(out.content_type));
            let sha = sha256_hex(&out.bytes);
            let size = out.bytes.len() as i64;
            run.put(&key, out.bytes, out.content_type).await?;
            notes.push(format!("photo {}: {}", n + 1, out.note));
            assets.push(NewAsset {
                kind: AssetKind::Enhanced,
                idx: n as i32,
                blob_key: key,
                size,
                content_type: out.content_type.into(),
                sha256: sha,
                width: Some(out.width as i32),
                height: Some(out.height as i32),
            });
        }
        for note in &notes {
            run.note(Stage::Enhance, note).await;
        }
        Ok(StageResult {
            note: Some(format!("{} photos enhanced by the {} enhancer", assets.len(), self.enhancer.name())),
            assets,
            script_json: None,
            public_id: None,
        })
    }
}

/// Runs the enhance worker until shutdown.
pub async fn run_worker(backends: Backends, enhancer: Arc<dyn ImageEnhancer>, shutdown: Shutdown) {
    Worker::on(Arc::new(EnhanceStage::new(enhancer)), &backends).run(shutdown).await;
}
