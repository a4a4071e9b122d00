//! One side effect to deliver, as stored in the `outbox` table.
use uuid::Uuid;

use crate::domain::CompanyId;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutboxKind {
    /// POST the event and its decision to the company's message destination (Standard Webhooks).
    ForwardMessage,
    /// Telnyx Call Control answer of a routed inbound call (command_id from its call.initiated).
    CallAnswer,
    /// Telnyx Call Control transfer to the decided destination (command_id from the answered
    /// leg's call.answered).
    CallTransfer,
    /// Telnyx Call Control hangup (the company's "unrouted" policy, a chain's final action).
    CallHangup,
    /// Telnyx dial (POST /calls) of a chain step's targets together, bridged to the caller's
    /// leg on answer.
    CallDial,
    /// Telnyx Call Control speak (a chain's announcement or voicemail greeting).
    CallSpeak,
    /// Telnyx Call Control record_start (a chain's voicemail).
    CallRecordStart,
    /// POST a queued message's status change to the company's status URL (signed like a message
    /// forward; queued by the status change itself, in SQL: `store::status_sql`).
    MessageStatus,
}

impl OutboxKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OutboxKind::ForwardMessage => "forward_message",
            OutboxKind::CallAnswer => "call_answer",
            OutboxKind::CallTransfer => "call_transfer",
            OutboxKind::CallHangup => "call_hangup",
            OutboxKind::CallDial => "call_dial",
            OutboxKind::CallSpeak => "call_speak",
            OutboxKind::CallRecordStart => "call_record_start",
            OutboxKind::MessageStatus => "message_status",
        }
    }

    /// A signed POST to a company's URL (a message forward or a status forward), as opposed to a
    /// Telnyx call command.
    pub fn is_forward(self) -> bool {
        matches!(self, OutboxKind::ForwardMessage | OutboxKind::MessageStatus)
    }

    /// The forward kinds ([`OutboxKind::is_forward`]) as an SQL list, for `kind IN ...`.
    pub(crate) const FORWARDS_SQL: &'static str = "('forward_message', 'message_status')";

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "forward_message" => Some(OutboxKind::ForwardMessage),
            "call_answer" => Some(OutboxKind::CallAnswer),
            "call_transfer" => Some(OutboxKind::CallTransfer),
            "call_hangup" => Some(OutboxKind::CallHangup),
            "call_dial" => Some(OutboxKind::CallDial),
            "call_speak" => Some(OutboxKind::CallSpeak),
            "call_record_start" => Some(OutboxKind::CallRecordStart),
            "message_status" => Some(OutboxKind::MessageStatus),
            _ => None,
        }
    }
}

/// Keyed by (company, event id, kind, destination): a redelivered event cannot queue its effect
/// twice, and each destination an event routes to gets it once.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxItem {
    pub id: Uuid,
    pub company_id: CompanyId,
    pub event_id: String,
    pub kind: OutboxKind,
    /// A URL (forwards) or a call_control_id (call commands).
    pub destination: String,
    /// JSON: the forward body, or the command's parameters.
    pub payload: String,
    /// A forward's alternate URLs, in order, tried after `destination` (empty for call commands).
    pub alternates: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::OutboxKind;

    #[test]
    fn the_sql_list_of_forward_kinds_is_the_forwards() {
        let kinds = [
            "forward_message",
            "call_answer",
            "call_transfer",
            "call_hangup",
            "call_dial",
            "call_speak",
            "call_record_start",
            "message_status",
        ];
        for name in kinds {
            let kind = OutboxKind::parse(name).expect("a kind");
            assert_eq!(kind.as_str(), name);
            let listed = OutboxKind::FORWARDS_SQL.contains(&format!("'{name}'"));
            assert_eq!(listed, kind.is_forward(), "{name}");
        }
    }
}
