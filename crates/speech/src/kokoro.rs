//! The local engine: Kokoro-82M int8 ONNX on the CPU.
//!
//! A line's phrases (clauses, or at most [`MAX_PHRASE_TOKENS`] phonemes of a long one) go to the
//! model together, up to [`MAX_RUN_TOKENS`] per run: every run pays for a lead-in the decoder
//! renders silent, so fewer runs are cheaper. The model (as `scripts/fetch-voices` derives it)
//! says how many frames each token got; from those the engine cuts each phrase out exactly,
//! trims its quiet edges, places it, and follows it with the pause its punctuation asks for, and
//! times every word by its own frames. A run's closing mark and end pad are capped to one frame,
//! so the model does not render the silence the engine would cut.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Mutex, OnceLock};

use ort::environment::Environment;
use ort::session::Session;
use ort::session::builder::GraphOptimizationLevel;
use ort::value::Tensor;

use crate::g2p::{English, Mandarin, Word, ascii_marks, ascii_punctuation, french_word, spanish_word};
use crate::models::{ModelPaths, models_dir};
use crate::normalize::{self, Script};
use glimvid_domain::{Language, Voice};
use glimvid_providers::{Speech, TimedText};

use crate::error::SpeechError;
use crate::vocab;

/// Kokoro's output rate.
pub const SAMPLE_RATE: u32 = 24_000;
/// Longest phrase (one caption), in phoneme tokens.
pub const MAX_PHRASE_TOKENS: usize = 60;
/// Most phoneme tokens per model run (the model takes 510; the decoder's memory grows with the
/// run's audio, ~10 s at this length).
pub const MAX_RUN_TOKENS: usize = 160;
/// Samples per duration frame of the model.
const FRAME: usize = 600;
/// The word separator's token.
const SPACE: i64 = 16;

/// Style vectors per voice file: one per input length, 256 floats each.
const STYLE_ROWS: usize = 510;
const STYLE_DIM: usize = 256;
/// Intra-op threads: the machine has two cores.
const THREADS: usize = 2;

/// ONNX Runtime allows one environment per process; it is loaded from the first engine's
/// library path and kept for the process's life.
static ENVIRONMENT: OnceLock<Result<Environment, String>> = OnceLock::new();

fn environment(lib: &Path) -> Result<&'static Environment, SpeechError> {
    let env = ENVIRONMENT.get_or_init(|| {
        ort::init_from(lib).map_err(|e| e.to_string())?.with_name("glimvid-speech").build().map_err(|e| e.to_string())
    });
    env.as_ref().map_err(|e| SpeechError::Runtime(e.clone()))
}

/// Kokoro with the style vectors of every catalogue voice ([`Voice::ALL`]).
pub struct KokoroEngine {
    session: Mutex<Session>,
    /// Style vectors per voice.
    styles: HashMap<Voice, Vec<f32>>,
    english: English,
    mandarin: Mandarin,
}

impl KokoroEngine {
    /// Loads from `GLIMVID_MODELS_DIR` (or the default cache).
    pub fn from_env() -> Result<Self, SpeechError> {
        Self::load(&ModelPaths::under(&models_dir()))
    }

    pub fn load(paths: &ModelPaths) -> Result<Self, SpeechError> {
        paths.check()?;
        let env = environment(&paths.onnxruntime)?;
        let rt = |e: ort::Error| SpeechError::Runtime(e.to_string());
        let session = Session::builder(env)
            .map_err(rt)?
            .with_intra_threads(THREADS)
            .map_err(|e| SpeechError::Runtime(e.to_string()))?
            .with_inter_threads(1)
            .map_err(|e| SpeechError::Runtime(e.to_string()))?
            .with_optimization_level(GraphOptimizationLevel::Level3)
            .map_err(|e| SpeechError::Runtime(e.to_string()))?
            // Spinning threads burn a core while waiting; on a shared two-core machine that
            // time is better left to the other thread (and to the video encoder).
            .with_intra_op_spinning(false)
            .map_err(|e| SpeechError::Runtime(e.to_string()))?
            .commit_from_file(&paths.model)
            .map_err(rt)?;
        let styles = Voice::ALL
            .iter()
            .map(|&v| Ok((v, read_style(&paths.voices_dir.join(format!("{}.bin", v.id())))?)))
            .collect::<Result<HashMap<_, _>, SpeechError>>()?;
        Ok(Self { session: Mutex::new(session), styles, english: English::new(), mandarin: Mandarin::new() })
    }

