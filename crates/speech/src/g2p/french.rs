//! French by rule: the common spellings (digraphs, nasal vowels, silent final consonants, soft
//! c/g) to IPA. Rough next to a dictionary G2P, but licence-clean and readable; final-syllable
//! stress, as French has.

fn is_vowel(c: char) -> bool {
    "aeiouyéèêëàâîïôûùüœ".contains(c)
}

/// Spellings tried longest first at each position: (letters, IPA, only before a non-vowel).
const RULES: &[(&str, &str, bool)] = &[
    ("eaux", "o", false),
    ("eau", "o", false),
    ("aient", "ɛ", false),
    ("ain", "ɛ̃", true),
    ("ein", "ɛ̃", true),
    ("oin", "wɛ̃", true),
    ("ien", "jɛ̃", true),
    ("ent", "ɑ̃", false),
    ("ai", "ɛ", false),
    ("ei", "ɛ", false),
    ("au", "o", false),
    ("oi", "wa", false),
    ("ou", "u", false),
    ("où", "u", false),
    ("eu", "ø", false),
    ("œu", "ø", false),
    ("an", "ɑ̃", true),
    ("am", "ɑ̃", true),
    ("en", "ɑ̃", true),
    ("em", "ɑ̃", true),
    ("on", "ɔ̃", true),
    ("om", "ɔ̃", true),
    ("in", "ɛ̃", true),
    ("im", "ɛ̃", true),
    ("un", "œ̃", true),
    ("ch", "ʃ", false),
    ("gn", "ɲ", false),
    ("ph", "f", false),
    ("qu", "k", false),
    ("th", "t", false),
    ("ll", "l", false),
    ("ss", "s", false),
    ("tt", "t", false),
    ("mm", "m", false),
    ("nn", "n", false),
    ("pp", "p", false),
    ("rr", "ʁ", false),
    ("ff", "f", false),
];

/// IPA for one French word.
pub fn french_word(word: &str) -> String {
    let mut w: Vec<char> = word.to_lowercase().chars().filter(|c| c.is_alphabetic()).collect();
    // Silent endings: plural/verb -s, -x, -t, -d, -e (after a consonant), and -ent of verbs
    // is left to the rules (read as a nasal; a dictionary would know better).
    while w.len() > 2 && matches!(w.last(), Some('s' | 'x' | 't' | 'd' | 'p' | 'z')) {
        w.pop();
    }
    if w.len() > 2 && w.last() == Some(&'e') && !is_vowel(w[w.len() - 2]) {
        w.pop();
    }
    let s: String = w.iter().collect();
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    'outer: while i < chars.len() {
        let rest: String = chars[i..].iter().collect();
        for (letters, ipa, before_consonant) in RULES {
            if let Some(after) = rest.strip_prefix(letters) {
                let next = after.chars().next();
                if *before_consonant && next.is_some_and(is_vowel) {
                    continue;
                }
                if *before_consonant && matches!(*letters, "am" | "em" | "om" | "im") && next == Some('m') {
                    continue;
                }
                out.push_str(ipa);
                i += letters.chars().count();
                continue 'outer;
            }
        }
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        let prev = if i > 0 { Some(chars[i - 1]) } else { None };
        match c {
            'a' | 'à' | 'â' => out.push('a'),
            'e' => out.push(if next.is_none() {
                'ə'
            } else if next.is_some_and(|n| !is_vowel(n)) && chars.get(i + 2).is_some_and(|n| !is_vowel(*n)) {
                'ɛ'
            } else {
                'ə'
            }),
            'é' => out.push('e'),
            'è' | 'ê' | 'ë' => out.push('ɛ'),
            'i' | 'î' | 'ï' | 'y' => out.push(if next.is_some_and(is_vowel) { 'j' } else { 'i' }),
            'o' | 'ô' => out.push('o'),
            'u' | 'û' | 'ù' | 'ü' => out.push('y'),
            'œ' => out.push('œ'),
            'c' | 'ç' => out.push(if c == 'ç' || matches!(next, Some('e' | 'i' | 'y' | 'é' | 'è' | 'ê')) {
                's'
            } else {
                'k'
            }),
            'g' => out.push(if matches!(next, Some('e' | 'i' | 'y' | 'é' | 'è' | 'ê')) { 'ʒ' } else { 'ɡ' }),
            'h' => {}
            'j' => out.push('ʒ'),
            'r' => out.push('ʁ'),
            's' => out.push(if prev.is_some_and(is_vowel) && next.is_some_and(is_vowel) { 'z' } else { 's' }),
            'x' => out.push_str("ks"),
            'w' => out.push('w'),
            c if c.is_ascii_alphabetic() => out.push(c),
            _ => {}
        }
        i += 1;
    }
    // Stress on the last vowel.
    let vowels = "aeiouyɛəøœɑɔ";
    if let Some((pos, _)) = out.char_indices().rev().find(|(_, c)| vowels.contains(*c)) {
        let mut start = pos;
        // Put the mark before a nasal tilde's base, not between the two.
        if out[..pos].ends_with('j') || out[..pos].ends_with('w') {
            start = out[..pos].char_indices().last().map_or(pos, |(p, _)| p);
        }
        out.insert(start, 'ˈ');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_spellings_are_read() {
        assert_eq!(french_word("bonjour"), "bɔ̃ʒˈuʁ");
        assert_eq!(french_word("maison"), "mɛzˈɔ̃");
        assert_eq!(french_word("chats"), "ʃˈa");
        assert_eq!(french_word("café"), "kafˈe");
        assert_eq!(french_word("beaucoup"), "bokˈu");
    }
}
