//! The whole pipeline on the network providers: `glimvid up` configured (environment only) with
//! DeepSeek and Ark base URLs pointing at a local mock server that follows their documented
//! formats. A job submitted over REST must go through all three providers, pay for exactly one
//! Ark task per scene, and send them nothing about the user.

use std::{
    path::Path,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::Duration,
};

use glimvid_media::{
    encode::{BundledH264, EncodeSpec, Encoder, FrameSource},
    yuv::Yuv420,
};
use serde_json::{Value, json};
use wiremock::{
    Mock, MockServer, Request, Respond, ResponseTemplate,
    matchers::{method, path, path_regex},
};

use crate::helpers::*;

const DEEPSEEK_KEY: &str = "sk-e2e-deepseek-key";
const ARK_KEY: &str = "ark-e2e-key";
const TASKS: &str = "/api/v3/contents/generations/tasks";

/// A moving grey ramp: enough for a real, decodable H.264 clip.
struct Ramp(u32);

impl FrameSource for Ramp {
    fn frame_count(&self) -> u32 {
        self.0
    }
    fn render(&self, index: u32, out: &mut Yuv420) {
        let w = out.width() as usize;
        let (y, u, v) = out.planes_mut();
        for (i, p) in y.iter_mut().enumerate() {
            *p = ((i % w) as u32 * 2 + index * 4) as u8;
        }
        u.fill(128);
        v.fill(128);
    }
}

/// A short real MP4, as Ark's clips are.
fn clip(dir: &Path) -> Vec<u8> {
    let path = dir.join("clip.mp4");
    let spec = EncodeSpec { width: 320, height: 240, fps: 30, bitrate: 500_000 };
    BundledH264::new().encode(&spec, &Ramp(60), &path).expect("encode a test clip");
    std::fs::read(path).expect("read the test clip")
}

struct NewTask(AtomicUsize);

impl Respond for NewTask {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let n = self.0.fetch_add(1, Ordering::SeqCst);
        ResponseTemplate::new(200).set_body_json(json!({"id": format!("cgt-e2e-{n}")}))
    }
}

/// `running` on the first poll of a task (and on every poll until `release` is set), then
/// `succeeded` with its clip URL.
struct Poll {
    base: String,
    seen: Mutex<std::collections::HashSet<String>>,
    release: Arc<AtomicBool>,
}

impl Respond for Poll {
    fn respond(&self, r: &Request) -> ResponseTemplate {
        let id = r.url.path().rsplit('/').next().unwrap_or_default().to_owned();
        if self.seen.lock().unwrap().insert(id.clone()) || !self.release.load(Ordering::SeqCst) {
            return ResponseTemplate::new(200).set_body_json(json!({"id": id, "status": "running"}));
        }
        ResponseTemplate::new(200).set_body_json(json!({
            "id": id, "model": "seedance-e2e", "status": "succeeded",
            "content": {"video_url": format!("{}/clips/{id}.mp4", self.base)},
            "usage": {"completion_tokens": 1000, "total_tokens": 1000}, "duration": 5
        }))
    }
}

fn script() -> Value {
    json!({
        "title": "Ceramic espresso cup",
        "hook": "Your morning ritual deserves better.",
        "scenes": [
            {"caption": "Shaped by hand", "voiceover": "Each cup is thrown by hand.", "photo_index": 0},
            {"caption": "90 ml, just right", "voiceover": "Made for a double espresso.", "photo_index": 0},
            {"caption": "Dishwasher safe", "voiceover": "Easy to live with.", "photo_index": 0}
        ],
        "call_to_action": "Order yours today"
    })
}

async fn mock_providers(dir: &Path, release: Arc<AtomicBool>) -> Arc<MockServer> {
    let server = Arc::new(MockServer::start().await);
    Mock::given(method("POST"))
        .and(path("/chat/completions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "chatcmpl-e2e", "object": "chat.completion", "model": "deepseek-chat",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": script().to_string()}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 400, "completion_tokens": 200, "total_tokens": 600}
        })))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v3/images/generations"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "model": "seededit", "created": 1_700_000_000,
            "data": [{"url": format!("{}/results/enhanced.png", server.uri())}],
            "usage": {"generated_images": 1}
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/results/enhanced.png"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(generated_png(270, 480).bytes))
        .mount(&server)
        .await;
    Mock::given(method("POST")).and(path(TASKS)).respond_with(NewTask(AtomicUsize::new(0))).mount(&server).await;
    Mock::given(method("GET"))
        .and(path_regex(r"^/api/v3/contents/generations/tasks/cgt-e2e-\d+$"))
        .respond_with(Poll { base: server.uri(), seen: Mutex::default(), release })
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path_regex(r"^/clips/cgt-e2e-\d+\.mp4$"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(clip(dir)))
        .mount(&server)
        .await;
    server
}

fn count(reqs: &[Request], m: &str, prefix: &str) -> usize {
    reqs.iter().filter(|r| r.method.as_str() == m && r.url.path().starts_with(prefix)).count()
}

/// `glimvid up` with both providers pointed at `server` (configuration only).
async fn spawn_on_mocks(server: &MockServer) -> TestApp {
    let ark_base = format!("{}/api/v3", server.uri());
    spawn_app_with(&[
        ("GLIMVID_DEEPSEEK_API_KEY", DEEPSEEK_KEY),
        ("GLIMVID_DEEPSEEK_BASE_URL", &server.uri()),
        ("GLIMVID_ARK_API_KEY", ARK_KEY),
        ("GLIMVID_ARK_BASE_URL", &ark_base),
    ])
    .await
}

