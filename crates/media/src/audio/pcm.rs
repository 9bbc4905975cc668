//! [`Pcm`]: interleaved f32 samples in [-1, 1] with their rate and channel count.

use super::AudioError;

/// Mono or stereo audio, interleaved, nominally in [-1, 1].
#[derive(Debug, Clone, PartialEq)]
pub struct Pcm {
    pub rate: u32,
    pub channels: u16,
    pub samples: Vec<f32>,
}

impl Pcm {
    /// Checks the layout (1 or 2 channels, a whole number of frames, a usable rate).
    pub fn new(rate: u32, channels: u16, samples: Vec<f32>) -> Result<Self, AudioError> {
        if !(1..=2).contains(&channels) {
            return Err(AudioError::Invalid(format!("{channels} channels (mono or stereo only)")));
        }
        if !(4_000..=192_000).contains(&rate) {
            return Err(AudioError::Invalid(format!("sample rate {rate} Hz")));
        }
        if !samples.len().is_multiple_of(channels as usize) {
            return Err(AudioError::Invalid("samples do not fill whole frames".into()));
        }
        Ok(Self { rate, channels, samples })
    }

    /// `frames` frames of silence.
    pub fn silence(rate: u32, channels: u16, frames: usize) -> Self {
        Self { rate, channels, samples: vec![0.0; frames * channels as usize] }
    }

    /// Sample frames (one sample per channel each).
    pub fn frames(&self) -> usize {
        self.samples.len() / self.channels.max(1) as usize
    }

    pub fn duration_s(&self) -> f64 {
        self.frames() as f64 / self.rate as f64
    }

    /// The same audio as stereo (mono is copied to both sides).
    pub fn to_stereo(&self) -> Self {
        if self.channels == 2 {
            return self.clone();
        }
        Self { rate: self.rate, channels: 2, samples: self.samples.iter().flat_map(|&s| [s, s]).collect() }
    }

    /// The same audio as mono (the channels averaged).
    pub fn to_mono(&self) -> Self {
        if self.channels == 1 {
            return self.clone();
        }
        let c = self.channels as usize;
        let samples = self.samples.chunks_exact(c).map(|f| f.iter().sum::<f32>() / c as f32).collect();
        Self { rate: self.rate, channels: 1, samples }
    }

    /// The largest absolute sample value.
    pub fn peak(&self) -> f32 {
        self.samples.iter().fold(0.0f32, |m, s| m.max(s.abs()))
    }

    /// Multiplies every sample by `gain`.
    pub fn scale(&mut self, gain: f32) {
        self.samples.iter_mut().for_each(|s| *s *= gain);
    }
}

/// A bundled music track, decoded, as mixable PCM.
impl TryFrom<crate::music::Decoded> for Pcm {
    type Error = AudioError;

    fn try_from(d: crate::music::Decoded) -> Result<Self, AudioError> {
        Pcm::new(d.sample_rate, d.channels, d.samples)
    }
}
