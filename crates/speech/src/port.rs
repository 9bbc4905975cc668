//! The speech port: what the rest of Glimvid sees of any text-to-speech engine.

use std::fmt;

/// A voice's stable identifier, as listed by `GET /api/v1/voices` (e.g. `af_heart`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VoiceId(pub String);

impl VoiceId {
    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for VoiceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The voice's perceived gender, so a default can offer one of each per language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Gender {
    Female,
    Male,
}

impl Gender {
    pub fn as_str(self) -> &'static str {
        match self {
            Gender::Female => "female",
            Gender::Male => "male",
        }
    }
}

/// One voice an engine offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Voice {
    pub id: VoiceId,
    /// BCP-47 primary language subtag: `en`, `zh`, `es`, `ja`, `fr`.
    pub language: String,
    pub gender: Gender,
    pub display_name: String,
    /// SPDX identifier of the licence the voice (style vector and model) is used under.
    pub licence: String,
}

/// A span of the synthesized audio and the text spoken in it.
#[derive(Debug, Clone, PartialEq)]
pub struct Timing {
    /// Seconds from the start of [`Speech::samples`].
    pub start: f64,
    pub end: f64,
    pub text: String,
}

/// Synthesized speech: mono PCM and when each phrase and word is spoken.
#[derive(Debug, Clone, Default)]
pub struct Speech {
    /// Mono samples in [-1, 1].
    pub samples: Vec<f32>,
    pub sample_rate: u32,
    /// Phrases (clauses, or chunks of a long clause) in order; times are measured from the
    /// synthesized audio, so a caption shown over `start..end` is on the voice.
    pub phrases: Vec<Timing>,
    /// Words in order, each over the frames the model gave its phonemes.
    pub words: Vec<Timing>,
}

impl Speech {
    /// Length of the audio in seconds.
    pub fn duration_s(&self) -> f64 {
        if self.sample_rate == 0 {
            return 0.0;
        }
        self.samples.len() as f64 / f64::from(self.sample_rate)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SpeechError {
    #[error("unknown voice `{0}`")]
    UnknownVoice(VoiceId),
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
    #[error("unexpected model output: {0}")]
    Model(String),
}

/// Text + voice → PCM and timings. Implementations are blocking and CPU bound: call them from
/// a blocking thread, not an async executor.
pub trait SpeechSynthesizer: Send + Sync {
    fn voices(&self) -> &[Voice];
    /// `text` in `voice` at its natural pace.
    fn synthesize(&self, text: &str, voice: &VoiceId) -> Result<Speech, SpeechError> {
        self.synthesize_paced(text, voice, 1.0)
    }
    /// `text` in `voice`, `pace` times the natural speed (clamped to 0.5..=2.0).
    fn synthesize_paced(&self, text: &str, voice: &VoiceId, pace: f32) -> Result<Speech, SpeechError>;
}
