//! The partner API over gRPC: `glimvid.jobs.v1.VideoJobService`. Each method authenticates
//! the API key in the metadata, converts the message, and calls the same application function
//! as the REST handler ([`crate::application::videos`], [`crate::application::webhooks`],
//! [`crate::application::follow`]); errors go through the one code table
//! (`glimvid_proto::status`), so a partner sees the code a REST client would see. A client's
//! `grpc-timeout` bounds the work done for it. The API key is checked before the message is
//! read ([`guard`]).
//!
//! Files: [`service`] holds the methods, [`convert`] the messages to and from the
//! application's types, [`status`] the mapping of application errors to statuses and the
//! call's scope (request id, deadline), [`guard`] the checks made from the headers,
//! [`incoming`] the caps on connections. Nothing here uses the REST layer: both call
//! [`crate::application`].

mod convert;
mod guard;
mod incoming;
mod service;
mod status;

use glimvid_proto::jobs::v1 as pb;

use crate::state::SharedState;

pub use guard::{CallerIp, Guarded, Principal};
pub use incoming::{ConnectionCaps, capped};
pub use status::deadline;

/// The service, over the gateway's state.
#[derive(Clone)]
pub struct VideoJobGrpc {
    state: SharedState,
}

/// The partner service as the partner port serves it: the API key (and for `CreateVideoJob` the
/// rate limit, credits and jobs in flight) checked from the headers before the message is read,
/// and a message limit that fits the largest submission (`GLIMVID_GRPC_MAX_MESSAGE_BYTES`;
/// beyond it `OUT_OF_RANGE`, refused from the length prefix, before the message is buffered).
pub fn partner_service(
    state: SharedState,
) -> Guarded<pb::video_job_service_server::VideoJobServiceServer<VideoJobGrpc>> {
    let s = &state.settings;
    let max = match s.grpc_max_message_bytes {
        0 => s.max_photos as u64 * s.max_photo_bytes + 1024 * 1024,
        n => n,
    };
    let max = usize::try_from(max).unwrap_or(usize::MAX);
    let server = pb::video_job_service_server::VideoJobServiceServer::new(VideoJobGrpc { state: state.clone() })
        .max_decoding_message_size(max)
        .max_encoding_message_size(16 * 1024 * 1024);
    Guarded::new(server, state)
}

/// HTTP/2 flow-control windows of the partner port. What a connection may send before the
/// server reads it is buffered by the server: small windows keep a refused or stalled upload
/// from holding much memory (at most the connection window per connection).
pub const PARTNER_CONNECTION_WINDOW: u32 = 1024 * 1024;
pub const PARTNER_STREAM_WINDOW: u32 = 256 * 1024;
/// Calls at once on one partner connection.
pub const PARTNER_MAX_STREAMS: u32 = 32;

/// The partner port's transport settings (windows, streams, header size) on a server builder.
pub fn partner_transport(b: tonic::transport::Server) -> tonic::transport::Server {
    b.initial_connection_window_size(PARTNER_CONNECTION_WINDOW)
        .initial_stream_window_size(PARTNER_STREAM_WINDOW)
        .max_concurrent_streams(PARTNER_MAX_STREAMS)
        .http2_max_header_list_size(16 * 1024)
}

/// Reports the service as serving on a gRPC port's health service.
pub async fn mark_serving(health: &tonic_health::server::HealthReporter) {
    health.set_serving::<pb::video_job_service_server::VideoJobServiceServer<VideoJobGrpc>>().await;
}
