//! The render worker as its own process (scale it by adding replicas).

use std::sync::Arc;

use glimvid_render_service::RenderStage;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cfg = glimvid_runtime::Config::from_env()?;
    glimvid_pipeline::process::run_worker_process(cfg, |cfg, _| {
        Arc::new(RenderStage::new(Arc::new(glimvid_media::LocalRenderer::new()), cfg.data_dir.join("scratch")))
    })
    .await
}
