//! The harness: starts the real `glimvid up` binary on free ports with its own data folder and
//! talks to it over HTTP only, through a small typed client. The child's logs are shown only
//! when `TEST_LOG` is set.

use std::{
    path::{Path, PathBuf},
    process::Stdio,
    sync::atomic::{AtomicU64, Ordering},
    time::{Duration, Instant},
};

use glimvid_media::Mp4Info;
use reqwest::{
    Client, Response, StatusCode,
    header::{CONTENT_TYPE, HeaderMap},
    multipart::{Form, Part},
};
use serde_json::{Value, json};
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::{Child, Command},
    sync::oneshot,
};

/// How long the binary may take to print its ready line.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// A password that passes the policy (long enough, not a common one).
pub const PASSWORD: &str = "violet-teapot-orbit-42";

/// A running `glimvid up`, killed when dropped.
pub struct TestApp {
    /// `http://127.0.0.1:<port>` of the REST listener.
    pub address: String,
    /// `http://127.0.0.1:<port>` of the gRPC listener (all services in `glimvid up`; the
    /// gateway's partner API in a distributed run).
    pub grpc_address: String,
    /// `http://127.0.0.1:<port>` of the internal gRPC services (auth, script, enhance): the
    /// loopback internal port of `glimvid up`, the auth service's port in a distributed run.
    pub internal_grpc_address: String,
    /// `http://127.0.0.1:<port>` of the operations endpoints (health, readiness, metrics) of
    /// `glimvid up`, or of the gateway in a distributed run.
    pub ops_address: String,
    pub client: Client,
    child: Child,
    data_dir: tempfile::TempDir,
    env: Vec<(String, String)>,
    /// The other processes of a distributed run (auth and the workers), killed when dropped.
    others: Vec<Service>,
    /// Where a distributed run's processes write their logs (one file per service), if asked.
    log_dir: Option<PathBuf>,
}

/// One service process of a distributed run, with what it takes to start it again.
struct Service {
    name: String,
    env: Vec<(String, String)>,
    child: Child,
}

/// An account made by [`TestApp::register_user`].
#[derive(Debug, Clone)]
pub struct TestUser {
    pub id: String,
    pub email: String,
    pub password: String,
    pub access_token: String,
    pub refresh_token: String,
}

/// One file of a submission.
#[derive(Debug, Clone)]
pub struct Photo {
    pub file_name: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// Starts the binary with the default (embedded) configuration.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// Starts the binary with extra `GLIMVID_*` settings (for example `GLIMVID_FREE_TRIALS`).
pub async fn spawn_app_with(env: &[(&str, &str)]) -> TestApp {
    let client = Client::builder().no_proxy().timeout(Duration::from_secs(120)).build().expect("HTTP client");
    spawn_app_with_client(env, client).await
}

/// [`spawn_app_with`], talking through `client` (e.g. one that trusts a test CA).
pub async fn spawn_app_with_client(env: &[(&str, &str)], client: Client) -> TestApp {
    let data_dir = tempfile::Builder::new().prefix("glimvid-e2e-").tempdir().expect("temp data folder");
    let env: Vec<(String, String)> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let (child, [address, grpc_address, internal_grpc_address, ops_address]) = start(data_dir.path(), &env).await;
    let app = TestApp {
        address,
        grpc_address,
        internal_grpc_address,
        ops_address,
        client,
        child,
        data_dir,
        env,
        others: Vec::new(),
        log_dir: None,
    };
    app.wait_healthy().await;
    app
}

/// A free TCP port on 127.0.0.1 (bound, then released for the child to take).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("free port")
}

/// One of the service binaries built beside `glimvid` (`scripts/test` builds them all).
fn service_binary(name: &str) -> PathBuf {
    let p = Path::new(env!("CARGO_BIN_EXE_glimvid")).with_file_name(name);
    assert!(p.exists(), "{} is missing: run `scripts/test`, which builds every service binary first", p.display());
    p
}

