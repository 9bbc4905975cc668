//! `ArkVideoGenerator` against a mock of Ark's content generation tasks and of the clip URLs.

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use base64::Engine;
use bytes::Bytes;
use glimvid_providers::{ArkVideoGenerator, ErrorClass, PollPolicy, RenderRequest, VideoGenerator};
use serde_json::{Value, json};
use wiremock::{
    Mock, MockServer, Request, Respond, ResponseTemplate,
    matchers::{method, path, path_regex},
};

use crate::common::*;

const TASKS: &str = "/api/v3/contents/generations/tasks";

/// Answers each create with a new id: `cgt-test-0`, `cgt-test-1`, …
struct NewTask(AtomicUsize);

impl Respond for NewTask {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let n = self.0.fetch_add(1, Ordering::SeqCst);
        ResponseTemplate::new(200).set_body_json(json!({"id": format!("cgt-test-{n}")}))
    }
}

/// Answers a poll of task `cgt-…-N`: `running` the first time, then `status` (with the clip URL
/// of N when it is `succeeded`).
struct Poll {
    base: String,
    status: &'static str,
    seen: std::sync::Mutex<std::collections::HashSet<String>>,
}

impl Respond for Poll {
    fn respond(&self, r: &Request) -> ResponseTemplate {
        let id = r.url.path().rsplit('/').next().unwrap().to_owned();
        let first = self.seen.lock().unwrap().insert(id.clone());
        let n = id.rsplit('-').next().unwrap();
        let mut body = json!({"id": id, "model": "seedance-test", "status": if first { "running" } else { self.status },
            "created_at": 1_700_000_000, "updated_at": 1_700_000_030});
        if !first && self.status == "succeeded" {
            body["content"] = json!({"video_url": format!("{}/clips/{n}.mp4", self.base)});
            body["usage"] = json!({"completion_tokens": 100, "total_tokens": 100});
            body["duration"] = json!(5);
        }
        if !first && self.status == "failed" {
            body["error"] = json!({"code": "InternalServiceError", "message": "the model could not make this clip"});
        }
        ResponseTemplate::new(200).set_body_json(body)
    }
}

fn clip_bytes(n: usize) -> Vec<u8> {
    format!("\0\0\0\x18ftypmp42 clip {n}").into_bytes()
}

async fn mount_tasks(server: &MockServer, status: &'static str) {
    Mock::given(method("POST")).and(path(TASKS)).respond_with(NewTask(AtomicUsize::new(0))).mount(server).await;
    Mock::given(method("GET"))
        .and(path_regex(r"^/api/v3/contents/generations/tasks/cgt-[a-z]+-\d+$"))
        .respond_with(Poll { base: server.uri(), status, seen: Default::default() })
        .mount(server)
        .await;
    for n in 0..6 {
        Mock::given(method("GET"))
            .and(path(format!("/clips/{n}.mp4")))
            .respond_with(ResponseTemplate::new(200).set_body_bytes(clip_bytes(n)))
            .mount(server)
            .await;
    }
}

fn generator(server: &MockServer, joiner: Arc<TestJoiner>) -> ArkVideoGenerator {
    ArkVideoGenerator::new(ark_settings(server), joiner).unwrap().with_poll(PollPolicy {
        first: Duration::from_millis(5),
        max: Duration::from_millis(20),
        timeout: Duration::from_secs(10),
    })
}

struct Job {
    _dir: tempfile::TempDir,
    req: RenderRequest,
    images: Vec<Vec<u8>>,
}

fn job(observer: Arc<TestObserver>, scenes: &[u32], duration_s: u32) -> Job {
    let dir = tempfile::tempdir().unwrap();
    let images = vec![png(9, 16), jpeg(18, 32)];
    let req = RenderRequest {
        script: script(scenes),
        images: images.iter().cloned().map(Bytes::from).collect(),
        options: options(duration_s),
        output: dir.path().join("video.mp4"),
        observer,
        voice_over: None,
    };
    Job { _dir: dir, req, images }
}

fn requests_to<'a>(reqs: &'a [Request], m: &str, prefix: &str) -> Vec<&'a Request> {
    reqs.iter().filter(|r| r.method.as_str() == m && r.url.path().starts_with(prefix)).collect()
}

