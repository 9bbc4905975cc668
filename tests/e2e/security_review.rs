//! No free lunch: a job with review (paid only when rendered) still costs its script and enhanced
//! photos, so review jobs count against the jobs-in-flight limit and against a daily allowance
//! per network and per account (429 with `Retry-After` until midnight UTC).

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{assert_problem, form, photo, spawn_app_with};

#[tokio::test]
async fn review_jobs_have_a_daily_allowance_and_count_in_flight() {
    let app = spawn_app_with(&[("GLIMVID_REVIEWS_PER_IP_PER_DAY", "2"), ("GLIMVID_MAX_JOBS_IN_FLIGHT", "2")]).await;
    let user = app.register_user().await;
    let t = &user.access_token;
    let review = json!({"duration_s": 5, "review": true}).to_string();
    let submit = || app.submit_form(t, form(&[photo("rocket.jpg")], Some("A rocket, reviewed"), Some(&review)));
    let mut ids = Vec::new();
    for _ in 0..2 {
        let r = submit().await;
        assert_eq!(r.status(), StatusCode::ACCEPTED);
        let j: serde_json::Value = r.json().await.expect("job JSON");
        ids.push(j["id"].as_str().expect("id").to_owned());
    }
    for id in &ids {
        let j = app
            .wait_until(t, id, Duration::from_secs(120), |j| {
                j["status"] == "awaiting_review" || j["status"] == "failed"
            })
            .await;
        assert_eq!(j["status"], "awaiting_review", "{j:#}");
    }
    // Two jobs awaiting review fill the two places in flight: a plain job waits.
    let plain = app.submit_form(t, form(&[photo("rocket.jpg")], Some("A rocket"), Some(r#"{"duration_s": 5}"#))).await;
    let p = assert_problem(plain, 429, "a job beyond the in-flight limit").await;
    assert!(p["detail"].as_str().unwrap_or_default().contains("in progress"), "{p:#}");
    // Deleting them frees the places, not the day's allowance of review jobs.
    for id in &ids {
        assert_eq!(app.delete(&format!("/api/v1/videos/{id}"), t).await.status(), StatusCode::NO_CONTENT);
    }
    let r = submit().await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = r
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("a numeric Retry-After");
    assert!((1..=86_400).contains(&retry), "until midnight UTC: {retry}");
    let p = assert_problem(r, 429, "a third review job today").await;
    assert!(p["detail"].as_str().unwrap_or_default().contains("with review"), "{p:#}");
}
