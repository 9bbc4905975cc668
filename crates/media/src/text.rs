//! Burned-in text: the bundled fonts (Roboto Bold for Latin, Greek and Cyrillic; Droid Sans
//! Fallback for Chinese, Japanese and Korean, chosen per glyph), layout, and rasterisation into a
//! premultiplied RGBA overlay with a drop shadow, a dark outline and an optional rounded backing,
//! so that text stays legible over any photo.

mod layout;

use std::sync::OnceLock;

use ab_glyph::{Font, FontRef, PxScale, ScaleFont, point};

static PRIMARY_TTF: &[u8] = include_bytes!("../../../assets/fonts/Roboto-Bold.ttf");
static FALLBACK_TTF: &[u8] = include_bytes!("../../../assets/fonts/DroidSansFallbackFull.ttf");

pub struct Fonts {
    primary: FontRef<'static>,
    fallback: FontRef<'static>,
}

/// The bundled fonts, parsed once.
pub fn fonts() -> &'static Fonts {
    static FONTS: OnceLock<Fonts> = OnceLock::new();
    FONTS.get_or_init(|| Fonts {
        primary: FontRef::try_from_slice(PRIMARY_TTF).expect("bundled Roboto-Bold.ttf parses"),
        fallback: FontRef::try_from_slice(FALLBACK_TTF).expect("bundled DroidSansFallbackFull.ttf parses"),
    })
}

/// A rounded box behind the text.
#[derive(Debug, Clone, Copy)]
pub struct Backing {
    pub color: [u8; 3],
    pub alpha: f32,
    /// Padding around the text block, in ems.
    pub pad_x: f32,
    pub pad_y: f32,
    /// Corner radius in ems; a large value makes a pill.
    pub radius: f32,
}

#[derive(Debug, Clone, Copy)]
pub struct TextStyle {
    /// Em size in pixels.
    pub size: f32,
    /// Text shrinks (down to `min_size`) until it fits in `max_lines`.
    pub min_size: f32,
    pub max_lines: usize,
    pub max_width: f32,
    /// Baseline-to-baseline distance in ems.
    pub line_height: f32,
    pub color: [u8; 3],
    /// Dark outline width in ems (0: none).
    pub outline: f32,
    /// Drop shadow softness and offset in ems (0: none).
    pub shadow: f32,
    pub backing: Option<Backing>,
}

/// A rendered block of text: premultiplied RGBA, placed at (`x`, `y`) in the frame.
#[derive(Debug, Clone)]
pub struct Overlay {
    pub x: i32,
    pub y: i32,
    pub width: u32,
    pub height: u32,
    /// Premultiplied RGBA8.
    rgba: Vec<u8>,
}

