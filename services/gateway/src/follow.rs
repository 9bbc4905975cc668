//! Following a job's events as they are written: the one loop behind the REST event stream
//! (SSE) and gRPC `WatchVideoJob`. Events come from the database, so a client of any replica
//! sees every transition, and a client that reconnects resumes after the last event id it saw.

use std::time::Duration;

use tokio::time::Instant;

use futures::Stream;
use glimvid_db::entity::enums::EventKind;
use glimvid_db::repo::jobs::{self, JobEvent};
use glimvid_domain::{DomainError, ErrorCode, JobId, JobStatus, UserId};

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
// No stream outlives `GLIMVID_STREAM_MAX_S`: a client that still wants events reconnects with
// its last event id. A job awaiting review may wait for days: its stream ends after
// `GLIMVID_STREAM_IDLE_S` without an event.

/// The event streams each account has open in this process, so that one account cannot hold
/// more than `GLIMVID_MAX_STREAMS_PER_ACCOUNT` database pollers.
#[derive(Debug, Default)]
pub struct StreamSlots {
    open: std::sync::Mutex<std::collections::HashMap<UserId, u32>>,
}

/// One open stream of an account; dropped with the stream (its end, or the client going away).
#[derive(Debug)]
pub struct StreamSlot {
    slots: std::sync::Arc<StreamSlots>,
    user_id: UserId,
}

impl StreamSlots {
    /// A slot for one more stream of `user_id`, or 429 when the account has `max` open (0 = no
    /// limit).
    pub fn open(self: &std::sync::Arc<Self>, user_id: UserId, max: u32) -> Result<StreamSlot, ApiError> {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let n = open.entry(user_id).or_insert(0);
        if max > 0 && *n >= max {
            return Err(DomainError::new(
                ErrorCode::RateLimited,
                format!("at most {max} event streams may be open at once per account; close one first"),
            )
            .into());
        }
        *n += 1;
        Ok(StreamSlot { slots: self.clone(), user_id })
    }

    /// Streams `user_id` has open.
    pub fn count(&self, user_id: UserId) -> u32 {
        self.open.lock().unwrap_or_else(|p| p.into_inner()).get(&user_id).copied().unwrap_or(0)
    }
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        let mut open = self.slots.open.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = open.get_mut(&self.user_id) {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.user_id);
            }
        }
    }
}

/// Whether `e` ends the job (its last event).
pub fn is_final(e: &JobEvent) -> bool {
    e.kind == EventKind::Job && e.status.and_then(|s| s.job_status()).is_some_and(|s| s.is_final())
}

/// The events of `job_id` after event id `after`, until the job's final event (included), the
/// job's end when `after` is already past its final event (a resumed stream), the job's
/// deletion, the stream maximum, the idle limit while the job awaits review, or an error
/// (yielded once, then the end). `slot` is held for as long as the stream lives.
pub fn events(
    state: SharedState,
    job_id: JobId,
    after: i64,
    slot: StreamSlot,
) -> impl Stream<Item = Result<Followed, ApiError>> {
    struct Cursor {
        _slot: StreamSlot,
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
        _slot: slot,
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
            if c.started.elapsed() >= c.state.settings.accounts.stream_max {
                return None;
            }
            // Nothing after `after`: the job may have been deleted, or have ended before this
            // (resumed) stream began, so its final event is behind the cursor; either ends it.
            match jobs::get(&c.state.backends.db, job_id).await {
                Err(_) => return None,
                Ok(v) => match JobStatus::from(v.job.status) {
                    s if s.is_final() => return None,
                    JobStatus::AwaitingReview if c.last_event.elapsed() >= c.state.settings.accounts.stream_idle => {
                        return None;
                    }
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
