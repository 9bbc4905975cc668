//! Application errors as gRPC statuses (the one code table, `glimvid_proto::status`), and the
//! scope a call runs in: its request id and the client's deadline.

use std::time::Duration;

use futures::{Stream, StreamExt};
use glimvid_proto::jobs::v1 as pb;
use tonic::{Status, codegen::http, metadata::MetadataMap};
use uuid::Uuid;

use crate::application::error::{AppError, REQUEST_ID, current_request_id};

pub(super) fn status(e: AppError) -> Status {
    let mut s = glimvid_proto::status::to_status(&e.0);
    let id = current_request_id();
    if let Ok(v) = id.parse() {
        s.metadata_mut().insert("x-request-id", v);
    }
    s
}

/// The request id the client sent (`x-request-id`), or a new one.
fn request_id(md: &MetadataMap) -> String {
    request_id_of(md.as_ref())
}

pub(super) fn request_id_of(headers: &http::HeaderMap) -> String {
    headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|s| glimvid_runtime::trace::is_valid_request_id(s))
        .map(str::to_owned)
        .unwrap_or_else(|| Uuid::new_v4().to_string())
}

/// The client's deadline from `grpc-timeout` (e.g. `500m`, `10S`, `2M`).
pub fn deadline(md: &MetadataMap) -> Option<Duration> {
    let v = md.get("grpc-timeout")?.to_str().ok()?;
    let (n, unit) = v.split_at(v.len().checked_sub(1)?);
    let n: u64 = n.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(n.saturating_mul(3600)),
        "M" => Duration::from_secs(n.saturating_mul(60)),
        "S" => Duration::from_secs(n),
        "m" => Duration::from_millis(n),
        "u" => Duration::from_micros(n),
        "n" => Duration::from_nanos(n),
        _ => return None,
    })
}

pub(super) fn deadline_exceeded() -> Status {
    Status::deadline_exceeded("the call's deadline passed before the work was done")
}

/// Runs `work` in the call's request scope, within its deadline.
pub(super) async fn scoped<T>(md: &MetadataMap, work: impl Future<Output = Result<T, AppError>>) -> Result<T, Status> {
    let id = request_id(md);
    let limit = deadline(md);
    REQUEST_ID
        .scope(id, async move {
            let r = match limit {
                Some(d) => tokio::time::timeout(d, work).await.map_err(|_| deadline_exceeded())?,
                None => work.await,
            };
            r.map_err(status)
        })
        .await
}

/// Ends `inner` with DEADLINE_EXCEEDED at `end` if it has not ended by then.
pub(super) fn async_stream_deadline(
    inner: impl Stream<Item = Result<pb::WatchVideoJobResponse, Status>> + Send + 'static,
    end: tokio::time::Instant,
) -> impl Stream<Item = Result<pb::WatchVideoJobResponse, Status>> + Send + 'static {
    let inner = Box::pin(inner);
    futures::stream::unfold(Some(inner), move |st| async move {
        let mut inner = st?;
        tokio::select! {
            item = inner.next() => item.map(|i| (i, Some(inner))),
            _ = tokio::time::sleep_until(end) => Some((Err(deadline_exceeded()), None)),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grpc_timeouts_parse() {
        let mut md = MetadataMap::new();
        for (v, d) in [
            ("500m", Duration::from_millis(500)),
            ("10S", Duration::from_secs(10)),
            ("2M", Duration::from_secs(120)),
            ("1H", Duration::from_secs(3600)),
            ("250u", Duration::from_micros(250)),
        ] {
            md.insert("grpc-timeout", v.parse().unwrap());
            assert_eq!(deadline(&md), Some(d), "{v}");
        }
        md.insert("grpc-timeout", "10x".parse().unwrap());
        assert_eq!(deadline(&md), None);
        assert_eq!(deadline(&MetadataMap::new()), None);
    }
}
