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

/// A script's voice-over as it was said, scene by scene: made once the script is written (beside
/// the photos' enhancement), stored with the job, and reused by the render for every line whose
/// text, voice and pace still match, so that the render does not wait for the narrator.
#[derive(Debug, Clone, PartialEq)]
pub struct VoiceOver {
    pub voice: Voice,
    /// The engine that said it ([`SpeechSynthesizer::name`]).
    pub engine: String,
    /// One per scene, in order.
    pub lines: Vec<SaidLine>,
}

/// A scene's line and how it was said.
#[derive(Debug, Clone, PartialEq)]
pub struct SaidLine {
    /// The line as given to the engine (trimmed; empty for a silent scene).
    pub text: String,
    /// The pace it was said at (1.0: the voice's natural speed).
    pub pace: f32,
    pub speech: Speech,
}

/// Why stored voice-over bytes could not be read back.
#[derive(Debug, thiserror::Error)]
#[error("not a usable voice-over file: {0}")]
pub struct VoiceOverFileError(String);

/// The stored form's version (in its manifest).
const VOICE_OVER_VERSION: u32 = 1;
/// The WAV chunk that holds the manifest.
const MANIFEST_CHUNK: &[u8; 4] = b"gvvo";
/// WAVE_FORMAT_IEEE_FLOAT.
const FLOAT_FORMAT: u16 = 3;

#[derive(serde::Serialize, serde::Deserialize)]
struct ManifestLine {
    text: String,
    pace: f32,
    sample_rate: u32,
    samples: u64,
    phrases: Vec<(f64, f64, String)>,
    words: Vec<(f64, f64, String)>,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Manifest {
    version: u32,
    voice: String,
    engine: String,
    lines: Vec<ManifestLine>,
}

fn timed_list(list: &[TimedText]) -> Vec<(f64, f64, String)> {
    list.iter().map(|t| (t.start, t.end, t.text.clone())).collect()
}

fn timed_texts(list: Vec<(f64, f64, String)>) -> Vec<TimedText> {
    list.into_iter().map(|(start, end, text)| TimedText { start, end, text }).collect()
}

fn chunk(out: &mut Vec<u8>, id: &[u8; 4], body: &[u8]) {
    out.extend_from_slice(id);
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(body);
    if body.len() % 2 == 1 {
        out.push(0);
    }
}

impl VoiceOver {
    /// The stored form: a WAV file (mono, 32-bit float, the engine's rate) of the lines one after
    /// another, exactly as the engine gave them, so that it plays as it is (in the user's
    /// export, say); its `gvvo` chunk holds the manifest (JSON: voice, engine, and per line its
    /// text, pace, rate, sample count and timings).
    pub fn to_bytes(&self) -> Vec<u8> {
        let manifest = Manifest {
            version: VOICE_OVER_VERSION,
            voice: self.voice.id().to_owned(),
            engine: self.engine.clone(),
            lines: self
                .lines
                .iter()
                .map(|l| ManifestLine {
                    text: l.text.clone(),
                    pace: l.pace,
                    sample_rate: l.speech.sample_rate,
                    samples: l.speech.samples.len() as u64,
                    phrases: timed_list(&l.speech.phrases),
                    words: timed_list(&l.speech.words),
                })
                .collect(),
        };
        // Plain data with string keys: serialising it cannot fail.
        let json = serde_json::to_vec(&manifest).unwrap_or_default();
        let rate = self.lines.iter().map(|l| l.speech.sample_rate).find(|r| *r > 0).unwrap_or(24_000);
        let frames: usize = self.lines.iter().map(|l| l.speech.samples.len()).sum();
        let mut fmt = Vec::with_capacity(18);
        fmt.extend_from_slice(&FLOAT_FORMAT.to_le_bytes());
        fmt.extend_from_slice(&1u16.to_le_bytes());
        fmt.extend_from_slice(&rate.to_le_bytes());
        fmt.extend_from_slice(&(rate * 4).to_le_bytes());
        fmt.extend_from_slice(&4u16.to_le_bytes());
        fmt.extend_from_slice(&32u16.to_le_bytes());
        fmt.extend_from_slice(&0u16.to_le_bytes());
        let mut data = Vec::with_capacity(frames * 4);
        for line in &self.lines {
            for s in &line.speech.samples {
                data.extend_from_slice(&s.to_le_bytes());
            }
        }
        let mut body = b"WAVE".to_vec();
        chunk(&mut body, b"fmt ", &fmt);
        chunk(&mut body, b"fact", &(frames as u32).to_le_bytes());
        chunk(&mut body, MANIFEST_CHUNK, &json);
        chunk(&mut body, b"data", &data);
        let mut out = Vec::with_capacity(8 + body.len());
        chunk(&mut out, b"RIFF", &body);
        out
    }

