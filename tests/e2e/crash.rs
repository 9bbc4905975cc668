//! A SIGKILL in the middle of a render loses nothing: after a restart on the same data folder
//! the job finishes, and what had already succeeded is not run again.

use std::time::Duration;

use serde_json::json;

use crate::helpers::{assert_video, count_events, fetch_and_probe, photo, spawn_app, stage};

#[tokio::test]
async fn a_job_survives_kill_9_mid_render() {
    let mut app = spawn_app().await;
    let user = app.register_user().await;
    let t = user.access_token.clone();
    let job = app
        .submit(&t, &[photo("coffee.png"), photo("rocket.jpg")], "Espresso to orbit", &json!({"duration_s": 10}))
        .await;
    let id = job["id"].as_str().expect("id").to_owned();

    app.wait_until(&t, &id, Duration::from_secs(60), |j| stage(j, "render")["status"] == "running").await;
    // Let the render get properly under way, then pull the plug.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let before = app.job(&t, &id).await;
    assert_eq!(stage(&before, "render")["status"], "running", "the render ended before the kill: {before:#}");
    app.kill_and_restart().await;

    // Access tokens are checked with the auth keys, which must survive the restart too.
    let job = app.wait_for(&t, &id, Duration::from_secs(240)).await;
    assert_eq!(job["status"], "succeeded", "{job:#}");
    assert_eq!(stage(&job, "script")["attempts"].as_i64(), Some(1), "script ran again: {job:#}");
    assert_eq!(stage(&job, "enhance")["attempts"].as_i64(), Some(1), "enhance ran again: {job:#}");

    let events = app.events(&t, &id, Duration::from_secs(30)).await;
    for s in ["script", "enhance"] {
        assert_eq!(count_events(&events, "stage", Some(s), "succeeded"), 1, "{s} succeeded twice: {events:#?}");
        assert_eq!(count_events(&events, "stage", Some(s), "running"), 1, "{s} ran twice: {events:#?}");
    }
    assert_eq!(count_events(&events, "stage", Some("render"), "succeeded"), 1, "{events:#?}");
    assert!(
        count_events(&events, "stage", Some("render"), "running") >= 2,
        "the interrupted render should have been started again: {events:#?}"
    );
    assert_eq!(count_events(&events, "job", None, "succeeded"), 1, "{events:#?}");

    let (_, info) = fetch_and_probe(&app, &job).await;
    assert_video(&info, 1080, 1920, 10_000);
}
