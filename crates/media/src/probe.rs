//! Reads back an MP4 the way a player would, to check what the engine (or any adapter) produced:
//! box order (faststart), the video track's codec, size, timing and sample count, and every
//! sample decoded with openh264 to count the frames that actually decode. End-to-end tests of
//! other crates use [`probe_mp4`]; [`decode_frames`] pulls individual frames out as RGB images.

mod boxes;

use std::{fs::File, path::Path};

use image::RgbImage;
use openh264::{decoder::Decoder, formats::YUVSource};

use crate::yuv::Yuv420;

/// What a video file holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Mp4Info {
    /// Coded size from the sample entry.
    pub width: u32,
    pub height: u32,
    /// Samples in the video track.
    pub frames: u32,
    /// Video track duration (mdhd), in milliseconds.
    pub duration_ms: u64,
    /// Sample entry type: `avc1` for H.264.
    pub codec: String,
    /// `moov` comes before `mdat`: playback can start before the whole file has arrived.
    pub faststart: bool,
    /// Frames the decoder produced (avc1/avc3 only; 0 for other codecs).
    pub decodable_frames: u32,
    /// Sync samples (IDR frames).
    pub keyframes: u32,
    /// Average frame rate (samples / duration).
    pub fps: f64,
    /// File size in bytes.
    pub file_bytes: u64,
    /// The first audio track, if there is one.
    pub audio: Option<AudioInfo>,
}

/// What the audio track holds.
#[derive(Debug, Clone, PartialEq)]
pub struct AudioInfo {
    /// Sample entry type: `mp4a` for AAC.
    pub codec: String,
    /// MPEG-4 audio object type (2 = AAC-LC, what every browser plays).
    pub object_type: u8,
    pub sample_rate: u32,
    pub channels: u16,
    /// Access units (1024 PCM frames each for AAC-LC).
    pub units: u32,
    /// Track duration in milliseconds (mdhd, else the sum of the sample durations).
    pub duration_ms: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error("cannot read the file: {0}")]
    Io(#[from] std::io::Error),
    #[error("not an MP4 file: {0}")]
    NotMp4(String),
    #[error("malformed MP4: {0}")]
    Malformed(String),
    #[error("the MP4 has no video track")]
    NoVideoTrack,
    #[error("the MP4 has no audio track")]
    NoAudioTrack,
    #[error("cannot decode {0} video")]
    UnsupportedCodec(String),
    #[error("decoder: {0}")]
    Decoder(String),
}

struct Parsed {
    file: File,
    faststart: bool,
    track: boxes::VideoTrack,
    audio: Option<boxes::AudioTrack>,
    file_bytes: u64,
}

fn parse(path: &Path) -> Result<Parsed, ProbeError> {
    let mut file = File::open(path)?;
    let len = file.metadata()?.len();
    let top = boxes::top_level(&mut file, len)?;
    if top.first().map(|b| &b.kind) != Some(b"ftyp") {
        return Err(ProbeError::NotMp4("the file does not start with an ftyp box".into()));
    }
    let moov = top.iter().find(|b| &b.kind == b"moov").ok_or_else(|| ProbeError::Malformed("no moov box".into()))?;
    let mdat = top.iter().find(|b| &b.kind == b"mdat");
    let faststart = mdat.is_none_or(|m| moov.offset < m.offset);
    let body = boxes::read_body(&mut file, moov)?;
    let track = boxes::video_track(&body)?;
    let audio = boxes::audio_track(&body)?;
    let audio_samples = audio.iter().flat_map(|a| a.sample_offsets.iter().zip(&a.sample_sizes));
    for (&off, &size) in track.sample_offsets.iter().zip(&track.sample_sizes).chain(audio_samples) {
        if off + size as u64 > len {
            return Err(ProbeError::Malformed(format!("a sample at {off} (+{size}) lies beyond the end of the file")));
        }
    }
    Ok(Parsed { file, faststart, track, audio, file_bytes: len })
}

/// Probes `path`: parses the container and decodes every frame.
pub fn probe_mp4(path: &Path) -> Result<Mp4Info, ProbeError> {
    probe_with(path, true)
}

/// Parses the container only (`decodable_frames` is 0): cheap, for checking an encoder's output.
pub fn probe_container(path: &Path) -> Result<Mp4Info, ProbeError> {
    probe_with(path, false)
}

/// Decodes every frame of `path` in order and calls `each` with its index and pixels until it
/// returns false (for joining clips and comparing videos).
pub fn for_each_frame(path: &Path, each: impl FnMut(u32, &Yuv420) -> bool) -> Result<(), ProbeError> {
    let mut p = parse(path)?;
    if !matches!(p.track.codec.as_str(), "avc1" | "avc3") {
        return Err(ProbeError::UnsupportedCodec(p.track.codec.clone()));
    }
    decode_each(&mut p, each)
}

