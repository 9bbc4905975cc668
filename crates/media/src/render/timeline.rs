//! The video's timeline: which photo is on screen when, how it moves, where transitions fall and
//! when each text appears. Pure arithmetic on seconds, so it is tested without pixels.
//!
//! Layout for a duration D: an intro (the title over the first photo), the scenes in script order
//! sharing the middle equally, and an outro card (call to action over a blurred backdrop).
//! Consecutive scenes that show the same photo form one continuous shot (the caption changes,
//! the camera keeps moving) rather than a crossfade of a picture into itself.

use glimvid_domain::{Script, Style};

use crate::imaging::smoothstep;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    Crossfade,
    DipToBlack,
    /// The next shot slides in from the right, pushing this one out.
    Push,
    /// A soft-edged diagonal wipe from left to right.
    Wipe,
    /// This shot zooms in as it fades and the next one arrives zoomed in and settles.
    ZoomThrough,
}

/// Style-dependent pacing.
#[derive(Debug, Clone, Copy)]
pub struct Pacing {
    /// The transitions used in turn, one per shot change.
    pub transitions: &'static [Transition],
    pub transition_s: f64,
    /// Ken Burns zoom at the end of a move (1.0 = none).
    pub zoom: f64,
}

impl Pacing {
    pub fn for_style(style: Style) -> Self {
        match style {
            Style::Clean => Self { transitions: &[Transition::Crossfade], transition_s: 0.5, zoom: 1.12 },
            Style::Bold => {
                Self { transitions: &[Transition::Push, Transition::ZoomThrough], transition_s: 0.4, zoom: 1.16 }
            }
            Style::Elegant => {
                Self { transitions: &[Transition::DipToBlack, Transition::Wipe], transition_s: 0.8, zoom: 1.08 }
            }
        }
    }
}

/// A slow camera move over one photo: zoom and centre offset (in units of the available slack,
/// -1..1) at the start and the end.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Motion {
    pub zoom: (f64, f64),
    pub from: (f64, f64),
    pub to: (f64, f64),
}

impl Motion {
    /// Varied moves so consecutive shots do not all zoom the same way.
    fn nth(k: usize, zoom: f64) -> Self {
        match k % 4 {
            0 => Self { zoom: (1.0, zoom), from: (0.0, 0.15), to: (0.0, -0.15) },
            1 => Self { zoom: (zoom, 1.0), from: (-0.6, 0.0), to: (0.6, 0.0) },
            2 => Self { zoom: (1.0, zoom), from: (0.5, 0.1), to: (-0.4, -0.1) },
            _ => Self { zoom: (zoom, 1.02), from: (0.0, -0.5), to: (0.0, 0.5) },
        }
    }

