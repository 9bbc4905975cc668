//! The application layer: what the gateway does for a caller, whichever edge it came through.
//! REST handlers ([`crate::rest`]) and partner gRPC methods ([`crate::grpc`]) extract,
//! authorise and convert, then call these functions; they answer with [`error::AppError`]
//! (a domain error with its stable code) and know neither actix nor tonic.

pub mod account;
pub mod billing;
pub mod client_ip;
pub mod decode_budget;
pub mod error;
pub mod follow;
pub mod limits;
pub mod page;
pub mod review;
pub mod spool;
pub mod videos;
pub mod view;
pub mod webhooks;

pub use error::{AppError, AppResult};
