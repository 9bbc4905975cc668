//! Where webhooks may point: public addresses only, so that a partner cannot make the gateway
//! probe the network it runs in (cloud metadata, databases, brokers, admin consoles).
//!
//! The rule is applied twice: at registration (a literal address directly, a host name after
//! resolving it) and at every send, inside the HTTP client's resolver ([`PolicyResolver`]), so
//! that a name which resolved to a public address at registration and to a private one later
//! (DNS rebinding) is refused at the moment of connecting: the client connects only to the
//! addresses the policy let through. `GLIMVID_WEBHOOK_ALLOWED_NETWORKS` lists exceptions
//! (a developer's or a test's `127.0.0.0/8`).

use std::{
    net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr},
    sync::Arc,
    time::Duration,
};

use glimvid_domain::DomainError;
use glimvid_runtime::config::IpNet;

/// Host names of cloud metadata services, refused whatever they resolve to.
const METADATA_NAMES: &[&str] = &["metadata.google.internal", "metadata.goog", "metadata"];

/// Why an address is not a public one (`None`: it is).
pub fn non_public(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => v4_class(v4),
        IpAddr::V6(v6) => v6_class(v6),
    }
}

fn in_v4(ip: Ipv4Addr, net: [u8; 4], prefix: u32) -> bool {
    let mask = if prefix == 0 { 0 } else { u32::MAX << (32 - prefix) };
    u32::from(ip) & mask == u32::from(Ipv4Addr::from(net)) & mask
}

fn in_v6(ip: Ipv6Addr, net: Ipv6Addr, prefix: u32) -> bool {
    let mask = if prefix == 0 { 0 } else { u128::MAX << (128 - prefix) };
    u128::from(ip) & mask == u128::from(net) & mask
}

fn v4_class(ip: Ipv4Addr) -> Option<&'static str> {
    const METADATA: [Ipv4Addr; 2] = [Ipv4Addr::new(169, 254, 169, 254), Ipv4Addr::new(100, 100, 100, 200)];
    if METADATA.contains(&ip) {
        return Some("cloud metadata");
    }
    if ip == Ipv4Addr::BROADCAST {
        return Some("broadcast");
    }
    let table: &[([u8; 4], u32, &str)] = &[
        ([0, 0, 0, 0], 8, "unspecified"),
        ([10, 0, 0, 0], 8, "private"),
        ([100, 64, 0, 0], 10, "shared (CGNAT)"),
        ([127, 0, 0, 0], 8, "loopback"),
        ([169, 254, 0, 0], 16, "link-local"),
        ([172, 16, 0, 0], 12, "private"),
        ([192, 0, 0, 0], 24, "reserved"),
        ([192, 0, 2, 0], 24, "documentation"),
        ([192, 88, 99, 0], 24, "reserved"),
        ([192, 168, 0, 0], 16, "private"),
        ([198, 18, 0, 0], 15, "benchmarking"),
        ([198, 51, 100, 0], 24, "documentation"),
        ([203, 0, 113, 0], 24, "documentation"),
        ([224, 0, 0, 0], 4, "multicast"),
        ([240, 0, 0, 0], 4, "reserved"),
    ];
    table.iter().find(|(net, prefix, _)| in_v4(ip, *net, *prefix)).map(|(_, _, why)| *why)
}

