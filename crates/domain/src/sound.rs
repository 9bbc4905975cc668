//! What a video says and plays: the narrator's voice, the background music and the captions.
//! The catalogues are closed enums, so an id a client sends is either one we offer or a 422 at
//! submission, before anything is charged; the engines map each variant to their own files.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::{DomainError, Language};

/// The narrator's gender, as the catalogue lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Gender {
    Female,
    Male,
}

macro_rules! voices {
    ($($variant:ident => $id:literal, $lang:ident, $gender:ident, $name:literal;)+) => {
        /// A narrator's voice (the local engine's Kokoro voices, by their ids).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Voice { $($variant),+ }

        impl Voice {
            pub const ALL: &'static [Voice] = &[$(Self::$variant),+];

            pub const fn id(self) -> &'static str {
                match self { $(Self::$variant => $id),+ }
            }

            pub const fn language(self) -> Language {
                match self { $(Self::$variant => Language::$lang),+ }
            }

            pub const fn gender(self) -> Gender {
                match self { $(Self::$variant => Gender::$gender),+ }
            }

            /// A display name.
            pub const fn name(self) -> &'static str {
                match self { $(Self::$variant => $name),+ }
            }
        }
    };
}

voices! {
    EnHeart => "af_heart", En, Female, "Heart";
    EnMichael => "am_michael", En, Male, "Michael";
    ZhXiaoxiao => "zf_xiaoxiao", Zh, Female, "Xiaoxiao";
    ZhYunjian => "zm_yunjian", Zh, Male, "Yunjian";
    EsDora => "ef_dora", Es, Female, "Dora";
    EsAlex => "em_alex", Es, Male, "Alex";
    FrSiwis => "ff_siwis", Fr, Female, "Siwis";
}

impl Voice {
    /// The voice a job in `language` gets when it names none: the first of the language, or
    /// none where the local engine has no voice for it (German: no voice with a usable licence;
    /// Japanese: voices exist, but reading kanji needs a dictionary we do not ship yet).
    pub fn default_for(language: Language) -> Option<Voice> {
        Self::ALL.iter().copied().find(|v| v.language() == language)
    }

    /// The catalogue voice with this id.
    pub fn by_id(id: &str) -> Option<Voice> {
        Self::ALL.iter().copied().find(|v| v.id() == id)
    }

    /// The voices of a language.
    pub fn of(language: Language) -> impl Iterator<Item = Voice> {
        Self::ALL.iter().copied().filter(move |v| v.language() == language)
    }
}

/// The `voice` option: the language's default voice, no narration, or a named voice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum VoiceChoice {
    #[default]
    Auto,
    None,
    Voice(Voice),
}

impl VoiceChoice {
    /// The voice that speaks a job in `language`, if any.
    pub fn resolve(self, language: Language) -> Option<Voice> {
        match self {
            Self::Auto => Voice::default_for(language),
            Self::None => None,
            Self::Voice(v) => Some(v),
        }
    }
}

macro_rules! tracks {
    ($($variant:ident => $id:literal;)+) => {
        /// A track of the bundled music library (the files and licences live with the engine).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum MusicTrack { $($variant),+ }

        impl MusicTrack {
            pub const ALL: &'static [MusicTrack] = &[$(Self::$variant),+];

            pub const fn id(self) -> &'static str {
                match self { $(Self::$variant => $id),+ }
            }
        }
    };
}

tracks! {
    CalmAcoustic => "calm-acoustic";
    HappyAcoustic => "happy-acoustic";
    EnergeticElectronic => "energetic-electronic";
    HappyElectronic => "happy-electronic";
    TenderAcoustic => "tender-acoustic";
    NostalgicAcoustic => "nostalgic-acoustic";
}

impl MusicTrack {
    /// The track a style plays when the job names none.
    pub const fn default_for(style: crate::Style) -> MusicTrack {
        match style {
            crate::Style::Clean => Self::CalmAcoustic,
            crate::Style::Bold => Self::EnergeticElectronic,
            crate::Style::Elegant => Self::TenderAcoustic,
        }
    }
}

/// The `music` option: the style's track, none, or a named track.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum MusicChoice {
    #[default]
    Auto,
    None,
    Track(MusicTrack),
}

impl MusicChoice {
    pub fn resolve(self, style: crate::Style) -> Option<MusicTrack> {
        match self {
            Self::Auto => Some(MusicTrack::default_for(style)),
            Self::None => None,
            Self::Track(t) => Some(t),
        }
    }
}

