//! The job and stage state machine. A job has three stages: `script` and `enhance` run in
//! parallel from the uploads, `render` starts when both have succeeded — or, for a job submitted
//! with `review`, when its owner asks for it (the job waits in `awaiting_review` until then).

use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};

use crate::DomainError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Script,
    Enhance,
    Render,
}

impl Stage {
    pub const ALL: [Stage; 3] = [Stage::Script, Stage::Enhance, Stage::Render];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Script => "script",
            Self::Enhance => "enhance",
            Self::Render => "render",
        }
    }

    /// The queue that carries this stage's tasks.
    pub const fn queue(self) -> &'static str {
        match self {
            Self::Script => "glimvid.script",
            Self::Enhance => "glimvid.enhance",
            Self::Render => "glimvid.render",
        }
    }

    /// Stages that start as soon as the job is accepted.
    pub const fn initial() -> [Stage; 2] {
        [Stage::Script, Stage::Enhance]
    }

    /// How many stages must succeed before this one may start.
    pub const fn prerequisites(self) -> u32 {
        match self {
            Self::Script | Self::Enhance => 0,
            Self::Render => 2,
        }
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Stage {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "script" => Ok(Self::Script),
            "enhance" => Ok(Self::Enhance),
            "render" => Ok(Self::Render),
            other => Err(DomainError::invalid("stage", format!("unknown stage `{other}`"))),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StageStatus {
    Pending,
    Running,
    Succeeded,
    Failed,
    Canceled,
}

impl StageStatus {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Canceled => "canceled",
        }
    }

    pub const fn is_final(self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed | Self::Canceled)
    }

    /// Whether a worker may (re)start the stage from this state. `Running` is allowed because a
    /// worker that died mid-stage left it so, and its task is redelivered.
    pub const fn can_start(self) -> bool {
        matches!(self, Self::Pending | Self::Running)
    }
}

impl FromStr for StageStatus {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "pending" => Self::Pending,
            "running" => Self::Running,
            "succeeded" => Self::Succeeded,
            "failed" => Self::Failed,
            "canceled" => Self::Canceled,
            other => return Err(DomainError::invalid("status", format!("unknown stage status `{other}`"))),
        })
    }
}

impl fmt::Display for StageStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    Queued,
    Running,
    /// Script and enhance are done; the owner may edit the script, and render (which is when
    /// the job is paid for) starts only when asked.
    AwaitingReview,
    Succeeded,
    Failed,
    Canceled,
}

impl JobStatus {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::AwaitingReview => "awaiting_review",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Canceled => "canceled",
        }
    }

    pub const fn is_final(self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed | Self::Canceled)
    }

    /// Whether the job occupies the workers (counts against the account's jobs in flight). A
    /// job waiting for its owner's review does not: it may wait for days and uses no worker.
    pub const fn in_flight(self) -> bool {
        matches!(self, Self::Queued | Self::Running)
    }

    /// A failed or canceled job gives back whatever it had reserved.
    pub const fn refunds(self) -> bool {
        matches!(self, Self::Failed | Self::Canceled)
    }
}

impl FromStr for JobStatus {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "queued" => Self::Queued,
            "running" => Self::Running,
            "awaiting_review" => Self::AwaitingReview,
            "succeeded" => Self::Succeeded,
            "failed" => Self::Failed,
            "canceled" => Self::Canceled,
            other => return Err(DomainError::invalid("status", format!("unknown job status `{other}`"))),
        })
    }
}

impl fmt::Display for JobStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip() {
        for s in [
            StageStatus::Pending,
            StageStatus::Running,
            StageStatus::Succeeded,
            StageStatus::Failed,
            StageStatus::Canceled,
        ] {
            assert_eq!(s.as_str().parse::<StageStatus>().unwrap(), s);
        }
        for s in [
            JobStatus::Queued,
            JobStatus::Running,
            JobStatus::AwaitingReview,
            JobStatus::Succeeded,
            JobStatus::Failed,
            JobStatus::Canceled,
        ] {
            assert_eq!(s.as_str().parse::<JobStatus>().unwrap(), s);
        }
        for s in Stage::ALL {
            assert_eq!(s.as_str().parse::<Stage>().unwrap(), s);
        }
    }

    #[test]
    fn only_render_waits_for_others() {
        assert_eq!(Stage::Render.prerequisites(), 2);
        assert!(Stage::initial().iter().all(|s| s.prerequisites() == 0));
        assert!(!StageStatus::Succeeded.can_start());
        assert!(StageStatus::Running.can_start());
        assert!(JobStatus::Failed.refunds() && !JobStatus::Succeeded.refunds());
    }

    #[test]
    fn a_job_awaiting_review_is_neither_final_nor_in_flight() {
        assert!(!JobStatus::AwaitingReview.is_final());
        assert!(!JobStatus::AwaitingReview.in_flight());
        assert!(JobStatus::Queued.in_flight() && JobStatus::Running.in_flight());
        assert!(!JobStatus::Succeeded.in_flight());
    }
}
