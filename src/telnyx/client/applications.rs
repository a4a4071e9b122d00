//! Call Control applications: create one (POST /call_control_applications), update it (PATCH
//! /call_control_applications/{id}, e.g. to attach an outbound voice profile) and find them by
//! name (GET /call_control_applications).
use reqwest::Method;
use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};
use url::Url;

use super::lookup::{exactly_named, name_query, Created};
use super::{with_query, Endpoint, Retry, TelnyxClient, TelnyxError};

/// The settings switchboard gives a Call Control application (spec schemas
/// `CreateCallControlApplicationRequest` and `UpdateCallControlApplicationRequest`, which both
/// require `application_name` and `webhook_event_url`). `webhook_api_version` is always sent as
/// `"2"` (the spec's default is `"1"`, another format).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewCallControlApplication {
    pub application_name: String,
    pub webhook_event_url: Url,
    /// Where Telnyx delivers when `webhook_event_url` fails (`telnyx.failover_base_url`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook_event_failover_url: Option<Url>,
}

/// A Call Control application as listed (schema `CallControlApplication`, the fields read).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(from = "ApplicationWire")]
pub struct CallControlApplication {
    /// The `connection_id` used to dial and to attach numbers.
    pub id: String,
    pub application_name: String,
    /// `outbound.outbound_voice_profile_id`: without one, the application cannot dial out.
    pub outbound_voice_profile_id: Option<String>,
}

#[derive(Deserialize)]
struct ApplicationWire {
    id: String,
    #[serde(default)]
    application_name: Option<String>,
    #[serde(default)]
    outbound: Option<OutboundWire>,
}

#[derive(Deserialize)]
struct OutboundWire {
    #[serde(default)]
    outbound_voice_profile_id: Option<String>,
}

impl From<ApplicationWire> for CallControlApplication {
    fn from(w: ApplicationWire) -> Self {
        CallControlApplication {
            id: w.id,
            application_name: w.application_name.unwrap_or_default(),
            outbound_voice_profile_id: w.outbound.and_then(|o| o.outbound_voice_profile_id),
        }
    }
}

#[derive(Serialize)]
struct ApplicationBody<'a> {
    #[serde(flatten)]
    app: &'a NewCallControlApplication,
    webhook_api_version: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    outbound: Option<Outbound<'a>>,
}

/// `outbound` (schema `CallControlApplicationOutbound`).
#[derive(Serialize)]
struct Outbound<'a> {
    outbound_voice_profile_id: &'a str,
}

impl<'a> ApplicationBody<'a> {
    fn new(app: &'a NewCallControlApplication, outbound_voice_profile_id: Option<&'a str>) -> Self {
        let outbound = outbound_voice_profile_id.map(|id| Outbound { outbound_voice_profile_id: id });
        ApplicationBody { app, webhook_api_version: "2", outbound }
    }
}

impl TelnyxClient {
    /// POST /call_control_applications without an outbound voice profile; see
    /// [`TelnyxClient::create_call_control_application_with_profile`].
    pub async fn create_call_control_application(
        &self,
        app: &NewCallControlApplication,
    ) -> Result<String, TelnyxError> {
        self.create_call_control_application_with_profile(app, None).await
    }

    /// POST /call_control_applications with `outbound.outbound_voice_profile_id` when given;
    /// returns the application id (the `connection_id` used to dial and to attach numbers).
    /// Telnyx answers 201. Retry policy [`Retry::IfNotSent`]: after [`TelnyxError::Ambiguous`],
    /// look it up with [`TelnyxClient::find_call_control_applications`] before creating again.
    pub async fn create_call_control_application_with_profile(
        &self,
        app: &NewCallControlApplication,
        outbound_voice_profile_id: Option<&str>,
    ) -> Result<String, TelnyxError> {
        let url = self.url(&["call_control_applications"])?;
        let body = ApplicationBody::new(app, outbound_voice_profile_id);
        let endpoint = Endpoint::CreateCallControlApplication;
        let created: Created = self.request(endpoint, Method::POST, url, Some(&body), Retry::IfNotSent).await?;
        Ok(created.id)
    }

    /// PATCH /call_control_applications/{id}: sets the application's settings (the spec requires
    /// the name and webhook URL on every update) and, when given, its outbound voice profile.
    /// [`Retry::Safe`].
    pub async fn update_call_control_application(
        &self,
        id: &str,
        app: &NewCallControlApplication,
        outbound_voice_profile_id: Option<&str>,
    ) -> Result<(), TelnyxError> {
        let url = self.url(&["call_control_applications", id])?;
        let body = ApplicationBody::new(app, outbound_voice_profile_id);
        let endpoint = Endpoint::UpdateCallControlApplication;
        let _: IgnoredAny = self.request(endpoint, Method::PATCH, url, Some(&body), Retry::Safe).await?;
        Ok(())
    }

    /// GET /call_control_applications?filter[application_name][contains]=...: the applications
    /// named exactly `application_name` (first page of 250). [`Retry::Safe`].
    pub async fn find_call_control_applications(
        &self,
        application_name: &str,
    ) -> Result<Vec<CallControlApplication>, TelnyxError> {
        let query = name_query("filter[application_name][contains]", application_name);
        let url = with_query(self.url(&["call_control_applications"])?, &query);
        let endpoint = Endpoint::ListCallControlApplications;
        let found: Vec<CallControlApplication> =
            self.request::<(), _>(endpoint, Method::GET, url, None, Retry::Safe).await?;
        Ok(exactly_named(found, application_name, |a| &a.application_name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn telnyx_call_control_app_body_forces_api_v2() {
        let app = NewCallControlApplication {
            application_name: "acme".into(),
            webhook_event_url: Url::parse("https://sb.example.com/webhooks/telnyx").expect("url"),
            webhook_event_failover_url: None,
        };
        assert_eq!(
            serde_json::to_value(ApplicationBody::new(&app, None)).expect("json"),
            json!({
                "application_name": "acme",
                "webhook_event_url": "https://sb.example.com/webhooks/telnyx",
                "webhook_api_version": "2"
            })
        );
        assert_eq!(
            serde_json::to_value(ApplicationBody::new(&app, Some("1293384261075731499"))).expect("json")["outbound"],
            json!({"outbound_voice_profile_id": "1293384261075731499"})
        );
    }

    #[test]
    fn telnyx_listed_application_reads_its_outbound_profile() {
        let app: CallControlApplication = serde_json::from_value(json!({
            "id": "1", "application_name": "acme", "record_type": "call_control_application",
            "outbound": {"channel_limit": 10, "outbound_voice_profile_id": "7"}
        }))
        .expect("application");
        assert_eq!(app.outbound_voice_profile_id.as_deref(), Some("7"));
        let bare: CallControlApplication = serde_json::from_value(json!({"id": "2"})).expect("application");
        assert_eq!((bare.application_name.as_str(), bare.outbound_voice_profile_id), ("", None));
    }
}
