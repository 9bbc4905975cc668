//! Mandarin: jieba-rs segments words, pinyin gives each character's syllable and tone, and a
//! pinyin→IPA table (after misaki's v1.0 Chinese path) writes Kokoro's symbols with the tone
//! arrows → ↗ ↓ ↘.

use jieba_rs::Jieba;
use pinyin::ToPinyin;

use super::{Word, ascii_punctuation};
use crate::normalize::is_han;

pub struct Mandarin {
    jieba: Jieba,
}

impl Default for Mandarin {
    fn default() -> Self {
        Self::new()
    }
}

impl Mandarin {
    pub fn new() -> Self {
        Self { jieba: Jieba::new() }
    }

    /// Words of a Han run with their phonemes; punctuation becomes Kokoro's ASCII marks.
    pub fn words(&self, text: &str) -> Vec<Word> {
        let mut words = Vec::new();
        for piece in self.jieba.cut(text, true) {
            let piece = piece.word.trim();
            if piece.is_empty() {
                continue;
            }
            if piece.chars().any(is_han) {
                let phonemes: String =
                    piece.to_pinyin().flatten().filter_map(|p| syllable_ipa(p.with_tone_num_end())).collect();
                if !phonemes.is_empty() {
                    words.push(Word { text: piece.to_string(), phonemes });
                }
            } else {
                let marks: String = piece.chars().filter_map(ascii_punctuation).collect();
                if !marks.is_empty() {
                    words.push(Word { text: piece.to_string(), phonemes: marks });
                }
            }
        }
        words
    }
}

const INITIALS: [(&str, &str); 21] = [
    ("zh", "ꭧ"),
    ("ch", "ꭧʰ"),
    ("sh", "ʂ"),
    ("b", "p"),
    ("c", "ʦʰ"),
    ("d", "t"),
    ("f", "f"),
    ("g", "k"),
    ("h", "x"),
    ("j", "ʨ"),
    ("k", "kʰ"),
    ("l", "l"),
    ("m", "m"),
    ("n", "n"),
    ("p", "pʰ"),
    ("q", "ʨʰ"),
    ("r", "ɻ"),
    ("s", "s"),
    ("t", "tʰ"),
    ("x", "ɕ"),
    ("z", "ʦ"),
];

/// Final → IPA with `0` where the tone goes.
fn final_ipa(f: &str) -> Option<&'static str> {
    Some(match f {
        "a" => "a0",
        "ai" => "ai0",
        "an" => "a0n",
        "ang" => "a0ŋ",
        "ao" => "au0",
        "e" => "ɤ0",
        "ei" => "ei0",
        "en" => "ə0n",
        "eng" => "ə0ŋ",
        "er" => "ɚ0",
        "i" => "i0",
        "ia" => "ja0",
        "ian" => "jɛ0n",
        "iang" => "ja0ŋ",
        "iao" => "jau0",
        "ie" => "je0",
        "in" => "i0n",
        "iou" | "iu" => "jou0",
        "ing" => "i0ŋ",
        "iong" => "jʊ0ŋ",
        "ong" => "ʊ0ŋ",
        "ou" => "ou0",
        "u" => "u0",
        "uei" | "ui" => "wei0",
        "ua" => "wa0",
        "uai" => "wai0",
        "uan" => "wa0n",
        "uen" | "un" => "wə0n",
        "uang" => "wa0ŋ",
        "ueng" => "wə0ŋ",
        "uo" | "o" => "wo0",
        "ü" => "y0",
        "üe" => "ɥe0",
        "üan" => "ɥɛ0n",
        "ün" => "y0n",
        "ê" => "ɛ0",
        "m" => "m0",
        "n" => "n0",
        "ng" => "ŋ0",
        _ => return None,
    })
}

/// Zero-initial spellings (y-, w-) → their finals.
fn zero_initial_final(s: &str) -> Option<String> {
    if let Some(rest) = s.strip_prefix("yu") {
        return Some(format!("ü{rest}"));
    }
    if let Some(rest) = s.strip_prefix('y') {
        return Some(match rest {
            "i" | "in" | "ing" => rest.to_string(),
            _ => format!("i{rest}"),
        });
    }
    if let Some(rest) = s.strip_prefix('w') {
        return Some(match rest {
            "u" => "u".to_string(),
            _ => format!("u{rest}"),
        });
    }
    None
}

/// One syllable in tone-number-end pinyin (`zhong1`, `ma`, `lü4`) → IPA.
pub fn syllable_ipa(py: &str) -> Option<String> {
    let py = py.replace('v', "ü");
    let (body, tone) = match py.chars().last()?.to_digit(10) {
        Some(t) => (&py[..py.len() - 1], t),
        None => (py.as_str(), 5),
    };
    let arrow = match tone {
        1 => "→",
        2 => "↗",
        3 => "↓",
        4 => "↘",
        _ => "",
    };
    let (initial, fin) = match INITIALS.iter().find(|(i, _)| body.starts_with(i) && body.len() > i.len()) {
        Some((i, ipa)) => {
            let mut fin = body[i.len()..].to_string();
            if matches!(*i, "j" | "q" | "x") && fin.starts_with('u') {
                fin = fin.replacen('u', "ü", 1);
            }
            (Some((*i, *ipa)), fin)
        }
        None => (None, zero_initial_final(body).unwrap_or_else(|| body.to_string())),
    };
    let final_ipa = match (initial.map(|(i, _)| i), fin.as_str()) {
        (Some("zh" | "ch" | "sh" | "r" | "z" | "c" | "s"), "i") => "ɨ0",
        _ => final_ipa(&fin)?,
    };
    let mut out = String::new();
    if let Some((_, ipa)) = initial {
        out.push_str(ipa);
    }
    out.push_str(&final_ipa.replace('0', arrow));
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syllables_map_to_ipa_with_tone_arrows() {
        assert_eq!(syllable_ipa("zhong1").as_deref(), Some("ꭧʊ→ŋ"));
        assert_eq!(syllable_ipa("guo2").as_deref(), Some("kwo↗"));
        assert_eq!(syllable_ipa("ni3").as_deref(), Some("ni↓"));
        assert_eq!(syllable_ipa("shi4").as_deref(), Some("ʂɨ↘"));
        assert_eq!(syllable_ipa("xue2").as_deref(), Some("ɕɥe↗"));
        assert_eq!(syllable_ipa("you3").as_deref(), Some("jou↓"));
        assert_eq!(syllable_ipa("wo3").as_deref(), Some("wo↓"));
        assert_eq!(syllable_ipa("de").as_deref(), Some("tɤ"));
        assert_eq!(syllable_ipa("lü4").as_deref(), Some("ly↘"));
    }

    #[test]
    fn words_are_segmented_and_punctuation_mapped() {
        let zh = Mandarin::new();
        let words = zh.words("我们喜欢中国，谢谢。");
        let texts: Vec<&str> = words.iter().map(|w| w.text.as_str()).collect();
        assert_eq!(texts, vec!["我们", "喜欢", "中国", "，", "谢谢", "。"]);
        assert_eq!(words[3].phonemes, ",");
        assert_eq!(words[2].phonemes, "ꭧʊ→ŋkwo↗");
    }
}
