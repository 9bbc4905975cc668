//! The client's address: the TCP peer, or — only when the peer is a trusted proxy — the
//! right-most address in `X-Forwarded-For` that is not itself a trusted proxy (everything left
//! of it could have been written by the client).

use std::net::IpAddr;

use glimvid_runtime::config::IpNet;

/// Resolves the client address from the peer and the `X-Forwarded-For` values (in order).
pub fn resolve(peer: Option<IpAddr>, forwarded_for: &[&str], trusted: &[IpNet]) -> Option<IpAddr> {
    let peer = peer?;
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|n| n.contains(ip));
    if !is_trusted(&peer) {
        return Some(peer);
    }
    let mut client = peer;
    let hops = forwarded_for.iter().flat_map(|v| v.split(',')).map(str::trim).filter(|h| !h.is_empty());
    for hop in hops.collect::<Vec<_>>().into_iter().rev() {
        let Some(ip) = parse_hop(hop) else {
            // Garbage where an address should be: believe nothing further left.
            break;
        };
        client = ip;
        if !is_trusted(&ip) {
            break;
        }
    }
    Some(client)
}

/// An address as proxies write it: `1.2.3.4`, `1.2.3.4:5678`, `2001:db8::1`, `[2001:db8::1]:443`.
fn parse_hop(h: &str) -> Option<IpAddr> {
    if let Ok(ip) = h.parse() {
        return Some(ip);
    }
    if let Some(rest) = h.strip_prefix('[') {
        return rest.split_once(']').and_then(|(a, _)| a.parse().ok());
    }
    h.rsplit_once(':').and_then(|(a, _)| a.parse::<std::net::Ipv4Addr>().ok()).map(IpAddr::V4)
}

/// Normalises IPv4-mapped IPv6 addresses so that one client has one key.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

/// The key a client's limits are counted under (rate limits, free trials per network): an IPv4
/// address as is (IPv4-mapped IPv6 too), an IPv6 address by its /64 — one subscriber's whole
/// allocation, so that rotating through its 2^64 addresses buys nothing.
pub fn network_key(ip: IpAddr) -> String {
    match canonical(ip) {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            let net = std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0);
            format!("{net}/64")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nets(s: &[&str]) -> Vec<IpNet> {
        s.iter().map(|n| n.parse().unwrap()).collect()
    }

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let trusted = nets(&["10.0.0.0/8"]);
        // An untrusted peer's header is ignored: it could say anything.
        assert_eq!(resolve(ip("203.0.113.9"), &["1.1.1.1"], &trusted), ip("203.0.113.9"));
        // Through our proxy: the right-most untrusted hop.
        assert_eq!(resolve(ip("10.0.0.2"), &["198.51.100.7"], &trusted), ip("198.51.100.7"));
        // A client that forges a left part cannot choose its address.
        assert_eq!(resolve(ip("10.0.0.2"), &["1.2.3.4, 198.51.100.7"], &trusted), ip("198.51.100.7"));
        // Two trusted proxies in a row, several headers, ports and brackets.
        assert_eq!(resolve(ip("10.0.0.2"), &["1.2.3.4", "198.51.100.7:5555, 10.0.0.9"], &trusted), ip("198.51.100.7"));
        assert_eq!(resolve(ip("10.0.0.2"), &["[2001:db8::7]:443"], &trusted), ip("2001:db8::7"));
        // No header, or only trusted hops: the left-most trusted one.
        assert_eq!(resolve(ip("10.0.0.2"), &[], &trusted), ip("10.0.0.2"));
        assert_eq!(resolve(ip("10.0.0.2"), &["10.0.0.3"], &trusted), ip("10.0.0.3"));
        // Garbage stops the walk at the last good hop.
        assert_eq!(resolve(ip("10.0.0.2"), &["1.2.3.4, nonsense, 10.0.0.5"], &trusted), ip("10.0.0.5"));
        // Nothing trusted: the peer, whatever the header says.
        assert_eq!(resolve(ip("10.0.0.2"), &["198.51.100.7"], &[]), ip("10.0.0.2"));
        assert_eq!(canonical("::ffff:1.2.3.4".parse().unwrap()), "1.2.3.4".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn ipv6_clients_share_a_key_per_64() {
        let key = |s: &str| network_key(s.parse().unwrap());
        assert_eq!(key("2001:db8:1:2::1"), "2001:db8:1:2::/64");
        assert_eq!(key("2001:db8:1:2:ffff:eeee:dddd:cccc"), "2001:db8:1:2::/64");
        assert_ne!(key("2001:db8:1:3::1"), key("2001:db8:1:2::1"));
        // IPv4, bare or mapped, is one address per key.
        assert_eq!(key("198.51.100.7"), "198.51.100.7");
        assert_eq!(key("::ffff:198.51.100.7"), "198.51.100.7");
        assert_ne!(key("198.51.100.7"), key("198.51.100.8"));
    }
}