impl Overlay {
    /// Lays out and rasterises `text`, centred on (`cx`, `cy`) in frame pixels.
    pub fn text(text: &str, style: &TextStyle, (cx, cy): (f32, f32)) -> Overlay {
        let f = fonts();
        let mut size = style.size;
        let mut lines = layout::layout(f, text, size, style.max_width);
        while lines.len() > style.max_lines && size * 0.93 >= style.min_size {
            size *= 0.93;
            lines = layout::layout(f, text, size, style.max_width);
        }
        let primary = f.primary.as_scaled(layout::scale_for(&f.primary, size));
        let descent = primary.descent();
        let line_h = size * style.line_height;
        let block_w = lines.iter().map(|l| l.width).fold(0.0f32, f32::max);
        // Cap height, not ascent, is what the eye centres on: trim the top accordingly.
        let cap = size * 0.711;
        let block_h = if lines.is_empty() { 0.0 } else { cap + (lines.len() - 1) as f32 * line_h - descent * 0.35 };

        let (pad_x, pad_y) = style.backing.map_or((0.0, 0.0), |b| (b.pad_x * size, b.pad_y * size));
        let fx = (style.outline + style.shadow * 2.5) * size + 2.0;
        let margin = pad_x.max(fx).ceil();
        let margin_y = pad_y.max(fx).ceil();
        let width = (block_w + 2.0 * margin).ceil().max(1.0) as u32;
        let height = (block_h + 2.0 * margin_y).ceil().max(1.0) as u32;
        let (w, h) = (width as usize, height as usize);

        // Coverage of the glyphs.
        let mut mask = vec![0f32; w * h];
        for (i, line) in lines.iter().enumerate() {
            let baseline = margin_y + cap + i as f32 * line_h;
            let x0 = margin + (block_w - line.width) / 2.0;
            for g in &line.glyphs {
                let font = if g.fallback { &f.fallback } else { &f.primary };
                let scale = PxScale::from(layout::scale_for(font, size));
                // The CJK fallback has a single, regular weight: draw it twice, offset by a
                // fraction of a stroke, so it sits with the bold Latin face.
                let passes: &[f32] = if g.fallback { &[0.0, 0.022, 0.044] } else { &[0.0] };
                for dx in passes {
                    let glyph = g.id.with_scale_and_position(scale, point(x0 + g.x + dx * size, baseline));
                    let Some(outlined) = font.outline_glyph(glyph) else { continue };
                    let b = outlined.px_bounds();
                    outlined.draw(|gx, gy, c| {
                        let x = b.min.x as i32 + gx as i32;
                        let y = b.min.y as i32 + gy as i32;
                        if (0..w as i32).contains(&x) && (0..h as i32).contains(&y) {
                            let m = &mut mask[y as usize * w + x as usize];
                            *m = m.max(c);
                        }
                    });
                }
            }
        }

        // Layers, back to front, composited premultiplied in f32.
        let mut acc = vec![[0f32; 4]; w * h];
        if let Some(b) = style.backing {
            let (bx0, by0) = (margin - pad_x, margin_y - pad_y);
            let (bw, bh) = (block_w + 2.0 * pad_x, block_h + 2.0 * pad_y);
            let r = (b.radius * size).min(bw / 2.0).min(bh / 2.0);
            let col = b.color.map(|c| c as f32 / 255.0);
            for y in 0..h {
                for x in 0..w {
                    let a = b.alpha * rounded_rect_coverage(x as f32 + 0.5, y as f32 + 0.5, bx0, by0, bw, bh, r);
                    if a > 0.0 {
                        over(&mut acc[y * w + x], col, a);
                    }
                }
            }
        }
        if style.shadow > 0.0 {
            let r = (style.shadow * size).max(1.0);
            let soft = blur_mask(&mask, w, h, r as usize);
            let (dx, dy) = ((r * 0.35).round() as i32, (r * 0.6).round() as i32);
            for y in 0..h as i32 {
                for x in 0..w as i32 {
                    let (sx, sy) = (x - dx, y - dy);
                    if (0..w as i32).contains(&sx) && (0..h as i32).contains(&sy) {
                        let a = 0.55 * (soft[sy as usize * w + sx as usize] * 1.6).min(1.0);
                        over(&mut acc[y as usize * w + x as usize], [0.0; 3], a);
                    }
                }
            }
        }
        if style.outline > 0.0 {
            let r = (style.outline * size).max(1.0);
            let grown = blur_mask(&mask, w, h, r.round() as usize);
            for (px, g) in acc.iter_mut().zip(&grown) {
                let a = 0.8 * (g * 3.0).min(1.0);
                over(px, [0.0; 3], a);
            }
        }
        let col = style.color.map(|c| c as f32 / 255.0);
        for (px, m) in acc.iter_mut().zip(&mask) {
            over(px, col, *m);
        }

        let rgba = acc.iter().flat_map(|p| p.map(|v| (v * 255.0).round().clamp(0.0, 255.0) as u8)).collect();
        Overlay {
            x: (cx - width as f32 / 2.0).round() as i32,
            y: (cy - height as f32 / 2.0).round() as i32,
            width,
            height,
            rgba,
        }
    }

    /// Blends onto a packed RGB8 frame, faded by `opacity`, shifted down by `dy` pixels (the
    /// reference [`YuvOverlay::blend`] is checked against).
    #[cfg(test)]
    pub fn blend(&self, frame: &mut [u8], (fw, fh): (u32, u32), opacity: f32, dy: i32) {
        let o = (opacity.clamp(0.0, 1.0) * 256.0).round() as u32;
        if o == 0 {
            return;
        }
        let (w, h) = (self.width as i32, self.height as i32);
        for row in 0..h {
            let fy = self.y + dy + row;
            if !(0..fh as i32).contains(&fy) {
                continue;
            }
            for col in 0..w {
                let fx = self.x + col;
                if !(0..fw as i32).contains(&fx) {
                    continue;
                }
                let s = ((row * w + col) * 4) as usize;
                let a = (self.rgba[s + 3] as u32 * o) >> 8;
                if a == 0 {
                    continue;
                }
                let d = ((fy as u32 * fw + fx as u32) * 3) as usize;
                for c in 0..3 {
                    let sc = (self.rgba[s + c] as u32 * o) >> 8;
                    frame[d + c] = (sc + (frame[d + c] as u32 * (255 - a) + 127) / 255).min(255) as u8;
                }
            }
        }
    }

