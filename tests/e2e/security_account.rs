//! A leaked token stays small: probes by an outsider holding only a stolen access token. Creating
//! an API key, changing the email, exporting and deleting the account need the current password
//! (403 `password_required` / `invalid_password`, nothing created or changed); wrong guesses are
//! capped per account (429 with `Retry-After`); a password change ends every other session, every
//! access token issued before and, if asked, every API key; API keys expire; a deleted account's
//! tokens and keys are refused at once.

use glimvid_db::{
    entity::api_keys,
    sea_orm::{ColumnTrait, EntityTrait, QueryFilter, prelude::Uuid, sea_query::Expr},
};
use glimvid_proto::jobs::v1 as pb;
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde_json::{Value, json};
use tonic::Code;

use crate::{
    helpers::{PASSWORD, TestApp, TestUser, assert_problem, spawn_app},
    partner_grpc::{authed, client},
};

const NEW_PASSWORD: &str = "amber-lantern-meadow-77";
const WRONG: &str = "not-my-password-99";

fn req(app: &TestApp, method: Method, path: &str, token: &str) -> RequestBuilder {
    app.client.request(method, app.url(path)).bearer_auth(token)
}

async fn send(rb: RequestBuilder) -> Response {
    rb.send().await.expect("request")
}

/// Asserts a problem with `status` and stable `code`.
async fn assert_code(r: Response, status: u16, code: &str, what: &str) -> Value {
    let p = assert_problem(r, status, what).await;
    assert_eq!(p["code"], code, "{what}: {p}");
    p
}

async fn key_count(app: &TestApp, token: &str) -> usize {
    let r = app.get("/api/v1/account/api-keys", Some(token)).await;
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.expect("JSON");
    v["items"].as_array().expect("items").len()
}

fn new_key(password: Option<&str>) -> Value {
    let mut body = json!({"name": "stolen", "scopes": ["videos:read", "videos:write"]});
    if let Some(p) = password {
        body["current_password"] = json!(p);
    }
    body
}

/// A key's secret, created with the password.
async fn create_key(app: &TestApp, user: &TestUser, extra: Value) -> Value {
    let mut body = new_key(Some(&user.password));
    for (k, v) in extra.as_object().expect("object") {
        body[k] = v.clone();
    }
    let r = send(req(app, Method::POST, "/api/v1/account/api-keys", &user.access_token).json(&body)).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    r.json().await.expect("key JSON")
}

/// The partner port's answer to a key: `Ok` or the refusal's code.
async fn partner_call(app: &TestApp, secret: &str) -> Result<(), Code> {
    let mut c = client(app).await;
    c.list_video_jobs(authed(secret, pb::ListVideoJobsRequest::default())).await.map(|_| ()).map_err(|s| s.code())
}

