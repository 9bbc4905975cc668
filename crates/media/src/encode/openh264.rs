//! The bundled encoder: Cisco's openh264 (compiled from source by the `openh264` crate) and the
//! pure-Rust muxide MP4 muxer. Nothing to install.
//!
//! openh264 encodes one slice per encoder, single-threaded, so one encoder runs per core, each
//! on its own lane of frames ([`Lanes`]: an even share to start with; a lane that runs dry takes
//! over half of what another has left). Every run of consecutive frames an encoder is given is a
//! chunk that starts with an IDR frame; the chunks' Annex-B access units are put back in frame
//! order and muxed with the index first (faststart).
//! Settings follow the pitfalls measured for docs/media-engine.md: an explicit bitrate in bitrate mode,
//! no frame skipping, the real frame rate, camera-video usage.

use std::{fs::File, io::BufWriter, path::Path, sync::Mutex};

use muxide::api::{AacProfile, AudioCodec, MuxerBuilder, VideoCodec};
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
use crate::{
    audio::aac::{AacTrack, FRAME_LEN},
    yuv::Yuv420,
};

/// A lane shorter than this is not worth a second encoder (and its extra IDR frame).
const MIN_CHUNK_FRAMES: u32 = 45;
/// The fewest frames a lane that has run dry takes over from another. Each takeover starts a
/// chunk, so it costs an IDR frame (~45 KB at 1080x1920, three P frames' worth) but no time: an
/// IDR frame takes about as long to encode as a P frame.
const MIN_STOLEN_FRAMES: u32 = 4;
/// Frames composed ahead of each encoder.
const QUEUE_DEPTH: usize = 2;
/// An IDR every few seconds keeps seeking in players quick.
const KEYFRAME_INTERVAL_S: u32 = 4;
/// The finest quantiser rate control may use (see `encoder_config`).
const MIN_QP: u8 = 22;

/// openh264 + muxide. `lanes` = how many encoders run side by side (default: one per core, at
/// most four).
#[derive(Debug, Clone, Default)]
pub struct BundledH264 {
    lanes: Option<usize>,
}

impl BundledH264 {
    pub fn new() -> Self {
        Self::default()
    }

    /// Forces the number of encoders side by side (1 = a single encoder, one chunk).
    pub fn with_lanes(lanes: usize) -> Self {
        Self { lanes: Some(lanes.max(1)) }
    }

    /// One encoder per core (at most four: each holds ~35 MB at 1080x1920), fewer for a short
    /// video. One per core, not more: two encoders taking turns on a core evict each other's
    /// frames from the cache, which cost ~3-5 % more CPU on the anchor job than one per core.
    fn lane_count(&self, frames: u32) -> usize {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get()).min(4);
        let wanted = self.lanes.unwrap_or(cores) as u32;
        wanted.min((frames / MIN_CHUNK_FRAMES).max(1)).max(1) as usize
    }
}

/// The frames of a video shared out among the encoders, one lane each. A lane starts with an
/// even share (a contiguous range); one that runs dry takes over the second half of the largest
/// share not yet handed out, as a new chunk. So the encoders finish together, whatever each
/// frame costs (a title card or an outro encodes in half the time of a moving photo).
struct Lanes {
    lanes: Mutex<Vec<Lane>>,
}

#[derive(Debug, Clone, Copy)]
struct Lane {
    /// The frames not handed out yet: `next..end`.
    next: u32,
    end: u32,
}

impl Lanes {
    fn new(frames: u32, lanes: usize) -> Self {
        let n = lanes.max(1) as u32;
        let lanes = (0..n).map(|i| Lane { next: frames * i / n, end: frames * (i + 1) / n }).collect();
        Self { lanes: Mutex::new(lanes) }
    }

    /// The next frame for lane `me`, or `None` when no frame is left that is worth taking. A
    /// frame taken over from another lane never follows the lane's previous one (half of at
    /// least `2 * MIN_STOLEN_FRAMES` frames lies between), so it starts a chunk.
    fn claim(&self, me: usize) -> Option<u32> {
        let mut lanes = self.lanes.lock().unwrap_or_else(|e| e.into_inner());
        let lane = &mut lanes[me];
        if lane.next < lane.end {
            lane.next += 1;
            return Some(lane.next - 1);
        }
        let (victim, left) =
            lanes.iter().enumerate().map(|(i, l)| (i, l.end.saturating_sub(l.next))).max_by_key(|&(_, left)| left)?;
        if left < 2 * MIN_STOLEN_FRAMES {
            return None;
        }
        let from = lanes[victim].next + left / 2;
        let end = std::mem::replace(&mut lanes[victim].end, from);
        lanes[me] = Lane { next: from + 1, end };
        Some(from)
    }

