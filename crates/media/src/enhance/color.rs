//! Colour correction measured on a reduced copy: a robust grey-world white balance (mid-tones,
//! weighted towards near-neutral pixels, gains bounded) followed by per-channel levels from the
//! 0.5 / 99.5 percentiles (stretch bounded), folded into one lookup table per channel.

use image::RgbImage;
use rayon::prelude::*;

/// Gains further than this from 1 are a colourful scene, not a cast: never correct harder.
const MAX_GAIN: f32 = 1.25;
const MIN_GAIN: f32 = 0.8;
/// How much of the measured cast is removed (a full grey world flattens warm light).
const WB_STRENGTH: f32 = 0.85;
/// The strongest levels stretch: beyond this noise and JPEG blocks show.
const MAX_STRETCH: f32 = 2.2;
const LOW_PERCENTILE: f64 = 0.005;
/// Levels kept beyond the measured percentiles.
const HEADROOM: f32 = 4.0;
const HIGH_PERCENTILE: f64 = 0.995;
/// A touch of saturation after the stretch, as a colourist would add for a product shot.
const VIBRANCE: f32 = 1.06;

#[derive(Debug, Clone, PartialEq)]
pub struct Correction {
    pub gains: [f32; 3],
    pub black: [f32; 3],
    pub white: [f32; 3],
    lut: [[u8; 256]; 3],
}

impl Correction {
    fn new(gains: [f32; 3], black: [f32; 3], white: [f32; 3]) -> Self {
        let mut lut = [[0u8; 256]; 3];
        for c in 0..3 {
            for (v, out) in lut[c].iter_mut().enumerate() {
                let x = (v as f32 * gains[c]).min(255.0);
                let y = (x - black[c]) * 255.0 / (white[c] - black[c]);
                *out = y.round().clamp(0.0, 255.0) as u8;
            }
        }
        Self { gains, black, white, lut }
    }

    /// Whether the stretch did anything noticeable (for the job's note).
    pub fn stretched(&self) -> bool {
        (0..3).any(|c| self.black[c] > 4.0 || self.white[c] < 251.0)
    }

    pub fn balanced(&self) -> bool {
        self.gains.iter().any(|g| (g - 1.0).abs() > 0.02)
    }

    /// Applies the tables and the vibrance boost in place.
    pub fn apply(&self, img: &mut RgbImage) {
        let lut = &self.lut;
        img.par_chunks_mut(3 * 1024).for_each(|chunk| {
            for p in chunk.chunks_exact_mut(3) {
                let r = lut[0][p[0] as usize] as f32;
                let g = lut[1][p[1] as usize] as f32;
                let b = lut[2][p[2] as usize] as f32;
                let l = 0.2126 * r + 0.7152 * g + 0.0722 * b;
                p[0] = (l + (r - l) * VIBRANCE).round().clamp(0.0, 255.0) as u8;
                p[1] = (l + (g - l) * VIBRANCE).round().clamp(0.0, 255.0) as u8;
                p[2] = (l + (b - l) * VIBRANCE).round().clamp(0.0, 255.0) as u8;
            }
        });
    }
}

/// Measures the correction on `small` (a reduced copy: a few hundred pixels a side is plenty).
pub fn analyse(small: &RgbImage) -> Correction {
    let gains = white_balance(small);
    let mut hist = [[0u32; 256]; 3];
    for p in small.pixels() {
        for c in 0..3 {
            let v = (p[c] as f32 * gains[c]).min(255.0) as usize;
            hist[c][v] += 1;
        }
    }
    let total = small.pixels().len() as f64;
    let mut black = [0.0f32; 3];
    let mut white = [255.0f32; 3];
    for c in 0..3 {
        let (mut lo, mut hi) =
            (percentile(&hist[c], total, LOW_PERCENTILE), percentile(&hist[c], total, HIGH_PERCENTILE));
        // Bound the stretch: widen the window around its centre when it is too narrow.
        let min_range = 255.0 / MAX_STRETCH;
        if hi - lo < min_range {
            let mid = (hi + lo) / 2.0;
            lo = (mid - min_range / 2.0).max(0.0);
            hi = (lo + min_range).min(255.0);
            lo = hi - min_range;
        }
        // A little headroom: an image that already spans the range is left alone.
        black[c] = (lo - HEADROOM).max(0.0);
        white[c] = (hi + HEADROOM).min(255.0).max(black[c] + 1.0);
    }
    Correction::new(gains, black, white)
}

