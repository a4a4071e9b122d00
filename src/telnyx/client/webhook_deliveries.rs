//! Webhook deliveries (GET /webhook_deliveries): Telnyx's record of webhooks it sent, used to
//! replay events that never reached us.
use chrono::{DateTime, SecondsFormat, Utc};
use reqwest::Method;
use serde::Deserialize;

use super::{with_query, Endpoint, Retry, TelnyxClient, TelnyxError};

/// Delivery outcome (`filter[status][eq]` and `status` of schema `webhook_delivery`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WebhookDeliveryStatus {
    Delivered,
    Failed,
    #[serde(other)]
    Unknown,
}

impl WebhookDeliveryStatus {
    fn as_filter(self) -> Option<&'static str> {
        match self {
            WebhookDeliveryStatus::Delivered => Some("delivered"),
            WebhookDeliveryStatus::Failed => Some("failed"),
            WebhookDeliveryStatus::Unknown => None,
        }
    }
}

/// Query of GET /webhook_deliveries (deepObject `filter`, `page`). The window applies to when
/// Telnyx started delivering (`filter[started_at][gte|lte]`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WebhookDeliveryFilter {
    pub status: Option<WebhookDeliveryStatus>,
    pub started_at_gte: Option<DateTime<Utc>>,
    pub started_at_lte: Option<DateTime<Utc>>,
    /// From 1.
    pub page_number: Option<u32>,
    /// 1 to 250 (values outside are clamped); Telnyx's default is 20.
    pub page_size: Option<u32>,
}

impl WebhookDeliveryFilter {
    /// Failed deliveries that started within `[from, to]` (sent in whole seconds: `from` rounded
    /// down, `to` rounded up).
    pub fn failed_between(from: DateTime<Utc>, to: DateTime<Utc>) -> Self {
        Self {
            status: Some(WebhookDeliveryStatus::Failed),
            started_at_gte: Some(from),
            started_at_lte: Some(to),
            page_number: None,
            page_size: None,
        }
    }

    fn query(&self) -> Vec<(&'static str, String)> {
        let time = |t: &DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Secs, true);
        let mut q = Vec::new();
        if let Some(status) = self.status.and_then(WebhookDeliveryStatus::as_filter) {
            q.push(("filter[status][eq]", status.to_owned()));
        }
        if let Some(t) = &self.started_at_gte {
            q.push(("filter[started_at][gte]", time(t)));
        }
        if let Some(t) = &self.started_at_lte {
            // Whole seconds on the wire: round the end up, so that the window only ever widens.
            let up = if t.timestamp_subsec_nanos() == 0 { *t } else { *t + chrono::Duration::seconds(1) };
            q.push(("filter[started_at][lte]", time(&up)));
        }
        if let Some(page) = self.page_number {
            q.push(("page[number]", page.max(1).to_string()));
        }
        if let Some(size) = self.page_size {
            q.push(("page[size]", size.clamp(1, 250).to_string()));
        }
        q
    }
}

/// One delivery record (schema `webhook_delivery`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct WebhookDelivery {
    pub id: String,
    pub status: WebhookDeliveryStatus,
    #[serde(default)]
    pub started_at: Option<DateTime<Utc>>,
    /// The original webhook's `data` object (`event_type`, `id`, `occurred_at`, `payload`,
    /// `record_type`): what the webhook carried under `data`, kept as JSON because its payload
    /// varies by event type. Null when the record has none.
    #[serde(default)]
    pub webhook: serde_json::Value,
}

/// A listed record: read as [`WebhookDelivery`], or kept with the reason it could not be, so that
/// one malformed record does not hide the rest of its page.
#[derive(Debug, Clone, PartialEq)]
pub enum DeliveryRecord {
    Parsed(WebhookDelivery),
    Malformed { raw: serde_json::Value, reason: String },
}

