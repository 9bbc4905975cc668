//! Log correlation across processes. A REST request's id travels with everything it causes:
//! as `x-request-id` metadata on gRPC calls, and inside each stage task (with a W3C
//! `traceparent` whose trace id is derived from it) and its AMQP headers. Every log line written
//! while serving it carries `request_id` (and `job_id` in the workers).

/// The gRPC metadata key (and HTTP header) that carries the request id.
pub const REQUEST_ID_METADATA: &str = "x-request-id";

/// Whether `id` is acceptable as a request id from outside: short, and only `[A-Za-z0-9_-]`.
pub fn is_valid_request_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 128 && id.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
}

/// A W3C `traceparent` (version 00, sampled) for a request: the trace id is the request id's
/// 128 bits when it is a UUID, else a hash of it; the span id is random.
pub fn traceparent_for(request_id: &str) -> String {
    let trace_id = match uuid::Uuid::parse_str(request_id) {
        Ok(u) if !u.is_nil() => u.simple().to_string(),
        _ => {
            use sha2::Digest;
            hex::encode(&sha2::Sha256::digest(request_id.as_bytes())[..16])
        }
    };
    let span_id: u64 = rand::random::<u64>() | 1;
    format!("00-{trace_id}-{span_id:016x}-01")
}

/// The trace id of a `traceparent`, if it is well formed.
pub fn trace_id(traceparent: &str) -> Option<&str> {
    let mut parts = traceparent.split('-');
    let (version, trace, span, flags) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let hex = |s: &str, n: usize| s.len() == n && s.bytes().all(|c| c.is_ascii_hexdigit());
    (hex(version, 2) && hex(trace, 32) && hex(span, 16) && hex(flags, 2) && parts.next().is_none()).then_some(trace)
}

/// The span a gRPC server opens for each call (`Server::builder().trace_fn(grpc_span)`): the
/// method path and the caller's request id, so the service's logs join the caller's.
pub fn grpc_span<B>(req: &http::Request<B>) -> tracing::Span {
    let request_id = req
        .headers()
        .get(REQUEST_ID_METADATA)
        .and_then(|v| v.to_str().ok())
        .filter(|s| is_valid_request_id(s))
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let span = tracing::info_span!("grpc", path = %req.uri().path(), %request_id);
    // One line per call (an access log), inside the span so it carries the request id.
    tracing::info!(parent: &span, "grpc call");
    span
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traceparent_carries_the_request_uuid() {
        let id = "6f1c1c1e-3a7e-4d2b-9a55-0f7c1c1e3a7e";
        let tp = traceparent_for(id);
        assert_eq!(trace_id(&tp), Some("6f1c1c1e3a7e4d2b9a550f7c1c1e3a7e"));
        assert!(tp.starts_with("00-") && tp.ends_with("-01"));
    }

    #[test]
    fn other_request_ids_hash_to_a_stable_trace_id() {
        let a = traceparent_for("client-id_1");
        let b = traceparent_for("client-id_1");
        assert_eq!(trace_id(&a), trace_id(&b));
        assert_ne!(trace_id(&a), trace_id(&traceparent_for("client-id_2")));
        assert_ne!(a, b, "each task gets its own span id");
    }

    #[test]
    fn malformed_traceparents_are_rejected() {
        for bad in ["", "00-abc-def-01", "00-6f1c1c1e3a7e4d2b9a550f7c1c1e3a7e-00000000000000z1-01", "a-b-c-d-e"] {
            assert_eq!(trace_id(bad), None, "{bad}");
        }
    }

    #[test]
    fn request_ids_from_outside_are_bounded() {
        assert!(is_valid_request_id("abc-DEF_123"));
        assert!(!is_valid_request_id(""));
        assert!(!is_valid_request_id("a b"));
        assert!(!is_valid_request_id(&"a".repeat(129)));
        assert!(!is_valid_request_id("x\ny"));
    }

    #[test]
    fn grpc_span_reads_the_request_id() {
        let req = http::Request::builder()
            .uri("/glimvid.auth.v1.AuthService/Login")
            .header("x-request-id", "r-1")
            .body(())
            .unwrap();
        let span = grpc_span(&req);
        // The span exists (no subscriber here, so it may be disabled); building it must not panic.
        drop(span);
    }
}
