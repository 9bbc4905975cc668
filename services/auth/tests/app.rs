//! The auth application on every backend: an argon2id hash is replaced by scrypt at the next
//! login, API keys authenticate until revoked, and deletion needs (and empties) the object store.

use std::{sync::Arc, time::Duration};

use argon2::{Argon2, PasswordHasher};
use glimvid_auth_service::{AuthApp, AuthSettings};
use glimvid_db::{
    repo::users::{self, NewUser},
    testing,
};
use glimvid_domain::ErrorCode;

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
        let stored = users::get(&db, u.id).await.unwrap().password_hash;
        assert!(stored.starts_with("$scrypt$ln=17,r=8,p=1$"), "{} ({})", stored, t.name);
        app.login(&email, "an-old-passphrase-7", "192.0.2.4").await.expect("the new hash verifies");

        let (key, secret) = app.create_api_key(u.id, "shop", &["videos:read".into()]).await.unwrap();
        assert!(secret.starts_with("gv_live_"));
        let p = app.authenticate_api_key(&secret).await.unwrap();
        assert_eq!((p.user_id, p.scopes.clone()), (u.id, vec!["videos:read".to_owned()]));
        let wrong = format!("{}x", &secret[..secret.len() - 1]);
        assert_eq!(app.authenticate_api_key(&wrong).await.unwrap_err().code, ErrorCode::Unauthenticated);
        app.revoke_api_key(u.id, &key.id.to_string()).await.unwrap();
        assert_eq!(app.authenticate_api_key(&secret).await.unwrap_err().code, ErrorCode::Unauthenticated);

        // Deletion without an object store refuses rather than leaving objects behind.
        assert_eq!(app.delete_account(u.id).await.unwrap_err().code, ErrorCode::Unavailable);
        let dir = tempfile_dir();
        let blob = Arc::new(glimvid_blob::fs::FsStore::open(dir.clone()).await.unwrap());
        let key = format!("u/{}/j/x/original/0.jpg", u.id);
        glimvid_blob::BlobStore::put(&*blob, &key, bytes::Bytes::from_static(b"x"), "image/jpeg").await.unwrap();
        let app = app.with_blob(blob.clone());
        app.delete_account(u.id).await.unwrap();
        assert!(glimvid_blob::BlobStore::list(&*blob, &format!("u/{}/", u.id)).await.unwrap().is_empty());
        assert_eq!(app.account(u.id).await.unwrap_err().code, ErrorCode::NotFound);
        let _ = std::fs::remove_dir_all(dir);
        t.cleanup().await;
    }
}

fn tempfile_dir() -> std::path::PathBuf {
    std::env::temp_dir().join(format!("glimvid-auth-test-{}", uuid::Uuid::new_v4().simple()))
}
