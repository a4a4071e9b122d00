//! Where a message forward may go, on a tenant's behalf: never to this machine, its private
//! network or a cloud metadata service. Checked when a destination is set (URL and IP-literal
//! hosts) and on every connection (each address a name resolves to, so a name that later
//! resolves elsewhere, DNS rebinding, cannot slip through). Exceptions are explicit config:
//! `forwards.insecure_hosts` may be reached over plain http, `forwards.allowed_cidrs` may be
//! reached although private (local development, a receiver inside the operator's network).
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;

use ipnet::IpNet;
use url::{Host, Url};

/// Why a forward target is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RefusedTarget {
    #[error("must be an https URL (plain http only for hosts in forwards.insecure_hosts)")]
    Insecure,
    #[error("must not carry a user name or password")]
    UserInfo,
    #[error("must name a host")]
    NoHost,
    #[error(
        "{0} is not a public address (loopback, private, link-local or reserved); forwards.allowed_cidrs can allow it"
    )]
    Address(IpAddr),
    #[error("{0} resolves to no public address")]
    NoPublicAddress(String),
}

/// The rules a forward target must meet (from `[forwards]` in the config).
#[derive(Debug, Clone, Default)]
pub struct ForwardPolicy {
    insecure_hosts: Vec<String>,
    allowed: Vec<IpNet>,
}

impl ForwardPolicy {
    pub fn new(insecure_hosts: Vec<String>, allowed: Vec<IpNet>) -> Self {
        let insecure_hosts = insecure_hosts.into_iter().map(|h| h.trim().to_ascii_lowercase()).collect();
        Self { insecure_hosts, allowed }
    }

    /// The URL's scheme, user info and host (when the host is an IP literal, its address too; a
    /// name is checked at connection time, see [`GuardedResolver`]).
    pub fn check_url(&self, url: &Url) -> Result<(), RefusedTarget> {
        if !url.username().is_empty() || url.password().is_some() {
            return Err(RefusedTarget::UserInfo);
        }
        let host = url.host().ok_or(RefusedTarget::NoHost)?;
        let name = match &host {
            Host::Domain(d) => d.to_ascii_lowercase(),
            Host::Ipv4(ip) => ip.to_string(),
            Host::Ipv6(ip) => ip.to_string(),
        };
        match url.scheme() {
            "https" => {}
            "http" if self.insecure_hosts.iter().any(|h| h.trim_matches(['[', ']']) == name) => {}
            _ => return Err(RefusedTarget::Insecure),
        }
        match host {
            Host::Domain(_) => Ok(()),
            Host::Ipv4(ip) => self.check_ip(IpAddr::V4(ip)),
            Host::Ipv6(ip) => self.check_ip(IpAddr::V6(ip)),
        }
    }

    /// A public address, or one inside `forwards.allowed_cidrs`.
    pub fn check_ip(&self, ip: IpAddr) -> Result<(), RefusedTarget> {
        if is_public(ip) || self.allowed.iter().any(|net| net.contains(&ip)) {
            Ok(())
        } else {
            Err(RefusedTarget::Address(ip))
        }
    }
}

/// Not loopback, private, link-local, shared (CGNAT), unique-local, multicast, unspecified,
/// broadcast, documentation or otherwise reserved: an address on the public internet.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_v4(v4);
            }
            let s = v6.segments();
            let reserved = v6.is_unspecified()
                || v6.is_loopback()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00 // unique local fc00::/7
                || (s[0] & 0xffc0) == 0xfe80 // link-local fe80::/10
                || (s[0] & 0xffc0) == 0xfec0 // site-local (deprecated) fec0::/10
                || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
                || (s[0] == 0x3fff && s[1] < 0x1000) // documentation 3fff::/20
                || (s[0] == 0x0064 && s[1] == 0xff9b) // NAT64: an IPv4 address inside
                || (s[0..6] == [0, 0, 0, 0, 0, 0]) // IPv4-compatible (deprecated)
                || s[0..4] == [0x0100, 0, 0, 0] // discard-only 100::/64
                || (s[0] == 0x2001 && s[1] < 0x0200) // IETF protocol assignments 2001::/23
                || s[0] == 0x5f00; // SRv6 segment identifiers 5f00::/16
            !reserved
        }
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    let reserved = ip.is_unspecified()
        || a == 0
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_multicast()
        || ip.is_broadcast()
        || a >= 240 // reserved
        || (a == 100 && (b & 0xc0) == 64) // shared address space (CGNAT) 100.64.0.0/10
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 192 && b == 0 && c == 2) // documentation
        || (a == 198 && b == 51 && c == 100)
        || (a == 203 && b == 0 && c == 113)
        || (a == 198 && (b & 0xfe) == 18); // benchmarking 198.18.0.0/15
    !reserved
}

/// How names become addresses: the system's resolver, or a test's map to loopback.
pub trait Lookup: Send + Sync {
    fn lookup(&self, host: &str) -> Pin<Box<dyn Future<Output = std::io::Result<Vec<IpAddr>>> + Send>>;
}

/// The system's resolver (getaddrinfo through tokio).
pub struct SystemLookup;

impl Lookup for SystemLookup {
    fn lookup(&self, host: &str) -> Pin<Box<dyn Future<Output = std::io::Result<Vec<IpAddr>>> + Send>> {
        let host = host.to_owned();
        Box::pin(async move { Ok(tokio::net::lookup_host((host.as_str(), 0)).await?.map(|a| a.ip()).collect()) })
    }
}

