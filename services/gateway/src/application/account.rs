//! Application functions for the user's own account that need the gateway's backends: the
//! usage log and its view, the export (a zip of everything the user has), and partner API-key
//! checks. The rules that need the auth service (deletion, keys) live there, behind gRPC.

use std::{
    io::{Seek, Write},
    net::IpAddr,
};

use bytes::Bytes;
use futures::StreamExt;
use glimvid_db::repo::{credits, jobs, usage, users};
use glimvid_domain::{DomainError, ErrorCode, UserId};
use glimvid_proto::auth::v1 as pb;
use serde_json::json;
use uuid::Uuid;

use crate::{application::error::AppError, application::view::rfc3339, state::GatewayState};

/// Records one usage row; a failure is logged, never the request's failure.
pub async fn note_usage(
    state: &GatewayState,
    user_id: Option<UserId>,
    ip: Option<IpAddr>,
    action: &str,
    route: &str,
    status: u16,
) {
    let ip = ip.map(|i| i.to_string()).unwrap_or_else(|| "unknown".into());
    let e = usage::Event { user_id, ip: &ip, action, route, status, at: glimvid_db::now_ms() };
    if let Err(e) = usage::record_event(&state.backends.db, e).await {
        tracing::warn!(error = %e, "could not record usage");
    }
}

fn usage_row_json(r: &usage::UsageRow) -> serde_json::Value {
    json!({
        "at": rfc3339(r.at),
        "ip": r.ip,
        "action": r.action.as_deref().unwrap_or("request"),
        "route": r.route,
        "status": r.status,
    })
}

/// A page of the user's usage log (last 30 days, newest first) with the generation count and
/// balances the policy lists as usage data.
pub async fn usage_page(
    state: &GatewayState,
    user_id: UserId,
    cursor: Option<&str>,
    limit: u64,
) -> Result<serde_json::Value, AppError> {
    let before = crate::application::page::cursor::<i64>(cursor)?;
    let now = glimvid_db::now_ms();
    let db = &state.backends.db;
    let rows = usage::page_for_user(db, user_id, before, limit + 1, now).await?;
    let (rows, next_cursor) = crate::application::page::split(rows, limit, |r| r.id.to_string());
    let generations = usage::count_for_user(db, user_id, usage::action::VIDEO_CREATED, now).await?;
    let b = credits::balances(db.conn(), user_id).await?;
    Ok(json!({
        "items": rows.iter().map(usage_row_json).collect::<Vec<_>>(),
        "next_cursor": next_cursor,
        "retention_days": 30,
        "summary": {
            "videos_created_30d": generations,
            "credits": b.credits.max(0),
            "free_trials_left": b.trials.max(0),
        },
    }))
}

/// Checks a partner's API key through the auth service and that it carries `scope`.
pub async fn verify_api_key(state: &GatewayState, secret: &str, scope: &str) -> Result<ApiPrincipal, AppError> {
    let r = state
        .auth
        .clone()
        .authenticate_api_key(pb::AuthenticateApiKeyRequest { secret: secret.to_owned() })
        .await?
        .into_inner();
    let user_id = Uuid::parse_str(&r.user_id)
        .map(UserId::from)
        .map_err(|_| DomainError::new(ErrorCode::Internal, "the auth service returned a bad user id"))?;
    if !r.scopes.iter().any(|s| s == scope) {
        return Err(DomainError::new(ErrorCode::Forbidden, format!("this API key lacks the scope `{scope}`")).into());
    }
    Ok(ApiPrincipal { user_id, scopes: r.scopes })
}

/// Who a verified API key speaks for.
#[derive(Debug, Clone)]
pub struct ApiPrincipal {
    pub user_id: UserId,
    pub scopes: Vec<String>,
}

fn internal(e: impl std::fmt::Display) -> AppError {
    tracing::error!(error = %e, "export failed");
    DomainError::new(ErrorCode::Internal, "the export could not be written").into()
}

