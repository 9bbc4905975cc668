//! Free trials: spent when a job is accepted, 402 when none are left, given back on cancel.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{assert_problem, form, photo, spawn_app_with};

#[tokio::test]
async fn trials_are_spent_refused_and_refunded() {
    let app = spawn_app_with(&[("GLIMVID_FREE_TRIALS", "1")]).await;
    let user = app.register_user().await;
    let t = &user.access_token;
    let trials = |a: &serde_json::Value| a["free_trials_left"].as_i64().expect("free_trials_left");
    let account = app.account(t).await;
    assert_eq!(account["id"].as_str(), Some(user.id.as_str()), "{account}");
    assert_eq!(trials(&account), 1, "{account}");
    assert_eq!(account["credits"].as_i64(), Some(0), "{account}");

    let options = json!({"duration_s": 5});
    let job = app.submit(t, &[photo("coffee.png")], "A cup that costs a trial", &options).await;
    let id = job["id"].as_str().expect("id").to_owned();
    assert_eq!(trials(&app.account(t).await), 0, "accepting a job spends a trial");

    let r = app.submit_form(t, form(&[photo("coffee.png")], Some("One too many"), Some(&options.to_string()))).await;
    assert_problem(r, 402, "a submission without trials or credits").await;
    assert_eq!(app.list_videos(t).await.len(), 1, "the refused submission created a job");

    // Cancel at once: the trial comes back, once.
    let r = app.post_empty(&format!("/api/v1/videos/{id}/cancel"), t).await;
    assert_eq!(r.status(), StatusCode::OK, "cancel");
    let canceled: serde_json::Value = r.json().await.expect("job JSON");
    assert_eq!(canceled["status"], "canceled", "{canceled:#}");
    assert_eq!(trials(&app.account(t).await), 1, "a canceled job gives its trial back");
    assert_problem(app.post_empty(&format!("/api/v1/videos/{id}/cancel"), t).await, 409, "canceling twice").await;
    assert_eq!(trials(&app.account(t).await), 1, "a second cancel refunded again");
    let job = app.job(t, &id).await;
    assert_eq!(job["status"], "canceled", "{job:#}");

    // The refunded trial buys a job again.
    let again = app.submit(t, &[photo("coffee.png")], "A cup, second try", &options).await;
    assert_eq!(trials(&app.account(t).await), 0);
    let again = again["id"].as_str().expect("id");
    assert_eq!(app.post_empty(&format!("/api/v1/videos/{again}/cancel"), t).await.status(), StatusCode::OK);
}
