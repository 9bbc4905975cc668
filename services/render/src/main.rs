//! The render worker as its own process (scale it by adding replicas).

use std::sync::Arc;

use glimvid_pipeline::Backends;
use glimvid_runtime::{Config, Shutdown, telemetry};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cfg = Config::from_env()?;
    telemetry::init_logging(cfg.log_json);
    let backends = Backends::connect(&cfg).await?;
    let generator = Arc::new(glimvid_media::LocalRenderer::new());
    let shutdown = Shutdown::new();
    shutdown.trigger_on_signals();
    let relay = tokio::spawn(backends.relay.clone().run(std::time::Duration::from_millis(500), {
        let s = shutdown.clone();
        async move { s.wait().await }
    }));
    tracing::info!("render worker started");
    glimvid_render_service::run_worker(backends, generator, cfg.data_dir.join("scratch"), shutdown).await;
    let _ = relay.await;
    Ok(())
}
