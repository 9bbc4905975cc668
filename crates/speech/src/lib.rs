//! Speech synthesis: the local engine behind the providers' speech port.
//!
//! [`KokoroEngine`] turns a line of text and a catalogue voice ([`glimvid_domain::Voice`]) into
//! mono PCM with phrase and word timings ([`glimvid_providers::Speech`]), so captions follow the
//! voice; [`LocalSpeech`] puts it on the async port the renderer calls. It runs Kokoro-82M
//! (int8 ONNX) on the CPU through a dynamically loaded ONNX Runtime: no network at run time and
//! no GPL code linked (English G2P is misaki without its espeak fallback, Chinese is jieba +
//! pinyin + a pinyin→IPA table).

mod error;
mod g2p;
mod kokoro;
mod local;
mod models;
pub mod normalize;
mod vocab;

pub use error::SpeechError;
pub use kokoro::KokoroEngine;
pub use local::LocalSpeech;
pub use models::{ModelPaths, models_dir};
