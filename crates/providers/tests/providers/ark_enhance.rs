//! `ArkEnhancer` against a mock of `POST /api/v3/images/generations` and of the result URL.

use base64::Engine;
use bytes::Bytes;
use glimvid_domain::AspectRatio;
use glimvid_providers::{ArkEnhancer, EnhanceRequest, ErrorClass, ImageEnhancer};
use serde_json::json;
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{method, path},
};

use crate::common::*;

const GENERATE: &str = "/api/v3/images/generations";

fn answer(server: &MockServer, file: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "model": "seededit-test",
        "created": 1_700_000_000,
        "data": [{"url": format!("{}/results/{file}", server.uri())}],
        "usage": {"generated_images": 1, "output_tokens": 4096, "total_tokens": 4096}
    }))
}

fn ark_error(status: u16, code: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({
        "error": {"code": code, "message": format!("{code} happened for key {ARK_KEY}"), "param": "", "type": "BadRequest"}
    }))
}

fn request(photo: Vec<u8>, aspect: AspectRatio) -> EnhanceRequest {
    EnhanceRequest {
        photo: Bytes::from(photo),
        options: glimvid_domain::VideoOptions { aspect_ratio: aspect, ..options(15) },
    }
}

#[tokio::test]
async fn enhances_through_a_data_uri_and_downloads_the_result_at_once() {
    let server = MockServer::start().await;
    let result = jpeg(90, 160);
    Mock::given(method("POST"))
        .and(path(GENERATE))
        .respond_with(answer(&server, "a.jpeg"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/results/a.jpeg"))
        .respond_with(
            ResponseTemplate::new(200).set_body_bytes(result.clone()).insert_header("content-type", "image/jpeg"),
        )
        .expect(1)
        .mount(&server)
        .await;
    let photo = png(45, 80);
    let out = ArkEnhancer::new(ark_settings(&server))
        .unwrap()
        .enhance(&request(photo.clone(), AspectRatio::Portrait))
        .await
        .expect("enhanced");
    assert_eq!((out.width, out.height, out.content_type), (90, 160, "image/jpeg"));
    assert_eq!(out.bytes.as_ref(), result.as_slice(), "a result at the right ratio passes through untouched");
    assert!(out.note.contains("Ark"), "{}", out.note);

    let reqs = server.received_requests().await.unwrap();
    assert_eq!(reqs.len(), 2);
    assert_json_request(&reqs[0], "POST", GENERATE, ARK_KEY);
    let b = json_body(&reqs[0]);
    let mut keys: Vec<&str> = b.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["guidance_scale", "image", "model", "prompt", "response_format", "seed", "size", "watermark"]);
    assert_eq!(b["model"], "seededit-test");
    assert_eq!(b["size"], "adaptive");
    assert_eq!(b["response_format"], "url");
    assert_eq!(b["watermark"], false);
    assert!(b["guidance_scale"].is_number() && b["seed"].is_i64());
    // Only the photo itself: exactly its bytes, as a data URI.
    let expected = format!("data:image/png;base64,{}", base64::engine::general_purpose::STANDARD.encode(&photo));
    assert_eq!(b["image"], expected);
    // The pre-signed result URL gets no credentials.
    assert_eq!(reqs[1].method.as_str(), "GET");
    assert!(header(&reqs[1], "authorization").is_none(), "the API key must not go to the result URL");
}

#[tokio::test]
async fn a_result_at_another_ratio_is_cut_to_the_jobs() {
    let server = MockServer::start().await;
    Mock::given(method("POST")).and(path(GENERATE)).respond_with(answer(&server, "wide.png")).mount(&server).await;
    Mock::given(method("GET"))
        .and(path("/results/wide.png"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(png(300, 100)))
        .mount(&server)
        .await;
    let out = ArkEnhancer::new(ark_settings(&server))
        .unwrap()
        .enhance(&request(png(30, 10), AspectRatio::Square))
        .await
        .unwrap();
    assert_eq!((out.width, out.height, out.content_type), (100, 100, "image/jpeg"));
    let decoded = image::load_from_memory(&out.bytes).expect("decodes");
    assert_eq!((decoded.width(), decoded.height()), (100, 100));
}

#[tokio::test]
async fn a_result_url_that_404s_is_transient() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(GENERATE))
        .respond_with(answer(&server, "gone.png"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/results/gone.png"))
        .respond_with(ResponseTemplate::new(404))
        .expect(1)
        .mount(&server)
        .await;
    let e = ArkEnhancer::new(ark_settings(&server))
        .unwrap()
        .enhance(&request(png(20, 20), AspectRatio::Square))
        .await
        .unwrap_err();
    assert_error(&e, ErrorClass::Transient, "result_missing");
}

#[tokio::test]
async fn a_result_that_is_not_an_image_is_refused() {
    let server = MockServer::start().await;
    Mock::given(method("POST")).and(path(GENERATE)).respond_with(answer(&server, "x.png")).mount(&server).await;
    Mock::given(method("GET"))
        .and(path("/results/x.png"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(b"<html>oops</html>".to_vec()))
        .mount(&server)
        .await;
    let e = ArkEnhancer::new(ark_settings(&server))
        .unwrap()
        .enhance(&request(png(20, 20), AspectRatio::Square))
        .await
        .unwrap_err();
    assert_error(&e, ErrorClass::Transient, "invalid_image");
}

#[tokio::test]
async fn ark_errors_map_to_their_class() {
    for (status, code, class, ours, calls) in [
        (400, "InvalidParameter", ErrorClass::Permanent, "bad_request", 1),
        (400, "InputImageSensitiveContentDetected", ErrorClass::Permanent, "content_policy", 1),
        (401, "AuthenticationError", ErrorClass::Permanent, "unauthorized", 1),
        (402, "InsufficientBalance", ErrorClass::Permanent, "insufficient_balance", 1),
        (403, "AccountOverdueError", ErrorClass::Permanent, "insufficient_balance", 1),
        (404, "ModelNotOpen", ErrorClass::Permanent, "not_found", 1),
        (429, "QuotaExceeded", ErrorClass::Permanent, "quota_exceeded", 1),
        (429, "RateLimitExceeded", ErrorClass::Transient, "rate_limited", 3),
        (500, "InternalServiceError", ErrorClass::Transient, "unavailable", 3),
        (503, "ServiceUnavailable", ErrorClass::Transient, "unavailable", 3),
    ] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path(GENERATE))
            .respond_with(ark_error(status, code))
            .expect(calls)
            .mount(&server)
            .await;
        let e = ArkEnhancer::new(ark_settings(&server))
            .unwrap()
            .enhance(&request(png(20, 20), AspectRatio::Square))
            .await
            .unwrap_err();
        assert_error(&e, class, ours);
        server.verify().await;
    }
}

#[tokio::test]
async fn a_server_error_then_success() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(GENERATE))
        .respond_with(ark_error(500, "InternalServiceError"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(GENERATE))
        .respond_with(answer(&server, "ok.png"))
        .with_priority(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/results/ok.png"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(png(64, 64)))
        .mount(&server)
        .await;
    let out = ArkEnhancer::new(ark_settings(&server))
        .unwrap()
        .enhance(&request(png(20, 20), AspectRatio::Square))
        .await
        .unwrap();
    assert_eq!((out.width, out.height), (64, 64));
    let posts = server.received_requests().await.unwrap().iter().filter(|r| r.method.as_str() == "POST").count();
    assert_eq!(posts, 2);
}

#[tokio::test]
async fn a_photo_that_is_not_an_image_never_leaves() {
    let server = MockServer::start().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(500)).expect(0).mount(&server).await;
    let e = ArkEnhancer::new(ark_settings(&server))
        .unwrap()
        .enhance(&request(b"GIF89a....".to_vec(), AspectRatio::Square))
        .await
        .unwrap_err();
    assert_error(&e, ErrorClass::Permanent, "invalid_image");
}
