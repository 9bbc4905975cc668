//! Framing a photo to the video's aspect ratio. A photo whose shape is close to the frame's is
//! cover-cropped (little is lost); any other is shown whole, centred over a blurred, darkened
//! cover-fill of itself with a soft shadow, so nothing of the product is cut off.

use fast_image_resize::FilterType;
use image::RgbImage;

use super::color::Correction;
use crate::imaging::{Rect, blur, resized, unsharp};

/// Within this ratio of the frame's aspect a cover crop loses at most ~9% of the photo.
const COVER_TOLERANCE: f64 = 1.10;
/// The backdrop is built at 1/BG_SCALE of the frame and blurred there: cheap and smooth.
const BG_SCALE: u32 = 8;
const BG_BLUR_RADIUS: usize = 5;
const BG_BRIGHTNESS: f32 = 0.55;
const BG_SATURATION: f32 = 0.8;
const SHADOW_STRENGTH: f32 = 0.45;

pub struct Framed {
    pub image: RgbImage,
    pub note: String,
}

fn ratio_label((w, h): (u32, u32)) -> String {
    match (w, h) {
        (1080, 1920) => "9:16".into(),
        (1920, 1080) => "16:9".into(),
        (w, h) if w == h => "1:1".into(),
        (w, h) => format!("{w}x{h}"),
    }
}

/// Frames `img` (full resolution, uncorrected) into `target`; `small` is the corrected reduced
/// copy used for the backdrop and `corr` the correction to apply to the photo itself.
pub fn fit(img: &RgbImage, small: &RgbImage, corr: &Correction, target: (u32, u32)) -> Framed {
    let (w, h) = img.dimensions();
    let (tw, th) = target;
    let photo_aspect = w as f64 / h as f64;
    let target_aspect = tw as f64 / th as f64;
    let ratio = photo_aspect / target_aspect;
    let label = ratio_label(target);

    if (1.0 / COVER_TOLERANCE..=COVER_TOLERANCE).contains(&ratio) {
        let rect = Rect::cover(w, h, target_aspect);
        let mut out = resized(img, tw, th, Some(rect), FilterType::Lanczos3);
        corr.apply(&mut out);
        unsharp(&mut out, sharpen_amount(rect.width / tw as f64), 2);
        let lost = 100.0 * (1.0 - (rect.width * rect.height) / (w as f64 * h as f64));
        return Framed {
            image: out,
            note: format!(
                "cover crop: the {w}x{h} photo is within 10% of {label}, so it fills the frame ({lost:.0}% trimmed)"
            ),
        };
    }

    let mut out = backdrop(small, target);
    let scale = (tw as f64 / w as f64).min(th as f64 / h as f64);
    let fw = ((w as f64 * scale).round() as u32).clamp(1, tw);
    let fh = ((h as f64 * scale).round() as u32).clamp(1, th);
    let mut fg = resized(img, fw, fh, None, FilterType::Lanczos3);
    corr.apply(&mut fg);
    unsharp(&mut fg, sharpen_amount(1.0 / scale), 2);
    let (x0, y0) = ((tw - fw) / 2, (th - fh) / 2);
    let (stride, fstride) = (tw as usize * 3, fw as usize * 3);
    let (dst, src): (&mut [u8], &[u8]) = (&mut out, &fg);
    for row in 0..fh as usize {
        let o = (y0 as usize + row) * stride + x0 as usize * 3;
        dst[o..o + fstride].copy_from_slice(&src[row * fstride..(row + 1) * fstride]);
    }
    let shape = if ratio > 1.0 { "wider" } else { "taller" };
    Framed {
        image: out,
        note: format!(
            "blurred fill: the {w}x{h} photo is {shape} than {label}, so it is shown whole over a blurred backdrop of itself"
        ),
    }
}

/// Upscaled photos get a firmer sharpening than downscaled ones (which are already crisp).
fn sharpen_amount(src_per_dst: f64) -> f32 {
    if src_per_dst < 0.8 { 0.6 } else { 0.35 }
}

/// A cover-fill of the photo, blurred, darkened and slightly desaturated, with a soft shadow
/// where the photo will sit; built small and upscaled smoothly.
fn backdrop(small: &RgbImage, (tw, th): (u32, u32)) -> RgbImage {
    let (bw, bh) = ((tw / BG_SCALE).max(8), (th / BG_SCALE).max(8));
    let (sw, sh) = small.dimensions();
    let rect = Rect::cover(sw, sh, tw as f64 / th as f64);
    let mut bg = resized(small, bw, bh, Some(rect), FilterType::CatmullRom);
    blur(&mut bg, BG_BLUR_RADIUS);

    // Where the photo sits (in backdrop pixels), for the shadow.
    let scale = (tw as f64 / sw as f64).min(th as f64 / sh as f64);
    let (pw, ph) = (sw as f64 * scale / BG_SCALE as f64, sh as f64 * scale / BG_SCALE as f64);
    let (px0, py0) = ((bw as f64 - pw) / 2.0, (bh as f64 - ph) / 2.0);
    let spread = 2.5f64;
    for (x, y, p) in bg.enumerate_pixels_mut() {
        let (cx, cy) = (x as f64 + 0.5, y as f64 + 0.5);
        let dx = (px0 - cx).max(cx - (px0 + pw)).max(0.0);
        let dy = (py0 - cy).max(cy - (py0 + ph)).max(0.0);
        let d = (dx * dx + dy * dy).sqrt();
        let shadow = 1.0 - SHADOW_STRENGTH * (-(d / spread).powi(2)).exp() as f32;
        let [r, g, b] = [p[0] as f32, p[1] as f32, p[2] as f32];
        let l = 0.2126 * r + 0.7152 * g + 0.0722 * b;
        for (c, v) in [r, g, b].into_iter().enumerate() {
            let desat = l + (v - l) * BG_SATURATION;
            p[c] = (desat * BG_BRIGHTNESS * shadow).round().clamp(0.0, 255.0) as u8;
        }
    }
    resized(&bg, tw, th, None, FilterType::CatmullRom)
}
