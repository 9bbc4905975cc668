//! Input rules for accounts: email normalisation and the password policy.

use glimvid_domain::DomainError;

pub const MIN_PASSWORD_CHARS: usize = 10;
pub const MAX_PASSWORD_CHARS: usize = 128;

/// Common passwords refused at registration (shipped with the project; one per line).
const COMMON_PASSWORDS: &str = include_str!("common_passwords.txt");

/// Normalises an email (surrounding space, case) and checks its shape.
pub fn normalize_email(raw: &str) -> Result<String, DomainError> {
    let e = raw.trim().to_lowercase();
    let bad = || DomainError::invalid("email", "email is not a valid address");
    if e.len() > 254 || e.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad());
    }
    let (local, domain) = e.rsplit_once('@').ok_or_else(bad)?;
    if local.is_empty() || local.len() > 64 || local.contains('@') {
        return Err(bad());
    }
    let labels: Vec<&str> = domain.split('.').collect();
    if labels.len() < 2
        || labels.iter().any(|l| l.is_empty() || l.starts_with('-') || l.ends_with('-'))
        || !domain.chars().all(|c| c.is_alphanumeric() || c == '.' || c == '-')
    {
        return Err(bad());
    }
    Ok(e)
}

/// Length 10–128 characters and not a well-known password.
pub fn check_password(password: &str) -> Result<(), DomainError> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_CHARS {
        return Err(DomainError::invalid(
            "password",
            format!("password must be at least {MIN_PASSWORD_CHARS} characters"),
        ));
    }
    if n > MAX_PASSWORD_CHARS {
        return Err(DomainError::invalid(
            "password",
            format!("password must be at most {MAX_PASSWORD_CHARS} characters"),
        ));
    }
    let lower = password.to_lowercase();
    if COMMON_PASSWORDS.lines().any(|l| l.trim() == lower) {
        return Err(DomainError::invalid("password", "this password is too common; choose another"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised() {
        assert_eq!(normalize_email("  Alice@Example.COM ").unwrap(), "alice@example.com");
        for bad in ["", "alice", "alice@", "@example.com", "a b@example.com", "alice@localhost", "alice@-x.com"] {
            assert!(normalize_email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn password_policy() {
        assert!(check_password("short").is_err());
        assert!(check_password(&"x".repeat(129)).is_err());
        assert!(check_password("password123").is_err(), "common password accepted");
        assert!(check_password("Qwertyuiop").is_err(), "common password accepted (case-insensitive)");
        assert!(check_password("violet-tram-harbour-42").is_ok());
    }
}
