//! The speech budget: a scene's voice-over must be said within the scene, so each line is
//! measured in seconds of speech (per language) and shortened until it fits what the narrated
//! timeline can hold. The writer keeps lines short; the renderer speeds a line up only a little, and
//! only when a user's edit or a misestimate would run the video past its duration.

use glimvid_domain::{Language, Style};

use super::fit::{fit, is_cjk, tidy_end};
use crate::render::speech_capacity;

/// The share of the timeline's capacity the writer plans for (estimates are not exact).
const PLAN_SHARE: f64 = 0.9;

/// About how long the narrator takes to say `text`: letters and digits at the language's pace,
/// CJK characters at theirs (a number read aloud costs more than its digits), plus a breath at
/// each sentence or clause break.
pub fn speaking_seconds(text: &str, lang: Language) -> f64 {
    // Latin letters per second, and CJK characters per second, as the local narrator reads the
    // writer's lines (calibrated against it: tests/speech_pace.rs measures the two side by side).
    let (latin, cjk) = match lang {
        Language::En => (15.2, 5.0),
        Language::Es => (13.6, 5.0),
        Language::Fr => (16.0, 5.0),
        // No narrator speaks German yet: the English pace of an earlier calibration.
        Language::De => (12.5, 4.4),
        Language::Zh => (15.2, 5.05),
        Language::Ja => (13.0, 7.0),
    };
    text.chars()
        .map(|c| match c {
            c if is_cjk(c) => 1.0 / cjk,
            c if c.is_ascii_digit() => 2.5 / latin,
            c if c.is_alphabetic() => 1.0 / latin,
            '.' | '!' | '?' | '。' | '！' | '？' => 0.25,
            ',' | ';' | ':' | '，' | '；' | '：' | '、' => 0.12,
            _ => 0.0,
        })
        .sum()
}

/// Seconds of speech each of `scenes` scenes may plan for in a video of `duration_s`.
pub(super) fn scene_budget(duration_s: u32, scenes: usize, style: Style) -> f64 {
    speech_capacity(duration_s, scenes, style) * PLAN_SHARE / scenes.max(1) as f64
}

/// The line to say within `budget` seconds: the line, else its first sentence, else its first
/// clause, else the scene's caption as a sentence, else as much of the caption as fits (cut at a
/// word). Nothing is ever cut mid-word.
pub(super) fn fit_spoken(line: &str, caption: &str, budget: f64, lang: Language) -> String {
    let fits = |s: &str| speaking_seconds(s, lang) <= budget;
    let line = line.trim();
    if fits(line) {
        return line.to_owned();
    }
    let cjk = lang == Language::Zh || lang == Language::Ja;
    let full_stop = if cjk { "。" } else { "." };
    // A line that names the caption (the scene's feature) keeps it rather than its lead-in.
    let names_caption = !caption.trim().is_empty() && line.to_lowercase().contains(&caption.trim().to_lowercase());
    let first_clause = || {
        first_piece(line, &[',', ';', ':', '，', '；', '：', '—'])
            .map(|s| format!("{}{full_stop}", tidy_end(s)))
            .filter(|c| !names_caption || c.to_lowercase().contains(&caption.trim().to_lowercase()))
    };
    let candidates = [
        first_piece(line, &['.', '!', '?', '。', '！', '？']).map(str::to_owned),
        first_clause(),
        Some(format!("{}{full_stop}", caption.trim().trim_end_matches(['.', '。']))),
    ];
    for c in candidates.into_iter().flatten() {
        if !c.trim().is_empty() && fits(&c) {
            return c;
        }
    }
    // As much of the caption as fits, cut at a word (CJK: at a character).
    let caption = caption.trim();
    let mut best = String::new();
    for (i, ch) in caption.char_indices() {
        let end = i + ch.len_utf8();
        let boundary = cjk || is_cjk(ch) || caption[end..].starts_with(' ') || end == caption.len();
        if boundary && fits(&caption[..end]) {
            best = caption[..end].to_owned();
        }
    }
    if best.is_empty() { first_word(caption, cjk) } else { tidy_end(&best) }
}

/// The caption's first word (CJK: its first two characters): when not even that fits, the
/// narrator says it a little faster rather than a fragment of a word.
fn first_word(caption: &str, cjk: bool) -> String {
    let word = if cjk || caption.chars().next().is_some_and(is_cjk) {
        caption.chars().take(2).collect::<String>()
    } else {
        caption.split_whitespace().next().unwrap_or_default().to_owned()
    };
    if word.is_empty() { fit(caption, 1, |_| 1) } else { tidy_end(&word) }
}

/// The text up to and including the first of `marks` (when something follows it).
fn first_piece<'a>(s: &'a str, marks: &[char]) -> Option<&'a str> {
    let (i, c) = s.char_indices().find(|(_, c)| marks.contains(c))?;
    let end = i + c.len_utf8();
    (end < s.len()).then(|| s[..end].trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn speaking_time_grows_with_the_text_and_counts_cjk_slower() {
        let short = speaking_seconds("Dishwasher safe.", Language::En);
        let long =
            speaking_seconds("This is the handmade ceramic coffee mug, designed for everyday use.", Language::En);
        assert!(short > 0.8 && short < 1.8, "{short}");
        assert!(long > 3.5 && long < 6.0, "{long}");
        let zh = speaking_seconds("手工陶瓷咖啡杯，用心打造。", Language::Zh);
        assert!(zh > 2.0 && zh < 3.5, "{zh}");
    }

    #[test]
    fn a_long_line_is_shortened_at_sentence_clause_or_caption_never_mid_word() {
        let line = "This is the handmade ceramic coffee mug, designed for everyday use. Order now.";
        assert_eq!(fit_spoken(line, "Mug", 10.0, Language::En), line);
        assert_eq!(
            fit_spoken(line, "Mug", 4.2, Language::En),
            "This is the handmade ceramic coffee mug, designed for everyday use."
        );
        assert_eq!(fit_spoken(line, "Mug", 2.6, Language::En), "This is the handmade ceramic coffee mug.");
        assert_eq!(fit_spoken(line, "Handmade mug", 1.5, Language::En), "Handmade mug.");
        assert_eq!(fit_spoken(line, "Handmade mug", 0.2, Language::En), "Handmade", "a whole word, never a letter");
        let cut = fit_spoken(line, "Handmade ceramic coffee mug with a handle", 1.2, Language::En);
        assert!("Handmade ceramic coffee mug with a handle".starts_with(&cut) && !cut.is_empty(), "{cut}");
        assert!(cut.split(' ').all(|w| ["Handmade", "ceramic", "coffee", "mug", "with", "a", "handle"].contains(&w)));
        let zh = fit_spoken("手工陶瓷咖啡杯，用心打造，简单好用。", "手工陶瓷咖啡杯", 2.0, Language::Zh);
        assert_eq!(zh, "手工陶瓷咖啡杯。");
    }

    #[test]
    fn budgets_leave_room_for_a_sentence_a_scene() {
        let b15 = scene_budget(15, 4, Style::Clean);
        assert!(b15 > 2.0 && b15 < 3.5, "{b15}");
        let b6 = scene_budget(6, 3, Style::Clean);
        assert!(b6 > 0.6 && b6 < 1.2, "{b6}");
        assert!(scene_budget(60, 6, Style::Clean) > 6.0);
    }
}
