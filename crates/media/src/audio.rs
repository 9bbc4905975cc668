//! The soundtrack: PCM buffers, resampling to 48 kHz, the voice-over + music mix with ducking,
//! EBU R128 mastering, AAC-LC encoding, and subtitle files. Speech synthesis lives elsewhere;
//! this module takes its PCM and phrase timings and turns them into the track an MP4 carries.

pub mod aac;
pub mod loudness;
pub mod mix;
mod pcm;
pub mod resample;
pub mod subtitles;
pub mod wav;

pub use self::pcm::Pcm;

/// The sample rate of every track we write: what browsers and AAC-LC players expect.
pub const OUTPUT_RATE: u32 = 48_000;

#[derive(Debug, thiserror::Error)]
pub enum AudioError {
    #[error("invalid audio: {0}")]
    Invalid(String),
    #[error("AAC: {0}")]
    Aac(String),
    #[error("loudness measurement: {0}")]
    Loudness(String),
    #[error("reading or writing audio failed: {0}")]
    Io(#[from] std::io::Error),
}

#[cfg(test)]
mod tests;
