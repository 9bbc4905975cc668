//! The worker loop driven one delivery at a time on the embedded adapters: success hands on,
//! transient failures retry, permanent ones fail and refund, exhausted tasks are dead-lettered,
//! redeliveries of finished stages are dropped, and a stage whose job is deleted under it leaves
//! no object behind (on the filesystem and S3, SQLite and PostgreSQL).

use std::{
    sync::{
        Arc,
        atomic::{AtomicU32, Ordering},
    },
    time::Duration,
};

use async_trait::async_trait;
use glimvid_blob::{BlobStore, FsStore, S3Settings, S3Store};
use glimvid_db::{
    Db,
    repo::{
        credits,
        jobs::{self, NewJob, NewTask, StageResult},
        users::{self, NewUser},
    },
    testing,
};
use glimvid_domain::{JobId, Stage, UserId};
use glimvid_pipeline::{
    OutboxRelay, StageError, StageHandler, StageRun, Worker, WorkerConfig, encode_task, keys, worker::Handled,
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
        run.put(&key, bytes::Bytes::from_static(b"ok"), "text/plain").await?;
        Ok(StageResult { script_json: Some("{}".into()), ..Default::default() })
    }
}

struct Env {
    db: Db,
    queue: Arc<dyn JobQueue>,
    blob: Arc<dyn BlobStore>,
    relay: OutboxRelay,
}

/// SQLite and a filesystem store, dropped with the test.
struct Local {
    e: Env,
    _dir: tempfile::TempDir,
    _t: testing::TestDb,
}

impl std::ops::Deref for Local {
    type Target = Env;
    fn deref(&self) -> &Env {
        &self.e
    }
}

async fn env() -> Local {
    let t = testing::sqlite().await;
    let dir = tempfile::tempdir().unwrap();
    let db = t.db.clone();
    let queue: Arc<dyn JobQueue> = Arc::new(DbQueue::new(db.clone(), DbQueueConfig::default()));
    let blob: Arc<dyn BlobStore> = Arc::new(FsStore::open(dir.path()).await.unwrap());
    let relay = OutboxRelay::new(db.clone(), queue.clone());
    Local { e: Env { db, queue, blob, relay }, _dir: dir, _t: t }
}

async fn job(e: &Env) -> (UserId, JobId) {
    job_of(e, "a@example.com").await
}