#[tokio::test]
async fn a_job_runs_through_deepseek_and_ark() {
    let dir = tempfile::tempdir().unwrap();
    let server = mock_providers(dir.path(), Arc::new(AtomicBool::new(true))).await;
    let app = spawn_on_mocks(&server).await;
    let user = app.register_user().await;
    let description = "Handmade ceramic espresso cup, 90 ml, dishwasher safe";
    let job = app
        .submit(
            &user.access_token,
            &[generated_png(300, 400)],
            description,
            &json!({"aspect_ratio": "9:16", "duration_s": 15, "language": "en"}),
        )
        .await;
    let id = job["id"].as_str().unwrap().to_owned();
    let job = app.wait_for(&user.access_token, &id, Duration::from_secs(180)).await;

    assert_eq!(stage(&job, "script")["status"], "succeeded", "{job:#}");
    assert_eq!(job["script"]["title"], "Ceramic espresso cup", "the script is DeepSeek's: {job:#}");
    assert_eq!(stage(&job, "enhance")["status"], "succeeded", "{job:#}");
    assert_eq!(job["status"], "succeeded", "{job:#}");
    let (_, info) = fetch_and_probe(&app, &job).await;
    assert_video(&info, 1080, 1920, 15_000);
    // Ark's clips are joined with the narrator's voice and its subtitles, as a local render.
    let audio = info.audio.as_ref().unwrap_or_else(|| panic!("the joined video is silent: {info:?}"));
    assert_eq!((audio.codec.as_str(), audio.object_type, audio.sample_rate), ("mp4a", 2, 48_000));
    assert_eq!(job["subtitles"].as_array().map(Vec::len), Some(2), "{job:#}");
    assert!(stage(&job, "render")["note"].is_string(), "{job:#}");

    let reqs = server.received_requests().await.unwrap();
    assert_eq!(count(&reqs, "POST", "/chat/completions"), 1);
    assert_eq!(count(&reqs, "POST", "/api/v3/images/generations"), 1);
    assert_eq!(count(&reqs, "POST", TASKS), 3, "exactly one paid task per scene");
    assert!(count(&reqs, "GET", TASKS) >= 6, "each task polled until it succeeded");
    assert_eq!(count(&reqs, "GET", "/clips/"), 3);

    // Nothing about the user reaches a provider: no email, no account or job id, no IP.
    for r in &reqs {
        let body = String::from_utf8_lossy(&r.body);
        let headers = format!("{:?}", r.headers);
        for secret in [user.email.as_str(), user.id.as_str(), id.as_str()] {
            assert!(!body.contains(secret) && !headers.contains(secret), "{secret} sent to {}", r.url);
        }
        assert!(!body.contains("127.0.0.1"), "an IP address in the body sent to {}", r.url);
        assert!(r.headers.get("x-forwarded-for").is_none() && r.headers.get("forwarded").is_none());
        let key = match r.url.path() {
            "/chat/completions" => Some(DEEPSEEK_KEY),
            p if p.starts_with("/api/v3/") => Some(ARK_KEY),
            _ => None,
        };
        let auth = r.headers.get("authorization").and_then(|v| v.to_str().ok());
        assert_eq!(auth, key.map(|k| format!("Bearer {k}")).as_deref(), "credentials of {}", r.url);
    }
    let chat: Value =
        serde_json::from_slice(&reqs.iter().find(|r| r.url.path() == "/chat/completions").unwrap().body).unwrap();
    assert!(chat["messages"][1]["content"].as_str().unwrap().contains(description));
}

/// A render redelivered mid-poll (the process killed while Ark is still working) resumes the
/// recorded tasks: Ark is asked to create exactly one task per scene in all.
#[tokio::test]
async fn a_render_killed_mid_poll_resumes_the_same_ark_tasks() {
    let dir = tempfile::tempdir().unwrap();
    let release = Arc::new(AtomicBool::new(false));
    let server = mock_providers(dir.path(), release.clone()).await;
    let mut app = spawn_on_mocks(&server).await;
    let user = app.register_user().await;
    let t = user.access_token.clone();
    let job = app.submit(&t, &[generated_png(300, 400)], "Espresso cup", &json!({"duration_s": 15})).await;
    let id = job["id"].as_str().unwrap().to_owned();

    // Wait until all three tasks exist and are being polled (so their ids were recorded).
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    loop {
        let reqs = server.received_requests().await.unwrap();
        if count(&reqs, "POST", TASKS) == 3 && count(&reqs, "GET", TASKS) >= 3 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the render never started polling Ark");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    app.kill_and_restart().await;
    release.store(true, Ordering::SeqCst);

    let job = app.wait_for(&t, &id, Duration::from_secs(240)).await;
    assert_eq!(job["status"], "succeeded", "{job:#}");
    let reqs = server.received_requests().await.unwrap();
    assert_eq!(count(&reqs, "POST", TASKS), 3, "the redelivered render paid for new tasks");
    assert!(stage(&job, "render")["attempts"].as_i64().unwrap_or(0) >= 2, "{job:#}");
    let events = app.events(&t, &id, Duration::from_secs(30)).await;
    assert!(events.iter().any(|e| e.to_string().contains("resuming 3 Ark task(s)")), "no resume note: {events:#?}");
}
