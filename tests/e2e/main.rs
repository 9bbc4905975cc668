//! End-to-end tests: the real `glimvid up` binary on free ports with a temporary data folder,
//! driven over HTTP only. One test binary (link time); one file per area.

mod accounts;
mod auth;
mod bad_inputs;
mod browser;
mod catalogue;
mod crash;
mod credits;
mod deploy_manifests;
mod distributed;
mod examples;
mod faults;
mod helpers;
mod isolation;
mod openapi;
mod ops;
mod partner_grpc;
mod privacy;
mod providers;
mod render;
mod review;
mod security_account;
mod security_auth;
mod security_grpc;
mod security_keys;
mod security_review;
mod security_streams;
mod security_uploads;
mod security_webhooks;
mod tls;
mod videos_api;
mod webapp;
mod webhooks;
