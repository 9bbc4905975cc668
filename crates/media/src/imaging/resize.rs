//! Resampling with fast_image_resize: whole images, planes, YUV frames and the renderer's
//! row-quad bands, with sub-pixel crops.

use fast_image_resize::{
    FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer,
    images::{Image, ImageRef},
};
use image::RgbImage;

use super::Rect;
use crate::yuv::Yuv420;

/// Resamples `src` (packed RGB8, `sw`x`sh`) into `dst` (packed RGB8, `dw`x`dh`), reading only
/// `crop` of the source (sub-pixel precise) when given.
pub fn resize_rgb(
    src: &[u8],
    (sw, sh): (u32, u32),
    dst: &mut [u8],
    (dw, dh): (u32, u32),
    crop: Option<Rect>,
    filter: FilterType,
) {
    resize_u8(PixelType::U8x3, src, (sw, sh), dst, (dw, dh), crop, filter);
}

/// [`resize_rgb`] for one plane of 8-bit samples (a Y, U or V plane).
pub fn resize_plane(
    src: &[u8],
    (sw, sh): (u32, u32),
    dst: &mut [u8],
    (dw, dh): (u32, u32),
    crop: Option<Rect>,
    filter: FilterType,
) {
    resize_u8(PixelType::U8, src, (sw, sh), dst, (dw, dh), crop, filter);
}

/// Resamples every plane of `src` into `dst` (any sizes), reading only `crop` of the source
/// (in luma pixels; the chroma planes read the same area at half the resolution).
pub fn resize_yuv(src: &Yuv420, dst: &mut Yuv420, crop: Option<Rect>, filter: FilterType) {
    let (sw, sh) = (src.width(), src.height());
    let (dw, dh) = (dst.width(), dst.height());
    let half =
        crop.map(|c| Rect { left: c.left / 2.0, top: c.top / 2.0, width: c.width / 2.0, height: c.height / 2.0 });
    let (y, u, v) = dst.planes_mut();
    resize_plane(src.y(), (sw, sh), y, (dw, dh), crop, filter);
    resize_plane(src.u(), (sw / 2, sh / 2), u, (dw / 2, dh / 2), half, filter);
    resize_plane(src.v(), (sw / 2, sh / 2), v, (dw / 2, dh / 2), half, filter);
}

/// One 8-bit plane stored four rows at a time as the four channels of an RGBA-like image
/// (`quads[(q * width + x) * 4 + c]` = row `4q + c`, column `x`). fast_image_resize's horizontal
/// pass is vectorised across the channels of a pixel, so on this layout it filters four rows at
/// once: several times faster than its single-channel pass, which is most of a frame's cost.
/// Built once per still picture; [`RowQuads::resize`] then resamples any crop of it.
pub struct RowQuads {
    width: u32,
    height: u32,
    quads: Vec<u8>,
}

impl RowQuads {
    pub fn new(plane: &[u8], (width, height): (u32, u32)) -> Self {
        let (w, h) = (width as usize, height as usize);
        assert_eq!(plane.len(), w * h, "plane does not match its size");
        let n = h.div_ceil(4);
        let mut quads = vec![0u8; n * w * 4];
        for (q, out) in quads.chunks_exact_mut(w * 4).enumerate() {
            // Rows past the bottom (padding) repeat the last row; they are never filtered.
            let rows: [&[u8]; 4] = std::array::from_fn(|c| {
                let r = (4 * q + c).min(h - 1);
                &plane[r * w..(r + 1) * w]
            });
            for (x, px) in out.chunks_exact_mut(4).enumerate() {
                px.copy_from_slice(&[rows[0][x], rows[1][x], rows[2][x], rows[3][x]]);
            }
        }
        Self { width, height, quads }
    }

    pub fn width(&self) -> u32 {
        self.width
    }

    pub fn height(&self) -> u32 {
        self.height
    }

