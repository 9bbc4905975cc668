//! Jobs and their stages: creation with the credit reservation and the first tasks (outbox), and
//! every stage transition. Each function is one transaction that starts by locking the job (or
//! user) row, so concurrent workers on the same job serialise and the fan-in is decided once.
//!
//! A job submitted with `review` stops in `awaiting_review` where the fan-in would hand on to
//! render; its owner may replace the script, and [`request_render`] then pays for the job and
//! writes the render task, in one transaction.

use glimvid_domain::{
    JobStatus, Stage, StageStatus,
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
    entity::{assets, job_events, job_stages, jobs, outbox},
    now_ms,
};

pub use assets::Model as Asset;
pub use job_events::Model as JobEvent;
pub use job_stages::Model as JobStage;
pub use jobs::Model as Job;

/// A stored object that belongs to a job.
#[derive(Debug, Clone)]
pub struct NewAsset {
    pub kind: &'static str,
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
    pub id: Uuid,
    pub user_id: Uuid,
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
        self.stages.iter().find(|s| s.stage == stage.as_str())
    }
}

/// Accepts a job: checks and reserves its cost (a free trial first, then credits), stores the
/// job, its stages and originals, the first event and the first tasks, all or nothing.
pub async fn create(db: &Db, new: NewJob) -> Result<JobView, DbError> {
    create_with(db, new, &Admission::default()).await
}

/// The limits a submission is admitted under, checked in the job's own transaction (so that two
/// concurrent submissions cannot both slip under a limit).
#[derive(Debug, Clone, Default)]
pub struct Admission {
    /// The client's address, for the free trials per IP per day.
    pub client_ip: Option<String>,
    /// Free trial uses per IP address per UTC day; `None` means unlimited.
    pub trials_per_ip_per_day: Option<u32>,
    /// Jobs of one account queued, running or awaiting review at once; `None` means unlimited.
    /// Review jobs count: their script and enhanced photos cost providers as much as any job's.
    pub max_in_flight: Option<u32>,
    /// Jobs with review (paid only when rendered) one client network and one account may submit
    /// per UTC day; `None` means unlimited. Without it, submit-review-delete would be free work.
    pub reviews_per_day: Option<u32>,
}

const DAY_MS: i64 = 24 * 3600 * 1000;

/// How long an idempotency key replays its job. After that the key is released (the old job
/// stays) and a submission with it makes a new job.
pub const IDEMPOTENCY_TTL_MS: i64 = DAY_MS;

/// The counter key of an IP address's free trial uses.
pub fn trial_ip_key(ip: &str) -> String {
    format!("trial:ip:{ip}")
}

