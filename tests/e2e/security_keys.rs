//! The access-token signing keys: their seeds are sealed in the database (a raw seed of an older
//! version is sealed at start), a new key takes over on schedule, and once the tokens a replaced
//! key signed have expired the key is retired: a token it signed is refused with 401, however
//! long the token claims to live (a leaked seed is useful for one period at most).

use std::time::{Duration, Instant};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use glimvid_auth::KeySet;
use glimvid_db::{
    Db,
    repo::signing_keys::{self, SigningKey},
};
use glimvid_runtime::{SealError, Sealer};
use reqwest::StatusCode;
use serde_json::Value;
use uuid::Uuid;

use crate::helpers::{TestApp, assert_problem, spawn_app, spawn_app_with};

async fn database(app: &TestApp) -> Db {
    let url = format!("sqlite://{}?mode=rw", app.data_dir().join("glimvid.db").display());
    Db::connect(&url).await.expect("open the SQLite database")
}

/// The embedded mode's encryption key, as an operator (or a thief of the whole folder) has it.
fn data_folder_sealer(app: &TestApp) -> Sealer {
    Sealer::load_or_create(&app.data_dir().join("keys").join("encryption.key")).expect("the data folder's key")
}

/// The key id in a token's header.
fn kid_of(token: &str) -> String {
    let header = token.split('.').next().expect("a JWS");
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).expect("base64url")).expect("JSON");
    header["kid"].as_str().expect("kid").to_owned()
}

/// Checks that a row holds no raw seed, and opens it with the key and the row's context only.
fn open_sealed(sealer: &Sealer, row: &SigningKey) -> Vec<u8> {
    let text = std::str::from_utf8(&row.private_key).unwrap_or_else(|_| panic!("{}: binary, not sealed", row.kid));
    assert!(Sealer::is_sealed(text), "{}: the seed is not sealed: {text}", row.kid);
    let seed = sealer.open(text, &format!("signing_key:{}", row.kid)).expect("opens for its own row");
    assert!(!row.private_key.windows(seed.len()).any(|w| w == seed.as_slice()), "{}: raw seed stored", row.kid);
    assert_eq!(KeySet::public_key_of(&seed).expect("32 bytes"), row.public_key, "{}: another key's seed", row.kid);
    assert_eq!(sealer.open(text, "signing_key:elsewhere"), Err(SealError::Open), "opens for another row");
    seed
}

/// A token for `user_id` signed with `seed`, valid for ten minutes: what someone holding the
/// seed could make.
fn forge(kid: &str, seed: Vec<u8>, user_id: &str) -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs() as i64;
    KeySet::from_seeds(&[(kid.to_owned(), seed)]).expect("key").sign(Uuid::parse_str(user_id).expect("id"), 0, now, 600)
}

