//! Text normalisation before G2P: what a script line may contain that a voice must not read
//! literally (Markdown, emoji, digits) and how a mixed Chinese/English line is split.

/// The script a run of text is written in, which picks its G2P.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Script {
    /// Han characters (read as Mandarin).
    Han,
    /// Everything else (Latin and the voice's own language).
    Latin,
}

/// A stretch of text in one script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    pub script: Script,
    pub text: String,
}

/// Strips Markdown syntax, drops emoji and collapses whitespace; keeps the words.
pub fn clean(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let line = strip_line_markup(line);
        let line = strip_links(&line);
        for c in line.chars() {
            if is_emoji(c) || matches!(c, '*' | '`' | '~' | '|' | '#' | '_' | '[' | ']' | '<' | '>') {
                if matches!(c, '_' | '|') {
                    out.push(' ');
                }
                continue;
            }
            out.push(c);
        }
        out.push(' ');
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Drops a line's block markers: headings, quotes, list bullets.
fn strip_line_markup(line: &str) -> String {
    let mut s = line.trim_start();
    loop {
        let before = s;
        s = s.trim_start_matches('#').trim_start_matches('>').trim_start();
        for bullet in ["- ", "* ", "+ "] {
            if let Some(rest) = s.strip_prefix(bullet) {
                s = rest;
            }
        }
        if s == before {
            break;
        }
    }
    s.to_string()
}

/// `[text](url)` and `![alt](url)` → `text` / `alt`.
fn strip_links(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(open) = rest.find('[') {
        let Some(close_rel) = rest[open..].find("](") else {
            break;
        };
        let close = open + close_rel;
        let Some(end_rel) = rest[close..].find(')') else {
            break;
        };
        let mut before = &rest[..open];
        if let Some(b) = before.strip_suffix('!') {
            before = b;
        }
        out.push_str(before);
        out.push_str(&rest[open + 1..close]);
        rest = &rest[close + end_rel + 1..];
    }
    out.push_str(rest);
    out
}

/// Pictographs, symbols and their joiners: nothing a voice should try to read.
fn is_emoji(c: char) -> bool {
    let u = c as u32;
    matches!(u,
        0x1F000..=0x1FAFF // pictographs, emoticons, transport, flags, supplemental symbols
        | 0x2600..=0x27BF // misc symbols, dingbats
        | 0x2B00..=0x2BFF // arrows and stars
        | 0xFE00..=0xFE0F // variation selectors
        | 0x200D          // zero-width joiner
        | 0x20E3          // keycap
        | 0xE0020..=0xE007F // tag characters
    )
}

pub fn is_han(c: char) -> bool {
    matches!(c as u32, 0x4E00..=0x9FFF | 0x3400..=0x4DBF | 0xF900..=0xFAFF | 0x20000..=0x2A6DF)
}

/// Splits a cleaned line into runs by script. Digits, punctuation and spaces belong to the run
/// they follow (a line starting with them to the `default` script), so `共3个 apples` reads
/// the 3 in Chinese.
pub fn split_runs(text: &str, default: Script) -> Vec<Run> {
    let mut runs: Vec<Run> = Vec::new();
    let mut current = default;
    for c in text.chars() {
        let script = if is_han(c) {
            Script::Han
        } else if c.is_alphabetic() {
            Script::Latin
        } else {
            current
        };
        current = script;
        match runs.last_mut() {
            Some(run) if run.script == script => run.text.push(c),
            _ => runs.push(Run { script, text: c.to_string() }),
        }
    }
    for run in &mut runs {
        run.text = run.text.trim().to_string();
    }
    runs.retain(|r| !r.text.is_empty());
    runs
}

/// Replaces every number in `text` with its words, read by `speak`. Handles integers, decimals
/// with a `.`, thousands separators (`1,000`) and a trailing `%`.
fn replace_numbers(text: &str, speak: impl Fn(&str, Option<&str>, bool) -> String) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let mut int = String::new();
        while i < chars.len() {
            if chars[i].is_ascii_digit() {
                int.push(chars[i]);
                i += 1;
            } else if chars[i] == ','
                && i + 3 < chars.len() + 1
                && chars[i + 1..].iter().take(3).filter(|c| c.is_ascii_digit()).count() == 3
                && chars.get(i + 4).is_none_or(|c| !c.is_ascii_digit())
            {
                i += 1;
            } else {
                break;
            }
        }
        let mut frac = None;
        if i + 1 < chars.len() && chars[i] == '.' && chars[i + 1].is_ascii_digit() {
            let mut f = String::new();
            i += 1;
            while i < chars.len() && chars[i].is_ascii_digit() {
                f.push(chars[i]);
                i += 1;
            }
            frac = Some(f);
        }
        let percent = chars.get(i) == Some(&'%') || chars.get(i) == Some(&'％');
        if percent {
            i += 1;
        }
        out.push_str(&speak(&int, frac.as_deref(), percent));
    }
    out
}

