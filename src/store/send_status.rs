//! The vocabulary of the send queue: where a message stands, and whether it is an SMS or an MMS
//! (the names are stored and answered).
use serde::{Deserialize, Serialize};

/// Where a queued message stands. The names are stored and answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SendStatus {
    /// Waiting for its `send_at`, its limiters or its turn.
    Queued,
    /// A worker recorded the attempt and is calling Telnyx.
    Sending,
    /// Telnyx accepted it (and `message.sent` says it left for the carrier).
    Sent,
    Delivered,
    /// Telnyx refused it, or could not hand it to the carrier.
    SendingFailed,
    DeliveryFailed,
    DeliveryUnconfirmed,
    /// Not sent within its validity.
    Expired,
    /// The worker died (or lost the database) between recording the attempt and recording
    /// Telnyx's answer: the message may or may not have gone out. Never re-sent.
    Unknown,
}

impl SendStatus {
    pub const ALL: [SendStatus; 9] = [
        SendStatus::Queued,
        SendStatus::Sending,
        SendStatus::Sent,
        SendStatus::Delivered,
        SendStatus::SendingFailed,
        SendStatus::DeliveryFailed,
        SendStatus::DeliveryUnconfirmed,
        SendStatus::Expired,
        SendStatus::Unknown,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SendStatus::Queued => "queued",
            SendStatus::Sending => "sending",
            SendStatus::Sent => "sent",
            SendStatus::Delivered => "delivered",
            SendStatus::SendingFailed => "sending_failed",
            SendStatus::DeliveryFailed => "delivery_failed",
            SendStatus::DeliveryUnconfirmed => "delivery_unconfirmed",
            SendStatus::Expired => "expired",
            SendStatus::Unknown => "unknown",
        }
    }

    pub fn parse(s: &str) -> Option<SendStatus> {
        SendStatus::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// SMS or MMS: which account limiter a message passes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum MessageKind {
    Sms,
    Mms,
}

impl MessageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageKind::Sms => "sms",
            MessageKind::Mms => "mms",
        }
    }
}
