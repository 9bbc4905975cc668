//! The shared queue conformance suite on the database queue: SQLite always, PostgreSQL when
//! `GLIMVID_TEST_DATABASE_URL` is set.

use std::{sync::Arc, time::Duration};

use glimvid_db::testing;
use glimvid_queue::{DbQueue, JobQueue, conformance, db::DbQueueConfig};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn db_queue_passes_the_conformance_suite() {
    for t in testing::databases().await {
        eprintln!("backend: {}", t.name);
        let db = t.db.clone();
        let cfg = DbQueueConfig { lease: Duration::from_secs(2), poll_interval: Duration::from_millis(50) };
        let q: Arc<dyn JobQueue> = Arc::new(DbQueue::new(db.clone(), cfg));
        conformance::run_all(q, "conf", || {
            let db = db.clone();
            async move { Arc::new(DbQueue::new(db, cfg)) as Arc<dyn JobQueue> }
        })
        .await;
        t.cleanup().await;
    }
}
