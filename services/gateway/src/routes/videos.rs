//! Video jobs: submission (multipart), listing, one job, its events (SSE), cancel, delete, and
//! the job's own files for its owner.

use std::time::Duration;

use actix_multipart::Multipart;
use actix_web::{HttpRequest, HttpResponse, http::header, web};
use bytes::{Bytes, BytesMut};
use futures::{StreamExt, TryStreamExt};
use glimvid_db::repo::jobs;
use glimvid_domain::{DomainError, ErrorCode, JobStatus};
use serde::Deserialize;
use serde_json::json;

use crate::{
    error::{ApiError, ApiResult, bad_request},
    extract::AuthUser,
    state::SharedState,
    videos::{self, Created, Submission},
    view::{event_json, job_json},
};

const MAX_TEXT_FIELD: usize = 16 * 1024;

fn too_large(what: &str) -> ApiError {
    ApiError(DomainError { code: ErrorCode::PayloadTooLarge, message: what.to_owned(), field: Some("photos".into()) })
}

/// Reads the multipart body with a bound on every field, so a huge upload is refused early.
async fn read_submission(state: &SharedState, mut form: Multipart, key: Option<String>) -> ApiResult<Submission> {
    let s = &state.settings;
    let mut sub =
        Submission { photos: Vec::new(), description: String::new(), options: String::new(), idempotency_key: key };
    let mut saw_description = false;
    while let Some(field) =
        form.try_next().await.map_err(|e| bad_request(format!("the multipart body could not be read: {e}")))?
    {
        let name = field.content_disposition().and_then(|cd| cd.get_name()).unwrap_or("").to_owned();
        let limit = match name.as_str() {
            "photos" | "photos[]" | "photo" => {
                if sub.photos.len() >= s.max_photos {
                    return Err(
                        DomainError::invalid("photos", format!("at most {} photos per video", s.max_photos)).into()
                    );
                }
                s.max_photo_bytes as usize
            }
            "description" | "options" => MAX_TEXT_FIELD,
            other => return Err(DomainError::invalid(other, format!("unknown form field `{other}`")).into()),
        };
        let mut buf = BytesMut::new();
        let mut field = field;
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|e| bad_request(format!("the multipart body could not be read: {e}")))?;
            if buf.len() + chunk.len() > limit {
                return Err(if limit == MAX_TEXT_FIELD {
                    DomainError::invalid(&name, format!("{name} is too long")).into()
                } else {
                    too_large(&format!("a photo is larger than {} MB", s.max_photo_bytes / (1024 * 1024)))
                });
            }
            buf.extend_from_slice(&chunk);
        }
        match name.as_str() {
            "description" => {
                sub.description = String::from_utf8(buf.to_vec())
                    .map_err(|_| DomainError::invalid("description", "description must be UTF-8 text"))?;
                saw_description = true;
            }
            "options" => {
                sub.options = String::from_utf8(buf.to_vec())
                    .map_err(|_| DomainError::invalid("options", "options must be UTF-8 JSON"))?;
            }
            _ => sub.photos.push(Bytes::from(buf)),
        }
    }
    if !saw_description {
        return Err(DomainError::invalid("description", "description is required").into());
    }
    Ok(sub)
}

pub async fn create(
    state: web::Data<SharedState>,
    user: AuthUser,
    ip: crate::client_ip::ClientIp,
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
    let form = Multipart::new(req.headers(), payload);
    let sub = read_submission(&state, form, key).await?;
    let (view, replayed) = match videos::create_from(&state, user.user_id, sub, ip.0).await {
        Ok(Created::New(v)) => (v, false),
        Ok(Created::Replayed(v)) => (v, true),
        Err(e) if e.0.code == ErrorCode::RateLimited => {
            return Ok(crate::limits::in_flight_response(&e, state.settings.accounts.max_jobs_in_flight));
        }
        Err(e) => return Err(e),
    };
    let body = job_json(&state, &view);
    Ok(HttpResponse::Accepted()
        .insert_header((header::LOCATION, format!("/api/v1/videos/{}", view.job.id)))
        .insert_header(("Idempotent-Replayed", if replayed { "true" } else { "false" }))
        .json(body))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    cursor: Option<String>,
    limit: Option<u64>,
}

