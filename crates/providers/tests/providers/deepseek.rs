//! `DeepSeekWriter` against a mock of `POST /chat/completions`.

use std::time::{Duration, Instant};

use glimvid_domain::{Language, Script};
use glimvid_providers::{ApiKey, DeepSeekSettings, DeepSeekWriter, ErrorClass, ScriptRequest, ScriptWriter};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wiremock::{
    Mock, MockServer, Request, ResponseTemplate,
    matchers::{method, path},
};

use crate::common::*;

fn writer(base: &str) -> DeepSeekWriter {
    let mut s = DeepSeekSettings::new(base, ApiKey::new(DEEPSEEK_KEY), "deepseek-test-model");
    s.retry = fast_retry();
    s.request_timeout = Duration::from_secs(5);
    s.deadline = Duration::from_secs(10);
    DeepSeekWriter::new(s).expect("writer")
}

fn request(photo_count: usize) -> ScriptRequest {
    let mut options = options(15);
    options.language = Language::Fr;
    ScriptRequest { description: description(), options, photo_count }
}

fn good_script() -> Value {
    serde_json::to_value(script(&[0, 1, 0])).unwrap()
}

/// A chat completion whose message content is `content`.
fn completion(content: &str, finish_reason: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": "deepseek-test-model",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": finish_reason}],
        "usage": {"prompt_tokens": 321, "completion_tokens": 123, "total_tokens": 444}
    }))
}

fn error_body(status: u16, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .set_body_json(json!({"error": {"message": message, "type": "invalid_request_error", "code": null}}))
}

/// Every request: the documented endpoint, headers and body, and nothing about the user.
fn assert_requests(reqs: &[Request]) {
    assert!(!reqs.is_empty());
    for r in reqs {
        assert_json_request(r, "POST", "/chat/completions", DEEPSEEK_KEY);
        let b = json_body(r);
        let keys: Vec<&str> = b.as_object().unwrap().keys().map(String::as_str).collect();
        let mut sorted = keys.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, ["max_tokens", "messages", "model", "response_format", "stream", "temperature"]);
        assert_eq!(b["model"], "deepseek-test-model");
        assert_eq!(b["response_format"], json!({"type": "json_object"}));
        assert!(b["temperature"].is_number() && b["max_tokens"].as_u64().is_some_and(|n| n > 0));
        let messages = b["messages"].as_array().unwrap();
        assert_eq!(messages[0]["role"], "system");
        assert_eq!(messages[1]["role"], "user");
        let system = messages[0]["content"].as_str().unwrap();
        assert!(system.contains("json"), "the prompt must say json");
        assert!(system.contains("\"call_to_action\"") && system.contains("\"photo_index\""), "an example document");
        assert!(system.contains("French"));
        let user = messages[1]["content"].as_str().unwrap();
        assert!(user.contains(description().as_str()));
        assert!(user.contains("Photos: 2") && user.contains("15 seconds") && user.contains("9:16"));
    }
}

#[tokio::test]
async fn writes_a_valid_script_from_a_json_answer() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/chat/completions"))
        .respond_with(completion(&good_script().to_string(), "stop"))
        .expect(1)
        .mount(&server)
        .await;
    let script = writer(&server.uri()).write(&request(2)).await.expect("script");
    assert_eq!(script, serde_json::from_value::<Script>(good_script()).unwrap());
    assert_requests(&server.received_requests().await.unwrap());
}

