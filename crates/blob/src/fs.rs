//! The filesystem adapter: one file per key under a root folder. Writes go to a temporary file
//! that is renamed into place, so a reader never sees half an object, even after a crash.

use std::path::{Path, PathBuf};

use async_trait::async_trait;
use bytes::Bytes;
use futures::StreamExt;
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use crate::{BlobError, BlobRead, BlobStore, resolve_range, validate_key};

pub struct FsStore {
    root: PathBuf,
}

impl FsStore {
    pub async fn open(root: impl Into<PathBuf>) -> Result<Self, BlobError> {
        let root = root.into();
        tokio::fs::create_dir_all(&root).await.map_err(io)?;
        Ok(Self { root })
    }

    fn path(&self, key: &str) -> Result<PathBuf, BlobError> {
        validate_key(key)?;
        Ok(self.root.join(key))
    }

    async fn tmp_for(&self, path: &Path) -> Result<PathBuf, BlobError> {
        let parent = path.parent().ok_or_else(|| BlobError::InvalidKey(path.display().to_string()))?;
        tokio::fs::create_dir_all(parent).await.map_err(io)?;
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("blob");
        Ok(parent.join(format!(".{name}.{}.tmp", uuid_like())))
    }
}

fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    format!("{}-{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed))
}

fn io(e: std::io::Error) -> BlobError {
    if e.kind() == std::io::ErrorKind::NotFound { BlobError::NotFound } else { BlobError::Unavailable(e.to_string()) }
}

#[async_trait]
impl BlobStore for FsStore {
    fn kind(&self) -> &'static str {
        "fs"
    }

    async fn put(&self, key: &str, data: Bytes, _content_type: &str) -> Result<(), BlobError> {
        let path = self.path(key)?;
        let tmp = self.tmp_for(&path).await?;
        let mut f = tokio::fs::File::create(&tmp).await.map_err(io)?;
        tokio::io::AsyncWriteExt::write_all(&mut f, &data).await.map_err(io)?;
        f.sync_all().await.map_err(io)?;
        tokio::fs::rename(&tmp, &path).await.map_err(io)
    }

    async fn put_file(&self, key: &str, src: &Path, _content_type: &str) -> Result<(), BlobError> {
        let path = self.path(key)?;
        let tmp = self.tmp_for(&path).await?;
        tokio::fs::copy(src, &tmp).await.map_err(io)?;
        tokio::fs::File::open(&tmp).await.map_err(io)?.sync_all().await.map_err(io)?;
        tokio::fs::rename(&tmp, &path).await.map_err(io)
    }

    async fn get(&self, key: &str) -> Result<Bytes, BlobError> {
        Ok(tokio::fs::read(self.path(key)?).await.map_err(io)?.into())
    }

    async fn read(&self, key: &str, range: Option<(u64, Option<u64>)>) -> Result<BlobRead, BlobError> {
        let mut f = tokio::fs::File::open(self.path(key)?).await.map_err(io)?;
        let total = f.metadata().await.map_err(io)?.len();
        let r = resolve_range(total, range)?;
        f.seek(std::io::SeekFrom::Start(r.start)).await.map_err(io)?;
        let body = tokio_util_like_stream(f.take(r.end - r.start));
        Ok(BlobRead { total, range: r, body })
    }

    async fn size(&self, key: &str) -> Result<Option<u64>, BlobError> {
        match tokio::fs::metadata(self.path(key)?).await {
            Ok(m) => Ok(Some(m.len())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io(e)),
        }
    }

    async fn delete(&self, key: &str) -> Result<(), BlobError> {
        match tokio::fs::remove_file(self.path(key)?).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io(e)),
        }
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>, BlobError> {
        let mut out = Vec::new();
        let mut stack = vec![self.root.clone()];
        while let Some(dir) = stack.pop() {
            let mut rd = match tokio::fs::read_dir(&dir).await {
                Ok(rd) => rd,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(io(e)),
            };
            while let Some(entry) = rd.next_entry().await.map_err(io)? {
                let p = entry.path();
                let ft = entry.file_type().await.map_err(io)?;
                let Ok(rel) = p.strip_prefix(&self.root) else { continue };
                let rel = rel.to_string_lossy().replace('\\', "/");
                if ft.is_dir() {
                    // Only descend where the prefix can still match.
                    if prefix.starts_with(&format!("{rel}/")) || rel.starts_with(prefix) || prefix.is_empty() {
                        stack.push(p);
                    }
                } else if rel.starts_with(prefix) && !entry.file_name().to_string_lossy().starts_with('.') {
                    out.push(rel);
                }
            }
        }
        out.sort();
        Ok(out)
    }

    async fn ping(&self) -> Result<(), BlobError> {
        tokio::fs::metadata(&self.root).await.map(|_| ()).map_err(io)
    }
}

/// Streams a reader in 64 KiB chunks.
fn tokio_util_like_stream<R: tokio::io::AsyncRead + Unpin + Send + 'static>(reader: R) -> crate::ByteStream {
    futures::stream::unfold(reader, |mut r| async move {
        let mut buf = vec![0u8; 64 * 1024];
        match r.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok(Bytes::from(buf)), r))
            }
            Err(e) => Some((Err(io(e)), r)),
        }
    })
    .boxed()
}
