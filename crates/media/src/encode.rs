//! The encoder port: turns a stream of composed I420 frames into an MP4 file. The renderer only
//! knows [`Encoder`]; the bundled adapter ([`BundledH264`]: openh264 compiled from source + the
//! muxide muxer) is the embedded default, and the system adapter ([`FfmpegEncoder`]: frames piped
//! raw into ffmpeg/libx264) is used when configured or found. [`EncoderChoice`] picks one.
//!
//! Frames are pulled, not pushed: an encoder asks a [`FrameSource`] for the frames it wants, in
//! whatever order and from as many threads as suits it, and [`stream_frames`] composes them in
//! parallel batches and hands them over through a bounded channel, so memory stays bounded
//! whatever the video's length.

mod ffmpeg;
mod openh264;

use std::{
    path::{Path, PathBuf},
    str::FromStr,
    sync::{Arc, mpsc},
};

use rayon::prelude::*;

pub use self::ffmpeg::{FfmpegEncoder, FfmpegUnavailable};
pub use self::openh264::{BundledH264, encoder_config};
use crate::{audio::aac::AacTrack, yuv::Yuv420};

/// Something that can draw any frame of a video on demand, from any thread.
pub trait FrameSource: Sync {
    fn frame_count(&self) -> u32;
    /// Draws frame `index` into `out` (sized to the video; a recycled frame: every sample must be
    /// drawn over).
    fn render(&self, index: u32, out: &mut Yuv420);
}

/// What to produce.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EncodeSpec {
    pub width: u32,
    pub height: u32,
    pub fps: u32,
    /// Target average bitrate, bits per second.
    pub bitrate: u32,
}

impl EncodeSpec {
    /// The bitrate we aim for at a frame size: ~4.5 Mbps for 1080x1920 at 30 fps, proportionally
    /// less for smaller frames, never below 2 Mbps. openh264 is Baseline only, but with its
    /// background detection off (see `encoder_config`) this keeps ~42.5 dB luma PSNR on the
    /// benchmark's photos, more than it reached at 7 Mbps with it on.
    pub fn for_frame(width: u32, height: u32, fps: u32) -> Self {
        let pixels_per_s = width as f64 * height as f64 * fps as f64;
        let bitrate = (pixels_per_s * 4_500_000.0 / (1080.0 * 1920.0 * 30.0)).max(2_000_000.0) as u32;
        Self { width, height, fps, bitrate }
    }
}

/// What an encoder produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodeReport {
    pub frames: u32,
    pub keyframes: u32,
    pub bytes: u64,
    /// The short encoder name recorded with the video (`openh264`, `libx264`).
    pub encoder: &'static str,
}

#[derive(Debug, thiserror::Error)]
pub enum EncodeError {
    #[error("encoder failed: {0}")]
    Codec(String),
    #[error("muxing failed: {0}")]
    Mux(String),
    #[error("writing the video failed: {0}")]
    Io(#[from] std::io::Error),
    /// The configured encoder cannot be used on this machine.
    #[error("{0}")]
    Unavailable(String),
}

/// The encoder port. Implementations write a complete, faststart MP4 at `output` (atomically:
/// nothing is left at `output` on failure).
pub trait Encoder: Send + Sync {
    /// The short name recorded with the video (`openh264`).
    fn name(&self) -> &'static str;
    /// A human description for job events (`openh264 (bundled)`).
    fn describe(&self) -> String;
    fn encode(&self, spec: &EncodeSpec, frames: &dyn FrameSource, output: &Path) -> Result<EncodeReport, EncodeError>;
    /// As [`Encoder::encode`], with `audio` (AAC-LC, as long as the video) as a second track.
    fn encode_with_audio(
        &self,
        spec: &EncodeSpec,
        frames: &dyn FrameSource,
        audio: &AacTrack,
        output: &Path,
    ) -> Result<EncodeReport, EncodeError>;
}

/// Which encoder adapter to use (`GLIMVID_ENCODER=auto|bundled|system`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EncoderChoice {
    /// ffmpeg with libx264 if found on PATH, else the bundled encoder.
    #[default]
    Auto,
    /// openh264 + muxide, nothing to install.
    Bundled,
    /// ffmpeg/libx264; an error if it is not installed.
    System,
}

