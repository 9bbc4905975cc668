//! Jobs and their stages: creation with the credit reservation and the first tasks (outbox), and
//! every stage transition. Each function is one transaction that starts by locking the job (or
//! user) row, so concurrent workers on the same job serialise and the fan-in is decided once.
//!
//! A job submitted with `review` stops in `awaiting_review` where the fan-in would hand on to
//! render; its owner may replace the script, and [`request_render`] then pays for the job and
//! writes the render task, in one transaction.

mod admission;
mod lifecycle;
mod reads;
mod review;
mod stages;

pub use admission::*;
pub use lifecycle::*;
pub use reads::*;
pub use review::*;
pub use stages::*;

use glimvid_domain::{
    JobId, JobStatus, Stage, StageStatus, UserId,
    credits::{Currency, EntryKind, VIDEO_COST, choose_payment},
    options::JobOptions,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
    sea_query::{Expr, ExprTrait, OnConflict},
};
use uuid::Uuid;

use super::{
    credits::{self, Entry},
    lock_row,
};
use crate::{
    Db, DbError,
    entity::{
        assets,
        enums::{self, AssetKind, EventKind, EventStatus},
        job_events, job_stages, jobs, outbox,
    },
    now_ms,
};

pub use assets::Model as Asset;
pub use job_events::Model as JobEvent;
pub use job_stages::Model as JobStage;
pub use jobs::Model as Job;

/// A stored object that belongs to a job.
#[derive(Debug, Clone)]
pub struct NewAsset {
    pub kind: AssetKind,
    pub idx: i32,
    pub blob_key: String,
    pub size: i64,
    pub content_type: String,
    pub sha256: String,
    pub width: Option<i32>,
    pub height: Option<i32>,
}

/// A task to publish once the transaction commits.
#[derive(Debug, Clone)]
pub struct NewTask {
    pub queue: &'static str,
    pub payload: Vec<u8>,
}

pub struct NewJob {
    pub id: JobId,
    pub user_id: UserId,
    pub description: String,
    pub options_json: String,
    pub photo_count: i32,
    pub originals: Vec<NewAsset>,
    /// The first tasks (script and enhance), written to the outbox in the same transaction.
    pub tasks: Vec<NewTask>,
    pub idempotency_key: Option<String>,
    pub request_hash: Option<String>,
}

/// A job with its stages and assets: what the API shows.
#[derive(Debug, Clone)]
pub struct JobView {
    pub job: Job,
    pub stages: Vec<JobStage>,
    pub assets: Vec<Asset>,
}

impl JobView {
    pub fn stage(&self, stage: Stage) -> Option<&JobStage> {
        self.stages.iter().find(|s| glimvid_domain::Stage::from(s.stage) == stage)
    }
}

pub(super) async fn upsert_asset(
    c: &impl ConnectionTrait,
    job_id: JobId,
    user_id: UserId,
    a: NewAsset,
) -> Result<(), DbError> {
    let am = assets::ActiveModel {
        id: Set(Uuid::now_v7()),
        job_id: Set(job_id.into()),
        user_id: Set(user_id.into()),
        kind: Set(a.kind),
        idx: Set(a.idx),
        blob_key: Set(a.blob_key),
        size: Set(a.size),
        content_type: Set(a.content_type),
        sha256: Set(a.sha256),
        width: Set(a.width),
        height: Set(a.height),
        created_at: Set(now_ms()),
    };
    // Deterministic keys: a retried stage overwrites its own rows instead of adding new ones.
    assets::Entity::insert(am)
        .on_conflict(
            OnConflict::columns([assets::Column::JobId, assets::Column::Kind, assets::Column::Idx])
                .update_columns([
                    assets::Column::BlobKey,
                    assets::Column::Size,
                    assets::Column::ContentType,
                    assets::Column::Sha256,
                    assets::Column::Width,
                    assets::Column::Height,
                ])
                .to_owned(),
        )
        .exec_without_returning(c)
        .await?;
    Ok(())
}

pub(super) async fn event(
    c: &impl ConnectionTrait,
    job_id: JobId,
    kind: EventKind,
    stage: Option<enums::Stage>,
    status: Option<EventStatus>,
    message: Option<&str>,
) -> Result<(), DbError> {
    job_events::ActiveModel {
        job_id: Set(job_id.into()),
        kind: Set(kind),
        stage: Set(stage),
        status: Set(status),
        message: Set(message.map(str::to_owned)),
        at: Set(now_ms()),
        ..Default::default()
    }
    .insert(c)
    .await?;
    Ok(())
}

pub(super) async fn enqueue(c: &impl ConnectionTrait, job_id: Option<JobId>, t: NewTask) -> Result<(), DbError> {
    outbox::ActiveModel {
        queue: Set(t.queue.to_owned()),
        payload: Set(t.payload),
        job_id: Set(job_id.map(Into::into)),
        created_at: Set(now_ms()),
        sent_at: Set(None),
        ..Default::default()
    }
    .insert(c)
    .await?;
    Ok(())
}
