//! In-place filters on RGB8 images: box blur, unsharp mask, noise estimate and denoise.

use image::RgbImage;
use rayon::prelude::*;

/// Three passes of a separable box blur of radius `r`: close to a Gaussian of sigma ~ r, cheap on
/// the small copies it is meant for.
pub fn blur(img: &mut RgbImage, r: usize) {
    if r == 0 {
        return;
    }
    let (w, h) = (img.width() as usize, img.height() as usize);
    let mut tmp = vec![0u8; w * h * 3];
    for _ in 0..3 {
        box_pass(img.as_raw(), &mut tmp, w, h, r, true);
        box_pass(&tmp, img, w, h, r, false);
    }
}

/// One box pass along rows (`horizontal`) or columns, clamping at the edges.
fn box_pass(src: &[u8], dst: &mut [u8], w: usize, h: usize, r: usize, horizontal: bool) {
    let (n, lines) = if horizontal { (w, h) } else { (h, w) };
    let idx = |line: usize, i: usize| if horizontal { (line * w + i) * 3 } else { (i * w + line) * 3 };
    let norm = 1.0 / (2 * r + 1) as f32;
    for line in 0..lines {
        let mut acc = [0f32; 3];
        for k in 0..=2 * r {
            let i = (k as isize - r as isize).clamp(0, n as isize - 1) as usize;
            for c in 0..3 {
                acc[c] += src[idx(line, i) + c] as f32;
            }
        }
        for i in 0..n {
            let o = idx(line, i);
            for c in 0..3 {
                dst[o + c] = (acc[c] * norm + 0.5) as u8;
            }
            let add = (i + r + 1).min(n - 1);
            let sub = (i as isize - r as isize).max(0) as usize;
            for c in 0..3 {
                acc[c] += src[idx(line, add) + c] as f32 - src[idx(line, sub) + c] as f32;
            }
        }
    }
}

/// Unsharp mask with a 5-tap binomial blur (sigma ~ 1 px): `out = in + amount * (in - blur)`,
/// ignoring differences below `threshold` so flat areas and noise are left alone.
pub fn unsharp(img: &mut RgbImage, amount: f32, threshold: u8) {
    let (w, h) = (img.width() as usize, img.height() as usize);
    if w < 5 || h < 5 {
        return;
    }
    let stride = w * 3;
    // Horizontal pass into u16 (x16 scale).
    let src = img.as_raw().clone();
    let mut horiz = vec![0u16; w * h * 3];
    horiz.par_chunks_mut(stride).zip(src.par_chunks(stride)).for_each(|(out, row)| {
        for x in 0..w {
            let at = |dx: isize| (x as isize + dx).clamp(0, w as isize - 1) as usize * 3;
            for c in 0..3 {
                out[x * 3 + c] = row[at(-2) + c] as u16
                    + 4 * row[at(-1) + c] as u16
                    + 6 * row[at(0) + c] as u16
                    + 4 * row[at(1) + c] as u16
                    + row[at(2) + c] as u16;
            }
        }
    });
    let t = threshold as i32;
    img.par_chunks_mut(stride).enumerate().for_each(|(y, out)| {
        let rows: [&[u16]; 5] = std::array::from_fn(|k| {
            let yy = (y as isize + k as isize - 2).clamp(0, h as isize - 1) as usize;
            &horiz[yy * stride..(yy + 1) * stride]
        });
        for i in 0..stride {
            let blurred = (rows[0][i] as u32
                + 4 * rows[1][i] as u32
                + 6 * rows[2][i] as u32
                + 4 * rows[3][i] as u32
                + rows[4][i] as u32
                + 128)
                >> 8;
            let v = out[i] as i32;
            let diff = v - blurred as i32;
            if diff.abs() > t {
                out[i] = (v as f32 + amount * diff as f32).round().clamp(0.0, 255.0) as u8;
            }
        }
    });
}

