//! Planar YUV 4:2:0 frames (I420) and their conversion from and to RGB.
//!
//! Everything the engine encodes is BT.709, limited ("TV") range, and the encoders signal exactly
//! that in the stream's VUI: browsers then show the colours we composed. Decoding back (the probe)
//! uses the inverse of the same matrix.

/// One I420 frame: a full-resolution Y plane followed by quarter-resolution U and V planes, each
/// tightly packed (stride = width, width / 2).
#[derive(Clone)]
pub struct Yuv420 {
    width: usize,
    height: usize,
    data: Vec<u8>,
}

impl std::fmt::Debug for Yuv420 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Yuv420({}x{})", self.width, self.height)
    }
}

impl Yuv420 {
    /// A black frame. Width and height must be even (H.264 4:2:0 needs it).
    pub fn new(width: u32, height: u32) -> Self {
        assert!(width.is_multiple_of(2) && height.is_multiple_of(2), "I420 needs even dimensions");
        let (w, h) = (width as usize, height as usize);
        let mut data = vec![16u8; w * h + w * h / 2];
        data[w * h..].fill(128);
        Self { width: w, height: h, data }
    }

    pub fn width(&self) -> u32 {
        self.width as u32
    }

    pub fn height(&self) -> u32 {
        self.height as u32
    }

    pub fn y(&self) -> &[u8] {
        &self.data[..self.width * self.height]
    }

    pub fn u(&self) -> &[u8] {
        let (w, h) = (self.width, self.height);
        &self.data[w * h..w * h + w * h / 4]
    }

    pub fn v(&self) -> &[u8] {
        let (w, h) = (self.width, self.height);
        &self.data[w * h + w * h / 4..]
    }

    /// The three planes, mutably.
    pub fn planes_mut(&mut self) -> (&mut [u8], &mut [u8], &mut [u8]) {
        let (w, h) = (self.width, self.height);
        let (y, uv) = self.data.split_at_mut(w * h);
        let (u, v) = uv.split_at_mut(w * h / 4);
        (y, u, v)
    }

    /// All three planes, one after the other (Y, U, V).
    pub fn data(&self) -> &[u8] {
        &self.data
    }

    pub fn data_mut(&mut self) -> &mut [u8] {
        &mut self.data
    }

    /// An RGB image as I420; an odd last column or row is dropped (4:2:0 needs even sizes).
    pub fn from_rgb_image(img: &image::RgbImage) -> Self {
        let (w, h) = (img.width() & !1, img.height() & !1);
        let mut out = Self::new(w.max(2), h.max(2));
        if w < 2 || h < 2 {
            return out; // too small to show anything: black
        }
        if (w, h) == img.dimensions() {
            out.fill_from_rgb(img.as_raw());
        } else {
            let (iw, row) = (img.width() as usize * 3, w as usize * 3);
            let mut rgb = vec![0u8; out.width * out.height * 3];
            for (dst, src) in rgb.chunks_exact_mut(row).zip(img.as_raw().chunks_exact(iw)) {
                dst.copy_from_slice(&src[..row]);
            }
            out.fill_from_rgb(&rgb);
        }
        out
    }

    /// Converts packed RGB8 (`width * height * 3` bytes) into this frame, BT.709 limited range;
    /// chroma is the average of each 2x2 block.
    pub fn fill_from_rgb(&mut self, rgb: &[u8]) {
        let (w, h) = (self.width, self.height);
        assert_eq!(rgb.len(), w * h * 3, "RGB buffer does not match the frame size");
        let (yp, up, vp) = self.planes_mut();
        for (yrow, row) in yp.chunks_exact_mut(w).zip(rgb.chunks_exact(w * 3)) {
            luma_row(row, yrow);
        }
        let cw = w / 2;
        for (cy, (urow, vrow)) in up.chunks_exact_mut(cw).zip(vp.chunks_exact_mut(cw)).enumerate() {
            let row0 = &rgb[(2 * cy) * w * 3..(2 * cy + 1) * w * 3];
            let row1 = &rgb[(2 * cy + 1) * w * 3..(2 * cy + 2) * w * 3];
            chroma_row(row0, row1, urow, vrow);
        }
    }

