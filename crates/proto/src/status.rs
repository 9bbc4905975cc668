//! The one table between domain error codes and gRPC status codes. The stable code string rides
//! in the `glimvid-code` metadata entry so that a REST edge behind a gRPC call reports the same
//! code the service chose.

use glimvid_domain::{DomainError, ErrorCode};
use tonic::{Code, Status, metadata::MetadataValue};

const CODE_KEY: &str = "glimvid-code";
const FIELD_KEY: &str = "glimvid-field";
const RETRY_KEY: &str = "glimvid-retry-after";

/// The gRPC code of each error code: an exhaustive match, so a new code cannot be forgotten.
pub const fn grpc_code(code: ErrorCode) -> Code {
    match code {
        ErrorCode::Validation
        | ErrorCode::MalformedRequest
        | ErrorCode::PayloadTooLarge
        | ErrorCode::UnsupportedMediaType => Code::InvalidArgument,
        ErrorCode::Unauthenticated => Code::Unauthenticated,
        ErrorCode::Forbidden | ErrorCode::PasswordRequired | ErrorCode::InvalidPassword => Code::PermissionDenied,
        ErrorCode::NotFound => Code::NotFound,
        ErrorCode::Conflict => Code::AlreadyExists,
        ErrorCode::PaymentRequired | ErrorCode::RateLimited => Code::ResourceExhausted,
        ErrorCode::FailedPrecondition => Code::FailedPrecondition,
        ErrorCode::Unavailable => Code::Unavailable,
        ErrorCode::Internal => Code::Internal,
    }
}

pub fn to_status(e: &DomainError) -> Status {
    let mut s = Status::new(grpc_code(e.code), e.message.clone());
    if let Ok(v) = MetadataValue::try_from(e.code.as_str()) {
        s.metadata_mut().insert(CODE_KEY, v);
    }
    if let Some(f) = &e.field
        && let Ok(v) = MetadataValue::try_from(f.as_str())
    {
        s.metadata_mut().insert(FIELD_KEY, v);
    }
    if let Some(secs) = e.retry_after_s {
        s.metadata_mut().insert(RETRY_KEY, MetadataValue::from(secs));
    }
    s
}

/// Back from a status (a client of our own services): the original code if it was sent,
/// otherwise the closest one; transport failures are `Unavailable` with a generic message.
pub fn from_status(s: &Status) -> DomainError {
    let sent = s.metadata().get(CODE_KEY).and_then(|v| v.to_str().ok());
    let code = sent.and_then(|c| c.parse::<ErrorCode>().ok()).unwrap_or_else(|| match s.code() {
        Code::InvalidArgument | Code::OutOfRange => ErrorCode::Validation,
        Code::Unauthenticated => ErrorCode::Unauthenticated,
        Code::PermissionDenied => ErrorCode::Forbidden,
        Code::NotFound => ErrorCode::NotFound,
        Code::AlreadyExists => ErrorCode::Conflict,
        Code::ResourceExhausted => ErrorCode::RateLimited,
        Code::FailedPrecondition => ErrorCode::FailedPrecondition,
        Code::Unavailable | Code::DeadlineExceeded | Code::Cancelled => ErrorCode::Unavailable,
        _ => ErrorCode::Internal,
    });
    let message = if sent.is_some() { s.message().to_owned() } else { code.title().to_owned() };
    let text = |key: &str| s.metadata().get(key).and_then(|v| v.to_str().ok());
    DomainError {
        code,
        message,
        field: text(FIELD_KEY).map(str::to_owned),
        retry_after_s: text(RETRY_KEY).and_then(|v| v.parse().ok()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_keeps_code_and_field() {
        let e = DomainError::invalid("email", "bad email");
        let back = from_status(&to_status(&e));
        assert_eq!(back, e);
        let e = DomainError::new(ErrorCode::PaymentRequired, "no credits");
        assert_eq!(to_status(&e).code(), Code::ResourceExhausted);
        assert_eq!(from_status(&to_status(&e)).code, ErrorCode::PaymentRequired);
        let e = DomainError::new(ErrorCode::RateLimited, "too many wrong passwords").retry_after(840);
        assert_eq!(from_status(&to_status(&e)), e, "the retry hint crosses the hop");
        let e = DomainError::new(ErrorCode::InvalidPassword, "wrong");
        assert_eq!(to_status(&e).code(), Code::PermissionDenied);
        assert_eq!(from_status(&to_status(&e)).code, ErrorCode::InvalidPassword);
    }

    #[test]
    fn foreign_statuses_hide_their_message() {
        let e = from_status(&Status::unavailable("tcp connect error 127.0.0.1:1"));
        assert_eq!(e.code, ErrorCode::Unavailable);
        assert!(!e.message.contains("127.0.0.1"));
    }
}