    /// The frame rows this overlay covers (for tests and layout checks).
    pub fn rows(&self) -> std::ops::Range<i32> {
        self.y..self.y + self.height as i32
    }

    pub fn columns(&self) -> std::ops::Range<i32> {
        self.x..self.x + self.width as i32
    }
}

/// An [`Overlay`] converted once to premultiplied BT.709 limited-range YUV, so a frame composed
/// in I420 blends it without any per-frame colour conversion: luma per pixel, chroma per 2x2
/// block of the frame (coverage averaged over the block), one copy for each parity of the top
/// row (the entrance rise moves it by whole pixels).
#[derive(Debug, Clone)]
pub struct YuvOverlay {
    x: i32,
    y: i32,
    width: usize,
    height: usize,
    /// Premultiplied luma without the +16 offset, per pixel.
    luma: Vec<u8>,
    /// Coverage 0..=256 per pixel.
    alpha: Vec<u16>,
    /// Chroma blocks when the top row lands on an even / odd frame row.
    chroma: [ChromaLayer; 2],
}

/// Premultiplied chroma (without the 128 offset) and coverage of the 2x2 frame blocks an
/// overlay touches, the first block being frame block (`x0`, `y0`) when the overlay's top-left
/// corner is at luma (`x`.rem_euclid(2), parity).
#[derive(Debug, Clone)]
struct ChromaLayer {
    cols: usize,
    rows: usize,
    u: Vec<i16>,
    v: Vec<i16>,
    alpha: Vec<u16>,
}

impl YuvOverlay {
    pub fn new(o: &Overlay) -> Self {
        let (w, h) = (o.width as usize, o.height as usize);
        let mut luma = Vec::with_capacity(w * h);
        let mut alpha = Vec::with_capacity(w * h);
        for p in o.rgba.chunks_exact(4) {
            let (r, g, b) = (p[0] as u32, p[1] as u32, p[2] as u32);
            luma.push(((47 * r + 157 * g + 16 * b + 128) >> 8) as u8);
            alpha.push(((p[3] as u32 * 256 + 127) / 255) as u16);
        }
        let px = o.x.rem_euclid(2) as usize;
        let chroma = [0usize, 1].map(|py| {
            let (cols, rows) = ((px + w).div_ceil(2), (py + h).div_ceil(2));
            let mut sums = vec![[0i32; 4]; cols * rows]; // u, v, alpha, unused
            for y in 0..h {
                for x in 0..w {
                    let p = &o.rgba[(y * w + x) * 4..][..4];
                    let (r, g, b) = (p[0] as i32, p[1] as i32, p[2] as i32);
                    let s = &mut sums[((py + y) / 2) * cols + (px + x) / 2];
                    s[0] += -26 * r - 86 * g + 112 * b;
                    s[1] += 112 * r - 102 * g - 10 * b;
                    s[2] += alpha[y * w + x] as i32;
                }
            }
            ChromaLayer {
                cols,
                rows,
                u: sums.iter().map(|s| ((s[0] + 512) >> 10) as i16).collect(),
                v: sums.iter().map(|s| ((s[1] + 512) >> 10) as i16).collect(),
                alpha: sums.iter().map(|s| ((s[2] + 2) / 4) as u16).collect(),
            }
        });
        Self { x: o.x, y: o.y, width: w, height: h, luma, alpha, chroma }
    }

