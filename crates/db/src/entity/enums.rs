//! The string-valued columns as enums: a row with a status, stage or kind is read and written
//! as one of these, so a typo cannot reach the database. The stored strings are exactly those
//! written before these types existed (no data migration); `tests::stored_strings_are_unchanged`
//! holds them fixed.
//!
//! The domain's own enums (`JobStatus`, `Stage`, ...) carry the rules; these mirror them for
//! sea-orm, which the domain crate must not depend on, and convert both ways.

use std::fmt;

use sea_orm::entity::prelude::*;

/// Declares a string column enum with `as_str`, `Display`, `Serialize` (as the stored string)
/// and comparison with `&str`.
macro_rules! string_column {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $value:tt),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
        #[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
        pub enum $name {
            $($(#[$vmeta])* #[sea_orm(string_value = $value)] $variant,)+
        }

        impl $name {
            /// The string stored in the column.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $value,)+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
    };
}

/// Converts both ways between a column enum and the domain enum with the same variants.
macro_rules! mirror {
    ($column:ident <=> $domain:path { $($variant:ident),+ $(,)? }) => {
        impl From<$domain> for $column {
            fn from(v: $domain) -> Self {
                use $domain as D;
                match v {
                    $(D::$variant => Self::$variant,)+
                }
            }
        }

        impl From<$column> for $domain {
            fn from(v: $column) -> Self {
                use $domain as D;
                match v {
                    $($column::$variant => D::$variant,)+
                }
            }
        }
    };
}

string_column!(
    /// `jobs.status`.
    JobStatus {
        Queued = "queued",
        Running = "running",
        AwaitingReview = "awaiting_review",
        Succeeded = "succeeded",
        Failed = "failed",
        Canceled = "canceled",
    }
);
mirror!(JobStatus <=> glimvid_domain::JobStatus { Queued, Running, AwaitingReview, Succeeded, Failed, Canceled });

string_column!(
    /// `job_stages.stage` and `job_events.stage`.
    Stage {
        Script = "script",
        Enhance = "enhance",
        Render = "render",
    }
);
mirror!(Stage <=> glimvid_domain::Stage { Script, Enhance, Render });

string_column!(
    /// `job_stages.status`.
    StageStatus {
        Pending = "pending",
        Running = "running",
        Succeeded = "succeeded",
        Failed = "failed",
        Canceled = "canceled",
    }
);
mirror!(StageStatus <=> glimvid_domain::StageStatus { Pending, Running, Succeeded, Failed, Canceled });

string_column!(
    /// `credit_ledger.currency` and `jobs.payment_currency`.
    Currency {
        Credit = "credit",
        Trial = "trial",
    }
);
mirror!(Currency <=> glimvid_domain::credits::Currency { Credit, Trial });

string_column!(
    /// `credit_ledger.kind`.
    EntryKind {
        Grant = "grant",
        Purchase = "purchase",
        Reserve = "reserve",
        Refund = "refund",
    }
);
mirror!(EntryKind <=> glimvid_domain::credits::EntryKind { Grant, Purchase, Reserve, Refund });

string_column!(
    /// `job_events.kind`: what the event is about.
    EventKind {
        /// The job's status changed (`status` is a [`JobStatus`]).
        Job = "job",
        /// A stage's status changed (`stage` is set, `status` is a [`StageStatus`]).
        Stage = "stage",
        /// A progress note (`message` says what).
        Note = "note",
    }
);

string_column!(
    /// `job_events.status`: a job status for `job` events, a stage status for `stage` events.
    EventStatus {
        Queued = "queued",
        Pending = "pending",
        Running = "running",
        AwaitingReview = "awaiting_review",
        Succeeded = "succeeded",
        Failed = "failed",
        Canceled = "canceled",
    }
);

impl From<glimvid_domain::JobStatus> for EventStatus {
    fn from(s: glimvid_domain::JobStatus) -> Self {
        use glimvid_domain::JobStatus as J;
        match s {
            J::Queued => Self::Queued,
            J::Running => Self::Running,
            J::AwaitingReview => Self::AwaitingReview,
            J::Succeeded => Self::Succeeded,
            J::Failed => Self::Failed,
            J::Canceled => Self::Canceled,
        }
    }
}

impl From<glimvid_domain::StageStatus> for EventStatus {
    fn from(s: glimvid_domain::StageStatus) -> Self {
        use glimvid_domain::StageStatus as S;
        match s {
            S::Pending => Self::Pending,
            S::Running => Self::Running,
            S::Succeeded => Self::Succeeded,
            S::Failed => Self::Failed,
            S::Canceled => Self::Canceled,
        }
    }
}

impl EventStatus {
    /// The job status this is, if it is one (`pending` is a stage's only).
    pub fn job_status(self) -> Option<glimvid_domain::JobStatus> {
        use glimvid_domain::JobStatus as J;
        Some(match self {
            Self::Queued => J::Queued,
            Self::Running => J::Running,
            Self::AwaitingReview => J::AwaitingReview,
            Self::Succeeded => J::Succeeded,
            Self::Failed => J::Failed,
            Self::Canceled => J::Canceled,
            Self::Pending => return None,
        })
    }

    /// The stage status this is, if it is one (`queued` and `awaiting_review` are a job's only).
    pub fn stage_status(self) -> Option<glimvid_domain::StageStatus> {
        use glimvid_domain::StageStatus as S;
        Some(match self {
            Self::Pending => S::Pending,
            Self::Running => S::Running,
            Self::Succeeded => S::Succeeded,
            Self::Failed => S::Failed,
            Self::Canceled => S::Canceled,
            Self::Queued | Self::AwaitingReview => return None,
        })
    }
}

string_column!(
    /// `assets.kind`.
    AssetKind {
        Original = "original",
        Enhanced = "enhanced",
        Script = "script",
        Video = "video",
        /// The narration's phrases: index 0 WebVTT, index 1 SRT.
        Subtitles = "subtitles",
        /// The voice-over said once the script was written (a WAV with its timings), reused by
        /// the render.
        Narration = "narration",
    }
);

string_column!(
    /// `webhook_deliveries.status`.
    DeliveryStatus {
        /// Due (again) at `next_attempt_at`.
        Pending = "pending",
        Delivered = "delivered",
        /// Given up on.
        Failed = "failed",
    }
);

#[cfg(test)]
mod tests {
    use sea_orm::{ActiveEnum, Iterable};

    use super::*;

    /// Each variant against the string the code wrote before these enums existed: a change
    /// here would orphan rows already stored.
    #[test]
    fn stored_strings_are_unchanged() {
        fn check<E: ActiveEnum<Value = String> + Iterable + fmt::Debug + PartialEq>(expected: &[&str]) {
            let stored: Vec<String> = E::iter().map(|v| v.to_value()).collect();
            assert_eq!(stored, expected);
            for s in expected {
                let back = E::try_from_value(&(*s).to_owned()).unwrap();
                assert_eq!(back.to_value(), *s);
            }
            assert!(E::try_from_value(&"nonsense".to_owned()).is_err());
        }
        check::<JobStatus>(&["queued", "running", "awaiting_review", "succeeded", "failed", "canceled"]);
        check::<Stage>(&["script", "enhance", "render"]);
        check::<StageStatus>(&["pending", "running", "succeeded", "failed", "canceled"]);
        check::<Currency>(&["credit", "trial"]);
        check::<EntryKind>(&["grant", "purchase", "reserve", "refund"]);
        check::<EventKind>(&["job", "stage", "note"]);
        check::<EventStatus>(&["queued", "pending", "running", "awaiting_review", "succeeded", "failed", "canceled"]);
        check::<AssetKind>(&["original", "enhanced", "script", "video", "subtitles", "narration"]);
        check::<DeliveryStatus>(&["pending", "delivered", "failed"]);
    }

    /// The column enums and the domain's agree on every string, so a conversion never changes
    /// what is stored.
    #[test]
    fn mirrors_keep_the_domain_strings() {
        for s in [
            glimvid_domain::JobStatus::Queued,
            glimvid_domain::JobStatus::Running,
            glimvid_domain::JobStatus::AwaitingReview,
            glimvid_domain::JobStatus::Succeeded,
            glimvid_domain::JobStatus::Failed,
            glimvid_domain::JobStatus::Canceled,
        ] {
            assert_eq!(JobStatus::from(s).as_str(), s.as_str());
            assert_eq!(EventStatus::from(s).as_str(), s.as_str());
            assert_eq!(EventStatus::from(s).job_status(), Some(s));
        }
        for s in [
            glimvid_domain::StageStatus::Pending,
            glimvid_domain::StageStatus::Running,
            glimvid_domain::StageStatus::Succeeded,
            glimvid_domain::StageStatus::Failed,
            glimvid_domain::StageStatus::Canceled,
        ] {
            assert_eq!(StageStatus::from(s).as_str(), s.as_str());
            assert_eq!(EventStatus::from(s).stage_status(), Some(s));
        }
        for s in glimvid_domain::Stage::ALL {
            assert_eq!(Stage::from(s).as_str(), s.as_str());
        }
        use glimvid_domain::credits::{Currency as C, EntryKind as K};
        for c in [C::Credit, C::Trial] {
            assert_eq!(Currency::from(c).as_str(), c.as_str());
        }
        for k in [K::Grant, K::Purchase, K::Reserve, K::Refund] {
            assert_eq!(EntryKind::from(k).as_str(), k.as_str());
        }
    }
}
