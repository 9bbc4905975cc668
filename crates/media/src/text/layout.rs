//! Line breaking and glyph placement. Latin text breaks at spaces (and after hyphens); Chinese,
//! Japanese and Korean break between any two characters except before closing and after opening
//! punctuation (kinsoku). Lines are balanced: the same number of lines as a greedy fill, but as
//! even as possible, so a caption never ends on one orphaned word.

use ab_glyph::{Font, FontRef, GlyphId, ScaleFont};

use super::Fonts;

#[derive(Debug, Clone, Copy)]
pub struct PlacedGlyph {
    pub fallback: bool,
    pub id: GlyphId,
    /// Pen position relative to the line start.
    pub x: f32,
}

#[derive(Debug, Clone)]
pub struct Line {
    pub glyphs: Vec<PlacedGlyph>,
    pub width: f32,
}

/// One shaped character.
#[derive(Debug, Clone, Copy)]
struct Shaped {
    c: char,
    fallback: bool,
    id: GlyphId,
    advance: f32,
}

pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x11FF | 0x2E80..=0x2FDF | 0x3000..=0x30FF | 0x3100..=0x31FF | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF | 0xA960..=0xA97F | 0xAC00..=0xD7AF | 0xF900..=0xFAFF | 0xFE30..=0xFE4F
        | 0xFF00..=0xFFEF | 0x20000..=0x2FA1F)
}

/// Characters a line must not start with.
fn no_break_before(c: char) -> bool {
    "、。，．,.!?！？）)]」』】〉》〕｝：；:;ーぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ…‥%％”’".contains(c)
}

/// Characters a line must not end with.
fn no_break_after(c: char) -> bool {
    "（([「『【〈《〔｛“‘".contains(c)
}

pub fn scale_for(font: &FontRef<'static>, em_px: f32) -> f32 {
    // ab_glyph scales so that ascent - descent = px; we want the em square at `em_px`.
    let upem = font.units_per_em().unwrap_or(1000.0);
    em_px * font.height_unscaled() / upem
}

fn shape(fonts: &Fonts, text: &str, em_px: f32) -> Vec<Shaped> {
    let primary = fonts.primary.as_scaled(scale_for(&fonts.primary, em_px));
    let fallback = fonts.fallback.as_scaled(scale_for(&fonts.fallback, em_px));
    text.chars()
        .filter(|c| !c.is_control())
        .map(|c| {
            let c = if c.is_whitespace() { ' ' } else { c };
            let id = fonts.primary.glyph_id(c);
            if id.0 != 0 || c == ' ' {
                Shaped { c, fallback: false, id, advance: primary.h_advance(id) }
            } else {
                let id = fonts.fallback.glyph_id(c);
                Shaped { c, fallback: true, id, advance: fallback.h_advance(id) }
            }
        })
        .collect()
}

/// Whether a line may break between `a` and `b` (the space case is handled separately).
fn can_break_between(a: char, b: char) -> bool {
    if no_break_before(b) || no_break_after(a) {
        return false;
    }
    a == '-' && !b.is_whitespace() || is_cjk(a) || is_cjk(b)
}

/// Unbreakable runs: (start, end) indices into the shaped text, spaces excluded.
fn words(shaped: &[Shaped]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = None;
    for i in 0..shaped.len() {
        let c = shaped[i].c;
        if c == ' ' {
            if let Some(s) = start.take() {
                out.push((s, i));
            }
            continue;
        }
        match start {
            None => start = Some(i),
            Some(s) if can_break_between(shaped[i - 1].c, c) => {
                out.push((s, i));
                start = Some(i);
            }
            Some(_) => {}
        }
    }
    if let Some(s) = start {
        out.push((s, shaped.len()));
    }
    out
}

fn run_width(shaped: &[Shaped], (s, e): (usize, usize)) -> f32 {
    shaped[s..e].iter().map(|g| g.advance).sum()
}

