//! The `[forwards]` section: the exceptions to "a message forward goes to a public https URL".
use ipnet::IpNet;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub(super) struct RawForwards {
    insecure_hosts: Vec<String>,
    allowed_cidrs: Vec<String>,
    secret_grace_hours: u32,
}

#[derive(Debug, Clone, Default)]
pub struct ForwardSettings {
    /// Hosts a forward may reach over plain http (local development).
    pub insecure_hosts: Vec<String>,
    /// Private ranges a forward may reach (a receiver inside the operator's own network).
    pub allowed_cidrs: Vec<IpNet>,
    /// After a rotation, how long forwards are signed with the previous secret too.
    pub secret_grace_hours: u32,
}

impl RawForwards {
    pub(super) fn validate(self, bad: &mut impl FnMut(&str, String)) -> ForwardSettings {
        let mut insecure_hosts = Vec::new();
        for h in self.insecure_hosts.iter().map(|h| h.trim()).filter(|h| !h.is_empty()) {
            if h.contains(['/', ':', '@', ' ']) && !(h.starts_with('[') && h.ends_with(']')) {
                bad(
                    "forwards.insecure_hosts",
                    format!("{h:?} is not a host name or address (no scheme, port or path)"),
                );
            } else {
                insecure_hosts.push(h.to_ascii_lowercase());
            }
        }
        let mut allowed_cidrs = Vec::new();
        for c in self.allowed_cidrs.iter().map(|c| c.trim()).filter(|c| !c.is_empty()) {
            match c.parse::<IpNet>() {
                Ok(net) => allowed_cidrs.push(net),
                Err(_) => bad("forwards.allowed_cidrs", format!("{c:?} is not a CIDR range like 10.1.0.0/16")),
            }
        }
        if self.secret_grace_hours > 24 * 30 {
            bad("forwards.secret_grace_hours", "must be at most 720 (30 days)".into());
        }
        ForwardSettings { insecure_hosts, allowed_cidrs, secret_grace_hours: self.secret_grace_hours }
    }
}
