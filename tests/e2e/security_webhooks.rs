//! Webhooks cannot be turned into a probe of the network Glimvid runs in: a receiver must be a
//! public address, at registration (REST 422, gRPC `INVALID_ARGUMENT`, nothing created) and again
//! at every delivery (a receiver allowed once and not any more gets nothing); a delivery that got
//! no HTTP answer says so in one generic message, so a closed port and an open one look alike;
//! the signing secrets are sealed in the database.

use std::time::{Duration, Instant};

use glimvid_proto::jobs::v1::{self as pb, video_job_service_client::VideoJobServiceClient};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tonic::{Code, Request};

use crate::helpers::{TestApp, assert_problem, photo, spawn_app, spawn_app_with};

/// What the deliveries list says of an attempt without an HTTP answer, whatever the cause.
const DELIVERY_FAILED: &str = "delivery failed";

/// Addresses of the network around the server, spelled every way a URL parser accepts.
const INTERNAL: &[&str] = &[
    "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
    "http://[fd00:ec2::254]/latest/meta-data/",
    "http://metadata.google.internal/computeMetadata/v1/",
    "http://10.0.0.1/",
    "http://172.16.5.4:8080/",
    "http://192.168.1.1/",
    "http://100.64.0.1/",
    "http://127.0.0.1:5432/",
    "http://localhost:5432/",
    "http://[::1]:15672/",
    "http://[::ffff:127.0.0.1]:6379/",
    "http://[::ffff:a00:1]/",
    "http://[64:ff9b::a9fe:a9fe]/",
    "http://[2002:a9fe:a9fe::1]/",
    "http://[fe80::1]/",
    "http://0.0.0.0:8080/",
    "http://0x7f000001/",
    "http://2130706433/",
    "http://127.1/",
    "http://224.0.0.1/",
];

async fn post_hook(app: &TestApp, token: &str, url: &str) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/webhooks"))
        .bearer_auth(token)
        .json(&json!({"url": url}))
        .send()
        .await
        .expect("POST")
}

async fn hooks(app: &TestApp, token: &str) -> Vec<Value> {
    let listed: Value = app.get("/api/v1/webhooks", Some(token)).await.json().await.expect("list JSON");
    listed["items"].as_array().expect("items").clone()
}

#[tokio::test]
async fn internal_addresses_are_refused_at_registration_on_rest_and_grpc() {
    let app = spawn_app().await;
    let user = app.register_user().await;
    let t = &user.access_token;
    for url in INTERNAL {
        let p = assert_problem(post_hook(&app, t, url).await, 422, url).await;
        let detail = p["detail"].as_str().unwrap_or_default();
        assert!(detail.contains("only public addresses are allowed"), "{url}: {p:#}");
    }
    assert!(hooks(&app, t).await.is_empty(), "a refused webhook was created");

    // The same rule over gRPC.
    let key = crate::partner_grpc::api_key(&app, t, &["videos:read", "videos:write"]).await;
    let mut c = VideoJobServiceClient::connect(app.grpc_address.clone()).await.expect("gRPC connect");
    for url in ["http://169.254.169.254/", "http://[::1]:5672/", "http://localhost:6379/"] {
        let mut req = Request::new(pb::CreateWebhookRequest { url: url.into() });
        req.metadata_mut().insert("authorization", format!("Bearer {key}").parse().expect("header"));
        let e = c.create_webhook(req).await.unwrap_err();
        assert_eq!(e.code(), Code::InvalidArgument, "{url}: {e:?}");
        assert!(e.message().contains("only public addresses"), "{url}: {e:?}");
    }
    assert!(hooks(&app, t).await.is_empty());
}

/// A TCP port that accepts connections and closes them without a word (an open port of some
/// service that does not speak HTTP).
async fn silent_port() -> u16 {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = l.local_addr().expect("addr").port();
    tokio::spawn(async move {
        while let Ok((s, _)) = l.accept().await {
            drop(s);
        }
    });
    port
}

/// A port nothing listens on.
fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

