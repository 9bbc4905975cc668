//! The partner examples in `examples/`, run as a partner would run them against `glimvid up`:
//! the Python client generated from `proto/` by grpcio-tools drives a job from creation to the
//! end of its event stream while the example webhook receiver checks every signed delivery; the
//! grpcurl session works through server reflection alone; the receiver's own tests pass.
//!
//! The tools come from `scripts/examples-setup` (a virtual environment under
//! `~/.cache/glimvid/examples-venv`, or `GLIMVID_EXAMPLES_VENV`; `GRPCURL` overrides grpcurl).
//! Without them these tests fail, saying so: an example that is not run is not tested.

use std::{
    collections::BTreeSet,
    path::{Path, PathBuf},
    process::Stdio,
    time::{Duration, Instant},
};

use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::{Child, Command},
};

use crate::helpers::{TestApp, fixtures_dir, spawn_app, spawn_app_with};

/// A job of a few seconds renders well within this on a small machine.
const RUN_TIMEOUT: Duration = Duration::from_secs(300);

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn venv() -> PathBuf {
    if let Some(v) = std::env::var_os("GLIMVID_EXAMPLES_VENV") {
        return v.into();
    }
    let home = std::env::var_os("HOME").expect("HOME is set");
    Path::new(&home).join(".cache/glimvid/examples-venv")
}

/// A tool of the examples' environment, or a failure that says how to install it.
fn tool(name: &str) -> PathBuf {
    let path = match (name, std::env::var_os("GRPCURL")) {
        ("grpcurl", Some(p)) => PathBuf::from(p),
        _ => venv().join("bin").join(name),
    };
    assert!(
        path.exists(),
        "{} is missing: run scripts/examples-setup (it installs the examples' Python packages and grpcurl){}",
        path.display(),
        if std::env::var("GLIMVID_TEST_REQUIRE_REAL").as_deref() == Ok("1") { " before the tests in CI" } else { "" }
    );
    path
}

/// A command for an example: no proxy between it and the loopback server, no GLIMVID_* from the
/// developer's shell.
fn command(program: &Path) -> Command {
    let mut cmd = Command::new(program);
    for (k, _) in std::env::vars() {
        if k.starts_with("GLIMVID_") || k.to_ascii_lowercase().ends_with("_proxy") {
            cmd.env_remove(&k);
        }
    }
    cmd.env("NO_PROXY", "127.0.0.1,localhost")
        .env("no_proxy", "127.0.0.1,localhost")
        .env("PYTHONUNBUFFERED", "1")
        .current_dir(repo_root())
        .stdin(Stdio::null())
        .kill_on_drop(true);
    cmd
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

async fn run(mut cmd: Command, what: &str) -> Run {
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let child = cmd.spawn().unwrap_or_else(|e| panic!("start {what}: {e}"));
    let out = tokio::time::timeout(RUN_TIMEOUT, child.wait_with_output())
        .await
        .unwrap_or_else(|_| panic!("{what} did not finish within {RUN_TIMEOUT:?}"))
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A new account's API key that may create and read jobs.
async fn api_key(app: &TestApp, token: &str) -> String {
    let r = app
        .client
        .post(app.url("/api/v1/account/api-keys"))
        .bearer_auth(token)
        .json(&json!({
            "name": "examples",
            "scopes": ["videos:read", "videos:write"],
            "current_password": crate::helpers::PASSWORD,
        }))
        .send()
        .await
        .expect("POST api-keys");
    assert_eq!(r.status(), StatusCode::CREATED, "create an API key");
    let v: Value = r.json().await.expect("key JSON");
    v["secret"].as_str().expect("secret").to_owned()
}

/// `host:port` of the gRPC listener, as a partner's tools take it.
fn grpc_target(app: &TestApp) -> String {
    app.grpc_address.trim_start_matches("http://").trim_end_matches('/').to_owned()
}

/// The value after `prefix` on the first line that has it.
fn line_value<'a>(out: &'a str, prefix: &str) -> Option<&'a str> {
    out.lines().find_map(|l| l.strip_prefix(prefix)).map(str::trim)
}

