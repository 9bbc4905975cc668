//! Video jobs: submission (multipart), listing, one job, its events (SSE), cancel, delete, and
//! the job's own files for its owner.

use std::{cell::Cell, rc::Rc};

use actix_multipart::Multipart;
use actix_web::{HttpRequest, HttpResponse, error::PayloadError, http::header, web};
use bytes::{Bytes, BytesMut};
use futures::{StreamExt, TryStreamExt};
use glimvid_domain::{DomainError, ErrorCode};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::rest::responses::NeedsToken;
use crate::{
    application::{
        follow::Followed,
        spool::SpoolError,
        videos::{self, Created, PhotoData, Submission},
        view::{JobJson, event_json, job_json},
    },
    rest::{
        error::{ApiError, ApiResult, Problem, bad_request},
        extract::AuthUser,
    },
    state::SharedState,
};

/// The multipart form of `POST /api/v1/videos` (read field by field in [`read_submission`]).
#[derive(ToSchema)]
#[schema(as = Submission)]
#[allow(dead_code)]
pub struct SubmissionForm {
    /// 1 to 6 photos (JPEG, PNG or WebP; checked by content, not by name), each a `photos` part.
    #[schema(value_type = Vec<String>, format = Binary)]
    photos: Vec<Vec<u8>>,
    /// What the product is and what the video should say.
    description: String,
    /// JSON: `aspect_ratio` (`9:16`, `16:9` or `1:1`), `duration_s`, `language`, `style`, and `review`
    /// (`true`: the job waits in `awaiting_review` for the owner to edit the script and ask for
    /// the render); all optional.
    options: Option<String>,
}

/// A page of the user's jobs, newest first.
#[derive(Serialize, ToSchema)]
#[schema(as = JobList)]
pub struct JobListJson {
    items: Vec<JobJson>,
    /// Pass as `cursor` for the next page; `null` on the last one.
    next_cursor: Option<String>,
}

const MAX_TEXT_FIELD: usize = 16 * 1024;

fn too_large(what: &str) -> ApiError {
    ApiError(DomainError::invalid("photos", what).with_code(ErrorCode::PayloadTooLarge))
}

fn body_too_large(cap: u64) -> ApiError {
    ApiError(DomainError::new(
        ErrorCode::PayloadTooLarge,
        format!("the upload is larger than the {} the server accepts", mebibytes(cap)),
    ))
}

fn mebibytes(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

fn spool_error(e: SpoolError) -> ApiError {
    match e {
        SpoolError::Full => ApiError(DomainError::new(
            ErrorCode::Unavailable,
            "the server is busy receiving other uploads; try again in a few seconds",
        )),
        SpoolError::Io(e) => {
            tracing::error!(error = %e, "an upload could not be spooled");
            ApiError(DomainError::new(ErrorCode::Internal, "the upload could not be received"))
        }
    }
}

/// The request body, cut off past `cap` bytes: a chunked body (no `Content-Length`) that runs
/// on is refused at the cap. `over` tells the reader why the stream ended.
fn capped(
    payload: web::Payload,
    cap: u64,
    over: Rc<Cell<bool>>,
) -> impl futures::Stream<Item = Result<Bytes, PayloadError>> + 'static {
    let mut total = 0u64;
    payload.map(move |chunk| {
        let chunk = chunk?;
        total += chunk.len() as u64;
        if total > cap {
            over.set(true);
            return Err(PayloadError::Overflow);
        }
        Ok(chunk)
    })
}

