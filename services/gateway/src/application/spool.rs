//! Photo parts of REST uploads are spooled to files, so that a request holds a small chunk in
//! memory however large its photos are. Every spool file is removed when its owner is dropped:
//! after the job is stored, on a refusal, and when the client goes away mid-body (the request's
//! future is dropped). One disk budget per process (`GLIMVID_UPLOAD_SPOOL_MB`) bounds what all
//! uploads being received may write at once; an upload that does not fit is told to come back
//! (503 with `Retry-After`), it never waits holding a connection.

use std::{
    io,
    path::{Path, PathBuf},
    sync::Arc,
    time::{Duration, SystemTime},
};

use bytes::Bytes;
use sha2::{Digest, Sha256};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    sync::{OwnedSemaphorePermit, Semaphore},
};

/// The budget is counted in KiB so that a `u32` permit count covers terabytes.
const UNIT: u64 = 1024;

/// What every spool file's name begins with; only such files are ever removed at start.
const PREFIX: &str = "glimvid-upload-";

/// A spool file untouched for this long belongs to no live request (a killed process left it).
const STALE_AFTER: Duration = Duration::from_secs(3600);

/// Where uploads are spooled, and how much disk they may take together.
#[derive(Debug, Clone)]
pub struct Spool {
    dir: PathBuf,
    sem: Arc<Semaphore>,
    units: u32,
}

/// Why a part could not be spooled.
#[derive(Debug, thiserror::Error)]
pub enum SpoolError {
    /// The process's spool budget is in use by other uploads.
    #[error("the server is busy receiving other uploads")]
    Full,
    #[error("spooling the upload failed: {0}")]
    Io(#[from] io::Error),
}

fn units(bytes: u64) -> u32 {
    bytes.div_ceil(UNIT).min(u32::MAX as u64) as u32
}

impl Spool {
    pub fn new(dir: PathBuf, total_bytes: u64) -> Self {
        let units = units(total_bytes).max(1);
        Self { dir, sem: Arc::new(Semaphore::new(units as usize)), units }
    }

