//! Review before paying: a job submitted with `options.review = true` stops in
//! `awaiting_review` with its script, takes an edited script, and is paid for only when its
//! render is requested. Refused edits and render requests change nothing, and a SIGKILL at
//! either step loses neither the job nor a credit.

use std::time::Duration;

use reqwest::{Response, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{
    TestApp, assert_problem, assert_video, count_events, fetch_and_probe, photo, spawn_app_with, stage,
};

const WEBHOOK_SECRET: &str = "whsec_e2e_review";

fn review_options() -> Value {
    json!({"duration_s": 5, "review": true})
}

async fn put_script(app: &TestApp, token: &str, id: &str, body: &str, content_type: &str) -> Response {
    app.client
        .put(app.url(&format!("/api/v1/videos/{id}/script")))
        .bearer_auth(token)
        .header("content-type", content_type)
        .body(body.to_owned())
        .send()
        .await
        .expect("PUT script")
}

async fn render(app: &TestApp, token: &str, id: &str) -> Response {
    app.post_empty(&format!("/api/v1/videos/{id}/render"), token).await
}

/// (free trials, credits) of the account.
async fn balance(app: &TestApp, token: &str) -> (i64, i64) {
    let a = app.account(token).await;
    (a["free_trials_left"].as_i64().expect("free_trials_left"), a["credits"].as_i64().expect("credits"))
}

async fn awaiting_review(app: &TestApp, token: &str, id: &str) -> Value {
    app.wait_until(token, id, Duration::from_secs(120), |j| {
        j["status"] == "awaiting_review" || matches!(j["status"].as_str(), Some("succeeded" | "failed" | "canceled"))
    })
    .await
}

/// Grants `credits` through the payment provider's signed webhook.
async fn buy(app: &TestApp, user_id: &str, event_id: &str, credits: i64) {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs() as i64;
    let body = json!({"id": event_id, "type": "credits.purchased", "data": {"user_id": user_id, "credits": credits}})
        .to_string();
    let sig = glimvid_auth::webhook::sign(WEBHOOK_SECRET.as_bytes(), now, body.as_bytes());
    let r = app
        .client
        .post(app.url("/api/v1/billing/webhook"))
        .header("content-type", "application/json")
        .header("Glimvid-Signature", sig)
        .body(body)
        .send()
        .await
        .expect("webhook");
    assert_eq!(r.status(), StatusCode::OK, "purchase webhook");
}

#[tokio::test]
async fn a_reviewed_job_is_edited_refused_without_credits_and_paid_at_render() {
    let app = spawn_app_with(&[("GLIMVID_FREE_TRIALS", "1"), ("GLIMVID_BILLING_WEBHOOK_SECRET", WEBHOOK_SECRET)]).await;
    let (owner, stranger) = (app.register_user().await, app.register_user().await);
    let t = owner.access_token.as_str();
    let job =
        app.submit(t, &[photo("coffee.png"), photo("rocket.jpg")], "Espresso, reviewed first", &review_options()).await;
    let id = job["id"].as_str().expect("id").to_owned();
    assert_eq!(job["options"]["review"], true, "{job:#}");
    assert_eq!(balance(&app, t).await, (1, 0), "a job with review pays nothing at submission");

    let job = awaiting_review(&app, t, &id).await;
    assert_eq!(job["status"], "awaiting_review", "{job:#}");
    assert_eq!(stage(&job, "script")["status"], "succeeded");
    assert_eq!(stage(&job, "enhance")["status"], "succeeded");
    assert_eq!(stage(&job, "render")["status"], "pending");
    assert!(job["video"].is_null() && job["public_url"].is_null(), "{job:#}");
    let original = job["script"].clone();
    assert!(original["scenes"].as_array().is_some_and(|s| !s.is_empty()), "the job view shows the script: {job:#}");
    assert_eq!(balance(&app, t).await, (1, 0));

    // Refused edits: each a problem document, none changes the job.
    let mut two_scenes = original.clone();
    two_scenes["scenes"] = json!(original["scenes"].as_array().expect("scenes")[..2].to_vec());
    let mut unknown = original.clone();
    unknown["music"] = json!("loud");
    let mut bad_photo = original.clone();
    bad_photo["scenes"][0]["photo_index"] = json!(2);
    for (what, body, ct, status) in [
        ("a script that is not JSON", "{\"title\": ".to_owned(), "application/json", 400),
        ("too few scenes", two_scenes.to_string(), "application/json", 422),
        ("an unknown field", unknown.to_string(), "application/json", 422),
        ("a scene showing a photo the job lacks", bad_photo.to_string(), "application/json", 422),
        ("a script that is not an object", "[]".to_owned(), "application/json", 422),
        ("a script sent as text", original.to_string(), "text/plain", 415),
    ] {
        assert_problem(put_script(&app, t, &id, &body, ct).await, status, what).await;
    }
    // Another user's job does not exist for them.
    let st = stranger.access_token.as_str();
    assert_problem(
        put_script(&app, st, &id, &original.to_string(), "application/json").await,
        404,
        "a stranger's edit",
    )
    .await;
    assert_problem(render(&app, st, &id).await, 404, "a stranger's render").await;
    assert_problem(render(&app, t, "not-a-job").await, 404, "a render of no job").await;
    let job = app.job(t, &id).await;
    assert_eq!(
        (&job["status"], &job["script"]),
        (&json!("awaiting_review"), &original),
        "refused edits changed the job"
    );

    // A job without review (it spends the trial) is not awaiting review.
    let plain = app.submit(t, &[photo("coffee.png")], "Espresso, straight through", &json!({"duration_s": 5})).await;
    let plain_id = plain["id"].as_str().expect("id");
    assert_eq!(balance(&app, t).await, (0, 0));
    assert_problem(render(&app, t, plain_id).await, 409, "a render of a job not awaiting review").await;
    assert_problem(
        put_script(&app, t, plain_id, &original.to_string(), "application/json").await,
        409,
        "an edit of a job not awaiting review",
    )
    .await;

    // No trial or credit left: 402, and the job keeps waiting, unpaid.
    let p = assert_problem(render(&app, t, &id).await, 402, "a render without credits").await;
    assert_eq!(p["code"], "payment_required", "{p}");
    let job = app.job(t, &id).await;
    assert_eq!(job["status"], "awaiting_review", "{job:#}");
    assert_eq!(stage(&job, "render")["status"], "pending");

    // The owner's edit is kept, shown and stored.
    let mut edited = original.clone();
    edited["title"] = json!("Espresso, edited by hand");
    edited["scenes"][0]["caption"] = json!("Hand-edited first caption");
    edited["scenes"][0]["photo_index"] = json!(1);
    // A line said a little differently (its first letter's case flipped: the same length, so
    // the others keep their pace).
    let line = original["scenes"][1]["voiceover"].as_str().expect("a voice-over line").to_owned();
    let mut chars = line.chars();
    let first = chars.next().expect("a spoken line");
    let flipped =
        if first.is_uppercase() { first.to_lowercase().collect::<String>() } else { first.to_uppercase().collect() };
    edited["scenes"][1]["voiceover"] = json!(format!("{flipped}{}", chars.as_str()));
    assert_ne!(edited["scenes"][1]["voiceover"], original["scenes"][1]["voiceover"]);
    let r = put_script(&app, t, &id, &edited.to_string(), "application/json").await;
    assert_eq!(r.status(), StatusCode::OK, "a valid edit");
    let job: Value = r.json().await.expect("job JSON");
    assert_eq!((&job["status"], &job["script"]), (&json!("awaiting_review"), &edited), "{job:#}");
    assert_eq!(app.job(t, &id).await["script"], edited);
    let r = app.get(&format!("/api/v1/videos/{id}/assets/script/0"), Some(t)).await;
    assert_eq!(r.status(), StatusCode::OK, "the job's script file");
    let stored: Value = r.json().await.expect("stored script JSON");
    assert_eq!(stored, edited, "the job's script file is the edited one");

    // Paid for when the render is requested: exactly one video's worth.
    buy(&app, &owner.id, "evt_e2e_review_1", 2).await;
    let before = balance(&app, t).await;
    let r = render(&app, t, &id).await;
    assert_eq!(r.status(), StatusCode::ACCEPTED, "render request");
    let job: Value = r.json().await.expect("job JSON");
    assert!(matches!(job["status"].as_str(), Some("queued" | "running")), "{job:#}");
    let after = balance(&app, t).await;
    assert_eq!(before.0 + before.1 - 1, after.0 + after.1, "a render costs one video: {before:?} → {after:?}");
    assert_problem(render(&app, t, &id).await, 409, "a second render request").await;
    assert_problem(
        put_script(&app, t, &id, &original.to_string(), "application/json").await,
        409,
        "an edit after the render request",
    )
    .await;
    assert_eq!(balance(&app, t).await, after, "refused requests charged");

    let job = app.wait_for(t, &id, Duration::from_secs(240)).await;
    assert_eq!(job["status"], "succeeded", "{job:#}");
    assert_eq!(job["script"], edited, "the video was made from the edited script");
    let (_, info) = fetch_and_probe(&app, &job).await;
    assert_video(&info, 1080, 1920, 5_000);
    assert_eq!(balance(&app, t).await, after, "a finished job keeps what it paid, and nothing more");

    // The event stream tells the story in order.
    let events = app.events(t, &id, Duration::from_secs(30)).await;
    assert_eq!(count_events(&events, "job", None, "awaiting_review"), 1, "{events:#?}");
    let pos = |pred: &dyn Fn(&Value) -> bool| events.iter().position(pred);
    let waiting = pos(&|e| e["kind"] == "job" && e["status"] == "awaiting_review").expect("awaiting_review event");
    let edit = pos(&|e| {
        e["kind"] == "note" && e["stage"] == "script" && e["message"] == "the script was replaced by its owner"
    })
    .expect("a note of the edit");
    let requested = pos(&|e| e["kind"] == "job" && e["status"] == "queued" && e["message"] == "render requested")
        .expect("a render requested event");
    let started =
        pos(&|e| e["kind"] == "stage" && e["stage"] == "render" && e["status"] == "running").expect("render started");
    assert!(waiting < edit && edit < requested && requested < started, "{events:#?}");
    // The voice-over was said once the script was written, before the review; the render said
    // again only the line the owner changed.
    let note = |stage: &str, starts: &str| {
        events.iter().find_map(|e| {
            let m = e["message"].as_str().filter(|m| e["kind"] == "note" && e["stage"] == stage && m.contains(starts));
            m.map(str::to_owned)
        })
    };
    let ahead =
        note("script", "voice-over said ahead").unwrap_or_else(|| panic!("no voice-over said ahead: {events:#?}"));
    let said_ahead = pos(&|e| e["message"].as_str() == Some(ahead.as_str())).expect("the note");
    assert!(said_ahead < waiting, "{events:#?}");
    let spoken = edited["scenes"].as_array().expect("scenes").iter().filter(|s| s["voiceover"] != "").count();
    let narrated = note("render", "narrated by").unwrap_or_else(|| panic!("no narration note: {events:#?}"));
    assert!(narrated.ends_with(&format!("{} of {spoken} lines were said ahead", spoken - 1)), "{narrated}");
    assert_eq!(count_events(&events, "stage", Some("render"), "running"), 1, "{events:#?}");
    let _ = app.post_empty(&format!("/api/v1/videos/{plain_id}/cancel"), t).await;
}

#[tokio::test]
async fn a_crash_while_awaiting_review_or_after_the_render_request_loses_nothing() {
    let mut app = spawn_app_with(&[("GLIMVID_FREE_TRIALS", "2")]).await;
    let user = app.register_user().await;
    let t = user.access_token.clone();
    let job = app.submit(&t, &[photo("rocket.jpg")], "A rocket, reviewed", &review_options()).await;
    let id = job["id"].as_str().expect("id").to_owned();
    let waiting = awaiting_review(&app, &t, &id).await;
    assert_eq!(waiting["status"], "awaiting_review", "{waiting:#}");

    app.kill_and_restart().await;
    let job = app.job(&t, &id).await;
    assert_eq!((&job["status"], &job["script"]), (&waiting["status"], &waiting["script"]), "{job:#}");
    assert_eq!(balance(&app, &t).await, (2, 0));

    // Cancel a second reviewed job while it waits: nothing was paid, nothing is given back.
    let other = app.submit(&t, &[photo("coffee.png")], "A cup, never rendered", &review_options()).await;
    let other_id = other["id"].as_str().expect("id").to_owned();
    awaiting_review(&app, &t, &other_id).await;
    let r = app.post_empty(&format!("/api/v1/videos/{other_id}/cancel"), &t).await;
    assert_eq!(r.status(), StatusCode::OK, "cancel while awaiting review");
    assert_eq!(balance(&app, &t).await, (2, 0), "canceling an unpaid job moved credits");

    let r = render(&app, &t, &id).await;
    assert_eq!(r.status(), StatusCode::ACCEPTED, "render request");
    assert_eq!(balance(&app, &t).await, (1, 0));
    // Killed right after the answer: the render task was committed with the payment.
    app.kill_and_restart().await;
    let job = app.wait_for(&t, &id, Duration::from_secs(240)).await;
    assert_eq!(job["status"], "succeeded", "{job:#}");
    assert_eq!(balance(&app, &t).await, (1, 0), "paid exactly once across the crash");
    assert_eq!(stage(&job, "script")["attempts"].as_i64(), Some(1), "script ran again: {job:#}");
    let events = app.events(&t, &id, Duration::from_secs(30)).await;
    assert_eq!(count_events(&events, "job", None, "awaiting_review"), 1, "{events:#?}");
    assert_eq!(count_events(&events, "stage", Some("render"), "succeeded"), 1, "{events:#?}");
}