/// [`create`] under `admission`: `RateLimited` when the account has too many jobs in flight,
/// and a free trial only while the client's IP has trial uses left today (else bought credits
/// pay; `PaymentRequired` when there are none). A job with `review` in its options reserves
/// nothing yet (it is paid for when its render is requested), but is refused with
/// `PaymentRequired` all the same when the account could not pay for it now.
pub async fn create_with(db: &Db, new: NewJob, admission: &Admission) -> Result<JobView, DbError> {
    let tx = db.begin().await?;
    if !lock_row(&tx, "users", new.user_id).await? {
        return Err(DbError::NotFound("account"));
    }
    let now = now_ms();
    check_in_flight(&tx, new.user_id, admission, None).await?;
    let review = JobOptions::review_of(&new.options_json);
    let currency = if review {
        let bal = credits::balances(&tx, new.user_id).await?;
        choose_payment(bal.trials, bal.credits).ok_or(DbError::PaymentRequired)?;
        count_review(&tx, new.user_id, admission, now).await?;
        None
    } else {
        Some(pay_with(&tx, new.user_id, admission, now).await?)
    };
    if let Some(key) = &new.idempotency_key {
        // An expired key no longer replays: release it from its old job (which stays) so that
        // this job may take it under the unique index.
        jobs::Entity::update_many()
            .col_expr(jobs::Column::IdempotencyKey, Expr::value(Option::<String>::None))
            .filter(jobs::Column::UserId.eq(new.user_id))
            .filter(jobs::Column::UserId.eq(new.user_id))
            .filter(jobs::Column::IdempotencyKey.eq(key.as_str()))
            .filter(jobs::Column::CreatedAt.lte(now - IDEMPOTENCY_TTL_MS))
            .exec(&tx)
            .await?;
    }
    let job = jobs::ActiveModel {
        id: Set(new.id),
        user_id: Set(new.user_id),
        status: Set(JobStatus::Queued.as_str().into()),
        description: Set(new.description),
        options_json: Set(new.options_json),
        photo_count: Set(new.photo_count),
        pending_prereqs: Set(Stage::Render.prerequisites() as i32),
        script_json: Set(None),
        public_id: Set(None),
        failure_reason: Set(None),
        payment_currency: Set(currency.map(|c| c.as_str().into())),
        idempotency_key: Set(new.idempotency_key),
        request_hash: Set(new.request_hash),
        created_at: Set(now),
        updated_at: Set(now),
        finished_at: Set(None),
    }
    .insert(&tx)
    .await
    .map_err(|e| {
        if crate::is_unique_violation(&e) {
            DbError::Conflict("a job with this idempotency key already exists".into())
        } else {
            e.into()
        }
    })?;
    for stage in Stage::ALL {
        job_stages::ActiveModel {
            job_id: Set(job.id),
            stage: Set(stage.as_str().into()),
            status: Set(StageStatus::Pending.as_str().into()),
            attempts: Set(0),
            failure_reason: Set(None),
            note: Set(None),
            provider_task_id: Set(None),
            started_at: Set(None),
            finished_at: Set(None),
            updated_at: Set(now),
        }
        .insert(&tx)
        .await?;
    }
    for a in new.originals {
        upsert_asset(&tx, job.id, job.user_id, a).await?;
    }
    if let Some(currency) = currency {
        reserve(&tx, job.user_id, job.id, currency).await?;
    }
    let accepted = if review { "accepted; stops for review after script and enhance" } else { "accepted" };
    event(&tx, job.id, "job", None, Some(JobStatus::Queued.as_str()), Some(accepted)).await?;
    for t in new.tasks {
        enqueue(&tx, Some(job.id), t).await?;
    }
    tx.commit().await?;
    get(db, new.id).await
}

/// The early refusal of a submission, before its photos are read: `RateLimited` at the limit of
/// jobs in flight, `PaymentRequired` without credits or trials. It reserves nothing; the job's
/// own transaction ([`create_with`]) checks again, atomically.
pub async fn precheck(db: &Db, user_id: Uuid, admission: &Admission) -> Result<(), DbError> {
    let tx = db.begin().await?;
    check_in_flight(&tx, user_id, admission, None).await?;
    let bal = credits::balances(&tx, user_id).await?;
    choose_payment(bal.trials, bal.credits).ok_or(DbError::PaymentRequired)?;
    tx.rollback().await?;
    Ok(())
}

/// The counter keys of review jobs per client network and per account (per UTC day).
pub fn review_keys(ip: Option<&str>, user_id: Uuid) -> Vec<String> {
    let mut keys = vec![format!("review:user:{user_id}")];
    if let Some(ip) = ip {
        keys.push(format!("review:ip:{ip}"));
    }
    keys
}

/// Counts one review job against the network's and the account's daily allowance; beyond it
/// `RateLimited` until the next UTC midnight.
async fn count_review(tx: &DatabaseTransaction, user_id: Uuid, admission: &Admission, now: i64) -> Result<(), DbError> {
    let Some(limit) = admission.reviews_per_day else { return Ok(()) };
    for key in review_keys(admission.client_ip.as_deref(), user_id) {
        let d = super::limits::hit(tx, &key, super::limits::Rule { limit, window_ms: DAY_MS }, now).await?;
        if !d.allowed {
            let retry_after_s = std::cmp::max((DAY_MS - now.rem_euclid(DAY_MS)) / 1000, 1) as u64;
            return Err(DbError::RateLimited {
                message: format!(
                    "at most {limit} videos with review may be started per day from one account or network; \
                     try again after midnight UTC, or submit without review"
                ),
                limit,
                retry_after_s,
            });
        }
    }
    Ok(())
}

/// `RateLimited` when the account already has `admission.max_in_flight` jobs queued, running or
/// awaiting review (`except` is not counted: the job being sent on from review).
async fn check_in_flight(
    tx: &DatabaseTransaction,
    user_id: Uuid,
    admission: &Admission,
    except: Option<Uuid>,
) -> Result<(), DbError> {
    let Some(max) = admission.max_in_flight else { return Ok(()) };
    let in_flight_states = [JobStatus::Queued, JobStatus::Running, JobStatus::AwaitingReview].map(|s| s.as_str());
    let mut q = jobs::Entity::find()
        .filter(jobs::Column::UserId.eq(user_id))
        .filter(jobs::Column::Status.is_in(in_flight_states));
    if let Some(id) = except {
        q = q.filter(jobs::Column::Id.ne(id));
    }
    let in_flight = q.count(tx).await?;
    if in_flight >= max as u64 {
        return Err(DbError::RateLimited {
            message: format!("at most {max} videos may be in progress at once; wait for one to finish"),
            limit: max,
            retry_after_s: 10,
        });
    }
    Ok(())
}

