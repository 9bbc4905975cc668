//! Drawing one frame: the photo of the moment cropped to its (fractional) Ken Burns rectangle
//! and resampled by fast_image_resize, the transition into the next shot, a soft darkening where
//! text sits, the texts faded in and out. Frames are independent of each other, so any number of
//! threads can draw them at once.
//!
//! Everything happens in I420, the encoder's format: the photos are converted once, up front, so
//! a frame resamples one full-resolution plane and two quarter-resolution ones (half the samples
//! of packed RGB) and needs no colour conversion. Every operation is linear in RGB (darkening,
//! fades, mixes, premultiplied text), so it is applied to Y - 16 and to U, V - 128 with the same
//! weights, the result matching RGB composition followed by conversion up to rounding.

use std::sync::Mutex;

use fast_image_resize::FilterType;
use glimvid_domain::{Script, Style};
use image::RgbImage;
use rayon::prelude::*;

use super::timeline::{Cue, Timeline, Transition, Visual};
use crate::encode::FrameSource;
use crate::imaging::{QuadYuv, Rect, blur, reduced, resize_yuv, resized};
use crate::text::{Backing, Overlay, TextStyle, YuvOverlay};
use crate::yuv::Yuv420;

/// Where and how texts are laid out for one frame size and style.
struct Look {
    caption: TextStyle,
    /// Bottom edge of the caption block, in frame pixels.
    caption_bottom: f32,
    title: TextStyle,
    title_centre: f32,
    outro_title: TextStyle,
    cta: TextStyle,
    /// Vertical centre of the outro card.
    card_centre: f32,
    /// Caption rise on entrance, pixels.
    rise: f32,
}

impl Look {
    fn new((w, h): (u32, u32), style: Style) -> Self {
        let (w, h) = (w as f32, h as f32);
        let portrait = h > w * 1.2;
        let landscape = w > h * 1.2;
        // Sizes scale with the short side; captions stay clear of the bottom (where social apps
        // draw their buttons) and of the sides.
        let unit = w.min(h);
        let size = unit * if landscape { 0.052 } else { 0.056 };
        let (max_width, caption_bottom) = if portrait {
            (w * 0.84, h * 0.80)
        } else if landscape {
            (w * 0.62, h * 0.91)
        } else {
            (w * 0.84, h * 0.90)
        };
        let white = [255, 255, 255];
        let (caption_backing, text_colour, outline, accent_cta) = match style {
            Style::Clean => (
                Backing { color: [12, 12, 14], alpha: 0.5, pad_x: 0.55, pad_y: 0.38, radius: 0.32 },
                white,
                0.035,
                Backing { color: [250, 250, 250], alpha: 0.96, pad_x: 0.9, pad_y: 0.5, radius: 5.0 },
            ),
            Style::Bold => (
                Backing { color: [236, 64, 36], alpha: 0.92, pad_x: 0.5, pad_y: 0.32, radius: 0.1 },
                white,
                0.0,
                Backing { color: [236, 64, 36], alpha: 1.0, pad_x: 0.9, pad_y: 0.5, radius: 0.12 },
            ),
            Style::Elegant => (
                Backing { color: [10, 10, 10], alpha: 0.38, pad_x: 0.7, pad_y: 0.42, radius: 0.08 },
                [246, 238, 222],
                0.03,
                Backing { color: [246, 238, 222], alpha: 0.95, pad_x: 1.0, pad_y: 0.55, radius: 0.08 },
            ),
        };
        let caption = TextStyle {
            size,
            min_size: size * 0.72,
            max_lines: 3,
            max_width,
            line_height: 1.24,
            color: text_colour,
            outline,
            shadow: 0.07,
            backing: Some(caption_backing),
        };
        let title = TextStyle {
            size: size * 1.75,
            min_size: size * 1.1,
            max_lines: 3,
            max_width: w * if landscape { 0.7 } else { 0.86 },
            line_height: 1.15,
            color: text_colour,
            outline: 0.045,
            shadow: 0.1,
            backing: None,
        };
        let outro_title = TextStyle { size: size * 1.3, min_size: size * 0.9, ..title };
        let cta_text = if style == Style::Bold { white } else { [20, 20, 22] };
        let cta = TextStyle {
            size: size * 1.1,
            min_size: size * 0.8,
            max_lines: 2,
            max_width: max_width * 0.85,
            line_height: 1.2,
            color: cta_text,
            outline: 0.0,
            shadow: 0.0,
            backing: Some(accent_cta),
        };
        Self {
            caption,
            caption_bottom,
            title,
            title_centre: h * if portrait { 0.42 } else { 0.45 },
            outro_title,
            cta,
            card_centre: h * 0.48,
            rise: size * 0.35,
        }
    }
}

