//! Credit rules. The balance is the sum of an append-only ledger; a job reserves its cost when it
//! is accepted (a job submitted for review: when its render is requested) and gets back exactly
//! what it reserved, once, if it fails or is canceled.

use serde::{Deserialize, Serialize};

/// What a video costs.
pub const VIDEO_COST: i64 = 1;

/// Free trial videos granted to a new account unless configured otherwise.
pub const DEFAULT_FREE_TRIALS: i64 = 3;

/// The two balances a ledger entry can move.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Currency {
    /// Bought (or granted) credits.
    Credit,
    /// Free trial videos.
    Trial,
}

impl Currency {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Credit => "credit",
            Self::Trial => "trial",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "credit" => Some(Self::Credit),
            "trial" => Some(Self::Trial),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    Grant,
    Purchase,
    Reserve,
    Refund,
}

impl EntryKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Grant => "grant",
            Self::Purchase => "purchase",
            Self::Reserve => "reserve",
            Self::Refund => "refund",
        }
    }
}

/// Which balance pays for the next video: a free trial first, then bought credits.
pub fn choose_payment(trials_left: i64, credits: i64) -> Option<Currency> {
    if trials_left >= VIDEO_COST {
        Some(Currency::Trial)
    } else if credits >= VIDEO_COST {
        Some(Currency::Credit)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trials_are_spent_before_credits() {
        assert_eq!(choose_payment(1, 5), Some(Currency::Trial));
        assert_eq!(choose_payment(0, 5), Some(Currency::Credit));
        assert_eq!(choose_payment(0, 0), None);
    }
}
