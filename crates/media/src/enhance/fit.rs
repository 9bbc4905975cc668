//! Framing a photo to the video's aspect ratio, chosen per photo:
//! - cover crop: the photo's shape is close to the frame's (little is lost);
//! - subject crop: the shapes differ, but the subject (where the edge energy is, measured on the
//!   reduced copy) fits inside a frame-shaped window with room to spare, and the window has
//!   pixels enough: the window is placed around the subject;
//! - blurred fill: otherwise the photo is shown whole, centred over a blurred, darkened
//!   cover-fill of itself with a soft shadow, so nothing of the product is cut off.
//!
//! Every step runs at the resolution it needs: the subject search and the backdrop on the
//! reduced copy, the photo resampled once (SIMD), then denoise and sharpening at output size.

use fast_image_resize::FilterType;
use image::RgbImage;

use super::color::Correction;
use crate::imaging::{Rect, blur, denoise, noise_sigma, resized, unsharp};

/// Within this ratio of the frame's aspect a cover crop loses at most ~9% of the photo.
const COVER_TOLERANCE: f64 = 1.10;
/// The backdrop is built at 1/BG_SCALE of the frame and blurred there: cheap and smooth.
const BG_SCALE: u32 = 8;
const BG_BLUR_RADIUS: usize = 5;
const BG_BRIGHTNESS: f32 = 0.55;
const BG_SATURATION: f32 = 0.8;
const SHADOW_STRENGTH: f32 = 0.45;
/// A subject crop needs the subject's extent to fill at most this share of the window.
const SUBJECT_FILL: f64 = 0.9;
/// ... and the window to be upscaled at most this much to the frame (else it looks soft).
const MAX_CROP_UPSCALE: f64 = 1.25;
/// The subject's extent: the central share of its edge energy along each axis.
const SUBJECT_MASS: f64 = 0.9;
/// Below this noise level (8-bit levels) the denoise is skipped.
const MIN_NOISE_SIGMA: f64 = 1.2;

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
        let (out, cleaned) = render_window(img, rect, corr, target);
        let lost = 100.0 * (1.0 - (rect.width * rect.height) / (w as f64 * h as f64));
        return Framed {
            image: out,
            note: format!(
                "cover crop: the {w}x{h} photo is within 10% of {label}, so it fills the frame ({lost:.0}% trimmed){cleaned}"
            ),
        };
    }

    let fill_reason = match subject_window(small, (w, h), target) {
        Ok((rect, subject)) => {
            let (out, cleaned) = render_window(img, rect, corr, target);
            let kept = 100.0 * (rect.width * rect.height) / (w as f64 * h as f64);
            return Framed {
                image: out,
                note: format!(
                    "subject crop: the subject ({:.0}% of the photo's width, {:.0}% of its height) fits a {label} window \
                     of the {w}x{h} photo, so the frame is cropped around it ({kept:.0}% of the photo kept){cleaned}",
                    subject.width * 100.0,
                    subject.height * 100.0
                ),
            };
        }
        Err(reason) => reason,
    };

    let mut out = backdrop(small, target);
    let scale = (tw as f64 / w as f64).min(th as f64 / h as f64);
    let fw = ((w as f64 * scale).round() as u32).clamp(1, tw);
    let fh = ((h as f64 * scale).round() as u32).clamp(1, th);
    let mut fg = resized(img, fw, fh, None, FilterType::Lanczos3);
    let cleaned = clean(&mut fg);
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
            "blurred fill: the {w}x{h} photo is {shape} than {label} and {fill_reason}, so it is shown whole over a \
             blurred backdrop of itself{cleaned}"
        ),
    }
}

/// Resamples `rect` of the photo to the frame, then denoise, colour and sharpening at output
/// size. Returns the note suffix of the denoise.
fn render_window(img: &RgbImage, rect: Rect, corr: &Correction, (tw, th): (u32, u32)) -> (RgbImage, String) {
    let mut out = resized(img, tw, th, Some(rect), FilterType::Lanczos3);
    let cleaned = clean(&mut out);
    corr.apply(&mut out);
    unsharp(&mut out, sharpen_amount(rect.width / tw as f64), 2);
    (out, cleaned)
}

/// Light edge-preserving denoise scaled to the measured noise (none on a clean picture).
fn clean(img: &mut RgbImage) -> String {
    let sigma = noise_sigma(img);
    if sigma < MIN_NOISE_SIGMA {
        return String::new();
    }
    denoise(img, (2.5 * sigma).round().clamp(2.0, 16.0) as u8);
    format!("; light denoise (noise {sigma:.1} levels)")
}

