//! The stage worker loop.

use std::{sync::Arc, time::Duration};

use async_trait::async_trait;
use glimvid_blob::BlobStore;
use glimvid_db::{
    Db, DbError,
    repo::jobs::{self, CompleteOutcome, JobView, NewTask, StageResult, StartOutcome},
};
use glimvid_domain::{JobId, Stage};
use glimvid_queue::{Delivery, JobQueue};
use glimvid_runtime::Shutdown;
use tracing::Instrument;

use crate::{JobObjects, OutboxRelay, keys, task};

/// Why a stage did not succeed. The message is shown to the user: no secrets, no internals.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StageError {
    /// Worth another try later (timeouts, rate limits, a store briefly unreachable).
    #[error("{message}")]
    Transient { message: String, retry_after: Option<Duration> },
    /// Retrying cannot help (bad input, a provider's refusal).
    #[error("{0}")]
    Permanent(String),
}

impl StageError {
    pub fn transient(message: impl Into<String>) -> Self {
        Self::Transient { message: message.into(), retry_after: None }
    }
}

impl From<glimvid_providers::ProviderError> for StageError {
    fn from(e: glimvid_providers::ProviderError) -> Self {
        if e.is_transient() {
            Self::Transient { message: e.message, retry_after: e.retry_after }
        } else {
            Self::Permanent(e.message)
        }
    }
}

impl From<glimvid_blob::BlobError> for StageError {
    fn from(e: glimvid_blob::BlobError) -> Self {
        match e {
            glimvid_blob::BlobError::Unavailable(_) => Self::transient("storage is temporarily unavailable"),
            other => Self::Permanent(format!("stored input is missing or unreadable ({other})")),
        }
    }
}

impl From<DbError> for StageError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::Db(_) => Self::transient("the database is temporarily unavailable"),
            other => Self::Permanent(other.to_string()),
        }
    }
}

/// One run of a stage for one job.
pub struct StageRun {
    pub view: JobView,
    pub attempt: i32,
    pub db: Db,
    /// For reading; write the job's artifacts with [`StageRun::put`], so that they are removed
    /// if the job is deleted while the stage runs.
    pub blob: Arc<dyn BlobStore>,
    written: JobObjects,
}

impl StageRun {
    pub fn new(view: JobView, attempt: i32, db: Db, blob: Arc<dyn BlobStore>) -> Self {
        let written = JobObjects::new(blob.clone(), db.clone(), view.job.user_id(), view.job.id());
        Self { view, attempt, db, blob, written }
    }

    /// Stores an artifact of this job (see [`JobObjects`]).
    pub async fn put(&self, key: &str, data: bytes::Bytes, content_type: &str) -> Result<(), StageError> {
        Ok(self.written.put(key, data, content_type).await?)
    }

    /// Stores an artifact of this job from a file (see [`JobObjects`]).
    pub async fn put_file(&self, key: &str, path: &std::path::Path, content_type: &str) -> Result<(), StageError> {
        Ok(self.written.put_file(key, path, content_type).await?)
    }

    /// The keys this run has written.
    pub fn written(&self) -> Vec<String> {
        self.written.keys()
    }

    pub fn job_id(&self) -> JobId {
        self.view.job.id()
    }

    pub fn user_id(&self) -> glimvid_domain::UserId {
        self.view.job.user_id()
    }

    /// The job's options as stored (validated when the job was accepted).
    pub fn options(&self) -> Result<glimvid_domain::VideoOptions, StageError> {
        glimvid_domain::VideoOptions::parse_json(&self.view.job.options_json, glimvid_domain::Language::En)
            .map_err(|e| StageError::Permanent(format!("stored options are invalid: {}", e.message)))
    }

    /// The deterministic key of an artifact of this job.
    pub fn key(&self, kind: &str, n: usize, ext: &str) -> String {
        keys::object(self.user_id(), self.job_id(), kind, n, ext)
    }

    /// A progress note on the job's event stream.
    pub async fn note(&self, stage: Stage, message: &str) {
        if let Err(e) = jobs::note(&self.db, self.job_id(), stage, message).await {
            tracing::warn!(error = %e, "could not record a note");
        }
    }
}

/// What a stage does. Implementations must be idempotent: the same job may run twice after a
/// crash, and must then overwrite the same keys.
#[async_trait]
pub trait StageHandler: Send + Sync {
    fn stage(&self) -> Stage;
    async fn run(&self, run: &StageRun) -> Result<StageResult, StageError>;
}