#[tokio::test]
async fn one_task_per_scene_recorded_before_polling_then_joined() {
    let server = Arc::new(MockServer::start().await);
    mount_tasks(&server, "succeeded").await;
    let observer = TestObserver::new(server.clone(), &[]);
    let joiner = TestJoiner::new((0..3).map(clip_bytes).collect());
    let Job { _dir, req, images } = job(observer.clone(), &[0, 1, 0], 15);
    let output = req.output.clone();
    let out = generator(&server, joiner.clone()).render(req).await.expect("render");
    assert_eq!(out.encoder, "test");
    assert_eq!(std::fs::read(&output).unwrap(), b"joined video");
    assert_eq!(joiner.calls.lock().unwrap().len(), 1);

    let reqs = server.received_requests().await.unwrap();
    let creates = requests_to(&reqs, "POST", TASKS);
    assert_eq!(creates.len(), 3);
    for (i, r) in creates.iter().enumerate() {
        assert_json_request(r, "POST", TASKS, ARK_KEY);
        let b = json_body(r);
        let mut keys: Vec<&str> = b.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "camera_fixed",
                "content",
                "duration",
                "generate_audio",
                "model",
                "ratio",
                "resolution",
                "seed",
                "watermark"
            ]
        );
        assert_eq!(b["ratio"], "9:16");
        assert_eq!(b["duration"], 5);
        assert_eq!(b["resolution"], "1080p");
        assert_eq!(b["camera_fixed"], false);
        assert_eq!(b["watermark"], false);
        assert_eq!(b["generate_audio"], false, "the narration is ours: no audio from the model");
        assert!(b["seed"].as_u64().is_some_and(|s| s <= u64::from(u32::MAX)), "{}", b["seed"]);
        assert_eq!(b["model"], "seedance-test");
        let content = b["content"].as_array().unwrap();
        assert_eq!(content.len(), 2);
        assert_eq!(content[0]["type"], "text");
        let text = content[0]["text"].as_str().unwrap();
        assert!(text.contains(&format!("Caption {i}")), "{text}");
        assert!(!text.contains("--"), "no parameters in the prompt: {text}");
        assert_eq!(content[1]["type"], "image_url");
        assert_eq!(content[1]["role"], "first_frame");
        let photo = &images[[0, 1, 0][i]];
        let mime = if i == 1 { "image/jpeg" } else { "image/png" };
        let want = format!("data:{mime};base64,{}", base64::engine::general_purpose::STANDARD.encode(photo));
        assert_eq!(content[1]["image_url"]["url"], want, "scene {i} starts from its own photo");
    }
    let polls = requests_to(&reqs, "GET", TASKS);
    assert!(polls.len() >= 6, "each task polled until it ends: {}", polls.len());
    for r in &polls {
        assert_json_request(r, "GET", r.url.path(), ARK_KEY);
    }
    for r in requests_to(&reqs, "GET", "/clips/") {
        assert!(header(r, "authorization").is_none(), "no key to the clip URL");
    }
    // Every id recorded, cumulatively, before the first poll.
    let records = observer.records.lock().unwrap().clone();
    assert_eq!(
        records,
        vec![
            (vec!["cgt-test-0".to_string()], 0),
            (vec!["cgt-test-0".to_string(), "cgt-test-1".to_string()], 0),
            (vec!["cgt-test-0".to_string(), "cgt-test-1".to_string(), "cgt-test-2".to_string()], 0),
        ]
    );
    let notes = observer.notes.lock().unwrap().join("\n");
    assert!(notes.contains("Ark usage: 3 clip(s), 15 s of video, 300 tokens"), "{notes}");
}

#[tokio::test]
async fn long_scenes_get_ten_second_clips() {
    let server = Arc::new(MockServer::start().await);
    mount_tasks(&server, "succeeded").await;
    let observer = TestObserver::new(server.clone(), &[]);
    let Job { _dir, req, .. } = job(observer, &[0, 1, 1], 30);
    generator(&server, TestJoiner::new((0..3).map(clip_bytes).collect())).render(req).await.expect("render");
    let reqs = server.received_requests().await.unwrap();
    for r in requests_to(&reqs, "POST", TASKS) {
        assert_eq!(json_body(r)["duration"], 10);
    }
}