    pub fn from_mb(dir: PathBuf, mb: u64) -> Self {
        Self::new(dir, mb.saturating_mul(1024 * 1024))
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn total_bytes(&self) -> u64 {
        self.units as u64 * UNIT
    }

    /// Bytes of the budget free right now.
    pub fn available_bytes(&self) -> u64 {
        self.sem.available_permits() as u64 * UNIT
    }

    /// Creates the folder and removes spool files a killed process left behind (ours only, and
    /// only stale ones: another gateway may share a system temporary folder).
    pub fn prepare(&self) -> io::Result<usize> {
        std::fs::create_dir_all(&self.dir)?;
        let mut removed = 0;
        for entry in std::fs::read_dir(&self.dir)? {
            let entry = entry?;
            if !entry.file_name().to_string_lossy().starts_with(PREFIX) {
                continue;
            }
            let stale = entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| SystemTime::now().duration_since(t).ok())
                .is_some_and(|age| age > STALE_AFTER);
            if stale && std::fs::remove_file(entry.path()).is_ok() {
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// A new, empty spool file holding nothing of the budget yet.
    pub async fn create(&self) -> Result<SpoolWriter, SpoolError> {
        let dir = self.dir.clone();
        let named = tokio::task::spawn_blocking(move || {
            std::fs::create_dir_all(&dir)?;
            tempfile::Builder::new().prefix(PREFIX).suffix(".part").tempfile_in(&dir)
        })
        .await
        .map_err(|e| SpoolError::Io(io::Error::other(e)))??;
        let (file, path) = named.into_parts();
        Ok(SpoolWriter {
            file: tokio::fs::File::from_std(file),
            path,
            len: 0,
            hasher: Sha256::new(),
            held: None,
            sem: self.sem.clone(),
        })
    }
}

/// A spool file being written. Dropping it removes the file and gives its bytes back.
pub struct SpoolWriter {
    file: tokio::fs::File,
    path: tempfile::TempPath,
    len: u64,
    hasher: Sha256,
    held: Option<OwnedSemaphorePermit>,
    sem: Arc<Semaphore>,
}

impl SpoolWriter {
    /// Bytes written so far.
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Appends a chunk, first taking its room from the budget (never waiting for it).
    pub async fn write(&mut self, chunk: &[u8]) -> Result<(), SpoolError> {
        let have = self.held.as_ref().map_or(0, |p| p.num_permits() as u32);
        let need = units(self.len + chunk.len() as u64).saturating_sub(have);
        if need > 0 {
            let more = self.sem.clone().try_acquire_many_owned(need).map_err(|_| SpoolError::Full)?;
            match &mut self.held {
                Some(p) => p.merge(more),
                None => self.held = Some(more),
            }
        }
        self.file.write_all(chunk).await?;
        self.hasher.update(chunk);
        self.len += chunk.len() as u64;
        Ok(())
    }

    /// The complete part: its file (still removed on drop), length and SHA-256.
    pub async fn finish(mut self) -> Result<SpooledPhoto, SpoolError> {
        self.file.flush().await?;
        Ok(SpooledPhoto {
            path: self.path,
            len: self.len,
            sha256: hex::encode(self.hasher.finalize()),
            _held: self.held,
        })
    }
}

/// A photo part received in full, on disk. Dropping it removes the file and gives its bytes
/// back to the budget.
#[derive(Debug)]
pub struct SpooledPhoto {
    path: tempfile::TempPath,
    len: u64,
    sha256: String,
    _held: Option<OwnedSemaphorePermit>,
}

impl SpooledPhoto {
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Lowercase hex, as `glimvid_pipeline::sha256_hex` of the bytes.
    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The first `n` bytes (all of them if the photo is shorter).
    pub async fn prefix(&self, n: usize) -> io::Result<Vec<u8>> {
        let file = tokio::fs::File::open(&self.path).await?;
        let mut buf = Vec::with_capacity(n.min(self.len as usize));
        file.take(n as u64).read_to_end(&mut buf).await?;
        Ok(buf)
    }

    /// The whole photo in memory: only under a decode reservation that counts its size.
    pub async fn read_all(&self) -> io::Result<Bytes> {
        Ok(Bytes::from(tokio::fs::read(&self.path).await?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(dir: &Path) -> usize {
        std::fs::read_dir(dir).map(|d| d.count()).unwrap_or(0)
    }

    #[tokio::test]
    async fn a_spooled_part_is_hashed_counted_and_removed_when_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::new(dir.path().to_path_buf(), 1024 * 1024);
        let mut w = spool.create().await.unwrap();
        w.write(b"hello ").await.unwrap();
        w.write(b"world").await.unwrap();
        assert_eq!(files(dir.path()), 1);
        let p = w.finish().await.unwrap();
        assert_eq!(p.len(), 11);
        assert_eq!(p.sha256(), glimvid_pipeline::sha256_hex(b"hello world"));
        assert_eq!(p.prefix(5).await.unwrap(), b"hello");
        assert_eq!(&p.read_all().await.unwrap()[..], b"hello world");
        assert_eq!(spool.available_bytes(), 1024 * 1024 - 1024);
        drop(p);
        assert_eq!(files(dir.path()), 0, "the spool file outlived its photo");
        assert_eq!(spool.available_bytes(), 1024 * 1024);
    }

    #[tokio::test]
    async fn the_budget_refuses_what_does_not_fit_and_frees_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::new(dir.path().to_path_buf(), 64 * 1024);
        let mut a = spool.create().await.unwrap();
        a.write(&[1u8; 40 * 1024]).await.unwrap();
        let mut b = spool.create().await.unwrap();
        assert!(matches!(b.write(&[2u8; 30 * 1024]).await, Err(SpoolError::Full)));
        assert_eq!(b.len(), 0, "a refused chunk was written");
        drop(a);
        b.write(&[2u8; 30 * 1024]).await.unwrap();
        drop(b);
        assert_eq!(spool.available_bytes(), 64 * 1024);
        assert_eq!(files(dir.path()), 0);
    }

    #[test]
    fn prepare_removes_only_stale_spool_files() {
        let dir = tempfile::tempdir().unwrap();
        let stale = dir.path().join(format!("{PREFIX}old.part"));
        let fresh = dir.path().join(format!("{PREFIX}new.part"));
        let other = dir.path().join("someone-else.tmp");
        for p in [&stale, &fresh, &other] {
            std::fs::write(p, b"x").unwrap();
        }
        let old = SystemTime::now() - STALE_AFTER - Duration::from_secs(60);
        std::fs::File::options().write(true).open(&stale).unwrap().set_modified(old).unwrap();
        let spool = Spool::new(dir.path().to_path_buf(), 1024);
        assert_eq!(spool.prepare().unwrap(), 1);
        assert!(!stale.exists() && fresh.exists() && other.exists());
    }
}
