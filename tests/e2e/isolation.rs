//! Another user's job does not exist as far as you are concerned: 404, never 403.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{assert_problem, photo, spawn_app};

#[tokio::test]
async fn another_users_job_is_404() {
    let app = spawn_app().await;
    let alice = app.register_user().await;
    let bob = app.register_user().await;
    let job =
        app.submit(&alice.access_token, &[photo("rocket.jpg")], "Alice's rocket", &json!({"duration_s": 5})).await;
    let id = job["id"].as_str().expect("id").to_owned();

    // What a job that does not exist looks like, for comparison.
    let mut missing = id.clone().into_bytes();
    let last = missing.len() - 1;
    missing[last] = if missing[last] == b'0' { b'1' } else { b'0' };
    let missing = String::from_utf8(missing).expect("id");
    let strip = |mut v: Value| {
        v.as_object_mut().expect("object").remove("request_id");
        v
    };
    let nobody = strip(
        assert_problem(
            app.get(&format!("/api/v1/videos/{missing}"), Some(&bob.access_token)).await,
            404,
            "a job that does not exist",
        )
        .await,
    );

    let b = &bob.access_token;
    let cases = [
        ("GET", app.get(&format!("/api/v1/videos/{id}"), Some(b)).await),
        ("events", app.get(&format!("/api/v1/videos/{id}/events"), Some(b)).await),
        ("cancel", app.post_empty(&format!("/api/v1/videos/{id}/cancel"), b).await),
        ("DELETE", app.delete(&format!("/api/v1/videos/{id}"), b).await),
        ("a file", app.get(&format!("/api/v1/videos/{id}/assets/original/0"), Some(b)).await),
    ];
    for (what, r) in cases {
        let p = strip(assert_problem(r, 404, &format!("Bob's {what} of Alice's job")).await);
        assert_eq!(p, nobody, "{what}: must look exactly like a job that does not exist");
    }
    assert!(app.list_videos(b).await.is_empty(), "Bob lists Alice's job");

    // Alice's job is untouched by all that.
    let seen = app.job(&alice.access_token, &id).await;
    assert_ne!(seen["status"], "canceled", "Bob canceled Alice's job: {seen:#}");
    assert_eq!(app.list_videos(&alice.access_token).await.len(), 1);
    // Done: spare the machine the render.
    let r = app.post_empty(&format!("/api/v1/videos/{id}/cancel"), &alice.access_token).await;
    assert_eq!(r.status(), StatusCode::OK);
}
