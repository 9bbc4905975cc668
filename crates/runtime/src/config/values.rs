//! The value types of settings and the parsers that read them from text (an environment
//! variable, or a TOML value written as text), one small function per kind of value so that a
//! setting's line in `sections.rs` names how it is read.

use std::{fmt, path::PathBuf, str::FromStr, time::Duration};

use serde::Deserialize;

/// A secret that never prints (Debug and Display show `[redacted]`).
#[derive(Clone, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

// limits and accounts
/// A CIDR block (`10.0.0.0/8`, `::1/128`; a bare address means a single host).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpNet {
    pub addr: std::net::IpAddr,
    pub prefix: u8,
}

impl IpNet {
    pub fn contains(&self, ip: &std::net::IpAddr) -> bool {
        use std::net::IpAddr;
        // An IPv4 client seen through an IPv6 socket is `::ffff:a.b.c.d`.
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(*ip),
            v4 => *v4,
        };
        let mask = |bits: u32, prefix: u8| if prefix == 0 { 0 } else { u128::MAX << (bits - prefix as u32) };
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(a)) => {
                let m = mask(32, self.prefix) as u32;
                u32::from(net) & m == u32::from(a) & m
            }
            (IpAddr::V6(net), IpAddr::V6(a)) => {
                let m = mask(128, self.prefix);
                u128::from(net) & m == u128::from(a) & m
            }
            _ => false,
        }
    }
}

impl FromStr for IpNet {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (a, p) = s.trim().split_once('/').map(|(a, p)| (a, Some(p))).unwrap_or((s.trim(), None));
        let addr: std::net::IpAddr = a.parse().map_err(|_| format!("`{s}` is not an IP address or CIDR block"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match p {
            None => max,
            Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max).ok_or_else(|| format!("`{s}`: bad prefix length"))?,
        };
        Ok(Self { addr, prefix })
    }
}

/// At most `limit` requests per `window` (`10/1m`, `5/1h`, `30/60s`, `30/60` = seconds);
/// a limit of 0 turns the rule off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateRule {
    pub limit: u32,
    pub window: Duration,
}

impl FromStr for RateRule {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("`{s}` is not `count/window` (e.g. `10/1m`, `5/1h`, `30/60s`)");
        let (n, w) = s.trim().split_once('/').ok_or_else(bad)?;
        let limit = n.trim().parse().map_err(|_| bad())?;
        let w = w.trim();
        let (digits, unit) = w.split_at(w.find(|c: char| !c.is_ascii_digit()).unwrap_or(w.len()));
        let amount: u64 = if digits.is_empty() { 1 } else { digits.parse().map_err(|_| bad())? };
        let secs = match unit {
            "" | "s" => amount,
            "m" => amount * 60,
            "h" => amount * 3600,
            "d" => amount * 86400,
            _ => return Err(bad()),
        };
        if secs == 0 {
            return Err(bad());
        }
        Ok(Self { limit, window: Duration::from_secs(secs) })
    }
}

