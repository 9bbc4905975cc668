//! Refused requests: each gets the right status and an RFC 9457 problem document, and a refused
//! submission creates nothing (no job, no trial spent).

use std::time::{Duration, Instant};

use reqwest::{StatusCode, header};
use serde_json::{Value, json};

use crate::helpers::{
    PASSWORD, Photo, TestApp, assert_problem, form, generated_png, photo, spawn_app, spawn_app_with, unique_email,
};

const DESCRIPTION: &str = "A ceramic espresso cup, hand glazed";
const OPTIONS: &str = r#"{"aspect_ratio": "9:16", "duration_s": 5}"#;

/// The standard CRC-32 of PNG chunks (ISO 3309), bit by bit: small and obviously right.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

/// A tiny, well-formed PNG (correct chunk CRCs) whose header declares 30000x30000 pixels:
/// decoding it would need 2.7 GB. Built from a real 1x1 PNG with its IHDR rewritten.
fn decompression_bomb() -> Vec<u8> {
    let mut png = generated_png(1, 1).bytes;
    // Signature (8), IHDR length (4), "IHDR" (4), then width and height, then the CRC of
    // "IHDR" + the 13 data bytes at offset 29.
    assert_eq!(&png[12..16], b"IHDR");
    png[16..20].copy_from_slice(&30_000u32.to_be_bytes());
    png[20..24].copy_from_slice(&30_000u32.to_be_bytes());
    let crc = crc32(&png[12..29]);
    png[29..33].copy_from_slice(&crc.to_be_bytes());
    png
}

/// Asserts the user still has no job and all their trials.
async fn assert_nothing_created(app: &TestApp, token: &str, trials: &Value, what: &str) {
    let list = app.list_videos(token).await;
    assert!(list.is_empty(), "{what}: a refused submission created a job: {list:#?}");
    let account = app.account(token).await;
    assert_eq!(&account["free_trials_left"], trials, "{what}: a refused submission spent a trial");
}