/// Reads the multipart body with a bound on every field and on the number of parts: photos go
/// to spool files chunk by chunk, text fields into small buffers, so a request holds a chunk of
/// its photos in memory, never the photos.
async fn read_submission(
    state: &SharedState,
    mut form: Multipart,
    key: Option<String>,
    over_cap: Rc<Cell<bool>>,
) -> ApiResult<Submission> {
    let s = &state.settings;
    let cap = s.max_upload_bytes();
    let body_error = |e: &dyn std::fmt::Display| {
        if over_cap.get() {
            body_too_large(cap)
        } else {
            bad_request(format!("the multipart body could not be read: {e}"))
        }
    };
    let mut sub =
        Submission { photos: Vec::new(), description: String::new(), options: String::new(), idempotency_key: key };
    let mut saw_description = false;
    let mut parts = 0usize;
    while let Some(mut field) = form.try_next().await.map_err(|e| body_error(&e))? {
        parts += 1;
        if parts > s.max_upload_parts() {
            return Err(ApiError(DomainError::new(
                ErrorCode::PayloadTooLarge,
                format!(
                    "the form has more than {} parts; send at most {} photos, one description and one options part",
                    s.max_upload_parts(),
                    s.max_photos
                ),
            )));
        }
        let name = field.content_disposition().and_then(|cd| cd.get_name()).unwrap_or("").to_owned();
        match name.as_str() {
            "photos" | "photos[]" | "photo" => {
                if sub.photos.len() >= s.max_photos {
                    return Err(
                        DomainError::invalid("photos", format!("at most {} photos per video", s.max_photos)).into()
                    );
                }
                let mut spooled = state.spool.create().await.map_err(spool_error)?;
                while let Some(chunk) = field.next().await {
                    let chunk = chunk.map_err(|e| body_error(&e))?;
                    if spooled.len() + chunk.len() as u64 > s.max_photo_bytes {
                        return Err(too_large(&format!(
                            "a photo is larger than {} MB",
                            s.max_photo_bytes / (1024 * 1024)
                        )));
                    }
                    spooled.write(&chunk).await.map_err(spool_error)?;
                }
                sub.photos.push(PhotoData::Spooled(spooled.finish().await.map_err(spool_error)?));
            }
            "description" | "options" => {
                let mut buf = BytesMut::new();
                while let Some(chunk) = field.next().await {
                    let chunk = chunk.map_err(|e| body_error(&e))?;
                    if buf.len() + chunk.len() > MAX_TEXT_FIELD {
                        return Err(DomainError::invalid(&name, format!("{name} is too long")).into());
                    }
                    buf.extend_from_slice(&chunk);
                }
                let text = String::from_utf8(buf.to_vec());
                if name == "description" {
                    sub.description =
                        text.map_err(|_| DomainError::invalid("description", "description must be UTF-8 text"))?;
                    saw_description = true;
                } else {
                    sub.options = text.map_err(|_| DomainError::invalid("options", "options must be UTF-8 JSON"))?;
                }
            }
            other => return Err(DomainError::invalid(other, format!("unknown form field `{other}`")).into()),
        }
    }
    if !saw_description {
        return Err(DomainError::invalid("description", "description is required").into());
    }
    Ok(sub)
}

