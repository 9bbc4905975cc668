//! The offline script writer: the embedded default when no DeepSeek key is configured.
//!
//! It reads the one-line description (a product noun phrase followed by features, separated by
//! commas, semicolons, "with", "and", `、`, `，` ...), plans one scene per few seconds so that every
//! photo is shown, and fills hand-written copy in the requested language and style. Everything is
//! deterministic: the variants are chosen from a SHA-256 of the request, never from a clock or an
//! RNG, so retrying a job gives the same script. The result always passes [`Script::validate`].

use async_trait::async_trait;
use glimvid_domain::script::{MAX_LINE_CHARS, MAX_SCENES, MIN_SCENES};
use glimvid_domain::{Language, Scene, Script, Style};
use glimvid_providers::{ProviderError, ScriptRequest, ScriptWriter};
use sha2::{Digest, Sha256};

/// Writes a marketing script from the description alone, without any network call.
#[derive(Debug, Clone, Copy, Default)]
pub struct OfflineScriptWriter;

impl OfflineScriptWriter {
    pub fn new() -> Self {
        Self
    }

    /// Writes the script for `req`. Pure and deterministic; the result passes
    /// `Script::validate(req.photo_count)` (a photo count of 0 is treated as 1).
    pub fn compose(&self, req: &ScriptRequest) -> Script {
        compose(req)
    }
}

#[async_trait]
impl ScriptWriter for OfflineScriptWriter {
    fn name(&self) -> &'static str {
        "offline"
    }

    async fn write(&self, req: &ScriptRequest) -> Result<Script, ProviderError> {
        let script = compose(req);
        script
            .validate(req.photo_count.max(1))
            .map_err(|e| ProviderError::permanent("offline", "invalid_script", e.to_string()))?;
        Ok(script)
    }
}

// ---------------------------------------------------------------------------------------------
// Limits. Captions are burned into the frame, so they are measured in display width: a wide
// (CJK) character costs 21 units and any other 8, which gives exactly 16 CJK or 42 Latin
// characters per caption and scales mixed text in between.

const WIDE_UNITS: usize = 21;
const NARROW_UNITS: usize = 8;
const CAPTION_UNITS: usize = 16 * WIDE_UNITS;
/// The product name as used inside sentences: about 60 Latin or 22 CJK characters.
const PRODUCT_UNITS: usize = 60 * NARROW_UNITS;
/// One feature inside a sentence: about 80 Latin or 30 CJK characters.
const FEATURE_UNITS: usize = 80 * NARROW_UNITS;
const TITLE_CHARS: usize = 60;
const MAX_FEATURES: usize = 8;
/// At most this many leftover features are listed in the last feature scene.
const MAX_EXTRA_FEATURES: usize = 3;
/// About four seconds a scene.
const SECONDS_PER_SCENE: usize = 4;

fn compose(req: &ScriptRequest) -> Script {
    let photos = req.photo_count.max(1);
    let lang = req.options.language;
    let lex = lexicon(lang);
    let pack = &lex.packs[style_index(req.options.style)];
    let pick = Picker::new(req);
    let wide = lex.wide;

    let parsed = parse_description(req.description.as_str());
    let product = parsed.product.as_deref().unwrap_or(lex.fallback_product);
    let product = fit(product, PRODUCT_UNITS, display_units);
    let p_mid = mid_sentence(&product, lang);
    let p_cap = capitalize(&product);
    let pv = |tpl: &str| fill(tpl, &[("p", &p_mid), ("P", &p_cap)], wide);

    let n = scene_count(req.options.duration_s, photos);
    let middle = n - 2;
    let mut scenes: Vec<(String, String)> = Vec::with_capacity(n);

    // Opening scene: the product itself.
    scenes.push((p_cap.clone(), pv(pack.intros[pick.index(1, pack.intros.len())])));

    // Feature scenes, in the order the seller wrote them.
    let features = &parsed.features;
    let shown = features.len().min(middle);
    let first_tpl = pick.index(2, pack.features.len());
    for (j, feature) in features.iter().take(shown).enumerate() {
        let f_cap = capitalize(feature);
        // CJK copy has no case: a Latin feature opening a sentence keeps its capital there too.
        let f_mid = if wide { f_cap.clone() } else { mid_sentence(feature, lang) };
        let tpl = pack.features[(first_tpl + j) % pack.features.len()];
        let mut voiceover = fill(tpl, &[("f", &f_mid), ("F", &f_cap), ("p", &p_mid), ("P", &p_cap)], wide);
        if j + 1 == shown && features.len() > shown {
            voiceover = with_extras(voiceover, &features[shown..], lex, pack, lang);
        }
        scenes.push((f_cap, voiceover));
    }

    // Filler scenes: general benefits, rotated so that none repeats.
    let first_filler = pick.index(3, pack.fillers.len());
    for j in 0..middle - shown {
        let (caption, voiceover) = pack.fillers[(first_filler + j) % pack.fillers.len()];
        scenes.push((pv(caption), pv(voiceover)));
    }

    // Closing scene.
    let (caption, voiceover) = pack.closings[pick.index(4, pack.closings.len())];
    scenes.push((pv(caption), pv(voiceover)));

    let scenes = scenes
        .into_iter()
        .enumerate()
        .map(|(i, (caption, voiceover))| Scene {
            caption: fit(&caption, CAPTION_UNITS, display_units),
            voiceover: fit(&voiceover, MAX_LINE_CHARS, one_per_char),
            photo_index: photo_for_scene(i, n, photos) as u32,
        })
        .collect();

    Script {
        title: fit(&p_cap, TITLE_CHARS, one_per_char),
        hook: fit(&pv(pack.hooks[pick.index(0, pack.hooks.len())]), MAX_LINE_CHARS, one_per_char),
        scenes,
        call_to_action: fit(pack.ctas[pick.index(5, pack.ctas.len())], CAPTION_UNITS, display_units),
    }
}

/// Appends "Plus: a, b and c." for features that did not get a scene of their own, keeping the
/// line within the voiceover limit (dropping extras rather than cutting a sentence).
fn with_extras(voiceover: String, extras: &[String], lex: &Lexicon, pack: &Pack, lang: Language) -> String {
    let extras: Vec<String> = extras.iter().take(MAX_EXTRA_FEATURES).map(|f| mid_sentence(f, lang)).collect();
    for k in (1..=extras.len()).rev() {
        let list = join_list(&extras[..k], lex);
        let plus = fill(pack.plus, &[("l", &list)], lex.wide);
        let sep = if lex.wide { "" } else { " " };
        let line = format!("{voiceover}{sep}{plus}");
        if line.chars().count() <= MAX_LINE_CHARS {
            return line;
        }
    }
    voiceover
}

fn join_list(items: &[String], lex: &Lexicon) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{}{}{}", init.join(lex.list_sep), lex.and, last),
    }
}

