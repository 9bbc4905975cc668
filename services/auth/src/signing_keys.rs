//! The keys that sign access tokens: sealed at rest, rotated on a schedule, retired once every
//! token they signed has expired.
//!
//! A key's life: created, its seed sealed for `signing_key:<kid>` with the deployment's
//! encryption key → signs for `rotate_after` → replaced by a newer key, it keeps verifying for
//! [`KeyPolicy::grace`] → retired: deleted from the database, left out of `GetSigningKeys`, and
//! refused by the gateway from its `not_after` on, even from the gateway's cache.
//!
//! Several auth instances may share one database. Each re-reads the keys every
//! [`KeyPolicy::reread`] and signs with the newest. A rotation stores a key naming the key it
//! replaces, and the database allows one such key per replaced key: when instances rotate at the
//! same moment one key is stored and every instance takes that one. Times are the callers'
//! (`now_ms` parameters), so that tests drive the clock.

use std::{collections::HashSet, sync::Arc, time::Duration};

use glimvid_auth::KeySet;
use glimvid_db::{
    Db, DbError,
    repo::signing_keys::{self, NewSigningKey, SigningKey},
};
use glimvid_runtime::Sealer;
use tokio::sync::{Mutex, RwLock};

/// When keys rotate and how long a replaced key keeps verifying.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyPolicy {
    /// A key older than this is replaced (`GLIMVID_SIGNING_KEY_ROTATE_S`).
    pub rotate_after: Duration,
    /// The longest life of a token a key signs: access tokens (refresh tokens and API keys are
    /// random secrets, not signed).
    pub token_lifetime: Duration,
}

impl KeyPolicy {
    /// How often an instance re-reads the keys: soon enough after a rotation that a new key is
    /// taken up within a quarter of the period, rarely enough (a minute at most) that the
    /// database does not notice; never below 100 ms.
    pub fn reread(&self) -> Duration {
        (self.rotate_after / 4).clamp(Duration::from_millis(100), Duration::from_secs(60))
    }

    /// How long a replaced key keeps verifying: an instance that has not re-read yet may sign
    /// with it for up to [`Self::reread`] more, and the last token it signs lives
    /// `token_lifetime`.
    pub fn grace(&self) -> Duration {
        self.token_lifetime + self.reread()
    }

    /// Whether a newest key created at `created_ms` is due for replacement at `now_ms`.
    pub fn due(&self, created_ms: i64, now_ms: i64) -> bool {
        now_ms.saturating_sub(created_ms) >= ms(self.rotate_after)
    }
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// The associated data a key's seed is sealed with: a sealed seed copied into another row does
/// not open there.
pub fn seal_context(kid: &str) -> String {
    format!("signing_key:{kid}")
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error(transparent)]
    Db(#[from] DbError),
    /// The seed was sealed with another key, or the row was copied from elsewhere.
    #[error(
        "signing key {kid} does not open with the configured encryption key (GLIMVID_ENCRYPTION_KEY, or keys/encryption.key in the data folder)"
    )]
    Open { kid: String },
    #[error("signing key {kid} is malformed")]
    Malformed { kid: String },
    #[error("no signing key is stored")]
    Missing,
}

/// A key that still verifies, as `GetSigningKeys` publishes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedKey {
    pub kid: String,
    /// Derived from the opened seed, not read from the row: a row written without the
    /// encryption key is never published.
    pub public_key: Vec<u8>,
    /// From then on (ms) the key verifies nothing; `None` while it signs.
    pub not_after_ms: Option<i64>,
}

/// What one reading of the keys gave.
struct Loaded {
    signer: Arc<KeySet>,
    published: Vec<PublishedKey>,
    at_ms: i64,
}

/// The keys of one auth instance, re-read (and rotated, retired, deleted) as time passes.
pub struct Keyring {
    db: Db,
    sealer: Sealer,
    policy: KeyPolicy,
    loaded: RwLock<Arc<Loaded>>,
    /// One re-read at a time; the others use what is loaded meanwhile.
    sync: Mutex<()>,
}

impl Keyring {
    /// Seals raw seeds left by older versions, creates the first key or rotates a due one, and
    /// loads them. Fails when a key does not open: the encryption key is not this deployment's.
    pub async fn open(db: Db, sealer: Sealer, policy: KeyPolicy, now_ms: i64) -> Result<Self, KeyError> {
        let loaded = sync_keys(&db, &sealer, &policy, now_ms).await?;
        Ok(Self { db, sealer, policy, loaded: RwLock::new(Arc::new(loaded)), sync: Mutex::new(()) })
    }

