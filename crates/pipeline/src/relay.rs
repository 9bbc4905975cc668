//! The outbox relay: publishes committed outbox rows to the queue, then marks them sent. A crash
//! between the two publishes a row twice, never zero times; workers are idempotent.

use std::{sync::Arc, time::Duration};

use glimvid_db::{Db, DbError, repo::outbox};
use glimvid_queue::{Headers, JobQueue, QueueError};
use tokio::sync::Notify;

/// Why a drain stopped early. Rows not marked sent stay in the outbox for the next drain.
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error("outbox: {0}")]
    Outbox(#[from] DbError),
    #[error("publish to {queue}: {source}")]
    Publish { queue: String, source: QueueError },
}

#[derive(Clone)]
pub struct OutboxRelay {
    db: Db,
    queue: Arc<dyn JobQueue>,
    wake: Arc<Notify>,
}

impl OutboxRelay {
    pub fn new(db: Db, queue: Arc<dyn JobQueue>) -> Self {
        Self { db, queue, wake: Arc::new(Notify::new()) }
    }

    /// Asks the relay to look now (after a commit that wrote outbox rows).
    pub fn poke(&self) {
        self.wake.notify_one();
    }

    /// Publishes what is pending; returns how many rows were sent.
    pub async fn drain_once(&self) -> Result<usize, RelayError> {
        let mut sent = 0;
        loop {
            let rows = outbox::unsent(&self.db, 100).await?;
            if rows.is_empty() {
                return Ok(sent);
            }
            let mut done = Vec::with_capacity(rows.len());
            let mut failed = None;
            for r in &rows {
                // The task's ids ride along as headers, so that the broker's tools and the
                // consumer's logs see them without decoding the payload.
                let h = match crate::task::decode_task(&r.payload) {
                    Some((_, _, t)) => crate::task::TaskTrace::headers(&t),
                    None => {
                        let mut h = Headers::new();
                        if let Some(j) = r.job_id {
                            h.insert("job_id".into(), j.to_string());
                        }
                        h
                    }
                };
                match self.queue.publish(&r.queue, &r.payload, &h).await {
                    Ok(()) => done.push(r.id),
                    Err(source) => {
                        failed = Some(RelayError::Publish { queue: r.queue.clone(), source });
                        break;
                    }
                }
            }
            outbox::mark_sent(&self.db, &done).await?;
            sent += done.len();
            metrics::counter!("glimvid_outbox_published_total").increment(done.len() as u64);
            if let Some(e) = failed {
                return Err(e);
            }
        }
    }

    /// Runs until shutdown: drains on every poke and at least every `interval`.
    pub async fn run(self, interval: Duration, shutdown: impl std::future::Future<Output = ()>) {
        tokio::pin!(shutdown);
        let mut failures = 0u32;
        loop {
            match self.drain_once().await {
                Ok(_) => failures = 0,
                Err(e) => {
                    failures += 1;
                    tracing::warn!(error = %e, "outbox relay could not publish; will retry");
                }
            }
            let wait = if failures > 0 {
                glimvid_queue::backoff(failures, Duration::from_millis(200), Duration::from_secs(10), rand::random())
            } else {
                interval
            };
            tokio::select! {
                _ = &mut shutdown => {
                    // Last drain so that nothing committed waits for the next start.
                    let _ = self.drain_once().await;
                    return;
                }
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }
}