/// Roughly one scene per four seconds, at least one per photo when that fits, 3 to 6 in all.
fn scene_count(duration_s: u32, photos: usize) -> usize {
    let by_time = (duration_s as usize + SECONDS_PER_SCENE / 2) / SECONDS_PER_SCENE;
    by_time.max(photos.min(MAX_SCENES)).clamp(MIN_SCENES, MAX_SCENES)
}

/// Cycles through the photos; with more photos than scenes, spreads the scenes over them.
fn photo_for_scene(scene: usize, scenes: usize, photos: usize) -> usize {
    let photos = photos.max(1);
    if photos <= scenes { scene % photos } else { scene * photos / scenes.max(1) }
}

fn style_index(style: Style) -> usize {
    match style {
        Style::Clean => 0,
        Style::Bold => 1,
        Style::Elegant => 2,
    }
}

/// Deterministic variant choice from a SHA-256 of the whole request.
struct Picker([u8; 32]);

impl Picker {
    fn new(req: &ScriptRequest) -> Self {
        let o = &req.options;
        let mut h = Sha256::new();
        h.update(req.description.as_str().as_bytes());
        h.update([0]);
        h.update(o.language.as_str());
        h.update([0]);
        h.update(o.style.as_str());
        h.update([0]);
        h.update(o.aspect_ratio.as_str());
        h.update([0]);
        h.update(o.duration_s.to_le_bytes());
        h.update((req.photo_count as u64).to_le_bytes());
        Self(h.finalize().into())
    }

    /// A value in `0..len` for a numbered decision.
    fn index(&self, slot: usize, len: usize) -> usize {
        let a = self.0[(2 * slot) % 32];
        let b = self.0[(2 * slot + 1) % 32];
        usize::from(u16::from_le_bytes([a, b])) % len.max(1)
    }
}

// ---------------------------------------------------------------------------------------------
// Parsing the description.

#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct Parsed {
    product: Option<String>,
    features: Vec<String>,
}

/// Splits "Handmade ceramic coffee mug, 350 ml, dishwasher safe" into the product
/// ("Handmade ceramic coffee mug") and its features (["350 ml", "dishwasher safe"]).
fn parse_description(desc: &str) -> Parsed {
    let mut segments = split_segments(desc).into_iter();
    let mut product = None;
    let mut raw_features = Vec::new();
    for seg in segments.by_ref() {
        let (name, rest) = split_product(&seg);
        raw_features.extend(rest);
        if let Some(name) = name {
            product = Some(name);
            break;
        }
    }
    raw_features.extend(segments);

    let mut features: Vec<String> = Vec::new();
    for raw in raw_features {
        for piece in split_and(&strip_connector(&raw)) {
            let piece = clean_piece(&strip_connector(&piece));
            if piece.is_empty() {
                continue;
            }
            let piece = fit(&piece, FEATURE_UNITS, display_units);
            let key = piece.to_lowercase();
            let dup = features.iter().any(|f| f.to_lowercase() == key)
                || product.as_ref().is_some_and(|p: &String| p.to_lowercase() == key);
            if !dup && features.len() < MAX_FEATURES {
                features.push(piece);
            }
        }
    }
    if product.is_none() && !features.is_empty() {
        product = Some(features.remove(0));
    }
    Parsed { product, features }
}

/// Splits on list punctuation (ASCII and CJK), sentence ends, parentheses and spaced dashes.
fn split_segments(desc: &str) -> Vec<String> {
    let chars: Vec<char> = desc.chars().collect();
    let mut out = Vec::new();
    let mut cur = String::new();
    for (i, &c) in chars.iter().enumerate() {
        let prev = i.checked_sub(1).map(|j| chars[j]);
        let next = chars.get(i + 1).copied();
        let split = match c {
            ',' | ';' | '，' | '；' | '、' | '。' | '！' | '？' | '!' | '?' | '|' | '(' | ')' | '（' | '）' | '['
            | ']' | '【' | '】' | '•' | '\n' | '\r' | '：' => true,
            // "3.5 inch" and "16:9" stay whole; "Mug. Holds 350 ml" and "Mug: 350 ml" split.
            '.' | ':' => next.is_none_or(char::is_whitespace),
            '-' | '–' | '—' => prev.is_some_and(char::is_whitespace) && next.is_none_or(char::is_whitespace),
            _ => false,
        };
        if split {
            out.push(std::mem::take(&mut cur));
        } else {
            cur.push(c);
        }
    }
    out.push(cur);
    out.into_iter().map(|s| clean_piece(&s)).filter(|s| !s.is_empty()).collect()
}

/// Separates the product noun phrase from what follows "with", "featuring", "is", "that" ...
/// Returns the product (None when nothing is left) and the remainder as feature text.
fn split_product(seg: &str) -> (Option<String>, Vec<String>) {
    const BREAKS: [&str; 13] = [
        " with ",
        " featuring ",
        " w/ ",
        " con ",
        " avec ",
        " mit ",
        " is ",
        " are ",
        " that ",
        " which ",
        " will ",
        " comes ",
        " includes ",
    ];
    let lower = seg.to_ascii_lowercase();
    let cut = BREAKS.iter().filter_map(|b| lower.find(b).map(|pos| (pos, b.len()))).min_by_key(|&(pos, _)| pos);
    let (name, rest) = match cut {
        // ASCII-only patterns, and ASCII lowering keeps byte offsets: both cuts are boundaries.
        Some((pos, len)) => (&seg[..pos], vec![seg[pos + len..].to_owned()]),
        None => (seg, Vec::new()),
    };
    let name = clean_piece(strip_determiner(name));
    ((!name.is_empty()).then_some(name), rest)
}

/// Drops a leading article or demonstrative that the templates supply themselves.
fn strip_determiner(s: &str) -> &str {
    const LATIN: [&str; 7] = ["a ", "an ", "the ", "our ", "this ", "these ", "my "];
    const CJK: [&str; 7] = ["这款", "这个", "这只", "一款", "我们的", "本款", "この"];
    let s = s.trim();
    let lower = s.to_ascii_lowercase();
    for d in LATIN {
        if lower.starts_with(d) && s.len() > d.len() {
            return s[d.len()..].trim_start();
        }
    }
    for d in CJK {
        if let Some(rest) = s.strip_prefix(d)
            && !rest.trim().is_empty()
        {
            return rest.trim_start();
        }
    }
    s
}

/// Drops a leading "with", "and", "plus" ... from a feature.
fn strip_connector(s: &str) -> String {
    const LEADS: [&str; 14] = [
        "with ",
        "and ",
        "plus ",
        "featuring ",
        "also ",
        "& ",
        "+ ",
        "y ",
        "et ",
        "und ",
        "mit ",
        "con ",
        "avec ",
        "w/ ",
    ];
    let s = s.trim();
    let lower = s.to_ascii_lowercase();
    for l in LEADS {
        if lower.starts_with(l) && s.len() > l.len() {
            return s[l.len()..].trim().to_owned();
        }
    }
    for l in ["还有", "以及", "并且", "和", "及"] {
        if let Some(rest) = s.strip_prefix(l)
            && !rest.trim().is_empty()
        {
            return rest.trim().to_owned();
        }
    }
    s.to_owned()
}

