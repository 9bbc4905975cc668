//! The worker loop driven one delivery at a time on the embedded adapters: success hands on,
//! transient failures retry, permanent ones fail and refund, exhausted tasks are dead-lettered,
//! redeliveries of finished stages are dropped.

use std::{
    sync::{
        Arc,
        atomic::{AtomicU32, Ordering},
    },
    time::Duration,
};

use async_trait::async_trait;
use glimvid_blob::{BlobStore, FsStore};
use glimvid_db::{
    Db,
    repo::{
        credits,
        jobs::{self, NewJob, NewTask, StageResult},
        users::{self, NewUser},
    },
    testing,
};
use glimvid_domain::{JobId, Stage};
use glimvid_pipeline::{
    OutboxRelay, StageError, StageHandler, StageRun, Worker, WorkerConfig, encode_task, worker::Handled,
};
use glimvid_queue::{DbQueue, JobQueue, db::DbQueueConfig};

/// Fails transiently `fail_first` times, then succeeds (or fails permanently if `permanent`).
struct Flaky {
    stage: Stage,
    fail_first: u32,
    permanent: bool,
    calls: AtomicU32,
}

#[async_trait]
impl StageHandler for Flaky {
    fn stage(&self) -> Stage {
        self.stage
    }

    async fn run(&self, run: &StageRun) -> Result<StageResult, StageError> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst);
        if self.permanent {
            return Err(StageError::Permanent("the photo shows nothing we can use".into()));
        }
        if n < self.fail_first {
            return Err(StageError::Transient { message: "provider busy".into(), retry_after: Some(Duration::ZERO) });
        }
        let key = run.key(self.stage.as_str(), 0, "txt");
        run.blob.put(&key, bytes::Bytes::from_static(b"ok"), "text/plain").await?;
        Ok(StageResult { script_json: Some("{}".into()), ..Default::default() })
    }
}

struct Env {
    db: Db,
    queue: Arc<dyn JobQueue>,
    blob: Arc<dyn BlobStore>,
    relay: OutboxRelay,
    _dir: tempfile::TempDir,
    _t: testing::TestDb,
}

async fn env() -> Env {
    let t = testing::sqlite().await;
    let dir = tempfile::tempdir().unwrap();
    let db = t.db.clone();
    let queue: Arc<dyn JobQueue> = Arc::new(DbQueue::new(db.clone(), DbQueueConfig::default()));
    let blob: Arc<dyn BlobStore> = Arc::new(FsStore::open(dir.path()).await.unwrap());
    let relay = OutboxRelay::new(db.clone(), queue.clone());
    Env { db, queue, blob, relay, _dir: dir, _t: t }
}

async fn job(e: &Env) -> (uuid::Uuid, uuid::Uuid) {
    let u = users::create_user(&e.db, NewUser { email: "a@example.com", password_hash: "h", language: "en" }, 1)
        .await
        .unwrap()
        .id;
    let id = JobId::new();
    jobs::create(
        &e.db,
        NewJob {
            id: id.0,
            user_id: u,
            description: "A mug".into(),
            options_json: "{}".into(),
            photo_count: 1,
            originals: vec![],
            tasks: Stage::initial()
                .into_iter()
                .map(|s| NewTask {
                    queue: s.queue(),
                    payload: encode_task(id, s, &glimvid_pipeline::TaskTrace::for_request("tp")),
                })
                .collect(),
            idempotency_key: None,
            request_hash: None,
        },
    )
    .await
    .unwrap();
    e.relay.drain_once().await.unwrap();
    (u, id.0)
}

fn worker(e: &Env, h: Arc<Flaky>, max_attempts: u32) -> Worker {
    let cfg = WorkerConfig {
        concurrency: 1,
        max_attempts,
        backoff_base: Duration::from_millis(10),
        backoff_cap: Duration::from_millis(20),
    };
    Worker::new(h, e.db.clone(), e.queue.clone(), e.blob.clone(), e.relay.clone(), cfg)
}

fn flaky(stage: Stage, fail_first: u32, permanent: bool) -> Arc<Flaky> {
    Arc::new(Flaky { stage, fail_first, permanent, calls: AtomicU32::new(0) })
}