#[tokio::test]
async fn a_redelivered_render_resumes_the_recorded_tasks_without_creating_any() {
    let server = Arc::new(MockServer::start().await);
    Mock::given(method("POST"))
        .and(path(TASKS))
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&server)
        .await;
    mount_tasks(&server, "succeeded").await;
    let observer = TestObserver::new(server.clone(), &["cgt-old-0", "cgt-old-1", "cgt-old-2"]);
    let joiner = TestJoiner::new((0..3).map(clip_bytes).collect());
    let Job { _dir, req, .. } = job(observer.clone(), &[0, 1, 0], 15);
    generator(&server, joiner.clone()).render(req).await.expect("resumed render");
    let reqs = server.received_requests().await.unwrap();
    assert_eq!(requests_to(&reqs, "POST", TASKS).len(), 0, "a resumed render must not pay for new tasks");
    let polled: std::collections::HashSet<&str> =
        requests_to(&reqs, "GET", TASKS).iter().map(|r| r.url.path().rsplit('/').next().unwrap()).collect();
    assert_eq!(polled, ["cgt-old-0", "cgt-old-1", "cgt-old-2"].into_iter().collect());
    assert!(observer.records.lock().unwrap().is_empty(), "nothing new to record");
    assert_eq!(joiner.calls.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn a_partly_recorded_render_creates_only_the_missing_tasks() {
    let server = Arc::new(MockServer::start().await);
    mount_tasks(&server, "succeeded").await;
    let observer = TestObserver::new(server.clone(), &["cgt-old-0"]);
    let Job { _dir, req, .. } = job(observer.clone(), &[0, 1, 0], 15);
    generator(&server, TestJoiner::new(vec![clip_bytes(0), clip_bytes(0), clip_bytes(1)])).render(req).await.unwrap();
    let reqs = server.received_requests().await.unwrap();
    assert_eq!(requests_to(&reqs, "POST", TASKS).len(), 2);
    let last = observer.records.lock().unwrap().last().cloned().unwrap();
    assert_eq!(last.0, ["cgt-old-0", "cgt-test-0", "cgt-test-1"]);
}

#[tokio::test]
async fn a_failed_task_fails_the_render_permanently() {
    let server = Arc::new(MockServer::start().await);
    mount_tasks(&server, "failed").await;
    let joiner = TestJoiner::new(vec![]);
    let Job { _dir, req, .. } = job(TestObserver::new(server.clone(), &[]), &[0, 1, 0], 15);
    let e = generator(&server, joiner.clone()).render(req).await.unwrap_err();
    assert_error(&e, ErrorClass::Permanent, "task_failed");
    assert!(e.message.contains("InternalServiceError"), "{e}");
    assert!(joiner.calls.lock().unwrap().is_empty());
}

#[tokio::test]
async fn an_expired_task_fails_the_render() {
    let server = Arc::new(MockServer::start().await);
    mount_tasks(&server, "expired").await;
    let Job { _dir, req, .. } = job(TestObserver::new(server.clone(), &[]), &[0, 1, 0], 15);
    let e = generator(&server, TestJoiner::new(vec![])).render(req).await.unwrap_err();
    assert_error(&e, ErrorClass::Permanent, "task_expired");
}

#[tokio::test]
async fn a_clip_url_that_404s_fails_the_render() {
    let server = Arc::new(MockServer::start().await);
    Mock::given(method("GET"))
        .and(path("/clips/1.mp4"))
        .respond_with(ResponseTemplate::new(404))
        .with_priority(1)
        .mount(&server)
        .await;
    mount_tasks(&server, "succeeded").await;
    let Job { _dir, req, .. } = job(TestObserver::new(server.clone(), &[]), &[0, 1, 0], 15);
    let e = generator(&server, TestJoiner::new(vec![])).render(req).await.unwrap_err();
    assert_error(&e, ErrorClass::Permanent, "result_missing");
}

#[tokio::test]
async fn a_task_still_running_at_the_poll_timeout_is_transient_and_keeps_its_id() {
    let server = Arc::new(MockServer::start().await);
    mount_tasks(&server, "running").await;
    let observer = TestObserver::new(server.clone(), &[]);
    let Job { _dir, req, .. } = job(observer.clone(), &[0, 1, 0], 15);
    let g = ArkVideoGenerator::new(ark_settings(&server), TestJoiner::new(vec![])).unwrap().with_poll(PollPolicy {
        first: Duration::from_millis(5),
        max: Duration::from_millis(20),
        timeout: Duration::from_millis(300),
    });
    let e = g.render(req).await.unwrap_err();
    assert_error(&e, ErrorClass::Transient, "timeout");
    assert_eq!(observer.records.lock().unwrap().last().unwrap().0.len(), 3, "the ids stay recorded for the retry");
}

#[tokio::test]
async fn create_errors_map_to_their_class() {
    for (status, code, class, ours, calls) in [
        (400, "InvalidParameter", ErrorClass::Permanent, "bad_request", 1),
        (400, "InputImageSensitiveContentDetected", ErrorClass::Permanent, "content_policy", 1),
        (401, "AuthenticationError", ErrorClass::Permanent, "unauthorized", 1),
        (403, "AccountOverdueError", ErrorClass::Permanent, "insufficient_balance", 1),
        (404, "ModelNotOpen", ErrorClass::Permanent, "not_found", 1),
        (429, "QuotaExceeded", ErrorClass::Permanent, "quota_exceeded", 1),
        (429, "ServerOverloaded", ErrorClass::Transient, "rate_limited", 3),
        (500, "InternalServiceError", ErrorClass::Transient, "unavailable", 3),
    ] {
        let server = Arc::new(MockServer::start().await);
        Mock::given(method("POST"))
            .and(path(TASKS))
            .respond_with(
                ResponseTemplate::new(status)
                    .set_body_json(json!({"error": {"code": code, "message": "no", "param": "", "type": "x"}})),
            )
            .expect(calls)
            .mount(&server)
            .await;
        let observer = TestObserver::new(server.clone(), &[]);
        let Job { _dir, req, .. } = job(observer.clone(), &[0, 1, 0], 15);
        let e = generator(&server, TestJoiner::new(vec![])).render(req).await.unwrap_err();
        assert_error(&e, class, ours);
        assert!(observer.records.lock().unwrap().is_empty(), "nothing to record when nothing was created");
        server.verify().await;
    }
}

#[tokio::test]
async fn a_rate_limited_create_waits_for_retry_after() {
    let server = Arc::new(MockServer::start().await);
    Mock::given(method("POST"))
        .and(path(TASKS))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "1")
                .set_body_json(json!({"error": {"code": "RateLimitExceeded", "message": "slow down"}})),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    mount_tasks(&server, "succeeded").await;
    let Job { _dir, req, .. } = job(TestObserver::new(server.clone(), &[]), &[0, 1, 0], 15);
    let started = std::time::Instant::now();
    generator(&server, TestJoiner::new((0..3).map(clip_bytes).collect())).render(req).await.expect("render");
    assert!(started.elapsed() >= Duration::from_secs(1), "Retry-After honoured");
    let reqs = server.received_requests().await.unwrap();
    assert_eq!(requests_to(&reqs, "POST", TASKS).len(), 4, "one refused, then three tasks");
}

