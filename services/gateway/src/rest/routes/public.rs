//! Public video links: `/v/{public_id}`, no authentication, HTTP Range so players can seek.
//! The id is unguessable and unrelated to the storage key; a deleted video answers 404 at once.

use actix_web::{
    HttpRequest, HttpResponse,
    http::{StatusCode, header},
    web,
};
use futures::StreamExt;
use glimvid_db::repo::jobs;
use glimvid_domain::{DomainError, ErrorCode, PublicId};

use crate::{
    rest::error::{ApiError, ApiResult, Problem},
    state::SharedState,
};

/// Parses a single `bytes=` range: `a-b`, `a-` or `-n` (last n bytes). Multiple ranges and
/// other units are ignored (the whole file is served), as RFC 9110 allows.
pub fn parse_range(h: &str, total: u64) -> Option<Result<(u64, Option<u64>), ()>> {
    let spec = h.trim().strip_prefix("bytes=")?;
    if spec.contains(',') {
        return None;
    }
    let (a, b) = spec.split_once('-')?;
    let (a, b) = (a.trim(), b.trim());
    if a.is_empty() {
        let n: u64 = b.parse().ok()?;
        if n == 0 || total == 0 {
            return Some(Err(()));
        }
        return Some(Ok((total.saturating_sub(n), None)));
    }
    let start: u64 = a.parse().ok()?;
    let end = if b.is_empty() { None } else { Some(b.parse::<u64>().ok()?) };
    if end.is_some_and(|e| e < start) {
        return None;
    }
    Some(Ok((start, end)))
}

/// The public MP4 of a finished job: no authentication, the unguessable id is the key. HTTP
/// Range lets players seek; a deleted video answers 404 at once.
#[utoipa::path(
    method(get, head),
    path = "/v/{public_id}",
    tag = "public",
    operation_id = "getPublicVideo",
    params(
        ("public_id" = String, Path, description = "The video's public id (from the job's `public_url`)"),
        ("Range" = Option<String>, Header, description = "One `bytes=` range (`a-b`, `a-` or `-n`); others get the whole file"),
    ),
    responses(
        (status = 200, description = "The whole video", content_type = "video/mp4", body = Vec<u8>,
            headers(("Accept-Ranges" = String, description = "`bytes`"), ("ETag" = String), ("Content-Length" = u64))),
        (status = 206, description = "The requested range", content_type = "video/mp4", body = Vec<u8>,
            headers(("Content-Range" = String, description = "`bytes <first>-<last>/<total>`"), ("Accept-Ranges" = String), ("ETag" = String))),
        (status = 404, description = "No such video, or it was deleted", body = Problem, content_type = "application/problem+json"),
        (status = 416, description = "The range is outside the video", body = Problem, content_type = "application/problem+json",
            headers(("Content-Range" = String, description = "`bytes */<total>`"))),
    ),
)]
pub async fn video(state: web::Data<SharedState>, id: web::Path<String>, req: HttpRequest) -> ApiResult<HttpResponse> {
    let not_found = || ApiError(DomainError::not_found("video"));
    let public_id = PublicId::parse(&id).map_err(|_| not_found())?;
    let asset = jobs::video_by_public_id(&state.backends.db, public_id.as_str()).await?.ok_or_else(not_found)?;
    let total = asset.size as u64;
    let range = match req.headers().get(header::RANGE).and_then(|v| v.to_str().ok()).and_then(|h| parse_range(h, total))
    {
        None => None,
        Some(Ok(r)) => Some(r),
        Some(Err(())) => return Ok(unsatisfiable(total)),
    };
    let read = match state.backends.blob.read(&asset.blob_key, range).await {
        Ok(r) => r,
        Err(glimvid_blob::BlobError::BadRange) => return Ok(unsatisfiable(total)),
        Err(glimvid_blob::BlobError::NotFound) => return Err(not_found()),
        Err(e) => return Err(e.into()),
    };
    let status = if range.is_some() { StatusCode::PARTIAL_CONTENT } else { StatusCode::OK };
    let mut resp = HttpResponse::build(status);
    resp.content_type("video/mp4")
        .insert_header((header::ACCEPT_RANGES, "bytes"))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((header::ETAG, format!("\"{}\"", &asset.sha256[..asset.sha256.len().min(32)])))
        .no_chunking(read.range.end - read.range.start);
    if range.is_some() {
        resp.insert_header((
            header::CONTENT_RANGE,
            format!("bytes {}-{}/{}", read.range.start, read.range.end - 1, read.total),
        ));
    }
    // For HEAD, actix sends the headers of this sized body (Content-Length included) and
    // never polls the stream.
    let body = read.body.map(|r| r.map_err(|e| actix_web::error::ErrorServiceUnavailable(e.to_string())));
    Ok(resp.streaming(body))
}

fn unsatisfiable(total: u64) -> HttpResponse {
    let mut r = crate::rest::error::problem(
        StatusCode::RANGE_NOT_SATISFIABLE,
        &DomainError::new(ErrorCode::Validation, "the requested range is outside the video"),
    );
    if let Ok(v) = header::HeaderValue::from_str(&format!("bytes */{total}")) {
        r.headers_mut().insert(header::CONTENT_RANGE, v);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::parse_range;

    #[test]
    fn ranges() {
        assert_eq!(parse_range("bytes=0-99", 1000), Some(Ok((0, Some(99)))));
        assert_eq!(parse_range("bytes=500-", 1000), Some(Ok((500, None))));
        assert_eq!(parse_range("bytes=-100", 1000), Some(Ok((900, None))));
        assert_eq!(parse_range("bytes=0-1,5-6", 1000), None);
        assert_eq!(parse_range("items=0-1", 1000), None);
        assert_eq!(parse_range("bytes=9-1", 1000), None);
        assert_eq!(parse_range("bytes=-0", 1000), Some(Err(())));
    }
}