/// Greedy fill: returns the runs of each line as (first word, last word + 1), splitting a word
/// that alone is wider than the line by characters.
fn fill(shaped: &[Shaped], words: &[(usize, usize)], max_width: f32, space: f32) -> Vec<Vec<(usize, usize)>> {
    let mut lines: Vec<Vec<(usize, usize)>> = Vec::new();
    let mut cur: Vec<(usize, usize)> = Vec::new();
    let mut cur_w = 0.0;
    for &w in words {
        let ww = run_width(shaped, w);
        // Is there a space between the previous word and this one?
        let gap = match cur.last() {
            Some(&(_, pe)) if pe < w.0 => space,
            _ => 0.0,
        };
        if !cur.is_empty() && cur_w + gap + ww <= max_width {
            cur.push(w);
            cur_w += gap + ww;
            continue;
        }
        if !cur.is_empty() {
            lines.push(std::mem::take(&mut cur));
        }
        if ww <= max_width {
            cur.push(w);
            cur_w = ww;
        } else {
            // Emergency: break the word by characters.
            let (mut s, mut acc) = (w.0, 0.0);
            for (i, g) in shaped.iter().enumerate().take(w.1).skip(w.0) {
                if acc + g.advance > max_width && i > s {
                    lines.push(vec![(s, i)]);
                    s = i;
                    acc = 0.0;
                }
                acc += g.advance;
            }
            cur.push((s, w.1));
            cur_w = acc;
        }
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    lines
}

fn place(fonts: &Fonts, shaped: &[Shaped], runs: &[(usize, usize)], em_px: f32, space: f32) -> Line {
    let primary = fonts.primary.as_scaled(scale_for(&fonts.primary, em_px));
    let mut glyphs = Vec::new();
    let mut x = 0.0;
    let mut prev: Option<(usize, usize)> = None;
    for &(s, e) in runs {
        if prev.is_some_and(|(_, pe)| pe < s) {
            x += space;
        }
        for i in s..e {
            let g = shaped[i];
            if i > s && !g.fallback && !shaped[i - 1].fallback {
                x += primary.kern(shaped[i - 1].id, g.id);
            }
            glyphs.push(PlacedGlyph { fallback: g.fallback, id: g.id, x });
            x += g.advance;
        }
        prev = Some((s, e));
    }
    Line { glyphs, width: x }
}

/// Lays `text` out at `em_px` within `max_width`, lines balanced.
pub fn layout(fonts: &Fonts, text: &str, em_px: f32, max_width: f32) -> Vec<Line> {
    let shaped = shape(fonts, text.trim(), em_px);
    if shaped.is_empty() {
        return Vec::new();
    }
    let space = fonts.primary.as_scaled(scale_for(&fonts.primary, em_px)).h_advance(fonts.primary.glyph_id(' '));
    let words = words(&shaped);
    let greedy = fill(&shaped, &words, max_width, space);
    let n = greedy.len();
    let mut best = greedy;
    if n > 1 {
        // The narrowest width that still needs no more lines than the greedy fill.
        let (mut lo, mut hi) = (max_width * 0.4, max_width);
        for _ in 0..14 {
            let mid = (lo + hi) / 2.0;
            let candidate = fill(&shaped, &words, mid, space);
            if candidate.len() <= n {
                hi = mid;
                best = candidate;
            } else {
                lo = mid;
            }
        }
    }
    prefer_phrase_breaks(&shaped, &mut best, max_width, space);
    best.iter().map(|runs| place(fonts, &shaped, runs, em_px, space)).collect()
}

/// Characters after which a line break reads naturally (end of a clause).
fn ends_phrase(c: char) -> bool {
    "、。，．！？：；,.!?:;）」』】".contains(c)
}

/// Text that breaks between characters (Chinese, Japanese) reads better when lines end at a
/// clause: move each line break to a clause end up to three characters away when both lines
/// still fit.
fn prefer_phrase_breaks(shaped: &[Shaped], lines: &mut [Vec<(usize, usize)>], max_width: f32, space: f32) {
    const REACH: usize = 3;
    let width = |runs: &[(usize, usize)]| {
        let gaps = runs.windows(2).filter(|w| w[0].1 < w[1].0).count() as f32;
        runs.iter().map(|&r| run_width(shaped, r)).sum::<f32>() + gaps * space
    };
    for i in 0..lines.len().saturating_sub(1) {
        let (head, tail) = lines.split_at_mut(i + 1);
        let (a, b) = (&mut head[i], &mut tail[0]);
        let last = |runs: &[(usize, usize)]| runs.last().map(|r| shaped[r.1 - 1].c);
        if last(a).is_some_and(ends_phrase) || last(a) == Some(' ') {
            continue;
        }
        // Candidates: pull 1..=REACH runs back from `a`, or push 1..=REACH runs up from `b`.
        let mut best: Option<(usize, bool)> = None;
        for k in 1..=REACH {
            if k < a.len() && ends_phrase(shaped[a[a.len() - k - 1].1 - 1].c) {
                let moved: Vec<_> = a[a.len() - k..].iter().copied().chain(b.iter().copied()).collect();
                if width(&moved) <= max_width {
                    best = Some((k, false));
                    break;
                }
            }
            if k < b.len() && ends_phrase(shaped[b[k - 1].1 - 1].c) {
                let moved: Vec<_> = a.iter().copied().chain(b[..k].iter().copied()).collect();
                if width(&moved) <= max_width {
                    best = Some((k, true));
                    break;
                }
            }
        }
        match best {
            Some((k, false)) => {
                let moved = a.split_off(a.len() - k);
                b.splice(0..0, moved);
            }
            Some((k, true)) => {
                a.extend(b.drain(..k));
            }
            None => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::fonts;

    #[test]
    fn latin_wraps_at_spaces_and_balances() {
        let f = fonts();
        let lines = layout(f, "Rich crema, bold aroma and a smooth finish in every single cup", 60.0, 900.0);
        assert!(lines.len() >= 2);
        for l in &lines {
            assert!(l.width <= 900.0 + 0.5);
        }
        let widths: Vec<f32> = lines.iter().map(|l| l.width).collect();
        let (min, max) = widths.iter().fold((f32::MAX, 0f32), |(a, b), w| (a.min(*w), b.max(*w)));
        assert!(min > max * 0.5, "balanced lines: {widths:?}");
    }

    #[test]
    fn cjk_breaks_between_characters_and_uses_the_fallback_font() {
        let f = fonts();
        let text = "每一杯都带来浓郁的香气和顺滑的口感，让你的早晨充满活力。";
        let lines = layout(f, text, 60.0, 600.0);
        assert!(lines.len() >= 2, "{}", lines.len());
        assert!(lines.iter().all(|l| l.width <= 600.5));
        assert!(lines.iter().flat_map(|l| &l.glyphs).all(|g| g.fallback));
        // No glyph is the missing-glyph box.
        assert!(lines.iter().flat_map(|l| &l.glyphs).all(|g| g.id.0 != 0));
        // Kinsoku: no line starts with a comma or a full stop.
        let shaped = shape(f, text, 60.0);
        let mut i = 0;
        for l in &lines {
            assert!(!"，。".contains(shaped[i].c), "line starts with punctuation");
            i += l.glyphs.len();
        }
        let ja = layout(f, "コーヒーの香りで、朝をもっと特別に。", 60.0, 2000.0);
        assert!(ja.iter().flat_map(|l| &l.glyphs).all(|g| g.id.0 != 0));
    }

    #[test]
    fn cjk_lines_prefer_to_end_at_a_clause() {
        let f = fonts();
        let text = "晨光咖啡：每一口都是新的开始";
        // Wide enough for 9 characters: a balanced split would cut "每一|口".
        let lines = layout(f, text, 100.0, 950.0);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].glyphs.len(), 5, "the first line ends after the colon");
    }

    #[test]
    fn accented_latin_comes_from_the_primary_font() {
        let f = fonts();
        let lines = layout(f, "Café crème für Genießer, ¡qué rico!", 60.0, 5000.0);
        assert_eq!(lines.len(), 1);
        assert!(lines[0].glyphs.iter().all(|g| !g.fallback && g.id.0 != 0));
    }

    #[test]
    fn an_overlong_word_is_split() {
        let f = fonts();
        let lines = layout(f, "Supercalifragilisticexpialidocious", 60.0, 300.0);
        assert!(lines.len() >= 3);
        assert!(lines.iter().all(|l| l.width <= 300.5));
    }
}
