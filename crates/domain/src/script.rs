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
}