#[tokio::test]
async fn keys_rotate_on_schedule_and_a_retired_key_is_refused() {
    // Rotate every 2 s; access tokens live 8 s, so a replaced key verifies ~8.5 s more.
    let app = spawn_app_with(&[("GLIMVID_SIGNING_KEY_ROTATE_S", "2"), ("GLIMVID_ACCESS_TOKEN_TTL_S", "8")]).await;
    let user = app.register_user().await;
    let first = kid_of(&user.access_token);
    assert_eq!(app.account(&user.access_token).await["email"], user.email.as_str());

    // Sealed at rest; the first key's seed, as it would leak with the database and its key.
    let db = database(&app).await;
    let sealer = data_folder_sealer(&app);
    let rows = signing_keys::all(&db).await.expect("keys");
    let row = rows.iter().find(|k| k.kid == first).expect("the signing key is stored");
    let leaked = forge(&first, open_sealed(&sealer, row), &user.id);
    let r = app.get("/api/v1/account", Some(&leaked)).await;
    assert_eq!(r.status(), StatusCode::OK, "a token of a key in service is refused");

    // A new key takes over: tokens it signs verify.
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut refresh = user.refresh_token.clone();
    let newer = loop {
        let r = app.refresh(&refresh).await;
        assert_eq!(r.status(), StatusCode::OK);
        let body: Value = r.json().await.expect("tokens");
        refresh = body["refresh_token"].as_str().expect("refresh_token").to_owned();
        let access = body["access_token"].as_str().expect("access_token").to_owned();
        if kid_of(&access) != first {
            break access;
        }
        assert!(Instant::now() < deadline, "no new signing key after 30 s");
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert_eq!(app.account(&newer).await["email"], user.email.as_str());

    // The first key is retired once its tokens have expired: deleted from the database, and the
    // leaked seed's token (which claims ten minutes) is refused.
    let deadline = Instant::now() + Duration::from_secs(60);
    while signing_keys::all(&db).await.expect("keys").iter().any(|k| k.kid == first) {
        assert!(Instant::now() < deadline, "the replaced key was never retired");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let r = app.get("/api/v1/account", Some(&leaked)).await;
    assert_problem(r, 401, "a token of a retired key").await;

    // The same forgery with a key in service passes: the refusal is the retirement's.
    let r = app.refresh(&refresh).await;
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.expect("tokens");
    let current = kid_of(body["access_token"].as_str().expect("access_token"));
    let rows = signing_keys::all(&db).await.expect("keys");
    for row in &rows {
        open_sealed(&sealer, row);
    }
    let row = rows.iter().find(|k| k.kid == current).expect("the signing key is stored");
    let fresh = forge(&current, open_sealed(&sealer, row), &user.id);
    assert_eq!(app.get("/api/v1/account", Some(&fresh)).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_raw_seed_of_an_older_version_is_sealed_at_start() {
    let mut app = spawn_app().await;
    let user = app.register_user().await;
    let kid = kid_of(&user.access_token);
    let db = database(&app).await;
    let sealer = data_folder_sealer(&app);
    let row = signing_keys::all(&db).await.expect("keys").into_iter().find(|k| k.kid == kid).expect("stored");
    let seed = open_sealed(&sealer, &row);

    // What an older version left: the raw seed in the row.
    assert!(signing_keys::replace_private_key(&db, &kid, &row.private_key, seed.clone()).await.expect("write"));
    db.close().await;
    app.kill_and_restart().await;

    let db = database(&app).await;
    let rows = signing_keys::all(&db).await.expect("keys");
    assert_eq!(rows.len(), 1, "the key was kept, not replaced");
    assert_eq!(open_sealed(&sealer, &rows[0]), seed, "sealed in place");
    // Tokens it signed before the restart still verify.
    assert_eq!(app.account(&user.access_token).await["email"], user.email.as_str());
}

/// A counter's value in the Prometheus text, summed over the series with `label`.
fn counter(text: &str, name: &str, label: &str) -> f64 {
    text.lines()
        .filter(|l| l.starts_with(name) && l.contains(label))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

#[tokio::test]
async fn made_up_key_ids_do_not_each_reach_the_auth_service() {
    let app = spawn_app().await;
    let user = app.register_user().await;
    let started = Instant::now();
    let tries = 40;
    for i in 0..tries {
        // Well-formed, signed, for a real account: only the key is unknown.
        let token = forge(&format!("made-up-{i}"), vec![i as u8 + 1; 32], &user.id);
        assert_problem(app.get("/api/v1/account", Some(&token)).await, 401, "a token of an unknown key").await;
    }
    let elapsed = started.elapsed();
    let text = app
        .client
        .get(format!("{}/metrics", app.ops_address))
        .send()
        .await
        .expect("GET ops metrics")
        .text()
        .await
        .expect("metrics text");
    let fetched = counter(&text, "glimvid_signing_key_refetch_total", "outcome=\"fetched\"");
    let throttled = counter(&text, "glimvid_signing_key_refetch_total", "outcome=\"throttled\"");
    // One fetch per throttle window at most (plus the first).
    let allowed = 2.0 + elapsed.as_secs_f64() / 5.0;
    assert!(fetched >= 1.0 && fetched <= allowed, "{fetched} fetches for {tries} made-up key ids in {elapsed:?}");
    assert!(throttled >= tries as f64 - allowed, "{throttled} throttled of {tries}");
    // The account's own token still verifies.
    assert_eq!(app.account(&user.access_token).await["email"], user.email.as_str());
}
