//! Speech synthesis: the port the renderer speaks through, and a local engine.
//!
//! The port ([`SpeechSynthesizer`]) turns a line of text and a voice into mono PCM with phrase
//! and word timings, so captions can follow the voice. The local engine ([`KokoroEngine`]) runs
//! Kokoro-82M (int8 ONNX) on the CPU through a dynamically loaded ONNX Runtime: no network at
//! run time and no GPL code linked (English G2P is misaki without its espeak fallback, Chinese
//! is jieba + pinyin + a pinyin→IPA table).

mod g2p;
mod kokoro;
mod local;
mod models;
pub mod normalize;
mod port;
mod vocab;

pub use kokoro::{KokoroEngine, catalogue};
pub use local::LocalSpeech;
pub use models::{ModelPaths, models_dir};
pub use port::{Gender, Speech, SpeechError, SpeechSynthesizer, Timing, Voice, VoiceId};