const ONES: [&str; 20] = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
];
const TENS: [&str; 10] = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"];

/// English words for an integer (digit by digit past the trillions).
pub fn english_number(n: u64) -> String {
    fn below_thousand(n: u64) -> String {
        let mut parts = Vec::new();
        if n >= 100 {
            parts.push(format!("{} hundred", ONES[(n / 100) as usize]));
        }
        let r = n % 100;
        if r > 0 {
            if r < 20 {
                parts.push(ONES[r as usize].to_string());
            } else if r.is_multiple_of(10) {
                parts.push(TENS[(r / 10) as usize].to_string());
            } else {
                parts.push(format!("{}-{}", TENS[(r / 10) as usize], ONES[(r % 10) as usize]));
            }
        }
        parts.join(" ")
    }
    if n == 0 {
        return "zero".into();
    }
    let scales = ["", " thousand", " million", " billion", " trillion"];
    let mut groups = Vec::new();
    let mut rest = n;
    let mut scale = 0;
    while rest > 0 && scale < scales.len() {
        let g = rest % 1000;
        if g > 0 {
            groups.push(format!("{}{}", below_thousand(g), scales[scale]));
        }
        rest /= 1000;
        scale += 1;
    }
    if rest > 0 {
        return digits(&n.to_string(), &ONES[..10]);
    }
    groups.reverse();
    groups.join(" ")
}

fn digits(s: &str, names: &[&str]) -> String {
    s.chars().filter_map(|c| c.to_digit(10)).map(|d| names[d as usize]).collect::<Vec<_>>().join(" ")
}

/// Spells out the numbers of an English run.
pub fn english_numbers(text: &str) -> String {
    replace_numbers(text, |int, frac, percent| {
        let mut s = match int.parse::<u64>() {
            Ok(n) => english_number(n),
            Err(_) => digits(int, &ONES[..10]),
        };
        if let Some(f) = frac {
            s.push_str(" point ");
            s.push_str(&digits(f, &ONES[..10]));
        }
        if percent {
            s.push_str(" percent");
        }
        s
    })
}

const ZH_DIGITS: [&str; 10] = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"];

/// Chinese reading of an integer (万/亿 grouping, 零 for gaps, 十 for 10–19).
pub fn chinese_number(n: u64) -> String {
    fn below_10k(n: u64, leading: bool) -> String {
        let units = ["千", "百", "十", ""];
        let ds = [n / 1000, n / 100 % 10, n / 10 % 10, n % 10];
        let mut s = String::new();
        let mut zero = false;
        let mut started = false;
        for (k, d) in ds.iter().enumerate() {
            if *d == 0 {
                if started {
                    zero = true;
                }
                continue;
            }
            if zero {
                s.push('零');
                zero = false;
            }
            if !(leading && !started && k == 2 && *d == 1) {
                s.push_str(ZH_DIGITS[*d as usize]);
            }
            s.push_str(units[k]);
            started = true;
        }
        s
    }
    if n == 0 {
        return "零".into();
    }
    let mut groups = Vec::new();
    let mut rest = n;
    while rest > 0 {
        groups.push(rest % 10_000);
        rest /= 10_000;
    }
    let big = ["", "万", "亿", "万亿", "亿亿"];
    let mut s = String::new();
    let top = groups.len() - 1;
    let mut pending_zero = false;
    for (idx, g) in groups.iter().enumerate().rev() {
        if *g == 0 {
            pending_zero = true;
            continue;
        }
        if idx != top && (pending_zero || *g < 1000) {
            s.push('零');
        }
        pending_zero = false;
        s.push_str(&below_10k(*g, idx == top));
        s.push_str(big.get(idx).copied().unwrap_or(""));
    }
    s
}

