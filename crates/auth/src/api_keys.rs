//! Partner API keys: `gv_live_` and 256 random bits, shown once; stored as a SHA-256 hash with a
//! short prefix (to tell keys apart in a list) and scopes.

use glimvid_domain::DomainError;

/// How every key begins (lets secret scanners and support recognise one).
pub const KEY_PREFIX: &str = "gv_live_";

/// The scopes a key may carry.
pub const SCOPES: &[&str] = &[SCOPE_VIDEOS_READ, SCOPE_VIDEOS_WRITE];
pub const SCOPE_VIDEOS_READ: &str = "videos:read";
pub const SCOPE_VIDEOS_WRITE: &str = "videos:write";

/// A fresh key: the secret (shown once), what is stored of it, and its display prefix.
pub struct NewKey {
    pub secret: String,
    pub hash: String,
    pub prefix: String,
}

pub fn generate() -> NewKey {
    let secret = crate::random_secret(KEY_PREFIX);
    NewKey { hash: crate::secret_hash(&secret), prefix: secret[..KEY_PREFIX.len() + 6].to_owned(), secret }
}

/// Whether `s` has the shape of a key (cheap check before any lookup).
pub fn looks_like_key(s: &str) -> bool {
    s.len() == KEY_PREFIX.len() + 43
        && s.starts_with(KEY_PREFIX)
        && s[KEY_PREFIX.len()..].bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Validates and normalises requested scopes (known ones only, deduplicated, sorted; at least one).
pub fn parse_scopes<S: AsRef<str>>(requested: &[S]) -> Result<Vec<String>, DomainError> {
    let mut out: Vec<String> = Vec::new();
    for s in requested {
        let s = s.as_ref().trim();
        if !SCOPES.contains(&s) {
            return Err(DomainError::invalid("scopes", format!("unknown scope `{s}`; known: {}", SCOPES.join(", "))));
        }
        if !out.iter().any(|o| o == s) {
            out.push(s.to_owned());
        }
    }
    if out.is_empty() {
        return Err(DomainError::invalid("scopes", format!("give at least one scope of: {}", SCOPES.join(", "))));
    }
    out.sort();
    Ok(out)
}

/// Validates a key's display name.
pub fn parse_name(name: &str) -> Result<String, DomainError> {
    let n = name.trim();
    if n.is_empty() || n.chars().count() > 100 || n.chars().any(char::is_control) {
        return Err(DomainError::invalid("name", "the key's name must be 1–100 printable characters"));
    }
    Ok(n.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_have_the_live_prefix_and_hash_stably() {
        let k = generate();
        assert!(k.secret.starts_with("gv_live_"), "{}", k.secret);
        assert!(looks_like_key(&k.secret), "{}", k.secret);
        assert!(k.secret.starts_with(&k.prefix) && k.prefix.len() == 14);
        assert_eq!(k.hash, crate::secret_hash(&k.secret));
        assert_ne!(generate().secret, k.secret);
        assert!(!looks_like_key("gv_live_short"));
        assert!(!looks_like_key(&k.secret.replace("gv_live_", "gv_test_")));
    }

    #[test]
    fn scopes_are_checked() {
        assert_eq!(
            parse_scopes(&["videos:write", "videos:read", "videos:write"]).unwrap(),
            ["videos:read", "videos:write"]
        );
        assert!(parse_scopes(&["admin"]).is_err());
        assert!(parse_scopes::<&str>(&[]).is_err());
        assert!(parse_name("  ").is_err());
        assert_eq!(parse_name(" shop sync ").unwrap(), "shop sync");
    }
}