    pub fn policy(&self) -> KeyPolicy {
        self.policy
    }

    /// The key set that signs now (the newest key).
    pub async fn signer(&self, now_ms: i64) -> Arc<KeySet> {
        self.current(now_ms).await.signer.clone()
    }

    /// The keys that still verify at `now_ms`, newest first.
    pub async fn published(&self, now_ms: i64) -> Vec<PublishedKey> {
        let loaded = self.current(now_ms).await;
        loaded.published.iter().filter(|k| k.not_after_ms.is_none_or(|t| t > now_ms)).cloned().collect()
    }

    /// Re-reads the keys now, whatever their age (the maintenance tick).
    pub async fn refresh(&self, now_ms: i64) -> Result<(), KeyError> {
        let _one = self.sync.lock().await;
        let loaded = sync_keys(&self.db, &self.sealer, &self.policy, now_ms).await?;
        *self.loaded.write().await = Arc::new(loaded);
        Ok(())
    }

    /// What is loaded, re-read first when it is older than [`KeyPolicy::reread`]. A failed
    /// re-read keeps what is loaded (logged): signing goes on while the database is away.
    async fn current(&self, now_ms: i64) -> Arc<Loaded> {
        let fresh = |l: &Loaded| now_ms.saturating_sub(l.at_ms) < ms(self.policy.reread());
        let cur = self.loaded.read().await.clone();
        if fresh(&cur) {
            return cur;
        }
        let _one = self.sync.lock().await;
        let cur = self.loaded.read().await.clone();
        if fresh(&cur) {
            return cur;
        }
        match sync_keys(&self.db, &self.sealer, &self.policy, now_ms).await {
            Ok(l) => {
                let l = Arc::new(l);
                *self.loaded.write().await = l.clone();
                l
            }
            Err(e) => {
                tracing::error!(error = %e, "could not re-read the signing keys; using the ones loaded");
                cur
            }
        }
    }
}

/// One maintenance pass, safe to run by every instance at once: seal raw seeds, rotate if due,
/// retire what was replaced, delete what is retired, then load.
async fn sync_keys(db: &Db, sealer: &Sealer, policy: &KeyPolicy, now_ms: i64) -> Result<Loaded, KeyError> {
    let rows = signing_keys::all(db).await?;
    let sealed = seal_raw_seeds(db, sealer, &rows).await?;
    if sealed > 0 {
        tracing::info!(count = sealed, "sealed signing seeds kept in the clear by an older version");
    }
    let top = newest(&rows);
    if top.is_none_or(|n| policy.due(n.created_at, now_ms)) {
        let (kid, seed, public_key) = KeySet::generate();
        let stored = signing_keys::insert(
            db,
            NewSigningKey {
                kid: &kid,
                private_key: sealer.seal(&seed, &seal_context(&kid)).into_bytes(),
                public_key,
                created_at: now_ms,
                replaces: top.map(|n| n.kid.as_str()),
            },
        )
        .await?;
        if stored {
            tracing::info!(%kid, replaces = top.map(|n| n.kid.as_str()), "new signing key");
        }
    }
    let rows = signing_keys::all(db).await?;
    let top = newest(&rows).ok_or(KeyError::Missing)?;
    let retire_at = now_ms.saturating_add(ms(policy.grace()));
    let retired = signing_keys::retire_all_but(db, &top.kid, retire_at).await?;
    let deleted = signing_keys::delete_retired(db, now_ms).await?;
    if retired + deleted > 0 {
        tracing::info!(retired, deleted, "signing keys retired");
    }
    let rows = if retired + deleted > 0 { signing_keys::all(db).await? } else { rows };
    load(sealer, &rows, now_ms)
}

/// The key no other key replaces (the latest of those, should older versions have left several).
fn newest(rows: &[SigningKey]) -> Option<&SigningKey> {
    let replaced: HashSet<&str> = rows.iter().filter_map(|r| r.replaces.as_deref()).collect();
    rows.iter().filter(|r| r.retired_at.is_none() && !replaced.contains(r.kid.as_str())).max_by_key(|r| r.created_at)
}

/// Seals the seeds of rows written before seeds were sealed. Returns how many it sealed.
async fn seal_raw_seeds(db: &Db, sealer: &Sealer, rows: &[SigningKey]) -> Result<usize, KeyError> {
    let mut n = 0;
    for r in rows.iter().filter(|r| !is_sealed(&r.private_key)) {
        if r.private_key.len() != 32 {
            return Err(KeyError::Malformed { kid: r.kid.clone() });
        }
        let sealed = sealer.seal(&r.private_key, &seal_context(&r.kid)).into_bytes();
        // Only if still the raw seed: another instance may have sealed it meanwhile.
        if signing_keys::replace_private_key(db, &r.kid, &r.private_key, sealed).await? {
            n += 1;
        }
    }
    Ok(n)
}

