//! The shared queue conformance suite on the embedded adapter (the database queue on SQLite).

use std::{sync::Arc, time::Duration};

use glimvid_db::Db;
use glimvid_queue::{DbQueue, JobQueue, conformance, db::DbQueueConfig};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn db_queue_on_sqlite_passes_the_conformance_suite() {
    let dir = tempfile::tempdir().unwrap();
    let url = Db::sqlite_url(&dir.path().join("q.db"));
    let db = Db::connect(&url).await.unwrap();
    let cfg = DbQueueConfig { lease: Duration::from_secs(2), poll_interval: Duration::from_millis(50) };
    let q: Arc<dyn JobQueue> = Arc::new(DbQueue::new(db.clone(), cfg));
    conformance::run_all(q, "conf", || {
        let db = db.clone();
        async move { Arc::new(DbQueue::new(db, cfg)) as Arc<dyn JobQueue> }
    })
    .await;
}
