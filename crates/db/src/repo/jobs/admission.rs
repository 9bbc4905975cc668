//! Admission: a submission's checks and payment (credits, free trials, jobs in flight, review
//! allowances), in the job's own transaction.

use super::*;

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

pub(super) const DAY_MS: i64 = 24 * 3600 * 1000;

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
    if !lock_row(&tx, "users", new.user_id.as_uuid()).await? {
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
            .filter(jobs::Column::UserId.eq(new.user_id.as_uuid()))
            .filter(jobs::Column::UserId.eq(new.user_id.as_uuid()))
            .filter(jobs::Column::IdempotencyKey.eq(key.as_str()))
            .filter(jobs::Column::CreatedAt.lte(now - IDEMPOTENCY_TTL_MS))
            .exec(&tx)
            .await?;
    }
    let job = jobs::ActiveModel {
        id: Set(new.id.into()),
        user_id: Set(new.user_id.into()),
        status: Set(JobStatus::Queued.into()),
        description: Set(new.description),
        options_json: Set(new.options_json),
        photo_count: Set(new.photo_count),
        pending_prereqs: Set(Stage::Render.prerequisites() as i32),
        script_json: Set(None),
        public_id: Set(None),
        failure_reason: Set(None),
        payment_currency: Set(currency.map(Into::into)),
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
            stage: Set(stage.into()),
            status: Set(StageStatus::Pending.into()),
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
        upsert_asset(&tx, job.id(), job.user_id(), a).await?;
    }
    if let Some(currency) = currency {
        reserve(&tx, job.user_id(), job.id(), currency).await?;
    }
    let accepted = if review { "accepted; stops for review after script and enhance" } else { "accepted" };
    event(&tx, job.id(), EventKind::Job, None, Some(JobStatus::Queued.into()), Some(accepted)).await?;
    for t in new.tasks {
        enqueue(&tx, Some(job.id()), t).await?;
    }
    tx.commit().await?;
    get(db, new.id).await
}

/// The early refusal of a submission, before its photos are read: `RateLimited` at the limit of
/// jobs in flight, `PaymentRequired` without credits or trials. It reserves nothing; the job's
/// own transaction ([`create_with`]) checks again, atomically.
pub async fn precheck(db: &Db, user_id: UserId, admission: &Admission) -> Result<(), DbError> {
    let tx = db.begin().await?;
    check_in_flight(&tx, user_id, admission, None).await?;
    let bal = credits::balances(&tx, user_id).await?;
    choose_payment(bal.trials, bal.credits).ok_or(DbError::PaymentRequired)?;
    tx.rollback().await?;
    Ok(())
}

/// The counter keys of review jobs per client network and per account (per UTC day).
pub fn review_keys(ip: Option<&str>, user_id: UserId) -> Vec<String> {
    let mut keys = vec![format!("review:user:{user_id}")];
    if let Some(ip) = ip {
        keys.push(format!("review:ip:{ip}"));
    }
    keys
}

/// Counts one review job against the network's and the account's daily allowance; beyond it
/// `RateLimited` until the next UTC midnight.
pub(super) async fn count_review(
    tx: &DatabaseTransaction,
    user_id: UserId,
    admission: &Admission,
    now: i64,
) -> Result<(), DbError> {
    let Some(limit) = admission.reviews_per_day else { return Ok(()) };
    for key in review_keys(admission.client_ip.as_deref(), user_id) {
        let d = crate::repo::limits::hit(tx, &key, crate::repo::limits::Rule { limit, window_ms: DAY_MS }, now).await?;
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
pub(super) async fn check_in_flight(
    tx: &DatabaseTransaction,
    user_id: UserId,
    admission: &Admission,
    except: Option<JobId>,
) -> Result<(), DbError> {
    let Some(max) = admission.max_in_flight else { return Ok(()) };
    let in_flight_states = [JobStatus::Queued, JobStatus::Running, JobStatus::AwaitingReview].map(|s| s.as_str());
    let mut q = jobs::Entity::find()
        .filter(jobs::Column::UserId.eq(user_id.as_uuid()))
        .filter(jobs::Column::Status.is_in(in_flight_states));
    if let Some(id) = except {
        q = q.filter(jobs::Column::Id.ne(id.as_uuid()));
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
pub(super) async fn pay_with(
    tx: &DatabaseTransaction,
    user_id: UserId,
    admission: &Admission,
    now: i64,
) -> Result<Currency, DbError> {
    let bal = credits::balances(tx, user_id).await?;
    let mut currency = choose_payment(bal.trials, bal.credits).ok_or(DbError::PaymentRequired)?;
    if currency == Currency::Trial
        && let (Some(limit), Some(ip)) = (admission.trials_per_ip_per_day, admission.client_ip.as_deref())
    {
        let d = crate::repo::limits::hit(
            tx,
            &trial_ip_key(ip),
            crate::repo::limits::Rule { limit, window_ms: DAY_MS },
            now,
        )
        .await?;
        if !d.allowed {
            // This network's free trials are spent for today: bought credits may still pay.
            currency = choose_payment(0, bal.credits).ok_or(DbError::PaymentRequired)?;
        }
    }
    Ok(currency)
}

pub(super) async fn reserve(
    tx: &DatabaseTransaction,
    user_id: UserId,
    job_id: JobId,
    currency: Currency,
) -> Result<(), DbError> {
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
