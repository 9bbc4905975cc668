//! The voices and music catalogues: what `options.voice` and `options.music` accept, listed for
//! clients, and a track's or a voice's preview for signed-in users.

use reqwest::{StatusCode, header};
use serde_json::Value;

use crate::helpers::{assert_problem, spawn_app};

#[tokio::test]
async fn voices_and_music_are_listed_and_a_track_can_be_previewed() {
    let app = spawn_app().await;

    let r = app.client.get(app.url("/api/v1/voices")).send().await.expect("GET voices");
    assert_eq!(r.status(), StatusCode::OK);
    let voices: Value = r.json().await.expect("json");
    let voices = voices["voices"].as_array().expect("voices").clone();
    for lang in ["en", "zh"] {
        let genders: Vec<&str> =
            voices.iter().filter(|v| v["language"] == lang).filter_map(|v| v["gender"].as_str()).collect();
        assert!(genders.contains(&"female") && genders.contains(&"male"), "{lang}: {genders:?}");
        let defaults = voices.iter().filter(|v| v["language"] == lang && v["default"] == true).count();
        assert_eq!(defaults, 1, "{lang} has one default voice");
    }
    assert!(voices.iter().all(|v| v["id"].as_str().is_some_and(|id| !id.is_empty())));

    let r = app.client.get(app.url("/api/v1/music")).send().await.expect("GET music");
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers().get(header::CACHE_CONTROL).is_some());
    let music: Value = r.json().await.expect("json");
    let tracks = music["tracks"].as_array().expect("tracks").clone();
    assert!(tracks.len() >= 3, "{tracks:#?}");
    for style in ["clean", "bold", "elegant"] {
        let n = tracks
            .iter()
            .filter(|t| t["default_for_styles"].as_array().is_some_and(|s| s.iter().any(|x| x == style)))
            .count();
        assert_eq!(n, 1, "one default track for {style}");
    }
    for t in &tracks {
        assert!(t["licence"].as_str().is_some_and(|l| !l.is_empty()), "{t}");
        assert!(t["credit"].as_str().is_some_and(|c| !c.is_empty()), "{t}");
    }

    // The preview needs an account.
    let sample = tracks[0]["sample_url"].as_str().expect("sample_url").to_owned();
    let r = app.client.get(app.url(&sample)).send().await.expect("GET sample");
    assert_problem(r, 401, "a preview without a token").await;
    let user = app.register_user().await;
    let r = app.client.get(app.url(&sample)).bearer_auth(&user.access_token).send().await.expect("GET sample");
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()[header::CONTENT_TYPE], "audio/ogg");
    let body = r.bytes().await.expect("body");
    assert!(body.starts_with(b"OggS") && body.len() > 100_000, "{} bytes", body.len());
    let r = app
        .client
        .get(app.url("/api/v1/music/polka/sample"))
        .bearer_auth(&user.access_token)
        .send()
        .await
        .expect("GET");
    assert_problem(r, 404, "an unknown track").await;

    // Each voice can be heard before it is chosen: a few seconds of AAC-LC at 48 kHz, for an
    // account only.
    for v in &voices {
        let url = v["sample_url"].as_str().unwrap_or_else(|| panic!("no sample_url: {v}"));
        assert_problem(app.client.get(app.url(url)).send().await.expect("GET"), 401, "a voice sample without a token")
            .await;
        let r = app.client.get(app.url(url)).bearer_auth(&user.access_token).send().await.expect("GET voice sample");
        assert_eq!(r.status(), StatusCode::OK, "{url}");
        assert_eq!(r.headers()[header::CONTENT_TYPE], "audio/aac");
        let body = r.bytes().await.expect("body");
        assert!(body.len() > 4096 && body[0] == 0xFF && body[1] & 0xF6 == 0xF0, "{url}: not ADTS");
        assert_eq!((body[2] >> 6, (body[2] >> 2) & 0xF), (1, 3), "{url}: not AAC-LC at 48 kHz");
    }
    let r = app
        .client
        .get(app.url("/api/v1/voices/nobody/sample"))
        .bearer_auth(&user.access_token)
        .send()
        .await
        .expect("GET");
    assert_problem(r, 404, "an unknown voice").await;
}