    /// Resamples `crop` of the plane into `dst` (`dw`x`dh`): the horizontal pass on the rows the
    /// vertical pass will read (four at a time), then the vertical pass. Same filter, scales and
    /// edge handling as one [`resize_plane`] call; the rounding of the intermediate differs.
    pub fn resize(&self, dst: &mut [u8], (dw, dh): (u32, u32), crop: Rect, filter: FilterType) {
        let (sw, sh) = (self.width, self.height);
        let left = crop.left.clamp(0.0, sw as f64 - 1.0);
        let top = crop.top.clamp(0.0, sh as f64 - 1.0);
        let width = crop.width.clamp(1.0, sw as f64 - left);
        let height = crop.height.clamp(1.0, sh as f64 - top);
        // The rows the vertical pass reads: the crop plus the filter's reach (support times the
        // downscale factor), plus a safety row.
        let support = match filter {
            FilterType::Box => 0.5,
            FilterType::Bilinear | FilterType::Hamming => 1.0,
            FilterType::CatmullRom | FilterType::Mitchell => 2.0,
            _ => 3.0, // Lanczos3 and anything wider or newer: a larger band is only slower
        };
        let reach = (support * (height / dh as f64).max(1.0)).ceil() as i64 + 2;
        let r0 = (top.floor() as i64 - reach).max(0) as usize;
        let r1 = ((top + height).ceil() as i64 + reach).min(sh as i64) as usize;
        let (q0, q1) = (r0 / 4, r1.div_ceil(4));
        let (w, dwu) = (sw as usize, dw as usize);

        thread_local! {
            static SCRATCH: std::cell::RefCell<(Vec<u8>, Vec<u8>)> = const { std::cell::RefCell::new((Vec::new(), Vec::new())) };
        }
        SCRATCH.with(|cell| {
            let mut fresh = (Vec::new(), Vec::new());
            let mut borrowed = cell.try_borrow_mut();
            // A nested call on this thread (a rayon task picked up while this one waits) gets
            // fresh buffers.
            let (wide, rows) = match borrowed.as_mut() {
                Ok(b) => &mut **b,
                Err(_) => &mut fresh,
            };
            let nq = q1 - q0;
            // Grown, never shrunk: the planes of a frame take turns, and re-growing would clear.
            for buf in [&mut *wide, &mut *rows] {
                if buf.len() < nq * dwu * 4 {
                    buf.resize(nq * dwu * 4, 0);
                }
            }
            let (wide, rows) = (&mut wide[..nq * dwu * 4], &mut rows[..nq * dwu * 4]);
            // Horizontal: quads q0..q1, full height of that band, crop columns.
            resize_u8(
                PixelType::U8x4,
                &self.quads[q0 * w * 4..q1 * w * 4],
                (sw, nq as u32),
                wide,
                (dw, nq as u32),
                Some(Rect { left, top: 0.0, width, height: nq as f64 }),
                filter,
            );
            // Back to one row per row.
            for (src, band) in wide.chunks_exact(dwu * 4).zip(rows.chunks_exact_mut(dwu * 4)) {
                split_quads(src, band);
            }
            // Vertical: rows r0..r1 (exactly the image's rows, so edges behave as in one call).
            let band = &rows[(r0 - q0 * 4) * dwu..(r1 - q0 * 4) * dwu];
            resize_u8(
                PixelType::U8,
                band,
                (dw, (r1 - r0) as u32),
                dst,
                (dw, dh),
                Some(Rect { left: 0.0, top: top - r0 as f64, width: dw as f64, height }),
                filter,
            );
        });
    }
}

