use std::sync::Mutex;

use glimvid_domain::{AspectRatio, Language, Scene, Style};
use glimvid_providers::{ErrorClass, RenderObserver};
use image::{Rgb, RgbImage};

use super::*;
use crate::encode::FrameSource;
use crate::probe::{decode_frames, probe_mp4};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)).unwrap()
}

fn enhanced(aspect: AspectRatio) -> Vec<Bytes> {
    ["coffee.png", "rocket.jpg"]
        .iter()
        .map(|n| crate::enhance::enhance_photo(&fixture(n), aspect.dimensions()).unwrap().bytes)
        .collect()
}

fn script(photos: &[u32]) -> Script {
    Script {
        title: "Morning Rocket Espresso".into(),
        hook: "Wake up to something better".into(),
        scenes: photos
            .iter()
            .enumerate()
            .map(|(i, &p)| Scene {
                caption: [
                    "Roasted fresh every week",
                    "One cup and your morning takes off",
                    "Rich crema, smooth finish",
                ][i % 3]
                    .into(),
                voiceover: String::new(),
                photo_index: p,
            })
            .collect(),
        call_to_action: "Order now".into(),
    }
}

fn options(aspect_ratio: AspectRatio, duration_s: u32) -> VideoOptions {
    VideoOptions { aspect_ratio, duration_s, language: Language::En, style: Style::Clean }
}

fn luma(p: &Rgb<u8>) -> f64 {
    0.2126 * p[0] as f64 + 0.7152 * p[1] as f64 + 0.0722 * p[2] as f64
}

#[derive(Default)]
struct Notes(Mutex<Vec<String>>);

#[async_trait]
impl RenderObserver for Notes {
    async fn note(&self, message: &str) {
        self.0.lock().unwrap().push(message.to_owned());
    }
}

/// The main end-to-end check: 5 s of 1080x1920 from two real photos, probed and decoded.
#[test]
fn portrait_render_is_a_clean_faststart_h264_with_captions() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("nested/video.mp4");
    let (script, images, opts) =
        (script(&[0, 1, 0]), enhanced(AspectRatio::Portrait), options(AspectRatio::Portrait, 5));
    let r = render_video(&script, &images, &opts, &out, &BundledH264::new()).unwrap();
    assert_eq!(
        r,
        RenderOutput { width: 1080, height: 1920, frames: 150, duration_ms: 5000, encoder: "openh264".into() }
    );

    let info = probe_mp4(&out).unwrap();
    assert_eq!((info.width, info.height, info.frames, info.codec.as_str()), (1080, 1920, 150, "avc1"));
    assert!(info.duration_ms.abs_diff(5000) <= 500, "{}", info.duration_ms);
    assert!(info.faststart);
    assert_eq!(info.decodable_frames, 150);
    assert!(info.keyframes >= 2, "two chunks, two IDRs: {}", info.keyframes);
    let mbps = info.file_bytes as f64 * 8.0 / 5.0 / 1e6;
    assert!((2.0..12.0).contains(&mbps), "{mbps:.1} Mbit/s");

    // A frame in the middle of scene 2's caption: white text and a dark box where the caption
    // sits, none of the text outside it.
    let composer = prepare(&script, &images, &opts).unwrap();
    let tl = composer.timeline();
    let cue = tl.cues.iter().find(|c| c.cue == timeline::Cue::Caption(1)).unwrap();
    let frame = ((cue.start + cue.end) / 2.0 * FPS as f64) as u32;
    let (cols, rows) = composer.caption_area(1).unwrap();
    let frames = decode_frames(&out, &[frame]).unwrap();
    let img = &frames[0];
    let (mut text, mut dark, mut n) = (0, 0, 0);
    for y in rows.clone() {
        for x in cols.clone() {
            let p = img.get_pixel(x as u32, y as u32);
            n += 1;
            if luma(p) > 220.0 && p[0].abs_diff(p[2]) < 30 {
                text += 1;
            }
            if luma(p) < 50.0 {
                dark += 1;
            }
        }
    }
    assert!(text > n / 25, "caption text pixels: {text} of {n}");
    assert!(dark > n / 4, "caption backing pixels: {dark} of {n}");
}

/// Mean absolute difference between two RGB frames.
fn mad(a: &[u8], b: &[u8]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (*x as f64 - *y as f64).abs()).sum::<f64>() / a.len() as f64
}