/// The example receiver on `port`, once it listens.
async fn start_receiver(port: &str, secret: &str) -> Child {
    let mut cmd = command(&tool("python"));
    cmd.arg("examples/webhook_receiver.py").args(["--port", port, "--secret", secret]).stdout(Stdio::piped());
    let mut child = cmd.spawn().expect("start examples/webhook_receiver.py");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let first = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .expect("the receiver did not start within 30 s")
        .expect("receiver stdout")
        .expect("the receiver exited before it listened");
    assert_eq!(first, format!("webhook receiver: listening on http://127.0.0.1:{port}/"), "the receiver's first line");
    // Keeps draining the receiver's output (one line per delivery).
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    child
}

async fn receiver_stats(app: &TestApp, url: &str) -> Value {
    let r = app.client.get(format!("{url}stats")).send().await.expect("GET receiver stats");
    assert_eq!(r.status(), StatusCode::OK);
    r.json().await.expect("stats JSON")
}

#[tokio::test]
async fn the_python_client_drives_a_job_to_the_end_and_the_receiver_verifies_its_webhooks() {
    let python = tool("python");
    // The example receiver listens on loopback, which webhooks may reach only when allowed.
    let app = spawn_app_with(&[("GLIMVID_WEBHOOK_ALLOWED_NETWORKS", "127.0.0.0/8")]).await;
    let user = app.register_user().await;
    let key = api_key(&app, &user.access_token).await;

    // The webhook first, so that every event of the job reaches the example receiver. The
    // secret comes with the registration, so the receiver starts after it, on the port its URL
    // names (nothing is delivered before the job exists).
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port").port();
    let url = format!("http://127.0.0.1:{port}/");
    let r = app
        .client
        .post(app.url("/api/v1/webhooks"))
        .bearer_auth(&user.access_token)
        .json(&json!({"url": url}))
        .send()
        .await
        .expect("POST webhooks");
    assert_eq!(r.status(), StatusCode::CREATED, "register the receiver");
    let hook: Value = r.json().await.expect("webhook JSON");
    let secret = hook["secret"].as_str().expect("the secret, shown once");
    let _receiver = start_receiver(&port.to_string(), secret).await;

    let out_dir = tempfile::tempdir().expect("temp dir");
    let video = out_dir.path().join("video.mp4");
    let photo = fixtures_dir().join("rocket.jpg");
    let idempotency_key = format!("examples-{}", helpers_unique());
    let client_run = |output: Option<&Path>| {
        let mut cmd = command(&python);
        cmd.arg("examples/python/client.py")
            .args(["--target", &grpc_target(&app), "--api-key", &key, "--duration", "5"])
            .args(["--idempotency-key", &idempotency_key]);
        if let Some(o) = output {
            cmd.arg("--output").arg(o);
        }
        cmd.arg(&photo).arg("A rocket lifting off at dawn, told in three short scenes");
        cmd
    };

    let first = run(client_run(Some(&video)), "examples/python/client.py").await;
    let shown = format!("stdout:\n{}\nstderr:\n{}", first.stdout, first.stderr);
    assert_eq!(first.code, Some(0), "the client failed:\n{shown}");
    assert_eq!(line_value(&first.stdout, "final status: "), Some("succeeded"), "{shown}");
    let job_id =
        line_value(&first.stdout, "job ").and_then(|l| l.split_whitespace().next()).expect("job id").to_owned();
    let job = app.job(&user.access_token, &job_id).await;
    assert_eq!(job["status"], "succeeded", "the job the client followed: {job:#}");
    let public_url = job["public_url"].as_str().expect("public_url");
    assert_eq!(line_value(&first.stdout, "video URL: "), Some(public_url), "{shown}");
    let event_ids: BTreeSet<i64> = first
        .stdout
        .lines()
        .filter_map(|l| l.strip_prefix("event ")?.split_whitespace().next()?.parse().ok())
        .collect();
    assert!(event_ids.len() >= 4, "the stream carried the stages' events: {shown}");
    assert!(
        first.stdout.lines().any(|l| l.starts_with("event ") && l.contains("succeeded")),
        "the stream ends with the job's end: {shown}"
    );
    let bytes = std::fs::read(&video).expect("the downloaded video");
    assert_eq!(bytes, app.download(public_url).await, "--output saved the public video");
    assert_eq!(&bytes[4..8], b"ftyp", "an MP4");

    // The same idempotency key again: the first job, not a second one.
    let again = run(client_run(None), "examples/python/client.py (retry)").await;
    assert_eq!(again.code, Some(0), "stdout:\n{}\nstderr:\n{}", again.stdout, again.stderr);
    assert!(again.stdout.contains(&format!("job {job_id} succeeded (replayed")), "{}", again.stdout);
    assert_eq!(app.list_videos(&user.access_token).await.len(), 1, "a retried call made a second job");

    // Every event the client saw reaches the receiver, signed so that `verify` accepts it.
    let deadline = Instant::now() + Duration::from_secs(60);
    let stats = loop {
        let s = receiver_stats(&app, &url).await;
        let got: BTreeSet<i64> =
            s["events"].as_array().expect("events").iter().filter_map(|e| e["id"].as_i64()).collect();
        if event_ids.is_subset(&got) {
            break s;
        }
        assert!(Instant::now() < deadline, "the receiver got {got:?}, the client saw {event_ids:?}: {s:#}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert_eq!(stats["rejected"], 0, "the receiver refused a genuine delivery: {stats:#}");
    assert!(stats["events"].as_array().expect("events").iter().any(|e| e["type"] == "job.succeeded"), "{stats:#}");
    assert!(stats["events"].as_array().expect("events").iter().all(|e| e["job_id"] == job_id.as_str()), "{stats:#}");
}

#[tokio::test]
async fn the_grpcurl_session_works_through_reflection() {
    let grpcurl = tool("grpcurl");
    let app = spawn_app().await;
    let user = app.register_user().await;
    let key = api_key(&app, &user.access_token).await;
    let mut cmd = command(&repo_root().join("examples/grpcurl/session.sh"));
    cmd.env("GRPCURL", &grpcurl)
        .env("DURATION_S", "5")
        .arg(grpc_target(&app))
        .arg(&key)
        .arg(fixtures_dir().join("coffee.png"))
        .arg("Fresh coffee, poured slowly");
    let out = run(cmd, "examples/grpcurl/session.sh").await;
    let shown = format!("stdout:\n{}\nstderr:\n{}", out.stdout, out.stderr);
    assert_eq!(out.code, Some(0), "the session failed:\n{shown}");
    assert!(out.stdout.lines().any(|l| l.trim() == "glimvid.jobs.v1.VideoJobService"), "listed: {shown}");
    assert!(out.stdout.contains("rpc WatchVideoJob"), "described: {shown}");
    assert!(!out.stdout.contains(&key), "the session printed the API key");
    let listed = app.list_videos(&user.access_token).await;
    assert_eq!(listed.len(), 1, "the session created one job");
    let id = listed[0]["id"].as_str().expect("id");
    assert!(out.stdout.contains(&format!("\"id\": \"{id}\"")), "the created job is shown: {shown}");
    assert!(out.stdout.contains(&format!("job {id}: succeeded")), "{shown}");
    assert_eq!(app.job(&user.access_token, id).await["status"], "succeeded");
}

#[tokio::test]
async fn the_webhook_receiver_tests_pass() {
    let mut cmd = command(&tool("python"));
    cmd.args(["-m", "unittest", "discover", "-s", "examples/python", "-p", "test_*.py", "-v"]);
    let out = run(cmd, "python -m unittest").await;
    assert_eq!(out.code, Some(0), "stdout:\n{}\nstderr:\n{}", out.stdout, out.stderr);
    let ran: usize = out
        .stderr
        .lines()
        .find_map(|l| l.strip_prefix("Ran ")?.split_whitespace().next()?.parse().ok())
        .expect("unittest's summary");
    assert!(ran >= 10, "only {ran} tests ran:\n{}", out.stderr);
}

fn helpers_unique() -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos();
    format!("{}-{nanos}", std::process::id())
}