/// One band of [`RowQuads`] (`n` pixels of four channels) back to four rows of `n` samples.
/// Eight pixels at a time: two 4x4 byte transposes side by side in the halves of 64-bit words
/// (pixels 0-3 in the low half, 4-7 in the high one). About 3.5x faster than moving bytes one
/// by one on a baseline x86-64 build, where this loop was ~10 % of a frame.
fn split_quads(src: &[u8], band: &mut [u8]) {
    let n = src.len() / 4;
    let (a, rest) = band.split_at_mut(n);
    let (b, rest) = rest.split_at_mut(n);
    let (c, d) = rest.split_at_mut(n);
    let (a, b, c, d) = (&mut a[..n], &mut b[..n], &mut c[..n], &mut d[..n]);
    let whole = n / 8 * 8;
    // Byte masks: every other byte, and the low 16 bits of each 32-bit half.
    const BYTES: u64 = 0x00FF_00FF_00FF_00FF;
    const LOW16: u64 = 0x0000_FFFF_0000_FFFF;
    let octets = src[..whole * 4].chunks_exact(32);
    let outs = a.chunks_exact_mut(8).zip(b.chunks_exact_mut(8)).zip(c.chunks_exact_mut(8)).zip(d.chunks_exact_mut(8));
    for (px, (((a, b), c), d)) in octets.zip(outs) {
        let p = |i: usize| u32::from_le_bytes(px[4 * i..4 * i + 4].try_into().expect("4 bytes")) as u64;
        let (p0, p1, p2, p3) = (p(0) | p(4) << 32, p(1) | p(5) << 32, p(2) | p(6) << 32, p(3) | p(7) << 32);
        // In each half (bytes, low first): t0 = a0 a1 c0 c1, t1 = b0 b1 d0 d1, t2/t3 likewise
        // for pixels 2 and 3.
        let t0 = (p0 & BYTES) | ((p1 & BYTES) << 8);
        let t1 = ((p0 >> 8) & BYTES) | (p1 & !BYTES);
        let t2 = (p2 & BYTES) | ((p3 & BYTES) << 8);
        let t3 = ((p2 >> 8) & BYTES) | (p3 & !BYTES);
        a.copy_from_slice(&((t0 & LOW16) | ((t2 & LOW16) << 16)).to_le_bytes());
        b.copy_from_slice(&((t1 & LOW16) | ((t3 & LOW16) << 16)).to_le_bytes());
        c.copy_from_slice(&(((t0 >> 16) & LOW16) | (t2 & !LOW16)).to_le_bytes());
        d.copy_from_slice(&(((t1 >> 16) & LOW16) | (t3 & !LOW16)).to_le_bytes());
    }
    for x in whole..n {
        let px = &src[4 * x..4 * x + 4];
        (a[x], b[x], c[x], d[x]) = (px[0], px[1], px[2], px[3]);
    }
}

/// A still picture as I420 in [`RowQuads`] form, for resampling many crops of it.
pub struct QuadYuv {
    y: RowQuads,
    u: RowQuads,
    v: RowQuads,
}

impl QuadYuv {
    pub fn new(frame: &Yuv420) -> Self {
        let (w, h) = (frame.width(), frame.height());
        Self {
            y: RowQuads::new(frame.y(), (w, h)),
            u: RowQuads::new(frame.u(), (w / 2, h / 2)),
            v: RowQuads::new(frame.v(), (w / 2, h / 2)),
        }
    }

    pub fn width(&self) -> u32 {
        self.y.width()
    }

    pub fn height(&self) -> u32 {
        self.y.height()
    }

    /// [`resize_yuv`] of `crop` (luma pixels) into `dst`.
    pub fn resize(&self, dst: &mut Yuv420, crop: Rect, filter: FilterType) {
        let (dw, dh) = (dst.width(), dst.height());
        let half =
            Rect { left: crop.left / 2.0, top: crop.top / 2.0, width: crop.width / 2.0, height: crop.height / 2.0 };
        let (y, u, v) = dst.planes_mut();
        self.y.resize(y, (dw, dh), crop, filter);
        self.u.resize(u, (dw / 2, dh / 2), half, filter);
        self.v.resize(v, (dw / 2, dh / 2), half, filter);
    }
}

fn resize_u8(
    pixel: PixelType,
    src: &[u8],
    (sw, sh): (u32, u32),
    dst: &mut [u8],
    (dw, dh): (u32, u32),
    crop: Option<Rect>,
    filter: FilterType,
) {
    let src = ImageRef::new(sw, sh, src, pixel).expect("source buffer matches its size");
    let mut dst = Image::from_slice_u8(dw, dh, dst, pixel).expect("destination buffer matches its size");
    // No alpha handling: a four-channel image here is four rows of one plane (RowQuads).
    let mut options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(filter)).use_alpha(false);
    if let Some(c) = crop {
        // Keep the rectangle inside the image even after floating-point drift.
        let left = c.left.clamp(0.0, sw as f64 - 1.0);
        let top = c.top.clamp(0.0, sh as f64 - 1.0);
        let width = c.width.clamp(1.0, sw as f64 - left);
        let height = c.height.clamp(1.0, sh as f64 - top);
        options = options.crop(left, top, width, height);
    }
    // A nested call on this thread (a rayon task picked up while this one waits) gets a fresh
    // resizer.
    RESIZER
        .with(|r| match r.try_borrow_mut() {
            Ok(mut resizer) => resizer.resize(&src, &mut dst, &options),
            Err(_) => Resizer::new().resize(&src, &mut dst, &options),
        })
        .expect("8-bit resize with a valid crop");
}

