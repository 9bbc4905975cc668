//! Account rules on every backend (SQLite always; PostgreSQL when configured): rate-limit
//! counters shared by replicas, free trials per IP per day, jobs in flight, the usage log and
//! its purge with the clock moved forward, API keys, purchases once per event, account deletion.

use glimvid_db::{
    DbError,
    repo::{
        api_keys::{self, NewApiKey},
        billing::{self, PurchaseOutcome},
        credits,
        jobs::{self, Admission, NewJob},
        limits::{self, Rule},
        usage::{self, Event, RETENTION_MS},
        users,
    },
};
use glimvid_domain::UserId;
use uuid::Uuid;

mod common;
use common::{each_backend, user};

/// A one-photo job of `user_id` without tasks (these tests look at rows, not the queue).
fn new_job(user_id: UserId) -> NewJob {
    NewJob { tasks: vec![], ..common::new_job(user_id) }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fixed_window_counts_atomically_and_resets() {
    each_backend(|db| async move {
        let rule = Rule { limit: 5, window_ms: 60_000 };
        let t0 = 1_800_000_000_000i64; // a window boundary (divisible by 60 000)
        // 20 concurrent hits (as from several replicas): exactly 5 allowed.
        let hits = (0..20).map(|_| {
            let db = db.clone();
            async move { limits::hit_db(&db, "login:ip:192.0.2.1", rule, t0 + 10).await.unwrap() }
        });
        let decisions = futures_join_all(hits).await;
        assert_eq!(decisions.iter().filter(|d| d.allowed).count(), 5, "{decisions:?}");
        let last = limits::hit_db(&db, "login:ip:192.0.2.1", rule, t0 + 20_000).await.unwrap();
        assert!(!last.allowed);
        assert_eq!(last.remaining, 0);
        assert_eq!(last.reset_ms, 40_000);
        assert_eq!(last.reset_secs(), 40);
        // Another key is unaffected; the next window starts again.
        assert!(limits::hit_db(&db, "login:ip:192.0.2.2", rule, t0 + 20_000).await.unwrap().allowed);
        let next = limits::hit_db(&db, "login:ip:192.0.2.1", rule, t0 + 60_000).await.unwrap();
        assert!(next.allowed && next.remaining == 4, "{next:?}");
        // Expired windows are purged.
        assert!(limits::purge(&db, t0 + 200_000).await.unwrap() >= 2);
    })
    .await;
}

async fn futures_join_all<F: std::future::Future + Send + 'static>(fs: impl Iterator<Item = F>) -> Vec<F::Output>
where
    F::Output: Send + 'static,
{
    let handles: Vec<_> = fs.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn free_trials_are_capped_per_ip_per_day_and_credits_still_pay() {
    each_backend(|db| async move {
        let ip = format!("198.51.100.{}", rand_octet());
        let adm = Admission { client_ip: Some(ip.clone()), trials_per_ip_per_day: Some(2), ..Admission::default() };
        // Three accounts with a trial each, one network: two trials pass.
        let (a, b, c) = (user(&db, 1).await, user(&db, 1).await, user(&db, 1).await);
        jobs::create_with(&db, new_job(a), &adm).await.unwrap();
        jobs::create_with(&db, new_job(b), &adm).await.unwrap();
        assert!(matches!(jobs::create_with(&db, new_job(c), &adm).await, Err(DbError::PaymentRequired)));
        assert_eq!(credits::balances(db.conn(), c).await.unwrap().trials, 1, "the refused trial stays");
        // Bought credits still pay from that network.
        credits::grant(&db, c, 1, glimvid_domain::credits::EntryKind::Purchase, &format!("p-{c}")).await.unwrap();
        let v = jobs::create_with(&db, new_job(c), &adm).await.unwrap();
        assert_eq!(v.job.payment_currency.map(|c| c.as_str()), Some("credit"));
        // Another network may still use the trial.
        let other = Admission { client_ip: Some("203.0.113.77".into()), ..adm.clone() };
        let d = user(&db, 1).await;
        assert_eq!(
            jobs::create_with(&db, new_job(d), &other).await.unwrap().job.payment_currency.map(|c| c.as_str()),
            Some("trial")
        );
    })
    .await;
}

fn rand_octet() -> u8 {
    (Uuid::new_v4().as_bytes()[0] % 250) + 1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn jobs_in_flight_are_limited_per_account() {
    each_backend(|db| async move {
        let u = user(&db, 5).await;
        let adm = Admission { max_in_flight: Some(2), ..Admission::default() };
        let first = jobs::create_with(&db, new_job(u), &adm).await.unwrap();
        jobs::create_with(&db, new_job(u), &adm).await.unwrap();
        match jobs::create_with(&db, new_job(u), &adm).await {
            Err(e @ DbError::RateLimited { limit: 2, .. }) => {
                assert_eq!(e.code(), glimvid_domain::ErrorCode::RateLimited)
            }
            other => panic!("expected RateLimited, got {other:?}"),
        }
        assert_eq!(credits::balances(db.conn(), u).await.unwrap().trials, 3, "the refused job cost nothing");
        // One ends: room for one more.
        jobs::cancel(&db, u, first.job.id()).await.unwrap();
        jobs::create_with(&db, new_job(u), &adm).await.unwrap();
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn usage_rows_are_paged_and_purged_after_30_days() {
    each_backend(|db| async move {
        let u = user(&db, 0).await;
        let now = glimvid_db::now_ms();
        for (i, act) in ["register", "login", "video_created", "video_created"].iter().enumerate() {
            let e =
                Event { user_id: Some(u), ip: "192.0.2.9", action: act, route: "/r", status: 200, at: now + i as i64 };
            usage::record_event(&db, e).await.unwrap();
        }
        let page = usage::page_for_user(&db, u, None, 3, now + 10).await.unwrap();
        assert_eq!(page.len(), 3);
        assert_eq!(page[0].action.as_deref(), Some("video_created"), "newest first");
        let rest = usage::page_for_user(&db, u, Some(page[2].id), 3, now + 10).await.unwrap();
        assert_eq!(rest.len(), 1);
        assert_eq!(rest[0].action.as_deref(), Some("register"));
        assert_eq!(rest[0].ip, "192.0.2.9");
        assert_eq!(usage::count_for_user(&db, u, "video_created", now + 10).await.unwrap(), 2);

        // The clock moves 29 days on: nothing goes. 31 days on: all of it.
        assert_eq!(usage::purge(&db, now + 29 * 24 * 3600 * 1000).await.unwrap(), 0);
        assert_eq!(usage::page_for_user(&db, u, None, 10, now + 29 * 24 * 3600 * 1000).await.unwrap().len(), 4);
        let later = now + RETENTION_MS + 24 * 3600 * 1000;
        assert!(usage::purge(&db, later).await.unwrap() >= 4);
        assert!(usage::page_for_user(&db, u, None, 10, now).await.unwrap().is_empty(), "rows remain after the purge");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn api_keys_are_found_by_hash_until_revoked() {
    each_backend(|db| async move {
        let (u, other) = (user(&db, 0).await, user(&db, 0).await);
        let scopes = vec!["videos:read".to_owned()];
        let hash = format!("{:0>64}", Uuid::new_v4().simple());
        let k = api_keys::create(
            &db,
            NewApiKey {
                user_id: u,
                name: "shop",
                prefix: "gv_live_abcdef",
                key_hash: &hash,
                scopes: &scopes,
                expires_at: None,
            },
        )
        .await
        .unwrap();
        assert_eq!(
            api_keys::find_active(&db, &hash, glimvid_db::now_ms()).await.unwrap().map(|k| k.user_id()),
            Some(u)
        );
        assert_eq!(api_keys::list(&db, u).await.unwrap().len(), 1);
        assert!(api_keys::list(&db, other).await.unwrap().is_empty());
        assert!(matches!(api_keys::revoke(&db, other, k.id()).await, Err(DbError::NotFound(_))), "another's key");
        api_keys::revoke(&db, u, k.id()).await.unwrap();
        assert!(api_keys::find_active(&db, &hash, glimvid_db::now_ms()).await.unwrap().is_none());
        assert!(api_keys::list(&db, u).await.unwrap()[0].revoked_at.is_some());
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_api_key_stops_working_when_it_expires() {
    each_backend(|db| async move {
        let u = user(&db, 0).await;
        let scopes = vec!["videos:read".to_owned()];
        let now = glimvid_db::now_ms();
        let expires = now + 86_400_000;
        let hash = format!("{:0>64}", Uuid::new_v4().simple());
        let k = api_keys::create(
            &db,
            NewApiKey {
                user_id: u,
                name: "day",
                prefix: "gv_live_day",
                key_hash: &hash,
                scopes: &scopes,
                expires_at: Some(expires),
            },
        )
        .await
        .unwrap();
        assert_eq!(k.expires_at, Some(expires));
        assert_eq!(api_keys::list(&db, u).await.unwrap()[0].expires_at, Some(expires), "the list shows the expiry");
        assert!(api_keys::find_active(&db, &hash, now).await.unwrap().is_some(), "works before its expiry");
        assert!(api_keys::find_active(&db, &hash, expires - 1).await.unwrap().is_some(), "works to the last ms");
        assert!(api_keys::find_active(&db, &hash, expires).await.unwrap().is_none(), "refused at its expiry");
        assert!(api_keys::find_active(&db, &hash, expires + 1).await.unwrap().is_none(), "refused after it");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_password_change_bumps_the_token_version_and_revokes_sessions_and_optionally_keys() {
    each_backend(|db| async move {
        let (u, other) = (user(&db, 0).await, user(&db, 0).await);
        assert_eq!(users::live_token_version(&db, u).await.unwrap(), Some(0));
        let family = Uuid::now_v7();
        for (owner, hash) in [(u, "a".repeat(64)), (u, "b".repeat(64)), (other, "c".repeat(64))] {
            let t =
                users::NewRefreshToken { user_id: owner, family_id: family, token_hash: hash, expires_at: i64::MAX };
            users::insert_refresh_token(db.conn(), t).await.unwrap();
        }
        let scopes = vec!["videos:read".to_owned()];
        let key_of = |owner: UserId, hash: String| {
            let (db, scopes) = (db.clone(), scopes.clone());
            async move {
                let k = NewApiKey {
                    user_id: owner,
                    name: "k",
                    prefix: "gv_live_k",
                    key_hash: &hash,
                    scopes: &scopes,
                    expires_at: None,
                };
                api_keys::create(&db, k).await.unwrap();
                hash
            }
        };
        let mine = key_of(u, "d".repeat(64)).await;
        let theirs = key_of(other, "e".repeat(64)).await;
        let now = glimvid_db::now_ms();

        // Without revoking keys: sessions end, keys stay.
        let c = users::change_password(&db, u, "$scrypt$new", false).await.unwrap();
        assert_eq!(c, users::PasswordChanged { token_version: 1, refresh_tokens_revoked: 2, api_keys_revoked: 0 });
        assert_eq!(users::get(&db, u).await.unwrap().password_hash, "$scrypt$new");
        assert_eq!(users::live_token_version(&db, u).await.unwrap(), Some(1));
        for hash in ["a".repeat(64), "b".repeat(64)] {
            let r = users::rotate_refresh_token(&db, &hash, format!("{:0>64}", Uuid::new_v4().simple()), i64::MAX);
            assert!(matches!(r.await.unwrap(), users::RotateOutcome::Invalid), "a revoked session rotates");
        }
        assert!(api_keys::find_active(&db, &mine, now).await.unwrap().is_some());

        // With revoking keys: every key of the account, no one else's.
        let c = users::change_password(&db, u, "$scrypt$newer", true).await.unwrap();
        assert_eq!(c, users::PasswordChanged { token_version: 2, refresh_tokens_revoked: 0, api_keys_revoked: 1 });
        assert!(api_keys::find_active(&db, &mine, now).await.unwrap().is_none());
        assert!(api_keys::find_active(&db, &theirs, now).await.unwrap().is_some(), "another's key was revoked");
        assert_eq!(users::live_token_version(&db, other).await.unwrap(), Some(0), "another's version moved");
        let r = users::rotate_refresh_token(&db, &"c".repeat(64), "f".repeat(64), i64::MAX).await.unwrap();
        assert!(matches!(r, users::RotateOutcome::Rotated { .. }), "another's session was revoked");

        // A deleted account has no version: its tokens are refused.
        users::delete_account(&db, u).await.unwrap();
        assert_eq!(users::live_token_version(&db, u).await.unwrap(), None);
        assert!(matches!(users::change_password(&db, u, "$scrypt$x", true).await, Err(DbError::NotFound(_))));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_refunded_hit_does_not_count() {
    each_backend(|db| async move {
        let rule = Rule { limit: 2, window_ms: 60_000 };
        let t0 = 1_800_000_000_000i64;
        let key = format!("stepup:user:{}", Uuid::new_v4());
        for _ in 0..5 {
            assert!(limits::hit_db(&db, &key, rule, t0 + 1).await.unwrap().allowed);
            limits::refund(&db, &key, rule, t0 + 2).await.unwrap();
        }
        assert!(limits::hit_db(&db, &key, rule, t0 + 3).await.unwrap().allowed);
        assert!(limits::hit_db(&db, &key, rule, t0 + 4).await.unwrap().allowed);
        assert!(!limits::hit_db(&db, &key, rule, t0 + 5).await.unwrap().allowed, "the third unrefunded hit");
        // A refund in a later window does not touch the old count, nor go below zero.
        limits::refund(&db, &key, rule, t0 + 60_001).await.unwrap();
        assert!(!limits::hit_db(&db, &key, rule, t0 + 6).await.unwrap().allowed);
        assert!(limits::hit_db(&db, &key, rule, t0 + 60_002).await.unwrap().allowed, "a new window");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_purchase_event_grants_credits_once() {
    each_backend(|db| async move {
        let u = user(&db, 0).await;
        let ev = format!("evt_{}", Uuid::new_v4().simple());
        let tries = (0..4).map(|_| {
            let (db, ev) = (db.clone(), ev.clone());
            async move { billing::apply_purchase(&db, &ev, u, 10).await.unwrap() }
        });
        let outcomes = futures_join_all(tries).await;
        assert_eq!(outcomes.iter().filter(|o| **o == PurchaseOutcome::Granted).count(), 1, "{outcomes:?}");
        assert_eq!(credits::balances(db.conn(), u).await.unwrap().credits, 10);
        assert_eq!(billing::for_user(&db, u).await.unwrap().len(), 1);
        assert!(matches!(billing::apply_purchase(&db, "evt_other", UserId::new(), 5).await, Err(DbError::NotFound(_))));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn deleting_an_account_removes_every_row() {
    each_backend(|db| async move {
        let u = user(&db, 2).await;
        let keep = user(&db, 1).await;
        let v = jobs::create(&db, new_job(u)).await.unwrap();
        jobs::create(&db, new_job(keep)).await.unwrap();
        billing::apply_purchase(&db, &format!("evt_{u}"), u, 3).await.unwrap();
        usage::record(&db, Some(u), "192.0.2.1", "/x", 200).await.unwrap();
        let hash = format!("{:0>64}", Uuid::new_v4().simple());
        let scopes = vec!["videos:write".to_owned()];
        api_keys::create(
            &db,
            NewApiKey {
                user_id: u,
                name: "k",
                prefix: "gv_live_x",
                key_hash: &hash,
                scopes: &scopes,
                expires_at: None,
            },
        )
        .await
        .unwrap();
        let keys = users::delete_account(&db, u).await.unwrap();
        assert_eq!(keys, vec![v.assets[0].blob_key.clone()]);
        assert!(matches!(users::get(&db, u).await, Err(DbError::NotFound(_))));
        assert!(matches!(jobs::get(&db, v.job.id()).await, Err(DbError::NotFound(_))));
        assert!(credits::entries(&db, u).await.unwrap().is_empty());
        assert!(billing::for_user(&db, u).await.unwrap().is_empty());
        assert!(api_keys::find_active(&db, &hash, glimvid_db::now_ms()).await.unwrap().is_none());
        assert!(usage::for_user(&db, u, 10).await.unwrap().is_empty());
        // Other accounts are untouched; deleting twice is "not found".
        assert_eq!(jobs::list(&db, keep, None, 10).await.unwrap().len(), 1);
        assert!(matches!(users::delete_account(&db, u).await, Err(DbError::NotFound(_))));
    })
    .await;
}
