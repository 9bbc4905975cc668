//! Reads: one job, a user's jobs, events, the video behind a public link.

use super::*;

pub async fn get(db: &Db, id: JobId) -> Result<JobView, DbError> {
    view(db.conn(), id).await?.ok_or(DbError::NotFound("video"))
}

/// The job if it belongs to `user_id`. Another user's job is "not found", never "forbidden".
pub async fn get_owned(db: &Db, user_id: UserId, id: JobId) -> Result<JobView, DbError> {
    match view(db.conn(), id).await? {
        Some(v) if v.job.user_id() == user_id => Ok(v),
        _ => Err(DbError::NotFound("video")),
    }
}

pub(super) async fn view(c: &impl ConnectionTrait, id: JobId) -> Result<Option<JobView>, DbError> {
    let Some(job) = jobs::Entity::find_by_id(id).one(c).await? else { return Ok(None) };
    let stages = job_stages::Entity::find().filter(job_stages::Column::JobId.eq(id.as_uuid())).all(c).await?;
    let assets = assets::Entity::find()
        .filter(assets::Column::JobId.eq(id.as_uuid()))
        .order_by_asc(assets::Column::Kind)
        .order_by_asc(assets::Column::Idx)
        .all(c)
        .await?;
    Ok(Some(JobView { job, stages, assets }))
}

/// The user's job submitted with this idempotency key within the last [`IDEMPOTENCY_TTL_MS`]; an
/// older one no longer answers for the key.
pub async fn find_by_idempotency_key(db: &Db, user_id: UserId, key: &str) -> Result<Option<JobView>, DbError> {
    let job = jobs::Entity::find()
        .filter(jobs::Column::UserId.eq(user_id.as_uuid()))
        .filter(jobs::Column::IdempotencyKey.eq(key))
        .filter(jobs::Column::CreatedAt.gt(now_ms() - IDEMPOTENCY_TTL_MS))
        .one(db.conn())
        .await?;
    match job {
        Some(j) => Ok(view(db.conn(), j.id()).await?),
        None => Ok(None),
    }
}

/// The user's jobs, newest first, after the cursor (a job id) if given.
pub async fn list(db: &Db, user_id: UserId, before: Option<JobId>, limit: u64) -> Result<Vec<Job>, DbError> {
    let mut q = jobs::Entity::find().filter(jobs::Column::UserId.eq(user_id.as_uuid()));
    if let Some(b) = before {
        q = q.filter(jobs::Column::Id.lt(b.as_uuid()));
    }
    Ok(q.order_by_desc(jobs::Column::Id).limit(limit).all(db.conn()).await?)
}

/// Events after `after_id`, oldest first.
pub async fn events_after(db: &Db, job_id: JobId, after_id: i64, limit: u64) -> Result<Vec<JobEvent>, DbError> {
    Ok(job_events::Entity::find()
        .filter(job_events::Column::JobId.eq(job_id.as_uuid()))
        .filter(job_events::Column::Id.gt(after_id))
        .order_by_asc(job_events::Column::Id)
        .limit(limit)
        .all(db.conn())
        .await?)
}

/// The video asset behind a public link, if the job still exists.
pub async fn video_by_public_id(db: &Db, public_id: &str) -> Result<Option<Asset>, DbError> {
    let Some(job) = jobs::Entity::find().filter(jobs::Column::PublicId.eq(public_id)).one(db.conn()).await? else {
        return Ok(None);
    };
    Ok(assets::Entity::find()
        .filter(assets::Column::JobId.eq(job.id))
        .filter(assets::Column::Kind.eq("video"))
        .one(db.conn())
        .await?)
}
