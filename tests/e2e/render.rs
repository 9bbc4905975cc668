//! Whole jobs, from upload to a playable MP4 at its public link: events, the job view, the
//! video itself, HTTP Range on the public link, every aspect ratio, and deletion.

use std::time::Duration;

use reqwest::{StatusCode, header};
use serde_json::{Value, json};

use crate::helpers::{
    assert_problem, assert_video, content_type, count_events, fetch_and_probe, photo, request_id, spawn_app,
    spawn_app_with, stage,
};

const RENDER_TIMEOUT: Duration = Duration::from_secs(180);

#[tokio::test]
async fn a_whole_job_ends_in_a_playable_public_video() {
    let app = spawn_app().await;
    let user = app.register_user().await;
    let job = app
        .submit(
            &user.access_token,
            &[photo("coffee.png"), photo("rocket.jpg")],
            "Single-origin espresso, roasted the morning you order it",
            &json!({"aspect_ratio": "9:16", "duration_s": 5, "language": "en", "style": "clean"}),
        )
        .await;
    let id = job["id"].as_str().expect("job id").to_owned();
    assert!(matches!(job["status"].as_str(), Some("queued" | "running")), "a new job: {job:#}");
    assert_eq!(job["photos"].as_array().map(Vec::len), Some(2), "{job:#}");

    // The event stream carries every state change and ends with the job.
    let events = app.events(&user.access_token, &id, RENDER_TIMEOUT).await;
    let ids: Vec<i64> = events.iter().map(|e| e["id"].as_i64().expect("event id")).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "event ids must increase: {ids:?}");
    assert!(events.iter().all(|e| e["job_id"] == id.as_str()), "events of another job: {events:#?}");
    for s in ["script", "enhance", "render"] {
        let pos =
            |status: &str| events.iter().position(|e| e["kind"] == "stage" && e["stage"] == s && e["status"] == status);
        let running = pos("running").unwrap_or_else(|| panic!("no `{s} running` event: {events:#?}"));
        let succeeded = pos("succeeded").unwrap_or_else(|| panic!("no `{s} succeeded` event: {events:#?}"));
        assert!(running < succeeded, "{s}: succeeded before running: {events:#?}");
        assert_eq!(count_events(&events, "stage", Some(s), "succeeded"), 1, "{s} succeeded more than once");
    }
    // Render starts only after both of its inputs are ready (the fan-in).
    let at = |s: &str, status: &str| {
        events.iter().position(|e| e["kind"] == "stage" && e["stage"] == s && e["status"] == status).expect("event")
    };
    assert!(at("render", "running") > at("script", "succeeded"), "render started before the script: {events:#?}");
    assert!(at("render", "running") > at("enhance", "succeeded"), "render started before enhance: {events:#?}");
    let last = events.last().expect("events");
    assert_eq!(
        (last["kind"].as_str(), last["status"].as_str()),
        (Some("job"), Some("succeeded")),
        "last event: {last}"
    );

    // The job view.
    let job = app.job(&user.access_token, &id).await;
    assert_eq!(job["status"], "succeeded", "{job:#}");
    for s in ["script", "enhance", "render"] {
        assert_eq!(stage(&job, s)["status"], "succeeded", "{job:#}");
    }
    let scenes = job["script"]["scenes"].as_array().unwrap_or_else(|| panic!("no script scenes: {job:#}"));
    assert!((3..=6).contains(&scenes.len()), "a script has 3 to 6 scenes: {job:#}");
    for sc in scenes {
        assert!(sc["caption"].as_str().is_some_and(|c| !c.trim().is_empty()), "scene without caption: {sc}");
        assert!(sc["photo_index"].as_u64().is_some_and(|i| i < 2), "scene photo out of range: {sc}");
    }
    let enhanced = job["enhanced_images"].as_array().expect("enhanced_images");
    assert_eq!(enhanced.len(), 2, "{job:#}");
    for e in enhanced {
        assert_eq!((e["width"].as_u64(), e["height"].as_u64()), (Some(1080), Some(1920)), "enhanced image: {e}");
    }
    // The owner can fetch an enhanced image and it really is that size; nobody else can.
    let link = enhanced[0]["url"].as_str().expect("enhanced url");
    let r = app.get(link, Some(&user.access_token)).await;
    assert_eq!(r.status(), StatusCode::OK);
    let img = image::load_from_memory(&r.bytes().await.expect("image bytes")).expect("the enhanced image decodes");
    assert_eq!((img.width(), img.height()), (1080, 1920));
    assert_problem(app.get(link, None).await, 401, "enhanced image without a token").await;

    // The public video: no authentication, the requested size and duration, every frame decodes.
    let public_url = job["public_url"].as_str().expect("public_url");
    assert!(public_url.starts_with(&format!("{}/v/", app.address)), "public_url {public_url}");
    let r = app.client.get(public_url).send().await.expect("GET video");
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(content_type(r.headers()), "video/mp4");
    assert_eq!(r.headers().get(header::ACCEPT_RANGES).and_then(|v| v.to_str().ok()), Some("bytes"));
    request_id(r.headers());
    // The link is unguessable: 128 random bits, unrelated to the job id.
    let public_id = public_url.rsplit('/').next().expect("public id");
    assert!(public_id.len() >= 22 && !public_id.contains(&id) && !id.contains(public_id), "public id {public_id:?}");
    let (full, info) = fetch_and_probe(&app, &job).await;
    assert_video(&info, 1080, 1920, 5000);
    assert_eq!(Some(full.len() as u64), job["video"]["size"].as_u64(), "video size in the job view");
    let total = full.len();
    assert!(total > 2000, "a 5 s video of {total} bytes");

    // It speaks: one AAC-LC track at 48 kHz as long as the picture, and the narration's
    // subtitles as the job's files (WebVTT, then SRT), their cues inside the video, in order.
    let audio = info.audio.as_ref().unwrap_or_else(|| panic!("a silent video: {info:?}"));
    assert_eq!((audio.codec.as_str(), audio.object_type, audio.sample_rate), ("mp4a", 2, 48_000), "{audio:?}");
    assert!(audio.duration_ms.abs_diff(info.duration_ms) <= 34, "audio {audio:?} vs video {info:?}");
    let subtitles = job["subtitles"].as_array().unwrap_or_else(|| panic!("no subtitles: {job:#}"));
    assert_eq!(subtitles.len(), 2, "{job:#}");
    let mut cue_sets = Vec::new();
    for (link, (kind, first)) in subtitles.iter().zip([("text/vtt", "WEBVTT"), ("application/x-subrip", "1")]) {
        let r = app.get(link["url"].as_str().expect("subtitles url"), Some(&user.access_token)).await;
        assert_eq!(r.status(), StatusCode::OK);
        assert!(content_type(r.headers()).starts_with(kind), "{:?}", r.headers());
        let text = r.text().await.expect("subtitles text");
        assert_eq!(text.lines().next().map(str::trim), Some(first), "{text}");
        let times: Vec<(f64, f64)> = text
            .lines()
            .filter_map(|l| l.split_once(" --> "))
            .map(|(a, b)| (subtitle_time(a), subtitle_time(b)))
            .collect();
        assert!(!times.is_empty(), "no cues: {text}");
        assert!(times.windows(2).all(|w| w[0].0 <= w[1].0), "cues out of order: {times:?}");
        assert!(
            times.iter().all(|&(a, b)| a < b && b <= info.duration_ms as f64 / 1000.0 + 0.05),
            "{times:?} in {info:?}"
        );
        cue_sets.push(times);
    }
    assert_eq!(cue_sets[0], cue_sets[1], "the WebVTT and SRT files say different things");
    // The voice-over was said by the script stage, beside the enhancement, and the render
    // reused every line of it; it is the owner's file (a WAV), like the others.
    let note = |stage: &str, has: &str| {
        events.iter().any(|e| {
            e["kind"] == "note" && e["stage"] == stage && e["message"].as_str().is_some_and(|m| m.contains(has))
        })
    };
    assert!(note("script", "voice-over said ahead"), "{events:#?}");
    assert!(note("render", "every line was said ahead"), "{events:#?}");
    let r = app.get(&format!("/api/v1/videos/{id}/assets/narration/0"), Some(&user.access_token)).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(content_type(r.headers()), "audio/wav");
    let wav = r.bytes().await.expect("voice-over bytes");
    assert!(wav.starts_with(b"RIFF") && &wav[8..12] == b"WAVE", "not a WAV file");
    assert_problem(
        app.get(&format!("/api/v1/videos/{id}/assets/narration/0"), None).await,
        401,
        "voice-over without a token",
    )
    .await;

    // Range: a slice in the middle, an open-ended range and a suffix range.
    for (range, start, end) in [
        ("bytes=100-1099".to_string(), 100, 1099),
        (format!("bytes={}-", total - 500), total - 500, total - 1),
        ("bytes=-300".to_string(), total - 300, total - 1),
        (format!("bytes=1000-{}", total + 5000), 1000, total - 1),
    ] {
        let r = app.client.get(public_url).header(header::RANGE, &range).send().await.expect("range GET");
        assert_eq!(r.status(), StatusCode::PARTIAL_CONTENT, "{range}");
        let cr = r.headers().get(header::CONTENT_RANGE).and_then(|v| v.to_str().ok()).map(str::to_owned);
        assert_eq!(cr.as_deref(), Some(format!("bytes {start}-{end}/{total}").as_str()), "{range}");
        let body = r.bytes().await.expect("range body");
        assert_eq!(&body[..], &full[start..=end], "{range}: bytes differ from the full file");
    }
    // A range that starts at or beyond the end cannot be satisfied.
    for range in [format!("bytes={total}-"), format!("bytes={}-{}", total + 10, total + 20)] {
        let r = app.client.get(public_url).header(header::RANGE, &range).send().await.expect("range GET");
        let cr = r.headers().get(header::CONTENT_RANGE).and_then(|v| v.to_str().ok()).map(str::to_owned);
        assert_problem(r, 416, &range).await;
        assert_eq!(cr.as_deref(), Some(format!("bytes */{total}").as_str()), "{range}: Content-Range of a 416");
    }

    // The video cost one trial and keeps it; a finished job cannot be canceled.
    let account = app.account(&user.access_token).await;
    assert_eq!(account["free_trials_left"].as_i64(), Some(2), "3 trials minus this video: {account}");
    let r = app.post_empty(&format!("/api/v1/videos/{id}/cancel"), &user.access_token).await;
    assert_problem(r, 409, "canceling a finished job").await;
    assert_eq!(app.account(&user.access_token).await["free_trials_left"].as_i64(), Some(2), "a late cancel refunded");
    assert_eq!(app.job(&user.access_token, &id).await["status"], "succeeded");

    // HEAD answers with the headers a GET would send (RFC 9110 §9.3.2), the length above all.
    let r = app.client.head(public_url).send().await.expect("HEAD video");
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()),
        Some(total.to_string().as_str()),
        "Content-Length of HEAD /v/{{public_id}}"
    );
    assert!(r.bytes().await.expect("HEAD body").is_empty());
}

