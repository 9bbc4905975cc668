//! Object keys: `u/{user_id}/j/{job_id}/{original|enhanced|script|narration|video|subtitles}/{n}.{ext}`.
//! Deterministic, so that a retried stage overwrites its own objects instead of adding more.

use glimvid_domain::{JobId, UserId};

pub fn job_prefix(user_id: UserId, job_id: JobId) -> String {
    format!("u/{user_id}/j/{job_id}/")
}

pub fn user_prefix(user_id: UserId) -> String {
    format!("u/{user_id}/")
}

pub fn object(user_id: UserId, job_id: JobId, kind: &str, n: usize, ext: &str) -> String {
    format!("u/{user_id}/j/{job_id}/{kind}/{n}.{ext}")
}

/// The extension for a content type we store.
pub fn ext_for(content_type: &str) -> &'static str {
    match content_type {
        "image/jpeg" => "jpg",
        "image/png" => "png",
        "image/webp" => "webp",
        "video/mp4" => "mp4",
        "application/json" => "json",
        "audio/wav" => "wav",
        _ => "bin",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout() {
        let u = UserId::from(uuid::Uuid::nil());
        let j = JobId::from(uuid::Uuid::max());
        let k = object(u, j, "video", 0, "mp4");
        assert_eq!(k, format!("u/{u}/j/{j}/video/0.mp4"));
        assert!(k.starts_with(&job_prefix(u, j)));
        assert!(k.starts_with(&user_prefix(u)));
    }
}
