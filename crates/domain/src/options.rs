//! What the user asks for: the product description and the video options, validated once here.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};

use crate::{
    DomainError,
    sound::{Captions, MusicChoice, VoiceChoice},
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum AspectRatio {
    #[default]
    #[serde(rename = "9:16")]
    Portrait,
    #[serde(rename = "16:9")]
    Landscape,
    #[serde(rename = "1:1")]
    Square,
}

impl AspectRatio {
    pub const ALL: [AspectRatio; 3] = [Self::Portrait, Self::Landscape, Self::Square];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Portrait => "9:16",
            Self::Landscape => "16:9",
            Self::Square => "1:1",
        }
    }

    /// Output frame size in pixels (width, height).
    pub const fn dimensions(self) -> (u32, u32) {
        match self {
            Self::Portrait => (1080, 1920),
            Self::Landscape => (1920, 1080),
            Self::Square => (1080, 1080),
        }
    }
}

impl FromStr for AspectRatio {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "9:16" => Ok(Self::Portrait),
            "16:9" => Ok(Self::Landscape),
            "1:1" => Ok(Self::Square),
            other => Err(DomainError::invalid(
                "options.aspect_ratio",
                format!("aspect_ratio must be one of 9:16, 16:9, 1:1 (got `{other}`)"),
            )),
        }
    }
}

impl fmt::Display for AspectRatio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Languages the service writes scripts and captions in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    #[default]
    En,
    Zh,
    Es,
    Fr,
    De,
    Ja,
}

impl Language {
    pub const ALL: [Language; 6] = [Self::En, Self::Zh, Self::Es, Self::Fr, Self::De, Self::Ja];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Zh => "zh",
            Self::Es => "es",
            Self::Fr => "fr",
            Self::De => "de",
            Self::Ja => "ja",
        }
    }

    /// Parses a language tag; region subtags are accepted and ignored (`zh-CN` → `zh`).
    pub fn parse_tag(field: &str, s: &str) -> Result<Self, DomainError> {
        let primary = s.trim().split(['-', '_']).next().unwrap_or("").to_ascii_lowercase();
        Self::ALL.into_iter().find(|l| l.as_str() == primary).ok_or_else(|| {
            DomainError::invalid(field, format!("language must be one of en, zh, es, fr, de, ja (got `{}`)", s.trim()))
        })
    }
}

impl FromStr for Language {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse_tag("language", s)
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The look of the video: pacing, transitions and caption treatment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Style {
    /// Calm crossfades, captions on a soft backing.
    #[default]
    Clean,
    /// Quicker cuts with slide transitions.
    Bold,
    /// Dips through black, slower moves.
    Elegant,
}

impl Style {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Clean => "clean",
            Self::Bold => "bold",
            Self::Elegant => "elegant",
        }
    }
}

impl FromStr for Style {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "clean" => Ok(Self::Clean),
            "bold" => Ok(Self::Bold),
            "elegant" => Ok(Self::Elegant),
            other => Err(DomainError::invalid(
                "options.style",
                format!("style must be one of clean, bold, elegant (got `{other}`)"),
            )),
        }
    }
}

pub const MIN_DURATION_S: u32 = 5;
pub const MAX_DURATION_S: u32 = 60;
pub const DEFAULT_DURATION_S: u32 = 15;

/// Validated video options.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct VideoOptions {
    pub aspect_ratio: AspectRatio,
    pub duration_s: u32,
    pub language: Language,
    pub style: Style,
    /// The narrator (`auto`: the language's default voice). Left out of the stored JSON when
    /// `auto`, so the options of jobs made before narration read and hash as they did.
    #[serde(default, skip_serializing_if = "is_default")]
    pub voice: VoiceChoice,
    /// The background music (`auto`: the style's track).
    #[serde(default, skip_serializing_if = "is_default")]
    pub music: MusicChoice,
    #[serde(default, skip_serializing_if = "is_default")]
    pub captions: Captions,
}

fn is_default<T: Default + PartialEq>(v: &T) -> bool {
    *v == T::default()
}