#[tokio::test]
async fn each_aspect_ratio_renders_at_its_size() {
    // Two renders at once: let the render stage take both.
    let app = spawn_app_with(&[("GLIMVID_WORKER_CONCURRENCY", "2")]).await;
    let user = app.register_user().await;
    let cases = [("16:9", 1920, 1080), ("1:1", 1080, 1080)];
    let mut jobs = Vec::new();
    for (ratio, _, _) in cases {
        let job = app
            .submit(
                &user.access_token,
                &[photo("rocket.jpg")],
                "A reusable rocket for weekend trips",
                &json!({"aspect_ratio": ratio, "duration_s": 5}),
            )
            .await;
        assert_eq!(job["options"]["aspect_ratio"], ratio, "{job:#}");
        jobs.push(job["id"].as_str().expect("id").to_owned());
    }
    let (a, b) = tokio::join!(
        app.wait_for(&user.access_token, &jobs[0], RENDER_TIMEOUT),
        app.wait_for(&user.access_token, &jobs[1], RENDER_TIMEOUT),
    );
    for ((ratio, w, h), job) in cases.into_iter().zip([a, b]) {
        assert_eq!(job["status"], "succeeded", "{ratio}: {job:#}");
        let enhanced: &Value = &job["enhanced_images"][0];
        assert_eq!(
            (enhanced["width"].as_u64(), enhanced["height"].as_u64()),
            (Some(w as u64), Some(h as u64)),
            "{ratio}"
        );
        let (_, info) = fetch_and_probe(&app, &job).await;
        assert_video(&info, w, h, 5000);
    }
}