#[tokio::test]
async fn a_stolen_token_alone_cannot_mint_a_key_export_delete_or_change_the_email() {
    let app = spawn_app().await;
    let victim = app.register_user().await;
    let t = &victim.access_token;

    // Without the password: 403 password_required, for every sensitive action.
    let keys = "/api/v1/account/api-keys";
    let r = send(req(&app, Method::POST, keys, t).json(&new_key(None))).await;
    assert_code(r, 403, "password_required", "a key without the password").await;
    let r = send(req(&app, Method::POST, keys, t).json(&new_key(Some("")))).await;
    assert_code(r, 403, "password_required", "a key with an empty password").await;
    let r = send(req(&app, Method::GET, "/api/v1/account/export", t)).await;
    assert_code(r, 403, "password_required", "the export without the password").await;
    let r = send(req(&app, Method::DELETE, "/api/v1/account", t)).await;
    assert_code(r, 403, "password_required", "deletion without the password").await;
    let r = send(req(&app, Method::PATCH, "/api/v1/account", t).json(&json!({"email": "thief@example.com"}))).await;
    assert_code(r, 403, "password_required", "an email change without the password").await;

    // With a wrong one: 403 invalid_password, in the body or in the header.
    let r = send(req(&app, Method::POST, keys, t).json(&new_key(Some(WRONG)))).await;
    assert_code(r, 403, "invalid_password", "a key with a wrong password").await;
    let r = send(req(&app, Method::GET, "/api/v1/account/export", t).header("x-glimvid-password", WRONG)).await;
    assert_code(r, 403, "invalid_password", "the export with a wrong password").await;
    let r = send(req(&app, Method::DELETE, "/api/v1/account", t).header("x-glimvid-password", WRONG)).await;
    assert_code(r, 403, "invalid_password", "deletion with a wrong password").await;
    let body = json!({"email": "thief@example.com", "current_password": WRONG});
    let r = send(req(&app, Method::PATCH, "/api/v1/account", t).json(&body)).await;
    assert_code(r, 403, "invalid_password", "an email change with a wrong password").await;

    // Nothing was created or changed; the account is whole.
    assert_eq!(key_count(&app, t).await, 0, "a key was created");
    let account = app.account(t).await;
    assert_eq!(account["email"], victim.email.as_str(), "the email changed");
    app.login(&victim.email, PASSWORD).await.error_for_status().expect("the owner still logs in");

    // Settings that are not sensitive need no password.
    let r = send(req(&app, Method::PATCH, "/api/v1/account", t).json(&json!({"language": "de"}))).await;
    assert_eq!(r.status(), StatusCode::OK);

    // The owner, with the password (body or header), does all of it.
    let r = send(req(&app, Method::POST, keys, t).header("x-glimvid-password", PASSWORD).json(&new_key(None))).await;
    assert_eq!(r.status(), StatusCode::CREATED, "a key with the password in the header");
    let r = send(req(&app, Method::GET, "/api/v1/account/export", t).header("x-glimvid-password", PASSWORD)).await;
    assert_eq!(r.status(), StatusCode::OK, "the export with the password");
    let email = crate::helpers::unique_email();
    let body = json!({"email": email, "current_password": PASSWORD});
    let r = send(req(&app, Method::PATCH, "/api/v1/account", t).json(&body)).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<Value>().await.expect("JSON")["email"], email.as_str());
    app.login(&email, PASSWORD).await.error_for_status().expect("the new email logs in");
}

#[tokio::test]
async fn wrong_passwords_are_capped_per_account_with_retry_after() {
    let app = spawn_app().await;
    let victim = app.register_user().await;
    let bystander = app.register_user().await;
    let t = &victim.access_token;
    let keys = "/api/v1/account/api-keys";
    for i in 0..5 {
        let r = send(req(&app, Method::POST, keys, t).json(&new_key(Some(&format!("{WRONG}-{i}"))))).await;
        assert_code(r, 403, "invalid_password", &format!("guess {i}")).await;
    }
    // The sixth guess, and even the right password, wait for the window to end.
    for (what, pw) in [("a sixth guess", WRONG), ("the right password past the cap", PASSWORD)] {
        let r = send(req(&app, Method::POST, keys, t).json(&new_key(Some(pw)))).await;
        let wait: u64 = r
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{what}: no Retry-After"));
        assert!((1..=15 * 60).contains(&wait), "{what}: Retry-After {wait}");
        assert_code(r, 429, "rate_limited", what).await;
    }
    let r = send(req(&app, Method::GET, "/api/v1/account/export", t).header("x-glimvid-password", PASSWORD)).await;
    assert_code(r, 429, "rate_limited", "the cap covers every step-up route").await;
    assert_eq!(key_count(&app, t).await, 0, "a key was created");
    // Another account is not locked out by the victim's guesser.
    create_key(&app, &bystander, json!({})).await;
}