    /// The voices it speaks: every one of the catalogue.
    pub fn voices(&self) -> &'static [Voice] {
        Voice::ALL
    }

    /// Says `text` in `voice` at its natural pace.
    pub fn synthesize(&self, text: &str, voice: Voice) -> Result<Speech, SpeechError> {
        self.synthesize_paced(text, voice, 1.0)
    }

    /// The words of a line for a voice of `language`, in speaking order.
    pub fn words(&self, text: &str, language: Language) -> Vec<Word> {
        let default = if language == Language::Zh { Script::Han } else { Script::Latin };
        let cleaned = normalize::clean(text);
        let mut words = Vec::new();
        for mut run in normalize::split_runs(&cleaned, default) {
            if run.script == Script::Latin {
                // Full-width marks after a Latin word in a Chinese line (`Glimvid！`) still end
                // a phrase.
                run.text = ascii_marks(&run.text);
            }
            match run.script {
                Script::Han => words.extend(self.mandarin.words(&normalize::chinese_numbers(&run.text))),
                Script::Latin if language == Language::Es => {
                    words.extend(rule_words(&normalize::spanish_numbers(&run.text), spanish_word))
                }
                Script::Latin if language == Language::Fr => {
                    words.extend(rule_words(&normalize::french_numbers(&run.text), french_word))
                }
                Script::Latin => words.extend(self.english.words(&normalize::english_numbers(&run.text))),
            }
        }
        words
    }

    /// Audio and each token's frames for `ids` (without the edge pads, which this adds).
    fn run_model(&self, ids: &[i64], caps: &[f32], style: &[f32], pace: f32) -> Result<Rendered, SpeechError> {
        let n = ids.len();
        let row = n.min(STYLE_ROWS - 1);
        let style_row = style[row * STYLE_DIM..(row + 1) * STYLE_DIM].to_vec();
        let mut tokens = Vec::with_capacity(n + 2);
        tokens.push(0_i64);
        tokens.extend_from_slice(ids);
        tokens.push(0);
        let rt = |e: ort::Error| SpeechError::Runtime(e.to_string());
        let tokens = Tensor::from_array(([1_usize, n + 2], tokens)).map_err(rt)?;
        let style_t = Tensor::from_array(([1_usize, STYLE_DIM], style_row)).map_err(rt)?;
        let speed = Tensor::from_array(([1_usize], vec![pace])).map_err(rt)?;
        let caps = Tensor::from_array(([n + 2], caps.to_vec())).map_err(rt)?;
        let mut session = self.session.lock().map_err(|_| SpeechError::Runtime("session lock poisoned".into()))?;
        let outputs = session.run(ort::inputs![tokens, style_t, speed, caps]).map_err(rt)?;
        let (_, audio) = outputs["audio"].try_extract_tensor::<f32>().map_err(rt)?;
        let (_, frames) = outputs["durations"].try_extract_tensor::<f32>().map_err(rt)?;
        if frames.len() != n + 2 {
            return Err(SpeechError::Runtime(format!("the model timed {} tokens of {}", frames.len(), n + 2)));
        }
        let mut ends = Vec::with_capacity(n + 2);
        let mut at = 0_usize;
        for f in frames {
            at += f.max(0.0).round() as usize * FRAME;
            ends.push(at.min(audio.len()));
        }
        Ok(Rendered { audio: audio.to_vec(), ends })
    }
}

/// A run's audio and where each of its tokens (pads included) ends, in samples.
struct Rendered {
    audio: Vec<f32>,
    ends: Vec<usize>,
}

