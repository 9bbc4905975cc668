//! The script worker as its own process (scale it by adding replicas). DeepSeek writes the
//! scripts when `GLIMVID_DEEPSEEK_API_KEY` is set, the offline writer otherwise; the local
//! narrator says each script's voice-over ahead of the render when its models are installed.

use std::sync::Arc;

use glimvid_script_service::ScriptStage;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cfg = glimvid_runtime::Config::from_env()?;
    let writer = glimvid_pipeline::providers::script_writer(&cfg.providers, || {
        Arc::new(glimvid_media::OfflineScriptWriter::new())
    })?;
    let speech = glimvid_media::render::local_speech();
    glimvid_pipeline::process::run_worker_process(cfg, move |_, _| {
        Arc::new(ScriptStage::new(writer).with_speech(speech))
    })
    .await
}
