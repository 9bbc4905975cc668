//! The REST edge: actix handlers under `/api/v1` ([`routes`]), the public video links and the
//! web app, and what only HTTP needs — problem documents ([`error`]), extractors, CORS, the
//! OpenAPI document, the rate-limit middleware, step-up checks. Handlers extract, authorise and
//! convert, then call [`crate::application`]; an application error becomes a problem document
//! through `From<AppError> for ApiError`.

pub mod client_ip;
pub mod cors;
pub mod error;
pub mod extract;
pub mod openapi;
pub mod rate_limit;
pub mod responses;
#[cfg(any(test, feature = "test-support"))]
pub mod route_probe;
pub mod routes;
pub mod server;
pub mod step_up;

pub use server::run;