    /// Builds a frame from three planes with arbitrary strides (a decoder's output).
    pub fn from_planes(
        width: u32,
        height: u32,
        (y, u, v): (&[u8], &[u8], &[u8]),
        (ys, us, vs): (usize, usize, usize),
    ) -> Self {
        let mut out = Self::new(width, height);
        let (w, h) = (width as usize, height as usize);
        let (yp, up, vp) = out.planes_mut();
        for row in 0..h {
            yp[row * w..(row + 1) * w].copy_from_slice(&y[row * ys..row * ys + w]);
        }
        for row in 0..h / 2 {
            up[row * w / 2..(row + 1) * w / 2].copy_from_slice(&u[row * us..row * us + w / 2]);
            vp[row * w / 2..(row + 1) * w / 2].copy_from_slice(&v[row * vs..row * vs + w / 2]);
        }
        out
    }

    /// Converts back to packed RGB8 (BT.709 limited range, chroma replicated per 2x2 block).
    pub fn to_rgb(&self) -> Vec<u8> {
        let mut out = vec![0u8; self.width * self.height * 3];
        self.to_rgb_into(&mut out);
        out
    }

    /// [`Self::to_rgb`] into a buffer of `width * height * 3` bytes.
    pub fn to_rgb_into(&self, out: &mut [u8]) {
        let (w, h) = (self.width, self.height);
        assert_eq!(out.len(), w * h * 3, "RGB buffer does not match the frame size");
        let (yp, up, vp) = (self.y(), self.u(), self.v());
        for row in 0..h {
            for col in 0..w {
                let c = (row / 2) * (w / 2) + col / 2;
                let y = (yp[row * w + col] as i32 - 16) * 298;
                let d = up[c] as i32 - 128;
                let e = vp[c] as i32 - 128;
                let o = (row * w + col) * 3;
                out[o] = ((y + 459 * e + 128) >> 8).clamp(0, 255) as u8;
                out[o + 1] = ((y - 55 * d - 136 * e + 128) >> 8).clamp(0, 255) as u8;
                out[o + 2] = ((y + 541 * d + 128) >> 8).clamp(0, 255) as u8;
            }
        }
    }
}

/// BT.709 limited-range luma of one row: `Y = 16 + (47 R + 157 G + 16 B + 128) / 256`.
fn luma_row(rgb: &[u8], y: &mut [u8]) {
    for (o, p) in y.iter_mut().zip(rgb.chunks_exact(3)) {
        *o = (((47 * p[0] as i32 + 157 * p[1] as i32 + 16 * p[2] as i32 + 128) >> 8) + 16) as u8;
    }
}

/// Chroma of one row pair from the sums of each 2x2 block (the shift by 10 divides by 4 * 256).
fn chroma_row(row0: &[u8], row1: &[u8], u: &mut [u8], v: &mut [u8]) {
    let blocks = u.iter_mut().zip(v.iter_mut()).zip(row0.chunks_exact(6)).zip(row1.chunks_exact(6));
    for (((uo, vo), p0), p1) in blocks {
        let r = p0[0] as i32 + p0[3] as i32 + p1[0] as i32 + p1[3] as i32;
        let g = p0[1] as i32 + p0[4] as i32 + p1[1] as i32 + p1[4] as i32;
        let b = p0[2] as i32 + p0[5] as i32 + p1[2] as i32 + p1[5] as i32;
        *uo = (((-26 * r - 86 * g + 112 * b + 512) >> 10) + 128).clamp(16, 240) as u8;
        *vo = (((112 * r - 102 * g - 10 * b + 512) >> 10) + 128).clamp(16, 240) as u8;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_is_close_and_neutral_stays_neutral() {
        let (w, h) = (8u32, 4u32);
        let mut rgb = Vec::new();
        let colours = [[0u8, 0, 0], [255, 255, 255], [128, 128, 128], [200, 40, 30], [20, 160, 220]];
        for i in 0..(w * h) as usize {
            // 2x2 blocks share a colour so chroma subsampling loses nothing.
            let bx = (i % w as usize) / 2;
            let by = (i / w as usize) / 2;
            rgb.extend_from_slice(&colours[(bx + by * 4) % colours.len()]);
        }
        let mut f = Yuv420::new(w, h);
        f.fill_from_rgb(&rgb);
        let back = f.to_rgb();
        for (a, b) in rgb.iter().zip(&back) {
            assert!((*a as i32 - *b as i32).abs() <= 3, "{a} vs {b}");
        }
        // Black and white hit the limited-range ends.
        assert_eq!(f.y()[0], 16);
        assert_eq!(f.y()[2], 235);
        assert_eq!(f.u()[1], 128);
        assert_eq!(f.v()[1], 128);
    }
}
