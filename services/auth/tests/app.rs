//! The auth application on every backend: an argon2id hash is replaced by scrypt at the next
//! login, API keys authenticate until revoked or expired, deletion needs (and empties) the
//! object store, step-up checks cap wrong guesses per account, and a password change ends every
//! other session.

use std::{sync::Arc, time::Duration};

use argon2::{Argon2, PasswordHasher};
use glimvid_auth_service::{AuthApp, AuthSettings};
use glimvid_db::{
    repo::users::{self, NewUser},
    testing,
};
use glimvid_domain::ErrorCode;

const PASSWORD: &str = "violet-teapot-orbit-42";
const NEW_PASSWORD: &str = "amber-lantern-meadow-77";

fn settings() -> AuthSettings {
    AuthSettings {
        free_trials: 1,
        access_ttl: Duration::from_secs(60),
        refresh_ttl: Duration::from_secs(3600),
        password_hash_slots: 2,
        password_hash_wait: Duration::from_secs(30),
        signing_key_rotate: Duration::from_secs(3600),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn argon2id_is_rehashed_to_scrypt_at_login_and_api_keys_work_until_revoked() {
    for t in testing::databases().await {
        let db = t.db.clone();
        let app = AuthApp::new(db.clone(), settings(), glimvid_runtime::Sealer::new(&[9; 32])).await.unwrap();
        let email = format!("{}@example.com", uuid::Uuid::new_v4().simple());
        let argon = Argon2::default().hash_password(b"an-old-passphrase-7").unwrap().to_string();
        let u =
            users::create_user(&db, NewUser { email: &email, password_hash: &argon, language: "en" }, 0).await.unwrap();
        app.login(&email, "an-old-passphrase-7", "192.0.2.4").await.unwrap();
        let stored = users::get(&db, u.id()).await.unwrap().password_hash;
        assert!(stored.starts_with("$scrypt$ln=17,r=8,p=1$"), "{} ({})", stored, t.name);
        app.login(&email, "an-old-passphrase-7", "192.0.2.4").await.expect("the new hash verifies");

        let (key, secret) = app.create_api_key(u.id(), "shop", &["videos:read".into()], None).await.unwrap();
        assert!(secret.starts_with("gv_live_"));
        let p = app.authenticate_api_key(&secret).await.unwrap();
        assert_eq!((p.user_id, p.scopes.clone()), (u.id(), vec!["videos:read".to_owned()]));
        let wrong = format!("{}x", &secret[..secret.len() - 1]);
        assert_eq!(app.authenticate_api_key(&wrong).await.unwrap_err().code, ErrorCode::Unauthenticated);
        app.revoke_api_key(u.id(), &key.id.to_string()).await.unwrap();
        assert_eq!(app.authenticate_api_key(&secret).await.unwrap_err().code, ErrorCode::Unauthenticated);

        // Deletion without an object store refuses rather than leaving objects behind.
        assert_eq!(app.delete_account(u.id()).await.unwrap_err().code, ErrorCode::Unavailable);
        let dir = tempfile_dir();
        let blob = Arc::new(glimvid_blob::fs::FsStore::open(dir.clone()).await.unwrap());
        let key = format!("u/{}/j/x/original/0.jpg", u.id());
        glimvid_blob::BlobStore::put(&*blob, &key, bytes::Bytes::from_static(b"x"), "image/jpeg").await.unwrap();
        let app = app.with_blob(blob.clone());
        app.delete_account(u.id()).await.unwrap();
        assert!(glimvid_blob::BlobStore::list(&*blob, &format!("u/{}/", u.id())).await.unwrap().is_empty());
        assert_eq!(app.account(u.id()).await.unwrap_err().code, ErrorCode::NotFound);
        let _ = std::fs::remove_dir_all(dir);
        t.cleanup().await;
    }
}

fn tempfile_dir() -> std::path::PathBuf {
    std::env::temp_dir().join(format!("glimvid-auth-test-{}", uuid::Uuid::new_v4().simple()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn step_up_caps_wrong_guesses_per_account_and_right_ones_do_not_count() {
    for t in testing::databases().await {
        let app = AuthApp::new(t.db.clone(), settings(), glimvid_runtime::Sealer::new(&[9; 32])).await.unwrap();
        let email = format!("{}@example.com", uuid::Uuid::new_v4().simple());
        let me = app.register(&email, PASSWORD, "en", true, "192.0.2.9").await.unwrap().account.id;
        let other_email = format!("{}@example.com", uuid::Uuid::new_v4().simple());
        let other = app.register(&other_email, PASSWORD, "en", true, "192.0.2.9").await.unwrap().account.id;

        let e = app.verify_password(me, "", "192.0.2.9").await.unwrap_err();
        assert_eq!(e.code, ErrorCode::PasswordRequired, "{} ({})", e.message, t.name);
        // Right passwords are handed back: more of them than the cap all pass.
        for _ in 0..=glimvid_auth_service::app::STEP_UP_GUESSES.limit {
            app.verify_password(me, PASSWORD, "192.0.2.9").await.expect("the right password");
        }
        for i in 0..glimvid_auth_service::app::STEP_UP_GUESSES.limit {
            let e = app.verify_password(me, "wrong-guess-123", "192.0.2.9").await.unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidPassword, "guess {i}: {} ({})", e.message, t.name);
            assert!(e.retry_after_s.is_none());
        }
        // Past the cap even the right password is refused, with the wait until the window ends.
        for pw in ["wrong-guess-123", PASSWORD] {
            let e = app.verify_password(me, pw, "192.0.2.9").await.unwrap_err();
            assert_eq!(e.code, ErrorCode::RateLimited, "{} ({})", e.message, t.name);
            let wait = e.retry_after_s.expect("a retry hint");
            assert!((1..=15 * 60).contains(&wait), "{wait}");
        }
        // The cap is per account: another account is not affected.
        app.verify_password(other, PASSWORD, "192.0.2.9").await.expect("another account");
        // Refused guesses are in the owner's usage log.
        let log = glimvid_db::repo::usage::for_user(&t.db, me, 50).await.unwrap();
        let failed = log.iter().filter(|r| r.action.as_deref() == Some("password_check_failed")).count();
        assert_eq!(failed, glimvid_auth_service::app::STEP_UP_GUESSES.limit as usize);
        t.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_change_ends_every_other_session_and_optionally_every_key() {
    for t in testing::databases().await {
        let app = AuthApp::new(t.db.clone(), settings(), glimvid_runtime::Sealer::new(&[9; 32])).await.unwrap();
        let email = format!("{}@example.com", uuid::Uuid::new_v4().simple());
        let first = app.register(&email, PASSWORD, "en", true, "192.0.2.9").await.unwrap();
        let id = first.account.id;
        let (_, secret) = app.create_api_key(id, "shop", &["videos:read".into()], Some(30)).await.unwrap();
        let mut keys = glimvid_auth::VerifyingKeys::default();
        for k in app.public_keys().await {
            keys.insert(&k.kid, &k.public_key);
        }
        assert_eq!(keys.verify(&first.access_token, glimvid_db::now_ms() / 1000).unwrap().ver, 0);

        // A weak new password is refused before the current one is checked (no guess used).
        let e = app.change_password(id, "wrong-guess-123", "short", true, "192.0.2.9").await.unwrap_err();
        assert_eq!((e.code, e.field.as_deref()), (ErrorCode::Validation, Some("new_password")), "{}", t.name);
        let e = app.change_password(id, "wrong-guess-123", NEW_PASSWORD, true, "192.0.2.9").await.unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidPassword);
        let e = app.change_password(id, "", NEW_PASSWORD, true, "192.0.2.9").await.unwrap_err();
        assert_eq!(e.code, ErrorCode::PasswordRequired);
        app.login(&email, PASSWORD, "192.0.2.9").await.expect("nothing changed on a refused change");
        app.authenticate_api_key(&secret).await.expect("the key still works");

        let fresh = app.change_password(id, PASSWORD, NEW_PASSWORD, true, "192.0.2.9").await.unwrap();
        let now = glimvid_db::now_ms() / 1000;
        assert_eq!(keys.verify(&fresh.access_token, now).unwrap().ver, 1, "the new token carries the new version");
        assert_eq!(users::live_token_version(&t.db, id).await.unwrap(), Some(1));
        assert_eq!(app.refresh(&first.refresh_token).await.unwrap_err().code, ErrorCode::Unauthenticated);
        assert_eq!(app.authenticate_api_key(&secret).await.unwrap_err().code, ErrorCode::Unauthenticated);
        assert_eq!(app.login(&email, PASSWORD, "192.0.2.9").await.unwrap_err().code, ErrorCode::Unauthenticated);
        app.login(&email, NEW_PASSWORD, "192.0.2.9").await.expect("the new password logs in");
        let again = app.refresh(&fresh.refresh_token).await.expect("the fresh session rotates");
        assert_eq!(keys.verify(&again.access_token, now).unwrap().ver, 1, "refreshed tokens keep the version");

        // Without revoke_api_keys the keys stay.
        let (_, kept) = app.create_api_key(id, "kept", &["videos:read".into()], None).await.unwrap();
        app.change_password(id, NEW_PASSWORD, PASSWORD, false, "192.0.2.9").await.unwrap();
        app.authenticate_api_key(&kept).await.expect("a key survives a change without revoke_api_keys");
        t.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_keys_expire_within_bounds_and_the_email_changes_to_a_free_one() {
    for t in testing::databases().await {
        let app = AuthApp::new(t.db.clone(), settings(), glimvid_runtime::Sealer::new(&[9; 32])).await.unwrap();
        let email = format!("{}@example.com", uuid::Uuid::new_v4().simple());
        let id = app.register(&email, PASSWORD, "en", true, "192.0.2.9").await.unwrap().account.id;
        let scopes = ["videos:read".to_owned()];
        for bad in [0, 366, u32::MAX] {
            let e = app.create_api_key(id, "k", &scopes, Some(bad)).await.unwrap_err();
            assert_eq!((e.code, e.field.as_deref()), (ErrorCode::Validation, Some("expires_in_days")), "{bad}");
        }
        assert!(app.list_api_keys(id).await.unwrap().is_empty(), "a refused key was stored");
        let before = glimvid_db::now_ms();
        let (k, _) = app.create_api_key(id, "day", &scopes, Some(1)).await.unwrap();
        let at = k.expires_at.expect("an expiry");
        assert!((before + 86_400_000..=glimvid_db::now_ms() + 86_400_000).contains(&at), "{at}");
        let (k, _) = app.create_api_key(id, "year", &scopes, Some(365)).await.unwrap();
        assert!(k.expires_at.is_some());
        let (k, _) = app.create_api_key(id, "forever", &scopes, None).await.unwrap();
        assert_eq!(k.expires_at, None);

        let other = format!("{}@example.com", uuid::Uuid::new_v4().simple());
        app.register(&other, PASSWORD, "en", true, "192.0.2.9").await.unwrap();
        let e = app.update_account(id, Some(&other.to_uppercase()), None, None).await.unwrap_err();
        assert_eq!(e.code, ErrorCode::Conflict, "another account's email");
        let e = app.update_account(id, Some("not-an-email"), None, None).await.unwrap_err();
        assert_eq!(e.code, ErrorCode::Validation);
        let new_email = format!("  {}@Example.com ", uuid::Uuid::new_v4().simple());
        let a = app.update_account(id, Some(&new_email), None, None).await.unwrap();
        assert_eq!(a.email, new_email.trim().to_lowercase());
        app.login(&new_email, PASSWORD, "192.0.2.9").await.expect("the new email logs in");
        t.cleanup().await;
    }
}
