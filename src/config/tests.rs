use super::*;
use crate::domain::CountryCode;

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

#[test]
fn defaults_start_on_embedded_sqlite() {
    let s = Settings::load_with_env(None, env(&[])).unwrap();
    assert_eq!(s.database.backend, Backend::Sqlite);
    assert_eq!(s.database.url, "sqlite://./data/switchboard.db");
    assert_eq!(s.http.bind.to_string(), "127.0.0.1:8080");
    assert!(s.telnyx.public_key.is_none());
    assert!(s.telnyx.api_key.is_none());
    assert!(s.admin.operator_token.is_none());
    assert_eq!(s.telnyx.base_url.as_str(), "https://api.telnyx.com/v2");
    assert_eq!(s.telnyx.whitelisted_destinations, vec!["US", "CA"]);
    assert!(s.webhooks.verify_signatures);
    assert_eq!(s.webhooks.timestamp_tolerance_secs, 300);
}

#[test]
fn environment_overrides_the_documented_names() {
    let s = Settings::load_with_env(
        None,
        env(&[
            ("SWITCHBOARD__HTTP__BIND", "0.0.0.0:9000"),
            ("SWITCHBOARD__DATABASE__URL", "postgres://postgres@127.0.0.1:5432/x"),
            ("SWITCHBOARD__TELNYX__PUBLIC_KEY", "MCowBQYDK2VwAyEAAAAAAAAAAAAAAAAAAAAAAAAAAAA="),
            ("SWITCHBOARD__TELNYX__API_KEY", "KEY0123456789"),
            ("SWITCHBOARD__TELNYX__BASE_URL", "http://127.0.0.1:4010"),
            ("SWITCHBOARD__PUBLIC_BASE_URL", "https://sb.example.com"),
            ("SWITCHBOARD__ADMIN__OPERATOR_TOKEN", "operator-token-0123456789"),
            ("SWITCHBOARD__TELNYX__WHITELISTED_DESTINATIONS", "US,GB"),
            ("SWITCHBOARD__LEDGER__BATCH_SIZE", "64"),
        ]),
    );
    let s = match s {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(s.http.bind.to_string(), "0.0.0.0:9000");
    assert_eq!(s.database.backend, Backend::Postgres);
    assert!(s.telnyx.public_key.is_some());
    assert_eq!(s.telnyx.api_key.as_ref().unwrap().expose_secret(), "KEY0123456789");
    assert_eq!(s.telnyx.base_url.as_str(), "http://127.0.0.1:4010/");
    assert_eq!(s.public_base_url.unwrap().as_str(), "https://sb.example.com/");
    assert_eq!(s.telnyx.whitelisted_destinations, vec!["US", "GB"]);
    assert_eq!(s.ledger.batch_size, 64);
}

#[test]
fn bad_database_url_names_the_field() {
    let err = Settings::load_with_env(None, env(&[("SWITCHBOARD__DATABASE__URL", "mysql://x")])).unwrap_err();
    assert_eq!(err.problems.len(), 1, "{err}");
    assert!(err.problems[0].starts_with("database.url: unknown backend \"mysql\""), "{err}");
}

#[test]
fn every_bad_field_is_reported() {
    let err = Settings::load_with_env(
        None,
        env(&[
            ("SWITCHBOARD__TELNYX__PUBLIC_KEY", "not base64!"),
            ("SWITCHBOARD__TELNYX__BASE_URL", "ftp://x"),
            ("SWITCHBOARD__HTTP__BIND", "localhost"),
            ("SWITCHBOARD__LOG__FORMAT", "xml"),
        ]),
    )
    .unwrap_err();
    let text = err.to_string();
    for field in ["telnyx.public_key:", "telnyx.base_url:", "http.bind:", "log.format:"] {
        assert!(text.contains(field), "missing {field} in {text}");
    }
}

#[test]
fn public_key_must_be_32_bytes() {
    let err = Settings::load_with_env(None, env(&[("SWITCHBOARD__TELNYX__PUBLIC_KEY", "AAAA")])).unwrap_err();
    assert!(err.to_string().contains("decodes to 3 bytes"), "{err}");
}

#[test]
fn secrets_are_not_printed() {
    let s = Settings::load_with_env(
        None,
        env(&[
            ("SWITCHBOARD__TELNYX__API_KEY", "SUPERSECRETKEY"),
            ("SWITCHBOARD__ADMIN__OPERATOR_TOKEN", "SUPERSECRETTOKEN123"),
        ]),
    )
    .unwrap();
    let debug = format!("{s:?}");
    assert!(!debug.contains("SUPERSECRET"), "{debug}");
}

#[test]
fn config_file_layer_applies() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.toml");
    std::fs::write(&path, "[ledger]\nflush_interval_ms = 7\n").unwrap();
    let s = Settings::load_with_env(Some(&path), env(&[])).unwrap();
    assert_eq!(s.ledger.flush_interval_ms, 7);
    let missing = Settings::load_with_env(Some(&dir.path().join("nope.toml")), env(&[])).unwrap_err();
    assert!(missing.to_string().contains("does not exist"));
}

