//! The application functions for videos, shared by REST (and the partner gRPC API): each one
//! validates, authorises and calls the repositories; handlers only convert.

use bytes::Bytes;
use glimvid_db::entity::enums::AssetKind;
use glimvid_db::repo::{
    jobs::{self, JobView, NewAsset, NewJob, NewTask},
    users,
};
use glimvid_domain::{Description, DomainError, ErrorCode, JobId, Language, Stage, UserId, options::JobOptions};
use glimvid_media::sanitize;
use glimvid_pipeline::{JobObjects, TaskTrace, encode_task, keys, sha256_hex};

use crate::{error::ApiError, state::GatewayState};

/// A submission as received, before any check.
pub struct Submission {
    pub photos: Vec<PhotoData>,
    pub description: String,
    /// The raw `options` JSON (may be empty): the video options, and `review` to stop before
    /// render (see [`crate::review`]).
    pub options: String,
    pub idempotency_key: Option<String>,
}

/// A photo as received: in memory (a partner API message, already bounded by its size) or
/// spooled to disk (a REST upload, see [`crate::spool`]), read whole only under a decode
/// reservation that counts it.
pub enum PhotoData {
    Memory(Bytes),
    Spooled(crate::spool::SpooledPhoto),
}

/// How much of a spooled photo is read to plan its decode: its header, in all but odd files
/// (a JPEG with hundreds of KiB of metadata before its frame header is planned for the worst).
const HEADER_PREFIX: usize = 256 * 1024;

