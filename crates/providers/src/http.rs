//! What the network adapters share: the API key that never prints, retries with backoff and
//! jitter that honour `Retry-After`, the mapping of transport failures to error classes, and
//! bounded downloads of result URLs.

use std::{
    fmt,
    future::Future,
    time::{Duration, SystemTime},
};

use bytes::Bytes;
use rand::Rng;
use reqwest::{StatusCode, header::HeaderMap};
use tokio::time::Instant;

use crate::ProviderError;

/// A provider API key. It is sent in the `Authorization` header and nowhere else: `Debug` and
/// `Display` print `[redacted]`, and error messages are scrubbed of it.
#[derive(Clone)]
pub struct ApiKey(String);

impl ApiKey {
    pub fn new(key: impl Into<String>) -> Self {
        Self(key.into())
    }

    pub(crate) fn bearer(&self) -> String {
        format!("Bearer {}", self.0)
    }

    /// `text` with every occurrence of the key replaced, for messages built from provider answers
    /// (some providers echo the key, or part of it, in an authentication error).
    pub(crate) fn scrub(&self, text: &str) -> String {
        if self.0.len() < 4 { text.to_owned() } else { text.replace(&self.0, "[redacted]") }
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// How often and how patiently a call is retried on transient errors.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Tries in all, the first included.
    pub max_attempts: u32,
    /// The first backoff; doubled on each retry up to `cap`, then jittered.
    pub base: Duration,
    pub cap: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self { max_attempts: 4, base: Duration::from_secs(1), cap: Duration::from_secs(30) }
    }
}

impl RetryPolicy {
    /// The pause before retry number `retry` (1-based): exponential, "equal jitter" (half fixed,
    /// half random, so that concurrent workers spread out), and never shorter than what the
    /// provider asked for in `Retry-After`.
    pub fn delay(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        let exp = self.base.saturating_mul(1u32 << retry.saturating_sub(1).min(16)).min(self.cap);
        let half = exp / 2;
        let jitter = if half.is_zero() { Duration::ZERO } else { rand::rng().random_range(Duration::ZERO..=half) };
        let backoff = half + jitter;
        retry_after.map_or(backoff, |ra| ra.max(backoff))
    }
}

/// Runs `op` until it succeeds, fails permanently, runs out of attempts, or the next pause would
/// end after `deadline`. The last error is returned as it is (with its `retry_after`, so the
/// stage worker can requeue the task for later).
pub(crate) async fn with_retries<T, F, Fut>(
    provider: &'static str,
    policy: &RetryPolicy,
    deadline: Instant,
    what: &str,
    mut op: F,
) -> Result<T, ProviderError>
where
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = Result<T, ProviderError>>,
{
    let mut attempt = 1;
    loop {
        let result = match tokio::time::timeout_at(deadline, op(attempt)).await {
            Ok(r) => r,
            Err(_) => return Err(deadline_error(provider, what)),
        };
        let err = match result {
            Ok(v) => return Ok(v),
            Err(e) if !e.is_transient() => return Err(e),
            Err(e) => e,
        };
        if attempt >= policy.max_attempts.max(1) {
            return Err(err);
        }
        let pause = policy.delay(attempt, err.retry_after);
        if Instant::now() + pause >= deadline {
            return Err(err);
        }
        tracing::info!(provider, code = err.code, attempt, pause_ms = pause.as_millis() as u64, "{what}: retrying");
        metrics::counter!("glimvid_provider_retries_total", "provider" => provider, "code" => err.code).increment(1);
        tokio::time::sleep(pause).await;
        attempt += 1;
    }
}

pub(crate) fn deadline_error(provider: &'static str, what: &str) -> ProviderError {
    ProviderError::transient(provider, "timeout", format!("{what} did not finish in time"))
}

/// A transport failure (no HTTP status): timeouts and connection problems are worth a retry.
/// The message never carries the URL (result URLs are signed).
pub(crate) fn transport_error(provider: &'static str, what: &str, e: reqwest::Error) -> ProviderError {
    let e = e.without_url();
    if e.is_timeout() {
        ProviderError::transient(provider, "timeout", format!("{what} timed out"))
    } else if e.is_builder() {
        ProviderError::permanent(provider, "bad_request", format!("{what}: the request could not be built"))
    } else if e.is_connect() {
        ProviderError::transient(provider, "connection", format!("{what}: could not connect"))
    } else {
        ProviderError::transient(provider, "connection", format!("{what}: the connection failed ({e})"))
    }
}

/// `Retry-After` as seconds or as an HTTP date.
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let v = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs.min(3600)));
    }
    let at = httpdate::parse_http_date(v).ok()?;
    Some(at.duration_since(SystemTime::now()).unwrap_or(Duration::ZERO).min(Duration::from_secs(3600)))
}

/// At most `max` characters of a provider's message, on one line.
pub(crate) fn short(text: &str, max: usize) -> String {
    let one_line: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    let trimmed = one_line.trim();
    if trimmed.chars().count() <= max {
        trimmed.to_owned()
    } else {
        format!("{}…", trimmed.chars().take(max).collect::<String>())
    }
}

/// Transient classes by HTTP status, for answers without a more specific provider code.
pub(crate) fn is_transient_status(status: StatusCode) -> bool {
    status == StatusCode::TOO_MANY_REQUESTS || status == StatusCode::REQUEST_TIMEOUT || status.is_server_error()
}