/// Spells out the numbers of a Chinese run: `50%` → 百分之五十, `3.5` → 三点五.
pub fn chinese_numbers(text: &str) -> String {
    replace_numbers(text, |int, frac, percent| {
        let mut s = match int.parse::<u64>() {
            Ok(n) => chinese_number(n),
            Err(_) => digits(int, &ZH_DIGITS),
        }
        .replace(' ', "");
        if let Some(f) = frac {
            s.push('点');
            s.push_str(&digits(f, &ZH_DIGITS).replace(' ', ""));
        }
        if percent {
            s = format!("百分之{s}");
        }
        s
    })
}

/// Spanish words for an integer below a million (digit by digit above).
pub fn spanish_number(n: u64) -> String {
    const UNITS: [&str; 30] = [
        "cero",
        "uno",
        "dos",
        "tres",
        "cuatro",
        "cinco",
        "seis",
        "siete",
        "ocho",
        "nueve",
        "diez",
        "once",
        "doce",
        "trece",
        "catorce",
        "quince",
        "dieciséis",
        "diecisiete",
        "dieciocho",
        "diecinueve",
        "veinte",
        "veintiuno",
        "veintidós",
        "veintitrés",
        "veinticuatro",
        "veinticinco",
        "veintiséis",
        "veintisiete",
        "veintiocho",
        "veintinueve",
    ];
    const TENS: [&str; 10] =
        ["", "", "", "treinta", "cuarenta", "cincuenta", "sesenta", "setenta", "ochenta", "noventa"];
    const HUNDREDS: [&str; 10] = [
        "",
        "ciento",
        "doscientos",
        "trescientos",
        "cuatrocientos",
        "quinientos",
        "seiscientos",
        "setecientos",
        "ochocientos",
        "novecientos",
    ];
    fn below_thousand(n: u64) -> String {
        if n == 100 {
            return "cien".into();
        }
        let mut parts = Vec::new();
        if n >= 100 {
            parts.push(HUNDREDS[(n / 100) as usize].to_string());
        }
        let r = n % 100;
        if r > 0 {
            if r < 30 {
                parts.push(UNITS[r as usize].to_string());
            } else if r.is_multiple_of(10) {
                parts.push(TENS[(r / 10) as usize].to_string());
            } else {
                parts.push(format!("{} y {}", TENS[(r / 10) as usize], UNITS[(r % 10) as usize]));
            }
        }
        parts.join(" ")
    }
    match n {
        0 => "cero".into(),
        1..=999 => below_thousand(n),
        1000..=999_999 => {
            let k = n / 1000;
            let head = if k == 1 { "mil".to_string() } else { format!("{} mil", below_thousand(k)) };
            if n.is_multiple_of(1000) { head } else { format!("{head} {}", below_thousand(n % 1000)) }
        }
        _ => digits(&n.to_string(), &UNITS[..10]),
    }
}

/// Spells out the numbers of a Spanish run.
pub fn spanish_numbers(text: &str) -> String {
    replace_numbers(text, |int, frac, percent| {
        let mut s = match int.parse::<u64>() {
            Ok(n) => spanish_number(n),
            Err(_) => int.to_string(),
        };
        if let Some(f) = frac {
            s.push_str(" coma ");
            s.push_str(&f.parse::<u64>().map(spanish_number).unwrap_or_default());
        }
        if percent {
            s.push_str(" por ciento");
        }
        s
    })
}

