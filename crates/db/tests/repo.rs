//! Repository rules on every backend (SQLite always; PostgreSQL when configured): credits,
//! the stage state machine, the fan-in to render, refunds, deletion.

use glimvid_db::{
    DbError,
    repo::{
        credits,
        jobs::{self, CompleteOutcome, NewAsset, NewTask, StageResult, StartOutcome},
        outbox,
        users::{self, NewUser, RotateOutcome},
    },
};
use glimvid_domain::Stage;
use uuid::Uuid;

mod common;
use common::{each_backend, new_job, user};

fn render_task() -> NewTask {
    NewTask { queue: "glimvid.render", payload: b"r".to_vec() }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn accepting_a_job_reserves_a_trial_and_writes_its_first_tasks() {
    each_backend(|db| async move {
        let u = user(&db, 1).await;
        let before = outbox::unsent(&db, 1000).await.unwrap().len();
        let v = jobs::create(&db, new_job(u)).await.unwrap();
        assert_eq!(v.job.status, "queued");
        assert_eq!(v.stages.len(), 3);
        assert_eq!(credits::balances(db.conn(), u).await.unwrap().trials, 0);
        assert_eq!(outbox::unsent(&db, 1000).await.unwrap().len(), before + 2);
        // No trial or credit left: 402, and nothing was written.
        assert!(matches!(jobs::create(&db, new_job(u)).await, Err(DbError::PaymentRequired)));
        assert_eq!(jobs::list(&db, u, None, 10).await.unwrap().len(), 1);
        assert_eq!(outbox::unsent(&db, 1000).await.unwrap().len(), before + 2);
        // A purchase pays for the next one.
        credits::grant(&db, u, 2, glimvid_domain::credits::EntryKind::Purchase, &format!("evt-{u}")).await.unwrap();
        assert!(
            !credits::grant(&db, u, 2, glimvid_domain::credits::EntryKind::Purchase, &format!("evt-{u}"))
                .await
                .unwrap()
        );
        jobs::create(&db, new_job(u)).await.unwrap();
        let b = credits::balances(db.conn(), u).await.unwrap();
        assert_eq!((b.trials, b.credits), (0, 1));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn render_is_handed_on_exactly_once_however_the_stages_interleave() {
    each_backend(|db| async move {
        let u = user(&db, 50).await;
        for _ in 0..10 {
            let v = jobs::create(&db, new_job(u)).await.unwrap();
            let id = v.job.id();
            for st in Stage::initial() {
                assert!(matches!(jobs::start_stage(&db, id, st).await.unwrap(), StartOutcome::Run { .. }));
            }
            // Render may not start before both prerequisites succeed.
            assert!(matches!(jobs::start_stage(&db, id, Stage::Render).await.unwrap(), StartOutcome::Skip(_)));
            let (a, b) = tokio::join!(
                jobs::complete_stage(
                    &db,
                    id,
                    Stage::Script,
                    StageResult { script_json: Some("{}".into()), ..Default::default() },
                    render_task
                ),
                jobs::complete_stage(&db, id, Stage::Enhance, StageResult::default(), render_task),
            );
            let handed: usize = [a.unwrap(), b.unwrap()]
                .iter()
                .map(|o| match o {
                    CompleteOutcome::Recorded { next, .. } => next.len(),
                    other => panic!("unexpected {other:?}"),
                })
                .sum();
            assert_eq!(handed, 1, "render must be handed on exactly once");
            // A redelivered task for a finished stage changes nothing.
            assert!(matches!(jobs::start_stage(&db, id, Stage::Script).await.unwrap(), StartOutcome::Skip(_)));
            assert_eq!(
                jobs::complete_stage(&db, id, Stage::Script, StageResult::default(), render_task).await.unwrap(),
                CompleteOutcome::AlreadyDone
            );
            let renders = outbox::unsent(&db, 10_000)
                .await
                .unwrap()
                .into_iter()
                .filter(|r| r.job_id() == Some(id) && r.queue == "glimvid.render")
                .count();
            assert_eq!(renders, 1);
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn failure_refunds_once_and_cancels_what_was_left() {
    each_backend(|db| async move {
        let u = user(&db, 1).await;
        let v = jobs::create(&db, new_job(u)).await.unwrap();
        let id = v.job.id();
        jobs::start_stage(&db, id, Stage::Script).await.unwrap();
        assert!(jobs::fail_stage(&db, id, Stage::Script, "the writer refused").await.unwrap());
        assert!(!jobs::fail_stage(&db, id, Stage::Script, "again").await.unwrap());
        let v = jobs::get(&db, id).await.unwrap();
        assert_eq!(v.job.status, "failed");
        assert_eq!(v.job.failure_reason.as_deref(), Some("script failed: the writer refused"));
        assert_eq!(v.stage(Stage::Enhance).unwrap().status, "canceled");
        assert_eq!(credits::balances(db.conn(), u).await.unwrap().trials, 1, "refunded exactly once");
        // A late completion of a stage of a failed job is dropped.
        assert_eq!(
            jobs::complete_stage(&db, id, Stage::Enhance, StageResult::default(), render_task).await.unwrap(),
            CompleteOutcome::Stale
        );
        // Cancel after the end is refused; cancel of a live job refunds once.
        assert!(matches!(jobs::cancel(&db, u, id).await, Err(DbError::FailedPrecondition(_))));
        let v2 = jobs::create(&db, new_job(u)).await.unwrap();
        let other = user(&db, 0).await;
        assert!(matches!(jobs::cancel(&db, other, v2.job.id()).await, Err(DbError::NotFound(_))));
        assert_eq!(jobs::cancel(&db, u, v2.job.id()).await.unwrap().job.status, "canceled");
        assert_eq!(credits::balances(db.conn(), u).await.unwrap().trials, 1);
        let refunds = credits::entries(&db, u).await.unwrap().into_iter().filter(|e| e.kind == "refund").count();
        assert_eq!(refunds, 2);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn deletion_removes_rows_and_public_link() {
    each_backend(|db| async move {
        let u = user(&db, 2).await;
        let id = jobs::create(&db, new_job(u)).await.unwrap().job.id();
        for st in Stage::initial() {
            jobs::start_stage(&db, id, st).await.unwrap();
            jobs::complete_stage(
                &db,
                id,
                st,
                StageResult { script_json: Some("{}".into()), ..Default::default() },
                render_task,
            )
            .await
            .unwrap();
        }
        jobs::start_stage(&db, id, Stage::Render).await.unwrap();
        let public = "0123456789abcdef0123456789abcdef".to_string();
        let res = StageResult {
            assets: vec![NewAsset {
                kind: glimvid_db::entity::enums::AssetKind::Video,
                idx: 0,
                blob_key: format!("u/{u}/j/{id}/video/0.mp4"),
                size: 10,
                content_type: "video/mp4".into(),
                sha256: "11".into(),
                width: Some(1080),
                height: Some(1920),
            }],
            public_id: Some(public.clone()),
            ..Default::default()
        };
        assert_eq!(
            jobs::complete_stage(&db, id, Stage::Render, res, render_task).await.unwrap(),
            CompleteOutcome::Recorded { next: vec![], job_succeeded: true }
        );
        assert!(jobs::video_by_public_id(&db, &public).await.unwrap().is_some());
        let other = user(&db, 0).await;
        assert!(matches!(jobs::delete(&db, other, id).await, Err(DbError::NotFound(_))));
        let keys = jobs::delete(&db, u, id).await.unwrap();
        assert_eq!(keys.len(), 2);
        assert!(jobs::video_by_public_id(&db, &public).await.unwrap().is_none());
        assert!(jobs::get(&db, id).await.is_err());
        assert!(jobs::events_after(&db, id, 0, 10).await.unwrap().is_empty());
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn refresh_tokens_rotate_and_reuse_revokes_the_family() {
    each_backend(|db| async move {
        let u = user(&db, 0).await;
        let fam = Uuid::now_v7();
        users::insert_refresh_token(
            db.conn(),
            users::NewRefreshToken {
                user_id: u,
                family_id: fam,
                token_hash: format!("h1-{fam}"),
                expires_at: i64::MAX,
            },
        )
        .await
        .unwrap();
        assert!(matches!(
            users::rotate_refresh_token(&db, &format!("h1-{fam}"), format!("h2-{fam}"), i64::MAX).await.unwrap(),
            RotateOutcome::Rotated { .. }
        ));
        // Replaying the old one: refused, and the new one dies with it.
        assert!(matches!(
            users::rotate_refresh_token(&db, &format!("h1-{fam}"), format!("h3-{fam}"), i64::MAX).await.unwrap(),
            RotateOutcome::Reused
        ));
        assert!(matches!(
            users::rotate_refresh_token(&db, &format!("h2-{fam}"), format!("h4-{fam}"), i64::MAX).await.unwrap(),
            RotateOutcome::Invalid
        ));
        assert!(matches!(
            users::rotate_refresh_token(&db, "unknown", "x".into(), i64::MAX).await.unwrap(),
            RotateOutcome::Invalid
        ));
        // Emails are unique.
        let e = format!("{}@example.com", Uuid::new_v4().simple());
        users::create_user(&db, NewUser { email: &e, password_hash: "h", language: "en" }, 0).await.unwrap();
        assert!(matches!(
            users::create_user(&db, NewUser { email: &e, password_hash: "h", language: "en" }, 0).await,
            Err(DbError::Conflict(_))
        ));
    })
    .await;
}
