//! Parsing the description: the product noun phrase and its features.

use super::*;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(super) struct Parsed {
    pub(super) product: Option<String>,
    pub(super) features: Vec<String>,
}

/// Splits "Handmade ceramic coffee mug, 350 ml, dishwasher safe" into the product
/// ("Handmade ceramic coffee mug") and its features (["350 ml", "dishwasher safe"]).
pub(super) fn parse_description(desc: &str) -> Parsed {
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
pub(super) fn split_segments(desc: &str) -> Vec<String> {
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
pub(super) fn split_product(seg: &str) -> (Option<String>, Vec<String>) {
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
pub(super) fn strip_determiner(s: &str) -> &str {
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
pub(super) fn strip_connector(s: &str) -> String {
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
pub(super) fn split_and(seg: &str) -> Vec<String> {
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
pub(super) fn clean_piece(s: &str) -> String {
    const EDGE: &[char] = &[
        '-', '–', '—', '•', '·', '*', ',', ';', ':', '.', '!', '?', '"', '\'', '“', '”', '‘', '’', '「', '」', '『',
        '』', '，', '；', '：', '。', '！', '？', '、', '/', '&', '+', '~', '…', '(', ')', '[', ']', '（', '）',
    ];
    let collapsed = s.split_whitespace().collect::<Vec<_>>().join(" ");
    collapsed.trim_matches(|c: char| c.is_whitespace() || EDGE.contains(&c)).to_owned()
}
