//! AAC-LC encoding and decoding with the pure-Rust `rusty_aac`: what the MP4's audio track
//! carries (48 kHz, ~160 kb/s), the format every browser plays.

use rusty_aac::{AacDecoder, AacEncoder, AacEncoderConfig, AdtsHeader, write_adts_header};

use super::{AudioError, OUTPUT_RATE, Pcm};

/// Stereo AAC-LC at 48 kHz: transparent for speech over music at this rate.
pub const BITRATE_BPS: u32 = 160_000;
/// PCM frames per AAC access unit.
pub const FRAME_LEN: usize = 1024;

/// An encoded AAC-LC track: raw access units (no ADTS), each `FRAME_LEN` frames long.
#[derive(Debug, Clone, PartialEq)]
pub struct AacTrack {
    pub rate: u32,
    pub channels: u16,
    pub units: Vec<Vec<u8>>,
    /// The PCM frames the track stands for (the units cover a little more: the last is padded).
    pub frames: u64,
}

impl AacTrack {
    /// The access unit `i` with an ADTS header in front (muxers and `.aac` files take these).
    pub fn adts_unit(&self, i: usize) -> Vec<u8> {
        let unit = &self.units[i];
        let mut out = write_adts_header(&AdtsHeader {
            object_type: 2,
            sample_rate: self.rate,
            channels: self.channels,
            frame_length: 7 + unit.len(),
            header_len: 7,
        });
        out.extend_from_slice(unit);
        out
    }

    /// The whole track as an ADTS stream (a playable `.aac`).
    pub fn to_adts(&self) -> Vec<u8> {
        (0..self.units.len()).flat_map(|i| self.adts_unit(i)).collect()
    }

    /// The AudioSpecificConfig that goes into the MP4's `esds`.
    pub fn audio_specific_config(&self) -> Vec<u8> {
        rusty_aac::audio_specific_config_bytes(self.rate, self.channels)
    }

    pub fn duration_s(&self) -> f64 {
        self.frames as f64 / self.rate as f64
    }
}

/// Encodes `pcm` (48 kHz expected; mono or stereo) as AAC-LC.
pub fn encode(pcm: &Pcm) -> Result<AacTrack, AudioError> {
    if pcm.rate != OUTPUT_RATE {
        return Err(AudioError::Invalid(format!("AAC input must be {OUTPUT_RATE} Hz (got {})", pcm.rate)));
    }
    let bitrate = if pcm.channels == 1 { BITRATE_BPS / 2 } else { BITRATE_BPS };
    let mut enc = AacEncoder::new(AacEncoderConfig { bitrate_bps: bitrate, ..AacEncoderConfig::default() });
    enc.push_pcm(&pcm.samples, pcm.channels, pcm.rate).map_err(|e| AudioError::Aac(e.to_string()))?;
    enc.finish();
    let mut units = Vec::new();
    while let Ok(p) = enc.next_packet() {
        units.push(p.data);
    }
    if units.is_empty() {
        return Err(AudioError::Aac("the encoder produced no access units".into()));
    }
    Ok(AacTrack { rate: pcm.rate, channels: pcm.channels, units, frames: pcm.frames() as u64 })
}

/// Decodes raw access units configured by an AudioSpecificConfig (as an MP4 stores them).
pub fn decode_units<'a>(asc: &[u8], units: impl IntoIterator<Item = &'a [u8]>) -> Result<Pcm, AudioError> {
    let mut dec = AacDecoder::with_config_bytes(asc).map_err(|e| AudioError::Aac(e.to_string()))?;
    let (mut rate, mut channels, mut samples) = (0, 0, Vec::new());
    for unit in units {
        let frame = dec.decode(unit, None).map_err(|e| AudioError::Aac(e.to_string()))?;
        rate = frame.sample_rate;
        channels = frame.channels;
        samples.extend_from_slice(&frame.samples);
    }
    Pcm::new(rate, channels, samples)
}
