//! Drawing one frame: the photo of the moment cropped to its (fractional) Ken Burns rectangle
//! and resampled by fast_image_resize, the transition into the next shot, a soft darkening where
//! text sits, the texts faded in and out, then RGB to I420. Frames are independent of each
//! other, so any number of threads can draw them at once.

use std::sync::Mutex;

use fast_image_resize::FilterType;
use glimvid_domain::{Script, Style};
use image::RgbImage;

use super::timeline::{Cue, Timeline, Transition, Visual};
use crate::encode::FrameSource;
use crate::imaging::{Rect, blur, reduced, resize_rgb, resized};
use crate::text::{Backing, Overlay, TextStyle};
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
    /// The job's photos at (or near) the frame size.
    photos: Vec<RgbImage>,
    /// The outro backdrop: the last shot's photo blurred and darkened.
    outro: RgbImage,
    /// One overlay per cue, in `timeline.cues` order.
    overlays: Vec<Overlay>,
    rise: f32,
    gradient: Vec<u16>,
    pool: Mutex<Vec<Vec<u8>>>,
}

impl Composer {
    pub fn new(
        script: &Script,
        photos: Vec<RgbImage>,
        (width, height): (u32, u32),
        timeline: Timeline,
        style: Style,
    ) -> Self {
        let look = Look::new((width, height), style);
        let cx = width as f32 / 2.0;
        let overlays = timeline
            .cues
            .iter()
            .map(|c| match c.cue {
                Cue::Title => Overlay::text(&script.title, &look.title, (cx, look.title_centre)),
                Cue::Caption(i) => {
                    let mut o = Overlay::text(&script.scenes[i].caption, &look.caption, (cx, 0.0));
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
        let last_photo = timeline
            .segments
            .iter()
            .rev()
            .find_map(|s| if let Visual::Photo(p) = s.visual { Some(p) } else { None })
            .unwrap_or(0);
        let outro = backdrop(&photos[last_photo], (width, height));
        Self {
            width,
            height,
            gradient: bottom_gradient(height),
            timeline,
            photos,
            outro,
            overlays,
            rise: look.rise,
            pool: Mutex::new(Vec::new()),
        }
    }

    pub fn timeline(&self) -> &Timeline {
        &self.timeline
    }

    /// Where the caption of scene `i` is drawn (columns, rows), for checks.
    pub fn caption_area(&self, scene: usize) -> Option<(std::ops::Range<i32>, std::ops::Range<i32>)> {
        let k = self.timeline.cues.iter().position(|c| c.cue == Cue::Caption(scene))?;
        Some((self.overlays[k].columns(), self.overlays[k].rows()))
    }

    fn buffer(&self) -> Vec<u8> {
        let len = (self.width * self.height * 3) as usize;
        self.pool.lock().expect("pool lock").pop().unwrap_or_else(|| vec![0u8; len])
    }

    fn recycle(&self, buf: Vec<u8>) {
        let mut pool = self.pool.lock().expect("pool lock");
        if pool.len() < 8 {
            pool.push(buf);
        }
    }

    /// Draws segment `k` at move progress `p` into `out` (packed RGB8, frame size).
    fn draw_segment(&self, k: usize, p: f64, out: &mut [u8]) {
        let seg = &self.timeline.segments[k];
        let src = match seg.visual {
            Visual::Photo(i) => &self.photos[i],
            Visual::Outro => &self.outro,
        };
        let (sw, sh) = src.dimensions();
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
        resize_rgb(src.as_raw(), (sw, sh), out, (self.width, self.height), Some(crop), FilterType::CatmullRom);
        if matches!(seg.visual, Visual::Photo(_)) {
            self.darken_rows(out, |y| self.gradient[y]);
        }
    }

    fn darken_rows(&self, frame: &mut [u8], factor: impl Fn(usize) -> u16) {
        let stride = self.width as usize * 3;
        for (y, row) in frame.chunks_exact_mut(stride).enumerate() {
            let f = factor(y) as u32;
            if f >= 256 {
                continue;
            }
            for v in row {
                *v = ((*v as u32 * f) >> 8) as u8;
            }
        }
    }

    /// Draws frame `index` as packed RGB8 into `out`.
    pub fn draw_rgb(&self, index: u32, out: &mut [u8]) {
        let t = self.timeline.time_of(index);
        let moment = self.timeline.at(t);
        self.draw_segment(moment.a.0, moment.a.1, out);
        if let Some((k, p, mix)) = moment.b {
            let mut other = self.buffer();
            self.draw_segment(k, p, &mut other);
            transition(self.timeline.pacing.transition, out, &other, mix, self.width as usize);
            self.recycle(other);
        }
        for (cue, overlay) in self.timeline.cues.iter().zip(&self.overlays) {
            let (opacity, entering) = cue.at(t);
            if opacity <= 0.0 {
                continue;
            }
            if cue.cue == Cue::Title {
                // Dim the photo behind the title so it reads on a bright picture.
                let f = (256.0 * (1.0 - 0.3 * opacity)).round() as u16;
                self.darken_rows(out, |_| f);
            }
            let dy = (entering * self.rise).round() as i32;
            overlay.blend(out, (self.width, self.height), opacity, dy);
        }
    }
}

impl FrameSource for Composer {
    fn frame_count(&self) -> u32 {
        self.timeline.frames
    }

    fn render(&self, index: u32, out: &mut Yuv420) {
        let mut rgb = self.buffer();
        self.draw_rgb(index, &mut rgb);
        out.fill_from_rgb(&rgb);
        self.recycle(rgb);
    }
}

/// Mixes `b` into `a` (both packed RGB8 frames) at `mix` (0 = all `a`, 1 = all `b`).
fn transition(kind: Transition, a: &mut [u8], b: &[u8], mix: f64, width: usize) {
    match kind {
        Transition::Crossfade => {
            let m = (mix * 256.0).round() as u32;
            for (x, y) in a.iter_mut().zip(b) {
                *x = ((*x as u32 * (256 - m) + *y as u32 * m + 128) >> 8) as u8;
            }
        }
        Transition::DipToBlack => {
            // Out to black over the first half, in from black over the second.
            let (k, use_b) = if mix < 0.5 { (1.0 - 2.0 * mix, false) } else { (2.0 * mix - 1.0, true) };
            let k = (k * k * 256.0).round() as u32;
            if use_b {
                for (x, y) in a.iter_mut().zip(b) {
                    *x = ((*y as u32 * k) >> 8) as u8;
                }
            } else {
                for x in a.iter_mut() {
                    *x = ((*x as u32 * k) >> 8) as u8;
                }
            }
        }
        Transition::Push => {
            // `b` slides in from the right, pushing `a` out to the left.
            let dx = ((mix * width as f64).round() as usize).min(width);
            let stride = width * 3;
            for (ra, rb) in a.chunks_exact_mut(stride).zip(b.chunks_exact(stride)) {
                ra.copy_within(dx * 3.., 0);
                ra[(width - dx) * 3..].copy_from_slice(&rb[..dx * 3]);
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
