//! The script model: what a writer (DeepSeek or the offline writer) must produce, and the rules
//! that make it usable by the renderer.

use serde::{Deserialize, Serialize};

use crate::DomainError;

pub const MIN_SCENES: usize = 3;
pub const MAX_SCENES: usize = 6;
pub const MAX_TITLE_CHARS: usize = 80;
pub const MAX_CAPTION_CHARS: usize = 90;
pub const MAX_LINE_CHARS: usize = 300;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scene {
    /// Text burned into the frame.
    pub caption: String,
    /// The line a narrator would read.
    pub voiceover: String,
    /// Which uploaded photo (0-based) the scene shows.
    pub photo_index: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Script {
    pub title: String,
    pub hook: String,
    pub scenes: Vec<Scene>,
    pub call_to_action: String,
}

impl Script {
    /// Reads a script a person wrote (an edit before render): JSON with exactly the fields of
    /// [`Script`] (an unknown field is refused, so a typo does not vanish silently), then the
    /// renderer's rules for a job of `photo_count` photos.
    pub fn parse_json(raw: &[u8], photo_count: usize) -> Result<Self, DomainError> {
        let value: serde_json::Value = serde_json::from_slice(raw).map_err(|e| {
            DomainError::new(crate::ErrorCode::MalformedRequest, format!("the script is not valid JSON: {e}"))
        })?;
        let unknown = |obj: &serde_json::Map<String, serde_json::Value>, known: &[&str], at: &str| {
            obj.keys().find(|k| !known.contains(&k.as_str())).map(|k| {
                let field = if at.is_empty() { k.clone() } else { format!("{at}.{k}") };
                DomainError::invalid(&field, format!("unknown field `{k}`"))
            })
        };
        let obj =
            value.as_object().ok_or_else(|| DomainError::invalid("script", "the script must be a JSON object"))?;
        if let Some(e) = unknown(obj, &["title", "hook", "scenes", "call_to_action"], "") {
            return Err(e);
        }
        if let Some(scenes) = obj.get("scenes").and_then(serde_json::Value::as_array) {
            for (i, scene) in scenes.iter().enumerate() {
                if let Some(e) = scene
                    .as_object()
                    .and_then(|o| unknown(o, &["caption", "voiceover", "photo_index"], &format!("scenes[{i}]")))
                {
                    return Err(e);
                }
            }
        }
        let script: Self = serde_json::from_value(value)
            .map_err(|e| DomainError::invalid("script", format!("the script does not fit: {e}")))?;
        script.validate(photo_count)?;
        Ok(script)
    }

    /// Checks the script against the rules the renderer relies on.
    pub fn validate(&self, photo_count: usize) -> Result<(), DomainError> {
        fn text(field: &str, s: &str, max: usize) -> Result<(), DomainError> {
            let n = s.trim().chars().count();
            if n == 0 {
                return Err(DomainError::invalid(field, format!("{field} is empty")));
            }
            if n > max {
                return Err(DomainError::invalid(field, format!("{field} is longer than {max} characters")));
            }
            Ok(())
        }
        text("title", &self.title, MAX_TITLE_CHARS)?;
        text("hook", &self.hook, MAX_LINE_CHARS)?;
        text("call_to_action", &self.call_to_action, MAX_CAPTION_CHARS)?;
        if !(MIN_SCENES..=MAX_SCENES).contains(&self.scenes.len()) {
            return Err(DomainError::invalid(
                "scenes",
                format!("a script has {MIN_SCENES} to {MAX_SCENES} scenes (got {})", self.scenes.len()),
            ));
        }
        for (i, s) in self.scenes.iter().enumerate() {
            text(&format!("scenes[{i}].caption"), &s.caption, MAX_CAPTION_CHARS)?;
            text(&format!("scenes[{i}].voiceover"), &s.voiceover, MAX_LINE_CHARS)?;
            if s.photo_index as usize >= photo_count.max(1) {
                return Err(DomainError::invalid(
                    format!("scenes[{i}].photo_index"),
                    format!("photo_index {} is out of range for {photo_count} photos", s.photo_index),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(n: usize) -> Script {
        Script {
            title: "T".into(),
            hook: "H".into(),
            scenes: (0..n)
                .map(|i| Scene { caption: format!("c{i}"), voiceover: format!("v{i}"), photo_index: 0 })
                .collect(),
            call_to_action: "Buy".into(),
        }
    }

    #[test]
    fn scene_count_and_photo_index_are_checked() {
        assert!(sample(3).validate(1).is_ok());
        assert!(sample(2).validate(1).is_err());
        assert!(sample(7).validate(1).is_err());
        let mut s = sample(3);
        s.scenes[1].photo_index = 2;
        assert_eq!(s.validate(2).unwrap_err().field.as_deref(), Some("scenes[1].photo_index"));
        s.scenes[1].caption = " ".into();
        assert!(s.validate(3).is_err());
    }

    #[test]
    fn an_edited_script_is_read_strictly() {
        let good = serde_json::to_vec(&sample(3)).unwrap();
        assert_eq!(Script::parse_json(&good, 1).unwrap(), sample(3));
        let code = |raw: &str| Script::parse_json(raw.as_bytes(), 1).unwrap_err();
        assert_eq!(code("{not json").code, crate::ErrorCode::MalformedRequest);
        assert_eq!(code("[]").code, crate::ErrorCode::Validation);
        let mut v = serde_json::to_value(sample(3)).unwrap();
        v["colour"] = "red".into();
        assert_eq!(code(&v.to_string()).field.as_deref(), Some("colour"));
        let mut v = serde_json::to_value(sample(3)).unwrap();
        v["scenes"][2]["music"] = "loud".into();
        assert_eq!(code(&v.to_string()).field.as_deref(), Some("scenes[2].music"));
        let mut v = serde_json::to_value(sample(3)).unwrap();
        v.as_object_mut().unwrap().remove("hook");
        assert_eq!(code(&v.to_string()).code, crate::ErrorCode::Validation);
        // The renderer's rules apply too: a scene must show one of the job's photos.
        let mut v = serde_json::to_value(sample(3)).unwrap();
        v["scenes"][0]["photo_index"] = 1.into();
        assert_eq!(code(&v.to_string()).field.as_deref(), Some("scenes[0].photo_index"));
        assert!(Script::parse_json(v.to_string().as_bytes(), 2).is_ok());
    }
}
