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
    /// Countries a new messaging profile may send to.
    pub whitelisted_destinations: Vec<CountryCode>,
    /// How long a POST waits for its job before answering 202 with the job's location.
    pub respond_within: Duration,
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
            whitelisted_destinations: whitelisted,
            respond_within: Duration::from_secs(3),
            order_poll_initial: Duration::from_millis(200),
            order_poll_max: Duration::from_secs(10),
        }
    }

    /// `<public_base_url>/webhooks/telnyx?company=<id>`, or `None` when no public URL is set.
    pub fn webhook_url(&self, company: CompanyId) -> Option<Url> {
        let mut url = self.public_base_url.clone()?;
        url.set_query(None);
        url.path_segments_mut().ok()?.pop_if_empty().extend(["webhooks", "telnyx"]);
        url.query_pairs_mut().append_pair("company", &company.to_string());
        Some(url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_url_keeps_the_base_path() {
        let company: CompanyId = "5b3c1d2e-0000-4000-8000-000000000001".parse().expect("id");
        let cfg = ProvisioningConfig {
            public_base_url: Some(Url::parse("https://sb.example.com/base/").expect("url")),
            whitelisted_destinations: vec![CountryCode::US],
            respond_within: Duration::ZERO,
            order_poll_initial: Duration::ZERO,
            order_poll_max: Duration::ZERO,
        };
        assert_eq!(
            cfg.webhook_url(company).expect("url").as_str(),
            "https://sb.example.com/base/webhooks/telnyx?company=5b3c1d2e-0000-4000-8000-000000000001"
        );
    }
}
