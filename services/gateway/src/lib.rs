//! The gateway: the REST API of Glimvid (`/api/v1`), public video links and health; the
//! partner gRPC API; metrics on the operations address. It verifies access tokens locally,
//! calls the auth service over gRPC, and turns submissions into jobs whose first tasks leave
//! through the outbox.
//!
//! The folders are the architecture: [`application`] holds what the gateway does (REST and gRPC
//! both call it), [`rest`] and [`grpc`] are the two edges over it, [`background`] the work that
//! runs beside them, and [`startup`] wires them together for both binaries.

pub mod application;
pub mod auth_client;
pub mod background;
pub mod grpc;
pub mod ops;
pub mod rest;
pub mod startup;
pub mod state;

pub use startup::{Addresses, Gateway};
pub use state::{AccountSettings, GatewaySettings, GatewayState, SharedState};
