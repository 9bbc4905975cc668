//! The REST side of the rate limits ([`crate::application::limits`]): the middleware that
//! applies them to the limited routes, and the 429 answer with `Retry-After` and
//! `RateLimit-*` headers.

use actix_web::{
    HttpResponse,
    body::{BoxBody, MessageBody},
    dev::{ServiceRequest, ServiceResponse},
    http::header::{HeaderName, HeaderValue},
    middleware::Next,
    web,
};
use glimvid_db::repo::limits::Decision;
use glimvid_domain::DomainError;

use crate::{
    application::limits::{Action, Checked, Limited, check},
    rest::error::problem,
    state::SharedState,
};

/// The limited REST routes (method, route pattern).
fn action_of_route(method: &actix_web::http::Method, pattern: &str) -> Option<Action> {
    if method != actix_web::http::Method::POST {
        return None;
    }
    match pattern {
        "/api/v1/auth/login" => Some(Action::Login),
        "/api/v1/auth/register" => Some(Action::Register),
        "/api/v1/videos" => Some(Action::SubmitVideo),
        _ => None,
    }
}

/// The 429 problem document of `limited`, with its headers.
pub fn response(limited: &Limited) -> HttpResponse {
    let mut resp = problem(actix_web::http::StatusCode::TOO_MANY_REQUESTS, &limited.error());
    set_headers(resp.headers_mut(), &limited.0, true);
    resp
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
pub fn in_flight_response(e: &DomainError, limit: u32) -> HttpResponse {
    let c = Checked { decision: Decision { allowed: false, limit, remaining: 0, reset_ms: 10_000 }, window_s: 0 };
    let mut resp = problem(actix_web::http::StatusCode::TOO_MANY_REQUESTS, e);
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
    let action = req.match_pattern().and_then(|p| action_of_route(req.method(), &p));
    let (Some(action), Some(state)) = (action, req.app_data::<web::Data<SharedState>>().map(|d| d.get_ref().clone()))
    else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let ip = crate::rest::client_ip::of_request(req.request(), &state.settings.accounts.trusted_proxies);
    match check(&state, action, ip).await {
        Err(limited) => {
            let (http, _) = req.into_parts();
            Ok(ServiceResponse::new(http, response(&limited)))
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
