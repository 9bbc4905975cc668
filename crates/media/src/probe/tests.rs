use std::path::PathBuf;

use super::*;
use crate::encode::{BundledH264, EncodeSpec, Encoder, FrameSource};
use crate::yuv::Yuv420;

/// A moving diagonal gradient with a bright square that walks across the frame.
struct Synthetic {
    w: u32,
    h: u32,
    frames: u32,
}

impl Synthetic {
    fn rgb(&self, index: u32) -> Vec<u8> {
        let mut out = Vec::with_capacity((self.w * self.h * 3) as usize);
        for y in 0..self.h {
            for x in 0..self.w {
                let square = (x as i32 - (index * 4) as i32).abs() < 20 && (y as i32 - 60).abs() < 20;
                if square {
                    out.extend_from_slice(&[250, 250, 250]);
                } else {
                    out.extend_from_slice(&[((x + index) % 256) as u8, (y % 256) as u8, 120]);
                }
            }
        }
        out
    }
}

impl FrameSource for Synthetic {
    fn frame_count(&self) -> u32 {
        self.frames
    }

    fn render(&self, index: u32, out: &mut Yuv420) {
        out.fill_from_rgb(&self.rgb(index));
    }
}

/// Encodes `source` with `lanes` encoders side by side; returns the file and its keyframe count.
fn encode_with(dir: &Path, source: &dyn FrameSource, (w, h): (u32, u32), lanes: usize) -> (PathBuf, u32) {
    let path = dir.join("synthetic.mp4");
    let spec = EncodeSpec { width: w, height: h, fps: 30, bitrate: 1_500_000 };
    let report = BundledH264::with_lanes(lanes).encode(&spec, source, &path).unwrap();
    assert_eq!(report.frames, source.frame_count());
    // One IDR frame per lane at least, more where a lane took over frames from another.
    assert!(report.keyframes >= lanes as u32, "{} keyframes", report.keyframes);
    assert!(!dir.join("synthetic.mp4.part").exists());
    (path, report.keyframes)
}

fn encode(dir: &Path, source: &Synthetic, lanes: usize) -> PathBuf {
    encode_with(dir, source, (source.w, source.h), lanes).0
}

#[test]
fn probes_what_the_bundled_encoder_wrote() {
    let dir = tempfile::tempdir().unwrap();
    let source = Synthetic { w: 320, h: 240, frames: 96 };
    let (path, keyframes) = encode_with(dir.path(), &source, (source.w, source.h), 2);
    let info = probe_mp4(&path).unwrap();
    assert_eq!(
        (info.width, info.height, info.frames, info.duration_ms, info.codec.as_str()),
        (320, 240, 96, 3200, "avc1")
    );
    assert!(info.faststart);
    assert_eq!(info.decodable_frames, 96);
    assert_eq!(info.keyframes, keyframes, "one IDR per chunk");
    assert!((info.fps - 30.0).abs() < 1e-9);

    // Decoded pixels match what was encoded, including across the chunk boundary.
    let picks = [0u32, 47, 48, 95];
    let frames = decode_frames(&path, &picks).unwrap();
    for (&i, f) in picks.iter().zip(&frames) {
        assert_eq!(f.dimensions(), (320, 240));
        let want = source.rgb(i);
        let mad: f64 =
            f.as_raw().iter().zip(&want).map(|(a, b)| (*a as f64 - *b as f64).abs()).sum::<f64>() / want.len() as f64;
        assert!(mad < 6.0, "frame {i}: mean abs error {mad:.2}");
    }
}

/// [`Synthetic`] with the first half of the video slow to draw (as a busy shot is slow to encode
/// next to an outro card).
struct Lopsided(Synthetic);

impl FrameSource for Lopsided {
    fn frame_count(&self) -> u32 {
        self.0.frames
    }

    fn render(&self, index: u32, out: &mut Yuv420) {
        if index < self.0.frames / 2 {
            std::thread::sleep(std::time::Duration::from_millis(15));
        }
        self.0.render(index, out);
    }
}

