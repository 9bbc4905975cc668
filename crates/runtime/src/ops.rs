//! The operations endpoints of a process that has no REST API of its own (the stage workers):
//! `/healthz` (alive), `/readyz` (dependencies reachable), `/metrics` (Prometheus).

use std::{future::Future, pin::Pin, sync::Arc};

use actix_web::{App, HttpResponse, HttpServer, web};

use crate::Shutdown;

/// Answers whether the process's dependencies are reachable, with a name per check.
pub type ReadinessCheck =
    Arc<dyn Fn() -> Pin<Box<dyn Future<Output = Vec<(&'static str, bool)>> + Send>> + Send + Sync>;

/// Serves the endpoints on `listener` until shutdown.
/// With `tls` (serving a certificate), the endpoints answer over HTTPS only.
pub async fn serve(
    listener: std::net::TcpListener,
    ready: ReadinessCheck,
    tls: Option<&crate::TlsSettings>,
    shutdown: Shutdown,
) -> std::io::Result<()> {
    let metrics = crate::telemetry::metrics();
    let server = HttpServer::new(move || {
        let ready = ready.clone();
        let metrics = metrics.clone();
        App::new()
            .route("/healthz", web::get().to(|| async { HttpResponse::Ok().json(serde_json::json!({"status": "ok"})) }))
            .route(
                "/readyz",
                web::get().to(move || {
                    let ready = ready.clone();
                    async move {
                        let checks = ready().await;
                        let ok = checks.iter().all(|(_, ok)| *ok);
                        let body = serde_json::json!({
                            "status": if ok { "ok" } else { "unavailable" },
                            "checks": checks.into_iter().collect::<std::collections::BTreeMap<_, _>>(),
                        });
                        if ok { HttpResponse::Ok().json(body) } else { HttpResponse::ServiceUnavailable().json(body) }
                    }
                }),
            )
            .route(
                "/metrics",
                web::get().to(move || {
                    let m = metrics.clone();
                    async move { HttpResponse::Ok().content_type("text/plain; version=0.0.4").body(m.render()) }
                }),
            )
    })
    .workers(1)
    .disable_signals()
    .shutdown_timeout(5);
    let server = match tls.filter(|t| t.serves()) {
        Some(t) => server.listen_rustls_0_23(listener, t.server_config().map_err(std::io::Error::other)?)?,
        None => server.listen(listener)?,
    }
    .run();
    let handle = server.handle();
    tokio::spawn(async move {
        shutdown.wait().await;
        handle.stop(true).await;
    });
    server.await
}