/// Where the subject is, as fractions of the photo: the box holding the central
/// [`SUBJECT_MASS`] of the edge energy along each axis, and the energy's centroid.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Subject {
    pub left: f64,
    pub top: f64,
    pub width: f64,
    pub height: f64,
    pub cx: f64,
    pub cy: f64,
}

/// Measures the subject on the reduced copy: gradient magnitude of the luma above a noise floor
/// (three times the median gradient), so flat backdrops, gradients and grain do not count.
pub fn find_subject(small: &RgbImage) -> Option<Subject> {
    let (w, h) = (small.width() as usize, small.height() as usize);
    if w < 8 || h < 8 {
        return None;
    }
    let luma: Vec<f32> =
        small.pixels().map(|p| 0.2126 * p[0] as f32 + 0.7152 * p[1] as f32 + 0.0722 * p[2] as f32).collect();
    let mut grad = vec![0f32; w * h];
    for y in 1..h - 1 {
        for x in 1..w - 1 {
            let i = y * w + x;
            grad[i] = (luma[i + 1] - luma[i - 1]).abs() + (luma[i + w] - luma[i - w]).abs();
        }
    }
    let mut sorted = grad.clone();
    sorted.sort_unstable_by(f32::total_cmp);
    let floor = (sorted[sorted.len() / 2] * 3.0).max(6.0);
    let (mut col, mut row) = (vec![0f64; w], vec![0f64; h]);
    for y in 0..h {
        for x in 0..w {
            let e = (grad[y * w + x] - floor).max(0.0) as f64;
            col[x] += e;
            row[y] += e;
        }
    }
    let total: f64 = col.iter().sum();
    if total < (w * h) as f64 * 0.05 {
        return None; // no clear subject
    }
    let span = |m: &[f64]| {
        let (lo, hi) = ((1.0 - SUBJECT_MASS) / 2.0 * total, (1.0 + SUBJECT_MASS) / 2.0 * total);
        let (mut acc, mut a, mut b, mut centroid) = (0.0, None, m.len(), 0.0);
        for (i, v) in m.iter().enumerate() {
            acc += v;
            centroid += v * (i as f64 + 0.5);
            if a.is_none() && acc >= lo {
                a = Some(i);
            }
            if acc >= hi && b == m.len() {
                b = i + 1;
            }
        }
        let n = m.len() as f64;
        (a.unwrap_or(0) as f64 / n, b as f64 / n, centroid / total / n)
    };
    let (x0, x1, cx) = span(&col);
    let (y0, y1, cy) = span(&row);
    Some(Subject { left: x0, top: y0, width: x1 - x0, height: y1 - y0, cx, cy })
}

/// Why a photo is not cropped around its subject (the enhancement note says it).
#[derive(Debug, thiserror::Error)]
pub(crate) enum NoSubjectCrop {
    #[error("too small to crop to the frame sharply ({window_width:.0} px wide windows)")]
    TooSmall { window_width: f64 },
    #[error("has no clear subject to crop around")]
    NoSubject,
    #[error(
        "its subject spans {:.0}% x {:.0}% of it, more than a frame-shaped crop keeps ({:.0}% x {:.0}%)",
        subject.0 * 100.0, subject.1 * 100.0, window.0 * 100.0, window.1 * 100.0
    )]
    SubjectTooLarge { subject: (f64, f64), window: (f64, f64) },
}

/// A frame-shaped window of the photo (full-resolution pixels) around its subject, or why not.
pub(crate) fn subject_window(
    small: &RgbImage,
    (w, h): (u32, u32),
    (tw, th): (u32, u32),
) -> Result<(Rect, Subject), NoSubjectCrop> {
    let full = Rect::cover(w, h, tw as f64 / th as f64);
    if full.width * MAX_CROP_UPSCALE < tw as f64 {
        return Err(NoSubjectCrop::TooSmall { window_width: full.width });
    }
    let Some(s) = find_subject(small) else {
        return Err(NoSubjectCrop::NoSubject);
    };
    let (fw, fh) = (full.width / w as f64, full.height / h as f64); // window, as fractions
    if s.width > fw * SUBJECT_FILL || s.height > fh * SUBJECT_FILL {
        return Err(NoSubjectCrop::SubjectTooLarge { subject: (s.width, s.height), window: (fw, fh) });
    }
    // Centre on the energy's centroid, then slide so the whole subject box is inside.
    let place = |centre: f64, lo: f64, extent: f64, size: f64| {
        let start = (centre - size / 2.0).min(lo).max(lo + extent - size);
        start.clamp(0.0, 1.0 - size)
    };
    let left = place(s.cx, s.left, s.width, fw);
    let top = place(s.cy, s.top, s.height, fh);
    let rect = Rect { left: left * w as f64, top: top * h as f64, width: full.width, height: full.height };
    Ok((rect, s))
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
