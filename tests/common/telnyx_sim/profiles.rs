//! Messaging profiles, outbound voice profiles and Call Control applications: create, list (with
//! the name filters of each), get, update, delete. Each keeps everything it was sent (so a test can
//! assert on `webhook_url`, `webhook_event_failover_url`, `outbound.outbound_voice_profile_id`,
//! ...) over Telnyx's defaults; their webhook URLs decide where message and call events go.
use serde_json::{json, Value};

use super::reply::{self, Reply};
use super::Query;

/// The three kinds of resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    MessagingProfile,
    OutboundVoiceProfile,
    CallControlApplication,
}

impl Kind {
    /// The kind served under `/<collection>`.
    pub fn from_collection(collection: &str) -> Option<Kind> {
        match collection {
            "messaging_profiles" => Some(Kind::MessagingProfile),
            "outbound_voice_profiles" => Some(Kind::OutboundVoiceProfile),
            "call_control_applications" => Some(Kind::CallControlApplication),
            _ => None,
        }
    }

    fn record_type(self) -> &'static str {
        match self {
            Kind::MessagingProfile => "messaging_profile",
            Kind::OutboundVoiceProfile => "outbound_voice_profile",
            Kind::CallControlApplication => "call_control_application",
        }
    }

    fn name_field(self) -> &'static str {
        match self {
            Kind::CallControlApplication => "application_name",
            _ => "name",
        }
    }

    /// Telnyx's values for what a create request leaves out.
    fn defaults(self) -> Value {
        match self {
            Kind::MessagingProfile => json!({
                "enabled": true,
                "webhook_api_version": "2",
                "webhook_url": null,
                "webhook_failover_url": null,
                "whitelisted_destinations": [],
            }),
            Kind::OutboundVoiceProfile => json!({
                "enabled": true,
                "traffic_type": "conversational",
                "service_plan": "global",
                "usage_payment_method": "rate-deck",
                "concurrent_call_limit": null,
                "connections_count": 0,
                "tags": [],
                "whitelisted_destinations": ["US"],
            }),
            Kind::CallControlApplication => json!({
                "active": true,
                "anchorsite_override": "Latency",
                "dtmf_type": "RFC 2833",
                "first_command_timeout": false,
                "first_command_timeout_secs": 30,
                "webhook_api_version": "1",
                "webhook_event_failover_url": null,
                "webhook_timeout_secs": null,
                "inbound": {},
                "outbound": {},
                "tags": [],
            }),
        }
    }
}

/// Every profile and application of the account, in creation order.
#[derive(Debug, Default)]
pub struct Profiles {
    items: Vec<(Kind, Value)>,
    next_id: u64,
}

impl Profiles {
    /// Creates a resource from `body` (Telnyx answers 201 for applications, 200 otherwise).
    pub fn create(&mut self, kind: Kind, body: &Value) -> Reply {
        let mut obj = kind.defaults();
        merge(&mut obj, body);
        self.next_id += 1;
        let id = match kind {
            Kind::MessagingProfile => uuid::Uuid::new_v4().to_string(),
            _ => format!("{}", 1_494_404_757_140_276_000u64 + self.next_id),
        };
        let now = super::webhooks::now_rfc3339();
        obj["id"] = json!(id);
        obj["record_type"] = json!(kind.record_type());
        obj["created_at"] = json!(now);
        obj["updated_at"] = json!(now);
        self.items.push((kind, obj.clone()));
        match kind {
            Kind::CallControlApplication => Reply::created(obj),
            _ => Reply::data(obj),
        }
    }

