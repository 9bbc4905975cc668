//! The error of the application layer: a domain error with its stable code, on its way to
//! whichever edge (REST problem documents, gRPC statuses) serves the call. Backend failures are
//! logged here, with the request id, and reach the client only as their code.

use glimvid_domain::{DomainError, ErrorCode};

tokio::task_local! {
    /// The current request's id, set by the edge that serves the request (the REST middleware,
    /// the gRPC guard) for the handler's scope, so that logs and errors can quote it.
    pub static REQUEST_ID: String;
}

/// The id of the request being served, or an empty string outside of one.
pub fn current_request_id() -> String {
    REQUEST_ID.try_with(Clone::clone).unwrap_or_default()
}

/// What an application function failed with. The edges map [`DomainError::code`] to an HTTP
/// status or a `tonic::Code`; nothing here knows either.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct AppError(pub DomainError);

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn code(&self) -> ErrorCode {
        self.0.code
    }
}

impl From<DomainError> for AppError {
    fn from(e: DomainError) -> Self {
        Self(e)
    }
}

impl From<glimvid_db::DbError> for AppError {
    fn from(e: glimvid_db::DbError) -> Self {
        match e {
            glimvid_db::DbError::Db(inner) => {
                tracing::error!(error = %inner, request_id = %current_request_id(), "database error");
                Self(DomainError::new(ErrorCode::Unavailable, "the service is temporarily unavailable; try again"))
            }
            other => Self(DomainError::new(other.code(), other.to_string())),
        }
    }
}

impl From<glimvid_blob::BlobError> for AppError {
    fn from(e: glimvid_blob::BlobError) -> Self {
        match e {
            glimvid_blob::BlobError::NotFound => Self(DomainError::not_found("object")),
            other => {
                tracing::error!(error = %other, request_id = %current_request_id(), "object store error");
                Self(DomainError::new(ErrorCode::Unavailable, "storage is temporarily unavailable; try again"))
            }
        }
    }
}
