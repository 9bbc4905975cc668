//! Review before paying: `PUT /api/v1/videos/{id}/script` replaces the script of a job awaiting
//! review, `POST /api/v1/videos/{id}/render` sends it on to render (and pays for it).

use actix_web::{HttpRequest, HttpResponse, http::header, web};
use glimvid_domain::{DomainError, ErrorCode};

use crate::rest::responses::{JsonBody, NeedsToken};
use crate::{
    application::{
        review,
        view::{JobJson, ScriptSchema, job_json},
    },
    rest::{
        client_ip::ClientIp,
        error::{ApiError, ApiResult, Problem},
        extract::AuthUser,
        openapi::op,
    },
    state::SharedState,
};

/// The review routes, relative to `/api/v1`.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(op(__path_put_script, put_script)).service(op(__path_render, render));
}

/// A JSON body, or one without a declared type; anything else is 415.
fn is_json(req: &HttpRequest) -> bool {
    match req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) {
        None => true,
        Some(ct) => {
            let mime = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
            mime == "application/json" || mime.ends_with("+json")
        }
    }
}

/// The job's new script (`title`, `hook`, `scenes` of `caption`, `voiceover`, `photo_index`,
/// `call_to_action`) → 200 the job; 409 unless the job is awaiting review; 422 a script the
/// renderer could not use.
#[utoipa::path(
    put,
    path = "/videos/{id}/script",
    tag = "videos",
    operation_id = "replaceScript",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The job's id")),
    request_body(content = ScriptSchema, content_type = "application/json"),
    responses(
        (status = 200, description = "The job, with the new script", body = JobJson),
        JsonBody,
        NeedsToken,
        (status = 404, description = "No such job of yours", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The job is not awaiting review", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A script the renderer cannot use", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn put_script(
    state: web::Data<SharedState>,
    user: AuthUser,
    id: web::Path<String>,
    req: HttpRequest,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    if !is_json(&req) {
        return Err(ApiError(DomainError::new(
            ErrorCode::UnsupportedMediaType,
            "send the script as JSON (Content-Type: application/json)",
        )));
    }
    let v = review::replace_script(&state, user.user_id, &id, &body).await?;
    Ok(HttpResponse::Ok().json(job_json(&state, &v)))
}

/// Starts the render of a job awaiting review and pays for it → 202 the job; 402 no credits and
/// 429 too many jobs in flight (the job stays awaiting review); 409 unless it is awaiting review.
#[utoipa::path(
    post,
    path = "/videos/{id}/render",
    tag = "videos",
    operation_id = "renderVideo",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The job's id")),
    responses(
        (status = 202, description = "Paid for and queued for render: the job", body = JobJson,
            headers(("Location" = String, description = "The job's URL"))),
        NeedsToken,
        (status = 402, description = "No credits and no free trials left; the job stays awaiting review", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such job of yours", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The job is not awaiting review", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many jobs in flight; the job stays awaiting review", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"), ("RateLimit-Limit" = u64), ("RateLimit-Remaining" = u64), ("RateLimit-Reset" = u64))),
    ),
)]
pub async fn render(
    state: web::Data<SharedState>,
    user: AuthUser,
    ip: ClientIp,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let v = match review::request_render(&state, user.user_id, &id, ip.0).await {
        Ok(v) => v,
        Err(e) if e.0.code == ErrorCode::RateLimited => {
            return Ok(crate::rest::rate_limit::in_flight_response(&e.0, state.settings.accounts.max_jobs_in_flight));
        }
        Err(e) => return Err(e.into()),
    };
    Ok(HttpResponse::Accepted()
        .insert_header((header::LOCATION, format!("/api/v1/videos/{}", v.job.id)))
        .json(job_json(&state, &v)))
}