impl Rendered {
    /// Samples of the run's token `i` (0 is the first phoneme, after the lead pad).
    fn token(&self, i: usize) -> (usize, usize) {
        (self.ends[i], self.ends[i + 1])
    }
}

/// A spoken word of a phrase: its index among the phrase's words, and its tokens in the run.
type WordTokens = (usize, std::ops::Range<usize>);

/// One model run: its tokens, and for each phrase its spoken words.
struct Run<'p> {
    ids: Vec<i64>,
    phrases: Vec<(&'p Phrase, Vec<WordTokens>)>,
}

impl<'p> Run<'p> {
    /// Packs phrases into runs of at most [`MAX_RUN_TOKENS`] tokens, in order.
    fn pack(phrases: &'p [Phrase]) -> Vec<Run<'p>> {
        let mut runs: Vec<Run<'p>> = Vec::new();
        for phrase in phrases {
            // The phrase's tokens as misaki joins them: a space between words, none before
            // punctuation; word ranges relative to the phrase.
            let mut ids = Vec::new();
            let mut words = Vec::new();
            for (k, word) in phrase.words.iter().enumerate() {
                if k > 0 && !word.is_punctuation() {
                    ids.push(SPACE);
                }
                let start = ids.len();
                ids.extend(vocab::encode(&word.phonemes));
                if !word.is_punctuation() && ids.len() > start {
                    words.push((k, start..ids.len()));
                }
            }
            if words.is_empty() {
                continue;
            }
            // A space after the previous phrase's mark.
            match runs.last_mut() {
                Some(run) if run.ids.len() + 1 + ids.len() <= MAX_RUN_TOKENS => run.ids.push(SPACE),
                _ => runs.push(Run { ids: Vec::new(), phrases: Vec::new() }),
            }
            let run = runs.last_mut().expect("a run is open");
            let at = run.ids.len();
            run.ids.extend(ids);
            run.phrases.push((phrase, words.into_iter().map(|(k, r)| (k, r.start + at..r.end + at)).collect()));
        }
        runs
    }

    /// Frame caps: none but on the end pad and a closing mark, whose frames would be silence
    /// the engine cuts anyway.
    fn caps(&self) -> Vec<f32> {
        let mut caps = vec![f32::MAX; self.ids.len() + 2];
        let last_spoken = self.phrases.last().and_then(|(_, w)| w.last()).map_or(0, |(_, r)| r.end);
        for cap in &mut caps[last_spoken + 1..] {
            *cap = 1.0;
        }
        caps
    }
}

/// Words of a run in a language read by spelling rules (`word` gives one word's IPA).
fn rule_words(text: &str, word: fn(&str) -> String) -> Vec<Word> {
    let mut words = Vec::new();
    let mut current = String::new();
    let flush = |current: &mut String, words: &mut Vec<Word>| {
        if !current.is_empty() {
            let phonemes = word(current);
            if !phonemes.is_empty() {
                words.push(Word { text: std::mem::take(current), phonemes });
            }
            current.clear();
        }
    };
    for c in text.chars() {
        if c.is_alphabetic() || (c == '\'' && !current.is_empty()) {
            current.push(c);
        } else {
            flush(&mut current, &mut words);
            if let Some(p) = ascii_punctuation(c) {
                words.push(Word { text: c.to_string(), phonemes: p.to_string() });
            }
        }
    }
    flush(&mut current, &mut words);
    words
}

fn read_style(path: &Path) -> Result<Vec<f32>, SpeechError> {
    let bytes = std::fs::read(path).map_err(|source| SpeechError::Io { path: path.display().to_string(), source })?;
    if bytes.len() != STYLE_ROWS * STYLE_DIM * 4 {
        return Err(SpeechError::InvalidVoice(path.display().to_string()));
    }
    Ok(bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect())
}

/// A phrase to synthesize: its words and the pause after it.
#[derive(Debug, Default)]
pub(crate) struct Phrase {
    pub words: Vec<Word>,
}

impl Phrase {
    /// Phonemes joined as misaki does: a space between words, none before punctuation.
    #[cfg(test)]
    pub fn phonemes(&self) -> String {
        let mut s = String::new();
        for w in &self.words {
            if !s.is_empty() && !w.is_punctuation() {
                s.push(' ');
            }
            s.push_str(&w.phonemes);
        }
        s
    }

