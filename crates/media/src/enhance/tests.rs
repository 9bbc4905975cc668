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

/// A soft studio backdrop (vertical gradient) with a high-detail object (a checkerboard) over
/// columns `x0..x1` and rows `y0..y1` (fractions of the image).
fn product_shot(w: u32, h: u32, (x0, x1): (f64, f64), (y0, y1): (f64, f64)) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| {
        let (fx, fy) = (x as f64 / w as f64, y as f64 / h as f64);
        if (x0..x1).contains(&fx) && (y0..y1).contains(&fy) {
            let cell = (w / 48).max(2);
            let on = ((x / cell) + (y / cell)).is_multiple_of(2);
            if on { Rgb([230, 60, 40]) } else { Rgb([30, 40, 90]) }
        } else {
            let v = (200.0 - 60.0 * fy) as u8;
            Rgb([v, v, v.saturating_sub(6)])
        }
    })
}

#[test]
fn the_subject_crop_window_contains_the_high_energy_region() {
    let small = product_shot(384, 216, (0.62, 0.80), (0.25, 0.75));
    let subject = fit::find_subject(&small).unwrap();
    assert!((0.64..0.78).contains(&subject.cx), "{subject:?}");
    let (rect, _) = fit::subject_window(&small, (3200, 1800), (1080, 1920)).unwrap();
    assert!((rect.width / rect.height - 9.0 / 16.0).abs() < 1e-6);
    assert!(rect.left >= 0.0 && rect.left + rect.width <= 3200.0 + 1e-6);
    // The whole object (x 1984..2560) is inside the window, which is off-centre to hold it.
    assert!(rect.left <= 0.62 * 3200.0 && rect.left + rect.width >= 0.80 * 3200.0, "{rect:?}");
    assert!(rect.left > (3200.0 - rect.width) / 2.0, "{rect:?}");

    // A subject wider than a 9:16 window, or no subject at all: no crop, and why.
    let wide = product_shot(384, 216, (0.15, 0.85), (0.25, 0.75));
    let e = fit::subject_window(&wide, (3200, 1800), (1080, 1920)).unwrap_err();
    assert!(matches!(e, fit::NoSubjectCrop::SubjectTooLarge { .. }), "{e}");
    assert!(e.to_string().contains("subject spans"), "{e}");
    let plain = product_shot(384, 216, (0.0, 0.0), (0.0, 0.0));
    let e = fit::subject_window(&plain, (3200, 1800), (1080, 1920)).unwrap_err();
    assert!(matches!(e, fit::NoSubjectCrop::NoSubject), "{e}");
    // Too few pixels for a sharp crop: a 640x360 photo's 9:16 window is 203 px wide.
    let e = fit::subject_window(&small, (640, 360), (1080, 1920)).unwrap_err();
    assert!(matches!(e, fit::NoSubjectCrop::TooSmall { .. }), "{e}");
    assert!(e.to_string().contains("too small"), "{e}");
}

#[test]
fn a_small_subject_in_a_large_wide_photo_is_cropped_around() {
    let src = product_shot(2800, 1600, (0.12, 0.30), (0.2, 0.8));
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 90).encode_image(&src).unwrap();
    let out = enhance_photo(&jpeg, (1080, 1920)).unwrap();
    assert!(out.note.starts_with("subject crop"), "{}", out.note);
    let img = decode(&out);
    assert_eq!(img.dimensions(), (1080, 1920));
    // The checkerboard fills the middle of the frame: strong detail there.
    let mut edges = 0u32;
    for y in (700..1200).step_by(4) {
        for x in 200..880 {
            if img.get_pixel(x, y)[0].abs_diff(img.get_pixel(x + 1, y)[0]) > 60 {
                edges += 1;
            }
        }
    }
    assert!(edges > 500, "checkerboard edges in the frame: {edges}");

    // The same object spread wide: shown whole, and the note says why.
    let wide = product_shot(2800, 1600, (0.1, 0.9), (0.2, 0.8));
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 90).encode_image(&wide).unwrap();
    let out = enhance_photo(&jpeg, (1080, 1920)).unwrap();
    assert!(out.note.starts_with("blurred fill") && out.note.contains("subject spans"), "{}", out.note);
}

#[test]
fn a_noisy_photo_is_denoised_and_says_so() {
    let mut seed = 7u32;
    let noisy = RgbImage::from_fn(1080, 1080, |x, y| {
        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
        let n = ((seed >> 16) % 25) as i32 - 12;
        let v = (60 + (x + y) as i32 / 20 + n).clamp(0, 255) as u8;
        Rgb([v, v, v])
    });
    let out = enhance_photo(&png(&noisy), (1080, 1080)).unwrap();
    assert!(out.note.contains("light denoise"), "{}", out.note);
    let clean = RgbImage::from_fn(1080, 1080, |x, y| {
        let v = (40 + (x + y) / 12) as u8;
        Rgb([v, v, v])
    });
    let out = enhance_photo(&png(&clean), (1080, 1080)).unwrap();
    assert!(!out.note.contains("denoise"), "{}", out.note);
}