#[derive(Debug, Clone, Copy)]
pub struct WorkerConfig {
    /// Tasks run at once by this worker.
    pub concurrency: usize,
    /// Deliveries before a task is dead-lettered and its job failed.
    pub max_attempts: u32,
    pub backoff_base: Duration,
    pub backoff_cap: Duration,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        Self {
            concurrency: 1,
            max_attempts: 5,
            backoff_base: Duration::from_secs(1),
            backoff_cap: Duration::from_secs(60),
        }
    }
}

#[derive(Clone)]
pub struct Worker {
    handler: Arc<dyn StageHandler>,
    db: Db,
    queue: Arc<dyn JobQueue>,
    blob: Arc<dyn BlobStore>,
    relay: OutboxRelay,
    cfg: WorkerConfig,
}

/// What happened to one delivery (for tests and metrics).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handled {
    Succeeded,
    Skipped(&'static str),
    Retried,
    Failed(String),
    DeadLettered,
}

impl Worker {
    pub fn new(
        handler: Arc<dyn StageHandler>,
        db: Db,
        queue: Arc<dyn JobQueue>,
        blob: Arc<dyn BlobStore>,
        relay: OutboxRelay,
        cfg: WorkerConfig,
    ) -> Self {
        Self { handler, db, queue, blob, relay, cfg }
    }

    /// A worker on the connected ports of this process.
    pub fn on(handler: Arc<dyn StageHandler>, b: &crate::Backends) -> Self {
        Self::new(handler, b.db.clone(), b.queue.clone(), b.blob.clone(), b.relay.clone(), b.worker)
    }

    /// Runs `concurrency` loops until shutdown; a task in progress is finished first.
    pub async fn run(self, shutdown: Shutdown) {
        let mut loops = Vec::new();
        for _ in 0..self.cfg.concurrency.max(1) {
            let me = self.clone();
            let sd = shutdown.clone();
            loops.push(tokio::spawn(async move { me.run_loop(sd).await }));
        }
        for l in loops {
            let _ = l.await;
        }
    }

    async fn run_loop(&self, shutdown: Shutdown) {
        let queue_name = self.handler.stage().queue();
        let mut failures = 0u32;
        while !shutdown.is_triggered() {
            let received = tokio::select! {
                r = self.queue.receive(queue_name, Duration::from_secs(1)) => r,
                _ = shutdown.wait() => break,
            };
            match received {
                Ok(Some(d)) => {
                    failures = 0;
                    self.handle(&d).await;
                }
                Ok(None) => {}
                Err(e) => {
                    failures += 1;
                    let wait = glimvid_queue::backoff(
                        failures,
                        Duration::from_millis(200),
                        Duration::from_secs(10),
                        rand::random(),
                    );
                    tracing::warn!(error = %e, queue = queue_name, "cannot receive; retrying in {wait:?}");
                    tokio::select! {
                        _ = tokio::time::sleep(wait) => {}
                        _ = shutdown.wait() => break,
                    }
                }
            }
        }
    }

    /// Processes one delivery to the end: settles it with the queue.
    pub async fn handle(&self, d: &Delivery) -> Handled {
        let stage = self.handler.stage();
        let Some((job_id, task_stage, t)) = task::decode_task(&d.payload) else {
            tracing::error!(queue = %d.queue, "malformed task; dead-lettering");
            self.settle(d, Settle::Dead("malformed task")).await;
            return Handled::DeadLettered;
        };
        if task_stage != stage {
            self.settle(d, Settle::Dead("task on the wrong queue")).await;
            return Handled::DeadLettered;
        }
        let span = tracing::info_span!(
            "stage",
            %job_id,
            stage = stage.as_str(),
            attempt = d.attempts,
            request_id = %t.request_id,
            traceparent = %t.traceparent
        );
        let started = std::time::Instant::now();
        let out = self.process(d, job_id, stage, task::TaskTrace::of(&t)).instrument(span).await;
        let outcome = match &out {
            Handled::Succeeded => "succeeded",
            Handled::Skipped(_) => "skipped",
            Handled::Retried => "retried",
            Handled::Failed(_) => "failed",
            Handled::DeadLettered => "dead_lettered",
        };
        metrics::counter!("glimvid_stage_runs_total", "stage" => stage.as_str(), "outcome" => outcome).increment(1);
        metrics::histogram!("glimvid_stage_seconds", "stage" => stage.as_str()).record(started.elapsed().as_secs_f64());
        out
    }

