//! The `[limits]` section: what one company may do per minute or per day unless the operator
//! overrides it for that company (PUT /v1/companies/{id}/limits).
use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct LimitSettings {
    /// Messages a company may send per minute (POST /v1/companies/{id}/messages).
    pub messages_per_minute: u32,
    /// Calls a company may place per minute (POST /v1/companies/{id}/calls).
    pub calls_per_minute: u32,
    /// Numbers a company may buy per UTC day (provisioning and purchase jobs).
    pub purchases_per_day: u32,
}

impl Default for LimitSettings {
    /// As config/default.toml has them.
    fn default() -> Self {
        LimitSettings { messages_per_minute: 600, calls_per_minute: 60, purchases_per_day: 20 }
    }
}
