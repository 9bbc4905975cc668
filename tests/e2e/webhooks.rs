//! Partner webhooks on `glimvid up`: every job event reaches a registered receiver, signed with
//! the webhook's secret, even when the receiver fails or hangs for a while (retries with backoff);
//! deliveries are listable; the pipeline never waits for a receiver.

use std::{
    collections::{BTreeMap, BTreeSet},
    time::Duration,
};

use reqwest::StatusCode;
use serde_json::{Value, json};
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{method, path},
};

use crate::helpers::{assert_problem, photo, spawn_app_with};

#[tokio::test]
async fn job_events_reach_a_failing_receiver_signed_and_retried() {
    let receiver = MockServer::start().await;
    // The receiver fails its first three requests (two 500s, then an answer too slow for the
    // 1 s timeout), then accepts.
    Mock::given(method("POST"))
        .and(path("/hooks/glimvid"))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&receiver)
        .await;
    Mock::given(method("POST"))
        .and(path("/hooks/glimvid"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(3)))
        .up_to_n_times(1)
        .with_priority(2)
        .mount(&receiver)
        .await;
    Mock::given(method("POST"))
        .and(path("/hooks/glimvid"))
        .respond_with(ResponseTemplate::new(204))
        .with_priority(3)
        .mount(&receiver)
        .await;

    let app = spawn_app_with(&[
        ("GLIMVID_WEBHOOK_RETRY_BASE_S", "1"),
        ("GLIMVID_WEBHOOK_TIMEOUT_S", "1"),
        // The mock receiver listens on loopback.
        ("GLIMVID_WEBHOOK_ALLOWED_NETWORKS", "127.0.0.0/8"),
    ])
    .await;
    let user = app.register_user().await;
    let t = &user.access_token;
    let post = |body: Value| {
        let app = &app;
        async move { app.client.post(app.url("/api/v1/webhooks")).bearer_auth(t).json(&body).send().await.expect("POST") }
    };
    assert_problem(post(json!({"url": "file:///etc/passwd"})).await, 422, "a non-HTTP URL").await;
    assert_problem(post(json!({"url": "https://user:pw@example.com/"})).await, 422, "credentials in the URL").await;
    let r = post(json!({"url": format!("{}/hooks/glimvid", receiver.uri())})).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let hook: Value = r.json().await.expect("webhook JSON");
    let secret = hook["secret"].as_str().expect("secret").to_owned();
    let hook_id = hook["id"].as_str().expect("id").to_owned();
    assert!(secret.starts_with("whsec_"));
    let listed = app.get("/api/v1/webhooks", Some(t)).await.text().await.expect("list");
    assert!(listed.contains(&hook_id) && !listed.contains(&secret), "the list shows the secret: {listed}");

    // The job runs at its usual pace while the receiver fails.
    let job = app.submit(t, &[photo("coffee.png")], "Fresh coffee, roasted today", &json!({"duration_s": 6})).await;
    let id = job["id"].as_str().expect("id");
    let done = app.wait_for(t, id, Duration::from_secs(180)).await;
    assert_eq!(done["status"], "succeeded");
    let events = app.events(t, id, Duration::from_secs(30)).await;
    let expected: BTreeSet<i64> = events.iter().map(|e| e["id"].as_i64().expect("event id")).collect();

    // Every event arrives, signed; failures were retried, so some came more than once.
    let deadline = std::time::Instant::now() + Duration::from_secs(90);
    let (received, counts) = loop {
        let mut received = BTreeMap::new();
        let mut counts: BTreeMap<i64, usize> = BTreeMap::new();
        for req in receiver.received_requests().await.unwrap_or_default() {
            let sig = req.headers.get("glimvid-signature").and_then(|v| v.to_str().ok()).expect("signature header");
            let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs();
            glimvid_auth::webhook::verify(secret.as_bytes(), sig, &req.body, now as i64)
                .unwrap_or_else(|e| panic!("a delivery fails verification: {e}"));
            let body: Value = serde_json::from_slice(&req.body).expect("JSON body");
            let event_id = body["id"].as_i64().expect("id in the body");
            let header_id = req.headers.get("glimvid-event-id").and_then(|v| v.to_str().ok()).expect("event id header");
            assert_eq!(header_id, event_id.to_string());
            assert_eq!(body["job_id"], id);
            *counts.entry(event_id).or_default() += 1;
            received.insert(event_id, body);
        }
        let all = expected.iter().all(|e| received.contains_key(e));
        if all || std::time::Instant::now() > deadline {
            break (received, counts);
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    let missing: Vec<_> = expected.iter().filter(|e| !received.contains_key(e)).collect();
    assert!(missing.is_empty(), "events never delivered: {missing:?} (got {:?})", received.keys());
    assert!(counts.values().any(|n| *n > 1), "no event was retried: {counts:?}");
    let last = received.values().find(|b| b["type"] == "job.succeeded").expect("a job.succeeded event");
    assert_eq!(last["status"], "succeeded");

    // The deliveries are recorded: delivered, some after several attempts.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let page = loop {
        let r = app.get(&format!("/api/v1/webhooks/{hook_id}/deliveries?limit=100"), Some(t)).await;
        assert_eq!(r.status(), StatusCode::OK);
        let page: Value = r.json().await.expect("deliveries JSON");
        let items = page["items"].as_array().expect("items");
        let ours = items.iter().filter(|d| expected.contains(&d["event_id"].as_i64().unwrap_or(0)));
        let delivered = ours.filter(|d| d["status"] == "delivered").count();
        if delivered == expected.len() || std::time::Instant::now() > deadline {
            break page;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    let items = page["items"].as_array().expect("items");
    let ours: Vec<&Value> = items.iter().filter(|d| expected.contains(&d["event_id"].as_i64().unwrap_or(0))).collect();
    assert_eq!(ours.len(), expected.len(), "one delivery per event: {page:#}");
    assert!(ours.iter().all(|d| d["status"] == "delivered" && d["last_status_code"] == 204), "{page:#}");
    assert!(ours.iter().any(|d| d["attempts"].as_i64() >= Some(2)), "{page:#}");

    // Nobody else sees or removes them; the owner removes the webhook.
    let other = app.register_user().await;
    assert_problem(
        app.get(&format!("/api/v1/webhooks/{hook_id}/deliveries"), Some(&other.access_token)).await,
        404,
        "another's deliveries",
    )
    .await;
    assert_problem(
        app.delete(&format!("/api/v1/webhooks/{hook_id}"), &other.access_token).await,
        404,
        "another's hook",
    )
    .await;
    assert_eq!(app.delete(&format!("/api/v1/webhooks/{hook_id}"), t).await.status(), StatusCode::NO_CONTENT);
    let listed: Value = app.get("/api/v1/webhooks", Some(t)).await.json().await.expect("list");
    assert_eq!(listed["items"], json!([]));
}