/// Darkening towards the bottom of photo shots (behind captions) and over the intro (behind the
/// title): multipliers per row, 256 = unchanged.
fn bottom_gradient(h: u32) -> Vec<u16> {
    (0..h)
        .map(|y| {
            let t = ((y as f32 / h as f32 - 0.55) / 0.45).clamp(0.0, 1.0);
            (256.0 * (1.0 - 0.32 * t * t)).round() as u16
        })
        .collect()
}

pub struct Composer {
    width: u32,
    height: u32,
    timeline: Timeline,
    /// The job's photos at (or near) the frame size, as I420 ready for resampling.
    photos: Vec<QuadYuv>,
    /// The outro backdrop: the last shot's photo blurred and darkened.
    outro: QuadYuv,
    /// One overlay per cue, in `timeline.cues` order (placement), and the same in YUV (drawing).
    overlays: Vec<Overlay>,
    yuv_overlays: Vec<YuvOverlay>,
    rise: f32,
    gradient: Vec<u16>,
    /// Frame-sized scratch frames for transitions.
    pool: Mutex<Vec<Yuv420>>,
    /// When joining a provider's clips: clip `i` plays where photo `i` would be shown.
    clips: Option<super::join::Clips>,
}

/// The texts of a video (title, captions, outro card), laid out and rasterised once: placement
/// in `overlays`, the same converted for drawing in I420 in `yuv`.
pub(crate) struct Texts {
    overlays: Vec<Overlay>,
    yuv: Vec<YuvOverlay>,
    rise: f32,
}

impl Texts {
    /// One overlay per cue of `timeline`, in its order.
    pub fn new(script: &Script, (width, height): (u32, u32), timeline: &Timeline, style: Style) -> Self {
        let look = Look::new((width, height), style);
        let cx = width as f32 / 2.0;
        let overlays: Vec<Overlay> = timeline
            .cues
            .iter()
            .map(|c| match c.cue {
                Cue::Title => Overlay::text(&script.title, &look.title, (cx, look.title_centre)),
                Cue::Caption(i) => {
                    let mut o = Overlay::text(&script.scenes[i].caption, &look.caption, (cx, 0.0));
                    o.y = (look.caption_bottom - o.height as f32).round() as i32;
                    o
                }
                Cue::Phrase(j) => {
                    let mut o = Overlay::text(&timeline.phrases[j], &look.caption, (cx, 0.0));
                    o.y = (look.caption_bottom - o.height as f32).round() as i32;
                    o
                }
                Cue::OutroTitle => {
                    let mut o = Overlay::text(&script.title, &look.outro_title, (cx, 0.0));
                    o.y = (look.card_centre - o.height as f32 - look.cta.size * 0.3).round() as i32;
                    o
                }
                Cue::CallToAction => {
                    let mut o = Overlay::text(&script.call_to_action, &look.cta, (cx, 0.0));
                    o.y = (look.card_centre + look.cta.size * 0.6).round() as i32;
                    o
                }
            })
            .collect();
        let yuv = overlays.iter().map(YuvOverlay::new).collect();
        Self { overlays, yuv, rise: look.rise }
    }
}

/// The photo the outro card's backdrop is made from: the last one shown.
pub(crate) fn outro_photo(timeline: &Timeline) -> usize {
    timeline
        .segments
        .iter()
        .rev()
        .find_map(|s| if let Visual::Photo(p) = s.visual { Some(p) } else { None })
        .unwrap_or(0)
}

/// A photo (at or near the frame size) as the composer draws it: I420, in row quads.
pub(crate) fn photo_picture(photo: &RgbImage) -> QuadYuv {
    QuadYuv::new(&Yuv420::from_rgb_image(photo))
}

