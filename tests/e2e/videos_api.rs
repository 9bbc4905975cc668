//! The rest of the videos and account contract that needs no render: idempotent submission,
//! listing newest first with a cursor, account settings feeding job defaults, and the event
//! stream of a canceled job.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, form, parse_sse, photo, spawn_app};

async fn cancel(app: &TestApp, token: &str, id: &str) {
    let r = app.post_empty(&format!("/api/v1/videos/{id}/cancel"), token).await;
    assert_eq!(r.status(), StatusCode::OK, "cancel {id}");
}

#[tokio::test]
async fn the_same_idempotency_key_replays_the_first_answer() {
    let app = spawn_app().await;
    let user = app.register_user().await;
    let t = user.access_token.as_str();
    let trials = app.account(t).await["free_trials_left"].as_i64().expect("trials");
    let options = json!({"duration_s": 5}).to_string();
    let send = |description: &'static str| {
        let f = form(&[photo("rocket.jpg")], Some(description), Some(&options));
        app.client
            .post(app.url("/api/v1/videos"))
            .bearer_auth(t)
            .header("Idempotency-Key", "e2e-key-1")
            .multipart(f)
            .send()
    };
    let first = send("A rocket, exactly once").await.expect("POST");
    assert_eq!(first.status(), StatusCode::ACCEPTED);
    let replayed =
        |r: &reqwest::Response| r.headers().get("idempotent-replayed").and_then(|v| v.to_str().ok()).map(str::to_owned);
    assert_eq!(replayed(&first).as_deref(), Some("false"));
    let first: Value = first.json().await.expect("job");

    let second = send("A rocket, exactly once").await.expect("POST");
    assert_eq!(second.status(), StatusCode::ACCEPTED);
    assert_eq!(replayed(&second).as_deref(), Some("true"));
    let second: Value = second.json().await.expect("job");
    assert_eq!(second["id"], first["id"], "a replay must answer with the first job");
    assert_eq!(app.list_videos(t).await.len(), 1, "a replay created a second job");
    assert_eq!(app.account(t).await["free_trials_left"].as_i64(), Some(trials - 1), "a replay spent a trial");

    let r = send("A different rocket").await.expect("POST");
    assert_problem(r, 422, "the same key with other parameters").await;
    assert_eq!(app.list_videos(t).await.len(), 1);
    cancel(&app, t, first["id"].as_str().expect("id")).await;
}

async fn list_page(app: &TestApp, token: &str, query: &str) -> Value {
    let r = app.get(&format!("/api/v1/videos?{query}"), Some(token)).await;
    assert_eq!(r.status(), StatusCode::OK, "list {query}");
    r.json().await.expect("list JSON")
}

#[tokio::test]
async fn jobs_are_listed_newest_first_with_a_cursor() {
    let app = spawn_app().await;
    let user = app.register_user().await;
    let t = user.access_token.as_str();
    let mut ids = Vec::new();
    for n in 1..=3 {
        let job = app.submit(t, &[photo("rocket.jpg")], &format!("Rocket number {n}"), &json!({"duration_s": 5})).await;
        let id = job["id"].as_str().expect("id").to_owned();
        cancel(&app, t, &id).await;
        ids.push(id);
    }
    let first = list_page(&app, t, "limit=2").await;
    let got: Vec<&str> =
        first["items"].as_array().expect("items").iter().map(|j| j["id"].as_str().expect("id")).collect();
    assert_eq!(got, [ids[2].as_str(), ids[1].as_str()], "newest first");
    let cursor = first["next_cursor"].as_str().expect("a next_cursor when more remain").to_owned();
    let second = list_page(&app, t, &format!("limit=2&cursor={cursor}")).await;
    let got: Vec<&str> =
        second["items"].as_array().expect("items").iter().map(|j| j["id"].as_str().expect("id")).collect();
    assert_eq!(got, [ids[0].as_str()], "the second page");
    assert!(second["next_cursor"].is_null(), "no cursor on the last page: {second}");

    for q in ["limit=0", "limit=101", "cursor=not-a-cursor", "colour=red"] {
        assert_problem(app.get(&format!("/api/v1/videos?{q}"), Some(t)).await, 422, q).await;
    }
}

#[tokio::test]
async fn account_settings_are_kept_and_used() {
    let app = spawn_app().await;
    let user = app.register_user().await;
    let t = user.access_token.as_str();
    let a = app.account(t).await;
    assert_eq!(a["email"].as_str(), Some(user.email.as_str()));
    assert_eq!(a["training_opt_out"], false, "{a}");

    let r = app
        .client
        .patch(app.url("/api/v1/account"))
        .bearer_auth(t)
        .json(&json!({"language": "de", "training_opt_out": true}))
        .send()
        .await
        .expect("PATCH");
    assert_eq!(r.status(), StatusCode::OK);
    let a = app.account(t).await;
    assert_eq!((a["language"].as_str(), a["training_opt_out"].as_bool()), (Some("de"), Some(true)), "{a}");

    for (what, body) in
        [("an unknown language", json!({"language": "xx"})), ("an unknown field", json!({"colour": "red"}))]
    {
        let r = app.client.patch(app.url("/api/v1/account")).bearer_auth(t).json(&body).send().await.expect("PATCH");
        assert_problem(r, 422, what).await;
    }
    assert_eq!(app.account(t).await["language"], "de", "a refused PATCH changed the account");

    // A job without a language option is made in the account's language.
    let job = app.submit(t, &[photo("rocket.jpg")], "Eine Rakete", &json!({"duration_s": 5})).await;
    assert_eq!(job["options"]["language"], "de", "{job:#}");
    let id = job["id"].as_str().expect("id");
    cancel(&app, t, id).await;

    // The event stream of a job that ended by cancel ends too, with that news.
    let events = app.events(t, id, Duration::from_secs(20)).await;
    let last = events.last().expect("events");
    assert_eq!((last["kind"].as_str(), last["status"].as_str()), (Some("job"), Some("canceled")), "{events:#?}");

    // A client that reconnects with Last-Event-ID gets only what came after.
    let first_id = events[0]["id"].as_i64().expect("event id");
    let r = app
        .client
        .get(app.url(&format!("/api/v1/videos/{id}/events")))
        .bearer_auth(t)
        .header("Last-Event-ID", first_id.to_string())
        .send()
        .await
        .expect("GET events");
    assert_eq!(r.status(), StatusCode::OK);
    let rest = parse_sse(&r.text().await.expect("events"));
    assert_eq!(rest, events[1..], "events after Last-Event-ID {first_id}");
}