#[tokio::test]
async fn a_poll_that_hits_a_server_error_is_retried() {
    let server = Arc::new(MockServer::start().await);
    Mock::given(method("GET"))
        .and(path_regex(r"/tasks/cgt-test-0$"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    mount_tasks(&server, "succeeded").await;
    let Job { _dir, req, .. } = job(TestObserver::new(server.clone(), &[]), &[0, 1, 0], 15);
    generator(&server, TestJoiner::new((0..3).map(clip_bytes).collect())).render(req).await.expect("render");
}

/// Only the scene text (written from the description) and the job's photos go to Ark.
#[tokio::test]
async fn nothing_but_the_scenes_and_photos_reaches_ark() {
    let server = Arc::new(MockServer::start().await);
    mount_tasks(&server, "succeeded").await;
    let Job { _dir, req, images } = job(TestObserver::new(server.clone(), &[]), &[0, 1, 0], 15);
    let script = req.script.clone();
    generator(&server, TestJoiner::new((0..3).map(clip_bytes).collect())).render(req).await.unwrap();
    let reqs = server.received_requests().await.unwrap();
    for r in requests_to(&reqs, "POST", TASKS) {
        let b: Value = json_body(r);
        let text = b["content"][0]["text"].as_str().unwrap();
        assert!(script.scenes.iter().any(|s| text.contains(&s.caption)));
        let url = b["content"][1]["image_url"]["url"].as_str().unwrap();
        let raw = base64::engine::general_purpose::STANDARD.decode(url.split_once(',').unwrap().1).unwrap();
        assert!(images.contains(&raw), "the first frame is one of the job's photos, byte for byte");
        let headers: Vec<&str> = r.headers.keys().map(|k| k.as_str()).collect();
        for h in &headers {
            assert!(
                ["authorization", "content-type", "accept", "content-length", "host", "user-agent", "accept-encoding"]
                    .contains(h),
                "unexpected header {h}"
            );
        }
    }
}