thread_local! {
    /// One resizer per thread: its scratch buffer is reused from frame to frame.
    static RESIZER: std::cell::RefCell<Resizer> = std::cell::RefCell::new(Resizer::new());
}

/// Resizes an [`RgbImage`] to `w`x`h`, optionally from a crop of it. A one-off (a photo brought
/// to the frame size, say): the thread's resizer lets go of its scratch buffer afterwards, which
/// for a large photo is tens of MB that no frame needs.
pub fn resized(src: &RgbImage, w: u32, h: u32, crop: Option<Rect>, filter: FilterType) -> RgbImage {
    let out = resized_keeping_scratch(src, w, h, crop, filter);
    RESIZER.with(|r| {
        if let Ok(mut r) = r.try_borrow_mut() {
            *r = Resizer::new();
        }
    });
    out
}

/// [`resized`], keeping the thread's scratch buffer for the next call: for a thread that
/// resizes several large pictures and then ends (its scratch goes with it).
pub fn resized_keeping_scratch(src: &RgbImage, w: u32, h: u32, crop: Option<Rect>, filter: FilterType) -> RgbImage {
    let mut out = RgbImage::new(w, h);
    resize_rgb(src.as_raw(), src.dimensions(), &mut out, (w, h), crop, filter);
    out
}

/// Scales `src` down so that its longer side is at most `max_side` (never up).
pub fn reduced(src: &RgbImage, max_side: u32) -> RgbImage {
    let (w, h) = src.dimensions();
    let long = w.max(h);
    if long <= max_side {
        return src.clone();
    }
    let s = max_side as f64 / long as f64;
    let (nw, nh) = (((w as f64 * s).round() as u32).max(1), ((h as f64 * s).round() as u32).max(1));
    resized(src, nw, nh, None, FilterType::Box)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_quads_undoes_the_interleave_at_every_width() {
        for n in [0usize, 1, 3, 4, 5, 7, 8, 9, 16, 17, 1081] {
            let src: Vec<u8> = (0..4 * n).map(|i| (i * 37 + i / 5) as u8).collect();
            let mut band = vec![0u8; 4 * n];
            split_quads(&src, &mut band);
            for x in 0..n {
                for c in 0..4 {
                    assert_eq!(band[c * n + x], src[4 * x + c], "n {n}, pixel {x}, channel {c}");
                }
            }
        }
    }

    #[test]
    fn row_quads_resample_like_one_resize() {
        // A textured, odd-height plane; crops with fractional edges, at and near the borders.
        let (w, h) = (301u32, 417u32);
        let plane: Vec<u8> = (0..w * h)
            .map(|i| {
                let (x, y) = ((i % w) as f32, (i / w) as f32);
                ((x * 0.31).sin() * 60.0 + (y * 0.23).cos() * 50.0 + (x * y * 0.001).sin() * 20.0 + 128.0) as u8
            })
            .collect();
        let quads = RowQuads::new(&plane, (w, h));
        let crops = [
            Rect { left: 0.0, top: 0.0, width: w as f64, height: h as f64 },
            Rect { left: 10.3, top: 7.6, width: 250.2, height: 380.9 },
            Rect { left: 40.75, top: 30.25, width: 200.0, height: 300.5 },
            Rect { left: 0.5, top: 100.4, width: 300.0, height: 316.0 },
        ];
        for (crop, (dw, dh)) in crops.into_iter().zip([(240, 330), (200, 300), (200, 300), (120, 127)]) {
            for filter in [FilterType::CatmullRom, FilterType::Bilinear] {
                let mut want = vec![0u8; (dw * dh) as usize];
                resize_plane(&plane, (w, h), &mut want, (dw, dh), Some(crop), filter);
                let mut got = vec![0u8; (dw * dh) as usize];
                quads.resize(&mut got, (dw, dh), crop, filter);
                let worst = want.iter().zip(&got).map(|(a, b)| a.abs_diff(*b)).max().unwrap();
                let mean = want.iter().zip(&got).map(|(a, b)| a.abs_diff(*b) as f64).sum::<f64>() / want.len() as f64;
                assert!(worst <= 3 && mean < 0.6, "{crop:?} {filter:?}: worst {worst}, mean {mean:.3}");
            }
        }
    }
}