impl VideoOptions {
    /// Parses the `options` JSON of a submission. Missing fields take defaults (the language
    /// defaults to the account's); unknown fields are refused so that typos do not pass silently.
    pub fn parse_json(raw: &str, default_language: Language) -> Result<Self, DomainError> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Ok(Self { language: default_language, ..Self::default_with_duration() });
        }
        let value: serde_json::Value = serde_json::from_str(raw).map_err(|e| {
            DomainError::new(crate::ErrorCode::MalformedRequest, format!("options is not valid JSON: {e}"))
        })?;
        Self::from_value(&value, default_language)
    }

    pub fn from_value(value: &serde_json::Value, default_language: Language) -> Result<Self, DomainError> {
        let obj = value.as_object().ok_or_else(|| DomainError::invalid("options", "options must be a JSON object"))?;
        let mut out = Self { language: default_language, ..Self::default_with_duration() };
        for (key, v) in obj {
            let field = format!("options.{key}");
            let as_str = || v.as_str().ok_or_else(|| DomainError::invalid(&field, format!("{key} must be a string")));
            match key.as_str() {
                "aspect_ratio" => out.aspect_ratio = as_str()?.parse()?,
                "language" => out.language = Language::parse_tag("options.language", as_str()?)?,
                "style" => out.style = as_str()?.parse()?,
                "voice" => out.voice = as_str()?.parse()?,
                "music" => out.music = as_str()?.parse()?,
                "captions" => out.captions = as_str()?.parse()?,
                "duration_s" => {
                    let d = v
                        .as_u64()
                        .filter(|d| (MIN_DURATION_S as u64..=MAX_DURATION_S as u64).contains(d))
                        .ok_or_else(|| {
                            DomainError::invalid(
                                &field,
                                format!("duration_s must be a whole number of seconds from {MIN_DURATION_S} to {MAX_DURATION_S}"),
                            )
                        })?;
                    out.duration_s = d as u32;
                }
                // Not a video option but the job's (see [`JobOptions`]): checked, then left to it.
                "review" => {
                    if !v.is_boolean() {
                        return Err(DomainError::invalid(&field, "review must be true or false"));
                    }
                }
                other => return Err(DomainError::invalid(&field, format!("unknown option `{other}`"))),
            }
        }
        if let VoiceChoice::Voice(v) = out.voice
            && v.language() != out.language
        {
            return Err(DomainError::invalid(
                "options.voice",
                format!(
                    "voice `{}` speaks {}, but the video is in {} (pick a voice of that language from GET /api/v1/voices)",
                    v.id(),
                    v.language(),
                    out.language
                ),
            ));
        }
        Ok(out)
    }

    fn default_with_duration() -> Self {
        Self { duration_s: DEFAULT_DURATION_S, ..Self::default() }
    }
}

/// What a submission asks for: the video options, and whether the job stops for its owner's
/// review after script and enhance. Stored as one JSON object (the video options' fields plus
/// `review` when it is set), so a job without review stores exactly what it stored before.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct JobOptions {
    #[serde(flatten)]
    pub video: VideoOptions,
    /// Stop in `awaiting_review` before render; the render is paid for when it is requested.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub review: bool,
}

impl JobOptions {
    /// Parses the `options` JSON of a submission, as [`VideoOptions::parse_json`] does, plus the
    /// optional `review` flag.
    pub fn parse_json(raw: &str, default_language: Language) -> Result<Self, DomainError> {
        let video = VideoOptions::parse_json(raw, default_language)?;
        Ok(Self { video, review: Self::review_of(raw) })
    }

    /// Whether stored (already validated) options ask for review; anything unreadable does not.
    pub fn review_of(options_json: &str) -> bool {
        serde_json::from_str::<serde_json::Value>(options_json)
            .ok()
            .and_then(|v| v.get("review").and_then(serde_json::Value::as_bool))
            .unwrap_or(false)
    }
}

pub const MAX_DESCRIPTION_CHARS: usize = 500;

/// The one-line product description: trimmed, non-empty, bounded, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Description(String);