/// Submits photos and a description; the job runs in the background (follow it with `GET` or
/// its events). The same `Idempotency-Key` replays the first answer.
#[utoipa::path(
    post,
    path = "/videos",
    tag = "videos",
    operation_id = "createVideo",
    security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header,
        description = "Any visible-ASCII key: a retry with the same key and the same form replays the first answer; with another form it is 422")),
    request_body(content = SubmissionForm, content_type = "multipart/form-data"),
    responses(
        (status = 202, description = "Accepted: the job, as `GET /api/v1/videos/{id}` returns it", body = JobJson,
            headers(("Location" = String, description = "The job's URL"),
                ("Idempotent-Replayed" = String, description = "`true` when this answers an earlier request with the same key"),
                ("RateLimit-Limit" = u64), ("RateLimit-Remaining" = u64), ("RateLimit-Reset" = u64), ("RateLimit-Policy" = String))),
        (status = 400, description = "The multipart body cannot be read", body = Problem, content_type = "application/problem+json"),
        NeedsToken,
        (status = 402, description = "No credits and no free trials left", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "A photo is too large, the body is larger than `GLIMVID_MAX_UPLOAD_BYTES` (refused from its `Content-Length` before it is read), or the form has too many parts", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not `multipart/form-data`, or a file is not a JPEG, PNG or WebP image", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad options, description or photo count, or a reused key with another form", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many submissions from this address, or too many jobs in flight", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"),
                ("RateLimit-Limit" = u64), ("RateLimit-Remaining" = u64), ("RateLimit-Reset" = u64), ("RateLimit-Policy" = String))),
        (status = 503, description = "The server is busy receiving or decoding other uploads", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    ),
)]
pub async fn create(
    state: web::Data<SharedState>,
    user: AuthUser,
    ip: crate::rest::client_ip::ClientIp,
    req: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let ct = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !ct.to_ascii_lowercase().starts_with("multipart/form-data") {
        return Err(ApiError(DomainError::new(
            ErrorCode::UnsupportedMediaType,
            "send the photos as multipart/form-data with fields photos, description and options",
        )));
    }
    let key = req
        .headers()
        .get("idempotency-key")
        .map(|v| v.to_str().map(str::to_owned))
        .transpose()
        .map_err(|_| ApiError(DomainError::invalid("Idempotency-Key", "the key must be visible ASCII")))?;
    // Before a byte is read: a body announced larger than the cap is refused from its header.
    let cap = state.settings.max_upload_bytes();
    let announced = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if announced.is_some_and(|len| len > cap) {
        return Err(body_too_large(cap));
    }
    // Before a byte of the photos is read: an account that could not pay, or has too many jobs
    // in flight, is answered at once (the job's own transaction checks again).
    match videos::precheck(&state, user.user_id, ip.0).await {
        Err(e) if e.0.code == ErrorCode::RateLimited => {
            return Ok(crate::rest::rate_limit::in_flight_response(&e.0, state.settings.accounts.max_jobs_in_flight));
        }
        other => other?,
    }
    let over_cap = Rc::new(Cell::new(false));
    let form = Multipart::new(req.headers(), capped(payload, cap, over_cap.clone()));
    let sub = read_submission(&state, form, key, over_cap).await?;
    let (view, replayed) = match videos::create_from(&state, user.user_id, sub, ip.0).await {
        Ok(Created::New(v)) => (v, false),
        Ok(Created::Replayed(v)) => (v, true),
        Err(e)
            if e.0.code == ErrorCode::RateLimited && e.0.field.as_deref() == Some(videos::REVIEW_ALLOWANCE_FIELD) =>
        {
            let now_s = glimvid_db::now_ms() / 1000;
            let until_midnight = (86_400 - now_s.rem_euclid(86_400)).max(1);
            let mut resp = actix_web::ResponseError::error_response(&ApiError::from(e));
            resp.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from(until_midnight));
            return Ok(resp);
        }
        Err(e) if e.0.code == ErrorCode::RateLimited => {
            return Ok(crate::rest::rate_limit::in_flight_response(&e.0, state.settings.accounts.max_jobs_in_flight));
        }
        Err(e) => return Err(e.into()),
    };
    let body = job_json(&state, &view);
    Ok(HttpResponse::Accepted()
        .insert_header((header::LOCATION, format!("/api/v1/videos/{}", view.job.id)))
        .insert_header(("Idempotent-Replayed", if replayed { "true" } else { "false" }))
        .json(body))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
    /// Jobs per page, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u64>,
}

