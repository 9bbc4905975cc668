//! Glimvid's domain: identifiers, the job and stage state machine, the script model, video
//! options and their validation, credit rules and error kinds. No I/O and no framework here, so
//! every adapter and service agrees on the same rules.

pub mod credits;
pub mod error;
pub mod ids;
pub mod job;
pub mod options;
pub mod script;
pub mod sound;

pub use error::{DomainError, ErrorCode};
pub use ids::{ApiKeyId, JobId, PublicId, UserId, WebhookId};
pub use job::{JobStatus, Stage, StageStatus};
pub use options::{AspectRatio, Description, Language, Style, VideoOptions};
pub use script::{Scene, Script};
pub use sound::{Captions, Gender, MusicChoice, MusicTrack, Voice, VoiceChoice};