impl PhotoData {
    pub fn len(&self) -> u64 {
        match self {
            Self::Memory(b) => b.len() as u64,
            Self::Spooled(p) => p.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn sha256(&self) -> String {
        match self {
            Self::Memory(b) => sha256_hex(b),
            Self::Spooled(p) => p.sha256().to_owned(),
        }
    }

    /// The bytes to plan the decode from: all of an in-memory photo, a prefix of a spooled one.
    async fn header(&self) -> std::io::Result<Bytes> {
        match self {
            Self::Memory(b) => Ok(b.clone()),
            Self::Spooled(p) => Ok(Bytes::from(p.prefix(HEADER_PREFIX).await?)),
        }
    }

    /// The whole photo in memory; a spooled file is removed once read.
    async fn load(self) -> std::io::Result<Bytes> {
        match self {
            Self::Memory(b) => Ok(b),
            Self::Spooled(p) => p.read_all().await,
        }
    }
}

/// Whether a create made a new job or replayed an earlier one with the same idempotency key.
pub enum Created {
    New(JobView),
    Replayed(JobView),
}

pub async fn create(state: &GatewayState, user_id: UserId, sub: Submission) -> Result<Created, ApiError> {
    create_from(state, user_id, sub, None).await
}

/// [`create`] for a client at `client_ip`: the account's limit of jobs in flight and the free
/// trials per IP per day apply, and the usage log records the generation.
/// The field of the 429 of the daily allowance of review jobs.
pub const REVIEW_ALLOWANCE_FIELD: &str = "options.review";

pub async fn create_from(
    state: &GatewayState,
    user_id: UserId,
    sub: Submission,
    client_ip: Option<std::net::IpAddr>,
) -> Result<Created, ApiError> {
    let s = &state.settings;
    let user = users::get(&state.backends.db, user_id).await?;
    let language = Language::parse_tag("language", &user.language).unwrap_or_default();
    let description = Description::parse(&sub.description)?;
    let options = JobOptions::parse_json(&sub.options, language)?;
    if sub.photos.is_empty() {
        return Err(DomainError::invalid("photos", "at least one photo is required").into());
    }
    if sub.photos.len() > s.max_photos {
        return Err(DomainError::invalid("photos", format!("at most {} photos per video", s.max_photos)).into());
    }
    if let Some(k) = &sub.idempotency_key
        && (k.is_empty() || k.len() > 255 || !k.chars().all(|c| c.is_ascii_graphic()))
    {
        return Err(DomainError::invalid("Idempotency-Key", "the key must be 1–255 visible ASCII characters").into());
    }
    let options_json =
        serde_json::to_string(&options).map_err(|e| DomainError::new(ErrorCode::Internal, e.to_string()))?;
    let request_hash = {
        let mut h = format!("{}\n{}\n", description.as_str(), options_json);
        for p in &sub.photos {
            h.push_str(&p.sha256());
        }
        sha256_hex(h.as_bytes())
    };
    if let Some(key) = &sub.idempotency_key
        && let Some(prev) = jobs::find_by_idempotency_key(&state.backends.db, user_id, key).await?
    {
        return replay(prev, &request_hash);
    }

    // Check every photo by content before storing anything (decoding is CPU work: off the
    // executor, all photos in parallel).
    let limits = s.upload;
    let checks = sub.photos.into_iter().enumerate().map(|(i, photo)| {
        let budget = state.decode.clone();
        async move {
            let io_failed = |e: std::io::Error| (i, glimvid_media::UploadError::Internal { detail: e.to_string() });
            // What decoding will hold (the compressed input included), from the header alone,
            // reserved from the process's one decode budget before the photo is read whole.
            let header = photo.header().await.map_err(io_failed)?;
            let len = photo.len();
            let needed = match glimvid_media::plan_header(&header, len, &limits) {
                Ok(plan) => Ok(plan),
                // The header runs past the prefix read: plan for the worst a photo may cost.
                Err(glimvid_media::UploadError::Corrupt { .. }) if (header.len() as u64) < len => {
                    Err(glimvid_media::worst_case_peak(len, &limits).min(budget.total_bytes()))
                }
                Err(e) => return Err((i, e)),
            };
            drop(header);
            let peak = needed.as_ref().map_or_else(|worst| *worst, |plan| plan.peak_bytes);
            let mut reservation = match budget.reserve(peak).await {
                Ok(r) => r,
                // Only a planned photo can be too large: the worst case is capped at the budget.
                Err(crate::decode_budget::BudgetError::TooLarge { needed: want, total }) => {
                    let (width, height, decoded) =
                        needed.as_ref().map_or((0, 0, want), |p| (p.width, p.height, p.decoded_bytes));
                    return Err((
                        i,
                        glimvid_media::UploadError::TooMuchMemory {
                            width,
                            height,
                            bytes_per_pixel: (decoded / (width as u64 * height as u64).max(1)) as u16,
                            limit: total.min(want),
                        },
                    ));
                }
                Err(crate::decode_budget::BudgetError::Busy { .. }) => return Ok(Err(())),
            };
            let bytes = photo.load().await.map_err(io_failed)?;
            let out = tokio::task::spawn_blocking(move || sanitize(&bytes, &limits).map_err(|e| (i, e)))
                .await
                .map_err(|_| (i, glimvid_media::UploadError::Internal { detail: "photo check failed".into() }))?;
            // Decoding is over: keep only what the clean photo holds until it is stored.
            out.map(|img| {
                reservation.shrink_to(img.bytes.len() as u64);
                Ok((img, reservation))
            })
        }
    });
    let mut clean = Vec::new();
    for r in futures::future::join_all(checks).await {
        match r {
            Ok(Err(())) => {
                return Err(DomainError::new(
                    ErrorCode::Unavailable,
                    "the server is busy decoding other photos; try again in a few seconds",
                )
                .into());
            }
            Ok(Ok(checked)) => clean.push(checked),
            Err((i, e)) => {
                if let glimvid_media::UploadError::Corrupt { detail }
                | glimvid_media::UploadError::Internal { detail } = &e
                {
                    tracing::info!(photo = i, %detail, "photo refused");
                }
                return Err(DomainError {
                    code: e.code(),
                    message: format!("photo {}: {e}", i + 1),
                    field: Some("photos".into()),
                    retry_after_s: None,
                }
                .into());
            }
        }
    }

    // Fail fast on credits before storing photos (the transaction checks again, atomically).
    let bal = glimvid_db::repo::credits::balances(state.backends.db.conn(), user_id).await?;
    if glimvid_domain::credits::choose_payment(bal.trials, bal.credits).is_none() {
        return Err(no_credits());
    }

    let job_id = JobId::new();
    // Removed unless the job is committed, also when the client goes away mid-way (the drop).
    let stored = JobObjects::new(state.backends.blob.clone(), state.backends.db.clone(), user_id, job_id);
    let mut originals = Vec::with_capacity(clean.len());
    for (n, (img, _held)) in clean.iter().enumerate() {
        let key = keys::object(user_id, job_id, "original", n, keys::ext_for(img.content_type));
        if let Err(e) = stored.put(&key, img.bytes.clone(), img.content_type).await {
            stored.discard().await;
            return Err(e.into());
        }
        originals.push(NewAsset {
            kind: AssetKind::Original,
            idx: n as i32,
            blob_key: key,
            size: img.bytes.len() as i64,
            content_type: img.content_type.into(),
            sha256: sha256_hex(&img.bytes),
            width: Some(img.width as i32),
            height: Some(img.height as i32),
        });
    }
    let trace = TaskTrace::for_request(&crate::error::current_request_id());
    let tasks = Stage::initial()
        .into_iter()
        .map(|st| NewTask { queue: st.queue(), payload: encode_task(job_id, st, &trace) })
        .collect();
    let acc = &s.accounts;
    let admission = jobs::Admission {
        client_ip: client_ip.map(crate::client_ip::network_key),
        trials_per_ip_per_day: (acc.trials_per_ip_per_day > 0).then_some(acc.trials_per_ip_per_day),
        max_in_flight: (acc.max_jobs_in_flight > 0).then_some(acc.max_jobs_in_flight),
        reviews_per_day: (acc.reviews_per_ip_per_day > 0).then_some(acc.reviews_per_ip_per_day),
    };
    let created = jobs::create_with(
        &state.backends.db,
        NewJob {
            id: job_id,
            user_id,
            description: description.as_str().to_owned(),
            options_json,
            photo_count: clean.len() as i32,
            originals,
            tasks,
            idempotency_key: sub.idempotency_key.clone(),
            request_hash: Some(request_hash.clone()),
        },
        &admission,
    )
    .await;
    match created {
        Ok(view) => {
            stored.keep();
            state.backends.relay.poke();
            metrics::counter!("glimvid_jobs_created_total").increment(1);
            crate::account::note_usage(
                state,
                Some(user_id),
                client_ip,
                glimvid_db::repo::usage::action::VIDEO_CREATED,
                "/api/v1/videos",
                202,
            )
            .await;
            Ok(Created::New(view))
        }
        Err(e) => {
            // Nothing was committed: remove the photos we stored.
            stored.discard().await;
            match e {
                glimvid_db::DbError::PaymentRequired => Err(no_credits_with_ip_cap(acc.trials_per_ip_per_day)),
                // The daily allowance of review jobs (a window of a day, not of seconds): the
                // field tells the route to answer with `Retry-After` until midnight UTC.
                glimvid_db::DbError::RateLimited { message, retry_after_s, .. } if retry_after_s > 60 => {
                    Err(ApiError(DomainError {
                        field: Some(REVIEW_ALLOWANCE_FIELD.into()),
                        ..DomainError::new(ErrorCode::RateLimited, message)
                    }))
                }
                glimvid_db::DbError::Conflict(_) if sub.idempotency_key.is_some() => {
                    // A concurrent request with the same key won the race: replay its answer.
                    let key = sub.idempotency_key.as_deref().unwrap_or_default();
                    match jobs::find_by_idempotency_key(&state.backends.db, user_id, key).await? {
                        Some(prev) => replay(prev, &request_hash),
                        None => Err(e.into()),
                    }
                }
                other => Err(other.into()),
            }
        }
    }
}

/// The cheap refusal of a submission before its body is read (REST and gRPC): too many jobs in
/// flight (429) or nothing to pay with (402). Creating the job checks both again, atomically.
pub async fn precheck(
    state: &GatewayState,
    user_id: UserId,
    client_ip: Option<std::net::IpAddr>,
) -> Result<(), ApiError> {
    let acc = &state.settings.accounts;
    let admission = jobs::Admission {
        client_ip: client_ip.map(crate::client_ip::network_key),
        trials_per_ip_per_day: (acc.trials_per_ip_per_day > 0).then_some(acc.trials_per_ip_per_day),
        max_in_flight: (acc.max_jobs_in_flight > 0).then_some(acc.max_jobs_in_flight),
        reviews_per_day: None,
    };
    match jobs::precheck(&state.backends.db, user_id, &admission).await {
        Err(glimvid_db::DbError::PaymentRequired) => Err(no_credits_with_ip_cap(acc.trials_per_ip_per_day)),
        other => Ok(other?),
    }
}

fn replay(prev: JobView, request_hash: &str) -> Result<Created, ApiError> {
    if prev.job.request_hash.as_deref() == Some(request_hash) {
        Ok(Created::Replayed(prev))
    } else {
        Err(DomainError::invalid("Idempotency-Key", "this Idempotency-Key was already used with different parameters")
            .into())
    }
}

pub(crate) fn no_credits_with_ip_cap(per_ip: u32) -> ApiError {
    if per_ip == 0 {
        return no_credits();
    }
    DomainError::new(
        ErrorCode::PaymentRequired,
        format!(
            "no credits left, and no free trials for this account or this network today (at most {per_ip} free \
             trials per network per day); buy credits to make more videos"
        ),
    )
    .into()
}

fn no_credits() -> ApiError {
    DomainError::new(ErrorCode::PaymentRequired, "no free trials or credits left; buy credits to make more videos")
        .into()
}

pub async fn get(state: &GatewayState, user_id: UserId, id: &str) -> Result<JobView, ApiError> {
    let id: JobId = id.parse()?;
    Ok(jobs::get_owned(&state.backends.db, user_id, id).await?)
}

pub async fn cancel(state: &GatewayState, user_id: UserId, id: &str) -> Result<JobView, ApiError> {
    let id: JobId = id.parse()?;
    Ok(jobs::cancel(&state.backends.db, user_id, id).await?)
}

/// Deletes the job's rows (its public link answers 404 from then on) and its objects.
pub async fn delete(state: &GatewayState, user_id: UserId, id: &str) -> Result<(), ApiError> {
    let id: JobId = id.parse()?;
    let keys_to_delete = jobs::delete(&state.backends.db, user_id, id).await?;
    for k in keys_to_delete {
        if let Err(e) = state.backends.blob.delete(&k).await {
            tracing::warn!(error = %e, key = %k, "could not delete an object; it is no longer reachable");
        }
    }
    // Anything a worker wrote meanwhile under the job's prefix goes too.
    let _ = state.backends.blob.delete_prefix(&keys::job_prefix(user_id, id)).await;
    Ok(())
}

pub async fn list(
    state: &GatewayState,
    user_id: UserId,
    cursor: Option<&str>,
    limit: u64,
) -> Result<Vec<jobs::Job>, ApiError> {
    let before = crate::page::cursor::<JobId>(cursor)?;
    Ok(jobs::list(&state.backends.db, user_id, before, limit).await?)
}

/// A page of the user's jobs, newest first: at most `limit` (1 to 100) views, and the cursor of
/// the next page when there is one. REST `GET /videos` and gRPC `ListVideoJobs` both serve this.
pub async fn page(
    state: &GatewayState,
    user_id: UserId,
    cursor: Option<&str>,
    limit: u64,
) -> Result<(Vec<JobView>, Option<String>), ApiError> {
    let limit = crate::page::limit(limit, 100)?;
    let rows = list(state, user_id, cursor, limit + 1).await?;
    let (rows, next) = crate::page::split(rows, limit, |j| j.id.to_string());
    let mut views = Vec::with_capacity(rows.len());
    for j in &rows {
        // Each view is small; a page is at most 100 jobs.
        views.push(jobs::get(&state.backends.db, j.id()).await?);
    }
    Ok((views, next))
}