fn spawn_service(name: &str, env: &[(String, String)], log_dir: Option<&Path>) -> Child {
    let log = std::env::var_os("TEST_LOG").is_some();
    let mut cmd = Command::new(service_binary(name));
    let to_file = |ext: &str| -> Stdio {
        let dir = log_dir.expect("log folder");
        let f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join(format!("{name}.{ext}")))
            .expect("open a service log");
        Stdio::from(f)
    };
    for (k, _) in std::env::vars() {
        if k.starts_with("GLIMVID_") {
            cmd.env_remove(&k);
        }
    }
    cmd.envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(if log_dir.is_some() {
            to_file("log")
        } else if log {
            Stdio::inherit()
        } else {
            Stdio::null()
        })
        .stderr(if log_dir.is_some() {
            to_file("err")
        } else if log {
            Stdio::inherit()
        } else {
            Stdio::null()
        })
        .kill_on_drop(true);
    cmd.spawn().unwrap_or_else(|e| panic!("start {name}: {e}"))
}

/// Starts the five services as separate processes with the given backend settings, and waits
/// until the gateway is ready (database, queue, object store and auth reachable).
pub async fn spawn_distributed(env: &[(&str, &str)]) -> TestApp {
    spawn_distributed_logged(env, None).await
}

/// [`spawn_distributed`], with each service's stdout and stderr appended to
/// `<log_dir>/<binary>.log` and `.err` when `log_dir` is given.
pub async fn spawn_distributed_logged(env: &[(&str, &str)], log_dir: Option<&Path>) -> TestApp {
    let data_dir = tempfile::Builder::new().prefix("glimvid-dist-").tempdir().expect("temp data folder");
    let mut base: Vec<(String, String)> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    base.push(("GLIMVID_DATA_DIR".into(), data_dir.path().display().to_string()));
    let grpc = format!("127.0.0.1:{}", free_port());
    let http = format!("127.0.0.1:{}", free_port());
    let gateway_grpc = format!("127.0.0.1:{}", free_port());
    let gateway_ops = format!("127.0.0.1:{}", free_port());
    let with = |extra: &[(&str, String)]| {
        let mut e = base.clone();
        e.extend(extra.iter().map(|(k, v)| (k.to_string(), v.clone())));
        e
    };
    let service = |name: &str, env: Vec<(String, String)>| Service {
        name: name.into(),
        child: spawn_service(name, &env, log_dir),
        env,
    };
    let mut others = vec![service("glimvid-auth-service", with(&[("GLIMVID_GRPC_ADDR", grpc.clone())]))];
    for w in ["glimvid-script-service", "glimvid-enhance-service", "glimvid-render-service"] {
        others.push(service(w, with(&[("GLIMVID_OPS_ADDR", "127.0.0.1:0".into())])));
    }
    let child = spawn_service(
        "glimvid-gateway",
        &with(&[
            ("GLIMVID_HTTP_ADDR", http.clone()),
            ("GLIMVID_GRPC_ADDR", gateway_grpc.clone()),
            ("GLIMVID_OPS_ADDR", gateway_ops.clone()),
            ("GLIMVID_AUTH_GRPC_URL", format!("http://{grpc}")),
        ]),
        log_dir,
    );
    let client = Client::builder().no_proxy().timeout(Duration::from_secs(120)).build().expect("HTTP client");
    let app = TestApp {
        address: format!("http://{http}"),
        grpc_address: format!("http://{gateway_grpc}"),
        internal_grpc_address: format!("http://{grpc}"),
        ops_address: format!("http://{gateway_ops}"),
        client,
        child,
        data_dir,
        env: base,
        others,
        log_dir: log_dir.map(Path::to_path_buf),
    };
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        match app.client.get(app.url("/readyz")).send().await {
            Ok(r) if r.status() == StatusCode::OK => break,
            _ if Instant::now() > deadline => panic!("the gateway at {} never became ready", app.address),
            _ => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
    assert_eq!(app.others.len(), 4);
    app
}

/// Starts `glimvid up` on port 0 (REST, partner gRPC, internal gRPC, operations) and returns the
/// four addresses it printed.
async fn start(data_dir: &Path, env: &[(String, String)]) -> (Child, [String; 4]) {
    let log = std::env::var_os("TEST_LOG").is_some();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_glimvid"));
    cmd.arg("up");
    // Hermetic: whatever GLIMVID_* the developer's shell has does not leak into the tests.
    for (k, _) in std::env::vars() {
        if k.starts_with("GLIMVID_") {
            cmd.env_remove(&k);
        }
    }
    cmd.env("GLIMVID_HTTP_ADDR", "127.0.0.1:0")
        .env("GLIMVID_GRPC_ADDR", "127.0.0.1:0")
        .env("GLIMVID_DATA_DIR", data_dir)
        .env("NO_COLOR", "1");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(if log { Stdio::inherit() } else { Stdio::null() })
        .kill_on_drop(true);
    let mut child = cmd.spawn().expect("start the glimvid binary");
    let stdout = child.stdout.take().expect("piped stdout");
    let (tx, rx) = oneshot::channel::<[String; 4]>();
    // Keeps draining stdout for the child's whole life (a full pipe would block its logging).
    tokio::spawn(async move {
        let mut lines = BufReader::new(stdout).lines();
        let mut tx = Some(tx);
        let (mut rest, mut grpc, mut internal, mut ops) = (None, None, None, None);
        while let Ok(Some(line)) = lines.next_line().await {
            if log {
                eprintln!("[glimvid] {line}");
            }
            if let Some(addr) = line.strip_prefix("glimvid: REST listening on ") {
                rest = Some(addr.trim().to_owned());
            }
            if let Some(addr) = line.strip_prefix("glimvid: gRPC listening on ") {
                grpc = Some(addr.trim().to_owned());
            }
            if let Some(addr) = line.strip_prefix("glimvid: internal gRPC listening on ") {
                internal = Some(addr.trim().to_owned());
            }
            if let Some(addr) = line.strip_prefix("glimvid: operations listening on ") {
                ops = Some(addr.trim().to_owned());
            }
            if let (Some(r), Some(g), Some(i), Some(o)) = (&rest, &grpc, &internal, &ops)
                && let Some(tx) = tx.take()
            {
                let _ = tx.send([r.clone(), g.clone(), i.clone(), o.clone()]);
            }
        }
    });
    let addresses = match tokio::time::timeout(START_TIMEOUT, rx).await {
        Ok(Ok(a)) => a,
        Ok(Err(_)) => {
            let status = child.wait().await;
            panic!("glimvid exited before it was ready ({status:?}); run with TEST_LOG=1 to see its logs")
        }
        Err(_) => panic!("glimvid did not print its REST and gRPC addresses within {START_TIMEOUT:?}"),
    };
    (child, addresses)
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        if path.starts_with("http://") || path.starts_with("https://") {
            path.to_owned()
        } else {
            format!("{}{path}", self.address)
        }
    }

    async fn wait_healthy(&self) {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            match self.client.get(self.url("/healthz")).send().await {
                Ok(r) if r.status() == StatusCode::OK => return,
                _ if Instant::now() > deadline => panic!("{} never answered /healthz with 200", self.address),
                _ => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    }

    /// The data folder of `glimvid up` (its SQLite database, blobs and key file).
    pub fn data_dir(&self) -> &Path {
        self.data_dir.path()
    }

    /// The process id of `glimvid up` (or of the gateway in a distributed run), to read its
    /// memory from `/proc`.
    pub fn pid(&self) -> u32 {
        self.child.id().expect("the child is running")
    }

    /// Changes one `GLIMVID_*` setting for the next [`TestApp::kill_and_restart`] (`None`
    /// removes it).
    pub fn set_env(&mut self, key: &str, value: Option<&str>) {
        self.env.retain(|(k, _)| k != key);
        if let Some(v) = value {
            self.env.push((key.to_owned(), v.to_owned()));
        }
    }

    /// SIGKILL (no chance to finish anything), then start the binary again on the same data
    /// folder and settings. The new process listens on new ports: use [`TestApp::address`].
    pub async fn kill_and_restart(&mut self) {
        self.child.start_kill().expect("SIGKILL the child");
        let status = self.child.wait().await.expect("reap the child");
        assert!(!status.success(), "the killed child reported success: {status:?}");
        let (child, [address, grpc_address, internal_grpc_address, ops_address]) =
            start(self.data_dir.path(), &self.env).await;
        self.child = child;
        self.ops_address = ops_address;
        self.address = address;
        self.grpc_address = grpc_address;
        self.internal_grpc_address = internal_grpc_address;
        self.wait_healthy().await;
    }

    /// The last lines of each service's log files (a distributed run started with a log folder),
    /// for a failure message: what the processes were doing when a wait ran out.
    pub fn log_tails(&self, lines: usize) -> String {
        let Some(dir) = &self.log_dir else { return "(no log folder)".into() };
        let mut files: Vec<_> = std::fs::read_dir(dir).into_iter().flatten().flatten().map(|e| e.path()).collect();
        files.sort();
        let mut out = String::new();
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap_or_default();
            let all: Vec<&str> = text.lines().collect();
            // A panic's message is at the top of the standard error, its backtrace below.
            let (what, part) = if f.extension().is_some_and(|e| e == "err") {
                ("first", &all[..all.len().min(lines)])
            } else {
                ("last", &all[all.len().saturating_sub(lines)..])
            };
            let shown = part.join("\n");
            out.push_str(&format!("--- {} ({what} {} of {} lines)\n{shown}\n", f.display(), part.len(), all.len()));
        }
        out
    }

    /// SIGKILLs the distributed run's service `name` (e.g. `glimvid-render-service`) and starts
    /// it again with the same settings.
    pub async fn kill9_and_restart_service(&mut self, name: &str) {
        let log_dir = self.log_dir.clone();
        let svc = self.others.iter_mut().find(|s| s.name == name).unwrap_or_else(|| panic!("no service {name}"));
        svc.child.start_kill().expect("SIGKILL the service");
        let status = svc.child.wait().await.expect("reap the service");
        assert!(!status.success(), "{name} was killed but reported success: {status:?}");
        svc.child = spawn_service(name, &svc.env, log_dir.as_deref());
    }

    // ---- raw requests ----

    pub async fn get(&self, path: &str, token: Option<&str>) -> Response {
        let mut rb = self.client.get(self.url(path));
        if let Some(t) = token {
            rb = rb.bearer_auth(t);
        }
        rb.send().await.expect("GET")
    }

    pub async fn delete(&self, path: &str, token: &str) -> Response {
        self.client.delete(self.url(path)).bearer_auth(token).send().await.expect("DELETE")
    }

    pub async fn post_empty(&self, path: &str, token: &str) -> Response {
        self.client.post(self.url(path)).bearer_auth(token).send().await.expect("POST")
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Response {
        self.client.post(self.url(path)).json(body).send().await.expect("POST")
    }

    /// Posts `body` as is with `Content-Type: application/json` (for malformed documents).
    pub async fn post_raw_json(&self, path: &str, body: &str) -> Response {
        self.client
            .post(self.url(path))
            .header(CONTENT_TYPE, "application/json")
            .body(body.to_owned())
            .send()
            .await
            .expect("POST")
    }

    // ---- auth ----

    pub async fn register(&self, body: &Value) -> Response {
        self.post_json("/api/v1/auth/register", body).await
    }

    pub async fn login(&self, email: &str, password: &str) -> Response {
        self.post_json("/api/v1/auth/login", &json!({"email": email, "password": password})).await
    }

    pub async fn refresh(&self, refresh_token: &str) -> Response {
        self.post_json("/api/v1/auth/refresh", &json!({"refresh_token": refresh_token})).await
    }

    pub async fn logout(&self, refresh_token: &str) -> Response {
        self.post_json("/api/v1/auth/logout", &json!({"refresh_token": refresh_token})).await
    }

    /// Registers a fresh account (unique email) and returns its tokens.
    pub async fn register_user(&self) -> TestUser {
        let email = unique_email();
        let r = self.register(&json!({"email": email, "password": PASSWORD, "age_confirmed": true})).await;
        let status = r.status();
        let body: Value = r.json().await.expect("register body");
        assert_eq!(status, StatusCode::CREATED, "register: {body}");
        TestUser {
            id: body["user"]["id"].as_str().expect("user.id").to_owned(),
            email,
            password: PASSWORD.into(),
            access_token: body["access_token"].as_str().expect("access_token").to_owned(),
            refresh_token: body["refresh_token"].as_str().expect("refresh_token").to_owned(),
        }
    }

    pub async fn account(&self, token: &str) -> Value {
        let r = self.get("/api/v1/account", Some(token)).await;
        assert_eq!(r.status(), StatusCode::OK, "GET /api/v1/account");
        r.json().await.expect("account JSON")
    }

    // ---- videos ----

    /// `POST /api/v1/videos` with any multipart form.
    pub async fn submit_form(&self, token: &str, form: Form) -> Response {
        self.client.post(self.url("/api/v1/videos")).bearer_auth(token).multipart(form).send().await.expect("submit")
    }

    /// Submits a job and asserts that it was accepted (202); returns the job.
    pub async fn submit(&self, token: &str, photos: &[Photo], description: &str, options: &Value) -> Value {
        let r = self.submit_form(token, form(photos, Some(description), Some(&options.to_string()))).await;
        let status = r.status();
        let text = r.text().await.expect("submit body");
        assert_eq!(status, StatusCode::ACCEPTED, "submit: {text}");
        serde_json::from_str(&text).expect("job JSON")
    }

    pub async fn job(&self, token: &str, id: &str) -> Value {
        let r = self.get(&format!("/api/v1/videos/{id}"), Some(token)).await;
        let status = r.status();
        let text = r.text().await.expect("job body");
        assert_eq!(status, StatusCode::OK, "GET job {id}: {text}");
        serde_json::from_str(&text).expect("job JSON")
    }

    /// The items of `GET /api/v1/videos` (first page).
    pub async fn list_videos(&self, token: &str) -> Vec<Value> {
        let r = self.get("/api/v1/videos", Some(token)).await;
        assert_eq!(r.status(), StatusCode::OK, "GET /api/v1/videos");
        let body: Value = r.json().await.expect("list JSON");
        body["items"].as_array().expect("items").clone()
    }

    /// Polls the job until `pred` holds; panics with the last view after `timeout`.
    pub async fn wait_until(&self, token: &str, id: &str, timeout: Duration, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + timeout;
        loop {
            let job = self.job(token, id).await;
            if pred(&job) {
                return job;
            }
            if Instant::now() > deadline {
                panic!("job {id}: condition not met within {timeout:?}; last view: {job:#}");
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Polls the job until it ends (succeeded, failed or canceled).
    pub async fn wait_for(&self, token: &str, id: &str, timeout: Duration) -> Value {
        self.wait_until(token, id, timeout, |j| {
            matches!(j["status"].as_str(), Some("succeeded" | "failed" | "canceled"))
        })
        .await
    }

    /// Follows the job's Server-Sent Events until the server ends the stream; returns the
    /// events' JSON data in order.
    pub async fn events(&self, token: &str, id: &str, timeout: Duration) -> Vec<Value> {
        let mut r = self
            .client
            .get(self.url(&format!("/api/v1/videos/{id}/events")))
            .bearer_auth(token)
            .header("accept", "text/event-stream")
            .timeout(timeout)
            .send()
            .await
            .expect("GET events");
        assert_eq!(r.status(), StatusCode::OK, "GET events");
        assert_eq!(content_type(r.headers()), "text/event-stream");
        let mut buf = String::new();
        let read = tokio::time::timeout(timeout, async {
            while let Some(chunk) = r.chunk().await.expect("SSE stream") {
                buf.push_str(std::str::from_utf8(&chunk).expect("SSE is UTF-8"));
            }
        })
        .await;
        assert!(read.is_ok(), "the event stream of job {id} did not end within {timeout:?}; so far:\n{buf}");
        parse_sse(&buf)
    }

    /// GET without authentication, asserting 200; the body.
    pub async fn download(&self, url: &str) -> Vec<u8> {
        let r = self.client.get(self.url(url)).send().await.expect("download");
        assert_eq!(r.status(), StatusCode::OK, "GET {url}");
        r.bytes().await.expect("download body").to_vec()
    }
}

/// The data of every event in an SSE body (comments and keep-alives skipped).
pub fn parse_sse(body: &str) -> Vec<Value> {
    body.replace("\r\n", "\n")
        .split("\n\n")
        .filter_map(|block| {
            let data: Vec<&str> = block
                .lines()
                .filter_map(|l| l.strip_prefix("data:").map(|d| d.strip_prefix(' ').unwrap_or(d)))
                .collect();
            (!data.is_empty()).then(|| serde_json::from_str(&data.join("\n")).expect("event data is JSON"))
        })
        .collect()
}

pub fn unique_email() -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos();
    format!("user{}-{}-{nanos}@example.com", std::process::id(), N.fetch_add(1, Ordering::Relaxed))
}

/// The media type of a response, without parameters.
pub fn content_type(h: &HeaderMap) -> String {
    h.get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.split(';').next().unwrap_or("").trim().to_ascii_lowercase())
        .unwrap_or_default()
}

pub fn request_id(h: &HeaderMap) -> String {
    h.get("x-request-id").and_then(|v| v.to_str().ok()).expect("every response has x-request-id").to_owned()
}

/// Asserts an RFC 9457 problem answer with `status` and returns the document.
pub async fn assert_problem(r: Response, status: u16, what: &str) -> Value {
    let got = r.status().as_u16();
    let headers = r.headers().clone();
    let text = r.text().await.expect("problem body");
    assert_eq!(got, status, "{what}: expected {status}, got {got}: {text}");
    assert_eq!(content_type(&headers), "application/problem+json", "{what}: content type; body {text}");
    let rid = request_id(&headers);
    let p: Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{what}: problem body is not JSON ({e}): {text}"));
    for field in ["type", "title", "detail", "code"] {
        assert!(
            p[field].as_str().is_some_and(|s| !s.is_empty()),
            "{what}: problem field `{field}` missing or empty: {p}"
        );
    }
    assert_eq!(p["status"].as_u64(), Some(status as u64), "{what}: problem status: {p}");
    assert_eq!(p["request_id"].as_str(), Some(rid.as_str()), "{what}: problem request_id vs x-request-id: {p}");
    p
}

// ---- fixtures ----

pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures")
}

pub fn fixture(name: &str) -> Vec<u8> {
    let p = fixtures_dir().join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("fixture {}: {e}", p.display()))
}

