//! REST errors: RFC 9457 problem documents. One table maps error codes to HTTP statuses; the
//! request id of the response is in every body so that a user's report can be found in the logs.

use actix_web::{HttpResponse, ResponseError, http::StatusCode};
use glimvid_domain::{DomainError, ErrorCode};
use serde::Serialize;

use crate::application::error::AppError;
pub use crate::application::error::{REQUEST_ID, current_request_id};

/// The HTTP status of each error code: an exhaustive match, so a new code cannot be forgotten.
const fn status_number(code: ErrorCode) -> u16 {
    match code {
        ErrorCode::Validation => 422,
        ErrorCode::MalformedRequest => 400,
        ErrorCode::Unauthenticated => 401,
        ErrorCode::Forbidden | ErrorCode::PasswordRequired | ErrorCode::InvalidPassword => 403,
        ErrorCode::NotFound => 404,
        ErrorCode::Conflict | ErrorCode::FailedPrecondition => 409,
        ErrorCode::PaymentRequired => 402,
        ErrorCode::PayloadTooLarge => 413,
        ErrorCode::UnsupportedMediaType => 415,
        ErrorCode::RateLimited => 429,
        ErrorCode::Unavailable => 503,
        ErrorCode::Internal => 500,
    }
}

/// Back from a status the framework chose itself (see [`framework_errors`]).
fn code_of_status(status: StatusCode) -> ErrorCode {
    ErrorCode::ALL.into_iter().find(|c| status_number(*c) == status.as_u16()).unwrap_or(if status.is_server_error() {
        ErrorCode::Internal
    } else {
        ErrorCode::MalformedRequest
    })
}

/// Error answers written by the framework rather than by us — a method the route does not
/// have, a body over the extractor's size limit — become problem documents like ours (their
/// headers, such as `Allow`, are kept). Answers that already are problem documents pass as is.
pub fn framework_errors<B: actix_web::body::MessageBody + 'static>() -> actix_web::middleware::ErrorHandlers<B> {
    use actix_web::{
        dev::ServiceResponse,
        http::header::{ALLOW, CONTENT_LENGTH, CONTENT_TYPE},
        middleware::{ErrorHandlerResponse, ErrorHandlers},
    };
    ErrorHandlers::new().default_handler(|res: ServiceResponse<B>| {
        let is_problem =
            res.headers().get(CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
        if is_problem {
            return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
        }
        let status = res.status();
        let detail = match status {
            StatusCode::METHOD_NOT_ALLOWED => {
                let allowed = res.headers().get(ALLOW).and_then(|v| v.to_str().ok()).unwrap_or("");
                format!("{} is not allowed here (allowed: {allowed})", res.request().method())
            }
            StatusCode::PAYLOAD_TOO_LARGE => "the request body is larger than this route accepts".to_owned(),
            other => other.canonical_reason().unwrap_or("the request failed").to_owned(),
        };
        let (req, old) = res.into_parts();
        let mut new = problem(status, &DomainError::new(code_of_status(status), detail));
        for (k, v) in old.headers() {
            if k != CONTENT_TYPE && k != CONTENT_LENGTH && !new.headers().contains_key(k) {
                new.headers_mut().insert(k.clone(), v.clone());
            }
        }
        Ok(ErrorHandlerResponse::Response(ServiceResponse::new(req, new).map_into_right_body()))
    })
}

pub fn http_status(code: ErrorCode) -> StatusCode {
    StatusCode::from_u16(status_number(code)).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// An error on its way to the client.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ApiError(pub DomainError);

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> Self {
        Self(e)
    }
}

/// The application's errors keep their code: the table above gives the status.
impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        Self(e.0)
    }
}

impl From<glimvid_db::DbError> for ApiError {
    fn from(e: glimvid_db::DbError) -> Self {
        AppError::from(e).into()
    }
}

impl From<glimvid_blob::BlobError> for ApiError {
    fn from(e: glimvid_blob::BlobError) -> Self {
        AppError::from(e).into()
    }
}

impl From<tonic::Status> for ApiError {
    fn from(s: tonic::Status) -> Self {
        AppError::from(s).into()
    }
}

/// An RFC 9457 problem document: the body of every error answer (`application/problem+json`).
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Problem)]
pub(crate) struct Problem<'a> {
    /// A URI naming the kind of problem: `https://glimvid.com/problems/<code>`.
    #[serde(rename = "type")]
    #[schema(format = "uri")]
    kind: String,
    /// A short, human-readable summary of the kind of problem.
    title: &'a str,
    /// The HTTP status of the answer.
    status: u16,
    /// What went wrong with this request.
    detail: &'a str,
    /// The stable error code (`validation_failed`, `unauthenticated`, `not_found`, `rate_limited`, …).
    code: &'a str,
    /// The request's id, as in the `x-request-id` header: quote it when reporting a problem.
    request_id: String,
    /// The offending field, when there is one (for example `options.duration_s`).
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
}

pub fn problem(status: StatusCode, e: &DomainError) -> HttpResponse {
    let body = Problem {
        kind: format!("https://glimvid.com/problems/{}", e.code.as_str().replace('_', "-")),
        title: e.code.title(),
        status: status.as_u16(),
        detail: &e.message,
        code: e.code.as_str(),
        request_id: current_request_id(),
        field: e.field.as_deref(),
    };
    HttpResponse::build(status)
        .content_type("application/problem+json")
        .body(serde_json::to_string(&body).unwrap_or_else(|_| "{}".into()))
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        http_status(self.0.code)
    }

    fn error_response(&self) -> HttpResponse {
        let mut resp = problem(self.status_code(), &self.0);
        if self.0.code == ErrorCode::Unauthenticated {
            resp.headers_mut().insert(
                actix_web::http::header::WWW_AUTHENTICATE,
                actix_web::http::header::HeaderValue::from_static("Bearer"),
            );
        }
        // Every 503 is momentary (a full password-hashing pool, a backend that is down): tell
        // clients when to come back instead of letting them retry in a tight loop.
        if self.0.code == ErrorCode::Unavailable {
            resp.headers_mut()
                .insert(actix_web::http::header::RETRY_AFTER, actix_web::http::header::HeaderValue::from_static("2"));
        }
        // A refusal that knows when it ends (the cap on wrong passwords) says so exactly.
        if let Some(secs) = self.0.retry_after_s {
            resp.headers_mut().insert(actix_web::http::header::RETRY_AFTER, secs.max(1).into());
        }
        // A 429 that the rate limiter did not annotate (a cap on open streams): a short wait.
        if self.0.code == ErrorCode::RateLimited && !resp.headers().contains_key(actix_web::http::header::RETRY_AFTER) {
            resp.headers_mut()
                .insert(actix_web::http::header::RETRY_AFTER, actix_web::http::header::HeaderValue::from_static("5"));
        }
        resp
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

pub fn bad_request(message: impl Into<String>) -> ApiError {
    ApiError(DomainError::new(ErrorCode::MalformedRequest, message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_a_status_and_framework_statuses_map_back() {
        for code in ErrorCode::ALL {
            let status = http_status(code);
            assert!(status.is_client_error() || status.is_server_error(), "{code}: {status}");
            // A status the framework chose maps back to a code with that same status.
            assert_eq!(http_status(code_of_status(status)), status, "{code}");
        }
        assert_eq!(http_status(ErrorCode::PaymentRequired), StatusCode::PAYMENT_REQUIRED);
        assert_eq!(code_of_status(StatusCode::METHOD_NOT_ALLOWED), ErrorCode::MalformedRequest);
        assert_eq!(code_of_status(StatusCode::BAD_GATEWAY), ErrorCode::Internal);
    }
}
