//! GET /webhook_deliveries: Telnyx's record of the webhooks it sent, built from the simulator's
//! own delivery log (one record per event, its attempts most recent first), filtered by
//! `filter[status][eq]`, `filter[event_type]`, `filter[started_at][gte|lte]`, paged.
use chrono::{DateTime, TimeZone, Utc};
use serde_json::{json, Value};

use super::reply::Reply;
use super::routes::Query;
use super::webhooks::Delivery;

/// One page of delivery records.
pub fn list(deliveries: &[Delivery], q: &Query) -> Reply {
    let mut events: Vec<&str> = Vec::new();
    for d in deliveries.iter().filter(|d| d.attempt > 0) {
        if !events.contains(&d.event_id.as_str()) {
            events.push(&d.event_id);
        }
    }
    let time = |k: &str| q.get(k).and_then(|t| DateTime::parse_from_rfc3339(t).ok()).map(|t| t.with_timezone(&Utc));
    let (gte, lte) = (time("filter[started_at][gte]"), time("filter[started_at][lte]"));
    let records: Vec<Value> = events
        .iter()
        .map(|id| record(&deliveries.iter().filter(|d| d.event_id == *id).collect::<Vec<_>>()))
        .filter(|r| q.get("filter[status][eq]").is_none_or(|s| r["status"] == s))
        .filter(|r| q.get("filter[event_type]").is_none_or(|t| r["webhook"]["event_type"] == t))
        .filter(|r| {
            let started = r["started_at"].as_str().and_then(|t| DateTime::parse_from_rfc3339(t).ok());
            let started = started.map(|t| t.with_timezone(&Utc));
            gte.is_none_or(|g| started.is_some_and(|s| s >= g)) && lte.is_none_or(|l| started.is_some_and(|s| s <= l))
        })
        .collect();
    let page = q.get("page[number]").and_then(|p| p.parse::<usize>().ok()).unwrap_or(1).max(1);
    let size = q.get("page[size]").and_then(|p| p.parse::<usize>().ok()).unwrap_or(20).clamp(1, 250);
    let data: Vec<Value> = records.iter().skip((page - 1) * size).take(size).cloned().collect();
    let mut reply = Reply::data(Value::Array(data));
    reply.body["meta"] = json!({
        "page_number": page,
        "page_size": size,
        "total_pages": records.len().div_ceil(size),
        "total_results": records.len(),
    });
    reply
}

/// Schema `webhook_delivery` for the attempts of one event (in order).
fn record(attempts: &[&Delivery]) -> Value {
    let at = |d: &Delivery| {
        let secs = d.timestamp.parse::<i64>().unwrap_or_default();
        Utc.timestamp_opt(secs, 0).single().unwrap_or_default().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
    };
    let delivered = attempts.iter().any(|d| d.accepted());
    let first = attempts.first().expect("at least one attempt");
    let last = attempts.last().expect("at least one attempt");
    let tries: Vec<Value> = attempts
        .iter()
        .rev()
        .map(|d| {
            json!({
                "status": if d.accepted() { "delivered" } else { "failed" },
                "started_at": at(d),
                "finished_at": at(d),
                "http": {
                    "request": { "url": d.url, "headers": [] },
                    "response": { "status": d.status.unwrap_or(0), "headers": [], "body": "" },
                },
            })
        })
        .collect();
    json!({
        "id": first.event_id,
        "record_type": "webhook_delivery",
        "status": if delivered { "delivered" } else { "failed" },
        "started_at": at(first),
        "finished_at": at(last),
        "attempts": tries,
        "webhook": first.json()["data"],
    })
}