impl Description {
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let s = s.trim();
        if s.is_empty() {
            return Err(DomainError::invalid("description", "description is required"));
        }
        if s.chars().count() > MAX_DESCRIPTION_CHARS {
            return Err(DomainError::invalid(
                "description",
                format!("description is longer than {MAX_DESCRIPTION_CHARS} characters"),
            ));
        }
        if s.chars().any(|c| c.is_control() && c != '\n') {
            return Err(DomainError::invalid("description", "description contains control characters"));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_defaults_and_validation() {
        let o = VideoOptions::parse_json("", Language::Zh).unwrap();
        assert_eq!(o.language, Language::Zh);
        assert_eq!(o.duration_s, DEFAULT_DURATION_S);
        let o = VideoOptions::parse_json(
            r#"{"aspect_ratio":"16:9","duration_s":5,"language":"zh-CN","style":"bold"}"#,
            Language::En,
        )
        .unwrap();
        assert_eq!(o.aspect_ratio.dimensions(), (1920, 1080));
        assert_eq!(o.language, Language::Zh);
        assert_eq!(o.style, Style::Bold);
        for bad in [
            r#"{"aspect_ratio":"4:3"}"#,
            r#"{"duration_s":4}"#,
            r#"{"duration_s":61}"#,
            r#"{"duration_s":"10"}"#,
            r#"{"duration_s":7.5}"#,
            r#"{"language":"xx"}"#,
            r#"{"colour":"red"}"#,
            r#"{"review":"yes"}"#,
            r#"{"review":1}"#,
            r#"{"voice":"af_nobody"}"#,
            r#"{"voice":"zf_xiaoxiao","language":"en"}"#,
            r#"{"voice":"af_heart","language":"de"}"#,
            r#"{"music":"polka"}"#,
            r#"{"music":3}"#,
            r#"{"captions":"karaoke"}"#,
            r#"[1,2]"#,
        ] {
            let e = VideoOptions::parse_json(bad, Language::En).unwrap_err();
            assert_eq!(e.code, crate::ErrorCode::Validation, "{bad}");
        }
        assert_eq!(
            VideoOptions::parse_json("{oops", Language::En).unwrap_err().code,
            crate::ErrorCode::MalformedRequest
        );
    }

    #[test]
    fn narration_options_parse_and_are_stored_only_when_set() {
        use crate::sound::{MusicTrack, Voice};
        let o = VideoOptions::parse_json(
            r#"{"language":"zh","voice":"zm_yunjian","music":"none","captions":"none"}"#,
            Language::En,
        )
        .unwrap();
        assert_eq!(o.voice, VoiceChoice::Voice(Voice::ZhYunjian));
        assert_eq!(o.music, MusicChoice::None);
        assert_eq!(o.captions, Captions::None);
        let stored = serde_json::to_string(&o).unwrap();
        assert_eq!(VideoOptions::parse_json(&stored, Language::En).unwrap(), o);
        let m = VideoOptions::parse_json(r#"{"music":"happy-electronic","voice":"none"}"#, Language::En).unwrap();
        assert_eq!(m.music, MusicChoice::Track(MusicTrack::HappyElectronic));
        assert_eq!(m.voice, VoiceChoice::None);
        // Defaults are not written: a job without these options stores what it stored before.
        let plain = VideoOptions::parse_json(r#"{"duration_s":5}"#, Language::En).unwrap();
        let json = serde_json::to_string(&plain).unwrap();
        assert!(!json.contains("voice") && !json.contains("music") && !json.contains("captions"), "{json}");
        // The voice's language is checked against the language the job ends up with.
        assert!(VideoOptions::parse_json(r#"{"voice":"zf_xiaoxiao"}"#, Language::Zh).is_ok());
        assert!(VideoOptions::parse_json(r#"{"voice":"zf_xiaoxiao"}"#, Language::En).is_err());
    }

    #[test]
    fn review_is_a_flag_of_the_job_stored_only_when_set() {
        let plain = JobOptions::parse_json(r#"{"duration_s":5}"#, Language::En).unwrap();
        assert!(!plain.review);
        // Without review the stored JSON is what the video options alone serialise to (so the
        // request hashes of idempotent submissions do not change).
        assert_eq!(serde_json::to_string(&plain).unwrap(), serde_json::to_string(&plain.video).unwrap());
        let r = JobOptions::parse_json(r#"{"duration_s":5,"review":true,"style":"bold"}"#, Language::En).unwrap();
        assert!(r.review);
        assert_eq!(r.video.style, Style::Bold);
        let stored = serde_json::to_string(&r).unwrap();
        assert!(JobOptions::review_of(&stored), "{stored}");
        assert!(!JobOptions::review_of(&serde_json::to_string(&plain).unwrap()));
        assert!(!JobOptions::review_of("not json"));
        // The stored options still read back as video options (the workers do this).
        assert_eq!(VideoOptions::parse_json(&stored, Language::En).unwrap(), r.video);
        assert_eq!(serde_json::from_str::<JobOptions>(&stored).unwrap(), r);
        assert!(!JobOptions::parse_json(r#"{"review":false}"#, Language::En).unwrap().review);
        assert!(!JobOptions::parse_json("", Language::En).unwrap().review);
    }

    #[test]
    fn description_rules() {
        assert_eq!(Description::parse("  A mug  ").unwrap().as_str(), "A mug");
        assert!(Description::parse("   ").is_err());
        assert!(Description::parse(&"x".repeat(501)).is_err());
        assert!(Description::parse("bad\u{0007}").is_err());
    }
}
