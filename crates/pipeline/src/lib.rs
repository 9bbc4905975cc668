//! The stage worker loop shared by the script, enhance and render workers, the outbox relay that
//! hands committed tasks to the queue, and the object key layout.
//!
//! A worker takes a task, marks the stage running, runs it, stores its artifacts under
//! deterministic keys, records the result (which hands on to the next stage in the same
//! transaction) and only then acks. Transient failures retry with backoff; permanent ones fail
//! the job with a reason the user can read; a task that exhausts its retries is dead-lettered.

pub mod backends;
pub mod instant;
pub mod keys;
pub mod objects;
pub mod process;
pub mod providers;
pub mod relay;
pub mod task;
pub mod worker;

pub use backends::{Backends, sha256_hex};
pub use objects::{JobObjects, Swept};
pub use relay::{OutboxRelay, RelayError};
pub use task::{TaskTrace, decode_task, encode_task};
pub use worker::{Handled, StageError, StageHandler, StageRun, Worker, WorkerConfig};
