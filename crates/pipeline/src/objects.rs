//! What one run wrote for one job, so that deletion wins every race: deleting a job (or its
//! account) removes its rows, then every object under its prefix; a stage (or an upload) that
//! was still writing meanwhile must not leave an object behind. Whoever writes for a job does it
//! through [`JobObjects`], and when its work ends without being committed to the job's rows
//! (an error, a stale result, a refused upload, a request dropped mid-way) it asks
//! [`JobObjects::sweep_if_orphaned`]: if the job is gone, everything it wrote and everything
//! under the job's prefix is removed.
//!
//! Why that closes the race: the writer writes, then looks for the job; the deleter removes the
//! row, then the prefix. If the writer looks before the row is gone, the deleter's prefix delete
//! comes after the write and removes it; if after, the writer sees the job gone and removes it.

use std::sync::{
    Arc, Mutex,
    atomic::{AtomicBool, Ordering},
};
use std::{path::Path, time::Duration};

use bytes::Bytes;
use glimvid_blob::{BlobError, BlobStore};
use glimvid_db::{Db, DbError, repo::jobs};
use glimvid_domain::{JobId, UserId};

use crate::keys;

/// How long a dropped, unsettled writer waits before it checks for its job: a commit that was in
/// flight when the writer's future was dropped has landed by then.
const SETTLE_DELAY: Duration = Duration::from_secs(2);

/// The objects one run wrote for one job. Dropped unsettled (a panic, a cancelled request), it
/// sweeps in the background.
pub struct JobObjects {
    inner: Arc<Inner>,
}

struct Inner {
    blob: Arc<dyn BlobStore>,
    db: Db,
    user_id: UserId,
    job_id: JobId,
    keys: Mutex<Vec<String>>,
    /// The objects' fate is decided: the job owns them, or they were swept.
    settled: AtomicBool,
}

/// What [`JobObjects::sweep_if_orphaned`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Swept {
    /// The job still exists and owns its prefix: deleting it later removes them.
    Owned,
    /// The job is gone: what was written and the job's prefix were removed.
    Removed,
}

impl JobObjects {
    pub fn new(blob: Arc<dyn BlobStore>, db: Db, user_id: UserId, job_id: JobId) -> Self {
        Self {
            inner: Arc::new(Inner {
                blob,
                db,
                user_id,
                job_id,
                keys: Mutex::new(Vec::new()),
                settled: AtomicBool::new(false),
            }),
        }
    }

    /// Stores an object of the job, remembered before the write starts (a write that fails half
    /// way may still have left something).
    pub async fn put(&self, key: &str, data: Bytes, content_type: &str) -> Result<(), BlobError> {
        self.track(key);
        self.inner.blob.put(key, data, content_type).await
    }

    /// [`JobObjects::put`] from a file.
    pub async fn put_file(&self, key: &str, path: &Path, content_type: &str) -> Result<(), BlobError> {
        self.track(key);
        self.inner.blob.put_file(key, path, content_type).await
    }

    fn track(&self, key: &str) {
        debug_assert!(key.starts_with(&keys::job_prefix(self.inner.user_id, self.inner.job_id)));
        let mut keys = self.inner.keys.lock().unwrap_or_else(|e| e.into_inner());
        if !keys.iter().any(|k| k == key) {
            keys.push(key.to_owned());
        }
        self.inner.settled.store(false, Ordering::SeqCst);
    }

    /// The keys written so far.
    pub fn keys(&self) -> Vec<String> {
        self.inner.keys.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The job's rows now name these objects (the result was committed): nothing to sweep.
    pub fn keep(&self) {
        self.inner.settled.store(true, Ordering::SeqCst);
    }

    /// Removes everything written, and everything under the job's prefix, if the job is gone.
    /// A database error leaves the objects unsettled: the drop tries once more.
    pub async fn sweep_if_orphaned(&self) -> Result<Swept, DbError> {
        let out = self.inner.sweep_if_orphaned().await;
        if out.is_ok() {
            self.inner.settled.store(true, Ordering::SeqCst);
        }
        out
    }

    /// Removes everything written and the job's prefix without asking: the caller knows the job
    /// was never committed (a refused upload).
    pub async fn discard(&self) {
        self.inner.remove_all().await;
        self.inner.settled.store(true, Ordering::SeqCst);
    }
}

impl Inner {
    async fn sweep_if_orphaned(&self) -> Result<Swept, DbError> {
        match jobs::get(&self.db, self.job_id).await {
            Ok(_) => Ok(Swept::Owned),
            Err(DbError::NotFound(_)) => {
                self.remove_all().await;
                tracing::info!(job_id = %self.job_id, "the job is gone: removed what was written for it");
                Ok(Swept::Removed)
            }
            Err(e) => Err(e),
        }
    }

    async fn remove_all(&self) {
        let written = self.keys.lock().unwrap_or_else(|e| e.into_inner()).clone();
        for k in &written {
            if let Err(e) = self.blob.delete(k).await {
                tracing::warn!(error = %e, key = %k, "could not remove an object of a deleted job");
            }
        }
        if let Err(e) = self.blob.delete_prefix(&keys::job_prefix(self.user_id, self.job_id)).await {
            tracing::warn!(error = %e, job_id = %self.job_id, "could not empty a deleted job's prefix");
        }
    }
}

impl Drop for JobObjects {
    fn drop(&mut self) {
        let written = !self.inner.keys.lock().unwrap_or_else(|e| e.into_inner()).is_empty();
        if self.inner.settled.load(Ordering::SeqCst) || !written {
            return;
        }
        let Ok(rt) = tokio::runtime::Handle::try_current() else { return };
        let inner = self.inner.clone();
        rt.spawn(async move {
            tokio::time::sleep(SETTLE_DELAY).await;
            if let Err(e) = inner.sweep_if_orphaned().await {
                tracing::warn!(error = %e, job_id = %inner.job_id, "could not tell whether a job is gone; its objects stay under its prefix");
            }
        });
    }
}
