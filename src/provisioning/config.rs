//! What provisioning needs from the settings.
use std::time::Duration;

use url::Url;

use crate::config::Settings;
use crate::domain::CompanyId;
use crate::telnyx::client::CountryCode;

#[derive(Debug, Clone)]
pub struct ProvisioningConfig {
    /// Where Telnyx reaches this daemon; provisioning is refused (422) without it.
    pub public_base_url: Option<Url>,
    /// Where Telnyx delivers when `public_base_url` fails (`telnyx.failover_base_url`).
    pub failover_base_url: Option<Url>,
    /// Countries a new messaging profile or outbound voice profile may reach.
    pub whitelisted_destinations: Vec<CountryCode>,
    /// Country of number searches (`telnyx.number_country`).
    pub number_country: CountryCode,
    /// A shared outbound voice profile (`telnyx.outbound_voice_profile_id`); `None`: one is
    /// created per company.
    pub outbound_voice_profile_id: Option<String>,
    /// How long a POST waits for its job before answering 202 with the job's location.
    pub respond_within: Duration,
    /// How long a released number stays with its last owner (`numbers.reassign_hold_days`):
    /// another company's token cannot register it meanwhile.
    pub reassign_hold: chrono::Duration,
    /// The per-company limits' defaults (`[limits]`): a new job's quantity counts against
    /// `purchases_per_day`.
    pub limits: crate::config::LimitSettings,
    /// First and largest wait between polls of a pending number order.
    pub order_poll_initial: Duration,
    pub order_poll_max: Duration,
}

impl ProvisioningConfig {
    pub fn from_settings(settings: &Settings) -> Self {
        let mut whitelisted: Vec<CountryCode> =
            settings.telnyx.whitelisted_destinations.iter().filter_map(|c| CountryCode::parse(c).ok()).collect();
        if whitelisted.is_empty() {
            whitelisted = vec![CountryCode::US, CountryCode::CA];
        }
        ProvisioningConfig {
            public_base_url: settings.public_base_url.clone(),
            failover_base_url: settings.telnyx.failover_base_url.clone(),
            whitelisted_destinations: whitelisted,
            number_country: settings.telnyx.number_country,
            outbound_voice_profile_id: settings.telnyx.outbound_voice_profile_id.clone(),
            reassign_hold: chrono::Duration::days(i64::from(settings.numbers.reassign_hold_days)),
            limits: settings.limits,
            respond_within: Duration::from_secs(3),
            order_poll_initial: Duration::from_millis(200),
            order_poll_max: Duration::from_secs(10),
        }
    }

    /// `<public_base_url>/webhooks/telnyx?company=<id>`, or `None` when no public URL is set.
    pub fn webhook_url(&self, company: CompanyId) -> Option<Url> {
        company_webhook_url(self.public_base_url.as_ref()?, company)
    }

    /// `<failover_base_url>/webhooks/telnyx?company=<id>`, or `None` when no failover URL is set.
    pub fn failover_webhook_url(&self, company: CompanyId) -> Option<Url> {
        company_webhook_url(self.failover_base_url.as_ref()?, company)
    }
}

/// The webhook URL of `company` under `base` (its path kept, its query replaced).
fn company_webhook_url(base: &Url, company: CompanyId) -> Option<Url> {
    let mut url = base.clone();
    url.set_query(None);
    url.path_segments_mut().ok()?.pop_if_empty().extend(["webhooks", "telnyx"]);
    url.query_pairs_mut().append_pair("company", &company.to_string());
    Some(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_urls_keep_the_base_path() {
        let company: CompanyId = "5b3c1d2e-0000-4000-8000-000000000001".parse().expect("id");
        let cfg = ProvisioningConfig {
            public_base_url: Some(Url::parse("https://sb.example.com/base/").expect("url")),
            failover_base_url: Some(Url::parse("https://failover.example.com?x=1").expect("url")),
            whitelisted_destinations: vec![CountryCode::US],
            number_country: CountryCode::US,
            outbound_voice_profile_id: None,
            reassign_hold: chrono::Duration::days(30),
            limits: crate::config::LimitSettings::default(),
            respond_within: Duration::ZERO,
            order_poll_initial: Duration::ZERO,
            order_poll_max: Duration::ZERO,
        };
        assert_eq!(
            cfg.webhook_url(company).expect("url").as_str(),
            "https://sb.example.com/base/webhooks/telnyx?company=5b3c1d2e-0000-4000-8000-000000000001"
        );
        assert_eq!(
            cfg.failover_webhook_url(company).expect("url").as_str(),
            "https://failover.example.com/webhooks/telnyx?company=5b3c1d2e-0000-4000-8000-000000000001"
        );
        let without = ProvisioningConfig { failover_base_url: None, ..cfg };
        assert_eq!(without.failover_webhook_url(company), None);
    }
}