#[tokio::test]
async fn a_password_change_revokes_every_session_old_access_tokens_and_optionally_the_keys() {
    let app = spawn_app().await;
    let user = app.register_user().await;
    let secret = create_key(&app, &user, json!({})).await["secret"].as_str().expect("secret").to_owned();
    assert_eq!(partner_call(&app, &secret).await, Ok(()));
    // A second session: the thief's, say.
    let other: Value = app.login(&user.email, PASSWORD).await.json().await.expect("login JSON");
    let (other_access, other_refresh) =
        (other["access_token"].as_str().expect("access"), other["refresh_token"].as_str().expect("refresh"));
    let pw = "/api/v1/account/password";
    let t = &user.access_token;

    let body = json!({"current_password": PASSWORD, "new_password": "short"});
    let p = assert_code(send(req(&app, Method::POST, pw, t).json(&body)).await, 422, "validation_failed", "weak").await;
    assert_eq!(p["field"], "new_password");
    let body = json!({"current_password": WRONG, "new_password": NEW_PASSWORD});
    assert_code(send(req(&app, Method::POST, pw, t).json(&body)).await, 403, "invalid_password", "wrong current").await;
    let body = json!({"new_password": NEW_PASSWORD});
    assert_code(send(req(&app, Method::POST, pw, t).json(&body)).await, 403, "password_required", "no current").await;
    assert_eq!(app.get("/api/v1/account", Some(other_access)).await.status(), StatusCode::OK, "nothing changed yet");

    let body = json!({"current_password": PASSWORD, "new_password": NEW_PASSWORD, "revoke_api_keys": true});
    let r = send(req(&app, Method::POST, pw, t).json(&body)).await;
    assert_eq!(r.status(), StatusCode::OK);
    let fresh: Value = r.json().await.expect("tokens JSON");
    let fresh_access = fresh["access_token"].as_str().expect("a fresh access token");
    let fresh_refresh = fresh["refresh_token"].as_str().expect("a fresh refresh token");

    // Every access token issued before is refused at once, and every refresh token.
    for (what, token) in [("the caller's old access token", t.as_str()), ("another session's", other_access)] {
        let r = app.get("/api/v1/account", Some(token)).await;
        assert_code(r, 401, "unauthenticated", what).await;
    }
    for (what, token) in [("the caller's old refresh token", user.refresh_token.as_str()), ("another's", other_refresh)]
    {
        assert_code(app.refresh(token).await, 401, "unauthenticated", what).await;
    }
    // revoke_api_keys: the partner port refuses the key.
    assert_eq!(partner_call(&app, &secret).await, Err(Code::Unauthenticated));
    // The fresh pair works; the old password does not, the new one does.
    assert_eq!(app.get("/api/v1/account", Some(fresh_access)).await.status(), StatusCode::OK);
    assert_eq!(app.refresh(fresh_refresh).await.status(), StatusCode::OK);
    assert_code(app.login(&user.email, PASSWORD).await, 401, "unauthenticated", "the old password").await;
    let r = app.login(&user.email, NEW_PASSWORD).await;
    assert_eq!(r.status(), StatusCode::OK, "the new password logs in");
    let access = r.json::<Value>().await.expect("JSON")["access_token"].as_str().expect("access").to_owned();

    // Without revoke_api_keys, keys survive a change.
    let me = TestUser { access_token: access.clone(), password: NEW_PASSWORD.into(), ..user.clone() };
    let kept = create_key(&app, &me, json!({})).await["secret"].as_str().expect("secret").to_owned();
    let body = json!({"current_password": NEW_PASSWORD, "new_password": PASSWORD});
    let r = send(req(&app, Method::POST, pw, &access).header("x-glimvid-password", NEW_PASSWORD).json(&body)).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(partner_call(&app, &kept).await, Ok(()), "a key survives a change without revoke_api_keys");
}

