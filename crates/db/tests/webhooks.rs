//! Webhook deliveries on every backend (SQLite always; PostgreSQL when configured): events are
//! found once per webhook, a delivery is created once however many replicas race, two senders
//! never claim the same delivery, attempts are recorded, and account deletion removes it all.

use glimvid_db::repo::{
    jobs::{self, Admission},
    users,
    webhooks::{self, Attempt, status},
};
use glimvid_domain::{Stage, WebhookId};

mod common;
use common::{each_backend, user};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn deliveries_are_made_once_claimed_once_and_recorded() {
    each_backend(|db| async move {
        let now = glimvid_db::now_ms();
        let owner = user(&db, 5).await;
        let stranger = user(&db, 5).await;
        // An event before the registration is not delivered.
        let before = jobs::create_with(&db, common::new_job(owner), &Admission::default()).await.unwrap();
        let hook = webhooks::create(
            &db,
            WebhookId::from(uuid::Uuid::new_v4()),
            owner,
            "https://partner.example/hook",
            "whsec_x",
            now,
        )
        .await
        .unwrap();
        let job = jobs::create_with(&db, common::new_job(owner), &Admission::default()).await.unwrap();
        for n in ["cropped around the subject", "levels stretched", "white balance corrected"] {
            jobs::note(&db, job.job.id(), Stage::Enhance, n).await.unwrap();
        }
        jobs::create_with(&db, common::new_job(stranger), &Admission::default()).await.unwrap();

        let pending = webhooks::pending_events(&db, now - 60_000, 100).await.unwrap();
        assert!(!pending.is_empty());
        assert!(pending.iter().all(|p| p.webhook_id == hook.id() && p.event.job_id() == job.job.id()), "{pending:?}");
        assert!(pending.iter().all(|p| p.event.job_id() != before.job.id()));
        assert!(pending.windows(2).all(|w| w[0].event.id < w[1].event.id), "oldest first");

        // Two replicas fan out the same events: each delivery is made once.
        for p in &pending {
            let a = webhooks::insert_delivery(&db, p.webhook_id, p.user_id, p.event.id, "{}", now).await.unwrap();
            let b = webhooks::insert_delivery(&db, p.webhook_id, p.user_id, p.event.id, "{}", now).await.unwrap();
            assert!(a && !b);
        }
        assert!(webhooks::pending_events(&db, now - 60_000, 100).await.unwrap().is_empty());

        // Two senders claim at once: no delivery is claimed twice, and all are claimed.
        let (x, y) =
            tokio::join!(webhooks::claim_due(&db, now, 30_000, 100), webhooks::claim_due(&db, now, 30_000, 100));
        let (x, y) = (x.unwrap(), y.unwrap());
        let mut ids: Vec<i64> = x.iter().chain(&y).map(|c| c.delivery.id).collect();
        ids.sort_unstable();
        let n = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), n, "a delivery was claimed twice");
        assert_eq!(n, pending.len());
        assert!(x.iter().chain(&y).all(|c| c.url == hook.url && c.secret == "whsec_x"));
        // Leased: nothing is due until the lease ends.
        assert!(webhooks::claim_due(&db, now + 1_000, 30_000, 100).await.unwrap().is_empty());

        // One fails and is retried later; one gives up; the rest are delivered.
        let (first, second) = (ids[0], ids[1]);
        webhooks::record_attempt(
            &db,
            first,
            Attempt::Failed {
                status_code: Some(503),
                error: "the receiver answered 503".into(),
                retry_at: Some(now + 5_000),
            },
            now,
        )
        .await
        .unwrap();
        webhooks::record_attempt(
            &db,
            second,
            Attempt::Failed { status_code: None, error: "timeout".into(), retry_at: None },
            now,
        )
        .await
        .unwrap();
        for id in &ids[2..] {
            webhooks::record_attempt(&db, *id, Attempt::Delivered { status_code: 200 }, now).await.unwrap();
        }
        let again = webhooks::claim_due(&db, now + 5_000, 30_000, 100).await.unwrap();
        assert_eq!(again.iter().map(|c| c.delivery.id).collect::<Vec<_>>(), [first], "only the failed one is due");
        assert_eq!(again[0].delivery.attempts, 1);
        assert_eq!(again[0].delivery.last_status_code, Some(503));

        let listed = webhooks::deliveries(&db, hook.id(), None, 100).await.unwrap();
        assert_eq!(listed.len(), n);
        assert!(listed.windows(2).all(|w| w[0].id > w[1].id), "newest first");
        let by_id = |id| listed.iter().find(|d| d.id == id).unwrap();
        assert_eq!(by_id(second).status, status::FAILED);
        assert_eq!(by_id(ids[2]).status, status::DELIVERED);
        let page = webhooks::deliveries(&db, hook.id(), Some(listed[0].id), 1).await.unwrap();
        assert_eq!(page.len(), 1);
        assert_eq!(page[0].id, listed[1].id);

        // Only the owner finds it; deleting the account removes the webhook and its deliveries.
        assert!(webhooks::get_owned(&db, stranger, hook.id()).await.is_err());
        users::delete_account(&db, owner).await.unwrap();
        assert!(webhooks::list(&db, owner).await.unwrap().is_empty());
        assert!(webhooks::deliveries(&db, hook.id(), None, 100).await.unwrap().is_empty());
    })
    .await;
}
