//! Liveness, readiness and metrics.

use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::state::SharedState;

pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

/// Ready when every dependency answers: database, queue, object store, auth service.
pub async fn readyz(state: web::Data<SharedState>) -> HttpResponse {
    let b = &state.backends;
    let db = b.db.ping().await.is_ok();
    let queue = b.queue.ping().await.is_ok();
    let blob = b.blob.ping().await.is_ok();
    let auth = state.refresh_keys().await.is_ok();
    let ok = db && queue && blob && auth;
    let body = json!({
        "status": if ok { "ok" } else { "unavailable" },
        "checks": {"database": db, "queue": queue, "object_store": blob, "auth": auth},
    });
    if ok { HttpResponse::Ok().json(body) } else { HttpResponse::ServiceUnavailable().json(body) }
}

pub async fn metrics(state: web::Data<SharedState>) -> HttpResponse {
    for stage in glimvid_domain::Stage::ALL {
        if let Ok(d) = state.backends.queue.depth(stage.queue()).await {
            metrics::gauge!("glimvid_queue_depth", "queue" => stage.queue()).set(d as f64);
        }
    }
    HttpResponse::Ok().content_type("text/plain; version=0.0.4").body(state.metrics.render())
}