async fn next(e: &Env, stage: Stage) -> glimvid_queue::Delivery {
    e.queue.receive(stage.queue(), Duration::from_secs(5)).await.unwrap().expect("a task")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_stages_then_render_and_redelivery_is_dropped() {
    let e = env().await;
    let (_, id) = job(&e).await;
    let ws = worker(&e, flaky(Stage::Script, 0, false), 3);
    let we = worker(&e, flaky(Stage::Enhance, 0, false), 3);
    let d = next(&e, Stage::Script).await;
    assert_eq!(ws.handle(&d).await, Handled::Succeeded);
    assert_eq!(we.handle(&next(&e, Stage::Enhance).await).await, Handled::Succeeded);
    e.relay.drain_once().await.unwrap();
    assert_eq!(e.queue.depth(Stage::Render.queue()).await.unwrap(), 1, "render handed on once");
    // The same script task delivered again (at-least-once) is acked and dropped.
    e.queue.publish(Stage::Script.queue(), &d.payload, &d.headers).await.unwrap();
    assert!(matches!(ws.handle(&next(&e, Stage::Script).await).await, Handled::Skipped(_)));
    let v = jobs::get(&e.db, id).await.unwrap();
    assert_eq!(v.stage(Stage::Script).unwrap().attempts, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transient_failures_retry_then_succeed() {
    let e = env().await;
    let (_, id) = job(&e).await;
    let h = flaky(Stage::Script, 2, false);
    let w = worker(&e, h.clone(), 5);
    assert_eq!(w.handle(&next(&e, Stage::Script).await).await, Handled::Retried);
    assert_eq!(w.handle(&next(&e, Stage::Script).await).await, Handled::Retried);
    let d = next(&e, Stage::Script).await;
    assert_eq!(d.attempts, 3);
    assert_eq!(w.handle(&d).await, Handled::Succeeded);
    assert_eq!(h.calls.load(Ordering::SeqCst), 3);
    assert_eq!(jobs::get(&e.db, id).await.unwrap().stage(Stage::Script).unwrap().status, "succeeded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exhausted_retries_dead_letter_and_fail_the_job_with_a_reason() {
    let e = env().await;
    let (u, id) = job(&e).await;
    let w = worker(&e, flaky(Stage::Enhance, 99, false), 2);
    assert_eq!(w.handle(&next(&e, Stage::Enhance).await).await, Handled::Retried);
    assert_eq!(w.handle(&next(&e, Stage::Enhance).await).await, Handled::DeadLettered);
    assert_eq!(e.queue.dead_count(Stage::Enhance.queue()).await.unwrap(), 1);
    let v = jobs::get(&e.db, id).await.unwrap();
    assert_eq!(v.job.status, "failed");
    let reason = v.job.failure_reason.unwrap();
    assert!(reason.contains("gave up after 2 attempts") && reason.contains("provider busy"), "{reason}");
    assert_eq!(credits::balances(e.db.conn(), u).await.unwrap().trials, 1, "refunded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn permanent_failure_fails_at_once_and_the_other_stage_is_dropped() {
    let e = env().await;
    let (u, id) = job(&e).await;
    let w = worker(&e, flaky(Stage::Script, 0, true), 5);
    assert!(matches!(w.handle(&next(&e, Stage::Script).await).await, Handled::Failed(_)));
    let v = jobs::get(&e.db, id).await.unwrap();
    assert_eq!(v.job.status, "failed");
    assert_eq!(v.stage(Stage::Script).unwrap().failure_reason.as_deref(), Some("the photo shows nothing we can use"));
    assert_eq!(credits::balances(e.db.conn(), u).await.unwrap().trials, 1);
    let we = worker(&e, flaky(Stage::Enhance, 0, false), 5);
    assert!(matches!(we.handle(&next(&e, Stage::Enhance).await).await, Handled::Skipped(_)));
    assert_eq!(e.queue.depth(Stage::Enhance.queue()).await.unwrap(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_tasks_are_dead_lettered() {
    let e = env().await;
    let w = worker(&e, flaky(Stage::Render, 0, false), 5);
    e.queue.publish(Stage::Render.queue(), b"\xff garbage", &Default::default()).await.unwrap();
    assert_eq!(w.handle(&next(&e, Stage::Render).await).await, Handled::DeadLettered);
    assert_eq!(e.queue.dead_count(Stage::Render.queue()).await.unwrap(), 1);
}
