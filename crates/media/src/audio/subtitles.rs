//! Subtitle files from phrase timings: WebVTT (browsers' `<track>`) and SRT (editors, players),
//! both written and parsed. Cue text is plain: Markdown emphasis and links are reduced to their
//! words, markup characters are escaped for WebVTT, and any Unicode (emoji, CJK, numbers) goes
//! through unchanged.

use std::fmt::Write;

/// One caption: its text and when it shows, in milliseconds from the start of the video.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cue {
    pub start_ms: u64,
    pub end_ms: u64,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubtitleError {
    #[error("line {line}: {why}")]
    Parse { line: usize, why: String },
    #[error("not a WebVTT file (no WEBVTT header)")]
    NoHeader,
}

/// The spoken text as a caption: Markdown markers (`**`, `__`, `*`, `_` around words, `#`
/// headings, backticks, `[text](url)` links) reduced to their words, whitespace folded.
pub fn plain_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(open) = rest.find('[') {
        let (before, after) = rest.split_at(open);
        out.push_str(before);
        match after.find("](").and_then(|close| after[close..].find(')').map(|end| (close, close + end))) {
            Some((close, end)) => {
                out.push_str(&after[1..close]);
                rest = &after[end + 1..];
            }
            None => {
                out.push('[');
                rest = &after[1..];
            }
        }
    }
    out.push_str(rest);
    let stripped: String = out
        .split_whitespace()
        .map(|w| {
            let w = w.trim_start_matches('#');
            let trimmed = w.trim_matches(|c| matches!(c, '*' | '_' | '`' | '~'));
            // A word that is all markers (a lone `*`) stays as it was.
            if trimmed.is_empty() { w } else { trimmed }
        })
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    stripped
}

fn timestamp(ms: u64, sep: char) -> String {
    format!("{:02}:{:02}:{:02}{sep}{:03}", ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000)
}

/// Escapes the characters WebVTT cue text reserves.
fn vtt_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

fn vtt_unescape(s: &str) -> String {
    s.replace("&lt;", "<").replace("&gt;", ">").replace("&nbsp;", "\u{a0}").replace("&amp;", "&")
}

/// A cue's text on lines that cannot end it early: blank lines would, and `-->` would be read
/// as timing; both are removed.
fn cue_lines(text: &str) -> String {
    text.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join("\n").replace("-->", "→")
}

pub fn to_webvtt(cues: &[Cue]) -> String {
    let mut out = String::from("WEBVTT\n\n");
    for (i, c) in cues.iter().enumerate() {
        let _ = write!(
            out,
            "{}\n{} --> {}\n{}\n\n",
            i + 1,
            timestamp(c.start_ms, '.'),
            timestamp(c.end_ms, '.'),
            vtt_escape(&cue_lines(&c.text))
        );
    }
    out
}

pub fn to_srt(cues: &[Cue]) -> String {
    let mut out = String::new();
    for (i, c) in cues.iter().enumerate() {
        let _ = write!(
            out,
            "{}\n{} --> {}\n{}\n\n",
            i + 1,
            timestamp(c.start_ms, ','),
            timestamp(c.end_ms, ','),
            cue_lines(&c.text)
        );
    }
    out
}

/// `hh:mm:ss.mmm` or `mm:ss.mmm` (`,` in SRT).
fn parse_timestamp(s: &str) -> Option<u64> {
    let s = s.trim();
    let (hms, frac) = s.rsplit_once(['.', ','])?;
    if frac.len() != 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let parts: Vec<u64> = hms.split(':').map(|p| p.parse().ok()).collect::<Option<_>>()?;
    let (h, m, sec) = match parts[..] {
        [h, m, s] => (h, m, s),
        [m, s] => (0, m, s),
        _ => return None,
    };
    if m >= 60 || sec >= 60 {
        return None;
    }
    Some(((h * 60 + m) * 60 + sec) * 1000 + frac.parse::<u64>().ok()?)
}

/// Parses cue blocks (shared by both formats): an optional identifier line, a timing line,
/// text lines up to a blank line.
fn parse_blocks(body: &str, first_line: usize, vtt: bool) -> Result<Vec<Cue>, SubtitleError> {
    let mut cues = Vec::new();
    let lines: Vec<&str> = body.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        if lines[i].trim().is_empty() {
            i += 1;
            continue;
        }
        let block_start = i;
        let mut end = i;
        while end < lines.len() && !lines[end].trim().is_empty() {
            end += 1;
        }
        let block = &lines[block_start..end];
        i = end;
        // WebVTT NOTE and STYLE blocks carry no cue.
        if vtt && (block[0].starts_with("NOTE") || block[0].starts_with("STYLE") || block[0].starts_with("REGION")) {
            continue;
        }
        let timing_at = block.iter().position(|l| l.contains("-->")).ok_or_else(|| SubtitleError::Parse {
            line: first_line + block_start + 1,
            why: "a cue without a timing line".into(),
        })?;
        let line = first_line + block_start + timing_at + 1;
        let (a, b) =
            block[timing_at].split_once("-->").ok_or_else(|| SubtitleError::Parse { line, why: "no -->".into() })?;
        // WebVTT cue settings follow the end time.
        let b = b.split_whitespace().next().unwrap_or("");
        let start_ms =
            parse_timestamp(a).ok_or_else(|| SubtitleError::Parse { line, why: format!("bad time {a:?}") })?;
        let end_ms = parse_timestamp(b).ok_or_else(|| SubtitleError::Parse { line, why: format!("bad time {b:?}") })?;
        if end_ms < start_ms {
            return Err(SubtitleError::Parse { line, why: "the cue ends before it starts".into() });
        }
        let text = block[timing_at + 1..].join("\n");
        let text = if vtt { vtt_unescape(&text) } else { text };
        cues.push(Cue { start_ms, end_ms, text });
    }
    Ok(cues)
}

pub fn parse_webvtt(s: &str) -> Result<Vec<Cue>, SubtitleError> {
    let s = s.strip_prefix('\u{feff}').unwrap_or(s);
    let first = s.lines().next().unwrap_or("");
    if !(first == "WEBVTT" || first.starts_with("WEBVTT ") || first.starts_with("WEBVTT\t")) {
        return Err(SubtitleError::NoHeader);
    }
    // The header block runs to the first blank line.
    let header_end = s.find("\n\n").map_or(s.len(), |i| i + 2);
    let skipped = s[..header_end].lines().count();
    parse_blocks(&s[header_end..], skipped, true)
}

pub fn parse_srt(s: &str) -> Result<Vec<Cue>, SubtitleError> {
    let s = s.strip_prefix('\u{feff}').unwrap_or(s);
    parse_blocks(&s.replace("\r\n", "\n"), 0, false)
}
