//! Building outbox items from a routing decision, so the company actor never formats payloads.
//! Ids are derived from (company, event id, kind, destination) and call command ids from the event
//! id, so a redelivered event produces byte-identical items that the outbox's key absorbs, while a
//! message to two numbers that route to two destinations makes one item for each.
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::outbox_item::{OutboxItem, OutboxKind};
use crate::domain::{CompanyId, PhoneNumber};
use crate::routing::{MessageRoute, RoutingDecision};
use crate::telnyx::client_state::LegState;

/// Namespace of switchboard's UUID v5 ids (outbox ids and call command ids).
pub(super) const NAMESPACE: Uuid = Uuid::from_u128(0x5b0a_7d1e_6a2c_4f59_9c3e_0e6f_2d8b_41a7);

/// The parts of an inbound message the product's backend needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ForwardedMessage {
    /// The customer (E.164, short code or alphanumeric sender).
    pub from: String,
    /// The company number that received it.
    pub to: String,
    pub text: String,
    #[serde(default)]
    pub media_urls: Vec<String>,
    /// `SMS` or `MMS`.
    #[serde(rename = "type")]
    pub message_type: String,
}

/// The body POSTed to a message destination.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ForwardBody<'a> {
    pub event_id: &'a str,
    pub event_type: &'a str,
    #[schema(value_type = String, format = Uuid)]
    pub company_id: CompanyId,
    pub occurred_at: DateTime<Utc>,
    pub message: &'a ForwardedMessage,
    pub decision: &'a RoutingDecision,
}

/// Parameters of a call command item: what the command sends, as stored in the outbox (fields
/// added later default, so items queued by an older version still deliver).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallCommand {
    /// Transfer target (absent for answer and hangup).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    pub command_id: String,
    /// Transfer: the caller ID the target sees (E.164).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// Transfer: how long the target rings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_secs: Option<u16>,
    /// Base64 `client_state` for the commanded leg's later webhooks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_state: Option<String>,
    /// Transfer: base64 `client_state` for the new leg's webhooks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_leg_client_state: Option<String>,
    /// Dial of a ring group: the targets rung together.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub targets: Option<Vec<String>>,
    /// Dial of a ring group: the Call Control application, and the caller's leg it bridges to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link_to: Option<String>,
    /// Speak: the text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Transfer or dial of a chain step: answering machine detection on the new legs.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub machine_detection: bool,
}

/// A transfer of an answered inbound call (see [`OutboxItem::call_transfer`]).
#[derive(Debug, Clone, Copy)]
pub struct Transfer<'a> {
    /// An E.164 number or a SIP URI.
    pub to: &'a str,
    /// The caller ID the target sees; `None`: Telnyx shows the number the customer called.
    pub from: Option<&'a PhoneNumber>,
    pub timeout_secs: u16,
    /// Marks both legs as switchboard's: the caller's leg (`client_state`) and the new leg
    /// (`target_leg_client_state`), whose `call.initiated` must not count as the company's call.
    pub leg_state: &'a LegState,
}

/// The command_id of the call command an event causes: the same for every delivery of the event.
pub fn command_id_for(event_id: &str) -> Uuid {
    Uuid::new_v5(&NAMESPACE, format!("command:{event_id}").as_bytes())
}

/// One item per (company, event, kind, destination). The event id is length-prefixed so that no
/// (event id, destination) pair can spell another's.
pub(super) fn item_id(company: CompanyId, event_id: &str, kind: OutboxKind, destination: &str) -> Uuid {
    let name = format!("outbox:{company}:{}:{}:{event_id}:{destination}", kind.as_str(), event_id.len());
    Uuid::new_v5(&NAMESPACE, name.as_bytes())
}

/// `id` with its first 48 bits replaced by `occurred_at` in Unix milliseconds (the layout of a
/// UUIDv7; version 8, since the rest is a name's hash, not random).
fn time_prefixed(id: Uuid, occurred_at: DateTime<Utc>) -> Uuid {
    let ms = occurred_at.timestamp_millis().clamp(0, (1 << 48) - 1) as u64;
    let mut bytes = *id.as_bytes();
    bytes[..6].copy_from_slice(&ms.to_be_bytes()[2..]);
    uuid::Builder::from_custom_bytes(bytes).into_uuid()
}

impl OutboxItem {
    /// Keys an event's own item in the order of the event's `occurred_at` (Telnyx's, the same on
    /// every delivery, so the id stays the same too): the outbox's key index then grows at its end,
    /// as it does for a sequence, instead of at a random page. With days of delivered items kept,
    /// random ids made each insert and each delivered mark touch a page of a large index
    /// (docs/BENCHMARKS.md, seventh session). An event without `occurred_at` keeps the name-based
    /// id. Not for a chain's items: several events name those alike.
    pub fn in_time_order(mut self, occurred_at: Option<DateTime<Utc>>) -> OutboxItem {
        if let Some(at) = occurred_at {
            self.id = time_prefixed(self.id, at);
        }
        self
    }