impl EncoderChoice {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::Bundled => "bundled",
            Self::System => "system",
        }
    }

    /// Builds the encoder, with a sentence saying why it was chosen (for the job's events).
    /// `System` without a usable ffmpeg is a configuration error; `Auto` falls back.
    pub fn resolve(self) -> Result<(Arc<dyn Encoder>, String), EncodeError> {
        match self {
            Self::Bundled => Ok((Arc::new(BundledH264::new()), "configured".into())),
            Self::System => match FfmpegEncoder::detect() {
                Ok(e) => Ok((Arc::new(e), "configured".into())),
                Err(why) => Err(EncodeError::Unavailable(format!("the system encoder was configured but {why}"))),
            },
            Self::Auto => match FfmpegEncoder::detect() {
                Ok(e) => Ok((Arc::new(e), "auto: ffmpeg with libx264 found on PATH".into())),
                Err(why) => Ok((Arc::new(BundledH264::new()), format!("auto: {why}, so the bundled one"))),
            },
        }
    }
}

impl std::fmt::Display for EncoderChoice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown encoder {0:?}: expected auto, bundled or system")]
pub struct UnknownEncoder(String);

impl FromStr for EncoderChoice {
    type Err = UnknownEncoder;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(Self::Auto),
            "bundled" | "openh264" => Ok(Self::Bundled),
            "system" | "ffmpeg" | "libx264" => Ok(Self::System),
            _ => Err(UnknownEncoder(s.to_owned())),
        }
    }
}

/// `output` plus a `.part` suffix: the file is written there and renamed when complete.
pub(crate) fn partial_path(output: &Path) -> PathBuf {
    let mut name = output.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".part");
    output.with_file_name(name)
}

/// Settles an encode written to `part`: renamed to `output` when it succeeded, removed when it
/// failed, so that `output` only ever holds a finished file.
pub(crate) fn settle_partial(
    part: &Path,
    output: &Path,
    result: Result<EncodeReport, EncodeError>,
) -> Result<EncodeReport, EncodeError> {
    match result {
        Ok(report) => {
            std::fs::rename(part, output)?;
            Ok(report)
        }
        Err(e) => {
            let _ = std::fs::remove_file(part);
            Err(e)
        }
    }
}

/// Frames composed at once for a single stream: one per pool thread (at least two).
pub fn pool_batch() -> u32 {
    rayon::current_num_threads().clamp(2, 8) as u32
}

/// Composes the frames `indices` names, in that order, and hands them to `consume` through a
/// channel of `depth` frames. `indices` may be a range or drawn lazily (an encoder's lane claims
/// its frames one by one as it goes). With `batch` > 1 the frames are composed that many at a
/// time on the rayon pool; with 1, one at a time on the producer's own thread (for several
/// streams side by side, which already keep the cores busy). At most `depth` + `batch` frames
/// exist at any time; consumed frames go back to the producer to be drawn over (no allocation or
/// clearing per frame). Stops early (and stops composing) when `consume` fails.
pub fn stream_frames<I>(
    source: &dyn FrameSource,
    (width, height): (u32, u32),
    indices: I,
    depth: usize,
    batch: u32,
    mut consume: impl FnMut(u32, &Yuv420) -> Result<(), EncodeError>,
) -> Result<(), EncodeError>
where
    I: IntoIterator<Item = u32>,
    I::IntoIter: Send,
{
    let batch = batch.max(1) as usize;
    let mut indices = indices.into_iter();
    let (tx, rx) = mpsc::sync_channel::<(u32, Yuv420)>(depth.max(1));
    let (back_tx, back_rx) = mpsc::channel::<Yuv420>();
    std::thread::scope(|s| {
        s.spawn(move || {
            loop {
                let next: Vec<u32> = indices.by_ref().take(batch).collect();
                if next.is_empty() {
                    return;
                }
                let mut blank: Vec<Yuv420> = back_rx.try_iter().take(next.len()).collect();
                blank.resize_with(next.len(), || Yuv420::new(width, height));
                let draw = |(i, mut f): (u32, Yuv420)| {
                    source.render(i, &mut f);
                    (i, f)
                };
                let frames: Vec<(u32, Yuv420)> = if batch == 1 {
                    next.into_iter().zip(blank).map(draw).collect()
                } else {
                    next.into_par_iter().zip(blank).map(draw).collect()
                };
                for f in frames {
                    if tx.send(f).is_err() {
                        return; // the consumer gave up
                    }
                }
            }
        });
        // A producer that panics ends the stream early; the scope then passes its panic on.
        let result = rx.iter().try_for_each(|(i, frame)| {
            consume(i, &frame)?;
            let _ = back_tx.send(frame); // the producer may be done already
            Ok(())
        });
        drop(rx); // unblocks the producer if we stopped early
        result
    })
}

#[cfg(test)]
mod tests;
