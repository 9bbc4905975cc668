//! The status, stage and kind columns are enums in Rust, but the strings in the database are
//! those older versions wrote: rows written with plain SQL as they wrote them read back as the
//! right variants, and rows the repository writes hold exactly those strings.

use glimvid_db::{
    entity::{
        credit_ledger,
        enums::{AssetKind, Currency, EntryKind, EventKind, EventStatus, JobStatus, Stage, StageStatus},
        job_events, job_stages, jobs,
    },
    repo::{jobs as job_repo, webhooks},
    sea_orm::{ConnectionTrait, DbBackend, EntityTrait, Statement, Value},
};

use uuid::Uuid;

mod common;
use common::{each_backend, new_job, user};

/// The text of one column of the first row `sql` returns; `#` in `sql` binds the job id.
async fn text(db: &glimvid_db::Db, sql: &str, id: Uuid) -> String {
    let c = db.conn();
    let backend = c.get_database_backend();
    let p = if backend == DbBackend::Postgres { "$1" } else { "?1" };
    let stmt = Statement::from_sql_and_values(backend, sql.replace('#', p), [Value::from(id)]);
    let row = c.query_one_raw(stmt).await.unwrap().unwrap();
    row.try_get_by_index::<String>(0).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_repository_writes_the_old_strings_and_reads_them_back() {
    each_backend(|db| async move {
        let u = user(&db, 1).await;
        let v = job_repo::create(&db, new_job(u)).await.unwrap();
        let id = v.job.id;
        assert_eq!(text(&db, "SELECT status FROM jobs WHERE id = #", id).await, "queued");
        assert_eq!(text(&db, "SELECT payment_currency FROM jobs WHERE id = #", id).await, "trial");
        assert_eq!(
            text(&db, "SELECT status FROM job_stages WHERE job_id = # AND stage = 'render'", id).await,
            "pending"
        );
        assert_eq!(text(&db, "SELECT kind FROM assets WHERE job_id = #", id).await, "original");
        assert_eq!(text(&db, "SELECT kind || '/' || status FROM job_events WHERE job_id = #", id).await, "job/queued");
        assert_eq!(
            text(&db, "SELECT currency || '/' || kind FROM credit_ledger WHERE job_id = #", id).await,
            "trial/reserve"
        );
        assert_eq!(v.job.status, JobStatus::Queued);
        assert_eq!(v.job.payment_currency, Some(Currency::Trial));
        assert_eq!(v.assets[0].kind, AssetKind::Original);

        // Rows as an older version wrote them, with plain SQL, decode to the same variants.
        let c = db.conn();
        let backend = c.get_database_backend();
        let p = if backend == DbBackend::Postgres { "$1" } else { "?1" };
        for sql in [
            format!("UPDATE job_stages SET status = 'canceled' WHERE job_id = {p} AND stage = 'enhance'"),
            format!(
                "INSERT INTO job_events (job_id, kind, stage, status, message, at) \
                 VALUES ({p}, 'stage', 'enhance', 'canceled', NULL, 1)"
            ),
        ] {
            c.execute_raw(Statement::from_sql_and_values(backend, sql, [Value::from(id)])).await.unwrap();
        }
        let stages = job_stages::Entity::find().all(c).await.unwrap();
        let enhance = stages.iter().find(|s| s.job_id == id && s.stage == Stage::Enhance).unwrap();
        assert_eq!(enhance.status, StageStatus::Canceled);
        let events = job_events::Entity::find().all(c).await.unwrap();
        let last = events.iter().filter(|e| e.job_id == id).max_by_key(|e| e.id).unwrap();
        assert_eq!(
            (last.kind, last.stage, last.status),
            (EventKind::Stage, Some(Stage::Enhance), Some(EventStatus::Canceled))
        );
        let ledger = credit_ledger::Entity::find().all(c).await.unwrap();
        assert!(
            ledger
                .iter()
                .any(|e| e.job_id == Some(id) && e.currency == Currency::Trial && e.kind == EntryKind::Reserve)
        );
        assert_eq!(jobs::Entity::find_by_id(id).one(c).await.unwrap().unwrap().status, JobStatus::Queued);
        // The delivery statuses keep their names in the raw SQL of the webhook scan too.
        assert_eq!(webhooks::status::PENDING.as_str(), "pending");
    })
    .await;
}