    /// Zoom and centre offset at progress `p` (0..1), eased: mostly smoothstep, with a little
    /// linear motion left so the camera never comes to a dead stop inside a transition.
    pub fn at(&self, p: f64) -> (f64, f64, f64) {
        let e = 0.25 * p.clamp(0.0, 1.0) + 0.75 * smoothstep(p);
        let lerp = |a: f64, b: f64| a + (b - a) * e;
        (lerp(self.zoom.0, self.zoom.1), lerp(self.from.0, self.to.0), lerp(self.from.1, self.to.1))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visual {
    /// One of the job's photos (index into the images).
    Photo(usize),
    /// The outro's blurred backdrop.
    Outro,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    pub visual: Visual,
    /// Nominal span; each segment is visible half a transition beyond it on both sides.
    pub start: f64,
    pub end: f64,
    pub motion: Motion,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cue {
    Title,
    Caption(usize),
    /// A spoken phrase (index into [`Timeline::phrases`]) while it is spoken.
    Phrase(usize),
    OutroTitle,
    CallToAction,
}

/// A text on screen from `start` to `end`, fading in and out.
#[derive(Debug, Clone, PartialEq)]
pub struct TextCue {
    pub cue: Cue,
    pub start: f64,
    pub end: f64,
    pub fade_in: f64,
    pub fade_out: f64,
}

impl TextCue {
    /// Opacity at `t`, and how far (0..1) the entrance still has to go (for a small rise).
    pub fn at(&self, t: f64) -> (f32, f32) {
        if t < self.start || t > self.end {
            return (0.0, 1.0);
        }
        let i = if self.fade_in > 0.0 { smoothstep((t - self.start) / self.fade_in) } else { 1.0 };
        let o = if self.fade_out > 0.0 { smoothstep((self.end - t) / self.fade_out) } else { 1.0 };
        ((i * o) as f32, (1.0 - i) as f32)
    }
}

/// What to draw at one instant.
#[derive(Debug, Clone, PartialEq)]
pub struct Moment {
    /// The segment on screen and its move progress.
    pub a: (usize, f64),
    /// During a transition: the incoming segment, its progress and the mix (0 = all `a`).
    pub b: Option<(usize, f64, f64)>,
}

#[derive(Debug, Clone)]
pub struct Timeline {
    pub fps: u32,
    pub frames: u32,
    pub duration: f64,
    pub pacing: Pacing,
    pub segments: Vec<Segment>,
    pub cues: Vec<TextCue>,
    /// When the intro (title) ends.
    pub intro_end: f64,
    /// Narrated videos: when each scene's spoken line starts, in video seconds.
    pub speech_at: Vec<f64>,
    /// Narrated videos with burned captions: the texts of the [`Cue::Phrase`] cues.
    pub phrases: Vec<String>,
}

const TEXT_FADE: f64 = 0.25;

/// A stretch of one spoken line, as the speech engine timed it (seconds from the line's start).
#[derive(Debug, Clone, PartialEq)]
pub struct Phrase {
    pub start: f64,
    pub end: f64,
    pub text: String,
}

/// One scene's spoken line: how long it lasts and its phrases.
#[derive(Debug, Clone, PartialEq)]
pub struct SpokenLine {
    pub seconds: f64,
    pub phrases: Vec<Phrase>,
}

/// What the narrator says over the scenes: one line per scene (an empty line is silent).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Narration {
    pub lines: Vec<SpokenLine>,
    /// Burn the phrases into the picture as they are spoken.
    pub burn_captions: bool,
}

/// Silence before a scene's line once its shot has settled, and after it before the next one.
pub const SPEECH_LEAD_S: f64 = 0.15;
pub const SPEECH_PAUSE_S: f64 = 0.35;
/// When the first line starts (over the intro).
pub const SPEECH_START_S: f64 = 0.3;
/// Pauses and transitions of a narrated video whose lines barely fit.
pub const TIGHT_PAUSE_S: f64 = 0.2;
const TIGHT_TRANSITION_S: f64 = 0.25;
/// The shortest outro a narrated video squeezes to before it grows longer.
const MIN_OUTRO_S: f64 = 1.2;
/// A phrase stays on screen at least this long (a short word would flash by).
const MIN_PHRASE_S: f64 = 0.6;

/// How many seconds of speech `scenes` scenes can hold in a video of `duration_s` without it
/// growing longer (the narrated layout at its tightest): what a script writer budgets for.
pub fn speech_capacity(duration_s: u32, scenes: usize, style: Style) -> f64 {
    let d = duration_s as f64;
    let (intro, _) = default_intro_outro(d);
    let t = Pacing::for_style(style).transition_s.min(TIGHT_TRANSITION_S);
    let first = SPEECH_START_S + TIGHT_PAUSE_S + t / 2.0 - intro;
    let others = scenes.saturating_sub(1) as f64 * (SPEECH_LEAD_S + TIGHT_PAUSE_S + t);
    (d - intro - MIN_OUTRO_S - first - others).max(0.0)
}

/// The intro and outro of a video of `duration` seconds.
fn default_intro_outro(duration: f64) -> (f64, f64) {
    ((duration * 0.16).clamp(1.2, 2.5), (duration * 0.16).clamp(1.4, 3.0))
}

impl Timeline {
    pub fn new(script: &Script, duration_s: u32, fps: u32, style: Style) -> Self {
        let duration = duration_s as f64;
        let (intro, outro) = default_intro_outro(duration);
        let n = script.scenes.len().max(1);
        let scene_len = (duration - intro - outro).max(0.3 * n as f64) / n as f64;
        let transition = Pacing::for_style(style).transition_s;
        let mut tl = Self::build(script, &vec![scene_len; n], intro, outro, duration, fps, style, transition);
        tl.frames = duration_s * fps;
        tl
    }

    /// The timeline of a narrated video: each scene lasts at least its spoken line plus a lead
    /// and a pause (speech is never cut or sped up); the time left to `duration_s` goes to the
    /// pauses, equally. When the lines need more than `duration_s`, the intro and outro shrink
    /// first and the video grows only beyond that.
    pub fn narrated(script: &Script, narration: &Narration, duration_s: u32, fps: u32, style: Style) -> Self {
        let d = duration_s as f64;
        let n = script.scenes.len().max(1);
        let (intro, default_outro) = default_intro_outro(d);
        let seconds = |i: usize| narration.lines.get(i).map_or(0.0, |l| l.seconds.max(0.0));
        // What each scene needs for its line with transitions of `t` and pauses of `pause`. The
        // first line starts over the intro (the title shows on the same photo).
        let needs = |t: f64, pause: f64| -> Vec<f64> {
            (0..n)
                .map(|i| match (i, seconds(i)) {
                    (0, s) => (SPEECH_START_S + s + pause + t / 2.0 - intro).max(0.3),
                    (_, s) if s > 0.0 => s + SPEECH_LEAD_S + pause + t,
                    _ => 0.3 + t,
                })
                .collect()
        };
        let mut transition = Pacing::for_style(style).transition_s;
        let mut need = needs(transition, SPEECH_PAUSE_S);
        if need.iter().sum::<f64>() > d - intro - default_outro {
            // Tight: quicker transitions and shorter pauses before anything grows.
            transition = transition.min(TIGHT_TRANSITION_S);
            need = needs(transition, TIGHT_PAUSE_S);
        }
        let needed: f64 = need.iter().sum();
        let outro = (d - intro - needed).clamp(MIN_OUTRO_S, default_outro);
        // Whole frames, so that the audio can be cut to the same length exactly.
        let frames = ((d.max(intro + outro + needed)) * fps as f64 - 1e-6).ceil().max(1.0) as u32;
        let duration = frames as f64 / fps as f64;
        let extra = ((duration - intro - outro - needed) / n as f64).max(0.0);
        let lens: Vec<f64> = need.iter().map(|l| l + extra).collect();
        let mut tl = Self::build(script, &lens, intro, outro, duration, fps, style, transition);
        tl.frames = frames;

        // Later lines start once their shot has settled, as the scene's caption would.
        tl.speech_at = (0..n)
            .map(|i| match i {
                0 => SPEECH_START_S,
                _ => tl.cues.iter().find(|c| c.cue == Cue::Caption(i)).map_or(0.0, |c| c.start + SPEECH_LEAD_S),
            })
            .collect();
        let scene_ends: Vec<f64> =
            (0..n).map(|i| tl.cues.iter().find(|c| c.cue == Cue::Caption(i)).map_or(duration, |c| c.end)).collect();
        tl.cues.retain(|c| !matches!(c.cue, Cue::Caption(_)));
        if narration.burn_captions {
            let mut phrase_cues = Vec::new();
            for (i, line) in narration.lines.iter().enumerate().take(n) {
                let at = tl.speech_at[i];
                for (k, p) in line.phrases.iter().enumerate() {
                    let start = at + p.start.max(0.0);
                    let next = line.phrases.get(k + 1).map_or(scene_ends[i], |q| at + q.start);
                    let end = (at + p.end).max(start + MIN_PHRASE_S).min(next).min(scene_ends[i]).max(start + 0.05);
                    let fade = 0.08_f64.min((end - start) / 4.0);
                    tl.phrases.push(p.text.clone());
                    phrase_cues.push(TextCue {
                        cue: Cue::Phrase(tl.phrases.len() - 1),
                        start,
                        end,
                        fade_in: fade,
                        fade_out: fade,
                    });
                }
            }
            let at = tl.cues.iter().position(|c| c.cue == Cue::OutroTitle).unwrap_or(tl.cues.len());
            tl.cues.splice(at..at, phrase_cues);
        }
        tl
    }

    /// Removes the scenes' captions (the `captions: none` option); titles and the card stay.
    pub fn without_captions(mut self) -> Self {
        self.cues.retain(|c| !matches!(c.cue, Cue::Caption(_) | Cue::Phrase(_)));
        self
    }

    #[allow(clippy::too_many_arguments)]
    fn build(
        script: &Script,
        scene_lens: &[f64],
        intro: f64,
        outro: f64,
        duration: f64,
        fps: u32,
        style: Style,
        transition: f64,
    ) -> Self {
        let mut pacing = Pacing::for_style(style);
        let shortest = scene_lens.iter().copied().fold(f64::INFINITY, f64::min);
        // Short videos with many scenes get quicker transitions, so captions keep screen time.
        pacing.transition_s = transition.min(shortest * 0.4);
        let t = pacing.transition_s;
        let mut starts = Vec::with_capacity(scene_lens.len() + 1);
        let mut at = intro;
        for l in scene_lens {
            starts.push(at);
            at += l;
        }
        starts.push(at);
        let scene_start = |i: usize| starts[i.min(starts.len() - 1)];

        // Shots: runs of scenes on the same photo; the first shot also carries the intro.
        let mut segments: Vec<Segment> = Vec::new();
        for (i, scene) in script.scenes.iter().enumerate() {
            let photo = scene.photo_index as usize;
            let end = scene_start(i + 1);
            match segments.last_mut() {
                Some(last) if last.visual == Visual::Photo(photo) => last.end = end,
                _ => segments.push(Segment {
                    visual: Visual::Photo(photo),
                    start: if i == 0 { 0.0 } else { scene_start(i) },
                    end,
                    motion: Motion::nth(segments.len(), pacing.zoom),
                }),
            }
        }
        let outro_start = duration - outro;
        if let Some(last) = segments.last_mut() {
            last.end = outro_start;
        }
        segments.push(Segment {
            visual: Visual::Outro,
            start: outro_start,
            end: duration,
            motion: Motion { zoom: (1.0, 1.06), from: (0.0, 0.0), to: (0.0, 0.0) },
        });

        let mut cues = vec![TextCue { cue: Cue::Title, start: 0.1, end: intro, fade_in: 0.4, fade_out: 0.35 }];
        for i in 0..script.scenes.len() {
            // Captions wait for the transition into their scene to settle and leave before the
            // next one starts.
            let changes_shot = |at: f64| segments.iter().any(|s| (s.start - at).abs() < 1e-9);
            let start = scene_start(i) + if i > 0 && changes_shot(scene_start(i)) { t * 0.5 } else { 0.05 };
            let next = scene_start(i + 1);
            let end = next - if i + 1 == script.scenes.len() || changes_shot(next) { t * 0.5 } else { 0.05 };
            let fade = TEXT_FADE.min((end - start) / 3.0);
            cues.push(TextCue { cue: Cue::Caption(i), start, end, fade_in: fade, fade_out: fade });
        }
        let card = outro_start + t * 0.5;
        cues.push(TextCue { cue: Cue::OutroTitle, start: card, end: duration + 1.0, fade_in: 0.4, fade_out: 0.0 });
        cues.push(TextCue {
            cue: Cue::CallToAction,
            start: card + 0.2,
            end: duration + 1.0,
            fade_in: 0.4,
            fade_out: 0.0,
        });

        Self {
            fps,
            frames: (duration * fps as f64).round() as u32,
            duration,
            pacing,
            segments,
            cues,
            intro_end: intro,
            speech_at: Vec::new(),
            phrases: Vec::new(),
        }
    }

    /// The transition that brings segment `k` (k >= 1) on screen.
    pub fn transition_into(&self, k: usize) -> Transition {
        let list = self.pacing.transitions;
        list[k.saturating_sub(1) % list.len()]
    }

    pub fn time_of(&self, frame: u32) -> f64 {
        frame as f64 / self.fps as f64
    }

    /// The span a segment is visible (its nominal span plus half a transition each side).
    pub fn visible(&self, k: usize) -> (f64, f64) {
        let half = self.pacing.transition_s / 2.0;
        let s = &self.segments[k];
        let start = if k == 0 { 0.0 } else { s.start - half };
        let end = if k + 1 == self.segments.len() { self.duration } else { s.end + half };
        (start, end)
    }

    fn progress(&self, k: usize, t: f64) -> f64 {
        let (s, e) = self.visible(k);
        ((t - s) / (e - s)).clamp(0.0, 1.0)
    }

    pub fn at(&self, t: f64) -> Moment {
        let half = self.pacing.transition_s / 2.0;
        let k = self.segments.iter().rposition(|s| s.start <= t).unwrap_or(0);
        // Entering segment k (just after its start) or leaving it (just before its end)?
        if k > 0 && t < self.segments[k].start + half {
            let b = self.segments[k].start;
            let mix = smoothstep((t - (b - half)) / (2.0 * half));
            return Moment { a: (k - 1, self.progress(k - 1, t)), b: Some((k, self.progress(k, t), mix)) };
        }
        if k + 1 < self.segments.len() && t >= self.segments[k].end - half {
            let b = self.segments[k].end;
            let mix = smoothstep((t - (b - half)) / (2.0 * half));
            return Moment { a: (k, self.progress(k, t)), b: Some((k + 1, self.progress(k + 1, t), mix)) };
        }
        Moment { a: (k, self.progress(k, t)), b: None }
    }
}

#[cfg(test)]
mod tests {
    use glimvid_domain::Scene;

    use super::*;

    fn script(photos: &[u32]) -> Script {
        Script {
            title: "Title".into(),
            hook: "Hook".into(),
            scenes: photos
                .iter()
                .enumerate()
                .map(|(i, &p)| Scene { caption: format!("caption {i}"), voiceover: String::new(), photo_index: p })
                .collect(),
            call_to_action: "Buy now".into(),
        }
    }

    #[test]
    fn segments_cover_the_duration_in_order() {
        for d in [5u32, 15, 60] {
            let tl = Timeline::new(&script(&[0, 1, 0, 1]), d, 30, Style::Clean);
            assert_eq!(tl.frames, d * 30);
            assert_eq!(tl.segments.len(), 5);
            assert_eq!(tl.segments[0].start, 0.0);
            assert_eq!(tl.segments.last().unwrap().end, d as f64);
            for w in tl.segments.windows(2) {
                assert!((w[0].end - w[1].start).abs() < 1e-9);
                assert!(w[0].end > w[0].start);
            }
            assert_eq!(tl.segments.last().unwrap().visual, Visual::Outro);
        }
    }

    #[test]
    fn same_photo_scenes_are_one_shot() {
        let tl = Timeline::new(&script(&[0, 0, 1]), 15, 30, Style::Clean);
        assert_eq!(
            tl.segments.iter().map(|s| s.visual).collect::<Vec<_>>(),
            [Visual::Photo(0), Visual::Photo(1), Visual::Outro]
        );
        assert_eq!(tl.cues.iter().filter(|c| matches!(c.cue, Cue::Caption(_))).count(), 3);
    }

    #[test]
    fn transitions_mix_smoothly_across_boundaries() {
        let tl = Timeline::new(&script(&[0, 1, 2]), 15, 30, Style::Clean);
        let b = tl.segments[1].start;
        assert_eq!(tl.at(b - 0.3).b, None);
        let m = tl.at(b).b.unwrap();
        assert_eq!(m.0, 1);
        assert!((m.2 - 0.5).abs() < 1e-9);
        let before = tl.at(b - 0.2).b.unwrap().2;
        let after = tl.at(b + 0.2).b.unwrap().2;
        assert!(before < 0.5 && after > 0.5);
        // Progress is continuous through the boundary for the outgoing shot.
        let p1 = tl.at(b - 0.26).a.1;
        let p2 = tl.at(b - 0.24).a.1;
        assert!((p2 - p1).abs() < 0.01);
    }

    #[test]
    fn captions_and_titles_do_not_overlap() {
        let tl = Timeline::new(&script(&[0, 1, 0]), 5, 30, Style::Elegant);
        let spans: Vec<(f64, f64)> =
            tl.cues.iter().filter(|c| !matches!(c.cue, Cue::OutroTitle)).map(|c| (c.start, c.end)).collect();
        for w in spans.windows(2) {
            assert!(w[0].1 <= w[1].0 + 1e-9, "{spans:?}");
        }
        for c in &tl.cues {
            assert!(c.end > c.start, "{c:?}");
        }
    }

    #[test]
    fn motion_is_eased_and_monotonic() {
        let m = Motion::nth(0, 1.12);
        let mut last = 0.0;
        for i in 0..=100 {
            let (z, _, _) = m.at(i as f64 / 100.0);
            assert!(z >= last - 1e-12);
            last = z;
        }
        assert!((m.at(0.0).0 - 1.0).abs() < 1e-12 && (m.at(1.0).0 - 1.12).abs() < 1e-12);
        let start_speed = m.at(0.01).0 - m.at(0.0).0;
        let mid_speed = m.at(0.51).0 - m.at(0.5).0;
        assert!(start_speed < mid_speed / 2.0);
    }

    #[test]
    fn transitions_are_chosen_by_style() {
        let kinds = |style| {
            let tl = Timeline::new(&script(&[0, 1, 2, 3]), 15, 30, style);
            (1..tl.segments.len()).map(|k| tl.transition_into(k)).collect::<Vec<_>>()
        };
        use Transition::*;
        assert_eq!(kinds(Style::Clean), vec![Crossfade; 4]);
        assert_eq!(kinds(Style::Bold), vec![Push, ZoomThrough, Push, ZoomThrough]);
        assert_eq!(kinds(Style::Elegant), vec![DipToBlack, Wipe, DipToBlack, Wipe]);
    }

    fn narration(seconds: &[f64]) -> Narration {
        Narration {
            lines: seconds
                .iter()
                .map(|&s| SpokenLine {
                    seconds: s,
                    phrases: vec![
                        Phrase { start: 0.0, end: s * 0.45, text: "first half".into() },
                        Phrase { start: s * 0.5, end: s, text: "second half".into() },
                    ],
                })
                .collect(),
            burn_captions: true,
        }
    }

    #[test]
    fn narrated_scenes_hold_their_line_and_pauses_take_the_rest() {
        for (d, lines) in
            [(15u32, vec![2.0, 2.5, 1.8, 2.2]), (60, vec![6.0, 7.5, 5.0, 8.0, 6.5, 7.0]), (6, vec![0.9, 1.0, 0.8])]
        {
            let n = lines.len();
            let sc = script(&(0..n as u32).collect::<Vec<_>>());
            let tl = Timeline::narrated(&sc, &narration(&lines), d, 30, Style::Clean);
            assert_eq!(tl.frames, d * 30, "fits in {d} s: the video keeps its length");
            assert!((tl.duration - d as f64).abs() < 1e-9);
            assert_eq!(tl.speech_at.len(), n);
            let t = tl.pacing.transition_s;
            for (i, &secs) in lines.iter().enumerate() {
                let at = tl.speech_at[i];
                let next_shot = tl.segments[i + 1].start;
                assert!(
                    at >= if i == 0 { SPEECH_START_S } else { tl.segments[i].start + t / 2.0 },
                    "{d} s, scene {i} starts after its shot settles"
                );
                assert!(
                    at + secs + TIGHT_PAUSE_S <= next_shot - t / 2.0 + 1e-9,
                    "{d} s, scene {i}: the line ends before the next shot"
                );
            }
            assert!(!tl.cues.iter().any(|c| matches!(c.cue, Cue::Caption(_))));
            assert_eq!(tl.phrases.len(), 2 * n);
        }
    }

    #[test]
    fn phrases_appear_when_they_are_spoken() {
        let lines = [2.0, 3.0, 2.4];
        let tl = Timeline::narrated(&script(&[0, 1, 2]), &narration(&lines), 15, 30, Style::Bold);
        let phrase_cues: Vec<&TextCue> = tl.cues.iter().filter(|c| matches!(c.cue, Cue::Phrase(_))).collect();
        assert_eq!(phrase_cues.len(), 6);
        for (i, &secs) in lines.iter().enumerate() {
            let first = phrase_cues[2 * i];
            let second = phrase_cues[2 * i + 1];
            assert!((first.start - tl.speech_at[i]).abs() < 1e-9);
            assert!((second.start - (tl.speech_at[i] + secs * 0.5)).abs() < 1e-9);
            assert!(first.end <= second.start + 1e-9, "phrases of a line do not overlap");
            assert!(second.end >= tl.speech_at[i] + secs - 1e-9, "the last phrase stays until the line ends");
        }
        for w in phrase_cues.windows(2) {
            assert!(w[0].end <= w[1].start + 1e-9);
        }
        let silent = Timeline::narrated(
            &script(&[0, 1, 2]),
            &Narration { burn_captions: false, ..narration(&lines) },
            15,
            30,
            Style::Bold,
        );
        assert!(silent.phrases.is_empty() && !silent.cues.iter().any(|c| matches!(c.cue, Cue::Phrase(_))));
        assert_eq!(silent.speech_at, tl.speech_at, "captions off change nothing of the timing");
    }

    #[test]
    fn a_long_narration_squeezes_the_cards_then_lengthens_the_video_without_cutting_speech() {
        let lines = [3.0, 3.0, 3.0];
        let tl = Timeline::narrated(&script(&[0, 1, 2]), &narration(&lines), 10, 30, Style::Clean);
        assert!(tl.duration - tl.segments.last().unwrap().start >= MIN_OUTRO_S - 1e-9);
        assert!(tl.duration > 10.0);
        assert_eq!(tl.frames as f64, (tl.duration * 30.0).round());
        for (i, &secs) in lines.iter().enumerate() {
            // One photo a scene: scene i ends where the next shot (or the outro) begins.
            let end = tl.segments[i + 1].start;
            assert!(tl.speech_at[i] + secs <= end + 1e-9, "scene {i}: nothing cut");
        }
        let off = Timeline::narrated(&script(&[0, 1, 2]), &narration(&lines), 10, 30, Style::Clean).without_captions();
        assert!(!off.cues.iter().any(|c| matches!(c.cue, Cue::Phrase(_) | Cue::Caption(_))));
        assert!(off.cues.iter().any(|c| c.cue == Cue::CallToAction));
    }
}