    /// Reads [`Self::to_bytes`]'s form back; anything else (another version, a truncated file,
    /// a voice not in the catalogue, samples that are not finite) is an error.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, VoiceOverFileError> {
        let bad = |m: &str| VoiceOverFileError(m.to_owned());
        if bytes.len() < 12 || &bytes[..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
            return Err(bad("not a WAV file"));
        }
        let (mut fmt, mut json, mut data) = (None, None, None);
        let mut rest = &bytes[12..];
        while rest.len() >= 8 {
            let len = u32::from_le_bytes([rest[4], rest[5], rest[6], rest[7]]) as usize;
            let body = rest.get(8..8 + len).ok_or_else(|| bad("a chunk is cut short"))?;
            match &rest[..4] {
                b"fmt " => fmt = Some(body),
                b"data" => data = Some(body),
                id if id == MANIFEST_CHUNK => json = Some(body),
                _ => {}
            }
            rest = rest.get(8 + len + len % 2..).unwrap_or_default();
        }
        if !rest.is_empty() {
            return Err(bad("bytes are left after the last chunk"));
        }
        let fmt = fmt.ok_or_else(|| bad("no fmt chunk"))?;
        if fmt.len() < 16 || fmt[..4] != [FLOAT_FORMAT as u8, 0, 1, 0] || fmt[14..16] != [32, 0] {
            return Err(bad("the samples are not mono 32-bit float"));
        }
        let manifest: Manifest = serde_json::from_slice(json.ok_or_else(|| bad("no manifest chunk"))?)
            .map_err(|e| VoiceOverFileError(format!("its manifest: {e}")))?;
        if manifest.version != VOICE_OVER_VERSION {
            return Err(VoiceOverFileError(format!("version {} is not supported", manifest.version)));
        }
        let voice = Voice::by_id(&manifest.voice).ok_or_else(|| bad("its voice is not in the catalogue"))?;
        let mut pcm = data.ok_or_else(|| bad("no data chunk"))?;
        let mut lines = Vec::with_capacity(manifest.lines.len());
        for line in manifest.lines {
            let n = usize::try_from(line.samples).map_err(|_| bad("a line is too long"))?;
            let len =
                n.checked_mul(4).filter(|len| *len <= pcm.len()).ok_or_else(|| bad("the samples are cut short"))?;
            let (mine, left) = pcm.split_at(len);
            pcm = left;
            let samples: Vec<f32> =
                mine.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
            if samples.iter().any(|s| !s.is_finite()) || !(line.pace.is_finite() && line.pace > 0.0) {
                return Err(bad("a line holds values that are not finite"));
            }
            if n > 0 && line.sample_rate == 0 {
                return Err(bad("a line has samples but no sample rate"));
            }
            lines.push(SaidLine {
                text: line.text,
                pace: line.pace,
                speech: Speech {
                    sample_rate: line.sample_rate,
                    samples,
                    phrases: timed_texts(line.phrases),
                    words: timed_texts(line.words),
                },
            });
        }
        if !pcm.is_empty() {
            return Err(bad("samples are left after the last line"));
        }
        Ok(Self { voice, engine: manifest.engine, lines })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> VoiceOver {
        let speech = |n: usize| Speech {
            sample_rate: 24_000,
            samples: (0..n).map(|i| (i as f32 * 0.01).sin() * 0.5).collect(),
            phrases: vec![TimedText { start: 0.0, end: n as f64 / 24_000.0, text: "Fresh beans, 100% 咖啡".into() }],
            words: vec![TimedText { start: 0.01, end: 0.2, text: "Fresh".into() }],
        };
        VoiceOver {
            voice: Voice::EnMichael,
            engine: "kokoro".into(),
            lines: vec![
                SaidLine { text: "Fresh beans, 100% 咖啡".into(), pace: 1.0, speech: speech(4800) },
                SaidLine { text: String::new(), pace: 1.0, speech: Speech::default() },
                SaidLine { text: "Order now".into(), pace: 1.12, speech: speech(7) },
            ],
        }
    }

    #[test]
    fn a_voice_over_reads_back_exactly() {
        let vo = sample();
        let bytes = vo.to_bytes();
        assert_eq!(VoiceOver::from_bytes(&bytes).unwrap(), vo);
        // A WAV any player reads: its RIFF size, and a data chunk of every sample.
        assert_eq!(&bytes[..4], b"RIFF");
        assert_eq!(u32::from_le_bytes(bytes[4..8].try_into().unwrap()) as usize, bytes.len() - 8);
        let data = bytes.windows(4).rposition(|w| w == b"data").unwrap();
        let len = u32::from_le_bytes(bytes[data + 4..data + 8].try_into().unwrap()) as usize;
        assert_eq!(len, (4800 + 7) * 4);
        assert_eq!(data + 8 + len, bytes.len());
    }

    #[test]
    fn damaged_files_are_refused() {
        let bytes = sample().to_bytes();
        assert!(VoiceOver::from_bytes(&bytes[..bytes.len() - 1]).is_err(), "truncated samples");
        let mut longer = bytes.clone();
        longer.extend_from_slice(&[0, 0, 0]);
        assert!(VoiceOver::from_bytes(&longer).is_err(), "trailing bytes");
        let at = bytes.windows(9).position(|w| w == b"\"version\"").unwrap() + 10;
        let mut version = bytes.clone();
        version[at] = b'7';
        assert!(VoiceOver::from_bytes(&version).is_err(), "unknown version");
        assert!(VoiceOver::from_bytes(&bytes[..60]).is_err(), "manifest cut short");
        assert!(VoiceOver::from_bytes(b"RIFF\x04\0\0\0WAVE").is_err(), "no chunks");
        let mut nan = bytes.clone();
        let at = bytes.len() - 4;
        nan[at..].copy_from_slice(&f32::NAN.to_le_bytes());
        assert!(VoiceOver::from_bytes(&nan).is_err(), "a NaN sample");
    }
}
