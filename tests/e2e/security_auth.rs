//! Credentials under attack, as an outsider would try it: a burst of logins for random emails
//! must not allocate a scrypt hash (128 MiB) per request. The pool answers 503 with
//! `Retry-After` when it is full, and the process keeps serving.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn a_login_burst_is_answered_busy_with_retry_after_never_a_crash() {
    let app = spawn_app_with(&[
        ("GLIMVID_PASSWORD_HASH_CONCURRENCY", "1"),
        ("GLIMVID_PASSWORD_HASH_WAIT_MS", "20"),
        // The per-address login limit would answer 429 first; this test is about the pool.
        ("GLIMVID_RATE_LIMIT_LOGIN", "1000/1m"),
    ])
    .await;

    let mut burst = tokio::task::JoinSet::new();
    for _ in 0..16 {
        let (client, url) = (app.client.clone(), app.url("/api/v1/auth/login"));
        burst.spawn(async move {
            let body = json!({"email": unique_email(), "password": "not-the-password-at-all-9"});
            client.post(url).json(&body).send().await.expect("login request")
        });
    }
    let answers = burst.join_all().await;

    let mut busy = 0;
    for r in answers {
        match r.status() {
            // Unknown emails still pay a dummy verification: refused like a wrong password.
            StatusCode::UNAUTHORIZED => {}
            StatusCode::SERVICE_UNAVAILABLE => {
                let retry = r.headers().get("retry-after").and_then(|v| v.to_str().ok()).map(str::to_owned);
                assert!(retry.is_some_and(|s| s.parse::<u64>().is_ok()), "503 without a Retry-After in seconds");
                let p = assert_problem(r, 503, "busy login").await;
                assert_eq!(p["code"], "unavailable", "{p}");
                assert!(p["detail"].as_str().unwrap_or("").starts_with("busy"), "{p}");
                busy += 1;
            }
            other => panic!("a login in the burst got {other}: {}", r.text().await.unwrap_or_default()),
        }
    }
    assert!(busy > 0, "16 parallel logins on one hashing slot with a 20 ms wait: some must be busy");

    // Still alive and serving: a real account registers and logs in once the burst is over.
    let user = app.register_user().await;
    let r = app.login(&user.email, &user.password).await;
    assert_eq!(r.status(), StatusCode::OK);
}
