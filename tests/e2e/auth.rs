//! Refresh-token rotation, reuse detection and logout.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{assert_problem, spawn_app};

async fn tokens(r: reqwest::Response, what: &str) -> (String, String) {
    let status = r.status();
    let body: Value = r.json().await.expect("token JSON");
    assert_eq!(status, StatusCode::OK, "{what}: {body}");
    let access = body["access_token"].as_str().expect("access_token").to_owned();
    let refresh = body["refresh_token"].as_str().expect("refresh_token").to_owned();
    (access, refresh)
}

#[tokio::test]
async fn refresh_rotates_and_reuse_revokes_the_family() {
    let app = spawn_app().await;
    let user = app.register_user().await;
    let first = user.refresh_token.clone();

    let (access2, second) = tokens(app.refresh(&first).await, "first refresh").await;
    assert_ne!(second, first, "refresh must hand out a new refresh token");
    assert_eq!(app.get("/api/v1/account", Some(&access2)).await.status(), StatusCode::OK, "the new access token works");

    // The old token is spent; using it again is theft as far as the server knows...
    assert_problem(app.refresh(&first).await, 401, "reusing a rotated refresh token").await;
    // ...so the token that replaced it is revoked too.
    assert_problem(app.refresh(&second).await, 401, "the successor of a reused token").await;

    // A new login starts a new family, unaffected.
    let (_, third) = tokens(app.login(&user.email, &user.password).await, "login").await;
    let (_, fourth) = tokens(app.refresh(&third).await, "refresh after login").await;
    assert_ne!(fourth, third);

    assert_problem(app.refresh("rt_not-a-real-token").await, 401, "an unknown refresh token").await;
}

#[tokio::test]
async fn logout_ends_the_refresh_token() {
    let app = spawn_app().await;
    let user = app.register_user().await;
    let r = app.logout(&user.refresh_token).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_problem(app.refresh(&user.refresh_token).await, 401, "refresh after logout").await;
}
