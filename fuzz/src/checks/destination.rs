//! Destinations: message URLs, SIP URIs and numbers, and the forward policy for URLs.
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::OnceLock;

use ipnet::IpNet;
use switchboard::outbox::guard::ForwardPolicy;
use switchboard::routing::{CallDestination, MessageDestination};
use url::{Host, Url};

/// Input: a destination as an admin writes it (lossy UTF-8), read three ways. As a message
/// destination: an accepted one is http(s) with a host and no user info, and reads back the same
/// from what the store keeps (`as_str()`). As any URL: `ForwardPolicy::check_url` under a strict
/// and a permissive policy accepts only https (http for a configured insecure host), no user info,
/// and an IP-literal host that is public or inside the allowed ranges. As a call destination: an
/// accepted one is a number or a `sip:`/`sips:` URI and reads back the same. Returns whether the
/// message destination was accepted.
pub fn destination_url(data: &[u8]) -> bool {
    let text = String::from_utf8_lossy(data);
    let accepted = match MessageDestination::parse(&text) {
        Ok(dest) => {
            check_message_destination(&dest);
            true
        }
        Err(e) => {
            assert!(!e.to_string().is_empty(), "a refusal without a reason");
            false
        }
    };
    if let Ok(url) = Url::parse(text.trim()) {
        check_forward(&url);
    }
    if let Ok(call) = CallDestination::parse(&text) {
        check_call_destination(&call);
    }
    accepted
}

pub(super) fn check_message_destination(dest: &MessageDestination) {
    let url = dest.url();
    assert!(matches!(url.scheme(), "https" | "http"), "accepted scheme {:?}", url.scheme());
    assert!(url.host_str().is_some_and(|h| !h.is_empty()), "accepted {url} without a host");
    assert!(url.username().is_empty() && url.password().is_none(), "accepted user info in {url}");
    // The store keeps `as_str()` and parses it again when it loads the rule.
    let stored = MessageDestination::parse(dest.as_str());
    assert_eq!(stored.as_ref(), Ok(dest), "stored message destination {dest} reads back differently");
    check_forward(url);
}

pub(super) fn check_call_destination(call: &CallDestination) {
    match call {
        CallDestination::Number(n) => assert!(n.as_str().starts_with('+'), "{n}"),
        CallDestination::Sip(uri) => {
            assert!(uri.starts_with("sip:") || uri.starts_with("sips:"), "scheme of {uri:?}");
            assert!(uri.len() <= 256, "a SIP URI of {} bytes", uri.len());
            assert!(!uri.chars().any(|c| c.is_whitespace() || c.is_control()), "{uri:?}");
            assert_eq!(uri.matches('@').count(), 1, "{uri:?}");
        }
    }
    let stored = CallDestination::parse(call.as_str());
    assert_eq!(stored.as_ref(), Ok(call), "stored call destination {call} reads back differently");
}

/// A forward policy as configured, beside the policy built from it (whose fields are private).
struct Configured {
    insecure_hosts: &'static [&'static str],
    allowed: Vec<IpNet>,
    policy: ForwardPolicy,
}

/// The default (strict) policy, and a development one with insecure hosts (a name, IP literals,
/// one of them outside the allowed ranges) and private ranges allowed.
fn configured() -> &'static [Configured] {
    static POLICIES: OnceLock<Vec<Configured>> = OnceLock::new();
    POLICIES.get_or_init(|| {
        let build = |insecure_hosts: &'static [&'static str], allowed: &[&str]| {
            let allowed = nets(allowed);
            let hosts = insecure_hosts.iter().map(|h| h.to_string()).collect();
            Configured { insecure_hosts, policy: ForwardPolicy::new(hosts, allowed.clone()), allowed }
        };
        vec![
            build(&[], &[]),
            build(
                &["localhost", "[::1]", " Lab.Example ", "10.1.2.3", "169.254.169.254", "[::ffff:10.0.0.1]"],
                &["127.0.0.0/8", "10.0.0.0/8", "fd00::/8", "::1/128"],
            ),
        ]
    })
}

