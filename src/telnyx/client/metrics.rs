//! Metric names, the fixed `endpoint` label set, and the per-attempt recording.
//!
//! Every HTTP attempt (including retries) is counted once in [`REQUESTS_TOTAL`] with labels
//! `endpoint` (one of [`Endpoint::ALL`]) and `status` (the HTTP status code such as `"200"`, or
//! [`STATUS_TIMEOUT`] / [`STATUS_ERROR`] when no response arrived), and its duration (until the
//! whole body was read) is observed in [`REQUEST_DURATION_SECONDS`] with label `endpoint`.
use std::fmt;
use std::time::Duration;

/// Counter: HTTP attempts made to the Telnyx API. Labels: `endpoint`, `status`.
pub const REQUESTS_TOTAL: &str = "switchboard_telnyx_requests_total";
/// Histogram (seconds): duration of one HTTP attempt to the Telnyx API. Label: `endpoint`.
pub const REQUEST_DURATION_SECONDS: &str = "switchboard_telnyx_request_duration_seconds";

/// `status` label when the attempt timed out before a full response arrived.
pub const STATUS_TIMEOUT: &str = "timeout";
/// `status` label when the attempt failed without a response (connection refused, reset, ...).
pub const STATUS_ERROR: &str = "error";

/// What kind of metric a [`MetricSpec`] describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricKind {
    Counter,
    Histogram,
}

/// A metric this module emits, for `describe_*!` at start-up (src/metrics.rs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetricSpec {
    pub name: &'static str,
    pub kind: MetricKind,
    pub labels: &'static [&'static str],
    pub help: &'static str,
}

/// Every metric the Telnyx client emits.
pub const METRICS: &[MetricSpec] = &[
    MetricSpec {
        name: REQUESTS_TOTAL,
        kind: MetricKind::Counter,
        labels: &["endpoint", "status"],
        help: "HTTP attempts to the Telnyx API (retries included) by endpoint and status",
    },
    MetricSpec {
        name: REQUEST_DURATION_SECONDS,
        kind: MetricKind::Histogram,
        labels: &["endpoint"],
        help: "Duration of one HTTP attempt to the Telnyx API, in seconds",
    },
];

/// The Telnyx operations switchboard calls; the value of the `endpoint` label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    SendMessage,
    Dial,
    Answer,
    Transfer,
    Hangup,
    Speak,
    RecordStart,
    CreateMessagingProfile,
    ListMessagingProfiles,
    CreateCallControlApplication,
    UpdateCallControlApplication,
    ListCallControlApplications,
    CreateOutboundVoiceProfile,
    ListOutboundVoiceProfiles,
    SearchAvailableNumbers,
    CreateNumberOrder,
    GetNumberOrder,
    ListPhoneNumbers,
    UpdateNumberMessaging,
    UpdateNumberConnection,
    ListWebhookDeliveries,
}

impl Endpoint {
    pub const ALL: [Endpoint; 21] = [
        Endpoint::SendMessage,
        Endpoint::Dial,
        Endpoint::Answer,
        Endpoint::Transfer,
        Endpoint::Hangup,
        Endpoint::Speak,
        Endpoint::RecordStart,
        Endpoint::CreateMessagingProfile,
        Endpoint::ListMessagingProfiles,
        Endpoint::CreateCallControlApplication,
        Endpoint::UpdateCallControlApplication,
        Endpoint::ListCallControlApplications,
        Endpoint::CreateOutboundVoiceProfile,
        Endpoint::ListOutboundVoiceProfiles,
        Endpoint::SearchAvailableNumbers,
        Endpoint::CreateNumberOrder,
        Endpoint::GetNumberOrder,
        Endpoint::ListPhoneNumbers,
        Endpoint::UpdateNumberMessaging,
        Endpoint::UpdateNumberConnection,
        Endpoint::ListWebhookDeliveries,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Endpoint::SendMessage => "send_message",
            Endpoint::Dial => "dial",
            Endpoint::Answer => "answer",
            Endpoint::Transfer => "transfer",
            Endpoint::Hangup => "hangup",
            Endpoint::Speak => "speak",
            Endpoint::RecordStart => "record_start",
            Endpoint::CreateMessagingProfile => "create_messaging_profile",
            Endpoint::ListMessagingProfiles => "list_messaging_profiles",
            Endpoint::CreateCallControlApplication => "create_call_control_application",
            Endpoint::UpdateCallControlApplication => "update_call_control_application",
            Endpoint::ListCallControlApplications => "list_call_control_applications",
            Endpoint::CreateOutboundVoiceProfile => "create_outbound_voice_profile",
            Endpoint::ListOutboundVoiceProfiles => "list_outbound_voice_profiles",
            Endpoint::SearchAvailableNumbers => "search_available_numbers",
            Endpoint::CreateNumberOrder => "create_number_order",
            Endpoint::GetNumberOrder => "get_number_order",
            Endpoint::ListPhoneNumbers => "list_phone_numbers",
            Endpoint::UpdateNumberMessaging => "update_number_messaging",
            Endpoint::UpdateNumberConnection => "update_number_connection",
            Endpoint::ListWebhookDeliveries => "list_webhook_deliveries",
        }
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Records one attempt. `status` is an HTTP status code or [`STATUS_TIMEOUT`] / [`STATUS_ERROR`].
pub(crate) fn record_attempt(endpoint: Endpoint, status: &str, elapsed: Duration) {
    metrics::counter!(
        REQUESTS_TOTAL,
        "endpoint" => endpoint.as_str(),
        "status" => status.to_owned()
    )
    .increment(1);
    metrics::histogram!(REQUEST_DURATION_SECONDS, "endpoint" => endpoint.as_str()).record(elapsed.as_secs_f64());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn telnyx_endpoint_labels_are_small_snake_case_and_unique() {
        let mut seen = std::collections::HashSet::new();
        for e in Endpoint::ALL {
            assert_eq!(Endpoint::ALL.iter().filter(|x| **x == e).count(), 1, "{e} listed once");
            let label = e.as_str();
            assert!(label.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'), "{label}");
            assert!(seen.insert(label), "duplicate label {label}");
        }
    }

    #[test]
    fn telnyx_metric_names_follow_conventions() {
        assert!(REQUESTS_TOTAL.starts_with("switchboard_") && REQUESTS_TOTAL.ends_with("_total"));
        assert!(REQUEST_DURATION_SECONDS.ends_with("_seconds"));
        assert_eq!(METRICS.len(), 2);
    }
}