/// The outro's backdrop made from `photo` (see [`outro_photo`]), ready to draw.
pub(crate) fn outro_picture(photo: &RgbImage, frame: (u32, u32)) -> QuadYuv {
    QuadYuv::new(&Yuv420::from_rgb_image(&backdrop(photo, frame)))
}

impl Composer {
    pub fn new(script: &Script, photos: Vec<RgbImage>, frame: (u32, u32), timeline: Timeline, style: Style) -> Self {
        let last = outro_photo(&timeline);
        let (texts, (outro, pictures)) = rayon::join(
            || Texts::new(script, frame, &timeline, style),
            || rayon::join(|| outro_picture(&photos[last], frame), || photos.par_iter().map(photo_picture).collect()),
        );
        Self::from_parts(texts, pictures, outro, frame, timeline)
    }

    /// From parts made beforehand ([`Texts::new`], [`photo_picture`], [`outro_picture`]), so
    /// that a caller can make them while it decodes the photos.
    pub(crate) fn from_parts(
        texts: Texts,
        photos: Vec<QuadYuv>,
        outro: QuadYuv,
        (width, height): (u32, u32),
        timeline: Timeline,
    ) -> Self {
        Self {
            width,
            height,
            gradient: bottom_gradient(height),
            timeline,
            photos,
            outro,
            overlays: texts.overlays,
            yuv_overlays: texts.yuv,
            rise: texts.rise,
            pool: Mutex::new(Vec::new()),
            clips: None,
        }
    }

    /// Plays `clips` instead of the still photos (the photos remain the fallback pictures).
    pub(crate) fn with_clips(mut self, clips: super::join::Clips) -> Self {
        self.clips = Some(clips);
        self
    }

    pub fn timeline(&self) -> &Timeline {
        &self.timeline
    }

    /// Where the caption of scene `i` is drawn (columns, rows), for checks.
    pub fn caption_area(&self, scene: usize) -> Option<(std::ops::Range<i32>, std::ops::Range<i32>)> {
        let k = self.timeline.cues.iter().position(|c| c.cue == Cue::Caption(scene))?;
        Some((self.overlays[k].columns(), self.overlays[k].rows()))
    }

    fn buffer(&self) -> Yuv420 {
        self.pool.lock().expect("pool lock").pop().unwrap_or_else(|| Yuv420::new(self.width, self.height))
    }

    fn recycle(&self, buf: Yuv420) {
        let mut pool = self.pool.lock().expect("pool lock");
        if pool.len() < 8 {
            pool.push(buf);
        }
    }

    /// Draws segment `k` at move progress `p` into `out`.
    fn draw_segment(&self, k: usize, p: f64, out: &mut Yuv420) {
        let seg = &self.timeline.segments[k];
        if let (Some(clips), Visual::Photo(i)) = (&self.clips, seg.visual) {
            let (s, e) = self.timeline.visible(k);
            if clips.draw(i, p * (e - s), out) {
                darken_rows(out, |y| self.gradient[y]);
                return;
            }
        }
        let src = match seg.visual {
            Visual::Photo(i) => &self.photos[i],
            Visual::Outro => &self.outro,
        };
        let (sw, sh) = (src.width(), src.height());
        let base = Rect::cover(sw, sh, self.width as f64 / self.height as f64);
        let (zoom, ox, oy) = seg.motion.at(p);
        let (cw, ch) = (base.width / zoom, base.height / zoom);
        let cx = base.left + base.width / 2.0 + ox * (base.width - cw) / 2.0;
        let cy = base.top + base.height / 2.0 + oy * (base.height - ch) / 2.0;
        let crop = Rect {
            left: (cx - cw / 2.0).clamp(base.left, base.left + base.width - cw),
            top: (cy - ch / 2.0).clamp(base.top, base.top + base.height - ch),
            width: cw,
            height: ch,
        };
        src.resize(out, crop, FilterType::CatmullRom);
        if matches!(seg.visual, Visual::Photo(_)) {
            darken_rows(out, |y| self.gradient[y]);
        }
    }

