//! The bundled encoder: Cisco's openh264 (compiled from source by the `openh264` crate) and the
//! pure-Rust muxide MP4 muxer. Nothing to install.
//!
//! openh264 encodes one slice per encoder, single-threaded, so the video is cut into contiguous
//! chunks, one per core, each encoded by its own encoder (so each starts with an IDR frame); the
//! Annex-B access units are concatenated in order and muxed with the index first (faststart).
//! Settings follow the pitfalls measured in BUILD_NOTES.md: an explicit bitrate in bitrate mode,
//! no frame skipping, the real frame rate, camera-video usage.

use std::{fs::File, io::BufWriter, path::Path};

use muxide::api::{MuxerBuilder, VideoCodec};
use openh264::{
    OpenH264API, Timestamp,
    encoder::{
        BitRate, Complexity, Encoder as H264Encoder, EncoderConfig, FrameRate, FrameType, IntraFramePeriod, QpRange,
        RateControlMode, UsageType, VuiConfig,
    },
    formats::YUVSlices,
};

use super::{
    EncodeError, EncodeReport, EncodeSpec, Encoder, FrameSource, partial_path, pool_batch, settle_partial,
    stream_frames,
};

/// A chunk shorter than this is not worth a second encoder (and its extra IDR frame).
const MIN_CHUNK_FRAMES: u32 = 45;
/// From this length on (30 s at 30 fps), one encoder per core rather than two.
const LONG_VIDEO_FRAMES: u32 = 900;
/// Frames composed ahead of each encoder.
const QUEUE_DEPTH: usize = 2;
/// An IDR every few seconds keeps seeking in players quick.
const KEYFRAME_INTERVAL_S: u32 = 4;
/// The finest quantiser rate control may use (see `encoder_config`).
const MIN_QP: u8 = 20;

/// openh264 + muxide. `chunks` = how many encoders run side by side (default: two per core for
/// a video under 30 s, one per core from 30 s on).
#[derive(Debug, Clone, Default)]
pub struct BundledH264 {
    chunks: Option<usize>,
}

impl BundledH264 {
    pub fn new() -> Self {
        Self::default()
    }

    /// Forces the number of parallel chunks (1 = a single encoder, one IDR at the start).
    pub fn with_chunks(chunks: usize) -> Self {
        Self { chunks: Some(chunks.max(1)) }
    }

    /// Contiguous frame ranges, one per encoder. By default two per core for a short video:
    /// encoders run at different speeds (titles, transitions), and with more chunks than cores
    /// the last second still keeps every core busy instead of waiting on the slowest half. Each
    /// encoder holds ~35 MB at 1080x1920, and on a long video that tail is a small part of the
    /// time, so from `LONG_VIDEO_FRAMES` on there is one per core. Where the cuts can sit on the
    /// keyframe cadence without merging chunks they do, so a chunk's opening IDR is one the
    /// video would have had anyway.
    fn chunk_ranges(&self, frames: u32, keyframe_every: u32) -> Vec<std::ops::Range<u32>> {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get()).min(4);
        let per_core = if frames < LONG_VIDEO_FRAMES { 2 } else { 1 };
        let wanted = self.chunks.unwrap_or(cores * per_core) as u32;
        let n = wanted.min((frames / MIN_CHUNK_FRAMES).max(1)).max(1);
        let cuts: Vec<u32> = (0..=n).map(|i| frames * i / n).collect();
        let k = keyframe_every.max(1);
        let snapped: Vec<u32> =
            cuts.iter().map(|&c| if c == frames { c } else { ((c + k / 2) / k * k).min(frames) }).collect();
        let cuts = if snapped.windows(2).all(|w| w[0] < w[1]) { snapped } else { cuts };
        cuts.windows(2).map(|w| w[0]..w[1]).collect()
    }
}

/// One encoded access unit (Annex-B).
struct Unit {
    data: Vec<u8>,
    keyframe: bool,
}

fn codec_err(e: impl std::fmt::Display) -> EncodeError {
    EncodeError::Codec(e.to_string())
}

/// The encoder settings for `spec` (one per chunk; public for the `bench` example).
pub fn encoder_config(spec: &EncodeSpec) -> EncoderConfig {
    EncoderConfig::new()
        .bitrate(BitRate::from_bps(spec.bitrate))
        .max_frame_rate(FrameRate::from_hz(spec.fps as f32))
        .rate_control_mode(RateControlMode::Bitrate)
        .usage_type(UsageType::CameraVideoRealTime)
        .skip_frames(false)
        // Low complexity is ~1.5x faster than medium for 0.2 dB (measured at 7 Mbps, 1080x1920).
        .complexity(Complexity::Low)
        .intra_frame_period(IntraFramePeriod::from_num_frames(spec.fps * KEYFRAME_INTERVAL_S))
        .num_threads(1)
        .vui(VuiConfig::bt709())
        // Background detection codes "still" blocks as skips: on a slow Ken Burns move that costs
        // 1-1.7 dB at the same bitrate (measured on the anchor job) and saves no time.
        .background_detection(false)
        // Keyframes are ours to place (each chunk starts with one, then every few seconds).
        .scene_change_detect(false)
        // A quality floor. Without it, rate control spends the bitrate left over by easy frames
        // (the outro card, a slow shot) on quantisers down to 12, far past anything visible:
        // the anchor job's outro came out at 52-59 dB luma PSNR. Floored at 20 it keeps 49-52 dB
        // there and the hard shots as they were (41.7-41.9 dB), for 16 % fewer bytes and ~3 %
        // less encoding time (-0.1 dB over the whole video).
        .qp(QpRange::new(MIN_QP, 51))
}