/// Waits until every webhook of `ids` has a delivery with at least one attempt; returns those.
async fn attempted(app: &TestApp, token: &str, ids: &[String]) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(60);
    'poll: loop {
        assert!(Instant::now() < deadline, "no attempt on every webhook within a minute");
        let mut all = Vec::new();
        for id in ids {
            let page: Value = app
                .get(&format!("/api/v1/webhooks/{id}/deliveries?limit=100"), Some(token))
                .await
                .json()
                .await
                .expect("deliveries JSON");
            let tried: Vec<Value> = page["items"]
                .as_array()
                .expect("items")
                .iter()
                .filter(|d| d["attempts"].as_i64() >= Some(1))
                .cloned()
                .collect();
            if tried.is_empty() {
                tokio::time::sleep(Duration::from_millis(300)).await;
                continue 'poll;
            }
            all.extend(tried);
        }
        return all;
    }
}

#[tokio::test]
async fn deliveries_check_the_address_again_and_do_not_tell_ports_apart() {
    // Loopback allowed, as for a developer's local receiver.
    let mut app = spawn_app_with(&[
        ("GLIMVID_WEBHOOK_ALLOWED_NETWORKS", "127.0.0.0/8"),
        ("GLIMVID_WEBHOOK_RETRY_BASE_S", "1"),
        ("GLIMVID_WEBHOOK_TIMEOUT_S", "2"),
    ])
    .await;
    let user = app.register_user().await;
    let t = user.access_token.clone();

    // An open port that is not HTTP and a closed one: the list must not tell them apart.
    let (open, closed) = (silent_port().await, closed_port());
    let mut ids = Vec::new();
    for port in [open, closed] {
        let r = post_hook(&app, &t, &format!("http://127.0.0.1:{port}/hook")).await;
        assert_eq!(r.status(), StatusCode::CREATED, "allowed loopback receiver");
        let hook: Value = r.json().await.expect("hook JSON");
        ids.push(hook["id"].as_str().expect("id").to_owned());
    }
    app.submit(&t, &[photo("rocket.jpg")], "A ceramic coffee mug", &json!({"duration_s": 6})).await;
    let tried = attempted(&app, &t, &ids).await;
    for d in &tried {
        assert_ne!(d["status"], "delivered", "{d:#}");
        assert_eq!(d["last_status_code"], Value::Null, "{d:#}");
        assert_eq!(d["last_error"], DELIVERY_FAILED, "the list tells causes apart: {d:#}");
    }

    // Secrets are sealed in the database: no `whsec_` in the clear.
    {
        let url = format!("sqlite://{}?mode=rw", app.data_dir().join("glimvid.db").display());
        let db = glimvid_db::Db::connect(&url).await.expect("open the SQLite database");
        let secrets = glimvid_db::repo::webhooks::secrets(&db).await.expect("read secrets");
        assert_eq!(secrets.len(), 2);
        for (_, s) in secrets {
            assert!(s.starts_with("sealed.v1.") && !s.contains("whsec_"), "a secret in the clear: {s}");
        }
    }

    // A receiver that was allowed and is not any more (the operator removed the exception, or a
    // name now resolves elsewhere) gets nothing: the rule holds when connecting, not only when
    // registering.
    let received = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = l.local_addr().expect("addr").port();
    tokio::spawn({
        let received = received.clone();
        async move {
            while let Ok((s, _)) = l.accept().await {
                received.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                drop(s);
            }
        }
    });
    let r = post_hook(&app, &t, &format!("http://127.0.0.1:{port}/hook")).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let late: Value = r.json().await.expect("hook JSON");
    let late_id = late["id"].as_str().expect("id").to_owned();
    app.set_env("GLIMVID_WEBHOOK_ALLOWED_NETWORKS", None);
    app.kill_and_restart().await;
    app.submit(&t, &[photo("rocket.jpg")], "A ceramic coffee mug, again", &json!({"duration_s": 6})).await;
    let tried = attempted(&app, &t, std::slice::from_ref(&late_id)).await;
    assert!(tried.iter().all(|d| d["last_error"] == DELIVERY_FAILED), "{tried:#?}");
    assert_eq!(received.load(std::sync::atomic::Ordering::SeqCst), 0, "a refused receiver was connected to");
}