/// Splits "350 ml and dishwasher safe" in two, but keeps "dishwasher and microwave safe" whole:
/// both sides must have at least two words.
fn split_and(seg: &str) -> Vec<String> {
    const ANDS: [&str; 5] = [" and ", " & ", " y ", " et ", " und "];
    let lower = seg.to_ascii_lowercase();
    for pat in ANDS {
        if let Some(pos) = lower.find(pat) {
            let (left, right) = (&seg[..pos], &seg[pos + pat.len()..]);
            if left.split_whitespace().count() >= 2 && right.split_whitespace().count() >= 2 {
                let mut out = split_and(left);
                out.extend(split_and(right));
                return out;
            }
        }
    }
    vec![seg.to_owned()]
}

/// Collapses whitespace and trims punctuation and quotes at both ends.
fn clean_piece(s: &str) -> String {
    const EDGE: &[char] = &[
        '-', '–', '—', '•', '·', '*', ',', ';', ':', '.', '!', '?', '"', '\'', '“', '”', '‘', '’', '「', '」', '『',
        '』', '，', '；', '：', '。', '！', '？', '、', '/', '&', '+', '~', '…', '(', ')', '[', ']', '（', '）',
    ];
    let collapsed = s.split_whitespace().collect::<Vec<_>>().join(" ");
    collapsed.trim_matches(|c: char| c.is_whitespace() || EDGE.contains(&c)).to_owned()
}

// ---------------------------------------------------------------------------------------------
// Text helpers.

/// Han, kana and Hangul: the scripts written without spaces between words.
fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF | 0x31F0..=0x31FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF
        | 0xAC00..=0xD7A3 | 0x20000..=0x3FFFD)
}

/// Characters drawn about twice as wide as a Latin letter.
fn is_wide(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x115F | 0x2E80..=0x303E | 0x3041..=0x33FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF
        | 0xA000..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6 | 0x1F300..=0x1F64F | 0x1F900..=0x1F9FF | 0x20000..=0x3FFFD)
}

fn display_units(c: char) -> usize {
    if is_wide(c) { WIDE_UNITS } else { NARROW_UNITS }
}

fn one_per_char(_: char) -> usize {
    1
}

fn units(s: &str, per_char: fn(char) -> usize) -> usize {
    s.chars().map(per_char).sum()
}

/// Part of a Latin word: a place where a cut would split the word.
fn is_word_char(c: char) -> bool {
    (c.is_alphanumeric() || c == '\'' || c == '’') && !is_wide(c)
}

