use glimvid_domain::{AspectRatio, VideoOptions};
use image::{Rgb, RgbImage};

use super::*;

fn png(img: &RgbImage) -> Bytes {
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new(&mut out)
        .write_image(img.as_raw(), img.width(), img.height(), image::ExtendedColorType::Rgb8)
        .unwrap();
    Bytes::from(out)
}

/// A neutral textured scene (a grey ramp with detail), optionally tinted and squeezed in range.
fn scene(w: u32, h: u32, tint: [f32; 3], lo: f32, hi: f32) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| {
        let t = (x as f32 / w as f32 * 0.6 + y as f32 / h as f32 * 0.25 + ((x / 3 + y / 5) % 7) as f32 / 7.0 * 0.15)
            .min(1.0);
        let v = lo + (hi - lo) * t;
        Rgb(tint.map(|k| (v * k).round().clamp(0.0, 255.0) as u8))
    })
}

fn channel_means(img: &RgbImage) -> [f64; 3] {
    let mut s = [0f64; 3];
    for p in img.pixels() {
        for c in 0..3 {
            s[c] += p[c] as f64;
        }
    }
    s.map(|v| v / img.pixels().len() as f64)
}

fn spread(m: [f64; 3]) -> f64 {
    m.iter().cloned().fold(f64::MIN, f64::max) - m.iter().cloned().fold(f64::MAX, f64::min)
}

fn decode(e: &EnhancedImage) -> RgbImage {
    image::load_from_memory(&e.bytes).unwrap().into_rgb8()
}

fn options(aspect_ratio: AspectRatio) -> VideoOptions {
    VideoOptions { aspect_ratio, duration_s: 15, ..VideoOptions::default() }
}

#[tokio::test]
async fn output_is_exactly_the_frame_size_for_every_aspect_ratio() {
    let coffee = Bytes::from(std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/coffee.png")).unwrap());
    let enhancer = LocalEnhancer::new();
    assert_eq!(enhancer.name(), "local");
    for ar in AspectRatio::ALL {
        let out = enhancer.enhance(&EnhanceRequest { photo: coffee.clone(), options: options(ar) }).await.unwrap();
        let (w, h) = ar.dimensions();
        assert_eq!((out.width, out.height, out.content_type), (w, h, "image/jpeg"), "{ar}");
        assert_eq!(decode(&out).dimensions(), (w, h));
        // 600x400 (3:2) is 16% narrower than 16:9 and far from 1:1 and 9:16: never cropped.
        assert!(out.note.starts_with("blurred fill"), "{ar}: {}", out.note);
    }
}

#[test]
fn close_aspect_is_cover_cropped_and_far_aspect_gets_a_backdrop() {
    let near = png(&scene(560, 1000, [1.0; 3], 20.0, 235.0)); // 0.56 vs 0.5625
    let out = enhance_photo(&near, (1080, 1920)).unwrap();
    assert!(out.note.starts_with("cover crop"), "{}", out.note);

    // A wide photo in a tall frame: the photo band in the middle, a darker blurred band above it.
    let wide = png(&scene(800, 400, [1.0; 3], 150.0, 235.0));
    let out = enhance_photo(&wide, (1080, 1920)).unwrap();
    assert!(out.note.starts_with("blurred fill") && out.note.contains("wider than 9:16"), "{}", out.note);
    let img = decode(&out);
    let band_luma = |y0: u32, y1: u32| {
        let mut s = 0f64;
        for y in y0..y1 {
            for x in 0..1080 {
                s += img.get_pixel(x, y)[1] as f64;
            }
        }
        s / ((y1 - y0) * 1080) as f64
    };
    // The photo occupies rows 690..1230.
    assert!(band_luma(100, 400) < band_luma(800, 1100) * 0.8);
}

#[test]
fn a_colour_cast_is_reduced() {
    let src = scene(540, 960, [1.2, 1.0, 0.75], 40.0, 210.0);
    let before = spread(channel_means(&src));
    let out = enhance_photo(&png(&src), (1080, 1920)).unwrap();
    let after = spread(channel_means(&decode(&out)));
    assert!(after < before * 0.5, "channel-mean spread {before:.1} -> {after:.1}");
    assert!(out.note.contains("white balance"), "{}", out.note);
}

#[test]
fn a_flat_image_gets_its_histogram_stretched() {
    let range = |img: &RgbImage| {
        let mut g: Vec<u8> = img.pixels().map(|p| p[1]).collect();
        g.sort_unstable();
        let p = |q: f64| g[((g.len() - 1) as f64 * q) as usize] as i32;
        p(0.99) - p(0.01)
    };
    let src = scene(540, 960, [1.0; 3], 95.0, 165.0);
    let out = decode(&enhance_photo(&png(&src), (1080, 1920)).unwrap());
    let (before, after) = (range(&src), range(&out));
    assert!(after as f64 > before as f64 * 1.6, "1-99% range {before} -> {after}");
}

#[test]
fn undecodable_input_is_a_permanent_error() {
    let e = enhance_photo(b"not an image", (1080, 1080)).unwrap_err();
    assert!(!e.is_transient());
    assert_eq!(e.code, "invalid_image");
}