    /// Draws frame `index` into `out` (I420, frame size).
    pub fn draw(&self, index: u32, out: &mut Yuv420) {
        let t = self.timeline.time_of(index);
        let moment = self.timeline.at(t);
        self.draw_segment(moment.a.0, moment.a.1, out);
        if let Some((k, p, mix)) = moment.b {
            let mut other = self.buffer();
            self.draw_segment(k, p, &mut other);
            let kind = self.timeline.transition_into(k);
            if kind == Transition::ZoomThrough {
                let mut scratch = self.buffer();
                zoom_through(out, &other, &mut scratch, mix);
                self.recycle(scratch);
            } else {
                transition(kind, out, &other, mix);
            }
            self.recycle(other);
        }
        for (cue, overlay) in self.timeline.cues.iter().zip(&self.yuv_overlays) {
            let (opacity, entering) = cue.at(t);
            if opacity <= 0.0 {
                continue;
            }
            if cue.cue == Cue::Title {
                // Dim the photo behind the title so it reads on a bright picture.
                let f = (256.0 * (1.0 - 0.3 * opacity)).round() as u16;
                darken_rows(out, |_| f);
            }
            let dy = (entering * self.rise).round() as i32;
            overlay.blend(out, opacity, dy);
        }
    }

    /// Draws frame `index` as packed RGB8 into `out` (for checks: the frame as a viewer sees it).
    pub fn draw_rgb(&self, index: u32, out: &mut [u8]) {
        let mut frame = self.buffer();
        self.draw(index, &mut frame);
        frame.to_rgb_into(out);
        self.recycle(frame);
    }
}

impl FrameSource for Composer {
    fn frame_count(&self) -> u32 {
        self.timeline.frames
    }

    fn render(&self, index: u32, out: &mut Yuv420) {
        self.draw(index, out);
    }
}

/// Scales every row towards black by `factor(row)` / 256 (256 = unchanged): luma towards 16,
/// chroma towards 128 (a chroma row takes the mean factor of its two luma rows).
fn darken_rows(frame: &mut Yuv420, factor: impl Fn(usize) -> u16) {
    let (w, h) = (frame.width() as usize, frame.height() as usize);
    let (yp, up, vp) = frame.planes_mut();
    for (y, row) in yp.chunks_exact_mut(w).enumerate() {
        luma_towards_black(row, factor(y));
    }
    for (cy, (ur, vr)) in up.chunks_exact_mut(w / 2).zip(vp.chunks_exact_mut(w / 2)).enumerate().take(h / 2) {
        let f = (factor(2 * cy) + factor(2 * cy + 1)).div_ceil(2);
        chroma_towards_neutral(ur, f);
        chroma_towards_neutral(vr, f);
    }
}

/// `v = 16 + (v - 16) * f / 256` (f ≤ 256) in 16-bit lanes, which vectorise on any x86-64
/// (32-bit multiplies do not before SSE4.1). Filter undershoot below 16 comes out at 16.
fn luma_towards_black(row: &mut [u8], f: u16) {
    if f >= 256 {
        return;
    }
    for v in row {
        let d = v.saturating_sub(16) as u16; // ≤ 239, so d * f + 128 < 2^16
        *v = 16 + ((d * f + 128) >> 8) as u8;
    }
}

/// `v = 128 + (v - 128) * f / 256` (f ≤ 256): |v - 128| * 256 fits a signed 16-bit lane.
fn chroma_towards_neutral(row: &mut [u8], f: u16) {
    if f >= 256 {
        return;
    }
    let f = f as i16;
    for v in row {
        let d = *v as i16 - 128;
        *v = (128 + ((d * f + 128) >> 8)) as u8;
    }
}

/// Fades a whole frame towards black by `k` / 256.
fn fade_to_black(frame: &mut Yuv420, k: u16) {
    let (y, u, v) = frame.planes_mut();
    luma_towards_black(y, k);
    chroma_towards_neutral(u, k);
    chroma_towards_neutral(v, k);
}

fn crossfade(a: &mut [u8], b: &[u8], mix: f64) {
    // The weights sum to 256, so the sum stays under 2^16: 16-bit lanes.
    let m = (mix.clamp(0.0, 1.0) * 256.0).round() as u16;
    for (x, y) in a.iter_mut().zip(b) {
        *x = ((*x as u16 * (256 - m) + *y as u16 * m + 128) >> 8) as u8;
    }
}

/// How far the zoom-through pushes into each picture at its end of the transition.
const ZOOM_THROUGH: f64 = 0.35;

