//! Streams end: a client that resumes the event stream of a finished job at or past its last
//! event gets a stream that ends at once, not one that polls forever.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{photo, spawn_app};

#[tokio::test]
async fn a_resumed_stream_past_the_end_of_a_finished_job_ends_promptly() {
    let app = spawn_app().await;
    let user = app.register_user().await;
    let t = &user.access_token;
    let job = app.submit(t, &[photo("rocket.jpg")], "A rocket", &json!({"duration_s": 5})).await;
    let id = job["id"].as_str().expect("job id").to_owned();
    let done = app.wait_for(t, &id, Duration::from_secs(120)).await;
    assert_eq!(done["status"], "succeeded", "{done:#}");

    let mut r = app
        .client
        .get(app.url(&format!("/api/v1/videos/{id}/events")))
        .bearer_auth(t)
        .header("accept", "text/event-stream")
        .header("last-event-id", "1000000000")
        .send()
        .await
        .expect("GET events");
    assert_eq!(r.status(), StatusCode::OK);
    let ended =
        tokio::time::timeout(Duration::from_secs(5), async { while r.chunk().await.expect("SSE stream").is_some() {} })
            .await;
    assert!(ended.is_ok(), "the resumed stream of finished job {id} did not end");
}
