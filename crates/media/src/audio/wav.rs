//! RIFF/WAVE reading and writing: 16-bit PCM and 32-bit float, mono or stereo. For tests,
//! examples, music fixtures and handing the mix to ffmpeg.

use std::path::Path;

use super::{AudioError, Pcm};

fn invalid(msg: impl Into<String>) -> AudioError {
    AudioError::Invalid(msg.into())
}

/// The WAV file (16-bit PCM) holding `pcm`.
pub fn to_bytes(pcm: &Pcm) -> Vec<u8> {
    let data_len = pcm.samples.len() * 2;
    let mut out = Vec::with_capacity(44 + data_len);
    let block = pcm.channels as u32 * 2;
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len as u32).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&pcm.channels.to_le_bytes());
    out.extend_from_slice(&pcm.rate.to_le_bytes());
    out.extend_from_slice(&(pcm.rate * block).to_le_bytes());
    out.extend_from_slice(&(block as u16).to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&(data_len as u32).to_le_bytes());
    for &s in &pcm.samples {
        let v = (s.clamp(-1.0, 1.0) * 32767.0).round() as i16;
        out.extend_from_slice(&v.to_le_bytes());
    }
    out
}

pub fn write(path: &Path, pcm: &Pcm) -> Result<(), AudioError> {
    std::fs::write(path, to_bytes(pcm))?;
    Ok(())
}

pub fn read(path: &Path) -> Result<Pcm, AudioError> {
    from_bytes(&std::fs::read(path)?)
}

/// Parses a WAV file: PCM 8/16/24/32-bit or IEEE float 32-bit (WAVE_FORMAT_EXTENSIBLE too).
pub fn from_bytes(b: &[u8]) -> Result<Pcm, AudioError> {
    if b.len() < 12 || &b[0..4] != b"RIFF" || &b[8..12] != b"WAVE" {
        return Err(invalid("not a RIFF/WAVE file"));
    }
    let mut at = 12;
    let mut fmt: Option<(u16, u16, u32, u16)> = None;
    while at + 8 <= b.len() {
        let id = &b[at..at + 4];
        let len = u32::from_le_bytes([b[at + 4], b[at + 5], b[at + 6], b[at + 7]]) as usize;
        let body = &b[at + 8..(at + 8 + len).min(b.len())];
        if id == b"fmt " {
            if body.len() < 16 {
                return Err(invalid("fmt chunk too short"));
            }
            let le16 = |i: usize| u16::from_le_bytes([body[i], body[i + 1]]);
            let mut format = le16(0);
            if format == 0xFFFE && body.len() >= 26 {
                format = le16(24); // the sub-format GUID starts with the real tag
            }
            let rate = u32::from_le_bytes([body[4], body[5], body[6], body[7]]);
            fmt = Some((format, le16(2), rate, le16(14)));
        } else if id == b"data" {
            let (format, channels, rate, bits) = fmt.ok_or_else(|| invalid("data before fmt"))?;
            let samples = decode_samples(body, format, bits)?;
            let whole = samples.len() - samples.len() % channels.max(1) as usize;
            return Pcm::new(rate, channels, samples[..whole].to_vec());
        }
        at += 8 + len + (len & 1);
    }
    Err(invalid("no data chunk"))
}

fn decode_samples(body: &[u8], format: u16, bits: u16) -> Result<Vec<f32>, AudioError> {
    Ok(match (format, bits) {
        (1, 8) => body.iter().map(|&v| (v as f32 - 128.0) / 128.0).collect(),
        (1, 16) => body.chunks_exact(2).map(|c| i16::from_le_bytes([c[0], c[1]]) as f32 / 32768.0).collect(),
        (1, 24) => body
            .chunks_exact(3)
            .map(|c| (i32::from_le_bytes([0, c[0], c[1], c[2]]) >> 8) as f32 / 8_388_608.0)
            .collect(),
        (1, 32) => body
            .chunks_exact(4)
            .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]) as f32 / 2_147_483_648.0)
            .collect(),
        (3, 32) => body.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect(),
        _ => return Err(invalid(format!("unsupported WAV format {format} with {bits} bits"))),
    })
}