/// `a` zooms in (about its centre) while `b`, zoomed in as much at first, settles; the two
/// crossfade. `scratch` is a frame-sized buffer.
pub(super) fn zoom_through(a: &mut Yuv420, b: &Yuv420, scratch: &mut Yuv420, mix: f64) {
    let (w, h) = (a.width(), a.height());
    let centre = |z: f64| {
        let (cw, ch) = (w as f64 / z, h as f64 / z);
        Rect { left: (w as f64 - cw) / 2.0, top: (h as f64 - ch) / 2.0, width: cw, height: ch }
    };
    resize_yuv(a, scratch, Some(centre(1.0 + ZOOM_THROUGH * mix)), FilterType::Bilinear);
    resize_yuv(b, a, Some(centre(1.0 + ZOOM_THROUGH * (1.0 - mix))), FilterType::Bilinear);
    // a = zoomed b; mix the zoomed a back in with weight (1 - mix).
    crossfade(a.data_mut(), scratch.data(), 1.0 - mix);
}

/// Mixes `b` into `a` (frames of the same size) at `mix` (0 = all `a`, 1 = all `b`).
pub(super) fn transition(kind: Transition, a: &mut Yuv420, b: &Yuv420, mix: f64) {
    let (width, height) = (a.width() as usize, a.height() as usize);
    match kind {
        Transition::Crossfade | Transition::ZoomThrough => crossfade(a.data_mut(), b.data(), mix),
        Transition::DipToBlack => {
            // Out to black over the first half, in from black over the second.
            let (k, use_b) = if mix < 0.5 { (1.0 - 2.0 * mix, false) } else { (2.0 * mix - 1.0, true) };
            let k = (k * k * 256.0).round() as u16;
            if use_b {
                a.data_mut().copy_from_slice(b.data());
            }
            fade_to_black(a, k);
        }
        Transition::Push => {
            // `b` slides in from the right, pushing `a` out to the left (in steps of two pixels,
            // so that chroma moves with luma).
            let dx = ((mix * width as f64 / 2.0).round() as usize * 2).min(width);
            let ((ay, au, av), (by, bu, bv)) = (a.planes_mut(), (b.y(), b.u(), b.v()));
            let planes = [(ay, by, width, dx), (au, bu, width / 2, dx / 2), (av, bv, width / 2, dx / 2)];
            for (pa, pb, stride, dx) in planes {
                for (ra, rb) in pa.chunks_exact_mut(stride).zip(pb.chunks_exact(stride)) {
                    ra.copy_within(dx.., 0);
                    ra[stride - dx..].copy_from_slice(&rb[..dx]);
                }
            }
        }
        Transition::Wipe => {
            // The edge leans (lower rows lead) and is feathered; it crosses the whole frame,
            // feather included, between mix 0 and 1. A chroma sample sits at the centre of its
            // 2x2 block.
            let (w, h) = (width as f64, height as f64);
            let (lean, feather) = (0.25 * h, 0.12 * w);
            let edge = mix * (w + lean + 2.0 * feather) - lean - feather;
            let ((ay, au, av), (by, bu, bv)) = (a.planes_mut(), (b.y(), b.u(), b.v()));
            let planes = [(ay, by, width, 1.0, 0.0), (au, bu, width / 2, 2.0, 0.5), (av, bv, width / 2, 2.0, 0.5)];
            for (pa, pb, stride, scale, offset) in planes {
                for (y, (ra, rb)) in pa.chunks_exact_mut(stride).zip(pb.chunks_exact(stride)).enumerate() {
                    let row_edge = edge + lean * ((y as f64 * scale + offset) / h);
                    for (x, (va, vb)) in ra.iter_mut().zip(rb).enumerate() {
                        let k = ((row_edge - (x as f64 * scale + offset)) / feather).clamp(0.0, 1.0);
                        if k <= 0.0 {
                            continue;
                        }
                        let m = (k * 256.0).round() as u32;
                        *va = ((*va as u32 * (256 - m) + *vb as u32 * m + 128) >> 8) as u8;
                    }
                }
            }
        }
    }
}