fn v6_class(ip: Ipv6Addr) -> Option<&'static str> {
    let seg = ip.segments();
    let embedded = |v4: Ipv4Addr, form: &'static str| -> Option<&'static str> {
        // The form is refused when the address it carries is: `::ffff:10.0.0.1` is 10.0.0.1.
        v4_class(v4).map(|_| form)
    };
    let low32 = Ipv4Addr::from((u128::from(ip) & 0xffff_ffff) as u32);
    if ip == Ipv6Addr::new(0xfd00, 0x0ec2, 0, 0, 0, 0, 0, 0x0254) {
        return Some("cloud metadata");
    }
    if ip.is_unspecified() {
        return Some("unspecified");
    }
    if ip.is_loopback() {
        return Some("loopback");
    }
    if let Some(v4) = ip.to_ipv4_mapped() {
        return embedded(v4, "IPv4-mapped non-public");
    }
    if in_v6(ip, Ipv6Addr::UNSPECIFIED, 96) {
        // IPv4-compatible (`::a.b.c.d`), deprecated: nothing public lives there.
        return Some("IPv4-compatible");
    }
    if in_v6(ip, Ipv6Addr::new(0x64, 0xff9b, 0, 0, 0, 0, 0, 0), 96) {
        return embedded(low32, "NAT64 non-public");
    }
    if in_v6(ip, Ipv6Addr::new(0x64, 0xff9b, 1, 0, 0, 0, 0, 0), 48) {
        return Some("local-use NAT64");
    }
    if in_v6(ip, Ipv6Addr::new(0x2002, 0, 0, 0, 0, 0, 0, 0), 16) {
        let v4 = Ipv4Addr::from(((seg[1] as u32) << 16) | seg[2] as u32);
        return embedded(v4, "6to4 non-public");
    }
    let table: &[(Ipv6Addr, u32, &str)] = &[
        // Teredo (2001::/32) carries a client address in the clear and a relay's obfuscated;
        // the whole IETF protocol block it sits in (2001::/23) is refused.
        (Ipv6Addr::new(0x2001, 0, 0, 0, 0, 0, 0, 0), 23, "reserved (Teredo / IETF protocol)"),
        (Ipv6Addr::new(0x2001, 0x0db8, 0, 0, 0, 0, 0, 0), 32, "documentation"),
        (Ipv6Addr::new(0x3fff, 0, 0, 0, 0, 0, 0, 0), 20, "documentation"),
        (Ipv6Addr::new(0x0100, 0, 0, 0, 0, 0, 0, 0), 64, "reserved (discard)"),
        (Ipv6Addr::new(0xfc00, 0, 0, 0, 0, 0, 0, 0), 7, "private"),
        (Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0), 10, "link-local"),
        (Ipv6Addr::new(0xfec0, 0, 0, 0, 0, 0, 0, 0), 10, "private (site-local)"),
        (Ipv6Addr::new(0xff00, 0, 0, 0, 0, 0, 0, 0), 8, "multicast"),
    ];
    if let Some((_, _, why)) = table.iter().find(|(net, prefix, _)| in_v6(ip, *net, *prefix)) {
        return Some(why);
    }
    // Only 2000::/3 is global unicast; the rest is unassigned or special.
    if !in_v6(ip, Ipv6Addr::new(0x2000, 0, 0, 0, 0, 0, 0, 0), 3) {
        return Some("reserved");
    }
    None
}

/// An address the policy refuses, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub ip: IpAddr,
    pub why: &'static str,
}

/// The rule with its configured exceptions.
#[derive(Debug, Clone, Default)]
pub struct TargetPolicy {
    allowed: Arc<[IpNet]>,
}

impl TargetPolicy {
    pub fn new(allowed: &[IpNet]) -> Self {
        Self { allowed: allowed.into() }
    }

    /// Whether the gateway may connect to `ip`.
    pub fn check(&self, ip: IpAddr) -> Result<(), Refused> {
        if self.allowed.iter().any(|n| n.contains(&ip)) {
            return Ok(());
        }
        match non_public(ip) {
            Some(why) => Err(Refused { ip, why }),
            None => Ok(()),
        }
    }

    /// Whether `host` (a name, lower case) is one refused by name.
    fn refused_name(host: &str) -> bool {
        let host = host.trim_end_matches('.');
        METADATA_NAMES.contains(&host)
    }

    /// The registration check of a parsed http(s) URL: a literal address directly, a name by
    /// resolving it (within `timeout`) and checking every address it has.
    pub async fn check_url(&self, url: &reqwest::Url, timeout: Duration) -> Result<(), DomainError> {
        let bad = |m: String| DomainError::invalid("url", m);
        let refused = |r: Refused| {
            bad(format!(
                "the webhook URL resolves to a {} address ({}); only public addresses are allowed",
                r.why, r.ip
            ))
        };
        let host = url.host_str().unwrap_or_default();
        let literal = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
        if let Ok(ip) = literal.parse::<IpAddr>() {
            return self.check(ip).map_err(refused);
        }
        match host {
            "" => Err(bad("the URL has no host".into())),
            name => {
                if Self::refused_name(name) {
                    return Err(bad(format!(
                        "the webhook URL names a cloud metadata service ({name}); only public addresses are allowed"
                    )));
                }
                let port = url.port_or_known_default().unwrap_or(443);
                let addrs = resolve(name, port, timeout)
                    .await
                    .map_err(|_| bad(format!("the webhook URL's host `{name}` could not be resolved")))?;
                if addrs.is_empty() {
                    return Err(bad(format!("the webhook URL's host `{name}` has no address")));
                }
                for a in addrs {
                    self.check(a.ip()).map_err(refused)?;
                }
                Ok(())
            }
        }
    }
}

