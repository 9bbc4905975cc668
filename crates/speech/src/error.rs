//! How the local engine fails. What it answers is the providers' [`glimvid_providers::Speech`]
//! and its voices are the catalogue's [`glimvid_domain::Voice`]: one shape from the engine to
//! the renderer.

#[derive(Debug, thiserror::Error)]
pub enum SpeechError {
    #[error("speech models are missing: {0} (run scripts/fetch-voices)")]
    ModelsMissing(String),
    #[error("ONNX Runtime: {0}")]
    Runtime(String),
    #[error("reading {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid voice file {0}")]
    InvalidVoice(String),
}
