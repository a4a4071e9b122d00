//! Typed `data.payload` shapes: only the fields switchboard uses.
//!
//! Unknown fields are ignored and fields we do not declare can change type
//! freely. Strings borrow from the request body unless they contain escapes.
//! Phone numbers stay raw text (short codes, alphanumeric senders, SIP URIs).

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, IgnoredAny, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

/// `payload.from` / `payload.to[]` / `payload.cc[]` of a message event.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct MessageParty<'a> {
    #[serde(borrow)]
    pub phone_number: Cow<'a, str>,
}

/// `payload.to[]` of `message.finalized`, with the per-recipient status.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DeliveryRecipient<'a> {
    #[serde(borrow)]
    pub phone_number: Cow<'a, str>,
    /// queued, sending, sent, expired, sending_failed, delivery_unconfirmed,
    /// delivered, delivery_failed (kept as text: the set grows).
    #[serde(borrow, default, deserialize_with = "borrowed_opt")]
    pub status: Option<Cow<'a, str>>,
}

/// `payload.type` of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum MessageType {
    #[serde(rename = "SMS")]
    Sms,
    #[serde(rename = "MMS")]
    Mms,
    /// A type Telnyx added later; still a message.
    #[serde(other)]
    Other,
}

/// `message.received`: an inbound SMS/MMS.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct MessageReceived<'a> {
    /// The message id (`payload.id`), not the event id.
    #[serde(borrow, rename = "id")]
    pub message_id: Cow<'a, str>,
    #[serde(borrow)]
    pub from: MessageParty<'a>,
    #[serde(borrow, deserialize_with = "null_as_empty")]
    pub to: Vec<MessageParty<'a>>,
    #[serde(borrow, default, deserialize_with = "null_as_empty")]
    pub cc: Vec<MessageParty<'a>>,
    #[serde(borrow, default, deserialize_with = "borrowed_opt")]
    pub text: Option<Cow<'a, str>>,
    #[serde(default, rename = "type")]
    pub message_type: Option<MessageType>,
    /// Number of `payload.media[]` items (their contents are not read).
    #[serde(default, rename = "media", deserialize_with = "count_items")]
    pub media_count: usize,
}

/// `message.sent`: handed to the carrier.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct MessageSent<'a> {
    #[serde(borrow, rename = "id")]
    pub message_id: Cow<'a, str>,
    #[serde(borrow)]
    pub from: MessageParty<'a>,
    #[serde(borrow, deserialize_with = "null_as_empty")]
    pub to: Vec<MessageParty<'a>>,
}

/// `message.finalized`: terminal delivery state per recipient.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct MessageFinalized<'a> {
    #[serde(borrow, rename = "id")]
    pub message_id: Cow<'a, str>,
    #[serde(borrow)]
    pub from: MessageParty<'a>,
    #[serde(borrow, deserialize_with = "null_as_empty")]
    pub to: Vec<DeliveryRecipient<'a>>,
}

/// `payload.direction` of `call.initiated` (the only call event that has it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CallDirection {
    Incoming,
    Outgoing,
}

/// `call.initiated`. `from`/`to` are plain strings (E.164 or SIP URI).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CallInitiated<'a> {
    #[serde(borrow)]
    pub call_control_id: Cow<'a, str>,
    #[serde(borrow)]
    pub call_leg_id: Cow<'a, str>,
    #[serde(borrow)]
    pub from: Cow<'a, str>,
    #[serde(borrow)]
    pub to: Cow<'a, str>,
    pub direction: CallDirection,
    #[serde(borrow, default, deserialize_with = "borrowed_opt")]
    pub client_state: Option<Cow<'a, str>>,
}

/// `call.answered`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CallAnswered<'a> {
    #[serde(borrow)]
    pub call_control_id: Cow<'a, str>,
    #[serde(borrow)]
    pub from: Cow<'a, str>,
    #[serde(borrow)]
    pub to: Cow<'a, str>,
    #[serde(borrow, default, deserialize_with = "borrowed_opt")]
    pub client_state: Option<Cow<'a, str>>,
}

/// `call.hangup`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CallHangup<'a> {
    #[serde(borrow)]
    pub call_control_id: Cow<'a, str>,
    #[serde(borrow)]
    pub from: Cow<'a, str>,
    #[serde(borrow)]
    pub to: Cow<'a, str>,
    /// normal_clearing, user_busy, ... (kept as text: the set grows).
    #[serde(borrow, default, deserialize_with = "borrowed_opt")]
    pub hangup_cause: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "borrowed_opt")]
    pub client_state: Option<Cow<'a, str>>,
}

/// Status of a number order or of one number in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OrderStatus {
    Pending,
    Success,
    Failure,
    #[serde(other)]
    Other,
}

/// One `payload.phone_numbers[]` entry of a number order.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct OrderedNumber<'a> {
    #[serde(borrow)]
    pub id: Cow<'a, str>,
    #[serde(borrow)]
    pub phone_number: Cow<'a, str>,
    pub status: OrderStatus,
}

/// `number_order.complete`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct NumberOrderComplete<'a> {
    #[serde(borrow, rename = "id")]
    pub order_id: Cow<'a, str>,
    pub status: OrderStatus,
    #[serde(borrow, default, deserialize_with = "null_as_empty")]
    pub phone_numbers: Vec<OrderedNumber<'a>>,
}

/// `Option<Cow<str>>` that borrows from the input when the string has no
/// escapes (serde's `borrow` does not reach through `Option` on its own).
pub(super) fn borrowed_opt<'de: 'a, 'a, D>(d: D) -> Result<Option<Cow<'a, str>>, D::Error>
where
    D: Deserializer<'de>,
{
    #[derive(Deserialize)]
    struct Borrowed<'a>(#[serde(borrow)] Cow<'a, str>);
    Ok(Option::<Borrowed<'a>>::deserialize(d)?.map(|b| b.0))
}

/// `null` reads as an empty list (absence is handled by `#[serde(default)]`).
fn null_as_empty<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// Counts the items of a JSON array (or `null`) without reading them.
fn count_items<'de, D: Deserializer<'de>>(d: D) -> Result<usize, D::Error> {
    struct Count;
    impl<'de> Visitor<'de> for Count {
        type Value = usize;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an array or null")
        }
        fn visit_unit<E: de::Error>(self) -> Result<usize, E> {
            Ok(0)
        }
        fn visit_none<E: de::Error>(self) -> Result<usize, E> {
            Ok(0)
        }
        fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<usize, D2::Error> {
            d.deserialize_seq(Count)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<usize, A::Error> {
            let mut n = 0;
            while seq.next_element::<IgnoredAny>()?.is_some() {
                n += 1;
            }
            Ok(n)
        }
    }
    d.deserialize_option(Count)
}