/// The user's jobs, newest first.
#[utoipa::path(
    get,
    path = "/videos",
    tag = "videos",
    operation_id = "listVideos",
    security(("bearer" = [])),
    params(ListQuery),
    responses(
        (status = 200, description = "A page of jobs", body = JobListJson),
        NeedsToken,
        (status = 422, description = "A bad `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn list(state: web::Data<SharedState>, user: AuthUser, q: web::Query<ListQuery>) -> ApiResult<HttpResponse> {
    let (views, next_cursor) = videos::page(
        &state,
        user.user_id,
        q.cursor.as_deref(),
        q.limit.unwrap_or(crate::application::page::DEFAULT_SIZE),
    )
    .await?;
    let items = views.iter().map(|v| job_json(&state, v)).collect();
    Ok(HttpResponse::Ok().json(JobListJson { items, next_cursor }))
}

/// The job: its status, stages, script, files and, once rendered, its public URL.
#[utoipa::path(
    get,
    path = "/videos/{id}",
    tag = "videos",
    operation_id = "getVideo",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The job's id")),
    responses(
        (status = 200, description = "The job", body = JobJson),
        NeedsToken,
        (status = 404, description = "No such job of this user", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn get(state: web::Data<SharedState>, user: AuthUser, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let v = videos::get(&state, user.user_id, &id).await?;
    Ok(HttpResponse::Ok().json(job_json(&state, &v)))
}

/// Cancels a running job and gives its credits back.
#[utoipa::path(
    post,
    path = "/videos/{id}/cancel",
    tag = "videos",
    operation_id = "cancelVideo",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The job's id")),
    responses(
        (status = 200, description = "The canceled job", body = JobJson),
        NeedsToken,
        (status = 404, description = "No such job of this user", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The job has already ended", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn cancel(state: web::Data<SharedState>, user: AuthUser, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let v = videos::cancel(&state, user.user_id, &id).await?;
    Ok(HttpResponse::Ok().json(job_json(&state, &v)))
}

/// Deletes the job and all its files; its public link answers 404 at once.
#[utoipa::path(
    delete,
    path = "/videos/{id}",
    tag = "videos",
    operation_id = "deleteVideo",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The job's id")),
    responses(
        (status = 204, description = "Deleted"),
        NeedsToken,
        (status = 404, description = "No such job of this user", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn delete(state: web::Data<SharedState>, user: AuthUser, id: web::Path<String>) -> ApiResult<HttpResponse> {
    videos::delete(&state, user.user_id, &id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The job's own files (originals, enhanced photos, script, voice-over, video, subtitles), for
/// its owner only.
#[utoipa::path(
    get,
    path = "/videos/{id}/assets/{kind}/{n}",
    tag = "videos",
    operation_id = "getVideoAsset",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The job's id"),
        ("kind" = String, Path, description = "`original`, `enhanced`, `script`, `narration` (the voice-over, WAV), `video` or `subtitles` (0: WebVTT, 1: SRT)"),
        ("n" = i32, Path, description = "The file's index within its kind (0-based)")),
    responses(
        (status = 200, description = "The file", content(("image/jpeg"), ("image/png"), ("image/webp"), ("video/mp4"), ("application/json"), ("audio/wav"), ("text/vtt"), ("application/x-subrip"))),
        NeedsToken,
        (status = 404, description = "No such job or file", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn asset(
    state: web::Data<SharedState>,
    user: AuthUser,
    path: web::Path<(String, String, i32)>,
) -> ApiResult<HttpResponse> {
    let (id, kind, n) = path.into_inner();
    let v = videos::get(&state, user.user_id, &id).await?;
    let a = v
        .assets
        .iter()
        .find(|a| a.kind.as_str() == kind && a.idx == n)
        .ok_or_else(|| DomainError::not_found("file"))?;
    let bytes = state.backends.blob.get(&a.blob_key).await?;
    Ok(HttpResponse::Ok()
        .content_type(a.content_type.as_str())
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .body(bytes))
}

/// Server-Sent Events: every state change of the job, from `Last-Event-ID` (or the start)
/// until the job ends. Events come from the database, so they reach clients of any replica.
#[utoipa::path(
    get,
    path = "/videos/{id}/events",
    tag = "videos",
    operation_id = "watchVideo",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The job's id"),
        ("Last-Event-ID" = Option<i64>, Header, description = "Resume after this event id")),
    responses(
        (status = 200, description = "`text/event-stream`: per event `id: <n>`, `event: <kind>` and `data: <Event as JSON>` \
            (schema `#/components/schemas/Event`); the stream ends after the job's final status", content_type = "text/event-stream", body = String),
        NeedsToken,
        (status = 404, description = "No such job of this user", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "The account has `GLIMVID_MAX_STREAMS_PER_ACCOUNT` streams open", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn events(
    state: web::Data<SharedState>,
    user: AuthUser,
    id: web::Path<String>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let view = videos::get(&state, user.user_id, &id).await?;
    let job_id = view.job.id();
    let after: i64 = req
        .headers()
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0);
    let slot = state.streams.open(user.user_id, state.settings.accounts.max_streams_per_account)?;
    let stream = crate::application::follow::events(state.get_ref().clone(), job_id, after, slot).map(|f| {
        Ok::<Bytes, actix_web::Error>(match f {
            Ok(Followed::Event(e)) => {
                let data = serde_json::to_string(&event_json(&e)).unwrap_or_default();
                Bytes::from(format!("id: {}\nevent: {}\ndata: {}\n\n", e.id, e.kind, data))
            }
            Ok(Followed::Idle) => Bytes::from_static(b": keep-alive\n\n"),
            Err(_) => {
                Bytes::from_static(b"event: error\ndata: {\"detail\":\"events are temporarily unavailable\"}\n\n")
            }
        })
    });
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(stream))
}
