//! The object store port. Keys look like `u/{user}/j/{job}/{kind}/{n}.{ext}`; values are opaque
//! bytes. Two adapters: the local filesystem (embedded mode) and S3 (distributed mode).

pub mod conformance;
pub mod fs;
pub mod s3;

use std::{ops::Range, path::Path, pin::Pin};

use async_trait::async_trait;
use bytes::Bytes;
use futures::Stream;

pub use fs::FsStore;
pub use s3::{S3Settings, S3Store};

#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("object not found")]
    NotFound,
    #[error("invalid object key `{0}`")]
    InvalidKey(String),
    #[error("range not satisfiable")]
    BadRange,
    #[error("object store unavailable: {0}")]
    Unavailable(String),
}

pub type ByteStream = Pin<Box<dyn Stream<Item = Result<Bytes, BlobError>> + Send>>;

/// A (possibly partial) read: `range` of an object of `total` bytes, streamed.
pub struct BlobRead {
    pub total: u64,
    pub range: Range<u64>,
    pub body: ByteStream,
}

#[async_trait]
pub trait BlobStore: Send + Sync {
    /// `fs` or `s3`.
    fn kind(&self) -> &'static str;
    async fn put(&self, key: &str, data: Bytes, content_type: &str) -> Result<(), BlobError>;
    /// Stores a local file without reading it whole into memory (videos).
    async fn put_file(&self, key: &str, path: &Path, content_type: &str) -> Result<(), BlobError>;
    async fn get(&self, key: &str) -> Result<Bytes, BlobError>;
    /// Streams `range` (start, optional inclusive end) or the whole object.
    async fn read(&self, key: &str, range: Option<(u64, Option<u64>)>) -> Result<BlobRead, BlobError>;
    /// Size of the object, or `None` if absent.
    async fn size(&self, key: &str) -> Result<Option<u64>, BlobError>;
    /// Deleting an absent object is not an error.
    async fn delete(&self, key: &str) -> Result<(), BlobError>;
    /// Keys under `prefix`, sorted.
    async fn list(&self, prefix: &str) -> Result<Vec<String>, BlobError>;
    async fn ping(&self) -> Result<(), BlobError>;

    /// Deletes every object under `prefix`; returns how many.
    async fn delete_prefix(&self, prefix: &str) -> Result<usize, BlobError> {
        let keys = self.list(prefix).await?;
        for k in &keys {
            self.delete(k).await?;
        }
        Ok(keys.len())
    }
}

/// Keys are relative paths of safe characters: no `..`, no leading `/`, no empty segment.
pub fn validate_key(key: &str) -> Result<(), BlobError> {
    let ok = !key.is_empty()
        && key.len() <= 512
        && key.split('/').all(|seg| !seg.is_empty() && seg != "." && seg != "..")
        && key.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'_' | b'.'));
    if ok { Ok(()) } else { Err(BlobError::InvalidKey(key.to_owned())) }
}

/// Resolves a requested range against the object size (HTTP Range semantics, end inclusive).
pub fn resolve_range(total: u64, range: Option<(u64, Option<u64>)>) -> Result<Range<u64>, BlobError> {
    match range {
        None => Ok(0..total),
        Some((start, end)) => {
            if start >= total {
                return Err(BlobError::BadRange);
            }
            let end = end.map(|e| e.min(total - 1)).unwrap_or(total - 1);
            if end < start {
                return Err(BlobError::BadRange);
            }
            Ok(start..end + 1)
        }
    }
}

/// Reads a whole stream into memory (small objects and tests).
pub async fn collect(mut body: ByteStream) -> Result<Vec<u8>, BlobError> {
    use futures::StreamExt;
    let mut out = Vec::new();
    while let Some(chunk) = body.next().await {
        out.extend_from_slice(&chunk?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_validated() {
        assert!(validate_key("u/1/j/2/video/0.mp4").is_ok());
        for bad in ["", "/abs", "a/../b", "a//b", "a/./b", "sp ace", "a\\b"] {
            assert!(validate_key(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ranges_resolve_like_http() {
        assert_eq!(resolve_range(10, None).unwrap(), 0..10);
        assert_eq!(resolve_range(10, Some((2, Some(4)))).unwrap(), 2..5);
        assert_eq!(resolve_range(10, Some((2, None))).unwrap(), 2..10);
        assert_eq!(resolve_range(10, Some((2, Some(99)))).unwrap(), 2..10);
        assert!(resolve_range(10, Some((10, None))).is_err());
        assert!(resolve_range(10, Some((5, Some(4)))).is_err());
    }
}