/// The forward policy's verdicts on `url`: whatever a policy accepts meets its rules.
pub(super) fn check_forward(url: &Url) {
    for c in configured() {
        if c.policy.check_url(url).is_ok() {
            check_acceptable(c, url);
        }
    }
}

fn check_acceptable(c: &Configured, url: &Url) {
    assert!(url.username().is_empty() && url.password().is_none(), "accepted user info in {url}");
    let host = url.host().unwrap_or_else(|| panic!("accepted {url} without a host"));
    let ip = match host {
        Host::Domain(_) => None,
        Host::Ipv4(v4) => Some(IpAddr::V4(v4)),
        Host::Ipv6(v6) => Some(IpAddr::V6(v6)),
    };
    match url.scheme() {
        "https" => {}
        "http" => {
            let listed = |h: &&str| {
                let h = h.trim().trim_matches(['[', ']']);
                match (ip, h.parse::<IpAddr>()) {
                    (Some(ip), Ok(listed)) => ip == listed,
                    (None, _) => url.host_str().is_some_and(|name| name.eq_ignore_ascii_case(h)),
                    (Some(_), Err(_)) => false,
                }
            };
            assert!(c.insecure_hosts.iter().any(listed), "accepted plain http to {url}, not an insecure host");
        }
        other => panic!("accepted scheme {other:?} in {url}"),
    }
    if let Some(ip) = ip {
        let allowed = c.allowed.iter().any(|net| net.contains(&ip));
        assert!(public(ip) || allowed, "accepted {url}: {ip} is neither public nor in {:?}", c.allowed);
    }
}

/// Not globally reachable, per the IANA special-purpose address registries, plus multicast:
/// written out independently of `guard::is_public`.
const NOT_PUBLIC: &[&str] = &[
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.0.0.0/24",
    "192.0.2.0/24",
    "192.168.0.0/16",
    "198.18.0.0/15",
    "198.51.100.0/24",
    "203.0.113.0/24",
    "224.0.0.0/4",
    "240.0.0.0/4",
    "::/128",
    "::1/128",
    "64:ff9b:1::/48",
    "100::/64",
    "2001::/23",
    "2001:db8::/32",
    "3fff::/20",
    "5f00::/16",
    "fc00::/7",
    "fe80::/10",
    "ff00::/8",
];

/// More specific registry entries inside 2001::/23 that are globally reachable (or, Teredo, not
/// judged by the registry).
const PUBLIC_INSIDE_2001: &[&str] =
    &["2001::/32", "2001:1::1/128", "2001:1::2/128", "2001:1::3/128", "2001:3::/32", "2001:4:112::/48", "2001:20::/27"];

/// Public: not in the registry's list above. An IPv4 address inside IPv6 (IPv4-mapped
/// `::ffff:0:0/96`, NAT64 `64:ff9b::/96`) is judged by the IPv4 address it reaches.
fn public(ip: IpAddr) -> bool {
    static TABLES: OnceLock<(Vec<IpNet>, Vec<IpNet>)> = OnceLock::new();
    let (not_public, exceptions) = TABLES.get_or_init(|| (nets(NOT_PUBLIC), nets(PUBLIC_INSIDE_2001)));
    if let IpAddr::V6(v6) = ip {
        if let Some(v4) = embedded_v4(v6) {
            return public(IpAddr::V4(v4));
        }
    }
    !not_public.iter().any(|n| n.contains(&ip)) || exceptions.iter().any(|n| n.contains(&ip))
}

fn embedded_v4(v6: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = v6.segments();
    let tail = Ipv4Addr::from(((u32::from(s[6])) << 16) | u32::from(s[7]));
    match s[..6] {
        [0, 0, 0, 0, 0, 0xffff] | [0x64, 0xff9b, 0, 0, 0, 0] => Some(tail),
        _ => None,
    }
}

fn nets(list: &[&str]) -> Vec<IpNet> {
    list.iter().map(|n| n.parse().unwrap_or_else(|e| panic!("{n}: {e}"))).collect()
}
