//! One memory budget for every photo decode of the process (`GLIMVID_DECODE_MEMORY_MB`). A
//! decode first reserves what its header says it will take ([`glimvid_media::DecodePlan`]); a
//! photo that alone needs more than the whole budget is refused, and when the budget is in use
//! the decode waits a little, then the request is told to come back (503 with `Retry-After`).
//! However many uploads arrive at once, decoding never holds more than the budget.

use std::{sync::Arc, time::Duration};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The budget is counted in KiB so that a `u32` permit count covers terabytes.
const UNIT: u64 = 1024;

/// How long a decode waits for room before its request gets 503.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(15);

#[derive(Debug, Clone)]
pub struct DecodeBudget {
    sem: Arc<Semaphore>,
    units: u32,
    wait: Duration,
}

/// Why a reservation was not made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BudgetError {
    /// More than the whole budget: this photo can never be decoded here.
    #[error("decoding this photo needs {needed} bytes, more than the {total} bytes the server allows")]
    TooLarge { needed: u64, total: u64 },
    /// The budget stayed in use for the whole wait.
    #[error("the server is busy decoding other photos")]
    Busy { retry_after_s: u64 },
}

/// Memory held from the budget; given back when dropped.
#[derive(Debug)]
pub struct Reservation {
    permit: OwnedSemaphorePermit,
}

impl Reservation {
    /// Bytes held.
    pub fn bytes(&self) -> u64 {
        self.permit.num_permits() as u64 * UNIT
    }

    /// Keeps only `bytes` of the reservation (e.g. the re-encoded photo once decoding is over)
    /// and gives the rest back at once.
    pub fn shrink_to(&mut self, bytes: u64) {
        let keep = units(bytes).max(1) as usize;
        let have = self.permit.num_permits();
        if keep < have {
            drop(self.permit.split(have - keep));
        }
    }
}

fn units(bytes: u64) -> u32 {
    bytes.div_ceil(UNIT).min(u32::MAX as u64) as u32
}

impl DecodeBudget {
    pub fn new(total_bytes: u64, wait: Duration) -> Self {
        let units = units(total_bytes).max(1);
        Self { sem: Arc::new(Semaphore::new(units as usize)), units, wait }
    }

    pub fn from_mb(mb: u64) -> Self {
        Self::new(mb.saturating_mul(1024 * 1024), DEFAULT_WAIT)
    }

    pub fn total_bytes(&self) -> u64 {
        self.units as u64 * UNIT
    }

    /// Bytes free right now.
    pub fn available_bytes(&self) -> u64 {
        self.sem.available_permits() as u64 * UNIT
    }

    /// Reserves `bytes`, waiting up to the budget's wait for room.
    pub async fn reserve(&self, bytes: u64) -> Result<Reservation, BudgetError> {
        let needed = units(bytes).max(1);
        if needed > self.units {
            return Err(BudgetError::TooLarge { needed: bytes, total: self.total_bytes() });
        }
        match tokio::time::timeout(self.wait, self.sem.clone().acquire_many_owned(needed)).await {
            Ok(Ok(permit)) => Ok(Reservation { permit }),
            // The semaphore is never closed; a timeout is the only way to fail.
            _ => Err(BudgetError::Busy { retry_after_s: self.wait.as_secs().clamp(1, 60) }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MB: u64 = 1024 * 1024;

    #[tokio::test]
    async fn reservations_never_exceed_the_budget() {
        let b = DecodeBudget::new(100 * MB, Duration::from_millis(50));
        let a = b.reserve(60 * MB).await.unwrap();
        assert_eq!(a.bytes(), 60 * MB);
        assert_eq!(b.available_bytes(), 40 * MB);
        // 50 MB more does not fit while `a` is held: the wait ends in Busy.
        assert!(matches!(b.reserve(50 * MB).await, Err(BudgetError::Busy { .. })));
        let c = b.reserve(40 * MB).await.unwrap();
        assert_eq!(b.available_bytes(), 0);
        drop(a);
        drop(c);
        assert_eq!(b.available_bytes(), 100 * MB);
    }

    #[tokio::test]
    async fn a_photo_larger_than_the_whole_budget_is_refused_at_once() {
        let b = DecodeBudget::new(100 * MB, Duration::from_secs(60));
        let started = std::time::Instant::now();
        assert_eq!(b.reserve(101 * MB).await.unwrap_err(), BudgetError::TooLarge { needed: 101 * MB, total: 100 * MB });
        assert!(started.elapsed() < Duration::from_secs(1));
    }

    #[tokio::test]
    async fn a_waiting_decode_gets_room_when_another_ends() {
        let b = DecodeBudget::new(100 * MB, Duration::from_secs(5));
        let a = b.reserve(80 * MB).await.unwrap();
        let waiter = tokio::spawn({
            let b = b.clone();
            async move { b.reserve(50 * MB).await.map(|r| r.bytes()) }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!waiter.is_finished());
        drop(a);
        assert_eq!(waiter.await.unwrap().unwrap(), 50 * MB);
    }

    #[tokio::test]
    async fn shrinking_gives_the_rest_back() {
        let b = DecodeBudget::new(100 * MB, Duration::from_millis(50));
        let mut r = b.reserve(90 * MB).await.unwrap();
        r.shrink_to(5 * MB);
        assert_eq!(r.bytes(), 5 * MB);
        assert_eq!(b.available_bytes(), 95 * MB);
        // Shrinking never grows.
        r.shrink_to(50 * MB);
        assert_eq!(r.bytes(), 5 * MB);
    }
}
