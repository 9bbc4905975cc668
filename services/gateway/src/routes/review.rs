//! Review before paying: `PUT /api/v1/videos/{id}/script` replaces the script of a job awaiting
//! review, `POST /api/v1/videos/{id}/render` sends it on to render (and pays for it).

use actix_web::{HttpRequest, HttpResponse, http::header, web};
use glimvid_domain::{DomainError, ErrorCode};

use crate::{
    client_ip::ClientIp,
    error::{ApiError, ApiResult},
    extract::AuthUser,
    review,
    state::SharedState,
    view::job_json,
};

/// The review routes, relative to `/api/v1`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/videos/{id}/script", web::put().to(put_script)).route("/videos/{id}/render", web::post().to(render));
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
pub async fn render(
    state: web::Data<SharedState>,
    user: AuthUser,
    ip: ClientIp,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let v = match review::request_render(&state, user.user_id, &id, ip.0).await {
        Ok(v) => v,
        Err(e) if e.0.code == ErrorCode::RateLimited => {
            return Ok(crate::limits::in_flight_response(&e, state.settings.accounts.max_jobs_in_flight));
        }
        Err(e) => return Err(e),
    };
    Ok(HttpResponse::Accepted()
        .insert_header((header::LOCATION, format!("/api/v1/videos/{}", v.job.id)))
        .json(job_json(&state, &v)))
}