fn probe_with(path: &Path, decode: bool) -> Result<Mp4Info, ProbeError> {
    let mut p = parse(path)?;
    let t = &p.track;
    let frames = t.sample_sizes.len() as u32;
    let duration = if t.duration > 0 { t.duration } else { t.samples_duration };
    let duration_ms = duration * 1000 / t.timescale as u64;
    let keyframes = t.sync_samples.as_ref().map_or(frames, |s| s.len() as u32);
    let fps = if duration > 0 { frames as f64 * t.timescale as f64 / duration as f64 } else { 0.0 };
    let decodable_frames = if decode && matches!(t.codec.as_str(), "avc1" | "avc3") {
        let mut n = 0;
        decode_each(&mut p, |_, _| {
            n += 1;
            true
        })?;
        n
    } else {
        0
    };
    let t = &p.track;
    Ok(Mp4Info {
        width: t.width,
        height: t.height,
        frames,
        duration_ms,
        codec: t.codec.clone(),
        faststart: p.faststart,
        decodable_frames,
        keyframes,
        fps,
        file_bytes: p.file_bytes,
        audio: p.audio.as_ref().map(|a| {
            let d = if a.duration > 0 { a.duration } else { a.samples_duration };
            AudioInfo {
                codec: a.codec.clone(),
                object_type: a.object_type,
                sample_rate: a.sample_rate,
                channels: a.channels,
                units: a.sample_sizes.len() as u32,
                duration_ms: d * 1000 / a.timescale as u64,
            }
        }),
    })
}

/// Decodes the audio track of `path` back to PCM (AAC with the bundled decoder), for tests
/// and checks: loudness, length, what was said when.
pub fn decode_audio(path: &Path) -> Result<crate::audio::Pcm, ProbeError> {
    use std::io::{Read, Seek, SeekFrom};

    let mut p = parse(path)?;
    let a = p.audio.take().ok_or(ProbeError::NoAudioTrack)?;
    if a.codec != "mp4a" || a.asc.is_empty() {
        return Err(ProbeError::UnsupportedCodec(a.codec));
    }
    let mut units = Vec::with_capacity(a.sample_sizes.len());
    for (&off, &size) in a.sample_offsets.iter().zip(&a.sample_sizes) {
        let mut unit = vec![0u8; size as usize];
        p.file.seek(SeekFrom::Start(off))?;
        p.file.read_exact(&mut unit)?;
        units.push(unit);
    }
    crate::audio::aac::decode_units(&a.asc, units.iter().map(Vec::as_slice))
        .map_err(|e| ProbeError::Decoder(e.to_string()))
}

/// Decodes the frames at `indices` (0-based, any order) as RGB images (BT.709 limited range, as
/// the engine encodes). Decodes from the start of the file, so ask for all frames in one call.
pub fn decode_frames(path: &Path, indices: &[u32]) -> Result<Vec<RgbImage>, ProbeError> {
    let mut p = parse(path)?;
    if !matches!(p.track.codec.as_str(), "avc1" | "avc3") {
        return Err(ProbeError::UnsupportedCodec(p.track.codec.clone()));
    }
    let last = indices.iter().copied().max();
    let mut found: Vec<Option<RgbImage>> = vec![None; indices.len()];
    decode_each(&mut p, |i, frame| {
        for (slot, &want) in found.iter_mut().zip(indices) {
            if want == i {
                *slot =
                    Some(RgbImage::from_raw(frame.width(), frame.height(), frame.to_rgb()).expect("sized RGB buffer"));
            }
        }
        Some(i) < last
    })?;
    found
        .into_iter()
        .zip(indices)
        .map(|(f, i)| f.ok_or_else(|| ProbeError::Decoder(format!("frame {i} was not decoded"))))
        .collect()
}

