//! Text helpers: display width, fitting to a limit, capitals, template filling.

use super::*;

/// Han, kana and Hangul: the scripts written without spaces between words.
pub(super) fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF | 0x31F0..=0x31FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF
        | 0xAC00..=0xD7A3 | 0x20000..=0x3FFFD)
}

/// Characters drawn about twice as wide as a Latin letter.
pub(super) fn is_wide(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x115F | 0x2E80..=0x303E | 0x3041..=0x33FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF
        | 0xA000..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6 | 0x1F300..=0x1F64F | 0x1F900..=0x1F9FF | 0x20000..=0x3FFFD)
}

pub(super) fn display_units(c: char) -> usize {
    if is_wide(c) { WIDE_UNITS } else { NARROW_UNITS }
}

pub(super) fn one_per_char(_: char) -> usize {
    1
}

pub(super) fn units(s: &str, per_char: fn(char) -> usize) -> usize {
    s.chars().map(per_char).sum()
}

/// Part of a Latin word: a place where a cut would split the word.
pub(super) fn is_word_char(c: char) -> bool {
    (c.is_alphanumeric() || c == '\'' || c == '’') && !is_wide(c)
}

/// Shortens `text` to at most `max` units on a char boundary, preferring a word boundary and
/// dropping dangling punctuation and little words ("with", "and", ...). Never returns an empty
/// string for a non-blank input.
pub(super) fn fit(text: &str, max: usize, per_char: fn(char) -> usize) -> String {
    let text = text.trim();
    if units(text, per_char) <= max {
        return text.to_owned();
    }
    let mut used = 0;
    let mut end = 0;
    for (i, c) in text.char_indices() {
        used += per_char(c);
        if used > max {
            break;
        }
        end = i + c.len_utf8();
    }
    if end == 0 {
        // Not even one character fits: keep the first one rather than return nothing.
        return text.chars().next().map(String::from).unwrap_or_default();
    }
    let hard = &text[..end];
    let splits_word =
        text[end..].chars().next().is_some_and(is_word_char) && hard.chars().next_back().is_some_and(is_word_char);
    let mut cut = hard;
    if splits_word && let Some((pos, c)) = hard.char_indices().rev().find(|&(_, c)| !is_word_char(c)) {
        let at_boundary = if is_wide(c) { &hard[..pos + c.len_utf8()] } else { &hard[..pos] };
        // Back up to the boundary unless that throws away most of the text (one long word).
        if units(at_boundary, per_char) * 2 >= units(hard, per_char) {
            cut = at_boundary;
        }
    }
    let tidy = tidy_end(cut);
    if !tidy.is_empty() {
        return tidy;
    }
    let hard = hard.trim_end();
    if hard.is_empty() { text.chars().next().map(String::from).unwrap_or_default() } else { hard.to_owned() }
}

/// Trims what reads badly at the end of a cut: separators, and a trailing "and", "with" ...
pub(super) fn tidy_end(s: &str) -> String {
    const TRAIL: &[char] =
        &[',', ';', ':', '-', '–', '—', '/', '&', '+', '(', '[', '·', '、', '，', '；', '：', '（', '「', '『'];
    const STOP: [&str; 33] = [
        "and", "with", "for", "of", "the", "a", "an", "in", "on", "to", "or", "by", "from", "at", "y", "con", "de",
        "del", "la", "el", "et", "avec", "du", "des", "le", "les", "und", "mit", "für", "der", "die", "das", "von",
    ];
    let mut s = s.trim_end_matches(|c: char| c.is_whitespace() || TRAIL.contains(&c));
    while let Some(pos) = s.rfind(char::is_whitespace) {
        let last = s[pos..].trim();
        if !STOP.contains(&last.to_lowercase().as_str()) {
            break;
        }
        s = s[..pos].trim_end_matches(|c: char| c.is_whitespace() || TRAIL.contains(&c));
    }
    s.to_owned()
}

