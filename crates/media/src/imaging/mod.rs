//! Pixel plumbing shared by the enhancer and the renderer: SIMD resizing through
//! fast_image_resize (fractional crops included) in [`resize`], a cheap separable blur, an
//! unsharp mask and a denoiser in [`filters`], and the decode-with-limits every engine entry point
//! uses in [`decode`].

mod decode;
mod filters;
mod resize;

pub use decode::{DecodeError, decode_rgb, decode_rgb_reusing};
pub use filters::{blur, denoise, noise_sigma, unsharp};
pub use resize::{QuadYuv, reduced, resize_yuv, resized, resized_keeping_scratch};

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
}
