//! BytePlus ModelArk: image enhancement ([`ArkEnhancer`], `images/generations`) and
//! image-to-video ([`ArkVideoGenerator`], content generation tasks). What both share: where Ark
//! is, the authenticated JSON exchange, and the mapping of Ark's errors
//! (`{"error": {"code", "message"}}`) to transient or permanent.

mod enhance;
mod video;

use std::time::Duration;

use reqwest::{Method, StatusCode, header};
use serde_json::Value;
use tokio::time::Instant;

pub use self::enhance::ArkEnhancer;
pub use self::video::{ArkVideoGenerator, PollPolicy};
use crate::{
    ProviderError,
    http::{self, ApiKey, RetryPolicy, short, transport_error},
};

const PROVIDER: &str = "ark";

/// The default base: BytePlus ModelArk in Singapore (the privacy policy names it).
pub const DEFAULT_BASE_URL: &str = "https://ark.ap-southeast.bytepluses.com/api/v3";

/// Where and how to reach Ark. Model ids drift between releases: keep them configurable.
#[derive(Debug, Clone)]
pub struct ArkSettings {
    pub base_url: String,
    pub api_key: ApiKey,
    /// The image-to-image model (`images/generations`).
    pub image_model: String,
    /// The image-to-video model (content generation tasks).
    pub video_model: String,
    /// One HTTP exchange with Ark, body included.
    pub request_timeout: Duration,
    /// One download of a result (an image or a clip).
    pub download_timeout: Duration,
    /// One enhancement, retries included.
    pub image_deadline: Duration,
    pub retry: RetryPolicy,
}

impl ArkSettings {
    pub fn new(
        base_url: impl Into<String>,
        api_key: ApiKey,
        image_model: impl Into<String>,
        video_model: impl Into<String>,
    ) -> Self {
        Self {
            base_url: base_url.into().trim_end_matches('/').to_owned(),
            api_key,
            image_model: image_model.into(),
            video_model: video_model.into(),
            request_timeout: Duration::from_secs(120),
            download_timeout: Duration::from_secs(300),
            image_deadline: Duration::from_secs(300),
            retry: RetryPolicy::default(),
        }
    }
}

/// The HTTP side shared by both Ark adapters.
#[derive(Debug, Clone)]
struct ArkClient {
    http: reqwest::Client,
    s: ArkSettings,
}

impl ArkClient {
    fn new(s: ArkSettings) -> Result<Self, ProviderError> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|_| ProviderError::permanent(PROVIDER, "config", "the HTTP client could not be built"))?;
        Ok(Self { http, s })
    }

    /// One JSON exchange with Ark (no retry). `what` names it in errors; `create` says whether a
    /// 404 means "no such model" (a create) or "no such task" (a poll).
    async fn exchange(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        what: &str,
    ) -> Result<Value, ProviderError> {
        let mut rb = self
            .http
            .request(method, format!("{}{path}", self.s.base_url))
            .header(header::AUTHORIZATION, self.s.api_key.bearer())
            .header(header::ACCEPT, "application/json")
            .timeout(self.s.request_timeout);
        if let Some(b) = body {
            rb = rb.json(b);
        }
        let resp = rb.send().await.map_err(|e| transport_error(PROVIDER, what, e))?;
        let status = resp.status();
        let retry_after = http::retry_after(resp.headers());
        let text = resp.text().await.map_err(|e| transport_error(PROVIDER, what, e))?;
        let json: Option<Value> = serde_json::from_str(&text).ok();
        if !status.is_success() {
            let mut e = self.error(status, json.as_ref(), what);
            if e.is_transient() {
                e.retry_after = retry_after;
            }
            return Err(e);
        }
        json.ok_or_else(|| {
            ProviderError::transient(PROVIDER, "invalid_response", format!("{what}: Ark's answer is not JSON"))
        })
    }

    /// `exchange` retried on transient errors until `deadline`.
    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        what: &str,
        deadline: Instant,
    ) -> Result<Value, ProviderError> {
        http::with_retries(PROVIDER, &self.s.retry, deadline, what, |_| self.exchange(method.clone(), path, body, what))
            .await
    }

    /// Maps an Ark error answer (docs/providers.md).
    fn error(&self, status: StatusCode, body: Option<&Value>, what: &str) -> ProviderError {
        let err = body.map(|b| &b["error"]);
        let code = err.and_then(|e| e["code"].as_str()).unwrap_or("");
        let message = err
            .and_then(|e| e["message"].as_str())
            .map(|m| short(&self.s.api_key.scrub(m), 200))
            .filter(|m| !m.is_empty());
        let detail = |base: String| match &message {
            Some(m) => format!("{base}: {m}"),
            None => base,
        };
        let n = status.as_u16();
        let tagged = if code.is_empty() { format!("{n}") } else { format!("{n} {code}") };
        if code.contains("SensitiveContent") || code.contains("RiskDetection") {
            return ProviderError::permanent(
                PROVIDER,
                "content_policy",
                format!("{what}: Ark refused the content under its content policy ({tagged})"),
            );
        }
        match n {
            400 => ProviderError::permanent(
                PROVIDER,
                "bad_request",
                detail(format!("{what}: Ark refused the request ({tagged})")),
            ),
            401 => ProviderError::permanent(PROVIDER, "unauthorized", format!("{what}: Ark refused the API key (401)")),
            402 => ProviderError::permanent(
                PROVIDER,
                "insufficient_balance",
                format!("{what}: the Ark account is out of balance (402)"),
            ),
            403 if code == "AccountOverdueError" => ProviderError::permanent(
                PROVIDER,
                "insufficient_balance",
                format!("{what}: the Ark account is overdue ({tagged})"),
            ),
            403 => ProviderError::permanent(
                PROVIDER,
                "forbidden",
                detail(format!("{what}: Ark refused access ({tagged})")),
            ),
            404 => ProviderError::permanent(
                PROVIDER,
                "not_found",
                detail(format!("{what}: Ark does not know it ({tagged})")),
            ),
            429 if code.contains("QuotaExceeded") => ProviderError::permanent(
                PROVIDER,
                "quota_exceeded",
                format!("{what}: the Ark quota is used up ({tagged})"),
            ),
            429 => ProviderError::transient(PROVIDER, "rate_limited", format!("{what}: Ark is busy ({tagged})")),
            _ if http::is_transient_status(status) => {
                ProviderError::transient(PROVIDER, "unavailable", format!("{what}: Ark is unavailable ({tagged})"))
            }
            _ => ProviderError::permanent(PROVIDER, "bad_request", detail(format!("{what}: Ark answered {tagged}"))),
        }
    }
}
