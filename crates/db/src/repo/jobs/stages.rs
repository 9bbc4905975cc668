//! Stage transitions: start, complete (the fan-in to render), fail, progress notes.

use super::*;

/// What a worker may do with a delivered task.
#[derive(Debug)]
pub enum StartOutcome {
    /// Run the stage (this is attempt number `attempt`).
    Run { view: Box<JobView>, attempt: i32 },
    /// Drop the task: the stage already ended, or the job ended or is gone.
    Skip(&'static str),
}

/// Marks a stage running before a worker works on it. A redelivered task for a stage that
/// already ended is skipped; one for a stage left `running` by a dead worker runs again.
pub async fn start_stage(db: &Db, job_id: JobId, stage: Stage) -> Result<StartOutcome, DbError> {
    let tx = db.begin().await?;
    if !lock_row(&tx, "jobs", job_id.as_uuid()).await? {
        return Ok(StartOutcome::Skip("job deleted"));
    }
    let v = view(&tx, job_id).await?.ok_or(DbError::NotFound("video"))?;
    let job_status = JobStatus::from(v.job.status);
    if job_status.is_final() {
        return Ok(StartOutcome::Skip("job already ended"));
    }
    let st = v.stage(stage).ok_or(DbError::NotFound("stage"))?;
    let status = StageStatus::from(st.status);
    if !status.can_start() {
        return Ok(StartOutcome::Skip("stage already ended"));
    }
    if stage == Stage::Render && v.job.pending_prereqs > 0 {
        return Ok(StartOutcome::Skip("render is waiting for script and enhance"));
    }
    if stage == Stage::Render && job_status == JobStatus::AwaitingReview {
        return Ok(StartOutcome::Skip("render is waiting for the owner's review"));
    }
    let now = now_ms();
    let attempt = st.attempts + 1;
    job_stages::Entity::update_many()
        .col_expr(job_stages::Column::Status, Expr::value(StageStatus::Running.as_str()))
        .col_expr(job_stages::Column::Attempts, Expr::value(attempt))
        .col_expr(job_stages::Column::StartedAt, Expr::value(now))
        .col_expr(job_stages::Column::UpdatedAt, Expr::value(now))
        .filter(job_stages::Column::JobId.eq(job_id.as_uuid()))
        .filter(job_stages::Column::Stage.eq(stage.as_str()))
        .exec(&tx)
        .await?;
    let msg = if attempt > 1 { format!("attempt {attempt}") } else { "started".to_owned() };
    event(&tx, job_id, EventKind::Stage, Some(stage.into()), Some(StageStatus::Running.into()), Some(&msg)).await?;
    if job_status == JobStatus::Queued {
        set_job_status(&tx, job_id, JobStatus::Running, None, now).await?;
        event(&tx, job_id, EventKind::Job, None, Some(JobStatus::Running.into()), None).await?;
    }
    tx.commit().await?;
    let view = get(db, job_id).await?;
    Ok(StartOutcome::Run { view: Box::new(view), attempt })
}

/// What a stage produced.
#[derive(Debug, Default)]
pub struct StageResult {
    pub assets: Vec<NewAsset>,
    /// The script JSON (script stage).
    pub script_json: Option<String>,
    /// The public link id (render stage).
    pub public_id: Option<String>,
    pub note: Option<String>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum CompleteOutcome {
    /// Recorded; `next` lists the stages this completion handed on to.
    Recorded { next: Vec<Stage>, job_succeeded: bool },
    /// The stage had already succeeded (a redelivery): nothing changed.
    AlreadyDone,
    /// The job ended or was deleted meanwhile: nothing recorded; the caller cleans its objects.
    Stale,
}

/// Records a stage's success. When the last prerequisite of `render` succeeds, the render task
/// goes into the outbox in the same transaction: decided by one atomic decrement under the job
/// lock, so it is handed on exactly once however script and enhance interleave. A job with
/// `review` stops there instead, in `awaiting_review` (see [`request_render`]).
pub async fn complete_stage(
    db: &Db,
    job_id: JobId,
    stage: Stage,
    result: StageResult,
    render_task: impl FnOnce() -> NewTask,
) -> Result<CompleteOutcome, DbError> {
    let tx = db.begin().await?;
    if !lock_row(&tx, "jobs", job_id.as_uuid()).await? {
        return Ok(CompleteOutcome::Stale);
    }
    let v = view(&tx, job_id).await?.ok_or(DbError::NotFound("video"))?;
    let st = v.stage(stage).ok_or(DbError::NotFound("stage"))?;
    if st.status == StageStatus::Succeeded.as_str() {
        return Ok(CompleteOutcome::AlreadyDone);
    }
    if JobStatus::from(v.job.status).is_final() || st.status != StageStatus::Running.as_str() {
        return Ok(CompleteOutcome::Stale);
    }
    let now = now_ms();
    for a in result.assets {
        upsert_asset(&tx, job_id, v.job.user_id(), a).await?;
    }
    job_stages::Entity::update_many()
        .col_expr(job_stages::Column::Status, Expr::value(StageStatus::Succeeded.as_str()))
        .col_expr(job_stages::Column::FinishedAt, Expr::value(now))
        .col_expr(job_stages::Column::UpdatedAt, Expr::value(now))
        .col_expr(job_stages::Column::Note, Expr::value(result.note.clone()))
        .filter(job_stages::Column::JobId.eq(job_id.as_uuid()))
        .filter(job_stages::Column::Stage.eq(stage.as_str()))
        .exec(&tx)
        .await?;
    event(
        &tx,
        job_id,
        EventKind::Stage,
        Some(stage.into()),
        Some(StageStatus::Succeeded.into()),
        result.note.as_deref(),
    )
    .await?;
    let mut next = Vec::new();
    let mut job_succeeded = false;
    match stage {
        Stage::Script | Stage::Enhance => {
            let mut upd = jobs::Entity::update_many()
                .col_expr(jobs::Column::PendingPrereqs, Expr::col(jobs::Column::PendingPrereqs).sub(1))
                .col_expr(jobs::Column::UpdatedAt, Expr::value(now));
            if let Some(script) = result.script_json {
                upd = upd.col_expr(jobs::Column::ScriptJson, Expr::value(script));
            }
            upd.filter(jobs::Column::Id.eq(job_id.as_uuid())).exec(&tx).await?;
            let remaining: Option<i32> = jobs::Entity::find_by_id(job_id)
                .select_only()
                .column(jobs::Column::PendingPrereqs)
                .into_tuple()
                .one(&tx)
                .await?;
            if remaining == Some(0) {
                if JobOptions::review_of(&v.job.options_json) {
                    set_job_status(&tx, job_id, JobStatus::AwaitingReview, None, now).await?;
                    let msg = "script and enhance are done: review the script, then request the render";
                    event(&tx, job_id, EventKind::Job, None, Some(JobStatus::AwaitingReview.into()), Some(msg)).await?;
                } else {
                    enqueue(&tx, Some(job_id), render_task()).await?;
                    next.push(Stage::Render);
                }
            }
        }
        Stage::Render => {
            jobs::Entity::update_many()
                .col_expr(jobs::Column::Status, Expr::value(JobStatus::Succeeded.as_str()))
                .col_expr(jobs::Column::PublicId, Expr::value(result.public_id))
                .col_expr(jobs::Column::FinishedAt, Expr::value(now))
                .col_expr(jobs::Column::UpdatedAt, Expr::value(now))
                .filter(jobs::Column::Id.eq(job_id.as_uuid()))
                .exec(&tx)
                .await?;
            event(&tx, job_id, EventKind::Job, None, Some(JobStatus::Succeeded.into()), Some("video ready")).await?;
            job_succeeded = true;
        }
    }
    tx.commit().await?;
    Ok(CompleteOutcome::Recorded { next, job_succeeded })
}

/// Fails a stage and its job with a reason the user can read, cancels the stages still to run
/// and refunds the job's credits (once). A no-op if the stage already ended.
pub async fn fail_stage(db: &Db, job_id: JobId, stage: Stage, reason: &str) -> Result<bool, DbError> {
    let tx = db.begin().await?;
    if !lock_row(&tx, "jobs", job_id.as_uuid()).await? {
        return Ok(false);
    }
    let v = view(&tx, job_id).await?.ok_or(DbError::NotFound("video"))?;
    let st = v.stage(stage).ok_or(DbError::NotFound("stage"))?;
    if StageStatus::from(st.status).is_final() {
        return Ok(false);
    }
    let now = now_ms();
    job_stages::Entity::update_many()
        .col_expr(job_stages::Column::Status, Expr::value(StageStatus::Failed.as_str()))
        .col_expr(job_stages::Column::FailureReason, Expr::value(reason))
        .col_expr(job_stages::Column::FinishedAt, Expr::value(now))
        .col_expr(job_stages::Column::UpdatedAt, Expr::value(now))
        .filter(job_stages::Column::JobId.eq(job_id.as_uuid()))
        .filter(job_stages::Column::Stage.eq(stage.as_str()))
        .exec(&tx)
        .await?;
    event(&tx, job_id, EventKind::Stage, Some(stage.into()), Some(StageStatus::Failed.into()), Some(reason)).await?;
    let job_reason = format!("{stage} failed: {reason}");
    end_job(&tx, &v, JobStatus::Failed, &job_reason, now).await?;
    tx.commit().await?;
    Ok(true)
}

/// A progress note on the job's event stream (encoder chosen, framing decisions, ...).
pub async fn note(db: &Db, job_id: JobId, stage: Stage, message: &str) -> Result<(), DbError> {
    event(db.conn(), job_id, EventKind::Note, Some(stage.into()), None, Some(message)).await
}

/// Records a paid provider operation before polling it, so a redelivered task resumes it.
pub async fn set_provider_task(db: &Db, job_id: JobId, stage: Stage, task_id: &str) -> Result<(), DbError> {
    job_stages::Entity::update_many()
        .col_expr(job_stages::Column::ProviderTaskId, Expr::value(task_id))
        .filter(job_stages::Column::JobId.eq(job_id.as_uuid()))
        .filter(job_stages::Column::Stage.eq(stage.as_str()))
        .exec(db.conn())
        .await?;
    Ok(())
}
