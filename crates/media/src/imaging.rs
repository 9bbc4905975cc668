//! Pixel plumbing shared by the enhancer and the renderer: SIMD resizing through
//! fast_image_resize (fractional crops included), a cheap separable blur for backdrops, an unsharp
//! mask, and the decode-with-limits every engine entry point uses.

use std::io::Cursor;

use fast_image_resize::{
    FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer,
    images::{Image, ImageRef},
};
use image::{DynamicImage, ImageDecoder, ImageReader, Limits, RgbImage};
use rayon::prelude::*;

use crate::yuv::Yuv420;

/// A source rectangle in fractional pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    pub left: f64,
    pub top: f64,
    pub width: f64,
    pub height: f64,
}

impl Rect {
    /// The largest rectangle of aspect `aspect` (width / height) centred in a `w`x`h` image.
    pub fn cover(w: u32, h: u32, aspect: f64) -> Rect {
        let (w, h) = (w as f64, h as f64);
        if w / h > aspect {
            let cw = h * aspect;
            Rect { left: (w - cw) / 2.0, top: 0.0, width: cw, height: h }
        } else {
            let ch = w / aspect;
            Rect { left: 0.0, top: (h - ch) / 2.0, width: w, height: ch }
        }
    }
}

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

/// Decodes an image with the engine's limits (at most `max_pixels`), applies its EXIF orientation
/// and returns RGB8; transparent pixels are composited over `matte`.
pub fn decode_rgb(bytes: &[u8], max_pixels: u64, matte: [u8; 3]) -> Result<RgbImage, String> {
    decode_rgb_reusing(bytes, max_pixels, matte, Vec::new())
}

/// [`decode_rgb`] into `buf` when the picture is 8-bit RGB with no orientation to apply (a
/// camera JPEG, say): a worker decoding photo after photo hands back the previous picture's
/// buffer (`RgbImage::into_raw`) and the tens of MB of a large photo are not mapped and faulted
/// in afresh each time. Any other picture decodes as [`decode_rgb`] does, and `buf` is dropped.
pub fn decode_rgb_reusing(bytes: &[u8], max_pixels: u64, matte: [u8; 3], mut buf: Vec<u8>) -> Result<RgbImage, String> {
    let reader = ImageReader::new(Cursor::new(bytes)).with_guessed_format().map_err(|e| e.to_string())?;
    let mut decoder = reader.into_decoder().map_err(|e| e.to_string())?;
    let (w, h) = decoder.dimensions();
    if w as u64 * h as u64 > max_pixels {
        return Err(format!("image is {w}x{h} pixels, more than the {max_pixels} allowed"));
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(w);
    limits.max_image_height = Some(h);
    limits.max_alloc = Some(max_pixels * 8 + (64 << 20));
    decoder.set_limits(limits).map_err(|e| e.to_string())?;
    let orientation = decoder.orientation().unwrap_or(image::metadata::Orientation::NoTransforms);
    if decoder.color_type() == image::ColorType::Rgb8 && orientation == image::metadata::Orientation::NoTransforms {
        let n = usize::try_from(decoder.total_bytes()).map_err(|e| e.to_string())?;
        // Every byte is written by the decoder: a reused buffer is only cut to size.
        if buf.len() >= n {
            buf.truncate(n);
        } else {
            buf.resize(n, 0);
        }
        decoder.read_image(&mut buf).map_err(|e| e.to_string())?;
        return RgbImage::from_raw(w, h, buf).ok_or_else(|| "decoded picture does not match its size".to_owned());
    }
    let mut img = DynamicImage::from_decoder(decoder).map_err(|e| e.to_string())?;
    img.apply_orientation(orientation);
    Ok(flatten(img, matte))
}

/// RGB8 of any decoded image; alpha is composited over `matte`.
pub fn flatten(img: DynamicImage, matte: [u8; 3]) -> RgbImage {
    if !img.color().has_alpha() {
        return img.into_rgb8();
    }
    let rgba = img.into_rgba8();
    let (w, h) = rgba.dimensions();
    let mut out = RgbImage::new(w, h);
    for (o, p) in out.pixels_mut().zip(rgba.pixels()) {
        let a = p[3] as u32;
        for c in 0..3 {
            o[c] = ((p[c] as u32 * a + matte[c] as u32 * (255 - a) + 127) / 255) as u8;
        }
    }
    out
}

#[inline]
pub fn smoothstep(x: f64) -> f64 {
    let x = x.clamp(0.0, 1.0);
    x * x * (3.0 - 2.0 * x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cover_rect_keeps_aspect_and_centres() {
        let r = Rect::cover(600, 400, 9.0 / 16.0);
        assert!((r.width / r.height - 9.0 / 16.0).abs() < 1e-9);
        assert_eq!(r.height, 400.0);
        assert!((r.left - (600.0 - r.width) / 2.0).abs() < 1e-9);
    }

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

    #[test]
    fn blur_preserves_flat_images_and_unsharp_leaves_flat_alone() {
        let mut img = RgbImage::from_pixel(40, 30, image::Rgb([90, 120, 200]));
        blur(&mut img, 3);
        assert!(img.pixels().all(|p| p.0 == [90, 120, 200]));
        unsharp(&mut img, 1.0, 2);
        assert!(img.pixels().all(|p| p.0 == [90, 120, 200]));
    }

    #[test]
    fn decoding_into_a_reused_buffer_gives_the_same_picture() {
        let encode = |img: DynamicImage, format: image::ImageFormat| {
            let mut out = Cursor::new(Vec::new());
            img.write_to(&mut out, format).unwrap();
            out.into_inner()
        };
        let rgb = RgbImage::from_fn(61, 37, |x, y| image::Rgb([(x * 4) as u8, (y * 6) as u8, ((x + y) * 3) as u8]));
        let jpeg = encode(DynamicImage::ImageRgb8(rgb.clone()), image::ImageFormat::Jpeg);
        let rgba = image::RgbaImage::from_fn(20, 10, |x, _| image::Rgba([200, 40, 40, (x * 12) as u8]));
        let png = encode(DynamicImage::ImageRgba8(rgba), image::ImageFormat::Png);
        // A buffer left over from a larger picture (dirty, too long), and one too short.
        for buf in [vec![7u8; 61 * 37 * 3 + 999], vec![9u8; 10]] {
            let want = decode_rgb(&jpeg, 1 << 20, [0, 0, 0]).unwrap();
            let got = decode_rgb_reusing(&jpeg, 1 << 20, [0, 0, 0], buf.clone()).unwrap();
            assert_eq!(got.dimensions(), (61, 37));
            assert_eq!(got.as_raw(), want.as_raw());
            // Not 8-bit RGB (alpha over the matte): the general path, same answer.
            let want = decode_rgb(&png, 1 << 20, [255, 255, 255]).unwrap();
            let got = decode_rgb_reusing(&png, 1 << 20, [255, 255, 255], buf).unwrap();
            assert_eq!(got.as_raw(), want.as_raw());
            assert_eq!(got.get_pixel(0, 0).0, [255, 255, 255], "transparent over the matte");
        }
        // The pixel limit holds on the reusing path too.
        assert!(decode_rgb_reusing(&jpeg, 100, [0, 0, 0], Vec::new()).unwrap_err().contains("more than"));
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
