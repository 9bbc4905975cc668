//! Faults on the distributed setup (five processes on PostgreSQL, RabbitMQ and S3): every
//! worker killed with SIGKILL in the middle of the run and started again, the broker restarted,
//! the object store down for seconds. Every job must end (succeeded here: all faults are
//! transient), none is lost, no stage is committed twice, no credit is taken twice, and nothing
//! sits in a dead-letter queue. The JSON logs of every process carry the request id of the
//! submission that caused their work.

use std::{
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use glimvid_blob::BlobStore;
use glimvid_domain::Stage;
use glimvid_queue::{JobQueue, RabbitConfig, RabbitQueue};
use serde_json::{Value, json};

use crate::{distributed::*, helpers::*};

/// An S3 server of this test's own (s3s-fs, which checks signatures), stopped and started again
/// on the same port and data folder.
struct OwnS3 {
    bin: PathBuf,
    port: u16,
    data: tempfile::TempDir,
    key: String,
    secret: String,
    child: Option<Child>,
}

impl OwnS3 {
    fn start() -> Self {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/s3-server");
        let out =
            Command::new(&script).arg("install").stderr(Stdio::inherit()).output().expect("run scripts/s3-server");
        assert!(out.status.success(), "scripts/s3-server install failed");
        let bin = PathBuf::from(String::from_utf8_lossy(&out.stdout).lines().last().expect("binary path").trim());
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut s = Self {
            bin,
            port,
            data: tempfile::tempdir().expect("S3 data folder"),
            key: format!("FAULT{}", std::process::id()),
            secret: format!(
                "{:x}{:x}",
                std::process::id(),
                std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()
            ),
            child: None,
        };
        s.up();
        s
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn up(&mut self) {
        let child = Command::new(&self.bin)
            .args(["--host", "127.0.0.1", "--port", &self.port.to_string()])
            .args(["--access-key", &self.key, "--secret-key", &self.secret])
            .arg(self.data.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start s3s-fs");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "s3s-fs did not come up on port {}", self.port);
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn down(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for OwnS3 {
    fn drop(&mut self) {
        self.down();
    }
}

/// The broker's own restart: the node stops (every connection drops) and starts again with its
/// durable state.
fn restart_rabbitmq(down_for: Duration) {
    /// Starts the broker again even if this test panics while it is down: it is the machine's.
    struct StartAgain;
    impl Drop for StartAgain {
        fn drop(&mut self) {
            let _ = Command::new("rabbitmqctl").arg("start_app").stdout(Stdio::null()).status();
        }
    }
    rabbitmqctl(&["stop_app"]);
    let again = StartAgain;
    std::thread::sleep(down_for);
    drop(again);
    rabbitmqctl(&["await_startup"]);
}

async fn wait_for_stage_running(app: &TestApp, token: &str, ids: &[String], stage_name: &str, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    loop {
        for id in ids {
            let job = app.job(token, id).await;
            if stage(&job, stage_name)["status"] == "running" {
                return;
            }
        }
        if Instant::now() >= deadline {
            let mut jobs = Vec::new();
            for id in ids {
                jobs.push(app.job(token, id).await);
            }
            panic!("no {stage_name} stage started within {timeout:?}\njobs: {jobs:#?}\n{}", app.log_tails(15));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The JSON log lines of `file` whose text mentions `needle`.
fn json_lines_with(file: &Path, needle: &str) -> Vec<Value> {
    let text = std::fs::read_to_string(file).unwrap_or_default();
    text.lines()
        .filter(|l| l.contains(needle))
        .map(|l| {
            serde_json::from_str(l).unwrap_or_else(|e| panic!("{}: not a JSON log line ({e}): {l}", file.display()))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_survive_killed_workers_a_broker_restart_and_an_s3_outage() {
    let Some(real) = real_backends() else {
        eprintln!("skipped: set GLIMVID_TEST_DATABASE_URL, GLIMVID_TEST_AMQP_URL and GLIMVID_TEST_S3_* to run");
        return;
    };
    let _serial = REAL_BACKENDS.lock().await;
    let mut s3 = OwnS3::start();
    let run = RealRun::create(&real, Some((s3.endpoint(), s3.key.clone(), s3.secret.clone()))).await;
    let logs = tempfile::Builder::new().prefix("glimvid-fault-logs-").tempdir().unwrap();
    let mut env = run.env();
    env.extend(
        [
            ("GLIMVID_LOG_FORMAT", "json"),
            ("GLIMVID_FREE_TRIALS", "10"),
            ("GLIMVID_TRIALS_PER_IP_PER_DAY", "0"),
            ("GLIMVID_TASK_MAX_ATTEMPTS", "8"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned())),
    );
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let mut app = spawn_distributed_logged(&env, Some(logs.path())).await;
    let user = app.register_user().await;
    let token = user.access_token.clone();
    let trials_before = app.account(&token).await["free_trials_left"].as_i64().unwrap();

    let request_id = format!("fault-{}", run.name);
    let submit = |app: &TestApp, photos: Vec<Photo>, rid: Option<String>| {
        let form = form(
            &photos,
            Some("Handmade ceramic mug, 350 ml"),
            Some(&json!({"aspect_ratio": "1:1", "duration_s": 5}).to_string()),
        );
        let mut rb = app.client.post(app.url("/api/v1/videos")).bearer_auth(&token).multipart(form);
        if let Some(rid) = rid {
            rb = rb.header("x-request-id", rid);
        }
        async move {
            let r = rb.send().await.expect("submit");
            assert_eq!(r.status(), 202);
            r.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned()
        }
    };
    let mut ids = Vec::new();
    ids.push(submit(&app, vec![photo("rocket.jpg"), photo("coffee.png")], Some(request_id.clone())).await);
    ids.push(submit(&app, vec![photo("coffee.png"), photo("rocket.jpg")], None).await);

    // 1. The script and enhance workers die while the first jobs are in their hands or queued.
    tokio::time::sleep(Duration::from_millis(300)).await;
    app.kill9_and_restart_service("glimvid-enhance-service").await;
    app.kill9_and_restart_service("glimvid-script-service").await;

    // 2. The render worker dies in the middle of a render.
    wait_for_stage_running(&app, &token, &ids, "render", Duration::from_secs(300)).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    app.kill9_and_restart_service("glimvid-render-service").await;

    // 3. The broker restarts while a job is being accepted (the outbox keeps it) and others run.
    ids.push(submit(&app, vec![photo("rocket.jpg")], None).await);
    restart_rabbitmq(Duration::from_secs(3));
    ids.push(submit(&app, vec![photo("coffee.png")], None).await);

    // 4. The object store is down for a few seconds while work is under way.
    wait_for_stage_running(&app, &token, &ids[2..], "render", Duration::from_secs(300)).await;
    s3.down();
    tokio::time::sleep(Duration::from_secs(4)).await;
    s3.up();

    // Every job ends, and well.
    let mut render_reruns = 0;
    for id in &ids {
        let job = app.wait_for(&token, id, Duration::from_secs(600)).await;
        assert_eq!(job["status"], "succeeded", "{job:#}");
        let events = app.events(&token, id, Duration::from_secs(10)).await;
        for s in Stage::ALL {
            assert_eq!(
                count_events(&events, "stage", Some(s.as_str()), "succeeded"),
                1,
                "job {id}: stage {} committed other than once: {events:#?}",
                s.as_str()
            );
        }
        assert!(job["video"].is_object(), "{job:#}");
        if stage(&job, "render")["attempts"].as_i64().unwrap_or(0) > 1 {
            render_reruns += 1;
        }
        let (_, info) = fetch_and_probe(&app, &job).await;
        assert_video(&info, 1080, 1080, 5000);
    }
    // The kill and the outage did hit renders in progress: they ran again, and committed once.
    assert!(render_reruns >= 1, "no render was interrupted: the faults missed the work");
    // One video object per job, whatever was retried.
    let keys = run.store.list(&format!("u/{}/", user.id)).await.unwrap();
    assert_eq!(keys.iter().filter(|k| k.ends_with(".mp4")).count(), ids.len(), "{keys:?}");
    // One trial per job: nothing charged twice, nothing refunded.
    let account = app.account(&token).await;
    assert_eq!(account["free_trials_left"].as_i64().unwrap(), trials_before - ids.len() as i64, "{account:#}");

    // Nothing waits and nothing was dead-lettered.
    let queue = RabbitQueue::connect(&run.amqp_url, RabbitConfig::default()).await.expect("broker back");
    for s in Stage::ALL {
        assert_eq!(queue.dead_count(s.queue()).await.unwrap(), 0, "dead letters on {}", s.queue());
        assert_eq!(queue.depth(s.queue()).await.unwrap(), 0, "tasks left on {}", s.queue());
    }

    // The submission's request id is on the JSON log lines of every process that worked on it.
    let gateway = json_lines_with(&logs.path().join("glimvid-gateway.log"), &request_id);
    assert!(gateway.iter().any(|l| l["message"] == "request"), "gateway access log line: {gateway:#?}");
    let first_job = &ids[0];
    for worker in ["glimvid-script-service", "glimvid-enhance-service", "glimvid-render-service"] {
        let lines = json_lines_with(&logs.path().join(format!("{worker}.log")), &request_id);
        assert!(
            lines.iter().any(|l| l.to_string().contains(first_job.as_str())),
            "{worker}: no log line with both the request id and the job id"
        );
    }
    // And the gateway's calls to auth carry it as gRPC metadata.
    let login_id = format!("login-{}", run.name);
    let r = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("x-request-id", &login_id)
        .json(&json!({"email": user.email, "password": user.password}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let auth = json_lines_with(&logs.path().join("glimvid-auth-service.log"), &login_id);
    assert!(auth.iter().any(|l| l["message"] == "grpc call"), "auth service log: {auth:#?}");

    drop(app);
    run.cleanup().await;
}