async fn job_of(e: &Env, email: &str) -> (UserId, JobId) {
    let u = users::create_user(&e.db, NewUser { email, password_hash: "h", language: "en" }, 1).await.unwrap().id();
    let id = JobId::new();
    jobs::create(
        &e.db,
        NewJob {
            id,
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
    (u, id)
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

/// Who deletes what while the stage runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Deleted {
    Nothing,
    Job,
    Account,
}

/// How the stage ends after its last write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ending {
    Succeeds,
    FailsTransiently,
    FailsPermanently,
}

/// Writes one object, lets the owner delete the job (or the whole account) the way the gateway
/// does (rows, then every object under the prefix), writes another one that nobody else will
/// ever remove, then ends as told.
struct DeletedMidway {
    deleted: Deleted,
    ending: Ending,
}

#[async_trait]
impl StageHandler for DeletedMidway {
    fn stage(&self) -> Stage {
        Stage::Script
    }

    async fn run(&self, run: &StageRun) -> Result<StageResult, StageError> {
        run.put(&run.key("script", 0, "txt"), bytes::Bytes::from_static(b"before"), "text/plain").await?;
        let gone = match self.deleted {
            Deleted::Nothing => None,
            Deleted::Job => Some(jobs::delete(&run.db, run.user_id(), run.job_id()).await.map(drop)),
            Deleted::Account => Some(users::delete_account(&run.db, run.user_id()).await.map(drop)),
        };
        if let Some(gone) = gone {
            gone.expect("the owner's delete");
            run.blob.delete_prefix(&keys::job_prefix(run.user_id(), run.job_id())).await.expect("the owner's sweep");
        }
        run.put(&run.key("script", 1, "txt"), bytes::Bytes::from_static(b"after"), "text/plain").await?;
        assert_eq!(run.written().len(), 2);
        match self.ending {
            Ending::Succeeds => Ok(StageResult { script_json: Some("{}".into()), ..Default::default() }),
            Ending::FailsTransiently => {
                Err(StageError::Transient { message: "provider busy".into(), retry_after: Some(Duration::ZERO) })
            }
            Ending::FailsPermanently => Err(StageError::Permanent("the provider refused".into())),
        }
    }
}

/// The object stores to run on: the filesystem, and S3 in a fresh bucket when
/// `GLIMVID_TEST_S3_ENDPOINT` is set (required with `GLIMVID_TEST_REQUIRE_REAL=1`).
async fn stores() -> Vec<(&'static str, Arc<dyn BlobStore>, Option<Arc<S3Store>>, Option<tempfile::TempDir>)> {
    let dir = tempfile::tempdir().unwrap();
    let fs: Arc<dyn BlobStore> = Arc::new(FsStore::open(dir.path()).await.unwrap());
    let mut out = vec![("fs", fs, None, Some(dir))];
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    match var("GLIMVID_TEST_S3_ENDPOINT") {
        Some(endpoint) => {
            let mut s = S3Settings::new(
                Some(endpoint),
                format!("glimvid-test-{}", uuid::Uuid::new_v4().simple()),
                var("GLIMVID_TEST_S3_REGION").unwrap_or_else(|| "us-east-1".into()),
                var("GLIMVID_TEST_S3_ACCESS_KEY_ID").expect("GLIMVID_TEST_S3_ACCESS_KEY_ID"),
                var("GLIMVID_TEST_S3_SECRET_ACCESS_KEY").expect("GLIMVID_TEST_S3_SECRET_ACCESS_KEY"),
            );
            s.create_bucket_if_missing = true;
            let s3 = Arc::new(S3Store::connect(s).await.expect("GLIMVID_TEST_S3_ENDPOINT is set but S3 is unusable"));
            out.push(("s3", s3.clone() as Arc<dyn BlobStore>, Some(s3), None));
        }
        None if testing::require_real() => {
            panic!("GLIMVID_TEST_REQUIRE_REAL=1 but GLIMVID_TEST_S3_ENDPOINT is not set")
        }
        None => eprintln!(
            "note: S3 part skipped: GLIMVID_TEST_S3_ENDPOINT is not set (`eval \"$(scripts/s3-server start)\"`)"
        ),
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stage_whose_job_is_deleted_mid_way_leaves_no_object_behind() {
    for (store, blob, s3, _dir) in stores().await {
        for t in testing::databases().await {
            for deleted in [Deleted::Job, Deleted::Account, Deleted::Nothing] {
                for ending in [Ending::Succeeds, Ending::FailsTransiently, Ending::FailsPermanently] {
                    let case = format!("{store}, {}, {deleted:?}, {ending:?}", t.name);
                    let db = t.db.clone();
                    let queue: Arc<dyn JobQueue> = Arc::new(DbQueue::new(db.clone(), DbQueueConfig::default()));
                    let relay = OutboxRelay::new(db.clone(), queue.clone());
                    let e = Env { db, queue, blob: blob.clone(), relay };
                    let (u, id) = job_of(&e, &format!("{}@example.com", uuid::Uuid::new_v4().simple())).await;
                    let cfg = WorkerConfig {
                        concurrency: 1,
                        max_attempts: 5,
                        backoff_base: Duration::from_millis(10),
                        backoff_cap: Duration::from_millis(20),
                    };
                    let w = Worker::new(
                        Arc::new(DeletedMidway { deleted, ending }),
                        e.db.clone(),
                        e.queue.clone(),
                        e.blob.clone(),
                        e.relay.clone(),
                        cfg,
                    );
                    let out = w.handle(&next(&e, Stage::Script).await).await;
                    let left = blob.list(&keys::job_prefix(u, id)).await.unwrap();
                    if deleted == Deleted::Nothing {
                        // The job still owns what it wrote (a retry overwrites it, deleting the
                        // job removes it): nothing is swept from under a live job.
                        assert_eq!(left.len(), 2, "{case}: {left:?} ({out:?})");
                    } else {
                        assert!(left.is_empty(), "{case}: {left:?} left behind ({out:?})");
                    }
                    // A retried task of a deleted job is dropped when it comes back.
                    while let Some(d) =
                        e.queue.receive(Stage::Script.queue(), Duration::from_millis(300)).await.unwrap()
                    {
                        let again = w.handle(&d).await;
                        if deleted != Deleted::Nothing {
                            assert!(matches!(again, Handled::Skipped(_)), "{case}: {again:?}");
                        }
                    }
                    assert!(blob.list(&keys::job_prefix(u, id)).await.unwrap().len() <= 2, "{case}");
                }
            }
            t.cleanup().await;
        }
        if let Some(s3) = s3 {
            s3.delete_prefix("").await.expect("emptying the test bucket");
            s3.client().delete_bucket().bucket(s3.bucket()).send().await.expect("deleting the test bucket");
        }
    }
}