#[test]
fn replay_keys_have_defaults_environment_names_and_bounds() {
    let s = Settings::load_with_env(None, env(&[])).unwrap();
    assert!(s.replay.after_outage);
    assert_eq!((s.replay.margin_secs, s.replay.delay_secs), (300, 60));
    let s = Settings::load_with_env(
        None,
        env(&[("SWITCHBOARD__REPLAY__AFTER_OUTAGE", "false"), ("SWITCHBOARD__REPLAY__MARGIN_SECS", "30")]),
    )
    .unwrap();
    assert!(!s.replay.after_outage);
    assert_eq!(s.replay.margin_secs, 30);
    let e = Settings::load_with_env(
        None,
        env(&[("SWITCHBOARD__REPLAY__MARGIN_SECS", "100000"), ("SWITCHBOARD__REPLAY__DELAY_SECS", "7200")]),
    )
    .unwrap_err();
    assert_eq!(e.problems.len(), 2, "{e}");
    assert!(e.problems[0].starts_with("replay.margin_secs:") && e.problems[1].starts_with("replay.delay_secs:"), "{e}");
}

#[test]
fn ledger_flush_interval_defaults_to_one_ms_and_takes_zero() {
    let s = Settings::load_with_env(None, env(&[])).unwrap();
    assert_eq!(s.ledger.flush_interval_ms, 1);
    // 0: a batch is only what arrived during the lane's previous commit (src/ledger/batcher.rs).
    let s = Settings::load_with_env(None, env(&[("SWITCHBOARD__LEDGER__FLUSH_INTERVAL_MS", "0")])).unwrap();
    assert_eq!(s.ledger.flush_interval_ms, 0);
}

#[test]
fn database_url_password_is_redacted_in_debug() {
    let settings = DatabaseSettings {
        url: "postgres://app:s3cret-pass@db.internal:5432/switchboard".into(),
        backend: Backend::Postgres,
        max_connections: 4,
        acquire_timeout: Duration::from_secs(1),
        ping_after_idle: Duration::from_millis(500),
    };
    let shown = format!("{settings:?}");
    assert!(!shown.contains("s3cret-pass"), "{shown}");
    assert!(shown.contains("postgres://app:***@db.internal:5432/switchboard"), "{shown}");
    assert_eq!(redact_password("sqlite://./data/switchboard.db"), "sqlite://./data/switchboard.db");
}

#[test]
fn provisioning_and_transfer_keys_have_defaults() {
    let s = Settings::load_with_env(None, env(&[])).unwrap();
    assert_eq!(s.telnyx.number_country, CountryCode::US);
    assert_eq!(s.telnyx.outbound_voice_profile_id, None);
    assert_eq!(s.telnyx.failover_base_url, None);
    assert_eq!(s.routing.transfer_caller_id, TransferCallerId::Caller);
    assert_eq!(s.routing, RoutingSettings::default());
    assert_eq!(s.routing.transfer_timeout_secs, 30);
}

