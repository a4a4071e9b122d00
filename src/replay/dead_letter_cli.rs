//! `switchboard dead-letters list|show|delete` against the configured database, and
//! `switchboard dead-letters redrive` through the running daemon (POST
//! /v1/dead-letters/{id}/redrive with the operator token): a re-drive needs the daemon's owner
//! index, company actors and ledger, so that it is routed and counted like any webhook.
use std::fmt::Write;
use std::time::Duration;

use anyhow::{bail, Context};
use chrono::{DateTime, SecondsFormat, Utc};
use secrecy::SecretString;
use url::Url;

use super::Redriven;
use crate::domain::PhoneNumber;
use crate::store::page::Window;
use crate::store::{DeadLetterFilter, DeadLetterRecord, DynStore, StoreError};

/// Most dead letters one `list` prints.
pub const MAX_LIST: i64 = 1000;

/// An RFC 3339 time from the command line.
pub fn parse_time(raw: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(raw.trim())
        .map(|t| t.to_utc())
        .map_err(|_| format!("{raw:?} is not an RFC 3339 time (e.g. 2026-11-25T10:00:00Z)"))
}

/// An E.164 number from the command line.
pub fn parse_number(raw: &str) -> Result<String, String> {
    PhoneNumber::parse(raw.trim()).map(|n| n.as_str().to_owned()).map_err(|e| e.to_string())
}

/// One line per dead letter, newest first, at most `limit` (1 to [`MAX_LIST`]).
pub async fn list(store: &DynStore, filter: &DeadLetterFilter, limit: i64) -> anyhow::Result<String> {
    if !(1..=MAX_LIST).contains(&limit) {
        bail!("--limit must be from 1 to {MAX_LIST}");
    }
    let rows = store.page_dead_letters(filter, &Window::first(limit)).await?;
    let mut out = String::new();
    for d in &rows {
        let _ = writeln!(out, "{}", line(d));
    }
    let _ = writeln!(out, "{} dead letter(s)", rows.len());
    Ok(out)
}

fn line(d: &DeadLetterRecord) -> String {
    let t = |t: DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Secs, true);
    let redriven = match (&d.redriven_at, &d.redrive_outcome) {
        (Some(at), Some(outcome)) => format!("\tre-driven {} {outcome}", t(*at)),
        _ => String::new(),
    };
    format!(
        "{}\t{}\t{}\t{}\t{}\t{}{redriven}",
        d.id,
        t(d.received_at),
        d.event_type,
        d.reason,
        d.phone_number.as_deref().unwrap_or("-"),
        d.event_id
    )
}

/// The dead letter with its payload, as JSON.
pub async fn show(store: &DynStore, id: i64) -> anyhow::Result<String> {
    let d = store.get_dead_letter(id).await.map_err(|e| missing(e, id))?;
    Ok(serde_json::to_string_pretty(&d)? + "\n")
}

pub async fn delete(store: &DynStore, id: i64) -> anyhow::Result<String> {
    store.delete_dead_letter(id).await.map_err(|e| missing(e, id))?;
    Ok(format!("deleted dead letter {id}\n"))
}

fn missing(e: StoreError, id: i64) -> anyhow::Error {
    match e {
        StoreError::NotFound => anyhow::anyhow!("no dead letter {id}"),
        other => other.into(),
    }
}

/// Asks the daemon at `daemon` to re-drive dead letter `id`; its answer as text.
pub async fn redrive(daemon: &Url, token: Option<&SecretString>, id: i64) -> anyhow::Result<String> {
    let Some(token) = token else {
        bail!("admin.operator_token is not configured (SWITCHBOARD__ADMIN__OPERATOR_TOKEN); re-driving needs it")
    };
    let url = daemon.join(&format!("v1/dead-letters/{id}/redrive")).context("--url")?;
    let body = super::cli::post_as_operator(url, token, None, Some(Duration::from_secs(60)), "re-drive").await?;
    let done: Redriven = serde_json::from_str(&body).context("the daemon's answer is not a re-drive")?;
    Ok(format!("dead letter {} (event {}): {}\n", done.id, done.event_id, done.outcome))
}