/// Standard deviation of the noise in `img`'s green channel (Immerkær's estimator: the
/// response to a kernel that cancels flat areas and linear gradients, averaged). Edges add a
/// little; the result is used only to scale the denoise threshold.
pub fn noise_sigma(img: &RgbImage) -> f64 {
    let (w, h) = (img.width() as usize, img.height() as usize);
    if w < 3 || h < 3 {
        return 0.0;
    }
    let raw = img.as_raw();
    let g = |x: usize, y: usize| raw[(y * w + x) * 3 + 1] as i32;
    let sum: f64 = (1..h - 1)
        .into_par_iter()
        .map(|y| {
            let mut acc = 0i64;
            for x in 1..w - 1 {
                let v = g(x - 1, y - 1) - 2 * g(x, y - 1) + g(x + 1, y - 1) - 2 * g(x - 1, y) + 4 * g(x, y)
                    - 2 * g(x + 1, y)
                    + g(x - 1, y + 1)
                    - 2 * g(x, y + 1)
                    + g(x + 1, y + 1);
                acc += v.abs() as i64;
            }
            acc as f64
        })
        .sum();
    sum * (std::f64::consts::PI / 2.0).sqrt() / (6.0 * (w - 2) as f64 * (h - 2) as f64)
}

/// Edge-preserving denoise (a sigma filter): each sample becomes the mean of the samples of its
/// 3x3 neighbourhood that differ from it by at most `threshold`. Noise (small differences) is
/// averaged away; edges (larger steps) have no neighbours across them in the mean, so stay sharp.
pub fn denoise(img: &mut RgbImage, threshold: u8) {
    let (w, h) = (img.width() as usize, img.height() as usize);
    if threshold == 0 || w < 3 || h < 3 {
        return;
    }
    let src = img.as_raw().clone();
    let stride = w * 3;
    let t = threshold as i32;
    img.par_chunks_mut(stride).enumerate().for_each(|(y, out)| {
        let rows = [y.saturating_sub(1), y, (y + 1).min(h - 1)].map(|r| &src[r * stride..(r + 1) * stride]);
        for x in 0..w {
            let cols = [x.saturating_sub(1), x, (x + 1).min(w - 1)];
            for c in 0..3 {
                let centre = rows[1][x * 3 + c] as i32;
                let (mut sum, mut n) = (0i32, 0i32);
                for row in rows {
                    for &cx in &cols {
                        let v = row[cx * 3 + c] as i32;
                        if (v - centre).abs() <= t {
                            sum += v;
                            n += 1;
                        }
                    }
                }
                out[x * 3 + c] = ((sum + n / 2) / n) as u8;
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blur_preserves_flat_images_and_unsharp_leaves_flat_alone() {
        let mut img = RgbImage::from_pixel(40, 30, image::Rgb([90, 120, 200]));
        blur(&mut img, 3);
        assert!(img.pixels().all(|p| p.0 == [90, 120, 200]));
        unsharp(&mut img, 1.0, 2);
        assert!(img.pixels().all(|p| p.0 == [90, 120, 200]));
    }

    #[test]
    fn denoise_removes_noise_and_keeps_edges() {
        // A hard vertical edge (60 | 190) with +-8 pseudo-random noise.
        let mut seed = 12345u32;
        let mut noise = move || {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
            ((seed >> 16) % 17) as i32 - 8
        };
        let mut img = RgbImage::from_fn(120, 80, |x, _| {
            let base = if x < 60 { 60 } else { 190 };
            let v = (base + noise()).clamp(0, 255) as u8;
            image::Rgb([v, v, v])
        });
        let sigma = noise_sigma(&img);
        assert!((2.0..9.0).contains(&sigma), "estimated noise {sigma:.2}");
        let flat = RgbImage::from_pixel(50, 50, image::Rgb([128, 128, 128]));
        assert!(noise_sigma(&flat) < 0.01);

        let std_left = |img: &RgbImage| {
            let v: Vec<f64> = (10..70)
                .flat_map(|y| (5..50).map(move |x| (x, y)))
                .map(|(x, y)| img.get_pixel(x, y)[1] as f64)
                .collect();
            let m = v.iter().sum::<f64>() / v.len() as f64;
            (v.iter().map(|a| (a - m).powi(2)).sum::<f64>() / v.len() as f64).sqrt()
        };
        let before = std_left(&img);
        denoise(&mut img, (2.5 * sigma).round() as u8);
        let after = std_left(&img);
        assert!(after < before * 0.6, "noise std {before:.2} -> {after:.2}");
        // The edge is still a one-pixel step of ~130 levels.
        for y in 5..75 {
            let (l, r) = (img.get_pixel(58, y)[1] as i32, img.get_pixel(61, y)[1] as i32);
            assert!(r - l > 110, "row {y}: {l} | {r}");
        }
    }
}