    /// POST the message and its decision to `destination`'s URL, signed with the company's
    /// secret; its alternates, in order, when that URL gives out (the item is keyed by the primary).
    pub fn forward_message(
        company: CompanyId,
        event_id: &str,
        event_type: &str,
        occurred_at: DateTime<Utc>,
        message: &ForwardedMessage,
        decision: &RoutingDecision,
        destination: impl Into<MessageRoute>,
    ) -> OutboxItem {
        let route: MessageRoute = destination.into();
        let body = ForwardBody { event_id, event_type, company_id: company, occurred_at, message, decision };
        OutboxItem {
            id: item_id(company, event_id, OutboxKind::ForwardMessage, route.as_str()),
            company_id: company,
            event_id: event_id.to_owned(),
            kind: OutboxKind::ForwardMessage,
            destination: route.as_str().to_owned(),
            payload: serde_json::to_string(&body).expect("the forward body serializes"),
            alternates: route.alternates().iter().map(|a| a.as_str().to_owned()).collect(),
        }
    }

    /// Answer the inbound call `call_control_id` (parked until answered: Telnyx refuses any other
    /// command but hangup), with `leg_state` as its `client_state`, which its `call.answered`
    /// brings back.
    pub fn call_answer(company: CompanyId, event_id: &str, call_control_id: &str, leg_state: &LegState) -> OutboxItem {
        let command = CallCommand {
            command_id: command_id_for(event_id).to_string(),
            client_state: Some(leg_state.client_state().as_str().to_owned()),
            ..CallCommand::default()
        };
        Self::call_command(company, event_id, call_control_id, OutboxKind::CallAnswer, &command)
    }

    /// Transfer the answered call `call_control_id`; `event_id` is its `call.answered`'s.
    pub fn call_transfer(company: CompanyId, event_id: &str, call_control_id: &str, t: &Transfer<'_>) -> OutboxItem {
        let state = t.leg_state.client_state().as_str().to_owned();
        let command = CallCommand {
            to: Some(t.to.to_owned()),
            command_id: command_id_for(event_id).to_string(),
            from: t.from.map(|f| f.as_str().to_owned()),
            timeout_secs: Some(t.timeout_secs),
            client_state: Some(state.clone()),
            target_leg_client_state: Some(state),
            ..CallCommand::default()
        };
        Self::call_command(company, event_id, call_control_id, OutboxKind::CallTransfer, &command)
    }

    /// Hang the call up (the company's unrouted policy).
    pub fn call_hangup(company: CompanyId, event_id: &str, call_control_id: &str) -> OutboxItem {
        let command = CallCommand { command_id: command_id_for(event_id).to_string(), ..CallCommand::default() };
        Self::call_command(company, event_id, call_control_id, OutboxKind::CallHangup, &command)
    }