/// Feeds every sample to openh264 (parameter sets from avcC first) and calls `each` with the
/// index and pixels of every picture that comes out, until it returns false.
fn decode_each(p: &mut Parsed, mut each: impl FnMut(u32, &Yuv420) -> bool) -> Result<(), ProbeError> {
    use std::io::{Read, Seek, SeekFrom};

    let t = &p.track;
    let mut decoder = Decoder::new().map_err(|e| ProbeError::Decoder(e.to_string()))?;
    let mut annexb = Vec::new();
    for ps in t.sps.iter().chain(&t.pps) {
        annexb.extend_from_slice(&[0, 0, 0, 1]);
        annexb.extend_from_slice(ps);
    }
    if !annexb.is_empty() {
        // Parameter sets alone produce no picture; an error here means they are broken.
        decoder.decode(&annexb).map_err(|e| ProbeError::Decoder(format!("parameter sets: {e}")))?;
    }
    let mut produced = 0u32;
    let mut sample = Vec::new();
    let emit =
        |yuv: &openh264::decoder::DecodedYUV<'_>, produced: &mut u32, each: &mut dyn FnMut(u32, &Yuv420) -> bool| {
            let (w, h) = yuv.dimensions();
            let frame = Yuv420::from_planes(w as u32, h as u32, (yuv.y(), yuv.u(), yuv.v()), yuv.strides());
            let more = each(*produced, &frame);
            *produced += 1;
            more
        };
    for (&off, &size) in t.sample_offsets.iter().zip(&t.sample_sizes) {
        sample.resize(size as usize, 0);
        p.file.seek(SeekFrom::Start(off))?;
        p.file.read_exact(&mut sample)?;
        annexb.clear();
        if boxes::avcc_to_annexb(&sample, t.nal_length_size.max(1), &mut annexb).is_err() {
            continue; // a broken sample is simply not decodable
        }
        // A sample that fails to decode is simply not counted.
        if let Ok(Some(yuv)) = decoder.decode(&annexb)
            && !emit(&yuv, &mut produced, &mut each)
        {
            return Ok(());
        }
    }
    if let Ok(rest) = decoder.flush_remaining() {
        for yuv in rest {
            if !emit(&yuv, &mut produced, &mut each) {
                break;
            }
        }
    }
    Ok(())
}

/// Reads a video's frames one at a time, in order (an iterator over decoded pictures that can be
/// paused and resumed): the clip joiner keeps a few of these per clip instead of every frame.
///
/// Videos stored in display order (ours, and any without B-frames) are decoded by the bundled
/// openh264. A video with B-frames (its track has composition offsets, `ctts`) is decoded by
/// ffmpeg when it is on PATH (a child process streaming raw I420): openh264 cannot reorder
/// pictures and would come out with frames missing. Without ffmpeg such a video is refused with
/// that reason.
pub struct FrameReader {
    parsed: Parsed,
    source: Source,
    /// How many frames have been returned.
    position: u32,
}

enum Source {
    Bundled {
        decoder: Box<Decoder>,
        next_sample: usize,
        /// Pictures the decoder released at the end of the stream (reordering delay).
        tail: std::collections::VecDeque<Yuv420>,
        flushed: bool,
    },
    Ffmpeg(FfmpegFrames),
}

/// `ffmpeg` on PATH, if any (looked up once).
fn ffmpeg_program() -> Option<&'static Path> {
    static FOUND: std::sync::OnceLock<Option<std::path::PathBuf>> = std::sync::OnceLock::new();
    FOUND
        .get_or_init(|| {
            let path = std::env::var_os("PATH")?;
            std::env::split_paths(&path).map(|d| d.join("ffmpeg")).find(|p| p.is_file())
        })
        .as_deref()
}

/// An ffmpeg child decoding a video to raw I420 on its stdout; killed when dropped.
struct FfmpegFrames {
    child: std::process::Child,
    stdout: std::process::ChildStdout,
    width: u32,
    height: u32,
    buf: Vec<u8>,
}

impl FfmpegFrames {
    fn spawn(program: &Path, path: &Path, width: u32, height: u32) -> Result<Self, ProbeError> {
        let mut child = std::process::Command::new(program)
            .args(["-v", "error", "-nostdin", "-i"])
            .arg(path)
            .args(["-map", "0:v:0", "-vsync", "passthrough", "-f", "rawvideo", "-pix_fmt", "yuv420p", "-"])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .map_err(|e| ProbeError::Decoder(format!("ffmpeg could not start: {e}")))?;
        let stdout = child.stdout.take().ok_or_else(|| ProbeError::Decoder("ffmpeg has no stdout".into()))?;
        Ok(Self { child, stdout, width, height, buf: Vec::new() })
    }

    fn next(&mut self) -> Result<Option<Yuv420>, ProbeError> {
        use std::io::Read;
        let (w, h) = (self.width as usize, self.height as usize);
        let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
        self.buf.resize(w * h + 2 * cw * ch, 0);
        let mut filled = 0;
        while filled < self.buf.len() {
            match self.stdout.read(&mut self.buf[filled..])? {
                0 if filled == 0 => return Ok(None),
                0 => return Err(ProbeError::Decoder("ffmpeg stopped in the middle of a frame".into())),
                n => filled += n,
            }
        }
        let (y, rest) = self.buf.split_at(w * h);
        let (u, v) = rest.split_at(cw * ch);
        Ok(Some(Yuv420::from_planes(self.width, self.height, (y, u, v), (w, cw, cw))))
    }
}