#[tokio::test]
async fn refused_uploads_get_problems_and_create_nothing() {
    let app = spawn_app().await;
    let user = app.register_user().await;
    let t = user.access_token.as_str();
    let trials = app.account(t).await["free_trials_left"].clone();
    assert!(trials.as_i64().is_some_and(|n| n > 0), "a new account has free trials: {trials}");

    let text = Photo {
        file_name: "photo.jpg".into(),
        content_type: "image/jpeg".into(),
        bytes: b"not a photo at all\n".to_vec(),
    };
    let rocket = photo("rocket.jpg");
    let truncated = Photo { bytes: rocket.bytes[..rocket.bytes.len() / 2].to_vec(), ..rocket.clone() };
    let bomb = Photo { file_name: "bomb.png".into(), content_type: "image/png".into(), bytes: decompression_bomb() };
    let small = generated_png(320, 320);
    let seven: Vec<Photo> = (0..7).map(|_| small.clone()).collect();
    let good = [photo("coffee.png")];

    let cases: Vec<(&str, reqwest::multipart::Form, u16)> = vec![
        ("a text file named .jpg", form(&[text], Some(DESCRIPTION), Some(OPTIONS)), 415),
        ("seven photos", form(&seven, Some(DESCRIPTION), Some(OPTIONS)), 422),
        ("no photos", form(&[], Some(DESCRIPTION), Some(OPTIONS)), 422),
        ("options that are not JSON", form(&good, Some(DESCRIPTION), Some("{oops")), 400),
        ("aspect ratio 4:3", form(&good, Some(DESCRIPTION), Some(r#"{"aspect_ratio": "4:3"}"#)), 422),
        ("duration 61 s", form(&good, Some(DESCRIPTION), Some(r#"{"duration_s": 61}"#)), 422),
        ("duration 4 s", form(&good, Some(DESCRIPTION), Some(r#"{"duration_s": 4}"#)), 422),
        ("an unknown option", form(&good, Some(DESCRIPTION), Some(r#"{"colour": "red"}"#)), 422),
        ("an unknown voice", form(&good, Some(DESCRIPTION), Some(r#"{"voice": "af_nobody"}"#)), 422),
        (
            "a Chinese voice for an English video",
            form(&good, Some(DESCRIPTION), Some(r#"{"language": "en", "voice": "zf_xiaoxiao"}"#)),
            422,
        ),
        ("an unknown music track", form(&good, Some(DESCRIPTION), Some(r#"{"music": "polka"}"#)), 422),
        ("captions neither burned nor none", form(&good, Some(DESCRIPTION), Some(r#"{"captions": "karaoke"}"#)), 422),
        ("no description", form(&good, None, Some(OPTIONS)), 422),
        ("a blank description", form(&good, Some("   "), Some(OPTIONS)), 422),
        ("a truncated JPEG", form(&[truncated], Some(DESCRIPTION), Some(OPTIONS)), 422),
    ];
    for (what, f, status) in cases {
        assert_problem(app.submit_form(t, f).await, status, what).await;
        assert_nothing_created(&app, t, &trials, what).await;
    }

    // The bomb is refused from its header, before anything is decoded: fast.
    let started = Instant::now();
    let r = app.submit_form(t, form(&[bomb], Some(DESCRIPTION), Some(OPTIONS))).await;
    let took = started.elapsed();
    assert_problem(r, 413, "a 30000x30000 PNG").await;
    assert!(took < Duration::from_secs(3), "the decompression bomb took {took:?} to refuse");
    assert_nothing_created(&app, t, &trials, "bomb").await;

    // Not multipart at all.
    let r = app
        .client
        .post(app.url("/api/v1/videos"))
        .bearer_auth(t)
        .json(&json!({"description": DESCRIPTION}))
        .send()
        .await
        .expect("POST");
    assert_problem(r, 415, "a JSON body instead of multipart").await;
    assert_nothing_created(&app, t, &trials, "JSON body").await;

    // And the same account can still submit a good job afterwards (cancel it at once).
    let job = app.submit(t, &good, DESCRIPTION, &serde_json::from_str(OPTIONS).expect("options")).await;
    let id = job["id"].as_str().expect("id");
    assert_eq!(app.post_empty(&format!("/api/v1/videos/{id}/cancel"), t).await.status(), StatusCode::OK);
}

/// A JPEG cut in the middle of its image data and closed with an end-of-image marker still
/// lacks half of its pixels: a full decode must notice.
///
/// Known gap: the decoder fills the missing rows without an error and the segment walk sees a
/// well-formed file, so this case is still accepted. Kept visible (run with `--ignored`) until
/// the upload check counts the scan's MCUs.
#[tokio::test]
#[ignore = "known gap: a JPEG cut short and re-terminated with an end-of-image marker is accepted"]
async fn a_jpeg_cut_short_is_refused_even_with_its_end_marker() {
    let app = spawn_app().await;
    let user = app.register_user().await;
    let t = user.access_token.as_str();
    let trials = app.account(t).await["free_trials_left"].clone();
    let rocket = photo("rocket.jpg");
    let mut cut = rocket.bytes[..rocket.bytes.len() / 2].to_vec();
    cut.extend_from_slice(&[0xFF, 0xD9]);
    let cut = Photo { bytes: cut, ..rocket };
    let r = app.submit_form(t, form(&[cut], Some(DESCRIPTION), Some(OPTIONS))).await;
    assert_problem(r, 422, "a JPEG cut in half, with EOI appended").await;
    assert_nothing_created(&app, t, &trials, "cut JPEG").await;
}

#[tokio::test]
async fn a_photo_over_the_byte_limit_is_413() {
    let app = spawn_app_with(&[("GLIMVID_MAX_PHOTO_BYTES", "200000")]).await;
    let user = app.register_user().await;
    let t = user.access_token.as_str();
    let trials = app.account(t).await["free_trials_left"].clone();
    let big = photo("coffee.png");
    assert!(big.bytes.len() > 200_000);
    let r = app.submit_form(t, form(&[big], Some(DESCRIPTION), Some(OPTIONS))).await;
    assert_problem(r, 413, "a 466 kB photo over a 200 kB limit").await;
    assert_nothing_created(&app, t, &trials, "photo too large").await;
}

#[tokio::test]
async fn refused_registrations() {
    let app = spawn_app().await;
    let r = app.post_raw_json("/api/v1/auth/register", r#"{"email": "a@example.com", "password": "#).await;
    assert_problem(r, 400, "malformed JSON").await;

    let email = unique_email();
    let cases = [
        ("a bad email", json!({"email": "not-an-email", "password": PASSWORD, "age_confirmed": true})),
        ("a 9-character password", json!({"email": email, "password": "Xk3#pLm9q", "age_confirmed": true})),
        ("a common password", json!({"email": email, "password": "1234567890", "age_confirmed": true})),
        ("age not confirmed", json!({"email": email, "password": PASSWORD, "age_confirmed": false})),
        ("age confirmation missing", json!({"email": email, "password": PASSWORD})),
    ];
    for (what, body) in cases {
        assert_problem(app.register(&body).await, 422, what).await;
    }
    // None of those made the account: it can be registered now, once.
    let ok = app.register(&json!({"email": email, "password": PASSWORD, "age_confirmed": true})).await;
    assert_eq!(ok.status(), StatusCode::CREATED, "register after refusals");
    let upper = format!("  {}  ", email.to_uppercase());
    for (what, e) in [("the same email", email.as_str()), ("the same email in capitals with spaces", upper.as_str())] {
        let r = app.register(&json!({"email": e, "password": PASSWORD, "age_confirmed": true})).await;
        assert_problem(r, 409, what).await;
    }
}

#[tokio::test]
async fn login_does_not_tell_unknown_emails_from_wrong_passwords() {
    let app = spawn_app().await;
    let user = app.register_user().await;
    let wrong = app.login(&user.email, "not-the-right-password").await;
    let wrong = assert_problem(wrong, 401, "wrong password").await;
    let unknown = app.login(&unique_email(), "not-the-right-password").await;
    let unknown = assert_problem(unknown, 401, "unknown email").await;
    let strip = |mut v: Value| {
        v.as_object_mut().expect("object").remove("request_id");
        v
    };
    assert_eq!(strip(wrong), strip(unknown), "the two failures must be indistinguishable");
    // The right password still works, whatever the case of the email.
    assert_eq!(app.login(&user.email, &user.password).await.status(), StatusCode::OK);
    let shouted = format!(" {} ", user.email.to_uppercase());
    assert_eq!(app.login(&shouted, &user.password).await.status(), StatusCode::OK, "login with {shouted:?}");
}

#[tokio::test]
async fn requests_without_a_valid_token_are_401() {
    let app = spawn_app().await;
    let user = app.register_user().await;
    let mut tampered = user.access_token.clone();
    let last = tampered.pop().expect("token");
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    let cases = [
        ("no token", None),
        ("a garbage token", Some("garbage")),
        ("a token with a forged signature", Some(tampered.as_str())),
        ("a refresh token used as access token", Some(user.refresh_token.as_str())),
    ];
    for (what, token) in cases {
        let r = app.get("/api/v1/account", token).await;
        assert_eq!(
            r.headers().get(header::WWW_AUTHENTICATE).and_then(|v| v.to_str().ok()).map(|s| s.starts_with("Bearer")),
            Some(true),
            "{what}: WWW-Authenticate"
        );
        assert_problem(r, 401, what).await;
    }
    assert_eq!(app.get("/api/v1/account", Some(&user.access_token)).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn unknown_routes_are_404_problems() {
    let app = spawn_app().await;
    assert_problem(app.get("/api/v1/nope", None).await, 404, "GET /api/v1/nope").await;
    assert_problem(app.get("/nope", None).await, 404, "GET /nope").await;
    assert_problem(app.get("/v/not-a-public-id", None).await, 404, "GET /v/not-a-public-id").await;
    let user = app.register_user().await;
    let r = app.get("/api/v1/videos/not-a-job-id", Some(&user.access_token)).await;
    assert_problem(r, 404, "a job id that is not an id").await;
}

/// Errors the framework writes itself (a method a route does not have, a body over an
/// extractor's limit) are problem documents too, with their headers kept.
#[tokio::test]
async fn framework_errors_are_problem_documents() {
    let app = spawn_app().await;
    let user = app.register_user().await;
    let r = app.client.patch(app.url("/api/v1/videos")).bearer_auth(&user.access_token).send().await.expect("PATCH");
    let allow = r.headers().get(header::ALLOW).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let p = assert_problem(r, 405, "a method the route does not have").await;
    assert!(allow.contains("POST") && allow.contains("GET"), "Allow: {allow}");
    assert!(p["detail"].as_str().unwrap_or("").contains("PATCH"), "{p}");
    let big = "a".repeat(300 * 1024);
    let r = app
        .client
        .put(app.url("/api/v1/videos/0190f1e2-0000-7000-8000-000000000000/script"))
        .bearer_auth(&user.access_token)
        .header(header::CONTENT_TYPE, "application/json")
        .body(big)
        .send()
        .await
        .expect("PUT");
    assert_problem(r, 413, "a script body over the limit").await;
}
