//! The system encoder: ffmpeg with libx264, fed raw I420 frames through a pipe. Better quality per
//! bit than the bundled Baseline encoder (CABAC, B-frames, psy tuning), used when configured or
//! when `auto` finds an ffmpeg with libx264 on PATH.
//!
//! The pipe is the backpressure: frames are composed in parallel batches ahead of the writer, a
//! bounded channel holds a few, and a blocked `write` (ffmpeg busy) stops composition. The process
//! runs under a deadline and is killed if it overruns or if we stop early (drop). Its stderr is
//! drained on a thread (so it can never fill and stall ffmpeg) and kept, trimmed, for errors.

use std::{
    io::{Read, Write},
    path::{Path, PathBuf},
    process::{Child, ChildStdin, Command, Stdio},
    time::{Duration, Instant},
};

use super::{
    EncodeError, EncodeReport, EncodeSpec, Encoder, FrameSource, openh264::audio_units_for, partial_path, pool_batch,
    settle_partial, stream_frames,
};
use crate::audio::aac::AacTrack;

/// Frames composed ahead of the pipe (with one batch being drawn; the pipe itself is the
/// backpressure).
const QUEUE_DEPTH: usize = 2;
/// libx264 speed/quality trade-off: veryfast is ~2.5x faster than medium for ~1 dB.
const DEFAULT_PRESET: &str = "veryfast";
/// Constant quality (the libx264 default): bits go where the picture needs them.
const CRF: u32 = 23;
/// Whatever the length, an encode slower than this per frame is stuck, not slow.
const DEADLINE_PER_FRAME: Duration = Duration::from_millis(500);
const MIN_DEADLINE: Duration = Duration::from_secs(60);
/// How much of ffmpeg's stderr is kept for an error message.
const STDERR_KEEP: usize = 2000;

/// ffmpeg + libx264 at a given preset.
#[derive(Debug, Clone)]
pub struct FfmpegEncoder {
    program: PathBuf,
    preset: String,
}

/// Why the system encoder cannot be used (the job's events and the startup log say it).
#[derive(Debug, thiserror::Error)]
pub enum FfmpegUnavailable {
    #[error("{} cannot be run: {kind}", program.display())]
    CannotRun { program: PathBuf, kind: std::io::ErrorKind },
    #[error("{} -encoders failed ({status})", program.display())]
    Failed { program: PathBuf, status: std::process::ExitStatus },
    #[error("{} has no libx264 encoder", program.display())]
    NoLibx264 { program: PathBuf },
}

impl FfmpegEncoder {
    /// `program` is the ffmpeg executable (a name looked up on PATH, or a path).
    pub fn new(program: impl Into<PathBuf>) -> Self {
        Self { program: program.into(), preset: DEFAULT_PRESET.into() }
    }

    /// Another libx264 preset (`ultrafast` .. `veryslow`), for benchmarks.
    pub fn with_preset(mut self, preset: &str) -> Self {
        self.preset = preset.into();
        self
    }

    pub fn preset(&self) -> &str {
        &self.preset
    }

    /// An ffmpeg found on PATH that lists the libx264 encoder, or why there is none.
    pub fn detect() -> Result<Self, FfmpegUnavailable> {
        let candidate = Self::new("ffmpeg");
        candidate.check()?;
        Ok(candidate)
    }

    /// Checks that the program runs and has libx264 (a few milliseconds).
    pub fn check(&self) -> Result<(), FfmpegUnavailable> {
        let program = self.program.clone();
        let out = Command::new(&self.program)
            .args(["-hide_banner", "-loglevel", "error", "-encoders"])
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output()
            .map_err(|e| FfmpegUnavailable::CannotRun { program: program.clone(), kind: e.kind() })?;
        if !out.status.success() {
            return Err(FfmpegUnavailable::Failed { program, status: out.status });
        }
        let listed = String::from_utf8_lossy(&out.stdout);
        if !listed.lines().any(|l| l.split_whitespace().nth(1) == Some("libx264")) {
            return Err(FfmpegUnavailable::NoLibx264 { program });
        }
        Ok(())
    }

    /// `audio`: an ADTS file copied in as the second track (already AAC-LC, already mastered).
    fn command(&self, spec: &EncodeSpec, audio: Option<&Path>, output: &Path) -> Command {
        let mut cmd = Command::new(&self.program);
        let size = format!("{}x{}", spec.width, spec.height);
        let fps = spec.fps.to_string();
        let crf = CRF.to_string();
        let keyint = (spec.fps * 4).to_string();
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let threads = (cores * 3 / 2).clamp(2, 6).to_string();
        cmd.args(["-hide_banner", "-loglevel", "error", "-nostdin", "-y"])
            .args(["-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", &size, "-r", &fps, "-i", "pipe:0"]);
        match audio {
            // The same AAC the bundled encoder muxes, copied as it is (no second encode).
            Some(adts) => {
                cmd.args(["-f", "aac", "-i"]).arg(adts).args(["-map", "0:v:0", "-map", "1:a:0", "-c:a", "copy"]);
            }
            None => {
                cmd.arg("-an");
            }
        }
        cmd.args(["-c:v", "libx264", "-preset", &self.preset, "-crf", &crf, "-g", &keyint])
            // No B-frames: the bundled decoder (openh264) that checks videos and joins clips cannot
            // reorder them; CABAC and 8x8 transforms (High profile) stay.
            .args(["-bf", "0"])
            .args(["-pix_fmt", "yuv420p", "-profile:v", "high", "-level:v", "4.1"])
            // Memory: x264 holds a few frames per thread and per lookahead slot (~6 MB each at
            // 1080x1920). A 5-frame rate-control lookahead (veryfast's is 10) keeps ffmpeg near
            // 190 MB instead of 220 MB at 1080x1920 on 2 cores, no slower and ~0.15 dB lower at
            // CRF 23 (measured on the anchor job); threads stay x264's 1.5 per core, capped so that
            // a large machine does not multiply that memory. (Fewer threads or a synchronous
            // lookahead save 20-30 MB more but cost 5-20% of the wall time.)
            .args(["-threads", &threads, "-rc-lookahead", "5"])
            // The frames are BT.709 limited range: say so, as the bundled encoder does.
            .args(["-color_range", "tv", "-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709"])
            .args(["-movflags", "+faststart", "-f", "mp4"])
            .arg(output)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        cmd
    }
}

