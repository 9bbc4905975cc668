//! The local media engine: the embedded default for every provider port. It writes scripts
//! offline, enhances photos and renders H.264 MP4 videos, all in Rust with nothing to install.
//!
//! - [`upload`]: sniffs, bounds and re-encodes an uploaded photo without its metadata.
//! - [`enhance`]: [`LocalEnhancer`], the local [`glimvid_providers::ImageEnhancer`].
//! - [`render`]: [`LocalRenderer`], the local [`glimvid_providers::VideoGenerator`].
//! - [`encode`]: the [`encode::Encoder`] port the renderer streams frames into, with the bundled
//!   openh264 + muxide adapter and the system ffmpeg/libx264 adapter.
//! - [`audio`]: the soundtrack (mix, ducking, R128 mastering, AAC-LC) and subtitle files.
//! - [`music`]: the bundled background music library (licences in `assets/music`).
//! - [`probe`]: reads back an MP4 (boxes, timing, every frame decoded) for tests and checks.

pub mod audio;
pub mod encode;
pub mod enhance;
mod imaging;
pub mod music;
pub mod offline_writer;
pub mod probe;
pub mod render;
mod text;
pub mod upload;
pub mod voice_samples;
pub mod yuv;

pub use encode::{BundledH264, Encoder, EncoderChoice, FfmpegEncoder};
pub use enhance::LocalEnhancer;
pub use offline_writer::OfflineScriptWriter;
pub use probe::{Mp4Info, probe_mp4};
pub use render::LocalRenderer;
pub use upload::{DecodePlan, SanitizedImage, UploadError, UploadLimits, plan, plan_header, sanitize, worst_case_peak};