#[tokio::test]
async fn deleting_a_finished_job_takes_its_public_link_down_at_once() {
    let app = spawn_app().await;
    let user = app.register_user().await;
    let t = &user.access_token;
    let keep = app
        .submit(t, &[photo("coffee.png")], "An espresso cup we keep", &json!({"aspect_ratio": "1:1", "duration_s": 5}))
        .await;
    let job = app
        .submit(
            t,
            &[photo("coffee.png")],
            "An espresso cup to delete",
            &json!({"aspect_ratio": "1:1", "duration_s": 5}),
        )
        .await;
    let id = job["id"].as_str().expect("id").to_owned();
    let keep_id = keep["id"].as_str().expect("id").to_owned();
    // The job to keep need not render: cancel it so the machine renders only one video.
    let r = app.post_empty(&format!("/api/v1/videos/{keep_id}/cancel"), t).await;
    assert_eq!(r.status(), StatusCode::OK, "cancel");

    let job = app.wait_for(t, &id, RENDER_TIMEOUT).await;
    assert_eq!(job["status"], "succeeded", "{job:#}");
    let public_url = job["public_url"].as_str().expect("public_url").to_owned();
    let asset = job["enhanced_images"][0]["url"].as_str().expect("asset url").to_owned();
    assert_eq!(app.client.get(&public_url).send().await.expect("GET").status(), StatusCode::OK);

    let r = app.delete(&format!("/api/v1/videos/{id}"), t).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert!(r.bytes().await.expect("body").is_empty(), "204 has no body");

    // No waiting: the link is gone now.
    assert_problem(app.client.get(&public_url).send().await.expect("GET"), 404, "public link after delete").await;
    let r = app.client.get(&public_url).header(header::RANGE, "bytes=0-99").send().await.expect("GET");
    assert_problem(r, 404, "ranged public link after delete").await;
    let r = app.client.head(&public_url).send().await.expect("HEAD");
    assert_eq!(r.status(), StatusCode::NOT_FOUND, "HEAD public link after delete");
    assert_problem(app.get(&format!("/api/v1/videos/{id}"), Some(t)).await, 404, "GET job after delete").await;
    assert_problem(app.get(&asset, Some(t)).await, 404, "job file after delete").await;
    assert_problem(app.delete(&format!("/api/v1/videos/{id}"), t).await, 404, "second delete").await;
    let list = app.list_videos(t).await;
    assert!(list.iter().all(|j| j["id"] != id.as_str()), "the deleted job is still listed: {list:#?}");
    assert!(list.iter().any(|j| j["id"] == keep_id.as_str()), "the other job went too: {list:#?}");
}

/// `00:00:01.250` (WebVTT) or `00:00:01,250` (SRT) in seconds.
fn subtitle_time(t: &str) -> f64 {
    let t = t.trim().replace(',', ".");
    let t = t.split_whitespace().next().unwrap_or_default();
    t.split(':').fold(0.0, |acc, part| acc * 60.0 + part.parse::<f64>().unwrap_or_else(|_| panic!("time {t:?}")))
}