async fn resolve(name: &str, port: u16, timeout: Duration) -> std::io::Result<Vec<SocketAddr>> {
    match tokio::time::timeout(timeout, tokio::net::lookup_host((name, port))).await {
        Ok(r) => Ok(r?.collect()),
        Err(_) => Err(std::io::Error::new(std::io::ErrorKind::TimedOut, "DNS lookup timed out")),
    }
}

/// The error the resolver gives for a refused target. Its text never reaches the partner.
#[derive(Debug, thiserror::Error)]
#[error("the webhook target is not a public address")]
pub struct NotPublic;

/// The delivery client's resolver: resolves, then lets the connection go only when every
/// address is allowed (one private address among public ones refuses the name, so a rebinding
/// server cannot slip one in).
#[derive(Debug, Clone)]
pub struct PolicyResolver {
    pub policy: TargetPolicy,
    pub timeout: Duration,
}

impl reqwest::dns::Resolve for PolicyResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let this = self.clone();
        Box::pin(async move {
            let host = name.as_str().to_ascii_lowercase();
            if TargetPolicy::refused_name(&host) {
                return Err(Box::new(NotPublic) as Box<dyn std::error::Error + Send + Sync>);
            }
            let addrs = resolve(&host, 0, this.timeout).await?;
            if addrs.is_empty() || addrs.iter().any(|a| this.policy.check(a.ip()).is_err()) {
                return Err(Box::new(NotPublic) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn why(s: &str) -> Option<&'static str> {
        non_public(s.parse().unwrap_or_else(|_| panic!("{s} is not an address")))
    }

    #[test]
    fn non_public_addresses_are_refused() {
        let refused = [
            // IPv4
            ("0.0.0.0", "unspecified"),
            ("0.1.2.3", "unspecified"),
            ("10.0.0.1", "private"),
            ("10.255.255.255", "private"),
            ("100.64.0.1", "shared (CGNAT)"),
            ("100.127.255.254", "shared (CGNAT)"),
            ("100.100.100.200", "cloud metadata"),
            ("127.0.0.1", "loopback"),
            ("127.255.255.254", "loopback"),
            ("169.254.169.254", "cloud metadata"),
            ("169.254.0.1", "link-local"),
            ("172.16.0.1", "private"),
            ("172.31.255.255", "private"),
            ("192.0.0.8", "reserved"),
            ("192.0.2.1", "documentation"),
            ("192.88.99.1", "reserved"),
            ("192.168.1.1", "private"),
            ("198.18.0.1", "benchmarking"),
            ("198.19.255.255", "benchmarking"),
            ("198.51.100.7", "documentation"),
            ("203.0.113.9", "documentation"),
            ("224.0.0.1", "multicast"),
            ("239.255.255.250", "multicast"),
            ("240.0.0.1", "reserved"),
            ("255.255.255.254", "reserved"),
            ("255.255.255.255", "broadcast"),
            // IPv6
            ("::", "unspecified"),
            ("::1", "loopback"),
            ("fc00::1", "private"),
            ("fd12:3456::1", "private"),
            ("fd00:ec2::254", "cloud metadata"),
            ("fe80::1", "link-local"),
            ("febf::1", "link-local"),
            ("fec0::1", "private (site-local)"),
            ("ff02::1", "multicast"),
            ("ff0e::1", "multicast"),
            ("2001:db8::1", "documentation"),
            ("3fff::1", "documentation"),
            ("100::1", "reserved (discard)"),
            ("2001::1", "reserved (Teredo / IETF protocol)"),
            ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "reserved (Teredo / IETF protocol)"),
            ("2001:2::1", "reserved (Teredo / IETF protocol)"),
            ("4000::1", "reserved"),
            ("::2", "IPv4-compatible"),
            // IPv4 embedded in IPv6
            ("::ffff:127.0.0.1", "IPv4-mapped non-public"),
            ("::ffff:10.0.0.1", "IPv4-mapped non-public"),
            ("::ffff:169.254.169.254", "IPv4-mapped non-public"),
            ("::ffff:0.0.0.0", "IPv4-mapped non-public"),
            ("::127.0.0.1", "IPv4-compatible"),
            ("::8.8.8.8", "IPv4-compatible"),
            ("64:ff9b::a00:1", "NAT64 non-public"),
            ("64:ff9b::127.0.0.1", "NAT64 non-public"),
            ("64:ff9b::169.254.169.254", "NAT64 non-public"),
            ("64:ff9b:1::8.8.8.8", "local-use NAT64"),
            ("2002:7f00:1::1", "6to4 non-public"),
            ("2002:a00:1::", "6to4 non-public"),
            ("2002:a9fe:a9fe::1", "6to4 non-public"),
        ];
        for (ip, expected) in refused {
            assert_eq!(why(ip), Some(expected), "{ip}");
        }
    }

    #[test]
    fn public_addresses_pass() {
        for ip in [
            "1.1.1.1",
            "8.8.8.8",
            "9.255.255.255",
            "11.0.0.1",
            "100.63.255.255",
            "100.128.0.1",
            "126.255.255.255",
            "128.0.0.1",
            "169.253.255.255",
            "172.15.255.255",
            "172.32.0.1",
            "192.0.1.1",
            "192.167.255.255",
            "192.169.0.1",
            "198.17.255.255",
            "198.20.0.1",
            "223.255.255.255",
            "2606:4700:4700::1111",
            "2001:4860:4860::8888",
            "2a00:1450:4001::1",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:808:808::1",
        ] {
            assert_eq!(why(ip), None, "{ip}");
        }
    }

    #[test]
    fn the_allow_list_makes_exceptions() {
        let policy = TargetPolicy::new(&["127.0.0.0/8".parse().unwrap(), "fd00::/8".parse().unwrap()]);
        for ok in ["127.0.0.1", "127.9.9.9", "::ffff:127.0.0.1", "fd00::1", "8.8.8.8"] {
            assert_eq!(policy.check(ok.parse().unwrap()), Ok(()), "{ok}");
        }
        for no in ["10.0.0.1", "::1", "169.254.169.254", "fc00::1"] {
            assert!(policy.check(no.parse().unwrap()).is_err(), "{no}");
        }
        assert!(TargetPolicy::default().check("127.0.0.1".parse().unwrap()).is_err());
    }

    async fn check(policy: &TargetPolicy, url: &str) -> Result<(), String> {
        let u = reqwest::Url::parse(url).unwrap();
        policy.check_url(&u, Duration::from_secs(3)).await.map_err(|e| e.message)
    }

    #[tokio::test]
    async fn urls_are_checked_by_their_addresses() {
        let p = TargetPolicy::default();
        let e = check(&p, "http://10.0.0.1/").await.unwrap_err();
        assert_eq!(e, "the webhook URL resolves to a private address (10.0.0.1); only public addresses are allowed");
        // Every spelling of an address the URL parser accepts ends up as the same address.
        for url in [
            "http://169.254.169.254/latest/meta-data",
            "http://[::1]:15672/",
            "http://[::ffff:127.0.0.1]/",
            "http://[64:ff9b::a00:1]/",
            "http://0.0.0.0/",
            "http://0x7f000001/",
            "http://2130706433/",
            "http://127.1/",
            "http://017700000001/",
            "http://localhost:5432/",
            "http://metadata.google.internal/computeMetadata/v1/",
            "http://metadata/",
        ] {
            let e = check(&p, url).await.unwrap_err();
            assert!(e.contains("only public addresses are allowed"), "{url}: {e}");
        }
        assert!(check(&p, "http://LOCALHOST./").await.is_err());
        assert!(check(&p, "http://no-such-host.invalid/").await.unwrap_err().contains("could not be resolved"));
        assert_eq!(check(&p, "http://8.8.8.8:8443/x").await, Ok(()));
        assert_eq!(check(&p, "https://[2606:4700:4700::1111]/").await, Ok(()));
        let dev = TargetPolicy::new(&["127.0.0.0/8".parse().unwrap()]);
        assert_eq!(check(&dev, "http://127.0.0.1:9000/").await, Ok(()));
    }

    #[tokio::test]
    async fn the_resolver_refuses_non_public_names() {
        use reqwest::dns::Resolve;
        let r = PolicyResolver { policy: TargetPolicy::default(), timeout: Duration::from_secs(3) };
        for name in ["localhost", "metadata.google.internal"] {
            assert!(r.resolve(name.parse().unwrap()).await.is_err(), "{name}");
        }
        let dev = PolicyResolver {
            policy: TargetPolicy::new(&["127.0.0.0/8".parse().unwrap(), "::1".parse().unwrap()]),
            timeout: Duration::from_secs(3),
        };
        let addrs: Vec<_> = dev.resolve("localhost".parse().unwrap()).await.expect("allowed").collect();
        assert!(!addrs.is_empty() && addrs.iter().all(|a| a.ip().is_loopback()), "{addrs:?}");
    }
}
