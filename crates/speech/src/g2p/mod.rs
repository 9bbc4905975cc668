//! Grapheme-to-phoneme: text runs → words with Kokoro phonemes.

mod english;
mod french;
mod mandarin;
mod spanish;

pub use english::English;
pub use french::french_word;
pub use mandarin::Mandarin;
pub use spanish::spanish_word;

/// A spoken word (or punctuation mark) and its phonemes in Kokoro's symbol set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    pub text: String,
    pub phonemes: String,
}

impl Word {
    /// Punctuation carries a pause but is not a word of a caption.
    pub fn is_punctuation(&self) -> bool {
        !self.text.chars().any(char::is_alphanumeric)
    }
}

/// Maps full-width CJK punctuation to the ASCII marks Kokoro's vocabulary knows.
pub fn ascii_punctuation(c: char) -> Option<char> {
    Some(match c {
        '，' | '、' | ',' => ',',
        '。' | '．' | '.' => '.',
        '！' | '!' => '!',
        '？' | '?' => '?',
        '：' | ':' => ':',
        '；' | ';' => ';',
        '…' => '…',
        '—' | '–' => '—',
        _ => return None,
    })
}

/// Replaces full-width punctuation in a Latin run with the ASCII marks the G2P knows.
pub fn ascii_marks(text: &str) -> String {
    text.chars().map(|c| if c.is_ascii() { c } else { ascii_punctuation(c).unwrap_or(c) }).collect()
}
