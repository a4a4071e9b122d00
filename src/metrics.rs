//! Every metric name, described once at start-up, and the Prometheus recorder.
//! Names follow `switchboard_<thing>_<unit>`; counters end in `_total`; labels come from small
//! fixed sets (event_type, outcome, endpoint, status), never ids or phone numbers.
use std::sync::OnceLock;

use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

pub const HTTP_REQUESTS: &str = "switchboard_http_requests_total";
pub const HTTP_REQUEST_DURATION: &str = "switchboard_http_request_duration_seconds";
pub const WEBHOOKS_RECEIVED: &str = "switchboard_webhooks_received_total";
pub const WEBHOOK_DURATION: &str = "switchboard_webhook_duration_seconds";
pub const SIGNATURE_FAILURES: &str = "switchboard_webhook_signature_failures_total";
pub const SIGNATURE_CHECKS_DISABLED: &str = "switchboard_webhook_signature_checks_disabled";
pub const COMPANY_HINT_MISMATCHES: &str = "switchboard_webhook_company_hint_mismatches_total";
pub const DUPLICATES: &str = "switchboard_ledger_duplicates_total";
/// Status webhooks of queued messages that found their message by reconciliation (a Telnyx id a
/// stopped worker never recorded, attached to the one `unknown` message it can belong to).
pub const SEND_RECONCILED: &str = "switchboard_send_reconciled_total";
pub const DEAD_LETTERS: &str = "switchboard_dead_letters_total";
pub const DEAD_LETTER_REDRIVES: &str = "switchboard_dead_letter_redrives_total";
pub const LEDGER_BATCH_SIZE: &str = "switchboard_ledger_batch_size_entries";
pub const LEDGER_COMMIT_DURATION: &str = "switchboard_ledger_commit_duration_seconds";
pub const LEDGER_COMMITS: &str = "switchboard_ledger_commits_total";
pub const LEDGER_PENDING: &str = "switchboard_ledger_pending_entries";
pub const ACTORS_ACTIVE: &str = "switchboard_company_actors_active";
pub const STATE_LOADS: &str = "switchboard_company_state_loads_total";
/// Numbers whose health is unhealthy (number_health thresholds), over every company (no labels).
pub const NUMBERS_UNHEALTHY: &str = "switchboard_numbers_unhealthy";
pub const COMMIT_TIMEOUTS: &str = "switchboard_webhook_commit_timeouts_total";
/// Labels: kind (dead_letters, outbox_delivered, outbox_failed, jobs_done).
pub const RETENTION_PURGED: &str = "switchboard_retention_purged_total";
pub const DEDUPE_PURGED: &str = "switchboard_ledger_dedupe_purged_total";
/// Labels: action (created, dropped).
pub const DEDUPE_PARTITIONS: &str = "switchboard_ledger_dedupe_partitions_total";
/// Labels: outcome (refused: 401, locked: the address ran out of failures, 429).
pub const ADMIN_AUTH_FAILURES: &str = "switchboard_admin_auth_failures_total";
/// Labels: kind (messages, calls, purchases).
pub const COMPANY_LIMIT_REFUSALS: &str = "switchboard_company_limit_refusals_total";
pub const NUMBER_INDEX_SIZE: &str = "switchboard_number_index_entries";
/// Labels: kind (change, resync).
pub const COMPANY_CHANGES_APPLIED: &str = "switchboard_company_changes_applied_total";
pub const BUILD_INFO: &str = "switchboard_build_info";
pub const WEBHOOK_OUTAGES: &str = "switchboard_webhook_outages_total";
pub const REPLAYS: &str = "switchboard_webhook_replays_total";
pub const REPLAY_DURATION: &str = "switchboard_webhook_replay_duration_seconds";
pub const REPLAY_RECORDS: &str = "switchboard_webhook_replay_records_total";
pub const OUTBOX_PENDING: &str = "switchboard_outbox_pending";
pub const OUTBOX_DELIVERED: &str = "switchboard_outbox_delivered_total";
/// Labels: kind, reason (exhausted, permanent, disabled).
pub const OUTBOX_FAILED: &str = "switchboard_outbox_failed_total";
/// Labels: kind (forward_message, message_status, call_answer, call_transfer, call_hangup), outcome (delivered, retry,
/// alternate, failed).
pub const OUTBOX_ATTEMPTS: &str = "switchboard_outbox_attempts_total";
/// Forwards moved on to their next alternate URL. Label: reason (exhausted, gone, disabled).
pub const FORWARD_ALTERNATE_MOVES: &str = "switchboard_forward_alternate_moves_total";
/// Forward endpoints disabled because they answered 410 Gone.
pub const FORWARD_ENDPOINTS_DISABLED_TOTAL: &str = "switchboard_forward_endpoints_disabled_total";
/// Forward endpoints disabled now (every company).
pub const FORWARD_ENDPOINTS_DISABLED: &str = "switchboard_forward_endpoints_disabled";
/// Label: kind (transfer, dial).
pub const CHAIN_STEPS_STARTED: &str = "switchboard_chain_steps_started_total";
/// Label: outcome (answered, timeout, busy, failed, cancelled, machine).
pub const CHAIN_STEP_OUTCOMES: &str = "switchboard_chain_step_outcomes_total";
/// Label: final_action (hangup, voicemail).
pub const CHAINS_EXHAUSTED: &str = "switchboard_chains_exhausted_total";
/// Label: outcome (forwarded, no_destination: the rule lost its voicemail meanwhile).
pub const VOICEMAILS: &str = "switchboard_voicemails_total";

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the Prometheus recorder (once per process) and describes every metric.
pub fn install() -> PrometheusHandle {
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Suffix("_seconds".into()),
                    &[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0],
                )
                .and_then(|b| {
                    b.set_buckets_for_metric(
                        Matcher::Suffix("_entries".into()),
                        &[1.0, 2.0, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1000.0, 2500.0],
                    )
                })
                .expect("static bucket lists are not empty")
                .build_recorder();
            let handle = recorder.handle();
            // Another recorder may already be installed (several apps in one test process).
            let _ = metrics::set_global_recorder(recorder);
            describe();
            metrics::gauge!(BUILD_INFO, "version" => env!("CARGO_PKG_VERSION")).set(1.0);
            handle
        })
        .clone()
}