/// French words for an integer below a million (digit by digit above).
pub fn french_number(n: u64) -> String {
    const UNITS: [&str; 20] = [
        "zéro", "un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf", "dix", "onze", "douze",
        "treize", "quatorze", "quinze", "seize", "dix-sept", "dix-huit", "dix-neuf",
    ];
    const TENS: [&str; 7] = ["", "", "vingt", "trente", "quarante", "cinquante", "soixante"];
    fn below_hundred(n: u64) -> String {
        match n {
            0..=19 => UNITS[n as usize].to_string(),
            20..=69 => {
                let (t, u) = (TENS[(n / 10) as usize], n % 10);
                match u {
                    0 => t.to_string(),
                    1 => format!("{t} et un"),
                    _ => format!("{t}-{}", UNITS[u as usize]),
                }
            }
            70..=79 => {
                if n == 71 {
                    "soixante et onze".into()
                } else {
                    format!("soixante-{}", UNITS[(n - 60) as usize])
                }
            }
            80 => "quatre-vingts".into(),
            _ => format!("quatre-vingt-{}", UNITS[(n - 80) as usize]),
        }
    }
    fn below_thousand(n: u64) -> String {
        let (h, r) = (n / 100, n % 100);
        let head = match h {
            0 => String::new(),
            1 => "cent".to_string(),
            _ => format!("{} cent", UNITS[h as usize]),
        };
        match (head.is_empty(), r) {
            (true, _) => below_hundred(r),
            (false, 0) => head,
            (false, _) => format!("{head} {}", below_hundred(r)),
        }
    }
    match n {
        0..=999 => below_thousand(n),
        1000..=999_999 => {
            let k = n / 1000;
            let head = if k == 1 { "mille".to_string() } else { format!("{} mille", below_thousand(k)) };
            if n.is_multiple_of(1000) { head } else { format!("{head} {}", below_thousand(n % 1000)) }
        }
        _ => digits(&n.to_string(), &UNITS[..10]),
    }
}

/// Spells out the numbers of a French run.
pub fn french_numbers(text: &str) -> String {
    replace_numbers(text, |int, frac, percent| {
        let mut s = match int.parse::<u64>() {
            Ok(n) => french_number(n),
            Err(_) => int.to_string(),
        };
        if let Some(f) = frac {
            s.push_str(" virgule ");
            s.push_str(&f.parse::<u64>().map(french_number).unwrap_or_default());
        }
        if percent {
            s.push_str(" pour cent");
        }
        s
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_is_stripped_and_words_kept() {
        assert_eq!(
            clean("# Title\n- **Bold** and _it_ with `code` and [a link](http://x.y)"),
            "Title Bold and it with code and a link"
        );
        assert_eq!(clean("> quoted ![alt text](i.png)"), "quoted alt text");
    }

    #[test]
    fn emoji_are_dropped() {
        assert_eq!(clean("Hello 👋🏽 world 🚀✨ ❤️ 👨‍👩‍👧"), "Hello world");
    }

    #[test]
    fn english_numbers_are_spelled() {
        assert_eq!(english_numbers("I have 3 cats"), "I have three cats");
        assert_eq!(english_number(1_234_567), "one million two hundred thirty-four thousand five hundred sixty-seven");
        assert_eq!(english_numbers("1,000 and 2.5 and 40%"), "one thousand and two point five and forty percent");
        assert_eq!(english_number(0), "zero");
    }

    #[test]
    fn chinese_numbers_are_read() {
        assert_eq!(chinese_number(10), "十");
        assert_eq!(chinese_number(15), "十五");
        assert_eq!(chinese_number(105), "一百零五");
        assert_eq!(chinese_number(2024), "二千零二十四");
        assert_eq!(chinese_number(10_010), "一万零一十");
        assert_eq!(chinese_number(120_000_000), "一亿二千万");
        assert_eq!(chinese_numbers("增长50%，共3.5吨"), "增长百分之五十，共三点五吨");
    }

    #[test]
    fn spanish_numbers_are_spelled() {
        assert_eq!(spanish_number(21), "veintiuno");
        assert_eq!(spanish_number(145), "ciento cuarenta y cinco");
        assert_eq!(spanish_number(2024), "dos mil veinticuatro");
        assert_eq!(spanish_numbers("el 50%"), "el cincuenta por ciento");
    }

    #[test]
    fn french_numbers_are_spelled() {
        assert_eq!(french_number(71), "soixante et onze");
        assert_eq!(french_number(95), "quatre-vingt-quinze");
        assert_eq!(french_number(2024), "deux mille vingt-quatre");
        assert_eq!(french_numbers("10%"), "dix pour cent");
    }

    #[test]
    fn mixed_lines_split_by_script() {
        let runs = split_runs("我喜欢 Rust 语言 3 次", Script::Han);
        let texts: Vec<(Script, &str)> = runs.iter().map(|r| (r.script, r.text.as_str())).collect();
        assert_eq!(texts, vec![(Script::Han, "我喜欢"), (Script::Latin, "Rust"), (Script::Han, "语言 3 次")]);
        let runs = split_runs("42 is the answer", Script::Latin);
        assert_eq!(runs.len(), 1);
        assert_eq!(runs[0].script, Script::Latin);
    }
}
