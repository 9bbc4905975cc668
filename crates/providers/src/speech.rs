//! The speech port: text and a voice in, speech out, with the time of each phrase so that
//! captions and scene lengths follow what is said. The local engine (`glimvid-speech`, Kokoro
//! on the CPU) is the embedded default.

use async_trait::async_trait;
use glimvid_domain::Voice;

use crate::ProviderError;

/// A stretch of speech and when it is said, in seconds from the start of the [`Speech`].
#[derive(Debug, Clone, PartialEq)]
pub struct TimedText {
    pub start: f64,
    pub end: f64,
    pub text: String,
}

/// Synthesised speech: mono samples in [-1, 1] at `sample_rate`, and its phrases and words in
/// order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Speech {
    pub sample_rate: u32,
    pub samples: Vec<f32>,
    /// Phrases (clauses, or chunks of a long one), monotonic, within the audio: what a caption
    /// shows while it is said.
    pub phrases: Vec<TimedText>,
    /// Words, monotonic, within the audio, where the engine times them (empty otherwise).
    pub words: Vec<TimedText>,
}

impl Speech {
    pub fn seconds(&self) -> f64 {
        if self.sample_rate == 0 { 0.0 } else { self.samples.len() as f64 / self.sample_rate as f64 }
    }
}

/// Who speaks the voice-over.
#[async_trait]
pub trait SpeechSynthesizer: Send + Sync {
    fn name(&self) -> &'static str;

    /// The voices this engine can speak (a subset of the catalogue, [`Voice::ALL`]).
    fn voices(&self) -> &[Voice];

    /// Says `text` (plain text: the caller strips markup) in `voice`, `pace` times the voice's
    /// natural speed (1.0; the renderer asks for a little faster only when lines would run past
    /// the video's duration). An empty text gives empty speech; a voice the engine lacks is a
    /// permanent error.
    async fn synthesize(&self, text: &str, voice: Voice, pace: f32) -> Result<Speech, ProviderError>;
}
