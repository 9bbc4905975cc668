//! Work the gateway process does besides answering calls: the webhook dispatcher
//! ([`webhooks`]), periodic clean-up ([`housekeeping`]) and hosting the outbox relay
//! ([`relay`]). Each runs until the shutdown signal; [`crate::startup`] spawns them.

pub mod housekeeping;
pub mod relay;
pub mod webhooks;
