//! The enhance worker as its own process (scale it by adding replicas). Ark enhances the photos
//! when `GLIMVID_ARK_API_KEY` is set, the local media engine otherwise.

use std::sync::Arc;

use glimvid_enhance_service::EnhanceStage;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cfg = glimvid_runtime::Config::from_env()?;
    let enhancer =
        glimvid_pipeline::providers::image_enhancer(&cfg.providers, || Arc::new(glimvid_media::LocalEnhancer::new()))?;
    glimvid_pipeline::process::run_worker_process(cfg, move |_, _| Arc::new(EnhanceStage::new(enhancer))).await
}