    /// Hands out nothing more (an encoder failed: the video is lost).
    fn stop(&self) {
        for lane in self.lanes.lock().unwrap_or_else(|e| e.into_inner()).iter_mut() {
            lane.end = lane.next;
        }
    }
}

/// One encoded access unit (Annex-B).
struct Unit {
    data: Vec<u8>,
    keyframe: bool,
}

/// Consecutive frames from `start`, encoded by one encoder from an IDR frame on.
struct Chunk {
    start: u32,
    units: Vec<Unit>,
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
        // the anchor job's outro came out at 52-59 dB luma PSNR. Measured on the anchor job
        // against our lossless frames (luma PSNR; the 150 hardest frames / all / the worst one):
        //   floor 20: 41.61 / 42.87 / 40.30 dB, 6533 KB;
        //   floor 22: 41.49 / 42.59 / 40.11 dB, 5549 KB, ~5 % less time than at 20;
        //   floor 24: 41.34 / 42.34 / 40.55 dB, 4071 KB, ~11 % less time than at 20.
        // At 22 the shots lose about a tenth of a dB, and the whole video stays above libx264
        // veryfast at CRF 23 on the same frames (42.0 dB).
        .qp(QpRange::new(MIN_QP, 51))
}

fn new_encoder(spec: &EncodeSpec) -> Result<H264Encoder, EncodeError> {
    H264Encoder::with_api_config(OpenH264API::from_source(), encoder_config(spec)).map_err(codec_err)
}

/// Encodes one frame into `chunk`. `fed` counts the frames this encoder has been given: its
/// timestamps only ever grow, even when its lane jumps to another part of the video.
fn encode_into(
    encoder: &mut H264Encoder,
    spec: &EncodeSpec,
    fed: &mut u64,
    chunk: &mut Chunk,
    frame: &Yuv420,
) -> Result<(), EncodeError> {
    let index = chunk.start + chunk.units.len() as u32;
    let (w, h) = (spec.width as usize, spec.height as usize);
    if chunk.units.is_empty() {
        encoder.force_intra_frame();
    }
    let yuv = YUVSlices::new((frame.y(), frame.u(), frame.v()), (w, h), (w, w / 2, w / 2));
    let ts = Timestamp::from_millis(*fed * 1000 / spec.fps as u64);
    *fed += 1;
    let bitstream = encoder.encode_at(&yuv, ts).map_err(codec_err)?;
    let keyframe = matches!(bitstream.frame_type(), FrameType::IDR);
    let data = bitstream.to_vec();
    if data.is_empty() {
        return Err(EncodeError::Codec(format!("frame {index} produced no data (skipped)")));
    }
    if chunk.units.is_empty() && !keyframe {
        return Err(EncodeError::Codec(format!("chunk starting at frame {index} does not start with an IDR")));
    }
    chunk.units.push(Unit { data, keyframe });
    Ok(())
}

/// The frames `indices` names, in that order, with one encoder, composed `batch` at a time
/// (see [`stream_frames`]). Each run of consecutive frames is a chunk that starts with an IDR
/// frame. Returns the chunks in the order encoded.
fn encode_run<I>(spec: &EncodeSpec, frames: &dyn FrameSource, indices: I, batch: u32) -> Result<Vec<Chunk>, EncodeError>
where
    I: IntoIterator<Item = u32>,
    I::IntoIter: Send,
{
    let mut encoder = new_encoder(spec)?;
    let (mut chunks, mut fed) = (Vec::<Chunk>::new(), 0);
    stream_frames(frames, (spec.width, spec.height), indices, QUEUE_DEPTH, batch, |index, frame| {
        if chunks.last().is_none_or(|c| c.start + c.units.len() as u32 != index) {
            chunks.push(Chunk { start: index, units: Vec::new() });
        }
        let chunk = chunks.last_mut().expect("a chunk was just made if none was open");
        encode_into(&mut encoder, spec, &mut fed, chunk, frame)
    })?;
    Ok(chunks)
}

/// The video's chunks from `lanes` encoders side by side, in order, checked to hold every frame
/// exactly once.
fn encode_chunks(spec: &EncodeSpec, frames: &dyn FrameSource, lanes: usize) -> Result<Vec<Chunk>, EncodeError> {
    let mut chunks = if lanes <= 1 {
        // A lone encoder: its frames are composed in batches on the whole pool.
        encode_run(spec, frames, 0..frames.frame_count(), pool_batch())?
    } else {
        encode_lanes(spec, frames, lanes)?
    };
    chunks.sort_by_key(|c| c.start);
    // Each chunk picks up where the one before ended.
    let mut next = 0;
    for c in &chunks {
        if c.start != next {
            return Err(EncodeError::Codec(format!("frames {next} to {} were not encoded", c.start)));
        }
        next += c.units.len() as u32;
    }
    if next != frames.frame_count() {
        return Err(EncodeError::Codec(format!("frames from {next} on were not encoded")));
    }
    Ok(chunks)
}

