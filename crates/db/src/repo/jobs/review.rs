//! Review before paying: edit the script, then pay and send the job on to render.

use super::*;

/// The rows of a job that waits for review, locked, if it is `user_id`'s: `NotFound` for anyone
/// else's job, `FailedPrecondition` (nothing changed) unless it is awaiting review.
pub(super) async fn awaiting_review(
    tx: &DatabaseTransaction,
    user_id: UserId,
    job_id: JobId,
) -> Result<JobView, DbError> {
    lock_row(tx, "jobs", job_id.as_uuid()).await?;
    let v = match view(tx, job_id).await? {
        Some(v) if v.job.user_id() == user_id => v,
        _ => return Err(DbError::NotFound("video")),
    };
    ensure_awaiting_review(&v.job)?;
    Ok(v)
}

/// `FailedPrecondition` unless the job is awaiting its owner's review.
pub fn ensure_awaiting_review(job: &Job) -> Result<(), DbError> {
    if job.status == JobStatus::AwaitingReview.as_str() {
        return Ok(());
    }
    Err(DbError::FailedPrecondition(format!(
        "the job is not awaiting review (it is {}); only a job submitted with review, once its script and enhance \
         are done, can be edited and sent to render",
        job.status
    )))
}

/// Replaces the script of the user's job awaiting review with `script_json` (validated by the
/// caller), stored as `asset` too. Returns the job and the object key of the script it
/// replaced, when that differs from the new one (the caller deletes it after this commits).
pub async fn replace_script(
    db: &Db,
    user_id: UserId,
    job_id: JobId,
    script_json: String,
    asset: NewAsset,
) -> Result<(JobView, Option<String>), DbError> {
    let tx = db.begin().await?;
    let v = awaiting_review(&tx, user_id, job_id).await?;
    let replaced = v
        .assets
        .iter()
        .find(|a| a.kind == asset.kind && a.idx == asset.idx && a.blob_key != asset.blob_key)
        .map(|a| a.blob_key.clone());
    let now = now_ms();
    jobs::Entity::update_many()
        .col_expr(jobs::Column::ScriptJson, Expr::value(script_json))
        .col_expr(jobs::Column::UpdatedAt, Expr::value(now))
        .filter(jobs::Column::Id.eq(job_id.as_uuid()))
        .exec(&tx)
        .await?;
    upsert_asset(&tx, job_id, user_id, asset).await?;
    event(&tx, job_id, EventKind::Note, Some(Stage::Script.into()), None, Some("the script was replaced by its owner"))
        .await?;
    tx.commit().await?;
    Ok((get(db, job_id).await?, replaced))
}

/// Sends the user's job awaiting review on to render: pays for it now (as a submission would:
/// a free trial first within the network's daily trial cap, then credits) and writes
/// `render_task` to the outbox, all or nothing. `PaymentRequired` or `RateLimited` (too many
/// jobs in flight) leave the job awaiting review, unchanged.
pub async fn request_render(
    db: &Db,
    user_id: UserId,
    job_id: JobId,
    admission: &Admission,
    render_task: NewTask,
) -> Result<JobView, DbError> {
    let tx = db.begin().await?;
    // The user's row first, as a submission locks it: balance checks of one account serialise.
    if !lock_row(&tx, "users", user_id.as_uuid()).await? {
        return Err(DbError::NotFound("video"));
    }
    awaiting_review(&tx, user_id, job_id).await?;
    let now = now_ms();
    check_in_flight(&tx, user_id, admission, Some(job_id)).await?;
    let currency = pay_with(&tx, user_id, admission, now).await?;
    reserve(&tx, user_id, job_id, currency).await?;
    jobs::Entity::update_many()
        .col_expr(jobs::Column::Status, Expr::value(JobStatus::Queued.as_str()))
        .col_expr(jobs::Column::PaymentCurrency, Expr::value(currency.as_str()))
        .col_expr(jobs::Column::UpdatedAt, Expr::value(now))
        .filter(jobs::Column::Id.eq(job_id.as_uuid()))
        .exec(&tx)
        .await?;
    event(&tx, job_id, EventKind::Job, None, Some(JobStatus::Queued.into()), Some("render requested")).await?;
    enqueue(&tx, Some(job_id), render_task).await?;
    tx.commit().await?;
    get(db, job_id).await
}