#[tokio::test]
async fn blank_content_and_insufficient_resources_are_retried() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(completion("  \n ", "stop"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(completion("", "insufficient_system_resource"))
        .up_to_n_times(1)
        .with_priority(2)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(completion(&good_script().to_string(), "stop"))
        .with_priority(3)
        .mount(&server)
        .await;
    writer(&server.uri()).write(&request(2)).await.expect("script after two transient answers");
    let reqs = server.received_requests().await.unwrap();
    assert_eq!(reqs.len(), 3);
    assert_requests(&reqs);
}

#[tokio::test]
async fn blank_content_every_time_is_a_transient_failure() {
    let server = MockServer::start().await;
    Mock::given(method("POST")).respond_with(completion("", "stop")).expect(3).mount(&server).await;
    let e = writer(&server.uri()).write(&request(2)).await.unwrap_err();
    assert_error(&e, ErrorClass::Transient, "blank_answer");
}

#[tokio::test]
async fn an_invalid_script_is_repaired_once_with_the_validation_error() {
    let server = MockServer::start().await;
    // Valid JSON, but photo_index 5 does not exist for 2 photos.
    let mut bad = good_script();
    bad["scenes"][1]["photo_index"] = json!(5);
    Mock::given(method("POST"))
        .respond_with(completion(&bad.to_string(), "stop"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(completion(&good_script().to_string(), "stop"))
        .with_priority(2)
        .mount(&server)
        .await;
    let script = writer(&server.uri()).write(&request(2)).await.expect("repaired script");
    assert_eq!(script.scenes[1].photo_index, 1);
    let reqs = server.received_requests().await.unwrap();
    assert_eq!(reqs.len(), 2);
    assert_requests(&reqs);
    let repair = json_body(&reqs[1]);
    let messages = repair["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 4);
    assert_eq!(messages[2]["role"], "assistant");
    assert_eq!(messages[2]["content"], bad.to_string());
    assert_eq!(messages[3]["role"], "user");
    assert!(messages[3]["content"].as_str().unwrap().contains("photo_index 5 is out of range"), "{messages:?}");
}

#[tokio::test]
async fn not_json_then_repaired() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(completion("Sure! Here is your script: {title: ...", "stop"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(completion(&good_script().to_string(), "stop"))
        .with_priority(2)
        .mount(&server)
        .await;
    writer(&server.uri()).write(&request(2)).await.expect("repaired script");
    let reqs = server.received_requests().await.unwrap();
    assert_eq!(reqs.len(), 2);
    let repair = json_body(&reqs[1]);
    assert!(repair["messages"][3]["content"].as_str().unwrap().contains("does not parse"));
}

#[tokio::test]
async fn an_unusable_script_twice_is_permanent() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(completion("{\"title\": \"only a title\"}", "stop"))
        .expect(2)
        .mount(&server)
        .await;
    let e = writer(&server.uri()).write(&request(2)).await.unwrap_err();
    assert_error(&e, ErrorClass::Permanent, "invalid_script");
}

#[tokio::test]
async fn permanent_statuses_fail_at_once() {
    for (status, code, message) in [
        (400, "bad_request", "Invalid request: messages must not be empty"),
        (401, "unauthorized", "Authentication Fails, Your api key: sk-deepseek-test-0123456789 is invalid"),
        (402, "insufficient_balance", "Insufficient Balance"),
        (422, "bad_request", "Invalid Parameters"),
    ] {
        let server = MockServer::start().await;
        Mock::given(method("POST")).respond_with(error_body(status, message)).expect(1).mount(&server).await;
        let e = writer(&server.uri()).write(&request(2)).await.unwrap_err();
        assert_error(&e, ErrorClass::Permanent, code);
        assert!(e.message.contains(&status.to_string()), "{e}");
        server.verify().await;
    }
}

#[tokio::test]
async fn rate_limits_wait_for_retry_after() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(error_body(429, "Rate Limit Reached").insert_header("retry-after", "1"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(completion(&good_script().to_string(), "stop"))
        .with_priority(2)
        .mount(&server)
        .await;
    let started = Instant::now();
    writer(&server.uri()).write(&request(2)).await.expect("script after the rate limit");
    let waited = started.elapsed();
    // The backoff alone would be 10–20 ms: the second try waited for Retry-After.
    assert!(waited >= Duration::from_secs(1), "retried after {waited:?}, before Retry-After");
    let reqs = server.received_requests().await.unwrap();
    assert_eq!(reqs.len(), 2);
    assert_requests(&reqs);
}

#[tokio::test]
async fn server_errors_are_retried_then_reported_as_transient() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(error_body(500, "Server Error"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(completion(&good_script().to_string(), "stop"))
        .with_priority(2)
        .mount(&server)
        .await;
    writer(&server.uri()).write(&request(2)).await.expect("script after a 500");
    assert_eq!(server.received_requests().await.unwrap().len(), 2);

    let busy = MockServer::start().await;
    Mock::given(method("POST")).respond_with(error_body(503, "Server Overloaded")).expect(3).mount(&busy).await;
    let e = writer(&busy.uri()).write(&request(2)).await.unwrap_err();
    assert_error(&e, ErrorClass::Transient, "unavailable");
}

/// A server that answers 200 with a chunked body and then sends a blank line every 50 ms,
/// forever (as DeepSeek does while busy). Returns its base URL.
async fn blank_line_server() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 65536];
                let _ = sock.read(&mut buf).await;
                let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n";
                if sock.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                loop {
                    if sock.write_all(b"1\r\n\n\r\n").await.is_err() {
                        return;
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            });
        }
    });
    format!("http://{addr}")
}

#[tokio::test]
async fn a_connection_kept_alive_with_blank_lines_hits_the_deadline() {
    let base = blank_line_server().await;
    let mut s = DeepSeekSettings::new(base, ApiKey::new(DEEPSEEK_KEY), "deepseek-test-model");
    s.retry = fast_retry();
    // The per-request timeout is long; the writer's own deadline must end the call.
    s.request_timeout = Duration::from_secs(60);
    s.deadline = Duration::from_millis(700);
    let started = Instant::now();
    let e = DeepSeekWriter::new(s).unwrap().write(&request(2)).await.unwrap_err();
    let took = started.elapsed();
    assert_error(&e, ErrorClass::Transient, "timeout");
    assert!(took >= Duration::from_millis(650) && took < Duration::from_secs(3), "took {took:?}");
}

#[tokio::test]
async fn a_hanging_request_times_out_and_is_retried() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(completion(&good_script().to_string(), "stop").set_delay(Duration::from_secs(30)))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(completion(&good_script().to_string(), "stop"))
        .with_priority(2)
        .mount(&server)
        .await;
    let mut s = DeepSeekSettings::new(server.uri(), ApiKey::new(DEEPSEEK_KEY), "deepseek-test-model");
    s.retry = fast_retry();
    s.request_timeout = Duration::from_millis(300);
    s.deadline = Duration::from_secs(5);
    let started = Instant::now();
    DeepSeekWriter::new(s).unwrap().write(&request(2)).await.expect("script on the second try");
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn the_key_never_shows_in_debug() {
    let w = writer("http://127.0.0.1:1");
    assert!(!format!("{w:?}").contains(DEEPSEEK_KEY));
}
