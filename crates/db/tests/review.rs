//! Review before paying, on every backend (SQLite always; PostgreSQL when configured): a job
//! submitted with `review` stops in `awaiting_review` instead of handing on to render, pays
//! only when its render is requested (once, however many ask at once), and gives back exactly
//! what it paid; and idempotency keys that expire after a day.

use glimvid_db::{
    Db, DbError,
    entity::jobs as jobs_entity,
    repo::{
        credits,
        jobs::{self, Admission, CompleteOutcome, JobView, NewAsset, NewJob, NewTask, StageResult, StartOutcome},
        outbox,
    },
    sea_orm::{
        ColumnTrait, EntityTrait, QueryFilter,
        sea_query::{Expr, ExprTrait},
    },
};
use glimvid_domain::{
    JobId, Stage, UserId,
    credits::{Currency, EntryKind},
};

mod common;
use common::{each_backend, user};

fn render_task() -> NewTask {
    NewTask { queue: "glimvid.render", payload: b"r".to_vec() }
}

fn review_job(user_id: UserId) -> NewJob {
    NewJob { options_json: r#"{"duration_s":5,"review":true}"#.into(), ..common::new_job(user_id) }
}

/// Render tasks of the job waiting in the outbox.
async fn renders(db: &Db, id: JobId) -> usize {
    outbox::unsent(db, 10_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.job_id() == Some(id) && r.queue == "glimvid.render")
        .count()
}

async fn balances(db: &Db, u: UserId) -> (i64, i64) {
    let b = credits::balances(db.conn(), u).await.unwrap();
    (b.trials, b.credits)
}

/// Runs script and enhance of the job to success, as the workers would.
async fn finish_script_and_enhance(db: &Db, id: JobId) -> Vec<CompleteOutcome> {
    let mut out = Vec::new();
    for st in Stage::initial() {
        assert!(matches!(jobs::start_stage(db, id, st).await.unwrap(), StartOutcome::Run { .. }));
        let result = match st {
            Stage::Script => StageResult { script_json: Some(r#"{"title":"first"}"#.into()), ..Default::default() },
            _ => StageResult::default(),
        };
        out.push(jobs::complete_stage(db, id, st, result, render_task).await.unwrap());
    }
    out
}

fn script_asset(u: UserId, id: JobId, name: &str) -> NewAsset {
    NewAsset {
        kind: glimvid_db::entity::enums::AssetKind::Script,
        idx: 0,
        blob_key: format!("u/{u}/j/{id}/script/{name}.json"),
        size: 10,
        content_type: "application/json".into(),
        sha256: "00".into(),
        width: None,
        height: None,
    }
}

fn job_events(events: &[jobs::JobEvent], status: &str) -> usize {
    events.iter().filter(|e| e.kind == "job" && e.status.map(|s| s.as_str()) == Some(status)).count()
}

async fn status(db: &Db, id: JobId) -> String {
    jobs::get(db, id).await.unwrap().job.status.to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_job_with_review_stops_is_edited_and_pays_only_at_render() {
    each_backend(|db| async move {
        let u = user(&db, 1).await;
        let v = jobs::create(&db, review_job(u)).await.unwrap();
        let id = v.job.id();
        assert_eq!(v.job.status, "queued");
        assert_eq!(v.job.payment_currency, None, "nothing is paid at submission");
        assert_eq!(balances(&db, u).await, (1, 0), "the trial is still there");

        let outcomes = finish_script_and_enhance(&db, id).await;
        assert!(
            outcomes
                .iter()
                .all(|o| matches!(o, CompleteOutcome::Recorded { next, job_succeeded: false } if next.is_empty())),
            "nothing is handed on to render: {outcomes:?}"
        );
        assert_eq!(status(&db, id).await, "awaiting_review");
        assert_eq!(renders(&db, id).await, 0);
        assert!(matches!(jobs::start_stage(&db, id, Stage::Render).await.unwrap(), StartOutcome::Skip(_)));
        let events = jobs::events_after(&db, id, 0, 100).await.unwrap();
        assert_eq!(job_events(&events, "awaiting_review"), 1, "{events:?}");

        // Another user sees nothing; the owner replaces the script.
        let other = user(&db, 1).await;
        let stranger = jobs::replace_script(&db, other, id, "{}".into(), script_asset(other, id, "x")).await;
        assert!(matches!(stranger, Err(DbError::NotFound(_))), "{stranger:?}");
        assert!(matches!(
            jobs::request_render(&db, other, id, &Admission::default(), render_task()).await,
            Err(DbError::NotFound(_))
        ));
        assert_eq!(balances(&db, other).await, (1, 0), "a stranger's render request charged them");
        let (edited, replaced) =
            jobs::replace_script(&db, u, id, r#"{"title":"edited"}"#.into(), script_asset(u, id, "edit-1"))
                .await
                .unwrap();
        assert_eq!(edited.job.script_json.as_deref(), Some(r#"{"title":"edited"}"#));
        assert_eq!(edited.job.status, "awaiting_review");
        assert_eq!(replaced, None, "the job had no script object yet");
        let (_, replaced) =
            jobs::replace_script(&db, u, id, r#"{"title":"again"}"#.into(), script_asset(u, id, "edit-2"))
                .await
                .unwrap();
        assert_eq!(replaced.as_deref(), Some(format!("u/{u}/j/{id}/script/edit-1.json").as_str()));
        let scripts: Vec<_> =
            jobs::get(&db, id).await.unwrap().assets.into_iter().filter(|a| a.kind == "script").collect();
        assert_eq!(scripts.len(), 1, "one script object per job");
        assert!(scripts[0].blob_key.ends_with("edit-2.json"));
        assert_eq!(balances(&db, u).await, (1, 0));

        // The render request pays (the trial) and hands on, in one step.
        let v = jobs::request_render(&db, u, id, &Admission::default(), render_task()).await.unwrap();
        assert_eq!(v.job.status, "queued");
        assert_eq!(v.job.payment_currency.map(|c| c.as_str()), Some("trial"));
        assert_eq!(v.job.script_json.as_deref(), Some(r#"{"title":"again"}"#));
        assert_eq!(balances(&db, u).await, (0, 0));
        assert_eq!(renders(&db, id).await, 1);
        let events = jobs::events_after(&db, id, 0, 100).await.unwrap();
        let last = events.last().unwrap();
        assert_eq!((last.kind.as_str(), last.status.map(|s| s.as_str())), ("job", Some("queued")), "{events:?}");
        assert_eq!(last.message.as_deref(), Some("render requested"));

        // Not awaiting review any more: neither edits nor a second render request change a thing.
        assert!(matches!(
            jobs::request_render(&db, u, id, &Admission::default(), render_task()).await,
            Err(DbError::FailedPrecondition(_))
        ));
        assert!(matches!(
            jobs::replace_script(&db, u, id, "{}".into(), script_asset(u, id, "late")).await,
            Err(DbError::FailedPrecondition(_))
        ));
        assert_eq!(renders(&db, id).await, 1);
        assert_eq!(jobs::get(&db, id).await.unwrap().job.script_json.as_deref(), Some(r#"{"title":"again"}"#));
        let StartOutcome::Run { view, .. } = jobs::start_stage(&db, id, Stage::Render).await.unwrap() else {
            panic!("render must start once requested")
        };
        assert_eq!(view.job.status, "running");
        let done = jobs::complete_stage(&db, id, Stage::Render, StageResult::default(), render_task).await.unwrap();
        assert_eq!(done, CompleteOutcome::Recorded { next: vec![], job_succeeded: true });
        assert_eq!(balances(&db, u).await, (0, 0), "a finished job keeps what it paid");

        // With nothing left to pay with, a job with review is refused at submission (it could
        // never be rendered), although it would not pay yet.
        let early = jobs::create(&db, review_job(u)).await;
        assert!(matches!(early, Err(DbError::PaymentRequired)), "no trial or credit left: {early:?}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_render_without_credits_is_refused_and_the_job_keeps_waiting() {
    each_backend(|db| async move {
        let u = user(&db, 1).await;
        let reviewed = jobs::create(&db, review_job(u)).await.unwrap().job.id();
        assert!(
            matches!(
                jobs::request_render(&db, u, reviewed, &Admission::default(), render_task()).await,
                Err(DbError::FailedPrecondition(_))
            ),
            "a job whose script and enhance still run is not awaiting review"
        );
        // The trial goes to another job meanwhile.
        jobs::create(&db, common::new_job(u)).await.unwrap();
        finish_script_and_enhance(&db, reviewed).await;
        let r = jobs::request_render(&db, u, reviewed, &Admission::default(), render_task()).await;
        assert!(matches!(r, Err(DbError::PaymentRequired)), "{r:?}");
        let v = jobs::get(&db, reviewed).await.unwrap();
        assert_eq!(v.job.status, "awaiting_review");
        assert_eq!(v.job.payment_currency, None);
        assert_eq!(renders(&db, reviewed).await, 0);
        assert_eq!(credits::reserved_by_job(db.conn(), reviewed).await.unwrap(), None);
        let events = jobs::events_after(&db, reviewed, 0, 100).await.unwrap();
        assert_eq!(job_events(&events, "queued"), 1, "only the submission's: {events:?}");

        // A purchase pays for it; bought credits, since no trial is left.
        credits::grant(&db, u, 1, EntryKind::Purchase, &format!("p-{u}")).await.unwrap();
        let v = jobs::request_render(&db, u, reviewed, &Admission::default(), render_task()).await.unwrap();
        assert_eq!(v.job.payment_currency.map(|c| c.as_str()), Some("credit"));
        assert_eq!(balances(&db, u).await, (0, 0));
        assert_eq!(credits::reserved_by_job(db.conn(), reviewed).await.unwrap(), Some((Currency::Credit, 1)));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_render_requests_pay_and_hand_on_once() {
    each_backend(|db| async move {
        let u = user(&db, 0).await;
        credits::grant(&db, u, 5, EntryKind::Purchase, &format!("p-{u}")).await.unwrap();
        let id = jobs::create(&db, review_job(u)).await.unwrap().job.id();
        finish_script_and_enhance(&db, id).await;
        let asks = (0..6).map(|_| {
            let db = db.clone();
            tokio::spawn(async move { jobs::request_render(&db, u, id, &Admission::default(), render_task()).await })
        });
        let mut ok = 0;
        for a in asks {
            match a.await.unwrap() {
                Ok(_) => ok += 1,
                Err(DbError::FailedPrecondition(_)) => {}
                Err(e) => panic!("unexpected {e:?}"),
            }
        }
        assert_eq!(ok, 1, "exactly one render request wins");
        assert_eq!(renders(&db, id).await, 1);
        assert_eq!(balances(&db, u).await, (0, 4), "paid once");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cancel_gives_back_exactly_what_was_paid() {
    each_backend(|db| async move {
        let u = user(&db, 2).await;
        // Canceled while awaiting review: nothing was paid, nothing comes back.
        let a = jobs::create(&db, review_job(u)).await.unwrap().job.id();
        finish_script_and_enhance(&db, a).await;
        let v = jobs::cancel(&db, u, a).await.unwrap();
        assert_eq!(v.job.status, "canceled");
        assert_eq!(balances(&db, u).await, (2, 0), "a refund of what was never paid");
        let refunds = credits::entries(&db, u).await.unwrap().into_iter().filter(|e| e.kind == "refund").count();
        assert_eq!(refunds, 0);

        // Canceled after the render was requested: the trial it paid comes back, once.
        let b = jobs::create(&db, review_job(u)).await.unwrap().job.id();
        finish_script_and_enhance(&db, b).await;
        jobs::request_render(&db, u, b, &Admission::default(), render_task()).await.unwrap();
        assert_eq!(balances(&db, u).await, (1, 0));
        jobs::cancel(&db, u, b).await.unwrap();
        assert_eq!(balances(&db, u).await, (2, 0));
        assert!(matches!(jobs::cancel(&db, u, b).await, Err(DbError::FailedPrecondition(_))));
        assert_eq!(balances(&db, u).await, (2, 0));

        // Deleted while awaiting review: gone, and nothing moves.
        let c = jobs::create(&db, review_job(u)).await.unwrap().job.id();
        finish_script_and_enhance(&db, c).await;
        jobs::delete(&db, u, c).await.unwrap();
        assert!(jobs::get(&db, c).await.is_err());
        assert_eq!(balances(&db, u).await, (2, 0));

        // A job without review still pays at submission and is refunded on failure.
        let d = jobs::create(&db, common::new_job(u)).await.unwrap().job.id();
        assert_eq!(balances(&db, u).await, (1, 0));
        jobs::start_stage(&db, d, Stage::Script).await.unwrap();
        jobs::fail_stage(&db, d, Stage::Script, "the writer refused").await.unwrap();
        assert_eq!(balances(&db, u).await, (2, 0));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn jobs_awaiting_review_count_in_flight_and_their_render_keeps_their_place() {
    each_backend(|db| async move {
        let u = user(&db, 5).await;
        let adm = Admission { max_in_flight: Some(1), ..Admission::default() };
        let first = jobs::create_with(&db, review_job(u), &adm).await.unwrap().job.id();
        let busy = jobs::create_with(&db, review_job(u), &adm).await;
        assert!(matches!(busy, Err(DbError::RateLimited { .. })), "script and enhance are in flight: {busy:?}");
        finish_script_and_enhance(&db, first).await;
        // Waiting for its owner, the job still holds the account's place: review jobs cannot
        // pile up for free.
        let blocked = jobs::create_with(&db, common::new_job(u), &adm).await;
        assert!(matches!(blocked, Err(DbError::RateLimited { .. })), "a job awaiting review is in flight: {blocked:?}");
        // Its render takes the place it already holds.
        jobs::request_render(&db, u, first, &adm, render_task()).await.unwrap();
        assert_eq!(status(&db, first).await, "queued");
        let still = jobs::create_with(&db, common::new_job(u), &adm).await;
        assert!(matches!(still, Err(DbError::RateLimited { .. })), "{still:?}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn review_jobs_have_a_daily_allowance_per_network_and_per_account() {
    each_backend(|db| async move {
        let (u, v) = (user(&db, 5).await, user(&db, 5).await);
        let net = |ip: &str| Admission { client_ip: Some(ip.into()), reviews_per_day: Some(2), ..Admission::default() };
        for _ in 0..2 {
            jobs::create_with(&db, review_job(u), &net("198.51.100.9")).await.unwrap();
        }
        match jobs::create_with(&db, review_job(u), &net("198.51.100.9")).await {
            Err(DbError::RateLimited { limit, retry_after_s, .. }) => {
                assert_eq!(limit, 2);
                assert!((1..=86_400).contains(&retry_after_s), "until midnight UTC: {retry_after_s}");
            }
            other => panic!("a third review job the same day: {other:?}"),
        }
        // The allowance is for review jobs only: a paid job goes through.
        jobs::create_with(&db, common::new_job(u), &net("198.51.100.9")).await.unwrap();
        // Another account on the spent network is refused; from another network it is not.
        let same_net = jobs::create_with(&db, review_job(v), &net("198.51.100.9")).await;
        assert!(matches!(same_net, Err(DbError::RateLimited { .. })), "{same_net:?}");
        jobs::create_with(&db, review_job(v), &net("203.0.113.20")).await.unwrap();
        // The spent account is refused from a fresh network too.
        let same_account = jobs::create_with(&db, review_job(u), &net("192.0.2.44")).await;
        assert!(matches!(same_account, Err(DbError::RateLimited { .. })), "{same_account:?}");
    })
    .await;
}

/// Moves a job's creation time back by `ms`.
async fn age(db: &Db, id: JobId, ms: i64) {
    jobs_entity::Entity::update_many()
        .col_expr(jobs_entity::Column::CreatedAt, Expr::col(jobs_entity::Column::CreatedAt).sub(ms))
        .filter(jobs_entity::Column::Id.eq(id.as_uuid()))
        .exec(db.conn())
        .await
        .unwrap();
}

fn keyed(u: UserId, key: &str) -> NewJob {
    NewJob { idempotency_key: Some(key.into()), request_hash: Some("h".into()), ..common::new_job(u) }
}

async fn by_key(db: &Db, u: UserId, key: &str) -> Option<JobView> {
    jobs::find_by_idempotency_key(db, u, key).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_idempotency_key_replays_for_a_day_then_is_released() {
    each_backend(|db| async move {
        let u = user(&db, 5).await;
        let old = jobs::create(&db, keyed(u, "k-1")).await.unwrap().job.id();
        assert_eq!(by_key(&db, u, "k-1").await.map(|v| v.job.id()), Some(old));
        // Within the day the key stays taken.
        age(&db, old, jobs::IDEMPOTENCY_TTL_MS - 60_000).await;
        assert_eq!(by_key(&db, u, "k-1").await.map(|v| v.job.id()), Some(old));
        assert!(matches!(jobs::create(&db, keyed(u, "k-1")).await, Err(DbError::Conflict(_))));
        // A day later it answers no more, and a new job takes it; the old job stays.
        age(&db, old, 120_000).await;
        assert!(by_key(&db, u, "k-1").await.is_none());
        let new = jobs::create(&db, keyed(u, "k-1")).await.unwrap().job.id();
        assert_ne!(new, old);
        assert_eq!(by_key(&db, u, "k-1").await.map(|v| v.job.id()), Some(new));
        let old_view = jobs::get(&db, old).await.unwrap();
        assert_eq!(old_view.job.idempotency_key, None, "the old job's key is released");
        assert_eq!(jobs::list(&db, u, None, 10).await.unwrap().len(), 2);
        // Keys are per account: another user's same key is unaffected.
        let other = user(&db, 1).await;
        jobs::create(&db, keyed(other, "k-1")).await.unwrap();
        assert_eq!(by_key(&db, u, "k-1").await.map(|v| v.job.id()), Some(new));
    })
    .await;
}