/// Chooses the balance that pays for one video (the caller holds the user's row lock): a free
/// trial while the client's network has trial uses left today, else bought credits.
async fn pay_with(
    tx: &DatabaseTransaction,
    user_id: Uuid,
    admission: &Admission,
    now: i64,
) -> Result<Currency, DbError> {
    let bal = credits::balances(tx, user_id).await?;
    let mut currency = choose_payment(bal.trials, bal.credits).ok_or(DbError::PaymentRequired)?;
    if currency == Currency::Trial
        && let (Some(limit), Some(ip)) = (admission.trials_per_ip_per_day, admission.client_ip.as_deref())
    {
        let d =
            super::limits::hit(tx, &trial_ip_key(ip), super::limits::Rule { limit, window_ms: DAY_MS }, now).await?;
        if !d.allowed {
            // This network's free trials are spent for today: bought credits may still pay.
            currency = choose_payment(0, bal.credits).ok_or(DbError::PaymentRequired)?;
        }
    }
    Ok(currency)
}

async fn reserve(tx: &DatabaseTransaction, user_id: Uuid, job_id: Uuid, currency: Currency) -> Result<(), DbError> {
    credits::append(
        tx,
        Entry {
            user_id,
            currency,
            kind: EntryKind::Reserve,
            amount: -VIDEO_COST,
            job_id: Some(job_id),
            idempotency_key: credits::reserve_key(job_id),
        },
    )
    .await?;
    Ok(())
}

pub async fn get(db: &Db, id: Uuid) -> Result<JobView, DbError> {
    view(db.conn(), id).await?.ok_or(DbError::NotFound("video"))
}

/// The job if it belongs to `user_id`. Another user's job is "not found", never "forbidden".
pub async fn get_owned(db: &Db, user_id: Uuid, id: Uuid) -> Result<JobView, DbError> {
    match view(db.conn(), id).await? {
        Some(v) if v.job.user_id == user_id => Ok(v),
        _ => Err(DbError::NotFound("video")),
    }
}

async fn view(c: &impl ConnectionTrait, id: Uuid) -> Result<Option<JobView>, DbError> {
    let Some(job) = jobs::Entity::find_by_id(id).one(c).await? else { return Ok(None) };
    let stages = job_stages::Entity::find().filter(job_stages::Column::JobId.eq(id)).all(c).await?;
    let assets = assets::Entity::find()
        .filter(assets::Column::JobId.eq(id))
        .order_by_asc(assets::Column::Kind)
        .order_by_asc(assets::Column::Idx)
        .all(c)
        .await?;
    Ok(Some(JobView { job, stages, assets }))
}

/// The user's job submitted with this idempotency key within the last [`IDEMPOTENCY_TTL_MS`]; an
/// older one no longer answers for the key.
pub async fn find_by_idempotency_key(db: &Db, user_id: Uuid, key: &str) -> Result<Option<JobView>, DbError> {
    let job = jobs::Entity::find()
        .filter(jobs::Column::UserId.eq(user_id))
        .filter(jobs::Column::IdempotencyKey.eq(key))
        .filter(jobs::Column::CreatedAt.gt(now_ms() - IDEMPOTENCY_TTL_MS))
        .one(db.conn())
        .await?;
    match job {
        Some(j) => Ok(view(db.conn(), j.id).await?),
        None => Ok(None),
    }
}

/// The user's jobs, newest first, after the cursor (a job id) if given.
pub async fn list(db: &Db, user_id: Uuid, before: Option<Uuid>, limit: u64) -> Result<Vec<Job>, DbError> {
    let mut q = jobs::Entity::find().filter(jobs::Column::UserId.eq(user_id));
    if let Some(b) = before {
        q = q.filter(jobs::Column::Id.lt(b));
    }
    Ok(q.order_by_desc(jobs::Column::Id).limit(limit).all(db.conn()).await?)
}

