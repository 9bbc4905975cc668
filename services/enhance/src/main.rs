//! The enhance worker as its own process (scale it by adding replicas).

use std::sync::Arc;

use glimvid_pipeline::Backends;
use glimvid_runtime::{Config, Shutdown, telemetry};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cfg = Config::from_env()?;
    telemetry::init_logging(cfg.log_json);
    let backends = Backends::connect(&cfg).await?;
    let enhancer = Arc::new(glimvid_media::LocalEnhancer::new());
    let shutdown = Shutdown::new();
    shutdown.trigger_on_signals();
    let relay = tokio::spawn(backends.relay.clone().run(std::time::Duration::from_millis(500), {
        let s = shutdown.clone();
        async move { s.wait().await }
    }));
    tracing::info!("enhance worker started");
    glimvid_enhance_service::run_worker(backends, enhancer, shutdown).await;
    let _ = relay.await;
    Ok(())
}
