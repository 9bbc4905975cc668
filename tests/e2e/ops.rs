//! Operations endpoints and request ids.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{assert_problem, request_id, spawn_app};

#[tokio::test]
async fn request_ids_are_echoed_or_generated() {
    let app = spawn_app().await;
    let r = app.client.get(app.url("/healthz")).header("x-request-id", "e2e-trace_42").send().await.expect("GET");
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(request_id(r.headers()), "e2e-trace_42");

    // Errors quote the same id in their body.
    let r =
        app.client.get(app.url("/api/v1/account")).header("x-request-id", "e2e-trace-43").send().await.expect("GET");
    let p = assert_problem(r, 401, "no token").await;
    assert_eq!(p["request_id"], "e2e-trace-43");

    // Without one (or with one that is not safe to log), the server makes one up.
    let a = request_id(app.get("/healthz", None).await.headers());
    let b = request_id(app.get("/healthz", None).await.headers());
    assert!(!a.is_empty() && a != b, "generated ids must be unique: {a} {b}");
    let r =
        app.client.get(app.url("/healthz")).header("x-request-id", "bad id\twith spaces").send().await.expect("GET");
    let c = request_id(r.headers());
    assert!(!c.is_empty() && !c.contains(' '), "an unsafe id must be replaced: {c:?}");
}

#[tokio::test]
async fn health_readiness_and_metrics() {
    let app = spawn_app().await;
    assert_eq!(app.get("/healthz", None).await.status(), StatusCode::OK);
    let r = app.get("/readyz", None).await;
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.expect("readyz JSON");
    assert_eq!(body["status"], "ok", "{body}");
    // Metrics are for operators: not on the public REST port, on the operations address.
    let r = app.get("/metrics", None).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND, "/metrics must not be served on the public port");
    let host = app.ops_address.trim_start_matches("http://").rsplit_once(':').expect("host:port").0;
    assert_eq!(host, "127.0.0.1", "the operations address is loopback by default");
    let ops = |path: &str| app.client.get(format!("{}{path}", app.ops_address)).send();
    assert_eq!(ops("/healthz").await.expect("GET ops healthz").status(), StatusCode::OK);
    let r = ops("/readyz").await.expect("GET ops readyz");
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.expect("ops readyz JSON");
    assert_eq!(body["checks"]["auth"], true, "{body}");
    // A request or two to count, then the counter is there.
    let _ = app.get("/api/v1/nope", None).await;
    let r = ops("/metrics").await.expect("GET ops metrics");
    assert_eq!(r.status(), StatusCode::OK);
    let text = r.text().await.expect("metrics text");
    assert!(text.contains("glimvid_http_requests_total"), "no request counter in /metrics:\n{text}");
    assert!(
        text.lines().any(|l| l.starts_with("glimvid_http_requests_total{") && l.contains("404")),
        "the 404 was not counted:\n{text}"
    );
}