/// Ken Burns moves are sub-pixel: inside a shot, frame-to-frame change is small and steady (an
/// integer-step crop would alternate still frames and 1-pixel jumps).
#[test]
fn pan_and_zoom_are_smooth() {
    // A fine texture shows any jitter.
    let tex = RgbImage::from_fn(1080, 1080, |x, y| {
        let v = (((x as f32 * 0.21).sin() + (y as f32 * 0.17).cos()) * 60.0 + 128.0) as u8;
        Rgb([v, v / 2 + 60, 255 - v])
    });
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 95).encode_image(&tex).unwrap();
    let opts = options(AspectRatio::Square, 15);
    let composer = prepare(&script(&[0, 0, 0]), &[Bytes::from(jpeg)], &opts).unwrap();
    let tl = composer.timeline();
    // One shot over three scenes: pick a window well inside it with a caption fully shown.
    let cue = tl.cues.iter().find(|c| c.cue == timeline::Cue::Caption(1)).unwrap();
    let (from, to) = (((cue.start + 0.4) * 30.0) as u32, ((cue.end - 0.4) * 30.0) as u32);
    assert!(to > from + 20);
    let size = (1080 * 1080 * 3) as usize;
    let (mut prev, mut cur) = (vec![0u8; size], vec![0u8; size]);
    composer.draw_rgb(from, &mut prev);
    let mut diffs = Vec::new();
    for i in from + 1..=to {
        composer.draw_rgb(i, &mut cur);
        diffs.push(mad(&prev, &cur));
        std::mem::swap(&mut prev, &mut cur);
    }
    let max = diffs.iter().cloned().fold(0.0, f64::max);
    let min = diffs.iter().cloned().fold(f64::MAX, f64::min);
    assert!(max < 12.0, "the picture moves slowly: max change {max:.2}");
    assert!(min > 0.05, "the picture never stops: min change {min:.3}");
    for w in diffs.windows(2) {
        assert!(w[1] < w[0] * 1.6 + 0.1 && w[0] < w[1] * 1.6 + 0.1, "steady motion: {diffs:?}");
    }
}

#[tokio::test]
async fn square_and_landscape_render_through_the_port() {
    let renderer = LocalRenderer::new();
    assert_eq!(renderer.name(), "local");
    let dir = tempfile::tempdir().unwrap();
    for (aspect, style) in [(AspectRatio::Square, Style::Bold), (AspectRatio::Landscape, Style::Elegant)] {
        let notes = Arc::new(Notes::default());
        let output = dir.path().join(format!("{}.mp4", aspect.as_str().replace(':', "x")));
        let req = RenderRequest {
            script: script(&[1, 0, 1]),
            images: enhanced(aspect),
            options: VideoOptions { style, ..options(aspect, 3) },
            output: output.clone(),
            observer: notes.clone(),
        };
        let r = renderer.render(req).await.unwrap();
        let (w, h) = aspect.dimensions();
        assert_eq!((r.width, r.height, r.frames, r.duration_ms), (w, h, 90, 3000));
        let info = probe_mp4(&output).unwrap();
        assert_eq!((info.width, info.height, info.frames, info.decodable_frames), (w, h, 90, 90));
        assert!(info.faststart);
        let notes = notes.0.lock().unwrap();
        assert_eq!(notes[0], "encoder: openh264 (bundled)");
    }
}

#[tokio::test]
async fn bad_requests_are_permanent_errors_and_leave_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("v.mp4");
    let images = enhanced(AspectRatio::Square);
    let cases = [
        (script(&[0, 1, 2]), images.clone(), "photo 3"),
        (script(&[0]), vec![], "no photos"),
        (script(&[0]), vec![Bytes::from_static(b"garbage")], "could not be decoded"),
    ];
    for (script, images, want) in cases {
        let req = RenderRequest {
            script,
            images,
            options: options(AspectRatio::Square, 5),
            output: output.clone(),
            observer: Arc::new(glimvid_providers::NoopObserver),
        };
        let e = LocalRenderer::new().render(req).await.unwrap_err();
        assert_eq!(e.class, ErrorClass::Permanent);
        assert!(e.message.contains(want), "{e}");
        assert!(!output.exists());
    }
}

#[test]
fn frame_source_is_deterministic() {
    let opts = options(AspectRatio::Square, 5);
    let composer = prepare(&script(&[0, 1, 0]), &enhanced(AspectRatio::Square), &opts).unwrap();
    assert_eq!(composer.frame_count(), 150);
    let (mut a, mut b) = (crate::yuv::Yuv420::new(1080, 1080), crate::yuv::Yuv420::new(1080, 1080));
    composer.render(77, &mut a);
    composer.render(77, &mut b);
    assert_eq!(a.y(), b.y());
}
