//! `glimvid admin …`: operator commands that run against the configured backends.
//!
//! `export-training-set --out DIR` writes an anonymised training set: for every live account that
//! did not opt out of model training, each job's uploaded photos (stored already upright and
//! without any metadata), its description and its script. Nothing that identifies a person
//! goes out: no emails, no account or job ids, no IP addresses, no timestamps.

use std::path::{Path, PathBuf};

use clap::Subcommand;
use glimvid_db::repo::{jobs, users};
use glimvid_pipeline::Backends;
use glimvid_runtime::Config;
use serde_json::json;

#[derive(Subcommand)]
pub enum AdminCommand {
    /// Write the anonymised training set of users who did not opt out.
    ExportTrainingSet {
        /// An empty (or new) folder to write into.
        #[arg(long)]
        out: PathBuf,
    },
}

pub async fn run(cfg: Config, cmd: AdminCommand) -> anyhow::Result<()> {
    match cmd {
        AdminCommand::ExportTrainingSet { out } => {
            let backends = Backends::connect(&cfg).await?;
            let s = export_training_set(&backends, &out).await?;
            println!(
                "glimvid: wrote {} samples ({} photos) from {} accounts to {}; {} accounts opted out and were skipped",
                s.samples,
                s.photos,
                s.accounts,
                out.display(),
                s.opted_out
            );
            backends.db.close().await;
            Ok(())
        }
    }
}

#[derive(Debug, Default)]
pub struct ExportSummary {
    pub accounts: usize,
    pub opted_out: usize,
    pub samples: usize,
    pub photos: usize,
}

/// Keeps only what a model learns from: the scenes' words, never who wrote them.
fn anonymised_script(script_json: &str) -> Option<serde_json::Value> {
    let mut v: serde_json::Value = serde_json::from_str(script_json).ok()?;
    if let Some(o) = v.as_object_mut() {
        for k in ["id", "job_id", "user_id", "email", "created_at"] {
            o.remove(k);
        }
    }
    Some(v)
}

pub async fn export_training_set(b: &Backends, out: &Path) -> anyhow::Result<ExportSummary> {
    tokio::fs::create_dir_all(out).await?;
    if tokio::fs::read_dir(out).await?.next_entry().await?.is_some() {
        anyhow::bail!("{} is not empty; give a new or empty folder", out.display());
    }
    let contributors = users::training_contributors(&b.db).await?;
    let mut s = ExportSummary { accounts: contributors.len(), ..Default::default() };
    s.opted_out = users::opted_out_count(&b.db).await? as usize;
    let mut manifest = String::new();
    for user in contributors {
        let mut before = None;
        loop {
            let page = jobs::list(&b.db, user.id(), before, 100).await?;
            let Some(last) = page.last() else { break };
            before = Some(last.id());
            for j in page {
                let v = jobs::get(&b.db, j.id()).await?;
                let originals: Vec<_> = v.assets.iter().filter(|a| a.kind == "original").collect();
                if originals.is_empty() {
                    continue;
                }
                s.samples += 1;
                let name = format!("sample-{:06}", s.samples);
                let dir = out.join(&name);
                tokio::fs::create_dir_all(&dir).await?;
                let mut photos = Vec::new();
                for a in originals {
                    let ext = a.blob_key.rsplit_once('.').map(|(_, e)| e).unwrap_or("bin");
                    let file = format!("photo-{}.{ext}", a.idx);
                    let bytes = match b.blob.get(&a.blob_key).await {
                        Ok(bytes) => bytes,
                        Err(glimvid_blob::BlobError::NotFound) => continue,
                        Err(e) => return Err(e.into()),
                    };
                    tokio::fs::write(dir.join(&file), &bytes).await?;
                    photos.push(file);
                    s.photos += 1;
                }
                tokio::fs::write(dir.join("description.txt"), v.job.description.as_bytes()).await?;
                let script = v.job.script_json.as_deref().and_then(anonymised_script);
                if let Some(script) = &script {
                    tokio::fs::write(dir.join("script.json"), serde_json::to_vec_pretty(script)?).await?;
                }
                let options: serde_json::Value = serde_json::from_str(&v.job.options_json).unwrap_or_default();
                manifest.push_str(&serde_json::to_string(&json!({
                    "sample": name,
                    "photos": photos,
                    "has_script": script.is_some(),
                    "language": options.get("language"),
                    "aspect_ratio": options.get("aspect_ratio"),
                }))?);
                manifest.push('\n');
            }
        }
    }
    tokio::fs::write(out.join("manifest.jsonl"), manifest).await?;
    Ok(s)
}