/// Two encoders, one with all the slow frames: the other one runs dry early and takes over
/// frames from it, as chunks of their own. The file still has every frame once, in order.
#[test]
fn an_encoder_that_runs_dry_takes_over_frames_from_a_slower_one() {
    let dir = tempfile::tempdir().unwrap();
    let source = Lopsided(Synthetic { w: 160, h: 128, frames: 120 });
    let (path, keyframes) = encode_with(dir.path(), &source, (160, 128), 2);
    // 60 slow frames take ~0.9 s, the fast half a small part of that: the fast encoder takes
    // over half of what is left, then half again...
    assert!(keyframes >= 3, "no frames were taken over: {keyframes} keyframes");
    let info = probe_mp4(&path).unwrap();
    assert_eq!((info.frames, info.decodable_frames, info.keyframes), (120, 120, keyframes));
    let picks = [0u32, 29, 30, 44, 59, 60, 119];
    for (&i, f) in picks.iter().zip(decode_frames(&path, &picks).unwrap()) {
        let want = source.0.rgb(i);
        let mad =
            f.as_raw().iter().zip(&want).map(|(a, b)| (*a as f64 - *b as f64).abs()).sum::<f64>() / want.len() as f64;
        assert!(mad < 6.0, "frame {i}: mean abs error {mad:.2}");
    }
}

#[test]
fn non_mp4_and_truncated_files_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, b"this is not a video at all, just some words").unwrap();
    assert!(matches!(probe_mp4(&text), Err(ProbeError::NotMp4(_) | ProbeError::Malformed(_))));
    assert!(matches!(probe_mp4(&dir.path().join("missing.mp4")), Err(ProbeError::Io(_))));

    let source = Synthetic { w: 160, h: 128, frames: 30 };
    let path = encode(dir.path(), &source, 1);
    let bytes = std::fs::read(&path).unwrap();
    let cut = dir.path().join("cut.mp4");
    std::fs::write(&cut, &bytes[..bytes.len() * 2 / 3]).unwrap();
    let e = probe_mp4(&cut).unwrap_err();
    assert!(matches!(e, ProbeError::Malformed(_)), "{e:?}");
}

#[test]
fn damaged_samples_are_not_counted_as_decodable() {
    let dir = tempfile::tempdir().unwrap();
    let source = Synthetic { w: 160, h: 128, frames: 30 };
    let path = encode(dir.path(), &source, 1);
    let mut bytes = std::fs::read(&path).unwrap();
    // Zero out the start of the first sample (the IDR frame): nothing can decode after it.
    let p = parse(&path).unwrap();
    let off = p.track.sample_offsets[0] as usize;
    let size = p.track.sample_sizes[0] as usize;
    for b in &mut bytes[off..off + size] {
        *b = 0;
    }
    let broken = dir.path().join("broken.mp4");
    std::fs::write(&broken, &bytes).unwrap();
    let info = probe_mp4(&broken).unwrap();
    assert_eq!(info.frames, 30);
    assert!(info.decodable_frames < 30, "{}", info.decodable_frames);
}

/// A clip with B-frames (High profile, as providers send them): with ffmpeg on PATH every frame
/// comes out, in order; without it the clip is refused with the reason (the bundled decoder
/// cannot reorder pictures and would drop most of them).
#[test]
fn a_clip_with_b_frames_is_read_whole_through_ffmpeg() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bframes-high.mp4");
    let Some(_) = ffmpeg_program() else {
        let e = FrameReader::open(&path).err().expect("a B-frame clip without ffmpeg is refused");
        assert!(e.to_string().contains("B-frames"), "{e}");
        return;
    };
    let mut reader = FrameReader::open(&path).unwrap();
    assert!(reader.uses_ffmpeg());
    assert_eq!(reader.frame_count(), 48);
    let mut frames = Vec::new();
    while let Some(f) = reader.next_frame().unwrap() {
        assert_eq!((f.width(), f.height()), (320, 240));
        frames.push(f);
    }
    assert_eq!(reader.position() as usize, frames.len());
    assert_eq!(frames.len(), 48, "every frame of the clip");
    // The pattern moves: consecutive frames differ (no frame repeated in place of another).
    assert!(frames.windows(2).all(|w| w[0].y() != w[1].y()));
    // Our own videos have no B-frames and stay on the bundled decoder.
    let dir = tempfile::tempdir().unwrap();
    let ours = encode(dir.path(), &Synthetic { w: 160, h: 120, frames: 10 }, 1);
    assert!(!FrameReader::open(&ours).unwrap().uses_ffmpeg());
}
