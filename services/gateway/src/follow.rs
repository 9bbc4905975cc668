//! Following a job's events as they are written: the one loop behind the REST event stream
//! (SSE) and gRPC `WatchVideoJob`. Events come from the database, so a client of any replica
//! sees every transition, and a client that reconnects resumes after the last event id it saw.

use std::time::Duration;

use tokio::time::Instant;

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

/// The first wait after an empty poll; each further empty poll doubles it up to `POLL_MAX`, so a
/// quiet stream costs about one read a second instead of four.
const POLL: Duration = Duration::from_millis(250);
const POLL_MAX: Duration = Duration::from_secs(2);
/// `Idle` (an SSE keep-alive) after this long without an event.
const IDLE_EVERY: Duration = Duration::from_secs(15);
/// No stream outlives this: a client that still wants events reconnects with its last event id.
const STREAM_MAX: Duration = Duration::from_secs(3600);
/// A job awaiting review may wait for days: its stream ends after this long without an event.
const STREAM_IDLE: Duration = Duration::from_secs(600);

/// Whether `e` ends the job (its last event).
pub fn is_final(e: &JobEvent) -> bool {
    e.kind == "job" && e.status.as_deref().and_then(|s| s.parse::<JobStatus>().ok()).is_some_and(|s| s.is_final())
}

/// The events of `job_id` after event id `after`, until the job's final event (included), the
/// job's end when `after` is already past its final event (a resumed stream), the job's
/// deletion, `STREAM_MAX`, `STREAM_IDLE` without an event while the job awaits review, or an
/// error (yielded once, then the end).
pub fn events(state: SharedState, job_id: Uuid, after: i64) -> impl Stream<Item = Result<Followed, ApiError>> {
    struct Cursor {
        state: SharedState,
        after: i64,
        done: bool,
        wait: Duration,
        started: Instant,
        last_event: Instant,
        last_idle: Instant,
        buffered: std::collections::VecDeque<JobEvent>,
    }
    let now = Instant::now();
    let cursor = Cursor {
        state,
        after,
        done: false,
        wait: POLL,
        started: now,
        last_event: now,
        last_idle: now,
        buffered: Default::default(),
    };
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
                c.wait = POLL;
                c.last_event = Instant::now();
                c.last_idle = c.last_event;
                c.buffered.extend(batch);
                continue;
            }
            if c.started.elapsed() >= STREAM_MAX {
                return None;
            }
            // Nothing after `after`: the job may have been deleted, or have ended before this
            // (resumed) stream began, so its final event is behind the cursor; either ends it.
            match jobs::get(&c.state.backends.db, job_id).await {
                Err(_) => return None,
                Ok(v) => match v.job.status.parse::<JobStatus>() {
                    Ok(s) if s.is_final() => return None,
                    Ok(JobStatus::AwaitingReview) if c.last_event.elapsed() >= STREAM_IDLE => return None,
                    _ => {}
                },
            }
            if c.last_idle.elapsed() >= IDLE_EVERY {
                c.last_idle = Instant::now();
                return Some((Ok(Followed::Idle), c));
            }
            tokio::time::sleep(c.wait).await;
            c.wait = (c.wait * 2).min(POLL_MAX);
        }
    })
}