#[tokio::test]
async fn a_deleted_accounts_access_token_and_keys_are_refused_at_once() {
    let app = spawn_app().await;
    let user = app.register_user().await;
    let secret = create_key(&app, &user, json!({})).await["secret"].as_str().expect("secret").to_owned();
    let t = &user.access_token;
    let r = send(req(&app, Method::DELETE, "/api/v1/account", t).header("x-glimvid-password", PASSWORD)).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    // The very next request: the token has minutes left, but its account is gone.
    assert_code(app.get("/api/v1/account", Some(t)).await, 401, "unauthenticated", "the deleted account").await;
    assert_code(app.get("/api/v1/videos", Some(t)).await, 401, "unauthenticated", "its videos").await;
    assert_eq!(partner_call(&app, &secret).await, Err(Code::Unauthenticated), "its API key");
}

#[tokio::test]
async fn api_keys_expire() {
    let app = spawn_app().await;
    let user = app.register_user().await;
    let t = &user.access_token;
    for bad in [json!(0), json!(366), json!(-1), json!("7")] {
        let mut body = new_key(Some(PASSWORD));
        body["expires_in_days"] = bad.clone();
        let r = send(req(&app, Method::POST, "/api/v1/account/api-keys", t).json(&body)).await;
        assert_problem(r, 422, &format!("expires_in_days {bad}")).await;
    }
    assert_eq!(key_count(&app, t).await, 0, "a refused key was stored");

    let before = chrono_now_ms();
    let key = create_key(&app, &user, json!({"expires_in_days": 1})).await;
    let expires = key["expires_at"].as_str().expect("expires_at in the creation answer");
    let expires_ms = parse_rfc3339_ms(expires);
    assert!((before + 86_400_000 - 1_000..=chrono_now_ms() + 86_400_000 + 1_000).contains(&expires_ms), "{expires}");
    let list: Value = app.get("/api/v1/account/api-keys", Some(t)).await.json().await.expect("JSON");
    assert_eq!(list["items"][0]["expires_at"], expires, "the list shows the expiry");
    let forever = create_key(&app, &user, json!({})).await;
    assert!(forever["expires_at"].is_null(), "{forever}");
    let secret = key["secret"].as_str().expect("secret");
    assert_eq!(partner_call(&app, secret).await, Ok(()), "before its expiry");

    // A day later (the clock moved through the database): refused on the partner port.
    let url = format!("sqlite://{}?mode=rw", app.data_dir().join("glimvid.db").display());
    let db = glimvid_db::Db::connect(&url).await.expect("open the SQLite database");
    let id = Uuid::parse_str(key["id"].as_str().expect("id")).expect("a UUID");
    let moved = api_keys::Entity::update_many()
        .col_expr(api_keys::Column::ExpiresAt, Expr::value(chrono_now_ms() - 1))
        .filter(api_keys::Column::Id.eq(id))
        .exec(db.conn())
        .await
        .expect("expire the key");
    assert_eq!(moved.rows_affected, 1);
    assert_eq!(partner_call(&app, secret).await, Err(Code::Unauthenticated), "after its expiry");
    let other = forever["secret"].as_str().expect("secret");
    assert_eq!(partner_call(&app, other).await, Ok(()), "a key without expiry still works");
}

fn chrono_now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_millis() as i64
}

/// Milliseconds of an RFC 3339 UTC time as the API writes it (`2026-12-04T05:20:17.123Z`).
fn parse_rfc3339_ms(s: &str) -> i64 {
    let (date, time) = s.trim_end_matches('Z').split_once('T').expect("RFC 3339");
    let d: Vec<i64> = date.split('-').map(|p| p.parse().expect("date")).collect();
    let (hms, frac) = time.split_once('.').unwrap_or((time, "0"));
    let t: Vec<i64> = hms.split(':').map(|p| p.parse().expect("time")).collect();
    // Days from the civil date (Howard Hinnant's algorithm).
    let (y, m) = if d[1] <= 2 { (d[0] - 1, d[1] + 9) } else { (d[0], d[1] - 3) };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * m + 2) / 5 + d[2] - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let ms: i64 = format!("{frac:0<3}")[..3].parse().expect("millis");
    ((days * 24 + t[0]) * 60 + t[1]) * 60_000 + t[2] * 1000 + ms
}
