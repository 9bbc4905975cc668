//! Streams end: a client that resumes the event stream of a finished job at or past its last
//! event gets a stream that ends at once, not one that polls forever; a job awaiting review
//! streams with an idle limit; an account has a cap on open streams, REST and gRPC together.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use glimvid_proto::jobs::v1 as pb;

use crate::helpers::{TestApp, assert_problem, photo, spawn_app, spawn_app_with};

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

/// Opens the job's event stream; the response (status checked by the caller).
async fn open_stream(app: &TestApp, token: &str, id: &str) -> reqwest::Response {
    app.client
        .get(app.url(&format!("/api/v1/videos/{id}/events")))
        .bearer_auth(token)
        .header("accept", "text/event-stream")
        .send()
        .await
        .expect("GET events")
}

/// A job parked in `awaiting_review`: it has no reason to end on its own.
async fn parked_job(app: &TestApp, token: &str) -> String {
    let job = app
        .submit(token, &[photo("rocket.jpg")], "A rocket, reviewed", &json!({"duration_s": 5, "review": true}))
        .await;
    let id = job["id"].as_str().expect("job id").to_owned();
    let j = app
        .wait_until(token, &id, Duration::from_secs(120), |j| {
            j["status"] == "awaiting_review" || j["status"] == "failed"
        })
        .await;
    assert_eq!(j["status"], "awaiting_review", "{j:#}");
    id
}

#[tokio::test]
async fn a_stream_of_a_job_awaiting_review_ends_when_idle() {
    let app = spawn_app_with(&[("GLIMVID_STREAM_IDLE_S", "2")]).await;
    let user = app.register_user().await;
    let t = &user.access_token;
    let id = parked_job(&app, t).await;
    let mut r = open_stream(&app, t, &id).await;
    assert_eq!(r.status(), StatusCode::OK);
    let started = std::time::Instant::now();
    let ended = tokio::time::timeout(Duration::from_secs(15), async {
        while r.chunk().await.expect("SSE stream").is_some() {}
    })
    .await;
    assert!(ended.is_ok(), "the stream of a job awaiting review never ended");
    assert!(started.elapsed() >= Duration::from_secs(2), "it ended before the idle limit");
}

#[tokio::test]
async fn an_account_has_a_cap_on_open_streams_on_rest_and_grpc() {
    let app = spawn_app_with(&[("GLIMVID_MAX_STREAMS_PER_ACCOUNT", "2")]).await;
    let user = app.register_user().await;
    let t = &user.access_token;
    let id = parked_job(&app, t).await;
    let first = open_stream(&app, t, &id).await;
    assert_eq!(first.status(), StatusCode::OK);
    // Over gRPC: the second stream of the account.
    let key = crate::partner_grpc::api_key(&app, t, &["videos:read"]).await;
    let mut c = crate::partner_grpc::client(&app).await;
    let watch = |key: String, id: String| {
        let mut req = tonic::Request::new(pb::WatchVideoJobRequest { id, after_event_id: 0 });
        req.metadata_mut().insert("authorization", format!("Bearer {key}").parse().expect("header"));
        req
    };
    let second = c.watch_video_job(watch(key.clone(), id.clone())).await.expect("second stream");
    // The third, on either protocol, is refused.
    let p = assert_problem(open_stream(&app, t, &id).await, 429, "a third stream").await;
    assert!(p["detail"].as_str().unwrap_or_default().contains("at most 2 event streams"), "{p:#}");
    let e = c.watch_video_job(watch(key.clone(), id.clone())).await.unwrap_err();
    assert_eq!(e.code(), tonic::Code::ResourceExhausted, "{e:?}");
    // Another account is not affected.
    let other = app.register_user().await;
    let other_id = parked_job(&app, &other.access_token).await;
    assert_eq!(open_stream(&app, &other.access_token, &other_id).await.status(), StatusCode::OK);
    // Closing streams gives their slots back.
    drop(first);
    drop(second);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let r = open_stream(&app, t, &id).await;
        if r.status() == StatusCode::OK {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "closed streams kept their slots");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
