//! Spanish by rule: its spelling is close to phonemic, so a few context rules give Kokoro
//! usable IPA without a dictionary (Latin American seseo; stress by the written rules).

const VOWELS: &str = "aeiouáéíóúü";

fn is_vowel(c: char) -> bool {
    VOWELS.contains(c)
}

/// IPA (Kokoro symbols) for one lower-case Spanish word.
pub fn spanish_word(word: &str) -> String {
    let w: Vec<char> = word.to_lowercase().chars().filter(|c| c.is_alphabetic()).collect();
    let stress = stressed_vowel(&w);
    let mut out = String::new();
    let mut i = 0;
    while i < w.len() {
        let c = w[i];
        let next = w.get(i + 1).copied();
        if Some(i) == stress {
            out.push('ˈ');
        }
        match c {
            'a' | 'á' => out.push('a'),
            'e' | 'é' => out.push('e'),
            'i' | 'í' => out.push('i'),
            'o' | 'ó' => out.push('o'),
            'u' | 'ú' | 'ü' => out.push('u'),
            'b' | 'v' => {
                out.push(if i == 0 || matches!(w.get(i.wrapping_sub(1)), Some('m' | 'n')) { 'b' } else { 'β' })
            }
            'c' => match next {
                Some('e' | 'é' | 'i' | 'í') => out.push('s'),
                Some('h') => {
                    out.push('ʧ');
                    i += 1;
                }
                _ => out.push('k'),
            },
            'd' => out.push(if i == 0 || matches!(w.get(i.wrapping_sub(1)), Some('n' | 'l')) { 'd' } else { 'ð' }),
            'g' => match next {
                Some('e' | 'é' | 'i' | 'í') => out.push('x'),
                Some('u') if matches!(w.get(i + 2), Some('e' | 'é' | 'i' | 'í')) => {
                    out.push('ɡ');
                    i += 1;
                }
                _ => out.push(if i == 0 || w.get(i.wrapping_sub(1)) == Some(&'n') { 'ɡ' } else { 'ɣ' }),
            },
            'h' => {}
            'j' => out.push('x'),
            'l' if next == Some('l') => {
                out.push('ʝ');
                i += 1;
            }
            'ñ' => out.push('ɲ'),
            'q' => {
                out.push('k');
                if next == Some('u') {
                    i += 1;
                }
            }
            'r' => {
                if next == Some('r') {
                    out.push('r');
                    i += 1;
                } else if i == 0 || matches!(w.get(i.wrapping_sub(1)), Some('n' | 'l' | 's')) {
                    out.push('r');
                } else {
                    out.push('ɾ');
                }
            }
            'x' => out.push_str("ks"),
            'y' => out.push(if next.is_some_and(is_vowel) { 'ʝ' } else { 'i' }),
            'z' => out.push('s'),
            c if c.is_ascii_alphabetic() => out.push(c),
            _ => {}
        }
        i += 1;
    }
    out
}

/// Index of the stressed vowel: the written accent, else the penultimate syllable for words
/// ending in a vowel, n or s, else the last.
fn stressed_vowel(w: &[char]) -> Option<usize> {
    if let Some(i) = w.iter().position(|c| "áéíóú".contains(*c)) {
        return Some(i);
    }
    // Syllable nuclei: first vowel of each vowel group (a strong vowel wins in a diphthong).
    let mut nuclei = Vec::new();
    let mut i = 0;
    while i < w.len() {
        if is_vowel(w[i]) && !(w[i] == 'u' && i > 0 && matches!(w[i - 1], 'q' | 'g')) {
            let start = i;
            let mut best = i;
            while i < w.len() && is_vowel(w[i]) {
                if "aeo".contains(w[i]) {
                    best = i;
                }
                i += 1;
            }
            let _ = start;
            nuclei.push(best);
        } else {
            i += 1;
        }
    }
    if nuclei.len() < 2 {
        return nuclei.first().copied();
    }
    let last = *w.last()?;
    if is_vowel(last) || last == 'n' || last == 's' {
        nuclei.get(nuclei.len() - 2).copied()
    } else {
        nuclei.last().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_follow_spanish_spelling_rules() {
        assert_eq!(spanish_word("hola"), "ˈola");
        assert_eq!(spanish_word("ciudad"), "siuðˈað");
        assert_eq!(spanish_word("perro"), "pˈero");
        assert_eq!(spanish_word("canción"), "kansiˈon");
        assert_eq!(spanish_word("guerra"), "ɡˈera");
    }
}