pub async fn list(state: web::Data<SharedState>, user: AuthUser, q: web::Query<ListQuery>) -> ApiResult<HttpResponse> {
    let limit = q.limit.unwrap_or(20);
    if !(1..=100).contains(&limit) {
        return Err(DomainError::invalid("limit", "limit must be 1 to 100").into());
    }
    let page = videos::list(&state, user.user_id, q.cursor.as_deref(), limit + 1).await?;
    let more = page.len() as u64 > limit;
    let page = &page[..page.len().min(limit as usize)];
    let mut items = Vec::with_capacity(page.len());
    for j in page {
        // Each view is small; a page is at most 100 jobs.
        let v = jobs::get(&state.backends.db, j.id).await?;
        items.push(job_json(&state, &v));
    }
    let next = if more { page.last().map(|j| j.id.to_string()) } else { None };
    Ok(HttpResponse::Ok().json(json!({"items": items, "next_cursor": next})))
}

pub async fn get(state: web::Data<SharedState>, user: AuthUser, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let v = videos::get(&state, user.user_id, &id).await?;
    Ok(HttpResponse::Ok().json(job_json(&state, &v)))
}

pub async fn cancel(state: web::Data<SharedState>, user: AuthUser, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let v = videos::cancel(&state, user.user_id, &id).await?;
    Ok(HttpResponse::Ok().json(job_json(&state, &v)))
}

pub async fn delete(state: web::Data<SharedState>, user: AuthUser, id: web::Path<String>) -> ApiResult<HttpResponse> {
    videos::delete(&state, user.user_id, &id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The job's own files (originals, enhanced photos, script, video), for its owner only.
pub async fn asset(
    state: web::Data<SharedState>,
    user: AuthUser,
    path: web::Path<(String, String, i32)>,
) -> ApiResult<HttpResponse> {
    let (id, kind, n) = path.into_inner();
    let v = videos::get(&state, user.user_id, &id).await?;
    let a = v.assets.iter().find(|a| a.kind == kind && a.idx == n).ok_or_else(|| DomainError::not_found("file"))?;
    let bytes = state.backends.blob.get(&a.blob_key).await?;
    Ok(HttpResponse::Ok()
        .content_type(a.content_type.as_str())
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .body(bytes))
}

/// Server-Sent Events: every state change of the job, from `Last-Event-ID` (or the start)
/// until the job ends. Events come from the database, so they reach clients of any replica.
pub async fn events(
    state: web::Data<SharedState>,
    user: AuthUser,
    id: web::Path<String>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let view = videos::get(&state, user.user_id, &id).await?;
    let job_id = view.job.id;
    let after: i64 = req
        .headers()
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0);
    struct Cursor {
        state: SharedState,
        after: i64,
        done: bool,
        idle: u32,
    }
    let cursor = Cursor { state: state.get_ref().clone(), after, done: false, idle: 0 };
    let stream = futures::stream::unfold(cursor, move |mut c| async move {
        if c.done {
            return None;
        }
        loop {
            let batch = match jobs::events_after(&c.state.backends.db, job_id, c.after, 100).await {
                Ok(b) => b,
                Err(_) => {
                    c.done = true;
                    return Some((
                        Ok::<Bytes, actix_web::Error>(Bytes::from_static(
                            b"event: error\ndata: {\"detail\":\"events are temporarily unavailable\"}\n\n",
                        )),
                        c,
                    ));
                }
            };
            if batch.is_empty() {
                // The job may have been deleted: end the stream then.
                if c.idle % 20 == 19 && jobs::get(&c.state.backends.db, job_id).await.is_err() {
                    return None;
                }
                c.idle += 1;
                tokio::time::sleep(Duration::from_millis(250)).await;
                if c.idle % 60 == 0 {
                    return Some((Ok(Bytes::from_static(b": keep-alive\n\n")), c));
                }
                continue;
            }
            let mut out = String::new();
            for e in &batch {
                c.after = e.id;
                let data = serde_json::to_string(&event_json(e)).unwrap_or_default();
                out.push_str(&format!("id: {}\nevent: {}\ndata: {}\n\n", e.id, e.kind, data));
                let final_status = e.kind == "job"
                    && e.status.as_deref().and_then(|s| s.parse::<JobStatus>().ok()).is_some_and(|s| s.is_final());
                if final_status {
                    c.done = true;
                }
            }
            c.idle = 0;
            return Some((Ok(Bytes::from(out)), c));
        }
    });
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(stream))
}
