//! English through misaki-rs (MIT), built without its espeak fallback: words missing from its
//! lexicons are spelled out by letter names instead of becoming an unknown marker.

use misaki_rs::fallback::FallbackError;
use misaki_rs::{Fallback, G2P, Language};

use super::Word;

/// US English letter names in Kokoro's phoneme set.
const LETTERS: [&str; 26] = [
    "ˈA",
    "bˈi",
    "sˈi",
    "dˈi",
    "ˈi",
    "ˈɛf",
    "ʤˈi",
    "ˈAʧ",
    "ˈI",
    "ʤˈA",
    "kˈA",
    "ˈɛl",
    "ˈɛm",
    "ˈɛn",
    "ˈO",
    "pˈi",
    "kjˈu",
    "ˈɑɹ",
    "ˈɛs",
    "tˈi",
    "jˈu",
    "vˈi",
    "dˈʌbᵊlju",
    "ˈɛks",
    "wˈI",
    "zˈi",
];

/// Spells an out-of-vocabulary word letter by letter (digits and others are dropped).
struct Spell;

impl Fallback for Spell {
    fn phonemize(&self, word: &str) -> Result<String, FallbackError> {
        let spelled: Vec<&str> = word
            .chars()
            .filter_map(|c| {
                let c = c.to_ascii_lowercase();
                c.is_ascii_lowercase().then(|| LETTERS[(c as u8 - b'a') as usize])
            })
            .collect();
        if spelled.is_empty() {
            return Err(FallbackError::NoPhonemes { word: word.to_string() });
        }
        Ok(spelled.join(" "))
    }
}

pub struct English {
    g2p: G2P,
}

impl Default for English {
    fn default() -> Self {
        Self::new()
    }
}

impl English {
    pub fn new() -> Self {
        Self { g2p: G2P::with_fallback(Language::EnglishUS, Some(Box::new(Spell))) }
    }

    /// Words of an English run with their phonemes; unknown marks are removed.
    pub fn words(&self, text: &str) -> Vec<Word> {
        let tokens = match self.g2p.g2p(text) {
            Ok((_, tokens)) => tokens,
            Err(e) => {
                tracing::warn!(error = %e, "english g2p failed; spelling the run");
                return text
                    .split_whitespace()
                    .filter_map(|w| Spell.phonemize(w).ok().map(|p| Word { text: w.to_string(), phonemes: p }))
                    .collect();
            }
        };
        tokens
            .into_iter()
            .filter_map(|t| {
                let phonemes = match t.phonemes {
                    Some(p) if !p.contains('❓') => p,
                    _ => Spell.phonemize(&t.text).ok()?,
                };
                Some(Word { text: t.text, phonemes })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_and_unknown_words_get_phonemes() {
        let en = English::new();
        let words = en.words("Hello world, qzxwv.");
        let texts: Vec<&str> = words.iter().map(|w| w.text.as_str()).collect();
        assert_eq!(texts, vec!["Hello", "world", ",", "qzxwv", "."]);
        assert!(words.iter().all(|w| !w.phonemes.contains('❓')));
        assert_eq!(words[3].phonemes, "kjˈu zˈi ˈɛks dˈʌbᵊlju vˈi");
    }
}