    /// Blends onto an I420 frame, faded by `opacity`, shifted down by `dy` pixels: exactly
    /// [`Overlay::blend`] followed by the conversion to I420, up to rounding (chroma: up to
    /// the colour variation inside a 2x2 block under the overlay's edge).
    pub fn blend(&self, frame: &mut crate::yuv::Yuv420, opacity: f32, dy: i32) {
        let o = (opacity.clamp(0.0, 1.0) * 256.0).round() as i32;
        if o == 0 {
            return;
        }
        let (fw, fh) = (frame.width() as i32, frame.height() as i32);
        let top = self.y + dy;
        let (yp, up, vp) = frame.planes_mut();
        // Luma, row by row over the visible columns.
        let (c0, c1) = ((-self.x).max(0), (fw - self.x).min(self.width as i32));
        if c0 < c1 {
            for row in 0..self.height as i32 {
                let fy = top + row;
                if !(0..fh).contains(&fy) {
                    continue;
                }
                let s = row as usize * self.width;
                let src = &self.luma[s + c0 as usize..s + c1 as usize];
                let cov = &self.alpha[s + c0 as usize..s + c1 as usize];
                let d = (fy * fw + self.x + c0) as usize;
                let dst = &mut yp[d..d + (c1 - c0) as usize];
                for ((px, &l), &a) in dst.iter_mut().zip(src).zip(cov) {
                    let keep = 256 - ((a as i32 * o) >> 8);
                    let v = 16 + ((l as i32 * o) >> 8) + (((*px as i32 - 16) * keep + 128) >> 8);
                    *px = v.clamp(0, 255) as u8;
                }
            }
        }
        // Chroma, per 2x2 block.
        let layer = &self.chroma[top.rem_euclid(2) as usize];
        let (bx0, by0) = (self.x.div_euclid(2), top.div_euclid(2));
        let (cw, ch) = (fw / 2, fh / 2);
        let (k0, k1) = ((-bx0).max(0), (cw - bx0).min(layer.cols as i32));
        if k0 >= k1 {
            return;
        }
        for row in 0..layer.rows as i32 {
            let cy = by0 + row;
            if !(0..ch).contains(&cy) {
                continue;
            }
            let s = row as usize * layer.cols;
            let d = (cy * cw + bx0 + k0) as usize;
            let n = (k1 - k0) as usize;
            let range = s + k0 as usize..s + k1 as usize;
            for (plane, pm) in [(&mut *up, &layer.u), (&mut *vp, &layer.v)] {
                let dst = &mut plane[d..d + n];
                for ((px, &c), &a) in dst.iter_mut().zip(&pm[range.clone()]).zip(&layer.alpha[range.clone()]) {
                    let keep = 256 - ((a as i32 * o) >> 8);
                    let v = 128 + ((c as i32 * o) >> 8) + (((*px as i32 - 128) * keep + 128) >> 8);
                    *px = v.clamp(0, 255) as u8;
                }
            }
        }
    }
}

/// Premultiplied "over" of a straight colour with alpha `a`.
#[inline]
fn over(dst: &mut [f32; 4], col: [f32; 3], a: f32) {
    let k = 1.0 - a;
    dst[0] = col[0] * a + dst[0] * k;
    dst[1] = col[1] * a + dst[1] * k;
    dst[2] = col[2] * a + dst[2] * k;
    dst[3] = a + dst[3] * k;
}

/// Anti-aliased coverage of a pixel centre by a rounded rectangle.
fn rounded_rect_coverage(px: f32, py: f32, x0: f32, y0: f32, w: f32, h: f32, r: f32) -> f32 {
    // Signed distance to the rounded rectangle.
    let (cx, cy) = (x0 + w / 2.0, y0 + h / 2.0);
    let qx = (px - cx).abs() - (w / 2.0 - r);
    let qy = (py - cy).abs() - (h / 2.0 - r);
    let outside = (qx.max(0.0).powi(2) + qy.max(0.0).powi(2)).sqrt();
    let d = outside + qx.max(qy).min(0.0) - r;
    (0.5 - d).clamp(0.0, 1.0)
}

