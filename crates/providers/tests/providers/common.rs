//! Fixtures shared by the adapter tests: tiny real images, fast retry settings, a recording
//! observer and a test joiner.

use std::{
    io::Cursor,
    path::PathBuf,
    sync::{Arc, Mutex},
    time::Duration,
};

use async_trait::async_trait;
use glimvid_domain::{Description, Scene, Script, VideoOptions};
use glimvid_providers::{
    ApiKey, ArkSettings, ClipJoiner, ErrorClass, JoinRequest, ProviderError, RenderObserver, RenderOutput, RetryPolicy,
};
use serde_json::Value;
use wiremock::{MockServer, Request};

pub const DEEPSEEK_KEY: &str = "sk-deepseek-test-0123456789";
pub const ARK_KEY: &str = "ark-test-key-9876543210";

/// Retries that keep the tests fast: three tries, 10–40 ms apart.
pub fn fast_retry() -> RetryPolicy {
    RetryPolicy { max_attempts: 3, base: Duration::from_millis(10), cap: Duration::from_millis(40) }
}

pub fn ark_settings(server: &MockServer) -> ArkSettings {
    let mut s =
        ArkSettings::new(format!("{}/api/v3", server.uri()), ApiKey::new(ARK_KEY), "seededit-test", "seedance-test");
    s.retry = fast_retry();
    s.request_timeout = Duration::from_secs(5);
    s.download_timeout = Duration::from_secs(5);
    s.image_deadline = Duration::from_secs(10);
    s
}

pub fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([(x * 7) as u8, (y * 3) as u8, 120]));
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).expect("encode PNG");
    out.into_inner()
}

pub fn jpeg(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([200, (x * 5) as u8, (y * 5) as u8]));
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg).expect("encode JPEG");
    out.into_inner()
}

pub fn options(duration_s: u32) -> VideoOptions {
    VideoOptions { duration_s, ..VideoOptions::default() }
}

pub fn description() -> Description {
    Description::parse("Handmade ceramic espresso cup, 90 ml, dishwasher safe").unwrap()
}

pub fn script(photo_indices: &[u32]) -> Script {
    Script {
        title: "Ceramic espresso cup".into(),
        hook: "Your morning ritual deserves better.".into(),
        scenes: photo_indices
            .iter()
            .enumerate()
            .map(|(i, p)| Scene { caption: format!("Caption {i}"), voiceover: format!("Line {i}"), photo_index: *p })
            .collect(),
        call_to_action: "Order yours today".into(),
    }
}

/// Asserts a permanent or transient error with this code, whose message and `Debug` hold no key.
pub fn assert_error(e: &ProviderError, class: ErrorClass, code: &str) {
    assert_eq!((e.class, e.code), (class, code), "unexpected error: {e:?}");
    let shown = format!("{e} {e:?}");
    for key in [DEEPSEEK_KEY, ARK_KEY] {
        assert!(!shown.contains(key), "the API key leaked into an error: {shown}");
    }
}

pub fn json_body(r: &Request) -> Value {
    serde_json::from_slice(&r.body).unwrap_or_else(|e| panic!("request body is not JSON ({e})"))
}

pub fn header<'a>(r: &'a Request, name: &str) -> Option<&'a str> {
    r.headers.get(name).and_then(|v| v.to_str().ok())
}

/// An authenticated JSON request: `Authorization: Bearer <key>` and a JSON content type.
pub fn assert_json_request(r: &Request, method: &str, path: &str, key: &str) {
    assert_eq!(r.method.as_str(), method, "method of {}", r.url);
    assert_eq!(r.url.path(), path);
    assert_eq!(header(r, "authorization"), Some(format!("Bearer {key}").as_str()), "authorization of {}", r.url);
    if method == "POST" {
        assert_eq!(header(r, "content-type"), Some("application/json"), "content type of {}", r.url);
    }
}

/// A `RenderObserver` that keeps what it is told, resumes `recorded`, and notes for each
/// `record_tasks` how many polls the mock had already received (must be 0: ids first).
pub struct TestObserver {
    pub recorded: Vec<String>,
    pub notes: Mutex<Vec<String>>,
    pub records: Mutex<Vec<(Vec<String>, usize)>>,
    pub server: Option<Arc<MockServer>>,
}

impl TestObserver {
    pub fn new(server: Arc<MockServer>, recorded: &[&str]) -> Arc<Self> {
        Arc::new(Self {
            recorded: recorded.iter().map(|s| s.to_string()).collect(),
            notes: Mutex::default(),
            records: Mutex::default(),
            server: Some(server),
        })
    }
}

#[async_trait]
impl RenderObserver for TestObserver {
    async fn note(&self, message: &str) {
        self.notes.lock().unwrap().push(message.to_owned());
    }

    async fn recorded_tasks(&self) -> Vec<String> {
        self.recorded.clone()
    }

    async fn record_tasks(&self, task_ids: &[String]) -> Result<(), ProviderError> {
        let polls = match &self.server {
            Some(s) => s
                .received_requests()
                .await
                .unwrap_or_default()
                .iter()
                .filter(|r| r.method.as_str() == "GET" && r.url.path().contains("/contents/generations/tasks/"))
                .count(),
            None => 0,
        };
        self.records.lock().unwrap().push((task_ids.to_vec(), polls));
        Ok(())
    }
}

/// A joiner that checks it got the expected clip files, in order, and writes a file.
pub struct TestJoiner {
    pub expected: Vec<Vec<u8>>,
    pub calls: Mutex<Vec<Vec<PathBuf>>>,
}

impl TestJoiner {
    pub fn new(expected: Vec<Vec<u8>>) -> Arc<Self> {
        Arc::new(Self { expected, calls: Mutex::default() })
    }
}

#[async_trait]
impl ClipJoiner for TestJoiner {
    async fn join(&self, req: JoinRequest) -> Result<RenderOutput, ProviderError> {
        assert_eq!(req.clips.len(), req.script.scenes.len(), "one clip per scene");
        for (clip, want) in req.clips.iter().zip(&self.expected) {
            let got = std::fs::read(clip).expect("clip file");
            assert_eq!(&got, want, "clip {} has the wrong content", clip.display());
        }
        assert_eq!(req.clips.len(), self.expected.len());
        std::fs::write(&req.output, b"joined video").expect("write output");
        self.calls.lock().unwrap().push(req.clips.clone());
        Ok(RenderOutput { width: 1080, height: 1920, frames: 450, duration_ms: 15_000, encoder: "test".into() })
    }
}