fn percentile(hist: &[u32; 256], total: f64, q: f64) -> f32 {
    let target = total * q;
    let mut acc = 0.0;
    for (v, &n) in hist.iter().enumerate() {
        acc += n as f64;
        if acc > target {
            return v as f32;
        }
    }
    255.0
}

/// Grey world on mid-tones: each pixel votes with a weight that falls with its saturation, so a
/// cast (which tints the neutral surfaces) is measured while a red product is not taken for one.
fn white_balance(small: &RgbImage) -> [f32; 3] {
    let mut sum = [0f64; 3];
    let mut weight = 0f64;
    for p in small.pixels() {
        let [r, g, b] = [p[0] as f32, p[1] as f32, p[2] as f32];
        let max = r.max(g).max(b);
        let min = r.min(g).min(b);
        let l = 0.2126 * r + 0.7152 * g + 0.0722 * b;
        if !(30.0..=225.0).contains(&l) || max >= 250.0 {
            continue;
        }
        let sat = (max - min) / max.max(1.0);
        let w = (1.0 - sat / 0.6).max(0.0) as f64;
        if w == 0.0 {
            continue;
        }
        sum[0] += r as f64 * w;
        sum[1] += g as f64 * w;
        sum[2] += b as f64 * w;
        weight += w;
    }
    let n = small.pixels().len() as f64;
    if weight < n * 0.05 {
        return [1.0; 3];
    }
    let mean = sum.map(|s| (s / weight) as f32);
    let grey = (mean[0] + mean[1] + mean[2]) / 3.0;
    mean.map(|m| (1.0 + WB_STRENGTH * (grey / m.max(1.0) - 1.0)).clamp(MIN_GAIN, MAX_GAIN))
}

#[cfg(test)]
mod tests {
    use image::Rgb;

    use super::*;

    fn textured(w: u32, h: u32, f: impl Fn(f32) -> [f32; 3]) -> RgbImage {
        RgbImage::from_fn(w, h, |x, y| {
            // A neutral scene: a grey ramp with texture.
            let t = ((x as f32 / w as f32) * 0.7 + ((x * 7 + y * 13) % 17) as f32 / 17.0 * 0.3).min(1.0);
            let v = f(t);
            Rgb(v.map(|c| c.round().clamp(0.0, 255.0) as u8))
        })
    }

    fn means(img: &RgbImage) -> [f64; 3] {
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

    #[test]
    fn a_colour_cast_is_reduced() {
        let mut img = textured(200, 150, |t| {
            let v = 40.0 + 170.0 * t;
            [v * 1.18, v, v * 0.78]
        });
        let before = spread(means(&img));
        let corr = analyse(&img);
        assert!(corr.gains[0] < 1.0 && corr.gains[2] > 1.0, "{:?}", corr.gains);
        corr.apply(&mut img);
        let after = spread(means(&img));
        assert!(after < before * 0.5, "channel means spread {before:.1} -> {after:.1}");
    }

    #[test]
    fn a_saturated_product_is_not_taken_for_a_cast() {
        // Mostly a strong red object on a neutral grey background.
        let img = RgbImage::from_fn(200, 150, |x, _| if x < 150 { Rgb([200, 30, 30]) } else { Rgb([128, 128, 128]) });
        let corr = analyse(&img);
        for g in corr.gains {
            assert!((g - 1.0).abs() < 0.03, "{:?}", corr.gains);
        }
    }

    #[test]
    fn low_contrast_is_stretched_within_bounds() {
        let mut img = textured(200, 150, |t| [100.0 + 60.0 * t; 3]);
        let corr = analyse(&img);
        corr.apply(&mut img);
        let luma: Vec<u8> = img.pixels().map(|p| p[1]).collect();
        let (min, max) = (*luma.iter().min().unwrap(), *luma.iter().max().unwrap());
        assert!(max as i32 - min as i32 > 120, "range {min}..{max}");
        // Bounded: a 60-level range is not blown up to 0..255.
        assert!(max as i32 - min as i32 <= 150, "range {min}..{max}");
        assert!(corr.stretched());
    }

    #[test]
    fn a_good_image_is_left_nearly_alone() {
        let mut img = textured(200, 150, |t| [255.0 * t; 3]);
        let orig = img.clone();
        let corr = analyse(&img);
        corr.apply(&mut img);
        let diff: f64 = img.as_raw().iter().zip(orig.as_raw()).map(|(a, b)| (*a as f64 - *b as f64).abs()).sum::<f64>()
            / orig.as_raw().len() as f64;
        assert!(diff < 4.0, "mean change {diff}");
    }
}
