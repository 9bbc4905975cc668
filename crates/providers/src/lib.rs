//! The provider ports: who writes the script, who enhances a photo, who makes the video, who
//! speaks the voice-over. Each
//! port has a network adapter (DeepSeek, Ark) and a local one (the media engine); the pipeline
//! only sees these traits.
//!
//! The network adapters: [`deepseek::DeepSeekWriter`], [`ark::ArkEnhancer`] and
//! [`ark::ArkVideoGenerator`]. Each retries transient errors (timeouts, connection failures, 429,
//! 5xx, blank answers) with exponential backoff and jitter, never sooner than `Retry-After`, and
//! fails at once on permanent ones (bad request, refused key, no balance, content policy).

pub mod ark;
pub mod deepseek;
pub mod http;
pub mod speech;

use std::{fmt, path::PathBuf, sync::Arc, time::Duration};

use async_trait::async_trait;
use bytes::Bytes;
use glimvid_domain::{Description, Script, VideoOptions};

pub use ark::{ArkEnhancer, ArkSettings, ArkVideoGenerator, PollPolicy};
pub use deepseek::{DeepSeekSettings, DeepSeekWriter};
pub use http::{ApiKey, RetryPolicy};
pub use speech::{SaidLine, Speech, SpeechSynthesizer, TimedText, VoiceOver, VoiceOverFileError};

/// Whether retrying can help.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// Timeouts, 429, 5xx, a blank answer: try again later.
    Transient,
    /// Bad input, 4xx, insufficient balance: retrying cannot help; fail the stage now.
    Permanent,
}

/// A provider failure. `message` is shown to the user when the stage fails, so it never holds
/// secrets or internal paths.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{provider} {code}: {message}")]
pub struct ProviderError {
    pub class: ErrorClass,
    pub provider: &'static str,
    /// A stable code such as `timeout`, `rate_limited`, `invalid_image`.
    pub code: &'static str,
    pub message: String,
    /// How long the provider asked us to wait (from `Retry-After`).
    pub retry_after: Option<Duration>,
}

impl ProviderError {
    pub fn transient(provider: &'static str, code: &'static str, message: impl Into<String>) -> Self {
        Self { class: ErrorClass::Transient, provider, code, message: message.into(), retry_after: None }
    }

    pub fn permanent(provider: &'static str, code: &'static str, message: impl Into<String>) -> Self {
        Self { class: ErrorClass::Permanent, provider, code, message: message.into(), retry_after: None }
    }

    pub fn is_transient(&self) -> bool {
        self.class == ErrorClass::Transient
    }
}

/// What a script writer is given: the job's description and options, and how many photos there
/// are. Nothing else about the user.
#[derive(Debug, Clone)]
pub struct ScriptRequest {
    pub description: Description,
    pub options: VideoOptions,
    pub photo_count: usize,
}

#[async_trait]
pub trait ScriptWriter: Send + Sync {
    /// A short name for events and metrics (`offline`, `deepseek`).
    fn name(&self) -> &'static str;
    /// Writes a script that passes [`Script::validate`] for `photo_count` photos.
    async fn write(&self, req: &ScriptRequest) -> Result<Script, ProviderError>;
}

/// One photo to enhance: already sanitised (decoded, oriented, metadata stripped, re-encoded).
#[derive(Debug, Clone)]
pub struct EnhanceRequest {
    pub photo: Bytes,
    pub options: VideoOptions,
}

#[derive(Debug, Clone)]
pub struct EnhancedImage {
    pub bytes: Bytes,
    /// `image/jpeg` or `image/png`.
    pub content_type: &'static str,
    pub width: u32,
    pub height: u32,
    /// Why the photo was framed as it was (shown in the job's events), e.g. "blurred fill:
    /// subject wider than 9:16".
    pub note: String,
}

#[async_trait]
pub trait ImageEnhancer: Send + Sync {
    fn name(&self) -> &'static str;
    async fn enhance(&self, req: &EnhanceRequest) -> Result<EnhancedImage, ProviderError>;
}

/// Progress notes a long render reports (encoder chosen, provider task ids); the pipeline turns
/// them into job events, and the provider task id is recorded before polling so that a
/// redelivered task resumes instead of paying again.
#[async_trait]
pub trait RenderObserver: Send + Sync {
    async fn note(&self, message: &str);

    /// The provider task ids recorded for this render by an earlier delivery (in clip order),
    /// so that a redelivered task resumes them instead of creating and paying for new ones.
    async fn recorded_tasks(&self) -> Vec<String> {
        Vec::new()
    }

    /// Records the provider task ids of this render (all of them, in clip order) before the
    /// generator starts polling. An error means the id could not be made durable: the caller
    /// must not go on as if it had been.
    async fn record_tasks(&self, _task_ids: &[String]) -> Result<(), ProviderError> {
        Ok(())
    }
}

/// An observer that ignores everything (previews, benchmarks).
pub struct NoopObserver;

#[async_trait]
impl RenderObserver for NoopObserver {
    async fn note(&self, _message: &str) {}
}

pub struct RenderRequest {
    pub script: Script,
    /// The enhanced photos, in upload order, already at the output aspect ratio.
    pub images: Vec<Bytes>,
    pub options: VideoOptions,
    /// Where to write the MP4.
    pub output: PathBuf,
    pub observer: Arc<dyn RenderObserver>,
    /// The voice-over said ahead (after the script was written), if the job has one: lines
    /// that still match are not said again.
    pub voice_over: Option<VoiceOver>,
}

impl fmt::Debug for RenderRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RenderRequest")
            .field("script", &self.script.title)
            .field("images", &self.images.len())
            .field("options", &self.options)
            .field("output", &self.output)
            .field("voice_over", &self.voice_over.as_ref().map(|v| v.lines.len()))
            .finish()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderOutput {
    pub width: u32,
    pub height: u32,
    pub frames: u32,
    pub duration_ms: u64,
    /// Which encoder made the file (`openh264`, `libx264`).
    pub encoder: String,
}

/// Clips made by a video provider, one per scene, to be joined into the final video.
pub struct JoinRequest {
    pub script: Script,
    /// `clips[i]` is an MP4 for scene `i` of the script, at any resolution (scaled to fit).
    pub clips: Vec<PathBuf>,
    pub options: VideoOptions,
    /// Where to write the MP4.
    pub output: PathBuf,
    pub observer: Arc<dyn RenderObserver>,
    /// As [`RenderRequest::voice_over`].
    pub voice_over: Option<VoiceOver>,
}

/// Joins a provider's clips with the script's captions, intro and outro cards and transitions,
/// so that a provider-made video has the same format as a local one (the local engine does it).
#[async_trait]
pub trait ClipJoiner: Send + Sync {
    async fn join(&self, req: JoinRequest) -> Result<RenderOutput, ProviderError>;
}

#[async_trait]
pub trait VideoGenerator: Send + Sync {
    fn name(&self) -> &'static str;
    async fn render(&self, req: RenderRequest) -> Result<RenderOutput, ProviderError>;
}
