//! Liveness and readiness on the REST port (metrics are on the operations address: `crate::ops`).

use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::state::SharedState;

/// Liveness.
#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok`.
    status: &'static str,
}

/// Readiness, with each dependency's state.
#[derive(Serialize, ToSchema)]
pub struct Readiness {
    /// `ok` or `unavailable`.
    status: &'static str,
    checks: ReadinessChecks,
}

/// Whether each dependency answered.
#[derive(Serialize, ToSchema)]
pub struct ReadinessChecks {
    database: bool,
    queue: bool,
    object_store: bool,
    auth: bool,
}

/// Alive (the process answers).
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "ops",
    operation_id = "healthz",
    responses((status = 200, description = "The process answers", body = Health)),
)]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok" })
}

/// Ready when every dependency answers: database, queue, object store, auth service.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "ops",
    operation_id = "readyz",
    responses(
        (status = 200, description = "Every dependency answers", body = Readiness),
        (status = 503, description = "A dependency does not answer", body = Readiness),
    ),
)]
pub async fn readyz(state: web::Data<SharedState>) -> HttpResponse {
    let b = &state.backends;
    let db = b.db.ping().await.is_ok();
    let queue = b.queue.ping().await.is_ok();
    let blob = b.blob.ping().await.is_ok();
    let auth = state.refresh_keys().await.is_ok();
    let ok = db && queue && blob && auth;
    let body = Readiness {
        status: if ok { "ok" } else { "unavailable" },
        checks: ReadinessChecks { database: db, queue, object_store: blob, auth },
    };
    if ok { HttpResponse::Ok().json(body) } else { HttpResponse::ServiceUnavailable().json(body) }
}
