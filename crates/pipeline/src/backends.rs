//! Chooses the adapter of each port from the configuration: unset means embedded (SQLite, the
//! database queue, the filesystem). The code path after this point is the same in both modes.

use std::{sync::Arc, time::Duration};

use glimvid_blob::{BlobStore, FsStore, S3Settings, S3Store};
use glimvid_db::Db;
use glimvid_queue::{DbQueue, JobQueue, RabbitConfig, RabbitQueue, db::DbQueueConfig};
use glimvid_runtime::Config;

use crate::{OutboxRelay, WorkerConfig};

/// The connected ports every service works with.
#[derive(Clone)]
pub struct Backends {
    pub db: Db,
    pub queue: Arc<dyn JobQueue>,
    pub blob: Arc<dyn BlobStore>,
    pub relay: OutboxRelay,
    pub worker: WorkerConfig,
    /// Seals the secrets the database keeps (signing seeds, webhook secrets).
    pub sealer: glimvid_runtime::Sealer,
}

#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    #[error("database: {0}")]
    Db(String),
    #[error("object store: {0}")]
    Blob(String),
    #[error("queue: {0}")]
    Queue(String),
    #[error("encryption key: {0}")]
    Key(String),
}

impl Backends {
    pub async fn connect(cfg: &Config) -> Result<Self, BackendError> {
        // sqlx links ring, the AWS SDK and lapin aws-lc-rs: pick one process-wide provider
        // before the first TLS connection.
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        if cfg.storage.database_url.is_none() {
            tokio::fs::create_dir_all(&cfg.storage.data_dir).await.map_err(|e| BackendError::Db(e.to_string()))?;
        }
        let sealer = cfg.storage.sealer().map_err(|e| BackendError::Key(e.to_string()))?;
        let db =
            Db::connect(&cfg.storage.database_url_or_embedded()).await.map_err(|e| BackendError::Db(e.to_string()))?;
        let queue: Arc<dyn JobQueue> = match &cfg.storage.amqp_url {
            None => Arc::new(DbQueue::new(db.clone(), DbQueueConfig::default())),
            Some(url) => {
                // Prefetch matches the receive loops, so that a worker's concurrency is real.
                let rc = RabbitConfig {
                    prefetch: cfg.workers.concurrency.clamp(1, u16::MAX as usize) as u16,
                    ..RabbitConfig::default()
                };
                // A broker that is down (restarting, not up yet) does not stop the process: it
                // starts not ready (the readiness check says why) and connects once the broker is
                // back, as it does after losing the broker later. A bad URL still fails here.
                match RabbitQueue::connect(url.expose(), rc.clone()).await {
                    Ok(q) => Arc::new(q),
                    Err(e) => {
                        tracing::warn!(error = %e, "RabbitMQ is not reachable at start; will connect when it is");
                        Arc::new(
                            RabbitQueue::connect_lazy(url.expose(), rc)
                                .map_err(|e| BackendError::Queue(e.to_string()))?,
                        )
                    }
                }
            }
        };
        let blob: Arc<dyn BlobStore> = match &cfg.storage.s3() {
            None => Arc::new(
                FsStore::open(cfg.storage.data_dir.join("objects"))
                    .await
                    .map_err(|e| BackendError::Blob(e.to_string()))?,
            ),
            Some(s3) => {
                let settings = S3Settings::new(
                    Some(s3.endpoint.clone()),
                    s3.bucket.clone(),
                    s3.region.clone(),
                    s3.access_key_id.as_ref().map(|k| k.expose().to_owned()).unwrap_or_default(),
                    s3.secret_access_key.as_ref().map(|k| k.expose().to_owned()).unwrap_or_default(),
                );
                Arc::new(S3Store::connect(settings).await.map_err(|e| BackendError::Blob(e.to_string()))?)
            }
        };
        let relay = OutboxRelay::new(db.clone(), queue.clone());
        let worker = WorkerConfig {
            concurrency: cfg.workers.concurrency,
            max_attempts: cfg.workers.task_max_attempts,
            backoff_base: Duration::from_secs(1),
            backoff_cap: Duration::from_secs(60),
        };
        Ok(Self { db, queue, blob, relay, worker, sealer })
    }
}

/// SHA-256 of stored bytes, hex (recorded with every asset).
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}