fn describe() {
    describe_counter!(HTTP_REQUESTS, "HTTP requests answered, by endpoint and status class.");
    describe_histogram!(HTTP_REQUEST_DURATION, Unit::Seconds, "HTTP request latency by endpoint.");
    describe_counter!(WEBHOOKS_RECEIVED, "Telnyx webhooks received, by event_type and outcome.");
    describe_histogram!(WEBHOOK_DURATION, Unit::Seconds, "Webhook latency from request to answer, by outcome.");
    describe_counter!(SIGNATURE_FAILURES, "Webhooks refused by the signature check, by reason.");
    describe_gauge!(SIGNATURE_CHECKS_DISABLED, "1 when webhook signature checks are turned off by config.");
    describe_counter!(COMPANY_HINT_MISMATCHES, "Webhooks whose ?company= hint differs from the number's owner.");
    describe_counter!(DUPLICATES, "Ledger entries whose (event id, number) key was already counted.");
    describe_counter!(
        SEND_RECONCILED,
        "Status webhooks whose Telnyx id no queued message had, attached to the one unknown message they fit."
    );
    describe_counter!(DEAD_LETTERS, "Events that could not be routed and were stored as dead letters, by reason.");
    describe_counter!(DEAD_LETTER_REDRIVES, "Dead letters re-driven by an operator, by outcome.");
    describe_histogram!(LEDGER_BATCH_SIZE, Unit::Count, "Entries per ledger commit.");
    describe_histogram!(LEDGER_COMMIT_DURATION, Unit::Seconds, "Ledger batch commit latency.");
    describe_counter!(LEDGER_COMMITS, "Ledger commits, by outcome.");
    describe_gauge!(LEDGER_PENDING, "Ledger entries waiting for a commit.");
    describe_gauge!(ACTORS_ACTIVE, "Company actors running.");
    describe_counter!(STATE_LOADS, "Company states loaded from the database (actor starts and reloads).");
    describe_gauge!(
        NUMBERS_UNHEALTHY,
        "Numbers whose delivery health is under the unhealthy thresholds, over every company (each node reports the same total)."
    );
    describe_counter!(DEDUPE_PURGED, "Dedupe keys purged after their retention (outside day partitions).");
    describe_counter!(
        DEDUPE_PARTITIONS,
        "Day partitions of the dedupe keys created ahead and dropped after their retention."
    );
    describe_counter!(RETENTION_PURGED, "Records purged after their retention, by kind.");
    describe_gauge!(NUMBER_INDEX_SIZE, "Phone numbers in the in-memory owner index.");
    describe_counter!(ADMIN_AUTH_FAILURES, "Admin API requests refused for a missing or bad token, by outcome.");
    describe_counter!(
        COMPANY_LIMIT_REFUSALS,
        "Requests refused (429) because a company reached its limit, by kind (messages, calls, purchases)."
    );
    describe_counter!(
        COMPANY_CHANGES_APPLIED,
        "Company changes announced by the database (any node's writes) and applied here, by kind."
    );
    describe_gauge!(BUILD_INFO, "Build information; always 1.");
    describe_counter!(COMMIT_TIMEOUTS, "Webhooks answered 503 because their commit missed the deadline.");
    describe_counter!(WEBHOOK_OUTAGES, "Outages seen: webhook commits started failing (503) after succeeding.");
    describe_counter!(REPLAYS, "Replays of Telnyx's failed webhook deliveries, by trigger and outcome.");
    describe_histogram!(REPLAY_DURATION, Unit::Seconds, "Duration of one webhook replay, by trigger.");
    describe_counter!(REPLAY_RECORDS, "Webhook delivery records replayed, by outcome.");
    for spec in crate::telnyx::client::METRICS {
        match spec.kind {
            crate::telnyx::client::MetricKind::Counter => describe_counter!(spec.name, spec.help),
            crate::telnyx::client::MetricKind::Histogram => describe_histogram!(spec.name, Unit::Seconds, spec.help),
        }
    }
    describe_gauge!(OUTBOX_PENDING, "Outbox side effects waiting for delivery.");
    describe_counter!(OUTBOX_DELIVERED, "Outbox side effects delivered.");
    describe_counter!(
        OUTBOX_FAILED,
        "Outbox side effects given up, by kind and reason (exhausted, permanent, disabled)."
    );
    describe_counter!(OUTBOX_ATTEMPTS, "Outbox delivery attempts, by kind and outcome.");
    describe_counter!(FORWARD_ALTERNATE_MOVES, "Message forwards moved on to their next alternate URL, by reason.");
    describe_counter!(FORWARD_ENDPOINTS_DISABLED_TOTAL, "Forward endpoints disabled because they answered 410 Gone.");
    describe_gauge!(FORWARD_ENDPOINTS_DISABLED, "Forward endpoints disabled now (every company).");
    describe_counter!(CHAIN_STEPS_STARTED, "Call chain steps queued, by kind (transfer, dial).");
    describe_counter!(CHAIN_STEP_OUTCOMES, "Legs of call chain steps that ended, by outcome.");
    describe_counter!(CHAINS_EXHAUSTED, "Call chains whose every step failed, by the final action queued.");
    describe_counter!(VOICEMAILS, "Voicemails saved and queued for forwarding to the product, by outcome.");
}