/// reqwest's resolver for forwards: resolves, then keeps only the addresses the policy allows.
/// A name with none left fails the connection before any is made.
pub struct GuardedResolver {
    policy: Arc<ForwardPolicy>,
    lookup: Arc<dyn Lookup>,
}

impl GuardedResolver {
    pub fn new(policy: Arc<ForwardPolicy>, lookup: Arc<dyn Lookup>) -> Self {
        Self { policy, lookup }
    }
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let (policy, lookup, host) = (self.policy.clone(), self.lookup.clone(), name.as_str().to_owned());
        Box::pin(async move {
            let found = lookup.lookup(&host).await?;
            let allowed: Vec<SocketAddr> =
                found.into_iter().filter(|ip| policy.check_ip(*ip).is_ok()).map(|ip| SocketAddr::new(ip, 0)).collect();
            if allowed.is_empty() {
                return Err(Box::new(RefusedTarget::NoPublicAddress(host)) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(allowed.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// A name-to-address map for tests (names that are not in it do not resolve).
#[derive(Default)]
pub struct StaticLookup(pub std::collections::HashMap<String, Vec<IpAddr>>);

impl Lookup for StaticLookup {
    fn lookup(&self, host: &str) -> Pin<Box<dyn Future<Output = std::io::Result<Vec<IpAddr>>> + Send>> {
        let found = self.0.get(host).cloned();
        Box::pin(async move {
            found.ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, "no such name in the test map"))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn private_and_reserved_addresses_are_refused_unless_allowed() {
        let strict = ForwardPolicy::default();
        for target in [
            "https://127.0.0.1/x",
            "https://10.0.0.1/",
            "https://172.16.5.4/",
            "https://192.168.1.1/",
            "https://169.254.169.254/latest/meta-data",
            "https://100.64.0.1/",
            "https://0.0.0.0/",
            "https://[::1]/",
            "https://[fd00::1]/",
            "https://[fe80::1]/",
            "https://[::ffff:127.0.0.1]/",
            "https://[::ffff:10.1.2.3]/",
            "https://224.0.0.1/",
            // 100::/64 found by the destination_url fuzz target; the rest of the IANA blocks that are
            // not globally reachable, as its model of a public address lists them.
            "https://[100::1]/",
            "https://[2001:2::1]/",
            "https://[3fff::1]/",
            "https://[5f00::1]/",
        ] {
            assert!(matches!(strict.check_url(&url(target)), Err(RefusedTarget::Address(_))), "{target}");
        }
        assert_eq!(strict.check_url(&url("https://8.8.8.8/hook")), Ok(()));
        assert_eq!(strict.check_url(&url("https://[2606:4700::1111]/hook")), Ok(()));
        assert_eq!(strict.check_url(&url("https://[2001:4860:4860::8888]/hook")), Ok(()), "outside 2001::/23");
        assert_eq!(strict.check_url(&url("https://crm.example.com/hook")), Ok(()));
        let lab = ForwardPolicy::new(vec![], vec!["10.0.0.0/8".parse().unwrap()]);
        assert_eq!(lab.check_url(&url("https://10.0.0.1/")), Ok(()));
        assert!(lab.check_url(&url("https://192.168.1.1/")).is_err());
    }

    #[test]
    fn plain_http_and_user_info_are_refused() {
        let strict = ForwardPolicy::default();
        assert_eq!(strict.check_url(&url("http://crm.example.com/hook")), Err(RefusedTarget::Insecure));
        assert_eq!(strict.check_url(&url("https://user:pw@crm.example.com/")), Err(RefusedTarget::UserInfo));
        assert_eq!(strict.check_url(&url("ftp://crm.example.com/")), Err(RefusedTarget::Insecure));
        let dev = ForwardPolicy::new(vec!["localhost".into(), "[::1]".into()], vec!["127.0.0.0/8".parse().unwrap()]);
        assert_eq!(dev.check_url(&url("http://LOCALHOST:8081/hook")), Ok(()));
        assert!(dev.check_url(&url("http://[::1]:8081/hook")).is_err(), "::1 is insecure-allowed but not in the CIDRs");
        assert_eq!(dev.check_url(&url("http://other.example.com/")), Err(RefusedTarget::Insecure));
    }

    #[tokio::test]
    async fn a_name_that_resolves_only_to_private_addresses_is_refused() {
        use reqwest::dns::Resolve;
        let lookup = StaticLookup(
            [
                ("rebind.test".to_string(), vec!["127.0.0.1".parse().unwrap(), "169.254.169.254".parse().unwrap()]),
                ("mixed.test".to_string(), vec!["10.0.0.7".parse().unwrap(), "93.184.216.34".parse().unwrap()]),
            ]
            .into(),
        );
        let resolver = GuardedResolver::new(Arc::new(ForwardPolicy::default()), Arc::new(lookup));
        let refused = resolver.resolve("rebind.test".parse().unwrap()).await;
        assert!(refused.is_err());
        let kept: Vec<SocketAddr> = resolver.resolve("mixed.test".parse().unwrap()).await.unwrap().collect();
        assert_eq!(kept, vec!["93.184.216.34:0".parse().unwrap()], "only the public address is dialled");
    }
}