/// Events after `after_id`, oldest first.
pub async fn events_after(db: &Db, job_id: Uuid, after_id: i64, limit: u64) -> Result<Vec<JobEvent>, DbError> {
    Ok(job_events::Entity::find()
        .filter(job_events::Column::JobId.eq(job_id))
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
pub async fn start_stage(db: &Db, job_id: Uuid, stage: Stage) -> Result<StartOutcome, DbError> {
    let tx = db.begin().await?;
    if !lock_row(&tx, "jobs", job_id).await? {
        return Ok(StartOutcome::Skip("job deleted"));
    }
    let v = view(&tx, job_id).await?.ok_or(DbError::NotFound("video"))?;
    let job_status: JobStatus =
        v.job.status.parse().map_err(|_| DbError::FailedPrecondition("bad job status".into()))?;
    if job_status.is_final() {
        return Ok(StartOutcome::Skip("job already ended"));
    }
    let st = v.stage(stage).ok_or(DbError::NotFound("stage"))?;
    let status: StageStatus = st.status.parse().map_err(|_| DbError::FailedPrecondition("bad stage status".into()))?;
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
        .filter(job_stages::Column::JobId.eq(job_id))
        .filter(job_stages::Column::Stage.eq(stage.as_str()))
        .exec(&tx)
        .await?;
    let msg = if attempt > 1 { format!("attempt {attempt}") } else { "started".to_owned() };
    event(&tx, job_id, "stage", Some(stage.as_str()), Some(StageStatus::Running.as_str()), Some(&msg)).await?;
    if job_status == JobStatus::Queued {
        set_job_status(&tx, job_id, JobStatus::Running, None, now).await?;
        event(&tx, job_id, "job", None, Some(JobStatus::Running.as_str()), None).await?;
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
    job_id: Uuid,
    stage: Stage,
    result: StageResult,
    render_task: impl FnOnce() -> NewTask,
) -> Result<CompleteOutcome, DbError> {
    let tx = db.begin().await?;
    if !lock_row(&tx, "jobs", job_id).await? {
        return Ok(CompleteOutcome::Stale);
    }
    let v = view(&tx, job_id).await?.ok_or(DbError::NotFound("video"))?;
    let st = v.stage(stage).ok_or(DbError::NotFound("stage"))?;
    if st.status == StageStatus::Succeeded.as_str() {
        return Ok(CompleteOutcome::AlreadyDone);
    }
    if v.job.status.parse::<JobStatus>().map(|s| s.is_final()).unwrap_or(true)
        || st.status != StageStatus::Running.as_str()
    {
        return Ok(CompleteOutcome::Stale);
    }
    let now = now_ms();
    for a in result.assets {
        upsert_asset(&tx, job_id, v.job.user_id, a).await?;
    }
    job_stages::Entity::update_many()
        .col_expr(job_stages::Column::Status, Expr::value(StageStatus::Succeeded.as_str()))
        .col_expr(job_stages::Column::FinishedAt, Expr::value(now))
        .col_expr(job_stages::Column::UpdatedAt, Expr::value(now))
        .col_expr(job_stages::Column::Note, Expr::value(result.note.clone()))
        .filter(job_stages::Column::JobId.eq(job_id))
        .filter(job_stages::Column::Stage.eq(stage.as_str()))
        .exec(&tx)
        .await?;
    event(&tx, job_id, "stage", Some(stage.as_str()), Some(StageStatus::Succeeded.as_str()), result.note.as_deref())
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
            upd.filter(jobs::Column::Id.eq(job_id)).exec(&tx).await?;
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
                    event(&tx, job_id, "job", None, Some(JobStatus::AwaitingReview.as_str()), Some(msg)).await?;
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
                .filter(jobs::Column::Id.eq(job_id))
                .exec(&tx)
                .await?;
            event(&tx, job_id, "job", None, Some(JobStatus::Succeeded.as_str()), Some("video ready")).await?;
            job_succeeded = true;
        }
    }
    tx.commit().await?;
    Ok(CompleteOutcome::Recorded { next, job_succeeded })
}

/// Fails a stage and its job with a reason the user can read, cancels the stages still to run
/// and refunds the job's credits (once). A no-op if the stage already ended.
pub async fn fail_stage(db: &Db, job_id: Uuid, stage: Stage, reason: &str) -> Result<bool, DbError> {
    let tx = db.begin().await?;
    if !lock_row(&tx, "jobs", job_id).await? {
        return Ok(false);
    }
    let v = view(&tx, job_id).await?.ok_or(DbError::NotFound("video"))?;
    let st = v.stage(stage).ok_or(DbError::NotFound("stage"))?;
    if st.status.parse::<StageStatus>().map(|s| s.is_final()).unwrap_or(true) {
        return Ok(false);
    }
    let now = now_ms();
    job_stages::Entity::update_many()
        .col_expr(job_stages::Column::Status, Expr::value(StageStatus::Failed.as_str()))
        .col_expr(job_stages::Column::FailureReason, Expr::value(reason))
        .col_expr(job_stages::Column::FinishedAt, Expr::value(now))
        .col_expr(job_stages::Column::UpdatedAt, Expr::value(now))
        .filter(job_stages::Column::JobId.eq(job_id))
        .filter(job_stages::Column::Stage.eq(stage.as_str()))
        .exec(&tx)
        .await?;
    event(&tx, job_id, "stage", Some(stage.as_str()), Some(StageStatus::Failed.as_str()), Some(reason)).await?;
    let job_reason = format!("{stage} failed: {reason}");
    end_job(&tx, &v, JobStatus::Failed, &job_reason, now).await?;
    tx.commit().await?;
    Ok(true)
}

/// Cancels the user's job if it is still running, and refunds it.
pub async fn cancel(db: &Db, user_id: Uuid, job_id: Uuid) -> Result<JobView, DbError> {
    let tx = db.begin().await?;
    lock_row(&tx, "jobs", job_id).await?;
    let v = match view(&tx, job_id).await? {
        Some(v) if v.job.user_id == user_id => v,
        _ => return Err(DbError::NotFound("video")),
    };
    if v.job.status.parse::<JobStatus>().map(|s| s.is_final()).unwrap_or(true) {
        return Err(DbError::FailedPrecondition(format!("the job has already ended ({})", v.job.status)));
    }
    end_job(&tx, &v, JobStatus::Canceled, "canceled by the user", now_ms()).await?;
    tx.commit().await?;
    get(db, job_id).await
}

/// Ends a job as failed or canceled: the stages still to run are canceled, and what the job
/// reserved (if anything: a job awaiting review has not paid yet) goes back to the balance it
/// came from, at most once (idempotency key per job).
async fn end_job(
    tx: &DatabaseTransaction,
    v: &JobView,
    status: JobStatus,
    reason: &str,
    now: i64,
) -> Result<(), DbError> {
    let job_id = v.job.id;
    for s in &v.stages {
        if !s.status.parse::<StageStatus>().map(|s| s.is_final()).unwrap_or(true) {
            job_stages::Entity::update_many()
                .col_expr(job_stages::Column::Status, Expr::value(StageStatus::Canceled.as_str()))
                .col_expr(job_stages::Column::UpdatedAt, Expr::value(now))
                .filter(job_stages::Column::JobId.eq(job_id))
                .filter(job_stages::Column::Stage.eq(s.stage.as_str()))
                .filter(
                    job_stages::Column::Status.is_in([StageStatus::Pending.as_str(), StageStatus::Running.as_str()]),
                )
                .exec(tx)
                .await?;
            event(tx, job_id, "stage", Some(&s.stage), Some(StageStatus::Canceled.as_str()), None).await?;
        }
    }
    set_job_status(tx, job_id, status, Some(reason), now).await?;
    if status.refunds()
        && let Some((currency, amount)) = credits::reserved_by_job(tx, job_id).await?
    {
        credits::append(
            tx,
            Entry {
                user_id: v.job.user_id,
                currency,
                kind: EntryKind::Refund,
                amount,
                job_id: Some(job_id),
                idempotency_key: credits::refund_key(job_id),
            },
        )
        .await?;
    }
    event(tx, job_id, "job", None, Some(status.as_str()), Some(reason)).await?;
    Ok(())
}

async fn set_job_status(
    tx: &DatabaseTransaction,
    job_id: Uuid,
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
    upd.filter(jobs::Column::Id.eq(job_id)).exec(tx).await?;
    Ok(())
}

/// The rows of a job that waits for review, locked, if it is `user_id`'s: `NotFound` for anyone
/// else's job, `FailedPrecondition` (nothing changed) unless it is awaiting review.
async fn awaiting_review(tx: &DatabaseTransaction, user_id: Uuid, job_id: Uuid) -> Result<JobView, DbError> {
    lock_row(tx, "jobs", job_id).await?;
    let v = match view(tx, job_id).await? {
        Some(v) if v.job.user_id == user_id => v,
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
    user_id: Uuid,
    job_id: Uuid,
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
        .filter(jobs::Column::Id.eq(job_id))
        .exec(&tx)
        .await?;
    upsert_asset(&tx, job_id, user_id, asset).await?;
    event(&tx, job_id, "note", Some(Stage::Script.as_str()), None, Some("the script was replaced by its owner"))
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
    user_id: Uuid,
    job_id: Uuid,
    admission: &Admission,
    render_task: NewTask,
) -> Result<JobView, DbError> {
    let tx = db.begin().await?;
    // The user's row first, as a submission locks it: balance checks of one account serialise.
    if !lock_row(&tx, "users", user_id).await? {
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
        .filter(jobs::Column::Id.eq(job_id))
        .exec(&tx)
        .await?;
    event(&tx, job_id, "job", None, Some(JobStatus::Queued.as_str()), Some("render requested")).await?;
    enqueue(&tx, Some(job_id), render_task).await?;
    tx.commit().await?;
    get(db, job_id).await
}

/// A progress note on the job's event stream (encoder chosen, framing decisions, ...).
pub async fn note(db: &Db, job_id: Uuid, stage: Stage, message: &str) -> Result<(), DbError> {
    event(db.conn(), job_id, "note", Some(stage.as_str()), None, Some(message)).await
}

/// Records a paid provider operation before polling it, so a redelivered task resumes it.
pub async fn set_provider_task(db: &Db, job_id: Uuid, stage: Stage, task_id: &str) -> Result<(), DbError> {
    job_stages::Entity::update_many()
        .col_expr(job_stages::Column::ProviderTaskId, Expr::value(task_id))
        .filter(job_stages::Column::JobId.eq(job_id))
        .filter(job_stages::Column::Stage.eq(stage.as_str()))
        .exec(db.conn())
        .await?;
    Ok(())
}

/// Deletes a job's rows and returns the object keys to delete. Its public link stops working
/// when this commits. A running job is canceled (and refunded) first.
pub async fn delete(db: &Db, user_id: Uuid, job_id: Uuid) -> Result<Vec<String>, DbError> {
    let tx = db.begin().await?;
    lock_row(&tx, "jobs", job_id).await?;
    let v = match view(&tx, job_id).await? {
        Some(v) if v.job.user_id == user_id => v,
        _ => return Err(DbError::NotFound("video")),
    };
    if !v.job.status.parse::<JobStatus>().map(|s| s.is_final()).unwrap_or(true) {
        end_job(&tx, &v, JobStatus::Canceled, "deleted by the user", now_ms()).await?;
    }
    let keys = v.assets.iter().map(|a| a.blob_key.clone()).collect();
    assets::Entity::delete_many().filter(assets::Column::JobId.eq(job_id)).exec(&tx).await?;
    job_events::Entity::delete_many().filter(job_events::Column::JobId.eq(job_id)).exec(&tx).await?;
    job_stages::Entity::delete_many().filter(job_stages::Column::JobId.eq(job_id)).exec(&tx).await?;
    jobs::Entity::delete_by_id(job_id).exec(&tx).await?;
    tx.commit().await?;
    Ok(keys)
}

async fn upsert_asset(c: &impl ConnectionTrait, job_id: Uuid, user_id: Uuid, a: NewAsset) -> Result<(), DbError> {
    let am = assets::ActiveModel {
        id: Set(Uuid::now_v7()),
        job_id: Set(job_id),
        user_id: Set(user_id),
        kind: Set(a.kind.to_owned()),
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

async fn event(
    c: &impl ConnectionTrait,
    job_id: Uuid,
    kind: &str,
    stage: Option<&str>,
    status: Option<&str>,
    message: Option<&str>,
) -> Result<(), DbError> {
    job_events::ActiveModel {
        job_id: Set(job_id),
        kind: Set(kind.to_owned()),
        stage: Set(stage.map(str::to_owned)),
        status: Set(status.map(str::to_owned)),
        message: Set(message.map(str::to_owned)),
        at: Set(now_ms()),
        ..Default::default()
    }
    .insert(c)
    .await?;
    Ok(())
}

async fn enqueue(c: &impl ConnectionTrait, job_id: Option<Uuid>, t: NewTask) -> Result<(), DbError> {
    outbox::ActiveModel {
        queue: Set(t.queue.to_owned()),
        payload: Set(t.payload),
        job_id: Set(job_id),
        created_at: Set(now_ms()),
        sent_at: Set(None),
        ..Default::default()
    }
    .insert(c)
    .await?;
    Ok(())
}
