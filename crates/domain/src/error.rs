//! Error kinds shared by every layer. Each has a stable machine-readable code; the edges (REST,
//! gRPC) map codes to statuses in one table each.

use std::fmt;

/// Stable error codes. Clients may match on the string form; never rename one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    Validation,
    MalformedRequest,
    Unauthenticated,
    Forbidden,
    /// A sensitive action (API key, email change, export, deletion, password change) asked for
    /// the current password and none was given.
    PasswordRequired,
    /// The current password given for a sensitive action is wrong.
    InvalidPassword,
    NotFound,
    Conflict,
    PaymentRequired,
    PayloadTooLarge,
    UnsupportedMediaType,
    RateLimited,
    FailedPrecondition,
    Unavailable,
    Internal,
}

impl ErrorCode {
    /// Every code, in declaration order ([`ErrorCode::index`] is each one's place, and its
    /// exhaustive match makes a new code impossible to forget here; a test checks the order).
    pub const ALL: [Self; 15] = [
        Self::Validation,
        Self::MalformedRequest,
        Self::Unauthenticated,
        Self::Forbidden,
        Self::PasswordRequired,
        Self::InvalidPassword,
        Self::NotFound,
        Self::Conflict,
        Self::PaymentRequired,
        Self::PayloadTooLarge,
        Self::UnsupportedMediaType,
        Self::RateLimited,
        Self::FailedPrecondition,
        Self::Unavailable,
        Self::Internal,
    ];

    /// This code's place in [`ErrorCode::ALL`].
    pub const fn index(self) -> usize {
        match self {
            Self::Validation => 0,
            Self::MalformedRequest => 1,
            Self::Unauthenticated => 2,
            Self::Forbidden => 3,
            Self::PasswordRequired => 4,
            Self::InvalidPassword => 5,
            Self::NotFound => 6,
            Self::Conflict => 7,
            Self::PaymentRequired => 8,
            Self::PayloadTooLarge => 9,
            Self::UnsupportedMediaType => 10,
            Self::RateLimited => 11,
            Self::FailedPrecondition => 12,
            Self::Unavailable => 13,
            Self::Internal => 14,
        }
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Validation => "validation_failed",
            Self::MalformedRequest => "malformed_request",
            Self::Unauthenticated => "unauthenticated",
            Self::Forbidden => "forbidden",
            Self::PasswordRequired => "password_required",
            Self::InvalidPassword => "invalid_password",
            Self::NotFound => "not_found",
            Self::Conflict => "conflict",
            Self::PaymentRequired => "payment_required",
            Self::PayloadTooLarge => "payload_too_large",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::RateLimited => "rate_limited",
            Self::FailedPrecondition => "failed_precondition",
            Self::Unavailable => "unavailable",
            Self::Internal => "internal",
        }
    }

    /// A short human title for the code (RFC 9457 `title`).
    pub const fn title(self) -> &'static str {
        match self {
            Self::Validation => "The request is not valid",
            Self::MalformedRequest => "The request could not be read",
            Self::Unauthenticated => "Authentication required",
            Self::Forbidden => "Not allowed",
            Self::PasswordRequired => "The current password is required",
            Self::InvalidPassword => "The current password is wrong",
            Self::NotFound => "Not found",
            Self::Conflict => "Conflict",
            Self::PaymentRequired => "Not enough credits",
            Self::PayloadTooLarge => "Payload too large",
            Self::UnsupportedMediaType => "Unsupported media type",
            Self::RateLimited => "Too many requests",
            Self::FailedPrecondition => "The resource is not in a state that allows this",
            Self::Unavailable => "Service temporarily unavailable",
            Self::Internal => "Internal error",
        }
    }
}

impl std::str::FromStr for ErrorCode {
    type Err = UnknownErrorCode;

    /// The code whose [`ErrorCode::as_str`] is `s`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|c| c.as_str() == s).ok_or(UnknownErrorCode)
    }
}

/// A string that is no [`ErrorCode`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("unknown error code")]
pub struct UnknownErrorCode;

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error with a code and a message that is safe to show to the client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct DomainError {
    pub code: ErrorCode,
    pub message: String,
    /// The offending field, when there is one (for example `options.duration_s`).
    pub field: Option<String>,
    /// For a refusal that ends at a known time (a rate limit's window): seconds until then, so
    /// that the edge can say `Retry-After` exactly, also across a gRPC hop.
    pub retry_after_s: Option<u64>,
}

impl DomainError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), field: None, retry_after_s: None }
    }

    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { code: ErrorCode::Validation, message: message.into(), field: Some(field.into()), retry_after_s: None }
    }

    /// The same error with the seconds after which a retry may succeed.
    pub fn retry_after(mut self, secs: u64) -> Self {
        self.retry_after_s = Some(secs);
        self
    }

    /// The same error under another code (e.g. a field error that is really a 415).
    pub fn with_code(mut self, code: ErrorCode) -> Self {
        self.code = code;
        self
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(ErrorCode::NotFound, format!("{what} not found"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_listed_once_in_its_place_and_parses_back() {
        for (i, code) in ErrorCode::ALL.into_iter().enumerate() {
            assert_eq!(code.index(), i, "{code} is out of place in ErrorCode::ALL");
            assert_eq!(code.as_str().parse::<ErrorCode>(), Ok(code));
        }
        assert_eq!("no_such_code".parse::<ErrorCode>(), Err(UnknownErrorCode));
    }
}
