//! The one door every password hash and verification of this process goes through.
//!
//! An scrypt hash at the OWASP parameters holds 128 MiB for ~0.1–0.3 s. Without a bound, a burst
//! of logins (for real or random emails alike: unknown emails still pay a dummy verification)
//! would allocate 128 MiB per request at once and take the process down. The pool runs at most
//! `slots` hashes together on the blocking threads; a request that cannot get a slot within
//! `wait` is refused with `unavailable` (REST 503 with `Retry-After`, gRPC `UNAVAILABLE`)
//! instead of queueing without end.

use std::{sync::Arc, time::Duration};

use glimvid_domain::{DomainError, ErrorCode};
use tokio::sync::Semaphore;

#[derive(Debug, Clone)]
pub struct PasswordPool {
    slots: Arc<Semaphore>,
    wait: Duration,
}

/// The error of a request that found every hashing slot taken for longer than it may wait.
pub fn busy() -> DomainError {
    DomainError::new(ErrorCode::Unavailable, "busy: too many sign-ins at once; try again in a moment")
}

impl PasswordPool {
    pub fn new(slots: usize, wait: Duration) -> Self {
        Self { slots: Arc::new(Semaphore::new(slots.max(1))), wait }
    }

    /// Runs `f` on the blocking pool once a slot is free, or answers [`busy`] after `wait`.
    /// The slot is held until `f` returns, even if the caller gives up (the permit moves into
    /// the blocking task), so the bound holds for work that is already running.
    pub async fn run<T, F>(&self, f: F) -> Result<T, DomainError>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let permit = match tokio::time::timeout(self.wait, self.slots.clone().acquire_owned()).await {
            Ok(Ok(p)) => p,
            _ => return Err(busy()),
        };
        tokio::task::spawn_blocking(move || {
            let out = f();
            drop(permit);
            out
        })
        .await
        .map_err(|_| DomainError::new(ErrorCode::Internal, "password hashing failed"))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn never_more_than_n_at_once() {
        let pool = PasswordPool::new(2, Duration::from_secs(30));
        let running = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let (pool, running, peak) = (pool.clone(), running.clone(), peak.clone());
            tasks.push(tokio::spawn(async move {
                pool.run(move || {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(now, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(30));
                    running.fetch_sub(1, Ordering::SeqCst);
                })
                .await
            }));
        }
        for t in tasks {
            t.await.unwrap().unwrap();
        }
        assert_eq!(peak.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_full_pool_answers_busy_after_the_wait() {
        let pool = PasswordPool::new(1, Duration::from_millis(50));
        let holder = {
            let pool = pool.clone();
            tokio::spawn(async move { pool.run(|| std::thread::sleep(Duration::from_millis(500))).await })
        };
        tokio::time::sleep(Duration::from_millis(100)).await;
        let started = std::time::Instant::now();
        let err = pool.run(|| ()).await.unwrap_err();
        assert_eq!(err.code, ErrorCode::Unavailable);
        assert!(err.message.starts_with("busy"), "{}", err.message);
        assert!(started.elapsed() < Duration::from_millis(400));
        holder.await.unwrap().unwrap();
        // Free again once the holder is done.
        pool.run(|| ()).await.unwrap();
    }
}
