//! The memory benchmark of the security model: what an outsider's requests cost `glimvid up`
//! (every service in one process) at the default limits. Each phase fires many requests at once
//! and samples the process's resident memory every 20 ms; the table gives the statuses, the wall
//! time and the peak RSS beside the documented worst case (docs/security.md).
//!
//!     scripts/bench-attack [--concurrency 40]
//!
//! Phases: logins with random emails (password hashing), uploads by an account that may not
//! submit (refused before the body is read), decompression bombs by an account that may (decoded
//! under the memory budget), and 20 MB gRPC job creations without an API key.

use std::{
    io::Cursor,
    process::Stdio,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use glimvid_proto::jobs::v1::{self as pb, video_job_service_client::VideoJobServiceClient};
use reqwest::{Client, StatusCode, multipart};
use serde_json::{Value, json};
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::Command,
};

const BILLING_SECRET: &str = "whsec_bench_only";

/// What docs/security.md gives as the worst case of `glimvid up` at the default limits, in MiB.
const DOCUMENTED_MIB: u64 = 1024;

fn concurrency() -> usize {
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        if k == "--concurrency" {
            return it.next().and_then(|v| v.parse().ok()).expect("--concurrency N");
        }
    }
    40
}

/// Resident memory of `pid` in KiB (VmRSS).
fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