#[test]
fn provisioning_and_transfer_keys_from_the_environment() {
    let s = Settings::load_with_env(
        None,
        env(&[
            ("SWITCHBOARD__TELNYX__NUMBER_COUNTRY", "ca"),
            // All digits: must stay the same text (not become a number on the way).
            ("SWITCHBOARD__TELNYX__OUTBOUND_VOICE_PROFILE_ID", "1293384261075731499"),
            ("SWITCHBOARD__TELNYX__FAILOVER_BASE_URL", "https://failover.example.com/sb"),
            ("SWITCHBOARD__ROUTING__TRANSFER_CALLER_ID", "company_number"),
            ("SWITCHBOARD__ROUTING__TRANSFER_TIMEOUT_SECS", "45"),
        ]),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.routing.transfer_timeout_secs, 45);
    assert_eq!(s.telnyx.number_country, CountryCode::CA);
    assert_eq!(s.telnyx.outbound_voice_profile_id.as_deref(), Some("1293384261075731499"));
    assert_eq!(s.telnyx.failover_base_url.as_ref().map(Url::as_str), Some("https://failover.example.com/sb"));
    assert_eq!(s.routing.transfer_caller_id, TransferCallerId::CompanyNumber);
    assert_eq!(s.routing.transfer_caller_id.as_str(), "company_number");
    let shown = format!("{:?}", s.telnyx);
    assert!(shown.contains("CountryCode(CA)") && shown.contains("failover.example.com"), "{shown}");
}

#[test]
fn provisioning_and_transfer_keys_from_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.toml");
    std::fs::write(
        &path,
        "[telnyx]\nnumber_country = \"GB\"\noutbound_voice_profile_id = \"ovp-1\"\n\n\
         [routing]\ntransfer_caller_id = \"company_number\"\n",
    )
    .unwrap();
    let s = Settings::load_with_env(Some(&path), env(&[])).unwrap();
    assert_eq!(s.telnyx.number_country.as_str(), "GB");
    assert_eq!(s.telnyx.outbound_voice_profile_id.as_deref(), Some("ovp-1"));
    assert_eq!(s.routing.transfer_caller_id, TransferCallerId::CompanyNumber);
}

#[test]
fn bad_provisioning_and_transfer_keys_are_each_reported() {
    let err = Settings::load_with_env(
        None,
        env(&[
            ("SWITCHBOARD__TELNYX__NUMBER_COUNTRY", "USA"),
            ("SWITCHBOARD__TELNYX__OUTBOUND_VOICE_PROFILE_ID", "a b"),
            ("SWITCHBOARD__TELNYX__FAILOVER_BASE_URL", "ftp://failover.example.com"),
            ("SWITCHBOARD__ROUTING__TRANSFER_CALLER_ID", "callee"),
            ("SWITCHBOARD__ROUTING__TRANSFER_TIMEOUT_SECS", "4"),
        ]),
    )
    .unwrap_err();
    assert_eq!(err.problems.len(), 5, "{err}");
    for field in [
        "telnyx.number_country:",
        "telnyx.outbound_voice_profile_id:",
        "telnyx.failover_base_url:",
        "routing.transfer_caller_id:",
        "routing.transfer_timeout_secs:",
    ] {
        assert!(err.problems.iter().any(|p| p.starts_with(field)), "missing {field} in {err}");
    }
    // Blank optional keys read as unset.
    let s = Settings::load_with_env(
        None,
        env(&[("SWITCHBOARD__TELNYX__OUTBOUND_VOICE_PROFILE_ID", " "), ("SWITCHBOARD__TELNYX__FAILOVER_BASE_URL", "")]),
    )
    .unwrap();
    assert_eq!((s.telnyx.outbound_voice_profile_id, s.telnyx.failover_base_url), (None, None));
}

