//! The encoder port: turns a stream of composed I420 frames into an MP4 file. The renderer only
//! knows [`Encoder`]; the bundled adapter ([`BundledH264`]: openh264 compiled from source + the
//! muxide muxer) is the embedded default, and a system ffmpeg/libx264 adapter can implement the
//! same trait (pull frames in order with [`stream_frames`] and pipe them to the process).
//!
//! Frames are pulled, not pushed: an encoder asks a [`FrameSource`] for the frames it wants, in
//! whatever order and from as many threads as suits it, and [`stream_frames`] composes them in
//! parallel batches and hands them over through a bounded channel, so memory stays bounded
//! whatever the video's length.

mod openh264;

use std::{ops::Range, path::Path, sync::mpsc};

use rayon::prelude::*;

pub use self::openh264::BundledH264;
use crate::yuv::Yuv420;

/// Something that can draw any frame of a video on demand, from any thread.
pub trait FrameSource: Sync {
    fn frame_count(&self) -> u32;
    /// Draws frame `index` into `out` (already sized to the video).
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
    /// The bitrate we aim for at a frame size: ~7 Mbps for 1080x1920 at 30 fps, proportionally
    /// less for smaller frames, never below 3 Mbps (openh264 is Baseline only: it needs the bits).
    pub fn for_frame(width: u32, height: u32, fps: u32) -> Self {
        let pixels_per_s = width as f64 * height as f64 * fps as f64;
        let bitrate = (pixels_per_s * 7_000_000.0 / (1080.0 * 1920.0 * 30.0)).max(3_000_000.0) as u32;
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
}

/// The encoder port. Implementations write a complete, faststart MP4 at `output` (atomically:
/// nothing is left at `output` on failure).
pub trait Encoder: Send + Sync {
    /// The short name recorded with the video (`openh264`).
    fn name(&self) -> &'static str;
    /// A human description for job events (`openh264 (bundled)`).
    fn describe(&self) -> String;
    fn encode(&self, spec: &EncodeSpec, frames: &dyn FrameSource, output: &Path) -> Result<EncodeReport, EncodeError>;
}

/// Composes frames `range` of `source` in parallel batches on the rayon pool and hands them to
/// `consume` in order, through a channel of `depth` frames. At most `depth` + one batch of frames
/// exist at any time. Stops early (and stops composing) when `consume` fails.
pub fn stream_frames(
    source: &dyn FrameSource,
    (width, height): (u32, u32),
    range: Range<u32>,
    depth: usize,
    mut consume: impl FnMut(u32, Yuv420) -> Result<(), EncodeError>,
) -> Result<(), EncodeError> {
    let batch = rayon::current_num_threads().clamp(2, 8) as u32;
    let (tx, rx) = mpsc::sync_channel::<Yuv420>(depth.max(1));
    std::thread::scope(|s| {
        let start = range.start;
        let end = range.end;
        s.spawn(move || {
            let mut at = start;
            while at < end {
                let next = (at + batch).min(end);
                let frames: Vec<Yuv420> = (at..next)
                    .into_par_iter()
                    .map(|i| {
                        let mut f = Yuv420::new(width, height);
                        source.render(i, &mut f);
                        f
                    })
                    .collect();
                for f in frames {
                    if tx.send(f).is_err() {
                        return; // the consumer gave up
                    }
                }
                at = next;
            }
        });
        let result = (|| {
            for i in range.clone() {
                let Ok(frame) = rx.recv() else {
                    return Err(EncodeError::Codec("frame producer stopped early".into()));
                };
                consume(i, frame)?;
            }
            Ok(())
        })();
        drop(rx); // unblocks the producer if we stopped early
        result
    })
}