/// Downloads a provider's result URL (no credentials: it is pre-signed) into memory, refusing
/// more than `max_bytes`. 404/410 mean the result is gone; other failures are transient.
pub(crate) async fn download(
    provider: &'static str,
    http: &reqwest::Client,
    url: &str,
    timeout: Duration,
    max_bytes: u64,
    what: &str,
) -> Result<Bytes, ProviderError> {
    let mut resp = http.get(url).timeout(timeout).send().await.map_err(|e| transport_error(provider, what, e))?;
    check_download_status(provider, &resp, what)?;
    if resp.content_length().is_some_and(|n| n > max_bytes) {
        return Err(too_large(provider, what, max_bytes));
    }
    let mut buf = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| transport_error(provider, what, e))? {
        if (buf.len() + chunk.len()) as u64 > max_bytes {
            return Err(too_large(provider, what, max_bytes));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(Bytes::from(buf))
}

/// Streams a result URL into a file, refusing more than `max_bytes`; returns the size.
pub(crate) async fn download_to_file(
    provider: &'static str,
    http: &reqwest::Client,
    url: &str,
    path: &std::path::Path,
    timeout: Duration,
    max_bytes: u64,
    what: &str,
) -> Result<u64, ProviderError> {
    use tokio::io::AsyncWriteExt;
    let mut resp = http.get(url).timeout(timeout).send().await.map_err(|e| transport_error(provider, what, e))?;
    check_download_status(provider, &resp, what)?;
    if resp.content_length().is_some_and(|n| n > max_bytes) {
        return Err(too_large(provider, what, max_bytes));
    }
    let io = |e: std::io::Error| ProviderError::transient(provider, "scratch_space", format!("{what}: {}", e.kind()));
    let mut file = tokio::fs::File::create(path).await.map_err(io)?;
    let mut n = 0u64;
    while let Some(chunk) = resp.chunk().await.map_err(|e| transport_error(provider, what, e))? {
        n += chunk.len() as u64;
        if n > max_bytes {
            return Err(too_large(provider, what, max_bytes));
        }
        file.write_all(&chunk).await.map_err(io)?;
    }
    file.flush().await.map_err(io)?;
    if n == 0 {
        return Err(ProviderError::transient(provider, "invalid_response", format!("{what}: the file is empty")));
    }
    Ok(n)
}

fn check_download_status(provider: &'static str, resp: &reqwest::Response, what: &str) -> Result<(), ProviderError> {
    let status = resp.status();
    if status.is_success() {
        return Ok(());
    }
    let msg = format!("{what}: the result URL answered {}", status.as_u16());
    if status == StatusCode::NOT_FOUND || status == StatusCode::GONE || status == StatusCode::FORBIDDEN {
        // Gone or expired: asking again returns the same answer. The caller decides whether
        // regenerating is worth it.
        Err(ProviderError::permanent(provider, "result_missing", msg))
    } else if is_transient_status(status) {
        let mut e = ProviderError::transient(provider, "download_failed", msg);
        e.retry_after = retry_after(resp.headers());
        Err(e)
    } else {
        Err(ProviderError::permanent(provider, "download_failed", msg))
    }
}

fn too_large(provider: &'static str, what: &str, max: u64) -> ProviderError {
    ProviderError::permanent(provider, "invalid_response", format!("{what}: the result is larger than {max} bytes"))
}

/// The media type of an encoded image, by its magic bytes.
pub(crate) fn sniff_image(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

/// An image as a `data:` URI (how Ark takes inputs that have no public URL).
pub(crate) fn data_uri(bytes: &[u8]) -> Option<String> {
    use base64::Engine;
    let mime = sniff_image(bytes)?;
    Some(format!("data:{mime};base64,{}", base64::engine::general_purpose::STANDARD.encode(bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_never_prints() {
        let k = ApiKey::new("sk-very-secret");
        assert_eq!(format!("{k:?} {k}"), "[redacted] [redacted]");
        assert_eq!(k.scrub("bad key sk-very-secret!"), "bad key [redacted]!");
    }

    #[test]
    fn backoff_grows_is_capped_and_honours_retry_after() {
        let p = RetryPolicy { max_attempts: 5, base: Duration::from_millis(100), cap: Duration::from_millis(400) };
        for _ in 0..50 {
            let d1 = p.delay(1, None);
            assert!((Duration::from_millis(50)..=Duration::from_millis(100)).contains(&d1), "{d1:?}");
            let d3 = p.delay(3, None);
            assert!((Duration::from_millis(200)..=Duration::from_millis(400)).contains(&d3), "{d3:?}");
            assert!(p.delay(10, None) <= Duration::from_millis(400));
            assert!(p.delay(1, Some(Duration::from_secs(2))) >= Duration::from_secs(2));
        }
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let mut h = HeaderMap::new();
        h.insert(reqwest::header::RETRY_AFTER, "7".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(7)));
        let later = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(120));
        h.insert(reqwest::header::RETRY_AFTER, later.parse().unwrap());
        let d = retry_after(&h).unwrap();
        assert!(d > Duration::from_secs(100) && d <= Duration::from_secs(120), "{d:?}");
        h.insert(reqwest::header::RETRY_AFTER, "soon".parse().unwrap());
        assert_eq!(retry_after(&h), None);
    }

    #[test]
    fn images_are_sniffed_by_content() {
        assert_eq!(sniff_image(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("image/jpeg"));
        assert_eq!(sniff_image(b"\x89PNG\r\n\x1a\nrest"), Some("image/png"));
        assert_eq!(sniff_image(b"GIF89a"), None);
        assert!(data_uri(b"\x89PNG\r\n\x1a\n").unwrap().starts_with("data:image/png;base64,"));
    }
}