/// Shortens `text` to at most `max` units on a char boundary, preferring a word boundary and
/// dropping dangling punctuation and little words ("with", "and", ...). Never returns an empty
/// string for a non-blank input.
fn fit(text: &str, max: usize, per_char: fn(char) -> usize) -> String {
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
fn tidy_end(s: &str) -> String {
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
fn capitalize(s: &str) -> String {
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
fn mid_sentence(s: &str, lang: Language) -> String {
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
const COMMON_WORDS: &[&str] = &[
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
fn fill(tpl: &str, vars: &[(&str, &str)], wide: bool) -> String {
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

fn push_joined(out: &mut String, piece: &str, wide: bool) {
    if wide
        && let (Some(a), Some(b)) = (out.chars().next_back(), piece.chars().next())
        && ((is_cjk(a) && b.is_ascii_alphanumeric()) || (a.is_ascii_alphanumeric() && is_cjk(b)))
    {
        out.push(' ');
    }
    out.push_str(piece);
}

// ---------------------------------------------------------------------------------------------
// Copy. Placeholders: {p} the product inside a sentence, {P} at the start of one; {f}/{F} the
// same for a feature; {l} a list of features. Templates avoid articles and verb agreement with
// the product (it may be plural, or its gender unknown), using colons instead.

struct Pack {
    hooks: [&'static str; 3],
    intros: [&'static str; 3],
    features: [&'static str; 4],
    fillers: [(&'static str, &'static str); 4],
    closings: [(&'static str, &'static str); 2],
    ctas: [&'static str; 3],
    plus: &'static str,
}

struct Lexicon {
    /// Clean, bold, elegant.
    packs: [Pack; 3],
    fallback_product: &'static str,
    list_sep: &'static str,
    and: &'static str,
    /// CJK copy: no spaces between sentences, spaces where CJK meets Latin.
    wide: bool,
}

fn lexicon(lang: Language) -> &'static Lexicon {
    match lang {
        Language::En => &EN,
        Language::Zh => &ZH,
        Language::Es => &ES,
        Language::Fr => &FR,
        Language::De => &DE,
        Language::Ja => &JA,
    }
}

static EN: Lexicon = Lexicon {
    packs: [
        Pack {
            hooks: [
                "A closer look at the {p}.",
                "Good design starts with the everyday.",
                "Meet the {p}: simple, useful, well made.",
            ],
            intros: [
                "This is the {p}, designed for everyday use.",
                "The {p}: thoughtfully made and easy to love.",
                "The {p}, made to fit right into your day.",
            ],
            features: [
                "{F}: a thoughtful detail you'll notice every day.",
                "Look closer: {f}.",
                "It's all in the details: {f}.",
                "One more thing: {f}.",
            ],
            fillers: [
                ("Made for every day", "Designed to fit naturally into your daily routine."),
                ("Simple and practical", "Simple to use, and easy to live with."),
                ("Quality you can see", "Quality materials and careful finishing, inside and out."),
                ("A thoughtful gift", "It also makes a thoughtful gift for someone you care about."),
            ],
            closings: [
                ("Ready when you are", "The {p}: ready when you are."),
                ("Every day, made better", "Make every day a little better with the {p}."),
            ],
            ctas: ["Shop now.", "Order yours today.", "Tap to learn more."],
            plus: "Plus: {l}.",
        },
        Pack {
            hooks: [
                "Stop scrolling! You need to see this!",
                "Ready for an upgrade? Say hello to the {p}!",
                "Big news: the {p} just dropped!",
            ],
            intros: ["Say hello to the {p}!", "The {p}: made to stand out!", "Here it is: the {p}!"],
            features: [
                "And that's not all: {f}!",
                "{F}: a total game changer!",
                "Check this out: {f}!",
                "Best part? {F}!",
            ],
            fillers: [
                ("Built to impress", "Built to impress, every single time!"),
                ("Your new favorite", "Your new favorite thing? Absolutely!"),
                ("Made to stand out", "Bold looks and real everyday performance!"),
                ("The perfect gift", "Need a gift? This one wins!"),
            ],
            closings: [
                ("Don't miss out!", "Don't wait: get the {p} today!"),
                ("Get yours now!", "The {p}: grab yours now!"),
            ],
            ctas: ["Shop now!", "Grab yours today!", "Tap to order now!"],
            plus: "Plus: {l}!",
        },
        Pack {
            hooks: [
                "Some things are made to be treasured.",
                "Beauty lives in the details.",
                "Crafted with intention: the {p}.",
            ],
            intros: [
                "Introducing the {p}, where form meets function.",
                "The {p}: quiet elegance for every day.",
                "Discover the {p}, crafted with care.",
            ],
            features: [
                "A refined detail: {f}.",
                "{F}: considered down to the last detail.",
                "Every detail matters: {f}.",
                "Thoughtfully considered: {f}.",
            ],
            fillers: [
                ("Timeless design", "A timeless design that never goes out of style."),
                ("Crafted with care", "Crafted with care, and made to be cherished."),
                ("Quiet luxury", "Understated luxury for the moments that matter."),
                ("A gift to remember", "A graceful gift for someone special."),
            ],
            closings: [
                ("Yours to cherish", "The {p}: yours to cherish."),
                ("Elegance, every day", "Bring quiet elegance home with the {p}."),
            ],
            ctas: ["Discover it today.", "Make it yours.", "Explore the collection."],
            plus: "And more: {l}.",
        },
    ],
    fallback_product: "product",
    list_sep: ", ",
    and: " and ",
    wide: false,
};

static ZH: Lexicon = Lexicon {
    packs: [
        Pack {
            hooks: ["一起来看看这款{p}。", "好设计，从日常开始。", "简单、实用、做工用心：{p}。"],
            intros: ["这是{p}，为日常使用而设计。", "{p}，用心打造，简单好用。", "{p}，自然融入你的每一天。"],
            features: ["{f}，贴心细节，每天都用得上。", "细节见真章：{f}。", "再看细节：{f}。", "值得一提：{f}。"],
            fillers: [
                ("日常好帮手", "为日常而设计，自然融入你的生活。"),
                ("简单实用", "上手简单，用着省心。"),
                ("品质看得见", "用料讲究，做工细致。"),
                ("送礼也合适", "送给在乎的人，也是一份贴心的礼物。"),
            ],
            closings: [("随时为你准备好", "{p}，随时为你准备好。"), ("让日常更美好", "让{p}为你的日常加分。")],
            ctas: ["立即选购。", "现在下单。", "点击了解更多。"],
            plus: "此外，还有{l}。",
        },
        Pack {
            hooks: ["别划走！这款{p}你一定要看！", "想升级日常？{p}来了！", "重磅登场：{p}！"],
            intros: ["{p}，闪亮登场！", "就是它：{p}！", "{p}，一眼就爱上！"],
            features: ["不止这些：{f}！", "{f}，就是这么给力！", "划重点：{f}！", "最绝的是：{f}！"],
            fillers: [
                ("颜值实力兼备", "颜值在线，实力更在线！"),
                ("你的新宠", "你的下一个心头好，就是它！"),
                ("一用就爱上", "用过就回不去了！"),
                ("送礼首选", "送礼不知道选什么？选它准没错！"),
            ],
            closings: [("心动不如行动！", "别犹豫，{p}今天就带回家！"), ("手慢无！", "{p}，手慢无，赶紧下单！")],
            ctas: ["立即抢购！", "马上下单！", "点击立即购买！"],
            plus: "还有{l}！",
        },
        Pack {
            hooks: ["有些美好，值得珍藏。", "美，藏在细节里。", "匠心之作：{p}。"],
            intros: ["{p}，形与用的优雅平衡。", "{p}，为日常添一分雅致。", "遇见{p}，匠心之选。"],
            features: ["精致细节：{f}。", "{f}，于细微处见品质。", "每一处细节都考究：{f}。", "用心之处：{f}。"],
            fillers: [
                ("经典隽永", "经典设计，历久弥新。"),
                ("匠心之作", "匠心打造，值得珍藏。"),
                ("低调奢华", "低调的奢华，献给每个重要时刻。"),
                ("心意之礼", "一份优雅的心意，送给特别的人。"),
            ],
            closings: [("值得珍藏", "{p}，值得你长久珍藏。"), ("优雅每一天", "把{p}带回家，优雅每一天。")],
            ctas: ["即刻探索。", "将它带回家。", "探索更多精彩。"],
            plus: "更有{l}。",
        },
    ],
    fallback_product: "好物",
    list_sep: "、",
    and: "和",
    wide: true,
};

static ES: Lexicon = Lexicon {
    packs: [
        Pack {
            hooks: [
                "Echa un vistazo: {p}.",
                "El buen diseño empieza en lo cotidiano.",
                "Simple, útil y bien hecho: {p}.",
            ],
            intros: [
                "Te presentamos {p}: un diseño pensado para el día a día.",
                "{P}: practicidad y cuidado en cada detalle.",
                "{P}, para acompañarte cada día.",
            ],
            features: [
                "{F}: un detalle práctico que marca la diferencia.",
                "Fíjate bien: {f}.",
                "Todo está en los detalles: {f}.",
                "Otro punto a favor: {f}.",
            ],
            fillers: [
                ("Para cada día", "Diseñado para encajar en tu rutina diaria."),
                ("Simple y práctico", "Fácil de usar y fácil de querer."),
                ("Calidad que se nota", "Buenos materiales y acabados cuidados."),
                ("Un regalo acertado", "También es un regalo perfecto para alguien especial."),
            ],
            closings: [
                ("Listo cuando tú quieras", "{P}: listo cuando tú quieras."),
                ("Tu día, un poco mejor", "Haz tu día un poco mejor con {p}."),
            ],
            ctas: ["Compra ahora.", "Pide el tuyo hoy.", "Toca para saber más."],
            plus: "Además: {l}.",
        },
        Pack {
            hooks: [
                "¡No sigas deslizando: tienes que ver esto!",
                "¿Listo para algo mejor? ¡Mira esto!",
                "¡Novedad: {p}!",
            ],
            intros: ["¡Mira esto: {p}!", "¡{P}: imposible no fijarse!", "¡Te presentamos {p}!"],
            features: ["¡Y eso no es todo: {f}!", "¡{F}: un cambio total!", "¡Lo mejor: {f}!", "¡Y encima: {f}!"],
            fillers: [
                ("Hecho para impresionar", "¡Hecho para impresionar, siempre!"),
                ("Tu nuevo favorito", "¿Tu nuevo favorito? ¡Sin duda!"),
                ("Imposible ignorarlo", "¡Estilo que se nota y rendimiento real!"),
                ("El regalo ideal", "¿Buscas un regalo? ¡Este gana!"),
            ],
            closings: [
                ("¡No te lo pierdas!", "¡No esperes más: consigue {p} hoy!"),
                ("¡Consíguelo ya!", "¡{P}: consíguelo ahora!"),
            ],
            ctas: ["¡Compra ahora!", "¡Consigue el tuyo hoy!", "¡Pídelo ya!"],
            plus: "¡Y además: {l}!",
        },
        Pack {
            hooks: [
                "Hay cosas hechas para durar.",
                "La belleza está en los detalles.",
                "Con intención y con esmero: {p}.",
            ],
            intros: [
                "Descubre {p}, donde la forma se une a la función.",
                "{P}: elegancia serena para cada día.",
                "{P}: artesanía y esmero en cada detalle.",
            ],
            features: [
                "Un detalle refinado: {f}.",
                "{F}: cuidado hasta el último detalle.",
                "Cada detalle importa: {f}.",
                "Pensado con cuidado: {f}.",
            ],
            fillers: [
                ("Diseño atemporal", "Un diseño atemporal que nunca pasa de moda."),
                ("Hecho con esmero", "Hecho con esmero, pensado para durar."),
                ("Lujo discreto", "Lujo discreto para los momentos importantes."),
                ("Un regalo especial", "Un regalo elegante para alguien especial."),
            ],
            closings: [
                ("Para atesorar", "{P}: para atesorar."),
                ("Elegancia diaria", "Lleva la elegancia a tu día con {p}."),
            ],
            ctas: ["Descúbrelo hoy.", "Hazlo tuyo.", "Explora la colección."],
            plus: "Y además: {l}.",
        },
    ],
    fallback_product: "nuestro producto",
    list_sep: ", ",
    and: " y ",
    wide: false,
};

static FR: Lexicon = Lexicon {
    packs: [
        Pack {
            hooks: [
                "À découvrir de plus près : {p}.",
                "Le bon design commence au quotidien.",
                "Simple, utile et bien fait : {p}.",
            ],
            intros: [
                "{P} : un design pensé pour le quotidien.",
                "{P} : du soin dans chaque détail.",
                "{P}, pour vous accompagner chaque jour.",
            ],
            features: [
                "{F} : un détail pratique qui change tout.",
                "Regardez de plus près : {f}.",
                "Tout est dans les détails : {f}.",
                "Autre atout : {f}.",
            ],
            fillers: [
                ("Pour tous les jours", "Conçu pour s'intégrer naturellement à votre quotidien."),
                ("Simple et pratique", "Simple à utiliser, facile à adopter."),
                ("Une qualité visible", "Des matériaux de qualité et des finitions soignées."),
                ("Une idée cadeau", "C'est aussi une belle idée cadeau pour vos proches."),
            ],
            closings: [
                ("Prêt quand vous l'êtes", "{P} : prêt quand vous l'êtes."),
                ("Un quotidien plus agréable", "Rendez chaque jour plus agréable avec {p}."),
            ],
            ctas: ["Achetez maintenant.", "Commandez dès aujourd'hui.", "Touchez pour en savoir plus."],
            plus: "En plus : {l}.",
        },
        Pack {
            hooks: ["Stop ! Vous devez voir ça !", "Envie de mieux ? Regardez ça !", "Nouveauté : {p} !"],
            intros: ["Regardez ça : {p} !", "{P} : impossible de passer à côté !", "Place à la nouveauté : {p} !"],
            features: [
                "Et ce n'est pas tout : {f} !",
                "{F} : ça change tout !",
                "Le petit plus : {f} !",
                "Le meilleur ? {F} !",
            ],
            fillers: [
                ("Fait pour impressionner", "Fait pour impressionner, à chaque fois !"),
                ("Votre nouveau favori", "Votre nouveau coup de cœur ? Absolument !"),
                ("Impossible à ignorer", "Du style et de vraies performances au quotidien !"),
                ("Le cadeau idéal", "Besoin d'un cadeau ? Celui-ci gagne !"),
            ],
            closings: [
                ("Ne le ratez pas !", "N'attendez plus : adoptez {p} dès aujourd'hui !"),
                ("Foncez !", "{P} : foncez, c'est maintenant !"),
            ],
            ctas: ["Achetez maintenant !", "Commandez vite !", "Foncez, commandez !"],
            plus: "Et en plus : {l} !",
        },
        Pack {
            hooks: [
                "Certaines choses sont faites pour durer.",
                "La beauté se cache dans les détails.",
                "Avec soin et intention : {p}.",
            ],
            intros: [
                "Découvrez {p}, là où la forme rencontre la fonction.",
                "{P} : l'élégance discrète au quotidien.",
                "{P} : le savoir-faire dans chaque détail.",
            ],
            features: [
                "Un détail raffiné : {f}.",
                "{F} : soigné jusque dans les moindres détails.",
                "Chaque détail compte : {f}.",
                "Pensé avec soin : {f}.",
            ],
            fillers: [
                ("Un design intemporel", "Un design intemporel qui ne se démode jamais."),
                ("Fait avec soin", "Fait avec soin, pour être chéri longtemps."),
                ("Luxe discret", "Un luxe discret pour les moments qui comptent."),
                ("Un cadeau précieux", "Un cadeau élégant pour une personne chère."),
            ],
            closings: [
                ("À chérir", "{P} : à chérir longtemps."),
                ("L'élégance au quotidien", "Invitez l'élégance chez vous avec {p}."),
            ],
            ctas: ["Découvrez-le dès aujourd'hui.", "Offrez-vous l'exception.", "Explorez la collection."],
            plus: "Et aussi : {l}.",
        },
    ],
    fallback_product: "notre produit",
    list_sep: ", ",
    and: " et ",
    wide: false,
};

static DE: Lexicon = Lexicon {
    packs: [
        Pack {
            hooks: [
                "Ein genauer Blick: {p}.",
                "Gutes Design beginnt im Alltag.",
                "Einfach, nützlich, gut gemacht: {p}.",
            ],
            intros: [
                "{P}: gemacht für den Alltag.",
                "{P}: durchdacht und einfach zu lieben.",
                "{P} – passt ganz selbstverständlich in deinen Tag.",
            ],
            features: [
                "{F}: ein durchdachtes Detail, das man jeden Tag merkt.",
                "Genauer hingeschaut: {f}.",
                "Auf die Details kommt es an: {f}.",
                "Noch ein Pluspunkt: {f}.",
            ],
            fillers: [
                ("Für jeden Tag", "Gemacht, um sich ganz natürlich in deinen Alltag einzufügen."),
                ("Einfach praktisch", "Einfach zu benutzen und leicht zu lieben."),
                ("Qualität, die man sieht", "Hochwertige Materialien und sorgfältige Verarbeitung."),
                ("Eine schöne Geschenkidee", "Auch ein schönes Geschenk für liebe Menschen."),
            ],
            closings: [
                ("Bereit, wenn du es bist", "{P}: bereit, wenn du es bist."),
                ("Jeden Tag ein bisschen besser", "Mach jeden Tag ein bisschen besser – mit {p}."),
            ],
            ctas: ["Jetzt kaufen.", "Heute noch bestellen.", "Tippen für mehr Infos."],
            plus: "Außerdem: {l}.",
        },
        Pack {
            hooks: ["Stopp! Das musst du sehen!", "Bereit für ein Upgrade? Schau her!", "Neu: {p}!"],
            intros: ["Schau mal: {p}!", "{P}: gemacht, um aufzufallen!", "Hier ist es: {p}!"],
            features: [
                "Und das ist noch nicht alles: {f}!",
                "{F}: ein echter Gamechanger!",
                "Das Extra: {f}!",
                "Das Beste? {F}!",
            ],
            fillers: [
                ("Gemacht, um zu beeindrucken", "Beeindruckt jedes Mal aufs Neue!"),
                ("Dein neuer Favorit", "Dein neuer Liebling? Auf jeden Fall!"),
                ("Fällt garantiert auf", "Starker Look, echte Alltagsleistung!"),
                ("Das perfekte Geschenk", "Suchst du ein Geschenk? Damit liegst du richtig!"),
            ],
            closings: [
                ("Nicht verpassen!", "Worauf wartest du? Jetzt zugreifen: {p}!"),
                ("Jetzt zugreifen!", "{P}: jetzt zugreifen!"),
            ],
            ctas: ["Jetzt kaufen!", "Jetzt zuschlagen!", "Sofort bestellen!"],
            plus: "Und dazu: {l}!",
        },
        Pack {
            hooks: [
                "Manche Dinge sind dafür gemacht, geschätzt zu werden.",
                "Schönheit liegt im Detail.",
                "Mit Sorgfalt gestaltet: {p}.",
            ],
            intros: [
                "Entdecken Sie {p}: wo Form auf Funktion trifft.",
                "{P}: stille Eleganz für jeden Tag.",
                "{P}: mit Sorgfalt gefertigt.",
            ],
            features: [
                "Ein raffiniertes Detail: {f}.",
                "{F}: bis ins kleinste Detail durchdacht.",
                "Jedes Detail zählt: {f}.",
                "Mit Bedacht gewählt: {f}.",
            ],
            fillers: [
                ("Zeitloses Design", "Ein zeitloses Design, das nie aus der Mode kommt."),
                ("Mit Sorgfalt gefertigt", "Mit Sorgfalt gefertigt, um lange geschätzt zu werden."),
                ("Stiller Luxus", "Stiller Luxus für die Momente, die zählen."),
                ("Ein besonderes Geschenk", "Ein elegantes Geschenk für besondere Menschen."),
            ],
            closings: [
                ("Zum Verlieben", "{P}: zum Verlieben und Bewahren."),
                ("Eleganz für jeden Tag", "Holen Sie sich Eleganz nach Hause – mit {p}."),
            ],
            ctas: ["Jetzt entdecken.", "Gönnen Sie sich das Besondere.", "Entdecken Sie die Kollektion."],
            plus: "Und dazu: {l}.",
        },
    ],
    fallback_product: "unser Produkt",
    list_sep: ", ",
    and: " und ",
    wide: false,
};

static JA: Lexicon = Lexicon {
    packs: [
        Pack {
            hooks: ["{p}をじっくりご覧ください。", "いい道具は、毎日を変える。", "シンプルで使いやすい、{p}。"],
            intros: [
                "{p}。毎日の暮らしのためにデザインしました。",
                "{p}。丁寧につくられた、使いやすい一品です。",
                "{p}が、あなたの毎日にそっと寄り添います。",
            ],
            features: [
                "{f}。毎日うれしい、細やかな工夫です。",
                "注目ポイント：{f}。",
                "細部にもこだわり：{f}。",
                "もうひとつの魅力：{f}。",
            ],
            fillers: [
                ("毎日使えるデザイン", "毎日の暮らしに自然になじむデザインです。"),
                ("シンプルで実用的", "使い方はシンプル、使うほど手放せません。"),
                ("確かな品質", "こだわりの素材と丁寧な仕上げ。"),
                ("贈り物にも", "大切な人への贈り物にもおすすめです。"),
            ],
            closings: [
                ("いつでもあなたのそばに", "{p}、いつでもあなたのそばに。"),
                ("毎日をもっと心地よく", "{p}で、毎日をもっと心地よく。"),
            ],
            ctas: ["今すぐ購入。", "ご注文はこちら。", "詳しくはタップ。"],
            plus: "さらに、{l}。",
        },
        Pack {
            hooks: ["ちょっと待って！これは見逃せない！", "毎日をアップグレードしませんか？", "新登場、{p}！"],
            intros: ["{p}、ついに登場！", "これが{p}だ！", "ひと目で惚れる、{p}！"],
            features: [
                "それだけじゃない！{f}！",
                "{f}、これがすごい！",
                "ここがポイント：{f}！",
                "いちばんの推し：{f}！",
            ],
            fillers: [
                ("インパクト抜群", "何度見ても、やっぱりいい！"),
                ("新しいお気に入り", "次のお気に入りは、これで決まり！"),
                ("使えば分かる", "一度使えば、もう手放せない！"),
                ("ギフトにも最適", "プレゼントに迷ったら、これ！"),
            ],
            closings: [
                ("今すぐチェック！", "迷ったら今！{p}を手に入れよう！"),
                ("お見逃しなく！", "{p}、お見逃しなく！"),
            ],
            ctas: ["今すぐ購入！", "今すぐゲット！", "タップして注文！"],
            plus: "さらに{l}も！",
        },
        Pack {
            hooks: ["大切にしたいものがある。", "美しさは、細部に宿る。", "想いを込めて仕立てた、{p}。"],
            intros: ["{p}。かたちと機能が美しく調和します。", "{p}。日々に静かな上質を。", "{p}との、特別な出会いを。"],
            features: [
                "洗練されたディテール：{f}。",
                "{f}。細部まで抜かりなく。",
                "すべての細部に心を込めて：{f}。",
                "心を配ったポイント：{f}。",
            ],
            fillers: [
                ("時を超えるデザイン", "流行に左右されない、時を超えるデザイン。"),
                ("丁寧な手仕事", "丁寧に仕立て、長く愛されるように。"),
                ("静かな贅沢", "大切な瞬間のための、控えめな贅沢。"),
                ("特別な贈り物", "特別な方への、上品な贈り物に。"),
            ],
            closings: [("長く愛せる一品", "{p}、長く愛せる一品を。"), ("上質な毎日を", "{p}とともに、上質な毎日を。")],
            ctas: ["今すぐご覧ください。", "あなたのものに。", "コレクションを見る。"],
            plus: "さらに、{l}。",
        },
    ],
    fallback_product: "この商品",
    list_sep: "、",
    and: "、",
    wide: true,
};

#[cfg(test)]
mod tests {
    use glimvid_domain::{AspectRatio, Description, VideoOptions};

    use super::*;

    const MUG: &str = "Handmade ceramic coffee mug, 350 ml, dishwasher safe";
    const MUG_ZH: &str = "手工陶瓷咖啡杯，350毫升，可洗碗机清洗";
    const STYLES: [Style; 3] = [Style::Clean, Style::Bold, Style::Elegant];

    fn req(desc: &str, language: Language, style: Style, duration_s: u32, photo_count: usize) -> ScriptRequest {
        ScriptRequest {
            description: Description::parse(desc).unwrap(),
            options: VideoOptions { aspect_ratio: AspectRatio::Portrait, duration_s, language, style },
            photo_count,
        }
    }

    fn write(desc: &str, language: Language, style: Style, duration_s: u32, photos: usize) -> Script {
        OfflineScriptWriter::new().compose(&req(desc, language, style, duration_s, photos))
    }

    fn has_cjk(s: &str) -> bool {
        s.chars().any(is_cjk)
    }

    fn long_description() -> String {
        let base = "An exceptionally beautiful handmade ceramic coffee mug that keeps your drinks warm ";
        let mut s = base.repeat(8);
        s.truncate(500);
        s
    }

    fn long_list_description() -> String {
        let mut s = String::from("Supercalifragilisticexpialidociousandevenlongerwordwithoutanyspaces mug");
        for i in 0..40 {
            s.push_str(&format!(", feature number {i} with a rather long explanation"));
        }
        s.chars().take(500).collect()
    }

    #[test]
    fn every_language_style_duration_and_photo_count_is_valid() {
        let long = long_description();
        let long_list = long_list_description();
        let descriptions = [MUG, MUG_ZH, "Mug", "杯", long.as_str(), long_list.as_str(), "!!!", "iPhone case"];
        for desc in descriptions {
            for lang in Language::ALL {
                for style in STYLES {
                    for duration in [5, 15, 60] {
                        for photos in 1..=6 {
                            let s = write(desc, lang, style, duration, photos);
                            s.validate(photos).unwrap_or_else(|e| {
                                panic!("{desc} {lang} {style:?} {duration}s {photos}: {e}\n{s:#?}")
                            });
                            assert!(s.title.chars().count() <= TITLE_CHARS);
                            assert!(units(&s.call_to_action, display_units) <= CAPTION_UNITS);
                            for scene in &s.scenes {
                                assert!(units(&scene.caption, display_units) <= CAPTION_UNITS, "{:?}", scene.caption);
                                assert!(!scene.caption.trim().is_empty() && !scene.voiceover.trim().is_empty());
                                assert!(!scene.caption.contains('{') && !scene.voiceover.contains('{'));
                            }
                            if s.scenes.len() >= photos {
                                for p in 0..photos {
                                    assert!(s.scenes.iter().any(|sc| sc.photo_index as usize == p), "photo {p} unused");
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn scene_count_follows_duration_and_photos() {
        assert_eq!(scene_count(5, 1), 3);
        assert_eq!(scene_count(15, 3), 4);
        assert_eq!(scene_count(15, 6), 6);
        assert_eq!(scene_count(20, 1), 5);
        assert_eq!(scene_count(60, 1), 6);
        assert_eq!(scene_count(5, 9), 6);
        // More photos than scenes: spread over all of them, in order.
        let idx: Vec<usize> = (0..6).map(|i| photo_for_scene(i, 6, 12)).collect();
        assert_eq!(idx, [0, 2, 4, 6, 8, 10]);
    }

    #[test]
    fn zero_photos_are_treated_as_one() {
        let s = write(MUG, Language::En, Style::Clean, 15, 0);
        assert!(s.validate(1).is_ok() && s.validate(0).is_ok());
        assert!(s.scenes.iter().all(|sc| sc.photo_index == 0));
    }

    #[test]
    fn same_request_same_script() {
        for lang in Language::ALL {
            for style in STYLES {
                assert_eq!(write(MUG, lang, style, 15, 3), write(MUG, lang, style, 15, 3));
            }
        }
        // The choice depends on the request, so scripts vary across products.
        let hooks: std::collections::HashSet<String> =
            (0..20).map(|i| write(&format!("Product {i}, feature"), Language::En, Style::Clean, 15, 3).hook).collect();
        assert!(hooks.len() > 1);
    }

    #[test]
    fn english_script_uses_product_and_features() {
        let s = write(MUG, Language::En, Style::Clean, 15, 3);
        assert_eq!(s.title, "Handmade ceramic coffee mug");
        assert_eq!(s.scenes.len(), 4);
        assert_eq!(s.scenes[0].caption, "Handmade ceramic coffee mug");
        assert_eq!(s.scenes[1].caption, "350 ml");
        assert_eq!(s.scenes[2].caption, "Dishwasher safe");
        assert!(s.scenes[1].voiceover.contains("350 ml"));
        assert!(s.scenes[2].voiceover.to_lowercase().contains("dishwasher safe"));
        assert!(s.scenes[0].voiceover.contains("handmade ceramic coffee mug"), "{}", s.scenes[0].voiceover);
        let photos: Vec<u32> = s.scenes.iter().map(|sc| sc.photo_index).collect();
        assert_eq!(photos, [0, 1, 2, 0]);
    }

    #[test]
    fn chinese_script_uses_product_features_and_cjk_captions() {
        for style in STYLES {
            let s = write(MUG_ZH, Language::Zh, style, 15, 3);
            assert_eq!(s.title, "手工陶瓷咖啡杯");
            assert!(s.scenes.iter().all(|sc| has_cjk(&sc.caption) && has_cjk(&sc.voiceover)), "{s:#?}");
            assert!(s.scenes.iter().all(|sc| sc.caption.chars().count() <= 16));
            assert!(s.scenes.iter().any(|sc| sc.caption == "350毫升"));
            assert!(s.scenes.iter().any(|sc| sc.voiceover.contains("可洗碗机清洗")));
            assert!(s.scenes[0].voiceover.contains("手工陶瓷咖啡杯"));
            assert!(has_cjk(&s.hook) && has_cjk(&s.call_to_action));
        }
        // An English description still gets Chinese copy around the English names.
        let s = write(MUG, Language::Zh, Style::Clean, 15, 3);
        assert!(has_cjk(&s.hook) && has_cjk(&s.scenes[0].voiceover) && has_cjk(&s.scenes[3].caption));
        assert!(s.scenes[0].voiceover.contains("Handmade ceramic coffee mug"));
    }

    #[test]
    fn japanese_and_european_scripts_are_in_their_language() {
        let ja = write(MUG, Language::Ja, Style::Clean, 15, 3);
        assert!(has_cjk(&ja.hook) && has_cjk(&ja.call_to_action));
        let fr = write(MUG, Language::Fr, Style::Bold, 15, 3);
        assert!(
            fr.call_to_action.contains("ommandez")
                || fr.call_to_action.contains("chetez")
                || fr.call_to_action.contains("oncez")
        );
        let de = write(MUG, Language::De, Style::Elegant, 15, 3);
        assert!(
            ["Jetzt entdecken.", "Gönnen Sie sich das Besondere.", "Entdecken Sie die Kollektion."]
                .contains(&de.call_to_action.as_str())
        );
        let es = write(MUG, Language::Es, Style::Clean, 30, 3);
        assert!(es.scenes.iter().any(|sc| sc.caption == "Dishwasher safe"));
    }

    #[test]
    fn parses_latin_and_cjk_descriptions() {
        let p = parse_description(MUG);
        assert_eq!(p.product.as_deref(), Some("Handmade ceramic coffee mug"));
        assert_eq!(p.features, ["350 ml", "dishwasher safe"]);

        let p = parse_description(MUG_ZH);
        assert_eq!(p.product.as_deref(), Some("手工陶瓷咖啡杯"));
        assert_eq!(p.features, ["350毫升", "可洗碗机清洗"]);

        let p = parse_description("A linen tote bag with leather handles and an inner pocket; machine washable");
        assert_eq!(p.product.as_deref(), Some("linen tote bag"));
        assert_eq!(p.features, ["leather handles", "an inner pocket", "machine washable"]);

        let p = parse_description("Steel bottle (750 ml) - dishwasher and microwave safe. Keeps drinks cold 24h");
        assert_eq!(p.product.as_deref(), Some("Steel bottle"));
        assert_eq!(p.features, ["750 ml", "dishwasher and microwave safe", "Keeps drinks cold 24h"]);

        let p = parse_description("这款香薰蜡烛、大豆蜡、燃烧40小时");
        assert_eq!(p.product.as_deref(), Some("香薰蜡烛"));
        assert_eq!(p.features, ["大豆蜡", "燃烧40小时"]);

        let p = parse_description("Mug");
        assert_eq!(p, Parsed { product: Some("Mug".into()), features: vec![] });
        assert_eq!(parse_description(",,, !!"), Parsed::default());
        // Decimals and ratios are not separators.
        assert_eq!(parse_description("Tablet stand for 16:9 screens, 3.5 mm jack").features, ["3.5 mm jack"]);
    }

    #[test]
    fn many_features_are_summed_up_in_the_last_feature_scene() {
        let s = write(
            "Desk lamp, dimmable, USB-C charging, warm light, timer, touch control",
            Language::En,
            Style::Clean,
            10,
            1,
        );
        assert_eq!(s.scenes.len(), 3);
        let vo = &s.scenes[1].voiceover;
        assert!(vo.contains("Plus: USB-C charging, warm light and timer."), "{vo}");
    }

    #[test]
    fn fit_respects_char_boundaries_and_words() {
        assert_eq!(fit("Handmade ceramic coffee mug", 60, one_per_char), "Handmade ceramic coffee mug");
        assert_eq!(fit("Handmade ceramic coffee mug with handle", 33, one_per_char), "Handmade ceramic coffee mug");
        assert_eq!(fit("Blue mug for tea", 14, one_per_char), "Blue mug");
        assert_eq!(fit("手工陶瓷咖啡杯手工陶瓷咖啡杯手工陶瓷咖啡杯", CAPTION_UNITS, display_units).chars().count(), 16);
        assert_eq!(fit("Supercalifragilistic", 5, one_per_char), "Super");
        assert_eq!(fit("ééééé", 2, one_per_char), "éé");
        assert_eq!(fit("—, —", 1, one_per_char), "—");
        assert_eq!(fit("杯", 1, display_units), "杯");
        for n in 1..40 {
            let out = fit("Ünïcödé, mixed 中文 text — with a longer tail", n, one_per_char);
            assert!(!out.is_empty() && out.chars().count() <= n.max(1));
        }
    }

    #[test]
    fn english_case_is_adjusted_only_for_common_words() {
        assert_eq!(mid_sentence("Handmade ceramic mug", Language::En), "handmade ceramic mug");
        assert_eq!(mid_sentence("Nike running shoes", Language::En), "Nike running shoes");
        assert_eq!(mid_sentence("Handmade Tasse", Language::De), "Handmade Tasse");
        assert_eq!(capitalize("iPhone case"), "iPhone case");
        assert_eq!(capitalize("dishwasher safe"), "Dishwasher safe");
        assert_eq!(fill("这款{p}。", &[("p", "Mug 2")], true), "这款 Mug 2。");
    }

    #[test]
    fn long_and_one_word_descriptions_work() {
        let long = long_description();
        let s = write(&long, Language::En, Style::Bold, 30, 2);
        s.validate(2).unwrap();
        assert!(
            s.title.starts_with("exceptionally beautiful handmade ceramic coffee mug")
                || s.title.starts_with("Exceptionally")
        );
        let s = write("Mug", Language::En, Style::Elegant, 5, 1);
        s.validate(1).unwrap();
        assert_eq!(s.title, "Mug");
        let s = write("杯", Language::Zh, Style::Clean, 60, 6);
        s.validate(6).unwrap();
        assert_eq!(s.scenes.len(), 6);
    }

    #[tokio::test]
    async fn writes_through_the_trait() {
        let w: Box<dyn ScriptWriter> = Box::new(OfflineScriptWriter);
        assert_eq!(w.name(), "offline");
        let s = w.write(&req(MUG, Language::En, Style::Clean, 15, 3)).await.unwrap();
        assert_eq!(s, OfflineScriptWriter::new().compose(&req(MUG, Language::En, Style::Clean, 15, 3)));
        fn is_default<T: Default>() {}
        is_default::<OfflineScriptWriter>();
    }

    fn json_str(s: &str) -> String {
        let mut out = String::from("\"");
        for c in s.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
                c => out.push(c),
            }
        }
        out.push('"');
        out
    }

    fn to_json(s: &Script) -> String {
        let scenes: Vec<String> = s
            .scenes
            .iter()
            .map(|sc| {
                format!(
                    "    {{ \"caption\": {}, \"voiceover\": {}, \"photo_index\": {} }}",
                    json_str(&sc.caption),
                    json_str(&sc.voiceover),
                    sc.photo_index
                )
            })
            .collect();
        format!(
            "{{\n  \"title\": {},\n  \"hook\": {},\n  \"scenes\": [\n{}\n  ],\n  \"call_to_action\": {}\n}}",
            json_str(&s.title),
            json_str(&s.hook),
            scenes.join(",\n"),
            json_str(&s.call_to_action)
        )
    }

    /// `cargo test -p glimvid-media offline_writer::tests::print_samples -- --ignored --nocapture`
    #[test]
    #[ignore = "prints sample scripts"]
    fn print_samples() {
        for (desc, lang) in [(MUG, Language::En), (MUG, Language::Zh), (MUG_ZH, Language::Zh)] {
            for style in STYLES {
                println!("--- {lang} {style:?}: {desc}\n{}", to_json(&write(desc, lang, style, 15, 3)));
            }
        }
        for lang in [Language::Es, Language::Fr, Language::De, Language::Ja] {
            println!("--- {lang} Clean\n{}", to_json(&write(MUG, lang, Style::Clean, 15, 3)));
        }
        for (desc, lang) in [
            ("ハンドメイドの陶器マグカップ、350ml、食洗機対応", Language::Ja),
            ("Handgemachte Keramiktasse, 350 ml, spülmaschinenfest", Language::De),
            (
                "A linen tote bag with leather handles and an inner pocket; machine washable, fits a 14-inch laptop",
                Language::En,
            ),
        ] {
            println!("--- {lang} Bold 30s 2 photos: {desc}\n{}", to_json(&write(desc, lang, Style::Bold, 30, 2)));
        }
    }
}
