//! Review before paying: a job submitted with `options.review = true` stops in
//! `awaiting_review` once its script and enhanced photos exist. Its owner may then replace the
//! script and ask for the render, which is when the job is paid for. These are the application
//! functions; the REST handlers (and the partner gRPC API) only convert.

use bytes::Bytes;
use glimvid_db::entity::enums::AssetKind;
use glimvid_db::{
    DbError,
    repo::jobs::{self, Admission, JobView, NewAsset, NewTask},
};
use glimvid_domain::{DomainError, JobId, Script, Stage, UserId};
use glimvid_pipeline::{TaskTrace, encode_task, keys, sha256_hex};

use crate::{error::ApiError, state::GatewayState};

/// Replaces the script of the user's job awaiting review with `body` (a script as JSON, checked
/// strictly and against the job's photos). Another user's job is "not found"; a job that is
/// not awaiting review is refused (409) and nothing changes.
pub async fn replace_script(state: &GatewayState, user_id: UserId, id: &str, body: &[u8]) -> Result<JobView, ApiError> {
    let job_id: JobId = id.parse()?;
    let current = jobs::get_owned(&state.backends.db, user_id, job_id).await?;
    // A job past review is refused whatever the body (checked again under the job's lock).
    jobs::ensure_awaiting_review(&current.job)?;
    let script = Script::parse_json(body, current.job.photo_count.max(1) as usize)?;
    let json = serde_json::to_vec(&script)
        .map_err(|e| DomainError::new(glimvid_domain::ErrorCode::Internal, e.to_string()))?;
    let sha = sha256_hex(&json);
    // A key of its own per content: the object the job points to is never overwritten in place,
    // so a crash between the store and the database leaves at most an unreferenced object under
    // the job's prefix (deleted with the job), never a script that disagrees with the job's.
    let key = format!("{}script/edit-{}.json", keys::job_prefix(user_id, job_id), &sha[..16]);
    let already_stored = current.assets.iter().any(|a| a.blob_key == key);
    state.backends.blob.put(&key, Bytes::from(json.clone()), "application/json").await?;
    let asset = NewAsset {
        kind: AssetKind::Script,
        idx: 0,
        blob_key: key.clone(),
        size: json.len() as i64,
        content_type: "application/json".into(),
        sha256: sha,
        width: None,
        height: None,
    };
    let script_json = String::from_utf8(json).unwrap_or_default();
    match jobs::replace_script(&state.backends.db, user_id, job_id, script_json, asset).await {
        Ok((view, replaced)) => {
            if let Some(old) = replaced
                && let Err(e) = state.backends.blob.delete(&old).await
            {
                tracing::warn!(error = %e, key = %old, "could not delete a replaced script; it is no longer referenced");
            }
            Ok(view)
        }
        Err(e) => {
            if !already_stored {
                let _ = state.backends.blob.delete(&key).await;
            }
            Err(e.into())
        }
    }
}

/// Sends the user's job awaiting review on to render, paying for it now (a free trial first,
/// then credits). 402 when the account cannot pay and 429 when too many of its jobs are in
/// flight: the job then stays awaiting review, unchanged. `client_ip` is the client's address,
/// for the free trials per network per day.
pub async fn request_render(
    state: &GatewayState,
    user_id: UserId,
    id: &str,
    client_ip: Option<std::net::IpAddr>,
) -> Result<JobView, ApiError> {
    let job_id: JobId = id.parse()?;
    let acc = &state.settings.accounts;
    let admission = Admission {
        client_ip: client_ip.map(crate::client_ip::network_key),
        trials_per_ip_per_day: (acc.trials_per_ip_per_day > 0).then_some(acc.trials_per_ip_per_day),
        max_in_flight: (acc.max_jobs_in_flight > 0).then_some(acc.max_jobs_in_flight),
        reviews_per_day: (acc.reviews_per_ip_per_day > 0).then_some(acc.reviews_per_ip_per_day),
    };
    let trace = TaskTrace::for_request(&crate::error::current_request_id());
    let task = NewTask { queue: Stage::Render.queue(), payload: encode_task(job_id, Stage::Render, &trace) };
    match jobs::request_render(&state.backends.db, user_id, job_id, &admission, task).await {
        Ok(view) => {
            state.backends.relay.poke();
            metrics::counter!("glimvid_renders_requested_total").increment(1);
            Ok(view)
        }
        Err(DbError::PaymentRequired) => Err(crate::videos::no_credits_with_ip_cap(acc.trials_per_ip_per_day)),
        Err(e) => Err(e.into()),
    }
}
