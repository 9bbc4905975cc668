//! sea-orm entities, one file per table. Times are milliseconds since the Unix epoch (BIGINT):
//! the same type and ordering on PostgreSQL and SQLite.

pub mod api_keys;
pub mod assets;
pub mod credit_ledger;
pub mod enums;
pub mod job_events;
pub mod job_stages;
pub mod jobs;
pub mod outbox;
pub mod payments;
pub mod queue_tasks;
pub mod rate_limits;
pub mod refresh_tokens;
pub mod signing_keys;
pub mod usage_log;
pub mod users;
pub mod webhook_deliveries;
pub mod webhooks;