/// Writes the user's export into an anonymous temporary file and returns it, rewound:
/// `account.json`, `usage.json`, and per job `videos/<job>/job.json`, `script.json`, and its
/// files: originals, enhanced images, the voice-over (WAV), the video and its subtitles. Objects are copied in chunks, never held whole in memory.
pub async fn export_zip(state: &GatewayState, user_id: UserId) -> Result<std::fs::File, AppError> {
    let db = &state.backends.db;
    let user = users::get(db, user_id).await?;
    let b = credits::balances(db.conn(), user_id).await?;
    let ledger = credits::entries(db, user_id).await?;
    let now = glimvid_db::now_ms();
    let usage_rows = usage::page_for_user(db, user_id, None, 100_000, now).await?;
    let account = json!({
        "id": user.id,
        "email": user.email,
        "language": user.language,
        "training_opt_out": user.training_opt_out,
        "created_at": rfc3339(user.created_at),
        "credits": b.credits.max(0),
        "free_trials_left": b.trials.max(0),
        "ledger": ledger.iter().map(|e| json!({
            "at": rfc3339(e.created_at), "currency": e.currency, "kind": e.kind, "amount": e.amount,
            "job_id": e.job_id,
        })).collect::<Vec<_>>(),
    });
    let usage_json = json!({
        "retention_days": 30,
        "items": usage_rows.iter().map(usage_row_json).collect::<Vec<_>>(),
    });
    let mut all_jobs = Vec::new();
    let mut before = None;
    loop {
        let page = jobs::list(db, user_id, before, 100).await?;
        let Some(last) = page.last() else { break };
        before = Some(last.id());
        for j in &page {
            all_jobs.push(jobs::get(db, j.id()).await?);
        }
    }

    let file = tempfile::tempfile().map_err(internal)?;
    let mut zip = zip::ZipWriter::new(file);
    let json_opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    // Photos and videos are compressed already.
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored).large_file(true);
    let pretty = |v: &serde_json::Value| serde_json::to_vec_pretty(v).unwrap_or_default();
    zip.start_file("account.json", json_opts).map_err(internal)?;
    zip.write_all(&pretty(&account)).map_err(internal)?;
    zip.start_file("usage.json", json_opts).map_err(internal)?;
    zip.write_all(&pretty(&usage_json)).map_err(internal)?;
    for v in &all_jobs {
        let j = &v.job;
        let dir = format!("videos/{}", j.id);
        let meta = json!({
            "id": j.id, "status": j.status, "description": j.description,
            "options": serde_json::from_str::<serde_json::Value>(&j.options_json).unwrap_or_default(),
            "created_at": rfc3339(j.created_at),
            "public_url": j.public_id.as_deref().map(|p| state.public_url(p)),
        });
        zip.start_file(format!("{dir}/job.json"), json_opts).map_err(internal)?;
        zip.write_all(&pretty(&meta)).map_err(internal)?;
        if let Some(script) = &j.script_json {
            let script: serde_json::Value = serde_json::from_str(script).unwrap_or(json!(script));
            zip.start_file(format!("{dir}/script.json"), json_opts).map_err(internal)?;
            zip.write_all(&pretty(&script)).map_err(internal)?;
        }
        for a in &v.assets {
            let ext = a.blob_key.rsplit_once('.').map(|(_, e)| e).unwrap_or("bin");
            let name = format!("{dir}/{}/{}.{ext}", a.kind, a.idx);
            let read = match state.backends.blob.read(&a.blob_key, None).await {
                Ok(r) => r,
                Err(glimvid_blob::BlobError::NotFound) => continue,
                Err(e) => return Err(e.into()),
            };
            zip.start_file(name, stored).map_err(internal)?;
            let mut body = read.body;
            while let Some(chunk) = body.next().await {
                let chunk: Bytes = chunk?;
                zip.write_all(&chunk).map_err(internal)?;
            }
        }
    }
    let mut file = zip.finish().map_err(internal)?;
    file.rewind().map_err(internal)?;
    Ok(file)
}
