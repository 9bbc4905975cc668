//! The render worker as its own process (scale it by adding replicas). Ark makes the clips when
//! `GLIMVID_ARK_API_KEY` is set (joined by the local engine), the local media engine renders the
//! whole video otherwise.

use std::sync::Arc;

use glimvid_render_service::RenderStage;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cfg = glimvid_runtime::Config::from_env()?;
    let choice = cfg.providers.encoder;
    let local = Arc::new(glimvid_media::LocalRenderer::with_choice(choice)?.with_local_speech());
    // The same renderer (one speech engine in memory) joins Ark's clips with the narration.
    let joiner = local.clone() as Arc<dyn glimvid_providers::ClipJoiner>;
    let generator = glimvid_pipeline::providers::video_generator(&cfg.providers, || local, joiner)?;
    let scratch = cfg.storage.data_dir.join("scratch");
    glimvid_pipeline::process::run_worker_process(cfg, move |_, _| Arc::new(RenderStage::new(generator, scratch))).await
}
