//! The end of a job: cancel (with the refund), delete.

use super::*;

/// Cancels the user's job if it is still running, and refunds it.
pub async fn cancel(db: &Db, user_id: UserId, job_id: JobId) -> Result<JobView, DbError> {
    let tx = db.begin().await?;
    lock_row(&tx, "jobs", job_id.as_uuid()).await?;
    let v = match view(&tx, job_id).await? {
        Some(v) if v.job.user_id() == user_id => v,
        _ => return Err(DbError::NotFound("video")),
    };
    if JobStatus::from(v.job.status).is_final() {
        return Err(DbError::FailedPrecondition(format!("the job has already ended ({})", v.job.status)));
    }
    end_job(&tx, &v, JobStatus::Canceled, "canceled by the user", now_ms()).await?;
    tx.commit().await?;
    get(db, job_id).await
}

/// Ends a job as failed or canceled: the stages still to run are canceled, and what the job
/// reserved (if anything: a job awaiting review has not paid yet) goes back to the balance it
/// came from, at most once (idempotency key per job).
pub(super) async fn end_job(
    tx: &DatabaseTransaction,
    v: &JobView,
    status: JobStatus,
    reason: &str,
    now: i64,
) -> Result<(), DbError> {
    let job_id = v.job.id();
    for s in &v.stages {
        if !StageStatus::from(s.status).is_final() {
            job_stages::Entity::update_many()
                .col_expr(job_stages::Column::Status, Expr::value(StageStatus::Canceled.as_str()))
                .col_expr(job_stages::Column::UpdatedAt, Expr::value(now))
                .filter(job_stages::Column::JobId.eq(job_id.as_uuid()))
                .filter(job_stages::Column::Stage.eq(s.stage.as_str()))
                .filter(
                    job_stages::Column::Status.is_in([StageStatus::Pending.as_str(), StageStatus::Running.as_str()]),
                )
                .exec(tx)
                .await?;
            event(tx, job_id, EventKind::Stage, Some(s.stage), Some(StageStatus::Canceled.into()), None).await?;
        }
    }
    set_job_status(tx, job_id, status, Some(reason), now).await?;
    if status.refunds()
        && let Some((currency, amount)) = credits::reserved_by_job(tx, job_id).await?
    {
        credits::append(
            tx,
            Entry {
                user_id: v.job.user_id(),
                currency,
                kind: EntryKind::Refund,
                amount,
                job_id: Some(job_id),
                idempotency_key: credits::refund_key(job_id),
            },
        )
        .await?;
    }
    event(tx, job_id, EventKind::Job, None, Some(status.into()), Some(reason)).await?;
    Ok(())
}

pub(super) async fn set_job_status(
    tx: &DatabaseTransaction,
    job_id: JobId,
    status: JobStatus,
    reason: Option<&str>,
    now: i64,
) -> Result<(), DbError> {
    let mut upd = jobs::Entity::update_many()
        .col_expr(jobs::Column::Status, Expr::value(status.as_str()))
        .col_expr(jobs::Column::UpdatedAt, Expr::value(now));
    if status.is_final() {
        upd = upd.col_expr(jobs::Column::FinishedAt, Expr::value(now));
    }
    if let Some(r) = reason {
        upd = upd.col_expr(jobs::Column::FailureReason, Expr::value(r));
    }
    upd.filter(jobs::Column::Id.eq(job_id.as_uuid())).exec(tx).await?;
    Ok(())
}

/// Deletes a job's rows and returns the object keys to delete. Its public link stops working
/// when this commits. A running job is canceled (and refunded) first.
pub async fn delete(db: &Db, user_id: UserId, job_id: JobId) -> Result<Vec<String>, DbError> {
    let tx = db.begin().await?;
    lock_row(&tx, "jobs", job_id.as_uuid()).await?;
    let v = match view(&tx, job_id).await? {
        Some(v) if v.job.user_id() == user_id => v,
        _ => return Err(DbError::NotFound("video")),
    };
    if !JobStatus::from(v.job.status).is_final() {
        end_job(&tx, &v, JobStatus::Canceled, "deleted by the user", now_ms()).await?;
    }
    let keys = v.assets.iter().map(|a| a.blob_key.clone()).collect();
    assets::Entity::delete_many().filter(assets::Column::JobId.eq(job_id.as_uuid())).exec(&tx).await?;
    job_events::Entity::delete_many().filter(job_events::Column::JobId.eq(job_id.as_uuid())).exec(&tx).await?;
    job_stages::Entity::delete_many().filter(job_stages::Column::JobId.eq(job_id.as_uuid())).exec(&tx).await?;
    jobs::Entity::delete_by_id(job_id).exec(&tx).await?;
    tx.commit().await?;
    Ok(keys)
}