/// The `captions` option.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Captions {
    /// Drawn into the picture, timed to the speech.
    #[default]
    Burned,
    None,
}

impl Captions {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Burned => "burned",
            Self::None => "none",
        }
    }
}

impl FromStr for Captions {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, DomainError> {
        match s.trim() {
            "burned" => Ok(Self::Burned),
            "none" => Ok(Self::None),
            other => Err(DomainError::invalid(
                "options.captions",
                format!("captions must be `burned` or `none` (got `{other}`)"),
            )),
        }
    }
}

impl fmt::Display for VoiceChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Auto => "auto",
            Self::None => "none",
            Self::Voice(v) => v.id(),
        })
    }
}

impl FromStr for VoiceChoice {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, DomainError> {
        match s.trim() {
            "auto" => Ok(Self::Auto),
            "none" => Ok(Self::None),
            id => Voice::by_id(id).map(Self::Voice).ok_or_else(|| {
                DomainError::invalid(
                    "options.voice",
                    format!("voice must be `none` or an id from GET /api/v1/voices (got `{id}`)"),
                )
            }),
        }
    }
}

impl fmt::Display for MusicChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Auto => "auto",
            Self::None => "none",
            Self::Track(t) => t.id(),
        })
    }
}

impl FromStr for MusicChoice {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, DomainError> {
        match s.trim() {
            "auto" => Ok(Self::Auto),
            "none" => Ok(Self::None),
            id => MusicTrack::ALL.iter().find(|t| t.id() == id).map(|&t| Self::Track(t)).ok_or_else(|| {
                DomainError::invalid(
                    "options.music",
                    format!("music must be `none` or a track id from GET /api/v1/music (got `{id}`)"),
                )
            }),
        }
    }
}

/// Serialised as their id strings (`"auto"`, `"none"`, or the catalogue id).
macro_rules! string_serde {
    ($t:ty) => {
        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(|e: DomainError| serde::de::Error::custom(e.message))
            }
        }
    };
}
string_serde!(VoiceChoice);
string_serde!(MusicChoice);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_and_chinese_have_a_female_and_a_male_voice() {
        for lang in [Language::En, Language::Zh] {
            let genders: Vec<_> = Voice::of(lang).map(Voice::gender).collect();
            assert!(genders.contains(&Gender::Female) && genders.contains(&Gender::Male), "{lang}");
        }
        assert_eq!(Voice::default_for(Language::Zh), Some(Voice::ZhXiaoxiao));
        assert_eq!(Voice::default_for(Language::De), None);
    }

    #[test]
    fn choices_round_trip_through_their_ids() {
        for v in Voice::ALL {
            assert_eq!(v.id().parse::<VoiceChoice>().unwrap(), VoiceChoice::Voice(*v));
        }
        for t in MusicTrack::ALL {
            assert_eq!(t.id().parse::<MusicChoice>().unwrap(), MusicChoice::Track(*t));
        }
        assert_eq!("none".parse::<VoiceChoice>().unwrap(), VoiceChoice::None);
        assert_eq!("none".parse::<MusicChoice>().unwrap(), MusicChoice::None);
        assert_eq!("none".parse::<Captions>().unwrap(), Captions::None);
        let json = serde_json::to_string(&VoiceChoice::Voice(Voice::EnMichael)).unwrap();
        assert_eq!(json, r#""am_michael""#);
        assert_eq!(serde_json::from_str::<VoiceChoice>(&json).unwrap(), VoiceChoice::Voice(Voice::EnMichael));
        assert!(serde_json::from_str::<VoiceChoice>(r#""af_nobody""#).is_err());
        assert!("la-la".parse::<MusicChoice>().is_err());
        assert!("subtitles".parse::<Captions>().is_err());
    }

    #[test]
    fn auto_resolves_by_language_and_style() {
        assert_eq!(VoiceChoice::Auto.resolve(Language::En), Some(Voice::EnHeart));
        assert_eq!(VoiceChoice::None.resolve(Language::En), None);
        assert_eq!(MusicChoice::Auto.resolve(crate::Style::Bold), Some(MusicTrack::EnergeticElectronic));
        assert_eq!(MusicChoice::None.resolve(crate::Style::Bold), None);
    }
}