fn encode_chunk(
    spec: &EncodeSpec,
    frames: &dyn FrameSource,
    range: std::ops::Range<u32>,
    batch: u32,
) -> Result<Vec<Unit>, EncodeError> {
    let config = encoder_config(spec);
    let mut encoder = H264Encoder::with_api_config(OpenH264API::from_source(), config).map_err(codec_err)?;
    let mut units = Vec::with_capacity(range.len());
    let first = range.start;
    let (w, h) = (spec.width as usize, spec.height as usize);
    stream_frames(frames, (spec.width, spec.height), range, QUEUE_DEPTH, batch, |index, frame| {
        if index == first {
            encoder.force_intra_frame();
        }
        let yuv = YUVSlices::new((frame.y(), frame.u(), frame.v()), (w, h), (w, w / 2, w / 2));
        let ts = Timestamp::from_millis(index as u64 * 1000 / spec.fps as u64);
        let bitstream = encoder.encode_at(&yuv, ts).map_err(codec_err)?;
        let keyframe = matches!(bitstream.frame_type(), FrameType::IDR);
        let data = bitstream.to_vec();
        if data.is_empty() {
            return Err(EncodeError::Codec(format!("frame {index} produced no data (skipped)")));
        }
        if index == first && !keyframe {
            return Err(EncodeError::Codec(format!("chunk starting at frame {index} does not start with an IDR")));
        }
        units.push(Unit { data, keyframe });
        Ok(())
    })?;
    Ok(units)
}

impl Encoder for BundledH264 {
    fn name(&self) -> &'static str {
        "openh264"
    }

    fn describe(&self) -> String {
        "openh264 (bundled)".into()
    }

    fn encode(&self, spec: &EncodeSpec, frames: &dyn FrameSource, output: &Path) -> Result<EncodeReport, EncodeError> {
        let total = frames.frame_count();
        if total == 0 {
            return Err(EncodeError::Codec("no frames to encode".into()));
        }
        let ranges = self.chunk_ranges(total, spec.fps * KEYFRAME_INTERVAL_S);
        // Several chunks side by side keep the cores busy: each composes its own frames, one at
        // a time (fewer frames in flight); a lone chunk composes on the whole pool.
        let batch = if ranges.len() >= pool_batch() as usize { 1 } else { pool_batch() };
        let chunks: Vec<Result<Vec<Unit>, EncodeError>> = std::thread::scope(|s| {
            let handles: Vec<_> =
                ranges.iter().cloned().map(|r| s.spawn(move || encode_chunk(spec, frames, r, batch))).collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|_| Err(EncodeError::Codec("an encoder thread panicked".into()))))
                .collect()
        });

        let part = partial_path(output);
        let result = (|| {
            let file = BufWriter::new(File::create(&part)?);
            let mut muxer = MuxerBuilder::new(file)
                .video(VideoCodec::H264, spec.width, spec.height, spec.fps as f64)
                .with_fast_start(true)
                .build()
                .map_err(|e| EncodeError::Mux(e.to_string()))?;
            let (mut index, mut keyframes) = (0u32, 0u32);
            for chunk in chunks {
                for unit in chunk? {
                    let pts = index as f64 / spec.fps as f64;
                    muxer.write_video(pts, &unit.data, unit.keyframe).map_err(|e| EncodeError::Mux(e.to_string()))?;
                    keyframes += unit.keyframe as u32;
                    index += 1;
                }
            }
            let stats = muxer.finish_in_place_with_stats().map_err(|e| EncodeError::Mux(e.to_string()))?;
            let file = muxer.into_writer().into_inner().map_err(|e| e.into_error())?;
            file.sync_all()?;
            Ok::<_, EncodeError>(EncodeReport {
                frames: index,
                keyframes,
                bytes: stats.bytes_written,
                encoder: "openh264",
            })
        })();
        settle_partial(&part, output, result)
    }
}

#[cfg(test)]
mod chunk_tests {
    use super::BundledH264;

    #[test]
    fn chunks_cover_every_frame_once_and_sit_on_the_keyframe_cadence() {
        let lens = |r: &[std::ops::Range<u32>]| r.iter().map(|c| c.len()).collect::<Vec<_>>();
        // 15 s at 30 fps, four chunks: cuts on the 4 s cadence (120 frames).
        let r = BundledH264::with_chunks(4).chunk_ranges(450, 120);
        assert_eq!(r, vec![0..120, 120..240, 240..360, 360..450]);
        // Too short for the cadence: even cuts rather than merged chunks.
        assert_eq!(lens(&BundledH264::with_chunks(4).chunk_ranges(180, 120)), vec![45, 45, 45, 45]);
        assert_eq!(BundledH264::with_chunks(2).chunk_ranges(96, 120), vec![0..48, 48..96]);
        // Short clips stay whole; any count covers 0..frames contiguously.
        assert_eq!(BundledH264::with_chunks(4).chunk_ranges(40, 120), vec![0..40]);
        for frames in [1u32, 45, 91, 300, 451, 1800, 1801] {
            for chunks in 1..=8 {
                let r = BundledH264::with_chunks(chunks).chunk_ranges(frames, 120);
                assert_eq!(r.first().unwrap().start, 0);
                assert_eq!(r.last().unwrap().end, frames);
                assert!(r.windows(2).all(|w| w[0].end == w[1].start && !w[0].is_empty()), "{frames} {chunks}: {r:?}");
            }
        }
    }
}