/// Upper-cases the first letter, unless the first word already has capitals ("iPhone").
pub(super) fn capitalize(s: &str) -> String {
    let first_word = s.split_whitespace().next().unwrap_or("");
    if first_word.chars().any(char::is_uppercase) {
        return s.to_owned();
    }
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The form used inside an English sentence: "Handmade ceramic mug" → "handmade ceramic mug",
/// but only for common words, so that brands ("Nike", "Glimvid") keep their capital.
pub(super) fn mid_sentence(s: &str, lang: Language) -> String {
    if lang != Language::En {
        return s.to_owned();
    }
    let first_word = s.split_whitespace().next().unwrap_or("");
    let mut chars = first_word.chars();
    let sentence_case = chars.next().is_some_and(char::is_uppercase) && chars.all(|c| !c.is_uppercase());
    let bare = first_word.trim_end_matches(|c: char| !c.is_alphanumeric()).to_lowercase();
    if !sentence_case || !COMMON_WORDS.contains(&bare.as_str()) {
        return s.to_owned();
    }
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Common English words that start a product or feature phrase only because they start the
/// sentence. Anything else keeps the capital the seller gave it.
#[rustfmt::skip]
pub(super) const COMMON_WORDS: &[&str] = &[
    "handmade", "hand-made", "handcrafted", "hand-crafted", "handwoven", "hand-poured", "artisan", "ceramic",
    "porcelain", "stoneware", "wooden", "wood", "bamboo", "oak", "walnut", "leather", "vegan", "cotton", "linen",
    "wool", "merino", "cashmere", "silk", "organic", "natural", "pure", "fresh", "premium", "luxury", "deluxe",
    "classic", "vintage", "retro", "modern", "minimalist", "minimal", "portable", "wireless", "cordless",
    "rechargeable", "smart", "electric", "digital", "stainless", "steel", "glass", "metal", "brass", "copper",
    "aluminum", "aluminium", "plastic", "silicone", "reusable", "recycled", "eco-friendly", "sustainable",
    "lightweight", "ultralight", "waterproof", "water-resistant", "compact", "foldable", "adjustable",
    "personalized", "personalised", "custom", "small", "large", "big", "mini", "new", "soft", "cozy", "cosy",
    "warm", "elegant", "stylish", "cute", "colorful", "colourful", "white", "black", "red", "blue", "green", "pink",
    "grey", "gray", "gold", "golden", "silver", "beige", "brown", "women's", "womens", "men's", "mens", "kids",
    "kids'", "children's", "baby", "pet", "dog", "cat", "coffee", "tea", "kitchen", "home", "travel", "outdoor",
    "indoor", "garden", "scented", "soy", "insulated", "ergonomic", "durable", "heavy-duty", "everyday",
    "dishwasher", "microwave", "oven", "machine", "hand", "easy", "free", "fast", "quick", "long", "long-lasting",
    "holds", "fits", "made", "perfect", "ideal", "great", "includes", "available", "comes", "safe", "non-slip",
    "non-stick", "bpa-free", "double-walled", "double", "set", "pair", "pack", "unique", "beautiful", "lovely",
    "practical", "versatile", "sturdy", "solid", "thick", "thin", "slim", "light", "heavy", "high", "low", "extra",
    "super", "ultra", "one", "two", "three", "matte", "glossy", "polished", "brushed", "woven", "knitted",
    "embroidered", "printed", "painted", "glazed", "gluten-free",
];

/// Substitutes `{key}` placeholders. In CJK copy a space is put where CJK meets Latin letters
/// or digits at a placeholder's edge ("这款 Handmade mug").
pub(super) fn fill(tpl: &str, vars: &[(&str, &str)], wide: bool) -> String {
    let mut out = String::with_capacity(tpl.len() + 64);
    let mut rest = tpl;
    while let Some(start) = rest.find('{') {
        let Some(len) = rest[start..].find('}') else { break };
        push_joined(&mut out, &rest[..start], wide);
        let key = &rest[start + 1..start + len];
        match vars.iter().find(|(k, _)| *k == key) {
            Some((_, value)) => push_joined(&mut out, value, wide),
            None => push_joined(&mut out, &rest[start..=start + len], wide),
        }
        rest = &rest[start + len + 1..];
    }
    push_joined(&mut out, rest, wide);
    out
}

pub(super) fn push_joined(out: &mut String, piece: &str, wide: bool) {
    if wide
        && let (Some(a), Some(b)) = (out.chars().next_back(), piece.chars().next())
        && ((is_cjk(a) && b.is_ascii_alphanumeric()) || (a.is_ascii_alphanumeric() && is_cjk(b)))
    {
        out.push(' ');
    }
    out.push_str(piece);
}