    pub(super) fn call_command(
        company: CompanyId,
        event_id: &str,
        call_control_id: &str,
        kind: OutboxKind,
        command: &CallCommand,
    ) -> OutboxItem {
        OutboxItem {
            id: item_id(company, event_id, kind, call_control_id),
            company_id: company,
            event_id: event_id.to_owned(),
            kind,
            destination: call_control_id.to_owned(),
            payload: serde_json::to_string(command).expect("a call command serializes"),
            alternates: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::PhoneNumber;
    use crate::routing::{MatchedRule, MessageDestination, RoutingDecision};

    fn decision() -> RoutingDecision {
        RoutingDecision {
            destination: None,
            matched: MatchedRule::Unrouted,
            via_assignment: None,
            effective_number: PhoneNumber::parse("+18314280176").unwrap(),
            trace: vec![],
        }
    }

    #[test]
    fn an_events_items_are_keyed_in_time_order_and_the_same_on_every_delivery() {
        let co = CompanyId::new();
        let at = |ms: i64| DateTime::<Utc>::from_timestamp_millis(ms);
        let hangup =
            |event: &str, when: Option<DateTime<Utc>>| OutboxItem::call_hangup(co, event, "cc-1").in_time_order(when);
        let first = hangup("ev-1", at(1_764_547_200_000));
        assert_eq!(first.id, hangup("ev-1", at(1_764_547_200_000)).id, "a redelivery names the same item");
        assert_eq!(&first.id.as_bytes()[..6], &1_764_547_200_000u64.to_be_bytes()[2..]);
        assert_eq!(first.id.get_version_num(), 8);
        assert_eq!(first.id.get_variant(), uuid::Variant::RFC4122);
        // A later event sorts after, whatever its name; two events of one millisecond differ.
        let later = hangup("a-later-event", at(1_764_547_200_001));
        assert!(later.id > first.id);
        assert_ne!(hangup("ev-2", at(1_764_547_200_000)).id, first.id);
        // Without occurred_at the id is the name-based one.
        assert_eq!(hangup("ev-1", None).id, OutboxItem::call_hangup(co, "ev-1", "cc-1").id);
    }

    #[test]
    fn redeliveries_build_identical_items() {
        let co = CompanyId::new();
        let state = LegState::Transfer { company: co, event_id: "ev-0".into(), step: 0 };
        let caller = PhoneNumber::parse("+13035550100").unwrap();
        let t = Transfer { to: "sip:sales@pbx.example.com", from: Some(&caller), timeout_secs: 25, leg_state: &state };
        let a = OutboxItem::call_transfer(co, "ev-1", "cc-1", &t);
        let b = OutboxItem::call_transfer(co, "ev-1", "cc-1", &t);
        assert_eq!(a, b);
        let cmd: CallCommand = serde_json::from_str(&a.payload).unwrap();
        assert_eq!(cmd.to.as_deref(), Some("sip:sales@pbx.example.com"));
        assert_eq!(cmd.command_id, command_id_for("ev-1").to_string());
        assert_eq!((cmd.from.as_deref(), cmd.timeout_secs), (Some("+13035550100"), Some(25)));
        let wire = state.client_state();
        assert_eq!(cmd.client_state.as_deref(), Some(wire.as_str()));
        assert_eq!(cmd.target_leg_client_state.as_deref(), Some(wire.as_str()));
        assert_ne!(command_id_for("ev-1"), command_id_for("ev-2"));
        assert_ne!(a.id, OutboxItem::call_hangup(co, "ev-1", "cc-1").id);
        assert_ne!(a.id, OutboxItem::call_answer(co, "ev-1", "cc-1", &state).id);
    }

    #[test]
    fn a_call_command_queued_before_the_new_fields_still_reads() {
        let cmd: CallCommand = serde_json::from_str(r#"{"to":"+16505555678","command_id":"c-1"}"#).unwrap();
        assert_eq!(cmd.to.as_deref(), Some("+16505555678"));
        assert_eq!((cmd.from, cmd.timeout_secs, cmd.client_state), (None, None, None));
        let hangup = serde_json::to_value(CallCommand { command_id: "c-2".into(), ..CallCommand::default() }).unwrap();
        assert_eq!(hangup, serde_json::json!({"command_id": "c-2"}));
    }

    #[test]
    fn one_forward_per_destination() {
        let msg = ForwardedMessage {
            from: "+14155550100".into(),
            to: "+18314280176".into(),
            text: "hi".into(),
            media_urls: vec![],
            message_type: "SMS".into(),
        };
        let co = CompanyId::new();
        let forward = |event: &str, url: &str| {
            let dest = MessageDestination::parse(url).unwrap();
            OutboxItem::forward_message(co, event, "message.received", Utc::now(), &msg, &decision(), &dest).id
        };
        let (sales, support) = ("https://crm.example.com/hooks/sales", "https://crm.example.com/hooks/support");
        assert_eq!(forward("ev-1", sales), forward("ev-1", sales));
        assert_ne!(forward("ev-1", sales), forward("ev-1", support));
        assert_ne!(forward("ev-1", sales), forward("ev-2", sales));
        // The event id's length is part of the key: ("a:b", "c") and ("a", "b:c") differ.
        assert_ne!(item_id(co, "ev:1", OutboxKind::CallHangup, "x"), item_id(co, "ev", OutboxKind::CallHangup, "1:x"));
    }

    #[test]
    fn forward_payload_has_the_documented_keys() {
        let msg = ForwardedMessage {
            from: "+14155550100".into(),
            to: "+18314280176".into(),
            text: "hi".into(),
            media_urls: vec![],
            message_type: "SMS".into(),
        };
        let dest = MessageDestination::parse("https://crm.example.com/hooks/sales").unwrap();
        let item = OutboxItem::forward_message(
            CompanyId::new(),
            "ev-1",
            "message.received",
            Utc::now(),
            &msg,
            &decision(),
            &dest,
        );
        let v: serde_json::Value = serde_json::from_str(&item.payload).unwrap();
        for key in ["event_id", "event_type", "company_id", "occurred_at", "message", "decision"] {
            assert!(v.get(key).is_some(), "{key} missing in {v}");
        }
        assert_eq!(v["message"]["type"], "SMS");
        assert_eq!(item.destination, "https://crm.example.com/hooks/sales");
    }
}