    async fn process(&self, d: &Delivery, job_id: JobId, stage: Stage, trace: task::TaskTrace) -> Handled {
        let start = match jobs::start_stage(&self.db, job_id, stage).await {
            Ok(s) => s,
            Err(e) => return self.transient(d, job_id, stage, &StageError::from(e)).await,
        };
        let (view, attempt) = match start {
            StartOutcome::Skip(why) => {
                tracing::info!(why, "task dropped");
                self.settle(d, Settle::Ack).await;
                return Handled::Skipped(why);
            }
            StartOutcome::Run { view, attempt } => (view, attempt),
        };
        let run = StageRun::new(*view, attempt, self.db.clone(), self.blob.clone());
        let result = self.handler.run(&run).await;
        // Whatever happens below, except a recorded result, the job may have been deleted while
        // the stage wrote: then nothing may stay behind (see `JobObjects`).
        match result {
            Ok(result) => {
                let recorded = jobs::complete_stage(&self.db, job_id, stage, result, || NewTask {
                    queue: Stage::Render.queue(),
                    payload: task::encode_task(job_id, Stage::Render, &trace),
                })
                .await;
                match recorded {
                    Ok(CompleteOutcome::Recorded { next, job_succeeded }) => {
                        run.written.keep();
                        tracing::info!(?next, job_succeeded, "stage succeeded");
                        if !next.is_empty() {
                            self.relay.poke();
                        }
                    }
                    Ok(CompleteOutcome::AlreadyDone) => {
                        run.written.keep();
                        tracing::info!("stage had already succeeded");
                    }
                    Ok(CompleteOutcome::Stale) => {
                        // The job ended or was deleted while we worked: what we wrote goes
                        // unless the job still owns it.
                        self.sweep(&run).await;
                        tracing::info!("job ended meanwhile; result dropped");
                    }
                    Err(e) => {
                        self.sweep(&run).await;
                        return self.transient(d, job_id, stage, &StageError::from(e)).await;
                    }
                }
                self.settle(d, Settle::Ack).await;
                Handled::Succeeded
            }
            Err(e @ StageError::Transient { .. }) => {
                self.sweep(&run).await;
                self.transient(d, job_id, stage, &e).await
            }
            Err(StageError::Permanent(reason)) => {
                self.sweep(&run).await;
                tracing::warn!(%reason, "stage failed permanently");
                if let Err(e) = jobs::fail_stage(&self.db, job_id, stage, &reason).await {
                    return self.transient(d, job_id, stage, &StageError::from(e)).await;
                }
                self.settle(d, Settle::Ack).await;
                Handled::Failed(reason)
            }
        }
    }

    /// Removes what `run` wrote if its job is gone. A database that cannot tell leaves it to
    /// the run's drop, which asks once more.
    async fn sweep(&self, run: &StageRun) {
        if let Err(e) = run.written.sweep_if_orphaned().await {
            tracing::warn!(error = %e, "could not tell whether the job is gone");
        }
    }

    async fn transient(&self, d: &Delivery, job_id: JobId, stage: Stage, e: &StageError) -> Handled {
        let (message, retry_after) = match e {
            StageError::Transient { message, retry_after } => (message.as_str(), *retry_after),
            StageError::Permanent(m) => (m.as_str(), None),
        };
        if d.attempts >= self.cfg.max_attempts {
            let reason = format!("gave up after {} attempts: {message}", d.attempts);
            tracing::error!(%reason, "dead-lettering task");
            if jobs::fail_stage(&self.db, job_id, stage, &reason).await.is_err() {
                // The database is down too: keep the task so the failure is recorded later.
                self.settle(d, Settle::Retry(self.cfg.backoff_cap)).await;
                return Handled::Retried;
            }
            self.settle(d, Settle::Dead("retries exhausted")).await;
            return Handled::DeadLettered;
        }
        let wait = retry_after.unwrap_or_else(|| {
            glimvid_queue::backoff(d.attempts, self.cfg.backoff_base, self.cfg.backoff_cap, rand::random())
        });
        tracing::warn!(%message, ?wait, "transient failure; will retry");
        self.settle(d, Settle::Retry(wait)).await;
        Handled::Retried
    }

    async fn settle(&self, d: &Delivery, how: Settle) {
        let res = match how {
            Settle::Ack => self.queue.ack(d).await,
            Settle::Retry(wait) => self.queue.retry(d, wait).await,
            Settle::Dead(reason) => self.queue.dead_letter(d, reason).await,
        };
        if let Err(e) = res {
            // The task will come back (lease expiry or broker redelivery); the stage state
            // decides what happens then.
            tracing::warn!(error = %e, "could not settle a delivery");
        }
    }
}

enum Settle {
    Ack,
    Retry(Duration),
    Dead(&'static str),
}