    /// Lists one kind, filtered by name: `filter[name]` / `filter[name][eq]` (exact),
    /// `filter[name][contains]` and `filter[application_name][contains]` (case-insensitive).
    pub fn list(&self, kind: Kind, q: &Query) -> Reply {
        let field = kind.name_field();
        let exact = q.get("filter[name]").or(q.get("filter[name][eq]"));
        let contains = q.get("filter[name][contains]").or(q.get("filter[application_name][contains]"));
        let matching: Vec<&Value> = self
            .all(kind)
            .filter(|v| {
                let name = v[field].as_str().unwrap_or_default();
                exact.is_none_or(|e| name == e)
                    && contains.is_none_or(|c| name.to_lowercase().contains(&c.to_lowercase()))
            })
            .collect();
        let page = q.get("page[number]").and_then(|p| p.parse::<usize>().ok()).unwrap_or(1).max(1);
        let size = q.get("page[size]").and_then(|p| p.parse::<usize>().ok()).unwrap_or(20).clamp(1, 250);
        let data: Vec<Value> = matching.iter().skip((page - 1) * size).map(|v| (*v).clone()).take(size).collect();
        let mut reply = Reply::data(Value::Array(data));
        reply.body["meta"] = json!({
            "page_number": page,
            "page_size": size,
            "total_pages": matching.len().div_ceil(size),
            "total_results": matching.len(),
        });
        reply
    }

    pub fn get(&self, kind: Kind, id: &str) -> Reply {
        match self.find(kind, id) {
            Some(v) => Reply::data(v.clone()),
            None => Reply::error(404, &reply::NOT_FOUND),
        }
    }

    /// PATCH: fields sent replace stored ones (objects such as `outbound` are merged).
    pub fn update(&mut self, kind: Kind, id: &str, body: &Value) -> Reply {
        let Some((_, obj)) = self.items.iter_mut().find(|(k, v)| *k == kind && v["id"] == id) else {
            return Reply::error(404, &reply::NOT_FOUND);
        };
        merge(obj, body);
        obj["updated_at"] = json!(super::webhooks::now_rfc3339());
        Reply::data(obj.clone())
    }

    pub fn delete(&mut self, kind: Kind, id: &str) -> Reply {
        match self.items.iter().position(|(k, v)| *k == kind && v["id"] == id) {
            Some(pos) => Reply::data(self.items.remove(pos).1),
            None => Reply::error(404, &reply::NOT_FOUND),
        }
    }

    /// Every resource of a kind, as Telnyx would return it.
    pub fn all(&self, kind: Kind) -> impl Iterator<Item = &Value> {
        self.items.iter().filter(move |(k, _)| *k == kind).map(|(_, v)| v)
    }

    pub fn find(&self, kind: Kind, id: &str) -> Option<&Value> {
        self.all(kind).find(|v| v["id"] == id)
    }

    /// The primary and failover URL of a Call Control application's call events.
    pub fn call_webhooks(&self, connection_id: &str) -> (Option<String>, Option<String>) {
        self.urls(Kind::CallControlApplication, connection_id, "webhook_event_url", "webhook_event_failover_url")
    }

    /// The primary and failover URL of a messaging profile's message events.
    pub fn message_webhooks(&self, profile_id: &str) -> (Option<String>, Option<String>) {
        self.urls(Kind::MessagingProfile, profile_id, "webhook_url", "webhook_failover_url")
    }

    fn urls(&self, kind: Kind, id: &str, primary: &str, failover: &str) -> (Option<String>, Option<String>) {
        let Some(v) = self.find(kind, id) else { return (None, None) };
        let url = |k: &str| v[k].as_str().filter(|s| !s.is_empty()).map(str::to_owned);
        (url(primary), url(failover))
    }
}

/// Copies `patch` over `target`, merging nested objects.
fn merge(target: &mut Value, patch: &Value) {
    let (Some(t), Some(p)) = (target.as_object_mut(), patch.as_object()) else { return };
    for (k, v) in p {
        match (t.get_mut(k), v) {
            (Some(existing @ Value::Object(_)), Value::Object(_)) => merge(existing, v),
            _ => {
                t.insert(k.clone(), v.clone());
            }
        }
    }
}