/// Two passes of a separable box blur on a coverage mask (edges clamp to zero).
fn blur_mask(mask: &[f32], w: usize, h: usize, r: usize) -> Vec<f32> {
    let mut a = mask.to_vec();
    let mut b = vec![0f32; w * h];
    let norm = 1.0 / (2 * r + 1) as f32;
    for _ in 0..2 {
        for y in 0..h {
            let row = &a[y * w..(y + 1) * w];
            let mut acc: f32 = row[..r.min(w)].iter().sum();
            for x in 0..w {
                if x + r < w {
                    acc += row[x + r];
                }
                b[y * w + x] = acc * norm;
                if x >= r {
                    acc -= row[x - r];
                }
            }
        }
        for x in 0..w {
            let mut acc: f32 = (0..r.min(h)).map(|y| b[y * w + x]).sum();
            for y in 0..h {
                if y + r < h {
                    acc += b[(y + r) * w + x];
                }
                a[y * w + x] = acc * norm;
                if y >= r {
                    acc -= b[(y - r) * w + x];
                }
            }
        }
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caption_style() -> TextStyle {
        TextStyle {
            size: 60.0,
            min_size: 44.0,
            max_lines: 3,
            max_width: 900.0,
            line_height: 1.22,
            color: [255, 255, 255],
            outline: 0.05,
            shadow: 0.08,
            backing: Some(Backing { color: [0, 0, 0], alpha: 0.5, pad_x: 0.5, pad_y: 0.35, radius: 0.3 }),
        }
    }

    #[test]
    fn overlay_is_centred_and_draws_white_text_on_a_dark_box() {
        let o = Overlay::text("Fresh roast, every morning", &caption_style(), (540.0, 1400.0));
        assert!(o.width <= 1000 && o.width > 300, "{}", o.width);
        assert!(((o.x + o.width as i32 / 2) - 540).abs() <= 1);
        let mut frame = vec![128u8; 1080 * 1920 * 3];
        o.blend(&mut frame, (1080, 1920), 1.0, 0);
        let (mut white, mut dark) = (0, 0);
        for y in o.rows() {
            for x in o.columns() {
                let i = ((y * 1080 + x) * 3) as usize;
                if frame[i] > 235 {
                    white += 1;
                }
                if frame[i] < 90 {
                    dark += 1;
                }
            }
        }
        assert!(white > 2000, "text pixels: {white}");
        assert!(dark > 10000, "box/outline pixels: {dark}");
        // Outside the overlay nothing changed.
        assert_eq!(frame[0], 128);
    }

    #[test]
    fn the_yuv_overlay_matches_the_rgb_blend() {
        use crate::yuv::Yuv420;
        let o = Overlay::text("Fresh roast, every morning", &caption_style(), (541.0, 1401.0));
        let yo = YuvOverlay::new(&o);
        // A colourful, varied background; odd and even shifts; half and full opacity.
        let (w, h) = (1080u32, 1920u32);
        let bg: Vec<u8> = (0..(w * h) as usize)
            .flat_map(|i| {
                let (x, y) = (i % w as usize, i / w as usize);
                [(x / 4 % 200) as u8 + 20, (y / 8 % 180) as u8 + 30, ((x + y) / 16 % 150) as u8 + 60]
            })
            .collect();
        let mut plain = Yuv420::new(w, h);
        plain.fill_from_rgb(&bg);
        for (opacity, dy) in [(1.0, 0), (0.5, 3), (0.8, -7)] {
            let mut rgb = bg.clone();
            o.blend(&mut rgb, (w, h), opacity, dy);
            let mut want = Yuv420::new(w, h);
            want.fill_from_rgb(&rgb);
            let mut got = plain.clone();
            yo.blend(&mut got, opacity, dy);
            let worst = |a: &[u8], b: &[u8]| a.iter().zip(b).map(|(x, y)| x.abs_diff(*y)).max().unwrap();
            let mean =
                |a: &[u8], b: &[u8]| a.iter().zip(b).map(|(x, y)| x.abs_diff(*y) as f64).sum::<f64>() / a.len() as f64;
            assert!(worst(want.y(), got.y()) <= 2, "luma {opacity} {dy}: {}", worst(want.y(), got.y()));
            for (a, b) in [(want.u(), got.u()), (want.v(), got.v())] {
                assert!(mean(a, b) < 0.05, "chroma {opacity} {dy}: mean {}", mean(a, b));
                assert!(worst(a, b) <= 24, "chroma {opacity} {dy}: worst {}", worst(a, b));
            }
            // And it did draw something.
            assert!(mean(got.y(), plain.y()) > 0.5, "the overlay changed the frame");
        }
    }

    #[test]
    fn long_text_shrinks_to_fit_the_line_limit() {
        let long =
            "A carefully roasted single-origin espresso with notes of dark chocolate, cherry and a hint of caramel";
        let style = caption_style();
        let o = Overlay::text(long, &style, (540.0, 1400.0));
        // Three lines at most: about 3 * 1.22 * 60 + padding.
        assert!((o.height as f32) < 3.0 * 1.22 * 60.0 + 2.0 * 0.35 * 60.0 + 20.0, "{}", o.height);
    }

    #[test]
    fn cjk_text_renders_ink() {
        let o = Overlay::text("立即购买，限时优惠", &caption_style(), (540.0, 900.0));
        let inked = o.rgba.chunks(4).filter(|p| p[0] > 200 && p[3] > 200).count();
        assert!(inked > 1500, "{inked}");
    }
}
