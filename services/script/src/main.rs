//! The script worker as its own process (scale it by adding replicas).

use std::sync::Arc;

use glimvid_script_service::ScriptStage;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cfg = glimvid_runtime::Config::from_env()?;
    glimvid_pipeline::process::run_worker_process(cfg, |_, _| {
        Arc::new(ScriptStage::new(Arc::new(glimvid_media::OfflineScriptWriter::new())))
    })
    .await
}