/// `lanes` encoders side by side, each on a lane of [`Lanes`]: a producer thread claims the
/// lane's frames and composes them one at a time, `QUEUE_DEPTH` ahead, and the lane's thread
/// encodes them. An encoder that fails stops the others from taking more frames.
fn encode_lanes(spec: &EncodeSpec, frames: &dyn FrameSource, lanes: usize) -> Result<Vec<Chunk>, EncodeError> {
    let shared = Lanes::new(frames.frame_count(), lanes);
    let done: Vec<Result<Vec<Chunk>, EncodeError>> = std::thread::scope(|s| {
        let shared = &shared;
        let handles: Vec<_> = (0..lanes)
            .map(|me| {
                s.spawn(move || {
                    let out = encode_run(spec, frames, std::iter::from_fn(|| shared.claim(me)), 1);
                    if out.is_err() {
                        shared.stop();
                    }
                    out
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    shared.stop();
                    Err(EncodeError::Codec("an encoder thread panicked".into()))
                })
            })
            .collect()
    });
    done.into_iter().try_fold(Vec::new(), |mut all, lane| {
        all.extend(lane?);
        Ok(all)
    })
}

impl Encoder for BundledH264 {
    fn name(&self) -> &'static str {
        "openh264"
    }

    fn describe(&self) -> String {
        "openh264 (bundled)".into()
    }

    fn encode(&self, spec: &EncodeSpec, frames: &dyn FrameSource, output: &Path) -> Result<EncodeReport, EncodeError> {
        self.encode_muxed(spec, frames, None, output)
    }

    fn encode_with_audio(
        &self,
        spec: &EncodeSpec,
        frames: &dyn FrameSource,
        audio: &AacTrack,
        output: &Path,
    ) -> Result<EncodeReport, EncodeError> {
        self.encode_muxed(spec, frames, Some(audio), output)
    }
}

