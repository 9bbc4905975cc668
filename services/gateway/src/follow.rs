//! Following a job's events as they are written: the one loop behind the REST event stream
//! (SSE) and gRPC `WatchVideoJob`. Events come from the database, so a client of any replica
//! sees every transition, and a client that reconnects resumes after the last event id it saw.

use std::time::Duration;

use futures::Stream;
use glimvid_db::repo::jobs::{self, JobEvent};
use glimvid_domain::{DomainError, ErrorCode, JobStatus};
use uuid::Uuid;

use crate::{error::ApiError, state::SharedState};

/// What a follower yields.
#[derive(Debug, Clone)]
pub enum Followed {
    Event(JobEvent),
    /// Nothing happened for a while (SSE sends a keep-alive comment then).
    Idle,
}

const POLL: Duration = Duration::from_millis(250);
/// `Idle` after this many empty polls (15 s).
const IDLE_EVERY: u32 = 60;

/// Whether `e` ends the job (its last event).
pub fn is_final(e: &JobEvent) -> bool {
    e.kind == "job" && e.status.as_deref().and_then(|s| s.parse::<JobStatus>().ok()).is_some_and(|s| s.is_final())
}

/// The events of `job_id` after event id `after`, until the job's final event (included), the
/// job's deletion, or an error (yielded once, then the end).
pub fn events(state: SharedState, job_id: Uuid, after: i64) -> impl Stream<Item = Result<Followed, ApiError>> {
    struct Cursor {
        state: SharedState,
        after: i64,
        done: bool,
        idle: u32,
        buffered: std::collections::VecDeque<JobEvent>,
    }
    let cursor = Cursor { state, after, done: false, idle: 0, buffered: Default::default() };
    futures::stream::unfold(cursor, move |mut c| async move {
        loop {
            if let Some(e) = c.buffered.pop_front() {
                if is_final(&e) {
                    c.done = true;
                    c.buffered.clear();
                }
                return Some((Ok(Followed::Event(e)), c));
            }
            if c.done {
                return None;
            }
            let batch = match jobs::events_after(&c.state.backends.db, job_id, c.after, 100).await {
                Ok(b) => b,
                Err(e) => {
                    c.done = true;
                    tracing::warn!(error = %e, %job_id, "job events could not be read");
                    let err = DomainError::new(ErrorCode::Unavailable, "events are temporarily unavailable");
                    return Some((Err(err.into()), c));
                }
            };
            if let Some(last) = batch.last() {
                c.after = last.id;
                c.idle = 0;
                c.buffered.extend(batch);
                continue;
            }
            c.idle += 1;
            // The job may have been deleted: end the stream then.
            if c.idle % 20 == 0 && jobs::get(&c.state.backends.db, job_id).await.is_err() {
                return None;
            }
            if c.idle % IDLE_EVERY == 0 {
                return Some((Ok(Followed::Idle), c));
            }
            tokio::time::sleep(POLL).await;
        }
    })
}