/// Kills the process unless it was reaped: an early return never leaves an encoder running.
struct Guard(Option<Child>);

impl Drop for Guard {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn write_frame(stdin: &mut ChildStdin, planes: [&[u8]; 3]) -> std::io::Result<()> {
    for p in planes {
        stdin.write_all(p)?;
    }
    Ok(())
}

impl Encoder for FfmpegEncoder {
    fn name(&self) -> &'static str {
        "libx264"
    }

    fn describe(&self) -> String {
        format!("libx264 {} via ffmpeg (system)", self.preset)
    }

    fn encode(&self, spec: &EncodeSpec, frames: &dyn FrameSource, output: &Path) -> Result<EncodeReport, EncodeError> {
        let total = frames.frame_count();
        if total == 0 {
            return Err(EncodeError::Codec("no frames to encode".into()));
        }
        let part = partial_path(output);
        let result = self.run(spec, frames, total, None, &part);
        settle_partial(&part, output, result)
    }

    fn encode_with_audio(
        &self,
        spec: &EncodeSpec,
        frames: &dyn FrameSource,
        audio: &AacTrack,
        output: &Path,
    ) -> Result<EncodeReport, EncodeError> {
        let total = frames.frame_count();
        if total == 0 {
            return Err(EncodeError::Codec("no frames to encode".into()));
        }
        // The units that end with the video, as an ADTS file beside the output.
        let units = audio_units_for(audio, total, spec.fps);
        let mut adts_path = partial_path(output).into_os_string();
        adts_path.push(".aac");
        let adts_path = PathBuf::from(adts_path);
        std::fs::write(&adts_path, (0..units).flat_map(|i| audio.adts_unit(i)).collect::<Vec<u8>>())?;
        let part = partial_path(output);
        let result = self.run(spec, frames, total, Some(&adts_path), &part);
        let _ = std::fs::remove_file(&adts_path);
        settle_partial(&part, output, result)
    }
}

impl FfmpegEncoder {
    fn run(
        &self,
        spec: &EncodeSpec,
        frames: &dyn FrameSource,
        total: u32,
        audio: Option<&Path>,
        part: &Path,
    ) -> Result<EncodeReport, EncodeError> {
        let deadline = Instant::now() + (DEADLINE_PER_FRAME * total).max(MIN_DEADLINE);
        let mut child = self
            .command(spec, audio, part)
            .spawn()
            .map_err(|e| EncodeError::Codec(format!("{} cannot be started: {}", self.program.display(), e.kind())))?;
        let mut stdin = child.stdin.take().expect("stdin is piped");
        let mut stderr = child.stderr.take().expect("stderr is piped");
        let mut guard = Guard(Some(child));
        let drain = std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = stderr.read_to_end(&mut buf);
            buf
        });

        let fed = stream_frames(frames, (spec.width, spec.height), 0..total, QUEUE_DEPTH, pool_batch(), |_, frame| {
            if Instant::now() > deadline {
                return Err(EncodeError::Codec("ffmpeg did not keep up (deadline passed)".into()));
            }
            write_frame(&mut stdin, [frame.y(), frame.u(), frame.v()])
                .map_err(|e| EncodeError::Codec(format!("writing frames to ffmpeg failed: {}", e.kind())))
        });
        drop(stdin); // end of input: ffmpeg finishes the file

        let status = loop {
            let child = guard.0.as_mut().expect("child present until reaped");
            match child.try_wait()? {
                Some(status) => {
                    guard.0 = None;
                    break Some(status);
                }
                None if Instant::now() > deadline => break None,
                None => std::thread::sleep(Duration::from_millis(10)),
            }
        };
        drop(guard); // kills ffmpeg if it overran
        let log = drain.join().unwrap_or_default();
        let log = String::from_utf8_lossy(&log);
        let log = log.trim();
        let tail = &log[log.floor_char_boundary(log.len().saturating_sub(STDERR_KEEP))..];
        let status = status.ok_or_else(|| EncodeError::Codec("ffmpeg overran its deadline and was stopped".into()))?;
        // A write error is usually ffmpeg dying: its own message says more.
        if let Err(e) = fed {
            return Err(if tail.is_empty() { e } else { EncodeError::Codec(format!("{e}; ffmpeg: {tail}")) });
        }
        if !status.success() {
            return Err(EncodeError::Codec(format!("ffmpeg exited with {status}: {tail}")));
        }

        // The output contract: every frame, H.264, index first.
        let info = crate::probe::probe_container(part).map_err(|e| EncodeError::Mux(format!("ffmpeg output: {e}")))?;
        if info.frames != total || info.codec != "avc1" || !info.faststart {
            return Err(EncodeError::Mux(format!(
                "ffmpeg wrote {} frames of {} (faststart: {}), expected {total} frames of avc1 with the index first",
                info.frames, info.codec, info.faststart
            )));
        }
        std::fs::File::open(part)?.sync_all()?;
        Ok(EncodeReport { frames: info.frames, keyframes: info.keyframes, bytes: info.file_bytes, encoder: "libx264" })
    }
}