impl BundledH264 {
    fn encode_muxed(
        &self,
        spec: &EncodeSpec,
        frames: &dyn FrameSource,
        audio: Option<&AacTrack>,
        output: &Path,
    ) -> Result<EncodeReport, EncodeError> {
        let total = frames.frame_count();
        if total == 0 {
            return Err(EncodeError::Codec("no frames to encode".into()));
        }
        let chunks = encode_chunks(spec, frames, self.lane_count(total))?;

        let part = partial_path(output);
        let result = (|| {
            let file = BufWriter::new(File::create(&part)?);
            let mut builder = MuxerBuilder::new(file)
                .video(VideoCodec::H264, spec.width, spec.height, spec.fps as f64)
                .with_fast_start(true);
            if let Some(a) = audio {
                builder = builder.audio(AudioCodec::Aac(AacProfile::Lc), a.rate, a.channels);
            }
            let mut muxer = builder.build().map_err(|e| EncodeError::Mux(e.to_string()))?;
            let units = audio.map_or(0, |a| audio_units_for(a, total, spec.fps));
            let (mut index, mut keyframes, mut next_unit) = (0u32, 0u32, 0usize);
            for chunk in chunks {
                for unit in chunk.units {
                    let pts = index as f64 / spec.fps as f64;
                    muxer.write_video(pts, &unit.data, unit.keyframe).map_err(|e| EncodeError::Mux(e.to_string()))?;
                    keyframes += unit.keyframe as u32;
                    index += 1;
                    // The audio that plays before the next frame, interleaved with the video
                    // so a player streaming the file finds both close together.
                    if let Some(a) = audio {
                        let until = index as f64 / spec.fps as f64;
                        while next_unit < units && audio_pts(a, next_unit) < until {
                            muxer
                                .write_audio(audio_pts(a, next_unit), &a.adts_unit(next_unit))
                                .map_err(|e| EncodeError::Mux(e.to_string()))?;
                            next_unit += 1;
                        }
                    }
                }
            }
            if let Some(a) = audio {
                while next_unit < units {
                    muxer
                        .write_audio(audio_pts(a, next_unit), &a.adts_unit(next_unit))
                        .map_err(|e| EncodeError::Mux(e.to_string()))?;
                    next_unit += 1;
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

fn audio_pts(a: &AacTrack, unit: usize) -> f64 {
    (unit * FRAME_LEN) as f64 / a.rate as f64
}

/// How many access units to mux so the audio track ends with the video (within one AAC frame,
/// 21 ms at 48 kHz, less than a video frame): the units that start before the video's end.
/// Units beyond it hold the encoder's flush of the last samples.
pub(crate) fn audio_units_for(a: &AacTrack, frames: u32, fps: u32) -> usize {
    let end = frames as u64 * a.rate as u64 / fps.max(1) as u64;
    (end.div_ceil(FRAME_LEN as u64) as usize).min(a.units.len())
}

#[cfg(test)]
mod lane_tests {
    use super::{BundledH264, Lanes, MIN_STOLEN_FRAMES};

    /// Runs the lanes to the end, lane `turn(step)` claiming at each step; returns the chunks
    /// (start, frames) each lane was given.
    fn drain(lanes: &Lanes, n: usize, mut turn: impl FnMut(u64) -> usize) -> Vec<Vec<(u32, Vec<u32>)>> {
        let mut given: Vec<Vec<(u32, Vec<u32>)>> = vec![Vec::new(); n];
        let mut done = vec![false; n];
        let mut step = 0;
        while done.iter().any(|d| !d) {
            let me = turn(step) % n;
            step += 1;
            if done[me] {
                continue;
            }
            // As the encoder does: a frame that does not follow the lane's previous one starts
            // a chunk.
            match (lanes.claim(me), given[me].last_mut()) {
                (Some(index), Some(chunk)) if chunk.1.last().map(|l| l + 1) == Some(index) => chunk.1.push(index),
                (Some(index), _) => given[me].push((index, vec![index])),
                (None, _) => done[me] = true,
            }
        }
        given
    }

    fn all_frames(given: &[Vec<(u32, Vec<u32>)>]) -> Vec<u32> {
        let mut all: Vec<u32> = given.iter().flatten().flat_map(|(_, f)| f.iter().copied()).collect();
        all.sort_unstable();
        all
    }

    #[test]
    fn lanes_start_with_even_shares() {
        let lanes = Lanes::new(450, 2);
        let given = drain(&lanes, 2, |step| (step % 2) as usize);
        // In step: nobody runs dry early, nothing is taken over.
        assert_eq!(given[0].iter().map(|c| (c.0, c.1.len())).collect::<Vec<_>>(), vec![(0, 225)]);
        assert_eq!(given[1].iter().map(|c| (c.0, c.1.len())).collect::<Vec<_>>(), vec![(225, 225)]);
    }

    #[test]
    fn a_lane_that_runs_dry_takes_half_of_the_largest_share_left() {
        let lanes = Lanes::new(400, 2);
        // Lane 1 goes three times as fast as lane 0.
        let given = drain(&lanes, 2, |step| if step % 4 == 0 { 0 } else { 1 });
        assert_eq!(all_frames(&given), (0..400).collect::<Vec<_>>(), "every frame exactly once");
        // Lane 1 finished its 200 while lane 0 had claimed ~67: it took half of the other 133
        // (from 133 on), then half of what lane 0 had left again, and so on.
        assert_eq!(given[1][0], (200, (200..400).collect()));
        let second = &given[1][1];
        assert!((130..=136).contains(&second.0), "{:?}", second.0);
        assert!(given[1].len() >= 3, "{} chunks", given[1].len());
        // Shares end within a takeover's worth of each other.
        let work = |g: &Vec<(u32, Vec<u32>)>| g.iter().map(|c| c.1.len()).sum::<usize>() as i64;
        let (a, b) = (work(&given[0]), work(&given[1]));
        assert!((3 * a - b).abs() <= 3 * 2 * MIN_STOLEN_FRAMES as i64, "{a} vs {b}");
        // No chunk taken over is shorter than the minimum.
        assert!(given[1][1..].iter().all(|c| c.1.len() >= MIN_STOLEN_FRAMES as usize), "{:?}", given[1]);
    }

    #[test]
    fn shares_cover_every_frame_once_whatever_the_speeds() {
        for frames in [1u32, 45, 91, 450, 1801] {
            for n in 1..=5 {
                // A fixed pseudo-random order of turns.
                let mut x = 0x9E37_79B9_7F4A_7C15u64 ^ frames as u64 ^ (n as u64) << 32;
                let lanes = Lanes::new(frames, n);
                let given = drain(&lanes, n, |_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    (x % 7) as usize
                });
                assert_eq!(all_frames(&given), (0..frames).collect::<Vec<_>>(), "{frames} frames, {n} lanes");
            }
        }
    }

    #[test]
    fn stopped_lanes_hand_out_nothing() {
        let lanes = Lanes::new(100, 2);
        assert_eq!(lanes.claim(0), Some(0));
        lanes.stop();
        assert_eq!(lanes.claim(0), None);
        assert_eq!(lanes.claim(1), None);
    }

    #[test]
    fn short_videos_get_fewer_encoders() {
        assert_eq!(BundledH264::with_lanes(4).lane_count(40), 1);
        assert_eq!(BundledH264::with_lanes(4).lane_count(91), 2);
        assert_eq!(BundledH264::with_lanes(4).lane_count(450), 4);
        assert_eq!(BundledH264::with_lanes(1).lane_count(450), 1);
    }
}