impl<'de> Deserialize<'de> for DeliveryRecord {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = serde_json::Value::deserialize(d)?;
        Ok(match WebhookDelivery::deserialize(&raw) {
            Ok(delivery) => DeliveryRecord::Parsed(delivery),
            Err(e) => DeliveryRecord::Malformed { raw, reason: e.to_string() },
        })
    }
}

/// Pagination of a list answer (schema `PaginationMetaSimple`); every field is optional there.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub struct PageMeta {
    pub page_number: Option<u32>,
    pub page_size: Option<u32>,
    pub total_pages: Option<u32>,
    pub total_results: Option<u64>,
}

/// One page of GET /webhook_deliveries: `{"data": [webhook_delivery], "meta": PaginationMetaSimple}`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct WebhookDeliveryPage {
    pub data: Vec<DeliveryRecord>,
    #[serde(default)]
    pub meta: Option<PageMeta>,
}

impl TelnyxClient {
    /// GET /webhook_deliveries (one page, with its pagination meta). [`Retry::Safe`].
    pub async fn list_webhook_deliveries(
        &self,
        filter: &WebhookDeliveryFilter,
    ) -> Result<WebhookDeliveryPage, TelnyxError> {
        let url = with_query(self.url(&["webhook_deliveries"])?, &filter.query());
        let endpoint = Endpoint::ListWebhookDeliveries;
        // The whole body, not only `data`: the page's `meta` says how many pages there are.
        let (status, bytes) = self.execute(endpoint, Method::GET, url, None, Retry::Safe).await?;
        serde_json::from_slice(&bytes).map_err(|e| TelnyxError::Decode {
            endpoint,
            status: status.as_u16(),
            message: e.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn telnyx_webhook_delivery_query_names_match_spec() {
        let from = DateTime::parse_from_rfc3339("2024-05-01T10:00:00Z").expect("t").to_utc();
        let to = DateTime::parse_from_rfc3339("2024-05-01T11:29:59.250Z").expect("t").to_utc();
        let mut f = WebhookDeliveryFilter::failed_between(from, to);
        f.page_size = Some(100);
        let pairs: Vec<String> = f.query().into_iter().map(|(k, v)| format!("{k}={v}")).collect();
        assert_eq!(
            pairs,
            [
                "filter[status][eq]=failed",
                "filter[started_at][gte]=2024-05-01T10:00:00Z",
                "filter[started_at][lte]=2024-05-01T11:30:00Z",
                "page[size]=100"
            ]
        );
    }

    #[test]
    fn telnyx_webhook_delivery_keeps_original_webhook() {
        let d: WebhookDelivery = serde_json::from_str(
            r#"{"id":"f5586561-8ff0-4291-a0ac-84fe544797bd","status":"failed","record_type":"webhook_delivery",
                "started_at":"2020-08-10T14:00:00.000Z","attempts":[],
                "webhook":{"event_type":"message.received","id":"e1","payload":{"id":"m1"}}}"#,
        )
        .expect("delivery");
        assert_eq!(d.status, WebhookDeliveryStatus::Failed);
        assert_eq!(d.webhook["payload"]["id"], "m1");
    }

    #[test]
    fn telnyx_webhook_delivery_page_keeps_meta_and_malformed_records() {
        let page: WebhookDeliveryPage = serde_json::from_str(
            r#"{"data":[{"id":"d1","status":"failed","webhook":{"id":"e1"}},{"status":7},"junk"],
                "meta":{"page_number":2,"page_size":3,"total_pages":4,"total_results":11}}"#,
        )
        .expect("page");
        assert!(matches!(&page.data[0], DeliveryRecord::Parsed(d) if d.id == "d1"));
        assert!(matches!(&page.data[1], DeliveryRecord::Malformed { reason, .. } if !reason.is_empty()));
        assert!(matches!(&page.data[2], DeliveryRecord::Malformed { raw, .. } if raw == "junk"));
        assert_eq!(page.meta.and_then(|m| m.total_pages), Some(4));
    }
}
