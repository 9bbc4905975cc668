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
    VideoOptions { aspect_ratio, duration_s, language: Language::En, style: Style::Clean, ..Default::default() }
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
            voice_over: None,
        };
        let r = renderer.render(req).await.unwrap();
        let (w, h) = aspect.dimensions();
        assert_eq!((r.width, r.height, r.frames, r.duration_ms), (w, h, 90, 3000));
        let info = probe_mp4(&output).unwrap();
        assert_eq!((info.width, info.height, info.frames, info.decodable_frames), (w, h, 90, 90));
        assert!(info.faststart);
        let notes = notes.0.lock().unwrap();
        assert_eq!(notes[0], "encoder: openh264 (bundled) — default");
    }
}

/// The configured encoder renders through the port and its choice is the first job event.
#[tokio::test]
async fn the_encoder_choice_is_reported_and_used() {
    let dir = tempfile::tempdir().unwrap();
    let require = std::env::var("GLIMVID_TEST_REQUIRE_REAL").is_ok_and(|v| v == "1" || v == "true");
    let mut choices = vec![(EncoderChoice::Bundled, "openh264")];
    match crate::encode::FfmpegEncoder::detect() {
        Ok(_) => choices.push((EncoderChoice::System, "libx264")),
        Err(why) if require => panic!("GLIMVID_TEST_REQUIRE_REAL=1 but {why}"),
        Err(why) => eprintln!("SKIPPED the system encoder render: {why}"),
    }
    for (choice, name) in choices {
        let renderer = LocalRenderer::with_choice(choice).unwrap();
        let notes = Arc::new(Notes::default());
        let output = dir.path().join(format!("{choice}.mp4"));
        let req = RenderRequest {
            script: script(&[0, 1]),
            images: enhanced(AspectRatio::Square),
            options: options(AspectRatio::Square, 3),
            output: output.clone(),
            observer: notes.clone(),
            voice_over: None,
        };
        let r = renderer.render(req).await.unwrap();
        assert_eq!((r.frames, r.encoder.as_str()), (90, name));
        let info = probe_mp4(&output).unwrap();
        assert_eq!((info.frames, info.decodable_frames, info.faststart), (90, 90, true), "{choice}");
        let notes = notes.0.lock().unwrap();
        assert!(notes[0].starts_with(&format!("encoder: {name}")) && notes[0].contains("configured"), "{notes:?}");
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
        // A bad photo among good ones is named, whichever worker met it.
        (
            script(&[0, 1, 2]),
            vec![images[0].clone(), Bytes::from_static(b"garbage"), images[1].clone()],
            "photo 2 could not be decoded",
        ),
    ];
    for (script, images, want) in cases {
        let req = RenderRequest {
            script,
            images,
            options: options(AspectRatio::Square, 5),
            output: output.clone(),
            observer: Arc::new(glimvid_providers::NoopObserver),
            voice_over: None,
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

/// A clip of solid colour with a square moving across it.
struct ColourClip {
    colour: [u8; 3],
    frames: u32,
}

impl FrameSource for ColourClip {
    fn frame_count(&self) -> u32 {
        self.frames
    }

    fn render(&self, index: u32, out: &mut crate::yuv::Yuv420) {
        let (w, h) = (out.width(), out.height());
        let mut rgb = Vec::with_capacity((w * h * 3) as usize);
        for y in 0..h {
            for x in 0..w {
                let square = (x as i32 - 10 - 4 * index as i32).abs() < 12 && (y as i32 - 100).abs() < 12;
                rgb.extend_from_slice(&if square { [250, 250, 250] } else { self.colour });
            }
        }
        out.fill_from_rgb(&rgb);
    }
}

pub(super) fn make_clips(dir: &Path) -> Vec<std::path::PathBuf> {
    let colours = [[200, 40, 40], [40, 190, 60], [40, 60, 200]];
    colours
        .iter()
        .enumerate()
        .map(|(i, &colour)| {
            let path = dir.join(format!("clip{i}.mp4"));
            let spec = EncodeSpec { width: 320, height: 240, fps: 30, bitrate: 800_000 };
            BundledH264::new().encode(&spec, &ColourClip { colour, frames: 60 }, &path).unwrap();
            path
        })
        .collect()
}

/// Clips made by our own encoder come out as one video with captions, each scene showing its
/// clip (by colour) and the clip moving (it plays, it is not a still).
#[tokio::test]
async fn clips_are_joined_with_captions_and_transitions() {
    use glimvid_providers::{ClipJoiner, JoinRequest};
    let dir = tempfile::tempdir().unwrap();
    let clips = make_clips(dir.path());
    let output = dir.path().join("joined.mp4");
    let notes = Arc::new(Notes::default());
    let (script, opts) = (script(&[0, 0, 1]), options(AspectRatio::Square, 6));
    let req = JoinRequest {
        script: script.clone(),
        clips: clips.clone(),
        options: opts,
        output: output.clone(),
        observer: notes.clone(),
        voice_over: None,
    };
    let r = LocalRenderer::with_choice(EncoderChoice::Bundled).unwrap().join(req).await.unwrap();
    assert_eq!((r.width, r.height, r.frames, r.encoder.as_str()), (1080, 1080, 180, "openh264"));
    let info = probe_mp4(&output).unwrap();
    assert_eq!((info.frames, info.decodable_frames, info.faststart), (180, 180, true));
    assert!(notes.0.lock().unwrap()[0].starts_with("encoder: openh264"));

    // Rebuild the same timeline to know when each scene's caption is fully shown.
    let mut one_shot_each = script.clone();
    for (i, s) in one_shot_each.scenes.iter_mut().enumerate() {
        s.photo_index = i as u32;
    }
    let tl = Timeline::new(&one_shot_each, 6, FPS, Style::Clean);
    let mid = |k: usize| {
        let c = tl.cues.iter().find(|c| c.cue == timeline::Cue::Caption(k)).unwrap();
        ((c.start + c.end) / 2.0 * FPS as f64) as u32
    };
    let picks = [mid(0), mid(1), mid(1) + 6, mid(2)];
    let frames = decode_frames(&output, &picks).unwrap();
    // The upper part of the frame (no text there, little darkening) shows the scene's clip colour.
    let dominant = |img: &RgbImage| {
        let mut s = [0f64; 3];
        for y in 380..560 {
            for x in 0..1080 {
                let p = img.get_pixel(x, y);
                for c in 0..3 {
                    s[c] += p[c] as f64;
                }
            }
        }
        (0..3).max_by(|&a, &b| s[a].total_cmp(&s[b])).unwrap()
    };
    assert_eq!(dominant(&frames[0]), 0, "scene 1 shows the red clip");
    assert_eq!(dominant(&frames[1]), 1, "scene 2 shows the green clip");
    assert_eq!(dominant(&frames[3]), 2, "scene 3 shows the blue clip");
    assert!(mad(frames[1].as_raw(), frames[2].as_raw()) > 0.2, "the clip plays (the square moves)");

    // Captions as in a local render: bright text in scene 2's caption area.
    let composer_caption = {
        let firsts = vec![RgbImage::new(1080, 1080); 3];
        Composer::new(&one_shot_each, firsts, (1080, 1080), tl.clone(), Style::Clean).caption_area(1).unwrap()
    };
    let (cols, rows) = composer_caption;
    let text = rows
        .flat_map(|y| cols.clone().map(move |x| (x, y)))
        .filter(|&(x, y)| luma(frames[1].get_pixel(x as u32, y as u32)) > 220.0)
        .count();
    assert!(text > 200, "caption pixels: {text}");
}

#[tokio::test]
async fn bad_clips_are_permanent_errors() {
    use glimvid_providers::{ClipJoiner, JoinRequest};
    let dir = tempfile::tempdir().unwrap();
    let mut clips = make_clips(dir.path());
    let output = dir.path().join("joined.mp4");
    let join = |clips: Vec<std::path::PathBuf>| JoinRequest {
        script: script(&[0, 1, 2]),
        clips,
        options: options(AspectRatio::Square, 4),
        output: output.clone(),
        observer: Arc::new(glimvid_providers::NoopObserver),
        voice_over: None,
    };
    let renderer = LocalRenderer::new();
    let e = renderer.join(join(clips[..2].to_vec())).await.unwrap_err();
    assert_eq!(e.class, ErrorClass::Permanent);
    assert!(e.message.contains("2 clips for 3 scenes"), "{e}");
    let junk = dir.path().join("junk.mp4");
    std::fs::write(&junk, b"not a video").unwrap();
    clips[1] = junk;
    let e = renderer.join(join(clips)).await.unwrap_err();
    assert_eq!(e.class, ErrorClass::Permanent);
    assert!(e.message.contains("clip 2"), "{e}");
    assert!(!output.exists());
}