/// Samples the peak RSS of `pid` while `work` runs.
async fn peak_during<F: std::future::Future<Output = T>, T>(pid: u32, work: F) -> (T, u64, Duration) {
    let peak = Arc::new(AtomicU64::new(rss_kib(pid)));
    let done = Arc::new(AtomicBool::new(false));
    let sampler = tokio::spawn({
        let (peak, done) = (peak.clone(), done.clone());
        async move {
            while !done.load(Ordering::Relaxed) {
                peak.fetch_max(rss_kib(pid), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    });
    let started = Instant::now();
    let out = work.await;
    let wall = started.elapsed();
    done.store(true, Ordering::Relaxed);
    let _ = sampler.await;
    (out, peak.load(Ordering::Relaxed) / 1024, wall)
}

fn tally(statuses: &[String]) -> String {
    let mut counts: std::collections::BTreeMap<&str, usize> = Default::default();
    for s in statuses {
        *counts.entry(s.as_str()).or_default() += 1;
    }
    counts.iter().map(|(k, v)| format!("{v}× {k}")).collect::<Vec<_>>().join(", ")
}

/// A small PNG that decodes to `side`² 16-bit RGBA pixels (8 bytes each).
fn bomb_png(side: u32) -> Vec<u8> {
    use image::{ImageBuffer, Rgba};
    let img: ImageBuffer<Rgba<u16>, Vec<u16>> = ImageBuffer::from_pixel(side, side, Rgba([9000, 20000, 40000, 65535]));
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).expect("encode the PNG");
    out.into_inner()
}

/// Registers an account; its id and access token.
async fn register(client: &Client, base: &str, n: usize) -> (String, String) {
    let r = client
        .post(format!("{base}/api/v1/auth/register"))
        .json(&json!({"email": format!("bench-{n}-{}@example.com", std::process::id()), "password": "violet-teapot-orbit-42", "age_confirmed": true}))
        .send()
        .await
        .expect("register");
    assert_eq!(r.status(), StatusCode::CREATED, "register: {}", r.text().await.unwrap_or_default());
    let v: Value = r.json().await.expect("JSON");
    let token = v["access_token"].as_str().expect("token").to_owned();
    let me: Value = client
        .get(format!("{base}/api/v1/account"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("account")
        .json()
        .await
        .expect("JSON");
    (me["id"].as_str().expect("id").to_owned(), token)
}

/// Credits through the payment provider's signed webhook.
async fn buy_credits(client: &Client, base: &str, user_id: &str, credits: u32) {
    let body = json!({"id": format!("evt_bench_{user_id}"), "type": "credits.purchased", "data": {"user_id": user_id, "credits": credits}}).to_string();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs() as i64;
    let r = client
        .post(format!("{base}/api/v1/billing/webhook"))
        .header("content-type", "application/json")
        .header("Glimvid-Signature", glimvid_auth::webhook::sign(BILLING_SECRET.as_bytes(), now, body.as_bytes()))
        .body(body)
        .send()
        .await
        .expect("billing webhook");
    assert_eq!(r.status(), StatusCode::OK, "purchase: {}", r.text().await.unwrap_or_default());
}

async fn upload(client: &Client, base: &str, token: &str, photos: &[Vec<u8>]) -> String {
    let mut form = multipart::Form::new()
        .text("description", "Handmade ceramic espresso cup, 90 ml")
        .text("options", r#"{"aspect_ratio":"1:1","duration_s":5}"#);
    for (i, p) in photos.iter().enumerate() {
        form = form.part(
            "photos",
            multipart::Part::bytes(p.clone()).file_name(format!("p{i}.png")).mime_str("image/png").expect("mime"),
        );
    }
    match client.post(format!("{base}/api/v1/videos")).bearer_auth(token).multipart(form).send().await {
        Ok(r) => r.status().as_u16().to_string(),
        Err(e) if e.is_timeout() => "timeout".into(),
        Err(_) => "connection closed".into(),
    }
}

#[tokio::main]
async fn main() {
    let n = concurrency();
    let data = tempfile::tempdir().expect("temp dir");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_glimvid"));
    for (k, _) in std::env::vars() {
        if k.starts_with("GLIMVID_") {
            cmd.env_remove(&k);
        }
    }
    cmd.arg("up")
        .env("GLIMVID_DATA_DIR", data.path())
        .env("GLIMVID_HTTP_ADDR", "127.0.0.1:0")
        .env("GLIMVID_GRPC_ADDR", "127.0.0.1:0")
        .env("GLIMVID_BENCH_INSTANT_PROVIDERS", "1")
        // The attacks come from one address here: per-IP limits would stop them before the
        // limits under test, so they are lifted; the per-account ones stay.
        .env("GLIMVID_RATE_LIMIT_LOGIN", "0/1m")
        .env("GLIMVID_RATE_LIMIT_SUBMIT", "0/1m")
        .env("GLIMVID_RATE_LIMIT_REGISTER", "0/1m")
        .env("GLIMVID_TRIALS_PER_IP_PER_DAY", "0")
        .env("GLIMVID_MAX_JOBS_IN_FLIGHT", "0")
        .env("GLIMVID_FREE_TRIALS", "0")
        .env("GLIMVID_BILLING_WEBHOOK_SECRET", BILLING_SECRET)
        .env("RUST_LOG", "error")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true);
    let mut child = cmd.spawn().expect("start glimvid up");
    let pid = child.id().expect("pid");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let (mut base, mut grpc) = (None, None);
    while base.is_none() || grpc.is_none() {
        let line = lines.next_line().await.expect("read").expect("glimvid up exited");
        if let Some(a) = line.strip_prefix("glimvid: REST listening on ") {
            base = Some(a.trim().to_owned());
        }
        if let Some(a) = line.strip_prefix("glimvid: gRPC listening on ") {
            grpc = Some(a.trim().to_owned());
        }
    }
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    let (base, grpc) = (base.expect("REST"), grpc.expect("gRPC"));
    let client = Client::builder().no_proxy().timeout(Duration::from_secs(120)).build().expect("client");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let idle = rss_kib(pid) / 1024;
    let mut rows: Vec<(String, String, Duration, u64)> = Vec::new();

    // 1. Logins with random emails: each costs a password hash (128 MiB of scrypt memory).
    let (statuses, peak, wall) = peak_during(pid, async {
        let tasks: Vec<_> = (0..n)
            .map(|i| {
                let (client, base) = (client.clone(), base.clone());
                tokio::spawn(async move {
                    let r = client
                        .post(format!("{base}/api/v1/auth/login"))
                        .json(&json!({"email": format!("nobody-{i}@example.com"), "password": format!("guess-{i}-xxxxxxxx")}))
                        .send()
                        .await;
                    r.map(|r| r.status().as_u16().to_string()).unwrap_or_else(|_| "error".into())
                })
            })
            .collect();
        futures_join(tasks).await
    })
    .await;
    rows.push((format!("{n} logins, random emails"), tally(&statuses), wall, peak));

    // 2. Uploads of 6 × 15 MB by an account with no credits (and no trials): refused before the
    // body is read; then the same with a token that is not one.
    let (_, broke) = register(&client, &base, 1).await;
    let big = vec![0x89u8; 15 * 1024 * 1024];
    for (label, token) in [("no credits", broke.as_str()), ("bad token", "not-a-token")] {
        let (statuses, peak, wall) = peak_during(pid, async {
            let tasks: Vec<_> = (0..n)
                .map(|_| {
                    let (client, base, big, token) = (client.clone(), base.clone(), big.clone(), token.to_owned());
                    tokio::spawn(async move { upload(&client, &base, &token, &vec![big; 6]).await })
                })
                .collect();
            futures_join(tasks).await
        })
        .await;
        rows.push((format!("{n} uploads of 6 × 15 MB, {label}"), tally(&statuses), wall, peak));
    }

    // 3. Decompression bombs by an account that may submit: 6 photos each decoding to 128 MiB.
    let (id, token) = register(&client, &base, 2).await;
    buy_credits(&client, &base, &id, 1000).await;
    let bomb = bomb_png(4000);
    let (statuses, peak, wall) = peak_during(pid, async {
        let tasks: Vec<_> = (0..n.min(20))
            .map(|_| {
                let (client, base, bomb, token) = (client.clone(), base.clone(), bomb.clone(), token.clone());
                tokio::spawn(async move { upload(&client, &base, &token, &vec![bomb; 6]).await })
            })
            .collect();
        futures_join(tasks).await
    })
    .await;
    rows.push((
        format!("{} uploads of 6 PNG bombs ({} KB → 128 MiB each)", n.min(20), bomb.len() / 1024),
        tally(&statuses),
        wall,
        peak,
    ));

    // 4. 20 MB gRPC job creations without an API key.
    let photo = vec![0xffu8; 20 * 1024 * 1024];
    let (statuses, peak, wall) = peak_during(pid, async {
        let tasks: Vec<_> = (0..n)
            .map(|_| {
                let (grpc, photo) = (grpc.clone(), photo.clone());
                tokio::spawn(async move {
                    let Ok(ch) = tonic::transport::Channel::from_shared(grpc).expect("URL").connect().await else {
                        return "connect failed".to_owned();
                    };
                    let mut c = VideoJobServiceClient::new(ch).max_encoding_message_size(64 * 1024 * 1024);
                    let req = pb::CreateVideoJobRequest {
                        photos: vec![pb::Photo { source: Some(pb::photo::Source::Data(photo)) }],
                        description: "x".into(),
                        options: None,
                        idempotency_key: String::new(),
                    };
                    match c.create_video_job(req).await {
                        Ok(_) => "OK".into(),
                        Err(s) => format!("{:?}", s.code()),
                    }
                })
            })
            .collect();
        futures_join(tasks).await
    })
    .await;
    rows.push((format!("{n} gRPC CreateVideoJob of 20 MB, no key"), tally(&statuses), wall, peak));

    println!();
    println!("attack benchmark: glimvid up at default limits, {n} requests at once per phase; idle RSS {idle} MiB");
    println!("| phase | answers | wall s | peak RSS MiB | documented worst case MiB |");
    println!("|---|---|---:|---:|---:|");
    for (name, answers, wall, peak) in rows {
        println!("| {name} | {answers} | {:.2} | {peak} | {DOCUMENTED_MIB} |", wall.as_secs_f64());
    }
    drop(child);
}

async fn futures_join(tasks: Vec<tokio::task::JoinHandle<String>>) -> Vec<String> {
    let mut out = Vec::with_capacity(tasks.len());
    for t in tasks {
        out.push(t.await.unwrap_or_else(|_| "panicked".into()));
    }
    out
}