#[test]
fn blank_and_guessable_operator_tokens_are_refused() {
    for weak in
        ["                ", "aaaaaaaaaaaaaaaaaaaa", "1234123412341234", "short-token", "has spaces in the token!"]
    {
        let e = Settings::load_with_env(None, env(&[("SWITCHBOARD__ADMIN__OPERATOR_TOKEN", weak)]))
            .expect_err(weak)
            .to_string();
        assert!(e.contains("admin.operator_token"), "{weak:?}: {e}");
    }
    let ok = Settings::load_with_env(None, env(&[("SWITCHBOARD__ADMIN__OPERATOR_TOKEN", "Zq3-vP9x_Lm2Rt7Wk4Yb")]));
    assert!(ok.unwrap().admin.operator_token.is_some());
}

#[test]
fn forward_retry_schedule_defaults_to_svix_and_reads_milliseconds() {
    use std::time::Duration;
    let s = Settings::load_with_env(None, env(&[])).unwrap();
    let secs: Vec<u64> = s.forwards.retry_schedule.iter().map(Duration::as_secs).collect();
    assert_eq!(secs, [0, 5, 300, 1800, 7200, 18000, 36000, 36000]);
    assert_eq!((s.forwards.retry_jitter_percent, s.forwards.retry_after_max_secs), (10, 36000));
    let s = Settings::load_with_env(None, env(&[("SWITCHBOARD__FORWARDS__RETRY_SCHEDULE", "0ms,20ms,1s")])).unwrap();
    assert_eq!(s.forwards.retry_schedule, [Duration::ZERO, Duration::from_millis(20), Duration::from_secs(1)]);
    let e = Settings::load_with_env(
        None,
        env(&[
            ("SWITCHBOARD__FORWARDS__RETRY_SCHEDULE", "5s,soon,9000h"),
            ("SWITCHBOARD__FORWARDS__RETRY_JITTER_PERCENT", "80"),
        ]),
    )
    .unwrap_err();
    assert_eq!(e.problems.len(), 3, "{e}");
    assert!(e.problems[0].starts_with("forwards.retry_schedule:") && e.problems[0].contains("soon"), "{e}");
    assert!(e.problems[1].contains("longer than a week"), "{e}");
    assert!(e.problems[2].starts_with("forwards.retry_jitter_percent:"), "{e}");
}

#[test]
fn number_health_call_keys_have_defaults_and_each_bad_one_is_named() {
    let s = Settings::load_with_env(None, env(&[])).unwrap();
    assert_eq!(s.number_health, NumberHealthSettings::default(), "config/default.toml and Default agree");
    assert_eq!((s.number_health.short_call_secs, s.number_health.min_calls), (10, 20));
    let s = Settings::load_with_env(None, env(&[("SWITCHBOARD__NUMBER_HEALTH__SHORT_CALL_SECS", "5")])).unwrap();
    assert_eq!(s.number_health.short_call_secs, 5);

    let e = Settings::load_with_env(
        None,
        env(&[
            ("SWITCHBOARD__NUMBER_HEALTH__SHORT_CALL_SECS", "0"),
            ("SWITCHBOARD__NUMBER_HEALTH__MIN_CALLS", "0"),
            ("SWITCHBOARD__NUMBER_HEALTH__UNHEALTHY_SHORT_CALL_PCT", "100.5"),
        ]),
    )
    .unwrap_err();
    assert_eq!(e.problems.len(), 3, "{e}");
    assert!(e.problems[0].starts_with("number_health.unhealthy_short_call_pct: must be a percentage"), "{e}");
    assert!(e.problems[1].starts_with("number_health.short_call_secs:"), "{e}");
    assert!(e.problems[2].starts_with("number_health.min_calls:"), "{e}");

    let e = Settings::load_with_env(
        None,
        env(&[
            ("SWITCHBOARD__NUMBER_HEALTH__UNHEALTHY_ANSWERED_PCT", "40"),
            ("SWITCHBOARD__NUMBER_HEALTH__UNHEALTHY_SHORT_CALL_PCT", "40"),
        ]),
    )
    .unwrap_err();
    assert_eq!(e.problems.len(), 2, "{e}");
    assert!(e.problems[0].starts_with("number_health.unhealthy_answered_pct: must not be above"), "{e}");
    assert!(e.problems[1].starts_with("number_health.unhealthy_short_call_pct: must not be below"), "{e}");
}