/// A web origin as browsers send it in `Origin`: `http` or `https`, a host, an optional port,
/// nothing else (no path, no trailing slash, no wildcard), lower-cased. Browsers compare origins
/// byte for byte, so a near miss here would silently never match.
fn parse_origin(o: &str) -> Result<String, String> {
    let lower = o.to_ascii_lowercase();
    let bad = |why: &str| Err(format!("`{o}` is not a web origin ({why}; e.g. `https://shop.example.com`)"));
    let Some((scheme, rest)) = lower.split_once("://") else {
        return bad("no scheme");
    };
    if scheme != "http" && scheme != "https" {
        return bad("the scheme must be http or https");
    }
    let (host, port) = if rest.starts_with('[') {
        let Some(end) = rest.find(']') else { return bad("an IPv6 host needs its closing `]`") };
        match &rest[end + 1..] {
            "" => (&rest[..=end], None),
            after => match after.strip_prefix(':') {
                Some(p) => (&rest[..=end], Some(p)),
                None => return bad("nothing may follow the host but a port"),
            },
        }
    } else {
        match rest.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (rest, None),
        }
    };
    let host_ok = !host.is_empty()
        && ((host.starts_with('[')
            && host[1..host.len() - 1].chars().all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.'))
            || host.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-'));
    if !host_ok {
        return bad("the host may hold letters, digits, dots and dashes only, and no path");
    }
    if let Some(p) = port
        && !p.parse::<u16>().is_ok_and(|n| n != 0)
    {
        return bad("the port must be 1-65535");
    }
    Ok(lower)
}

/// The parsers. Each returns the message of a `ConfigError::Invalid`, which adds the variable's
/// name. The text they get is trimmed and never empty (empty means unset).
pub(super) mod parse {
    use super::*;

    /// Any `FromStr` value, with its own error message.
    pub fn num<T: FromStr>(v: &str) -> Result<T, String>
    where
        T::Err: fmt::Display,
    {
        v.parse().map_err(|e: T::Err| e.to_string())
    }

    pub fn text(v: &str) -> Result<String, String> {
        Ok(v.to_owned())
    }

    pub fn some_text(v: &str) -> Result<Option<String>, String> {
        Ok(Some(v.to_owned()))
    }

    /// A base URL, without a trailing slash (paths are appended to it).
    pub fn base_url(v: &str) -> Result<String, String> {
        Ok(v.trim_end_matches('/').to_owned())
    }

    pub fn some_base_url(v: &str) -> Result<Option<String>, String> {
        base_url(v).map(Some)
    }

    pub fn secret(v: &str) -> Result<Option<Secret>, String> {
        Ok(Some(Secret::new(v)))
    }

    pub fn path(v: &str) -> Result<PathBuf, String> {
        Ok(PathBuf::from(v))
    }

    pub fn some_path(v: &str) -> Result<Option<PathBuf>, String> {
        Ok(Some(PathBuf::from(v)))
    }

    /// Whole seconds, clamped to `min..=max` (a zero period would be a busy loop).
    pub fn secs(min: u64, max: u64) -> impl Fn(&str) -> Result<Duration, String> {
        move |v| num::<u64>(v).map(|s| Duration::from_secs(s.clamp(min, max)))
    }

    pub fn millis(v: &str) -> Result<Duration, String> {
        num::<u64>(v).map(Duration::from_millis)
    }

    /// A count clamped to `min..=max`.
    pub fn count<T: FromStr + Ord + Copy>(min: T, max: T) -> impl Fn(&str) -> Result<T, String>
    where
        T::Err: fmt::Display,
    {
        move |v| num::<T>(v).map(|n| n.clamp(min, max))
    }

    /// Comma-separated CIDR blocks; empty items are skipped.
    pub fn nets(v: &str) -> Result<Vec<IpNet>, String> {
        v.split(',').filter(|p| !p.trim().is_empty()).map(num).collect()
    }

    /// Comma-separated web origins; empty items are skipped.
    pub fn origins(v: &str) -> Result<Vec<String>, String> {
        v.split(',').map(str::trim).filter(|o| !o.is_empty()).map(parse_origin).collect()
    }

    /// `json` or `text` logs, as "are they JSON".
    pub fn log_format(v: &str) -> Result<bool, String> {
        match v {
            "json" => Ok(true),
            "text" => Ok(false),
            other => Err(format!("`{other}` is not `json` or `text`")),
        }
    }

    /// The key that seals secrets at rest, checked now rather than at the first seal.
    pub fn sealing_key(v: &str) -> Result<Option<Secret>, String> {
        crate::seal::Sealer::from_base64(v).map_err(|e| e.to_string())?;
        Ok(Some(Secret::new(v)))
    }

    /// The internal service secret, checked now rather than at the first call.
    pub fn service_secret(v: &str) -> Result<Option<Secret>, String> {
        crate::service_token::ServiceKey::new(v).map_err(|e| e.to_string())?;
        Ok(Some(Secret::new(v)))
    }
}