/// A photo from `tests/fixtures`, typed by its extension.
pub fn photo(name: &str) -> Photo {
    let content_type = if name.ends_with(".png") { "image/png" } else { "image/jpeg" };
    Photo { file_name: name.into(), content_type: content_type.into(), bytes: fixture(name) }
}

/// A generated PNG photo (a smooth gradient) of `w`x`h` pixels.
pub fn generated_png(w: u32, h: u32) -> Photo {
    let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([(x * 255 / w) as u8, (y * 255 / h) as u8, 128]));
    let mut bytes = std::io::Cursor::new(Vec::new());
    img.write_to(&mut bytes, image::ImageFormat::Png).expect("encode PNG");
    Photo { file_name: format!("gradient-{w}x{h}.png"), content_type: "image/png".into(), bytes: bytes.into_inner() }
}

/// A multipart submission; `None` leaves the field out.
pub fn form(photos: &[Photo], description: Option<&str>, options: Option<&str>) -> Form {
    let mut f = Form::new();
    for p in photos {
        let part = Part::bytes(p.bytes.clone())
            .file_name(p.file_name.clone())
            .mime_str(&p.content_type)
            .expect("content type");
        f = f.part("photos", part);
    }
    if let Some(d) = description {
        f = f.text("description", d.to_owned());
    }
    if let Some(o) = options {
        f = f.text("options", o.to_owned());
    }
    f
}