/// The outro's backdrop: the photo blurred (on a small copy), darkened, and scaled back up.
fn backdrop(photo: &RgbImage, (w, h): (u32, u32)) -> RgbImage {
    let rect = Rect::cover(photo.width(), photo.height(), w as f64 / h as f64);
    let cover = resized(photo, (w / 8).max(8), (h / 8).max(8), Some(rect), FilterType::CatmullRom);
    let mut small = reduced(&cover, 240);
    blur(&mut small, 4);
    for p in small.pixels_mut() {
        for c in 0..3 {
            p[c] = (p[c] as f32 * 0.42).round() as u8;
        }
    }
    resized(&small, w, h, None, FilterType::CatmullRom)
}

#[cfg(test)]
mod tests {
    use super::*;

    const W: usize = 64;
    const H: usize = 48;

    /// A textured frame in one hue (red or blue), so zooms change it.
    fn frame(red: bool) -> Vec<u8> {
        let mut f = Vec::with_capacity(W * H * 3);
        for y in 0..H {
            for x in 0..W {
                let v = 150 + ((x * 7 + y * 3) % 11) as u8 * 8;
                f.extend_from_slice(&if red { [v, 20, 20] } else { [20, 20, v] });
            }
        }
        f
    }

    /// Share of each pixel's "redness" that comes from `a` (1 = all red, 0 = all blue), averaged.
    fn red_share(f: &[u8]) -> f64 {
        f.chunks_exact(3).map(|p| p[0] as f64 / (p[0] as f64 + p[2] as f64)).sum::<f64>() / (W * H) as f64
    }

    /// The transition applied to the two frames in I420, seen back in RGB.
    fn apply(kind: Transition, mix: f64) -> Vec<u8> {
        let yuv = |rgb: Vec<u8>| {
            let mut f = Yuv420::new(W as u32, H as u32);
            f.fill_from_rgb(&rgb);
            f
        };
        let (mut a, b) = (yuv(frame(true)), yuv(frame(false)));
        if kind == Transition::ZoomThrough {
            let mut scratch = Yuv420::new(W as u32, H as u32);
            zoom_through(&mut a, &b, &mut scratch, mix);
        } else {
            transition(kind, &mut a, &b, mix);
        }
        a.to_rgb()
    }

    #[test]
    fn every_transition_goes_from_a_to_b_through_a_mix() {
        for kind in [Transition::Crossfade, Transition::Push, Transition::Wipe, Transition::ZoomThrough] {
            assert!(red_share(&apply(kind, 0.0)) > 0.85, "{kind:?} starts on a");
            assert!(red_share(&apply(kind, 1.0)) < 0.15, "{kind:?} ends on b");
            let mid = red_share(&apply(kind, 0.5));
            assert!((0.3..0.7).contains(&mid), "{kind:?} midpoint mixes both scenes: {mid:.2}");
            // Monotonic: a little further into the transition shows more of b.
            assert!(red_share(&apply(kind, 0.6)) < mid, "{kind:?}");
        }
        // Dip to black: a dimmed, then black, then b dimmed.
        let quarter = apply(Transition::DipToBlack, 0.25);
        let half = apply(Transition::DipToBlack, 0.5);
        assert!(red_share(&quarter) > 0.85 && quarter.iter().map(|&v| v as u32).max().unwrap() < 150);
        assert!(half.iter().all(|&v| v == 0));
    }

    #[test]
    fn the_wipe_has_a_soft_leaning_edge_and_the_zoom_moves_the_picture() {
        let f = apply(Transition::Wipe, 0.5);
        let share = |x: usize, y: usize| {
            let p = &f[(y * W + x) * 3..];
            p[0] as f64 / (p[0] as f64 + p[2] as f64)
        };
        // b comes from the left; lower rows lead.
        assert!(share(0, H / 2) < 0.2 && share(W - 1, H / 2) > 0.8);
        assert!(share(W / 2, H - 1) < share(W / 2, 0));
        // Somewhere along a row the two are blended (no hard cut).
        assert!((0..W).any(|x| (0.3..0.7).contains(&share(x, H / 2))));

        // The zoom-through is not a plain crossfade: the pictures are scaled.
        let (zoom, fade) = (apply(Transition::ZoomThrough, 0.3), apply(Transition::Crossfade, 0.3));
        let diff = zoom.iter().zip(&fade).map(|(a, b)| (*a as f64 - *b as f64).abs()).sum::<f64>() / zoom.len() as f64;
        assert!(diff > 2.0, "zoom-through differs from a crossfade by {diff:.2}");
    }
}