    pub fn text(&self, spaced: bool) -> String {
        let mut s = String::new();
        for w in &self.words {
            if spaced && !s.is_empty() && !w.is_punctuation() {
                s.push(' ');
            }
            s.push_str(&w.text);
        }
        s
    }

    /// Silence after the phrase: longer after a sentence than after a comma.
    pub fn pause_s(&self) -> f64 {
        match self.words.last().map(|w| w.phonemes.chars().last()) {
            Some(Some('.' | '!' | '?' | '…')) => 0.30,
            Some(Some(',' | ';' | ':' | '—')) => 0.15,
            _ => 0.08,
        }
    }
}

/// Packs words into phrases: a phrase ends at clause punctuation or before it would pass
/// [`MAX_PHRASE_TOKENS`].
pub(crate) fn phrases(words: Vec<Word>) -> Vec<Phrase> {
    let mut out = Vec::new();
    let mut current = Phrase::default();
    let mut tokens = 0;
    for word in words {
        let cost = vocab::encode(&word.phonemes).len() + 1;
        if !word.is_punctuation() && tokens > 0 && tokens + cost > MAX_PHRASE_TOKENS {
            out.push(std::mem::take(&mut current));
            tokens = 0;
        }
        tokens += cost;
        let ends = word.is_punctuation()
            && word.phonemes.chars().any(|c| matches!(c, '.' | '!' | '?' | ',' | ';' | ':' | '…' | '—'));
        current.words.push(word);
        if ends {
            out.push(std::mem::take(&mut current));
            tokens = 0;
        }
    }
    if !current.words.is_empty() {
        out.push(current);
    }
    out.retain(|p| p.words.iter().any(|w| !w.is_punctuation()));
    out
}

/// Sample range of `audio` louder than a silence floor, with a few ms of margin.
fn voiced_range(audio: &[f32]) -> (usize, usize) {
    const FLOOR: f32 = 0.01;
    const MARGIN: usize = (SAMPLE_RATE as usize) / 50; // 20 ms
    let first = audio.iter().position(|s| s.abs() > FLOOR);
    let last = audio.iter().rposition(|s| s.abs() > FLOOR);
    match (first, last) {
        (Some(a), Some(b)) => (a.saturating_sub(MARGIN), (b + MARGIN + 1).min(audio.len())),
        _ => (0, 0),
    }
}

impl KokoroEngine {
    /// Says `text` in `voice`, `pace` times its natural speed (clamped to 0.5..=2.0). Blocking
    /// and CPU bound: call it from a blocking thread ([`crate::LocalSpeech`] does).
    pub fn synthesize_paced(&self, text: &str, voice: Voice, pace: f32) -> Result<Speech, SpeechError> {
        let pace = if pace.is_finite() { pace.clamp(0.5, 2.0) } else { 1.0 };
        let style = self.styles.get(&voice).ok_or_else(|| SpeechError::InvalidVoice(voice.id().to_string()))?;
        let language = voice.language();
        let rate = f64::from(SAMPLE_RATE);
        let mut speech = Speech { sample_rate: SAMPLE_RATE, ..Speech::default() };
        let phrases = phrases(self.words(text, language));
        for run in Run::pack(&phrases) {
            let rendered = self.run_model(&run.ids, &run.caps(), style, pace)?;
            for (phrase, words) in &run.phrases {
                let (Some((_, first)), Some((_, last))) = (words.first(), words.last()) else { continue };
                // The phrase's own frames, then its quiet edges trimmed as a whole phrase's were.
                let (from, _) = rendered.token(first.start);
                let (_, to) = rendered.token(last.end - 1);
                let (a, b) = voiced_range(&rendered.audio[from..to]);
                if a >= b {
                    continue;
                }
                let (from, to) = (from + a, from + b);
                let offset = speech.samples.len();
                speech.samples.extend_from_slice(&rendered.audio[from..to]);
                let at = |sample: usize| (offset + sample.clamp(from, to) - from) as f64 / rate;
                for (k, range) in words {
                    let start = at(rendered.token(range.start).0);
                    let end = at(rendered.token(range.end - 1).1);
                    if end > start {
                        speech.words.push(TimedText { start, end, text: phrase.words[*k].text.clone() });
                    }
                }
                speech.phrases.push(TimedText {
                    start: offset as f64 / rate,
                    end: speech.samples.len() as f64 / rate,
                    text: phrase.text(language != Language::Zh),
                });
                let pause = (phrase.pause_s() / f64::from(pace) * rate) as usize;
                speech.samples.extend(std::iter::repeat_n(0.0, pause));
            }
        }
        Ok(speech)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(text: &str, phonemes: &str) -> Word {
        Word { text: text.into(), phonemes: phonemes.into() }
    }

    #[test]
    fn phrases_break_at_punctuation_and_length() {
        let words = vec![w("Hi", "hˈI"), w(",", ","), w("there", "ðˈɛɹ"), w(".", ".")];
        let ps = phrases(words);
        assert_eq!(ps.len(), 2);
        assert_eq!(ps[0].phonemes(), "hˈI,");
        assert_eq!(ps[1].text(true), "there.");
        let long: Vec<Word> = (0..40).map(|_| w("word", "wˈɜɹd")).collect();
        let ps = phrases(long);
        assert!(ps.len() >= 4);
        assert!(ps.iter().all(|p| vocab::encode(&p.phonemes()).len() <= MAX_PHRASE_TOKENS));
    }

    #[test]
    fn runs_join_phrases_as_misaki_does_and_know_each_words_tokens() {
        let ps = phrases(vec![w("Hi", "hˈI"), w(",", ","), w("there", "ðˈɛɹ"), w(".", ".")]);
        let runs = Run::pack(&ps);
        assert_eq!(runs.len(), 1, "two short phrases share a run");
        let run = &runs[0];
        assert_eq!(run.ids, vocab::encode("hˈI, ðˈɛɹ."));
        let spans: Vec<Vec<WordTokens>> = run.phrases.iter().map(|(_, w)| w.clone()).collect();
        assert_eq!(spans, vec![vec![(0, 0..3)], vec![(0, 5..9)]]);
        // Only the closing mark and the end pad are capped.
        let caps = run.caps();
        assert_eq!(caps.len(), run.ids.len() + 2);
        assert!(caps[..=9].iter().all(|c| *c > 1e6), "{caps:?}");
        assert_eq!(&caps[10..], &[1.0, 1.0]);
    }

    #[test]
    fn long_lines_take_several_runs_in_order() {
        let long: Vec<Word> = (0..120).flat_map(|_| [w("word", "wˈɜɹd"), w(",", ",")]).collect();
        let ps = phrases(long);
        let runs = Run::pack(&ps);
        assert!(runs.len() > 1);
        assert!(runs.iter().all(|r| r.ids.len() <= MAX_RUN_TOKENS));
        assert_eq!(runs.iter().map(|r| r.phrases.len()).sum::<usize>(), ps.len());
    }

    #[test]
    fn full_width_marks_after_latin_words_end_phrases() {
        let mut run = normalize::split_runs("欢迎使用 Glimvid！今天", Script::Han);
        assert_eq!(run.len(), 3);
        let latin = run.remove(1);
        let mapped: String =
            latin.text.chars().map(|c| if c.is_ascii() { c } else { ascii_punctuation(c).unwrap_or(c) }).collect();
        assert_eq!(mapped, "Glimvid!");
    }

    #[test]
    fn voiced_range_trims_silence() {
        let mut a = vec![0.0_f32; 2400];
        a.extend(vec![0.5_f32; 100]);
        a.extend(vec![0.0_f32; 2400]);
        let (s, e) = voiced_range(&a);
        assert_eq!(s, 2400 - 480);
        assert_eq!(e, 2500 + 480);
    }
}
