//! One replay: page through Telnyx's failed webhook deliveries of a window and ingest each
//! record's original webhook through the ingress, after the signature check (the records come
//! from the authenticated API, not from a signed POST). Exactly once comes from the ledger's dedupe
//! keys, as for a redelivery: an event counted before, or replayed twice, changes nothing.
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use futures::StreamExt;
use tokio::sync::Mutex;

use super::summary::{RecordOutcome, ReplayFailure, ReplaySummary};
use super::window::ReplayWindow;
use crate::ingress::{Accepted, Ingress, Outcome};
use crate::metrics::{REPLAYS, REPLAY_DURATION};
use crate::telnyx::api::TelnyxApi;
use crate::telnyx::client::{DeliveryRecord, TelnyxClient, TelnyxError, WebhookDeliveryFilter};

/// Records per page asked of Telnyx (its maximum).
pub const PAGE_SIZE: u32 = 250;
/// Pages one replay reads at most (500,000 records); past it the summary says `complete: false`.
pub const MAX_PAGES: u32 = 2000;
/// Records of a page ingested at once (their commits share ledger batches).
const CONCURRENCY: usize = 16;
/// Ids quoted in a summary are cut to this many characters.
const MAX_ID_CHARS: usize = 128;

/// Who asked for a replay (a metric label).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    Operator,
    Outage,
}

impl Trigger {
    pub fn metric_label(self) -> &'static str {
        match self {
            Trigger::Operator => "operator",
            Trigger::Outage => "outage",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error(
        "telnyx.api_key is not configured (SWITCHBOARD__TELNYX__API_KEY): Telnyx's webhook deliveries cannot be read"
    )]
    NoApiKey,
    #[error(
        "reading Telnyx's failed webhook deliveries failed on page {page} ({ingested} records ingested before it; a \
         replay is idempotent, run it again): {source}"
    )]
    Telnyx {
        page: u32,
        ingested: u64,
        #[source]
        source: TelnyxError,
    },
}

impl ReplayError {
    /// The HTTP status that fits: 503 when it is worth retrying later as is, 502 when Telnyx failed.
    pub fn http_status(&self) -> u16 {
        match self {
            ReplayError::NoApiKey | ReplayError::Telnyx { source: TelnyxError::RateLimited { .. }, .. } => 503,
            ReplayError::Telnyx { .. } => 502,
        }
    }
}

/// Replays windows of failed webhook deliveries; shared by the admin endpoint and the automatic
/// replay after an outage.
pub struct Replayer {
    telnyx: TelnyxApi,
    ingress: Arc<Ingress>,
    retention: chrono::Duration,
    /// One replay at a time on this node, so that one summary does not count another's work.
    running: Mutex<()>,
}

impl Replayer {
    /// `retention`: how long the ledger keeps dedupe keys (`ledger.dedupe_retention_hours`).
    pub fn new(telnyx: TelnyxApi, ingress: Arc<Ingress>, retention: chrono::Duration) -> Self {
        Self { telnyx, ingress, retention, running: Mutex::new(()) }
    }

    pub fn retention(&self) -> chrono::Duration {
        self.retention
    }

    /// The ingress records go through (also the path of a dead letter's re-drive).
    pub(crate) fn ingress(&self) -> &Ingress {
        &self.ingress
    }

    /// Reads every page of failed deliveries that started within `window` and ingests them.
    pub async fn replay(&self, window: ReplayWindow, trigger: Trigger) -> Result<ReplaySummary, ReplayError> {
        let client = self.telnyx.client().map_err(|_| ReplayError::NoApiKey)?;
        let _one_at_a_time = self.running.lock().await;
        let started = Instant::now();
        let result = self.pages(client, window).await;
        let outcome = if result.is_ok() { "ok" } else { "error" };
        metrics::counter!(REPLAYS, "trigger" => trigger.metric_label(), "outcome" => outcome).increment(1);
        metrics::histogram!(REPLAY_DURATION, "trigger" => trigger.metric_label())
            .record(started.elapsed().as_secs_f64());
        result
    }

    async fn pages(&self, client: &TelnyxClient, window: ReplayWindow) -> Result<ReplaySummary, ReplayError> {
        let mut summary = ReplaySummary::new(window.from(), window.to());
        let mut filter = WebhookDeliveryFilter::failed_between(window.from(), window.to());
        filter.page_size = Some(PAGE_SIZE);
        for number in 1..=MAX_PAGES {
            filter.page_number = Some(number);
            let page = client.list_webhook_deliveries(&filter).await.map_err(|source| ReplayError::Telnyx {
                page: number,
                ingested: summary.records,
                source,
            })?;
            summary.pages += 1;
            // Without a page count in `meta`, read until a page comes back empty.
            let last =
                page.data.is_empty() || page.meta.and_then(|m| m.total_pages).is_some_and(|total| number >= total);
            let outcomes: Vec<RecordOutcome> =
                futures::stream::iter(page.data).map(|r| self.ingest(r)).buffered(CONCURRENCY).collect().await;
            for outcome in outcomes {
                summary.add(outcome);
            }
            if last {
                return Ok(summary);
            }
        }
        summary.complete = false;
        Ok(summary)
    }

    /// One record: its original webhook (`data` of the envelope Telnyx sent) through the ingress.
    async fn ingest(&self, record: DeliveryRecord) -> RecordOutcome {
        let delivery = match record {
            DeliveryRecord::Parsed(d) => d,
            DeliveryRecord::Malformed { raw, reason } => {
                let id = raw.get("id").and_then(|v| v.as_str()).map(short);
                return failed(id, None, format!("unreadable webhook_delivery record: {reason}"));
            }
        };
        let delivery_id = Some(short(&delivery.id));
        if !delivery.webhook.is_object() {
            return failed(delivery_id, None, "the record holds no original webhook (`webhook` object)".into());
        }
        let body = match serde_json::to_vec(&serde_json::json!({ "data": delivery.webhook })) {
            Ok(b) => Bytes::from(b),
            Err(e) => return failed(delivery_id, None, format!("cannot re-encode the webhook: {e}")),
        };
        let event_id = delivery.webhook.get("id").and_then(|v| v.as_str()).map(short);
        // The ledger tells a first count from a redelivery's (its dedupe keys decide).
        match self.ingress.ingest_verified(body, None).await {
            Outcome::Accepted { how: Accepted::Counted, .. } => RecordOutcome::Counted,
            Outcome::Accepted { how: Accepted::Duplicate, .. } => RecordOutcome::Duplicate,
            Outcome::Accepted { how: Accepted::DeadLetter, .. } => RecordOutcome::DeadLetter,
            Outcome::Accepted { .. } => RecordOutcome::Acknowledged,
            Outcome::Rejected { reason, .. } => failed(delivery_id, event_id, format!("unreadable webhook: {reason}")),
            Outcome::Unavailable { reason, .. } => failed(delivery_id, event_id, reason),
        }
    }
}

fn failed(delivery_id: Option<String>, event_id: Option<String>, reason: String) -> RecordOutcome {
    RecordOutcome::Failed(ReplayFailure { delivery_id, event_id, reason })
}

fn short(id: &str) -> String {
    id.chars().take(MAX_ID_CHARS).collect()
}