impl Drop for FfmpegFrames {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl FrameReader {
    pub fn open(path: &Path) -> Result<Self, ProbeError> {
        let parsed = parse(path)?;
        if !matches!(parsed.track.codec.as_str(), "avc1" | "avc3") {
            return Err(ProbeError::UnsupportedCodec(parsed.track.codec.clone()));
        }
        if parsed.track.reordered {
            let t = &parsed.track;
            let Some(ffmpeg) = ffmpeg_program() else {
                return Err(ProbeError::Decoder(
                    "the video has B-frames (pictures stored out of display order), which the bundled decoder \
                     cannot reorder; install ffmpeg to read it"
                        .into(),
                ));
            };
            let source = Source::Ffmpeg(FfmpegFrames::spawn(ffmpeg, path, t.width, t.height)?);
            return Ok(Self { parsed, source, position: 0 });
        }
        let mut decoder = Decoder::new().map_err(|e| ProbeError::Decoder(e.to_string()))?;
        let mut annexb = Vec::new();
        for ps in parsed.track.sps.iter().chain(&parsed.track.pps) {
            annexb.extend_from_slice(&[0, 0, 0, 1]);
            annexb.extend_from_slice(ps);
        }
        if !annexb.is_empty() {
            decoder.decode(&annexb).map_err(|e| ProbeError::Decoder(format!("parameter sets: {e}")))?;
        }
        let source =
            Source::Bundled { decoder: Box::new(decoder), next_sample: 0, tail: Default::default(), flushed: false };
        Ok(Self { parsed, source, position: 0 })
    }

    /// Samples in the track (the frame count a player shows).
    pub fn frame_count(&self) -> u32 {
        self.parsed.track.sample_sizes.len() as u32
    }

    /// Frames per second from the track's timing (30 when the track has no duration).
    pub fn fps(&self) -> f64 {
        let t = &self.parsed.track;
        let d = if t.duration > 0 { t.duration } else { t.samples_duration };
        if d == 0 { 30.0 } else { t.sample_sizes.len() as f64 * t.timescale as f64 / d as f64 }
    }

    /// Frames returned so far (the index of the next one).
    pub fn position(&self) -> u32 {
        self.position
    }

    /// Whether ffmpeg decodes this video (a profile the bundled decoder cannot fully read).
    pub fn uses_ffmpeg(&self) -> bool {
        matches!(self.source, Source::Ffmpeg(_))
    }

    /// The next decoded frame, or None at the end. Undecodable samples are skipped.
    pub fn next_frame(&mut self) -> Result<Option<Yuv420>, ProbeError> {
        use std::io::{Read, Seek, SeekFrom};

        let (decoder, next_sample, tail, flushed) = match &mut self.source {
            Source::Ffmpeg(f) => {
                let next = f.next()?;
                self.position += next.is_some() as u32;
                return Ok(next);
            }
            Source::Bundled { decoder, next_sample, tail, flushed } => (decoder, next_sample, tail, flushed),
        };
        let to_owned = |yuv: &openh264::decoder::DecodedYUV<'_>| {
            let (w, h) = yuv.dimensions();
            Yuv420::from_planes(w as u32, h as u32, (yuv.y(), yuv.u(), yuv.v()), yuv.strides())
        };
        let mut sample = Vec::new();
        let mut annexb = Vec::new();
        while *next_sample < self.parsed.track.sample_sizes.len() {
            let t = &self.parsed.track;
            let (off, size) = (t.sample_offsets[*next_sample], t.sample_sizes[*next_sample]);
            *next_sample += 1;
            sample.resize(size as usize, 0);
            self.parsed.file.seek(SeekFrom::Start(off))?;
            self.parsed.file.read_exact(&mut sample)?;
            annexb.clear();
            if boxes::avcc_to_annexb(&sample, t.nal_length_size.max(1), &mut annexb).is_err() {
                continue;
            }
            if let Ok(Some(yuv)) = decoder.decode(&annexb) {
                self.position += 1;
                return Ok(Some(to_owned(&yuv)));
            }
        }
        if !*flushed {
            *flushed = true;
            if let Ok(rest) = decoder.flush_remaining() {
                tail.extend(rest.iter().map(to_owned));
            }
        }
        let next = tail.pop_front();
        self.position += next.is_some() as u32;
        Ok(next)
    }
}

#[cfg(test)]
mod tests;
