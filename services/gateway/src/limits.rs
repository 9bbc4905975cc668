//! Rate limits by client address (login, registration, video submissions) and the 429 answer
//! with `Retry-After` and `RateLimit-*` headers. Counters live in the database (see
//! `glimvid_db::repo::limits`), so every replica enforces the same budget. [`check`] is the one
//! rule; the REST middleware and the partner gRPC API both call it.

use std::net::IpAddr;

use actix_web::{
    HttpResponse,
    body::{BoxBody, MessageBody},
    dev::{ServiceRequest, ServiceResponse},
    http::header::{HeaderName, HeaderValue},
    middleware::Next,
    web,
};
use glimvid_db::repo::limits::{self, Decision, Rule};
use glimvid_domain::{DomainError, ErrorCode};
use glimvid_runtime::config::RateRule;

use crate::{
    error::{ApiError, problem},
    state::{GatewayState, SharedState},
};

/// What is being limited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Login,
    Register,
    SubmitVideo,
}

impl Action {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Login => "login",
            Self::Register => "register",
            Self::SubmitVideo => "submit",
        }
    }

    /// The limited REST routes (method, route pattern).
    pub fn of_route(method: &actix_web::http::Method, pattern: &str) -> Option<Self> {
        if method != actix_web::http::Method::POST {
            return None;
        }
        match pattern {
            "/api/v1/auth/login" => Some(Self::Login),
            "/api/v1/auth/register" => Some(Self::Register),
            "/api/v1/videos" => Some(Self::SubmitVideo),
            _ => None,
        }
    }
}

/// A checked hit, with the rule's window for the `RateLimit-Policy` header.
#[derive(Debug, Clone, Copy)]
pub struct Checked {
    pub decision: Decision,
    pub window_s: u64,
}

fn rule_for(state: &GatewayState, action: Action) -> RateRule {
    let a = &state.settings.accounts;
    match action {
        Action::Login => a.rate_limit_login,
        Action::Register => a.rate_limit_register,
        Action::SubmitVideo => a.rate_limit_submit,
    }
}

/// Counts one `action` by `ip`. `Ok(None)` when the rule is off; `Err` (rate limited) when over.
pub async fn check(state: &GatewayState, action: Action, ip: Option<IpAddr>) -> Result<Option<Checked>, Limited> {
    let rule = rule_for(state, action);
    if rule.limit == 0 {
        return Ok(None);
    }
    let ip = ip.map(crate::client_ip::network_key).unwrap_or_else(|| "unknown".into());
    let key = format!("{}:ip:{ip}", action.as_str());
    let window_ms = rule.window.as_millis() as i64;
    match limits::hit_db(&state.backends.db, &key, Rule { limit: rule.limit, window_ms }, glimvid_db::now_ms()).await {
        Ok(d) => {
            let checked = Checked { decision: d, window_s: rule.window.as_secs() };
            if d.allowed { Ok(Some(checked)) } else { Err(Limited(checked)) }
        }
        Err(e) => {
            // The database is the limiter: when it is down the request will fail anyway.
            tracing::warn!(error = %e, action = action.as_str(), "rate limiter unavailable; request let through");
            Ok(None)
        }
    }
}

/// Over the limit.
#[derive(Debug, Clone, Copy)]
pub struct Limited(pub Checked);

impl Limited {
    pub fn error(&self) -> DomainError {
        DomainError::new(
            ErrorCode::RateLimited,
            format!("too many requests; try again in {} s", self.0.decision.reset_secs()),
        )
    }

    /// The 429 problem document with its headers.
    pub fn response(&self) -> HttpResponse {
        let mut resp = problem(actix_web::http::StatusCode::TOO_MANY_REQUESTS, &self.error());
        set_headers(resp.headers_mut(), &self.0, true);
        resp
    }
}

/// `RateLimit-Limit`, `-Remaining`, `-Reset` and `RateLimit-Policy` (and `Retry-After` on a 429).
pub fn set_headers(h: &mut actix_web::http::header::HeaderMap, c: &Checked, retry: bool) {
    let d = &c.decision;
    let mut put = |name: &'static str, v: String| {
        if let Ok(v) = HeaderValue::from_str(&v) {
            h.insert(HeaderName::from_static(name), v);
        }
    };
    put("ratelimit-limit", d.limit.to_string());
    put("ratelimit-remaining", d.remaining.to_string());
    put("ratelimit-reset", d.reset_secs().to_string());
    put("ratelimit-policy", format!("{};w={}", d.limit, c.window_s));
    if retry {
        put("retry-after", d.reset_secs().to_string());
    }
}

/// The 429 for an account at its limit of jobs in flight (no window: a hint to retry later).
pub fn in_flight_response(e: &ApiError, limit: u32) -> HttpResponse {
    let c = Checked { decision: Decision { allowed: false, limit, remaining: 0, reset_ms: 10_000 }, window_s: 0 };
    let mut resp = problem(actix_web::http::StatusCode::TOO_MANY_REQUESTS, &e.0);
    set_headers(resp.headers_mut(), &c, true);
    resp.headers_mut().remove("ratelimit-policy");
    resp
}

/// Middleware: applies [`check`] to the limited routes before the handler runs, and reports
/// the budget on their answers.
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let action = req.match_pattern().and_then(|p| Action::of_route(req.method(), &p));
    let (Some(action), Some(state)) = (action, req.app_data::<web::Data<SharedState>>().map(|d| d.get_ref().clone()))
    else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let ip = crate::client_ip::of_request(req.request(), &state.settings.accounts.trusted_proxies);
    match check(&state, action, ip).await {
        Err(limited) => {
            let (http, _) = req.into_parts();
            Ok(ServiceResponse::new(http, limited.response()))
        }
        Ok(checked) => {
            let mut res = next.call(req).await?.map_into_boxed_body();
            // A handler's own 429 (jobs in flight) reports its own limit.
            if let Some(c) = checked.filter(|_| !res.headers().contains_key("ratelimit-limit")) {
                set_headers(res.headers_mut(), &c, false);
            }
            Ok(res)
        }
    }
}
