//! Fixtures shared by the repository test files.

use glimvid_db::{
    Db,
    repo::{
        jobs::{NewAsset, NewJob, NewTask},
        users::{self, NewUser},
    },
    testing,
};
use glimvid_domain::{JobId, UserId};
use uuid::Uuid;

/// A new account with `trials` free trials.
pub async fn user(db: &Db, trials: i64) -> UserId {
    let email = format!("{}@example.com", Uuid::new_v4().simple());
    users::create_user(db, NewUser { email: &email, password_hash: "$scrypt$x", language: "en" }, trials)
        .await
        .unwrap()
        .id()
}

/// A one-photo job of `user_id`, with its script and enhance tasks.
pub fn new_job(user_id: UserId) -> NewJob {
    let id = JobId::new();
    NewJob {
        id,
        user_id,
        description: "A mug".into(),
        options_json: "{}".into(),
        photo_count: 1,
        originals: vec![NewAsset {
            kind: glimvid_db::entity::enums::AssetKind::Original,
            idx: 0,
            blob_key: format!("u/{user_id}/j/{id}/original/0.jpg"),
            size: 3,
            content_type: "image/jpeg".into(),
            sha256: "00".into(),
            width: Some(100),
            height: Some(100),
        }],
        tasks: vec![
            NewTask { queue: "glimvid.script", payload: b"s".to_vec() },
            NewTask { queue: "glimvid.enhance", payload: b"e".to_vec() },
        ],
        idempotency_key: None,
        request_hash: None,
    }
}

/// Runs `f` on every configured backend (SQLite always; PostgreSQL when
/// `GLIMVID_TEST_DATABASE_URL` is set), each in a fresh database of its own.
pub async fn each_backend<F, Fut>(f: F)
where
    F: Fn(Db) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for t in testing::databases().await {
        eprintln!("backend: {}", t.name);
        f(t.db.clone()).await;
        t.cleanup().await;
    }
}