fn is_sealed(stored: &[u8]) -> bool {
    std::str::from_utf8(stored).is_ok_and(Sealer::is_sealed)
}

/// Opens a stored seed. A raw one (an instance of an older version wrote it since the last
/// pass) is taken as it is and sealed by the next pass.
fn open_seed(sealer: &Sealer, row: &SigningKey) -> Result<Vec<u8>, KeyError> {
    if !is_sealed(&row.private_key) {
        return match row.private_key.len() {
            32 => Ok(row.private_key.clone()),
            _ => Err(KeyError::Malformed { kid: row.kid.clone() }),
        };
    }
    let text = std::str::from_utf8(&row.private_key).map_err(|_| KeyError::Malformed { kid: row.kid.clone() })?;
    sealer.open(text, &seal_context(&row.kid)).map_err(|_| KeyError::Open { kid: row.kid.clone() })
}

fn load(sealer: &Sealer, rows: &[SigningKey], now_ms: i64) -> Result<Loaded, KeyError> {
    let newest = newest(rows).ok_or(KeyError::Missing)?;
    let seed = open_seed(sealer, newest)?;
    let signer = KeySet::from_seeds(&[(newest.kid.clone(), seed)])
        .ok_or_else(|| KeyError::Malformed { kid: newest.kid.clone() })?;
    let mut published = Vec::new();
    // The signing key first, then the others that still verify, newest first.
    let others = rows.iter().filter(|r| r.kid != newest.kid && r.retired_at.is_none_or(|t| t > now_ms));
    for row in std::iter::once(newest).chain(others) {
        let checked = open_seed(sealer, row).and_then(|seed| match KeySet::public_key_of(&seed) {
            Some(public_key) if public_key == row.public_key => Ok(public_key),
            _ => Err(KeyError::Malformed { kid: row.kid.clone() }),
        });
        let public_key = match checked {
            Ok(k) => k,
            // Without the signing key nothing works: say so. An older key that does not open is
            // left out (its tokens are refused) rather than stopping the service.
            Err(e) if row.kid == newest.kid => return Err(e),
            Err(e) => {
                tracing::error!(error = %e, "signing key left out");
                continue;
            }
        };
        let not_after_ms = if row.kid == newest.kid { None } else { row.retired_at };
        published.push(PublishedKey { kid: row.kid.clone(), public_key, not_after_ms });
    }
    Ok(Loaded { signer: Arc::new(signer), published, at_ms: now_ms })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(rotate_s: u64, ttl_s: u64) -> KeyPolicy {
        KeyPolicy { rotate_after: Duration::from_secs(rotate_s), token_lifetime: Duration::from_secs(ttl_s) }
    }

    #[test]
    fn rotation_is_due_after_the_period_and_a_replaced_key_outlives_its_tokens() {
        let p = policy(30 * 24 * 3600, 15 * 60);
        assert_eq!(p.reread(), Duration::from_secs(60));
        assert_eq!(p.grace(), Duration::from_secs(15 * 60 + 60));
        let created = 1_000_000;
        assert!(!p.due(created, created + ms(p.rotate_after) - 1));
        assert!(p.due(created, created + ms(p.rotate_after)));
        // Short periods re-read often, but never in a busy loop.
        assert_eq!(policy(2, 2).reread(), Duration::from_millis(500));
        assert_eq!(policy(0, 1).reread(), Duration::from_millis(100));
    }

    fn row(kid: &str, created_at: i64, replaces: Option<&str>, retired_at: Option<i64>) -> SigningKey {
        SigningKey {
            kid: kid.into(),
            private_key: vec![],
            public_key: vec![],
            created_at,
            retired_at,
            replaces: replaces.map(Into::into),
        }
    }

    #[test]
    fn the_newest_key_is_the_one_nothing_replaces() {
        assert!(newest(&[]).is_none());
        // A clock behind: the replacement looks older than the key it replaced.
        let rows = [row("a", 200, None, None), row("b", 100, Some("a"), None)];
        assert_eq!(newest(&rows).unwrap().kid, "b");
        // Rows of older versions name nothing: the latest unretired one signs.
        let rows = [row("x", 300, None, Some(900)), row("y", 200, None, None), row("z", 100, None, None)];
        assert_eq!(newest(&rows).unwrap().kid, "y");
    }
}
