//! The enhance worker as its own process (scale it by adding replicas).

use std::sync::Arc;

use glimvid_enhance_service::EnhanceStage;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cfg = glimvid_runtime::Config::from_env()?;
    glimvid_pipeline::process::run_worker_process(cfg, |_, _| {
        Arc::new(EnhanceStage::new(Arc::new(glimvid_media::LocalEnhancer::new())))
    })
    .await
}