/// The named stage of a job view.
pub fn stage<'a>(job: &'a Value, name: &str) -> &'a Value {
    job["stages"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["name"] == name))
        .unwrap_or_else(|| panic!("job has no stage {name}: {job:#}"))
}

/// Writes an MP4 to a temporary file and probes it (container, codec, every frame decoded).
pub async fn probe(bytes: Vec<u8>) -> Mp4Info {
    tokio::task::spawn_blocking(move || {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("video.mp4");
        std::fs::write(&path, &bytes).expect("write video");
        glimvid_media::probe_mp4(&path).expect("probe the MP4")
    })
    .await
    .expect("probe task")
}

/// Asserts a playable H.264 video of the given size and duration (±500 ms).
pub fn assert_video(info: &Mp4Info, width: u32, height: u32, duration_ms: u64) {
    assert_eq!((info.width, info.height), (width, height), "video size: {info:?}");
    assert!(
        info.duration_ms.abs_diff(duration_ms) <= 500,
        "duration {} ms, wanted {duration_ms}: {info:?}",
        info.duration_ms
    );
    assert_eq!(info.codec, "avc1", "codec: {info:?}");
    assert!(info.faststart, "moov must come before mdat: {info:?}");
    assert!(info.frames > 0, "no frames: {info:?}");
    assert_eq!(info.decodable_frames, info.frames, "every frame must decode: {info:?}");
}

/// Downloads the finished job's public video (no authentication) and probes it.
pub async fn fetch_and_probe(app: &TestApp, job: &Value) -> (Vec<u8>, Mp4Info) {
    let url = job["public_url"].as_str().unwrap_or_else(|| panic!("no public_url: {job:#}"));
    let bytes = app.download(url).await;
    let info = probe(bytes.clone()).await;
    (bytes, info)
}

/// Events of one kind/stage/status.
pub fn count_events(events: &[Value], kind: &str, stage: Option<&str>, status: &str) -> usize {
    events.iter().filter(|e| e["kind"] == kind && e["stage"].as_str() == stage && e["status"] == status).count()
}

// ---- accounts ----

impl TestApp {
    /// The running binary's data folder (SQLite database, `objects/`): to check what is stored
    /// and to run `glimvid admin` commands against the same state.
    pub fn data_path(&self) -> &Path {
        self.data_dir.path()
    }
}
