//! Messaging payloads: `message.received`, `message.sent`, `message.finalized`.
//!
//! Used (an error when missing or of the wrong type): received `from`, `to[]`, and `cc[]`, `text`,
//! `media` when present; sent `from` and `to[]`. A recipient without a `phone_number` (absent or
//! `null`) is left out of its list. Everything else is kept for later and never fails the event.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

use super::fields::{
    borrowed_opt, kept_items, lenient, lenient_code, lenient_object, lenient_objects, lenient_text, object,
};

/// `payload.from` / `payload.to[]` / `payload.cc[]` of a message event.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct MessageParty<'a> {
    #[serde(borrow)]
    pub phone_number: Cow<'a, str>,
}

/// `payload.to[]` of `message.sent` / `message.finalized`, with the per-recipient status.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DeliveryRecipient<'a> {
    #[serde(borrow)]
    pub phone_number: Cow<'a, str>,
    /// queued, sending, sent, expired, sending_failed, delivery_unconfirmed, delivered,
    /// delivery_failed (kept as text: the set grows).
    #[serde(borrow, default, deserialize_with = "lenient_text")]
    pub status: Option<Cow<'a, str>>,
}

/// One `payload.errors[]` entry (schema `messaging_Error`): why a delivery failed or is unconfirmed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct MessageError<'a> {
    /// A numeric string such as `"40300"`.
    #[serde(borrow, default, deserialize_with = "lenient_code")]
    pub code: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "lenient_text")]
    pub title: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "lenient_text")]
    pub detail: Option<Cow<'a, str>>,
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

/// One `payload.media[]` item of an inbound MMS (a Telnyx-hosted copy of the attachment).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Media<'a> {
    #[serde(borrow)]
    pub url: Cow<'a, str>,
    #[serde(borrow, default, deserialize_with = "lenient_text")]
    pub content_type: Option<Cow<'a, str>>,
}

/// `message.received`: an inbound SMS/MMS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageReceived<'a> {
    /// The message id (`payload.id`), not the event id.
    pub message_id: Option<Cow<'a, str>>,
    pub from: MessageParty<'a>,
    pub to: Vec<MessageParty<'a>>,
    pub cc: Vec<MessageParty<'a>>,
    pub text: Option<Cow<'a, str>>,
    pub message_type: Option<MessageType>,
    /// Number of `payload.media[]` items, readable or not (an MMS with unreadable media is still
    /// an MMS).
    pub media_count: usize,
    /// The readable items of `payload.media[]` (those with a `url`), in order.
    pub media: Vec<Media<'a>>,
}

impl MessageReceived<'_> {
    /// The attachments' URLs, in order (for a forward's `media_urls`).
    pub fn media_urls(&self) -> impl Iterator<Item = &str> {
        self.media.iter().map(|m| &*m.url)
    }
}

/// `message.sent`: handed to the carrier.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct MessageSent<'a> {
    /// The message id (`data.id` of the POST /messages answer).
    #[serde(borrow, default, rename = "id", deserialize_with = "lenient_text")]
    pub message_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub from: MessageParty<'a>,
    #[serde(borrow, deserialize_with = "kept_items::<_, NumberedRecipient<'a>, _>")]
    pub to: Vec<DeliveryRecipient<'a>>,
    #[serde(borrow, default, deserialize_with = "lenient_objects")]
    pub errors: Vec<MessageError<'a>>,
}

/// `message.finalized`: terminal delivery state per recipient. Only acknowledged today, so no
/// field is required.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct MessageFinalized<'a> {
    #[serde(borrow, default, rename = "id", deserialize_with = "lenient_text")]
    pub message_id: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "lenient_object")]
    pub from: Option<MessageParty<'a>>,
    #[serde(borrow, default, deserialize_with = "lenient_objects")]
    pub to: Vec<DeliveryRecipient<'a>>,
    #[serde(borrow, default, deserialize_with = "lenient_objects")]
    pub errors: Vec<MessageError<'a>>,
}

/// A party as sent: kept only when it has a `phone_number`.
#[derive(Deserialize)]
struct NumberedParty<'a> {
    #[serde(borrow, default, deserialize_with = "borrowed_opt")]
    phone_number: Option<Cow<'a, str>>,
}

impl<'a> From<NumberedParty<'a>> for Option<MessageParty<'a>> {
    fn from(p: NumberedParty<'a>) -> Self {
        p.phone_number.map(|phone_number| MessageParty { phone_number })
    }
}

/// A recipient as sent: kept only when it has a `phone_number`.
#[derive(Deserialize)]
struct NumberedRecipient<'a> {
    #[serde(borrow, default, deserialize_with = "borrowed_opt")]
    phone_number: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "lenient_text")]
    status: Option<Cow<'a, str>>,
}

impl<'a> From<NumberedRecipient<'a>> for Option<DeliveryRecipient<'a>> {
    fn from(r: NumberedRecipient<'a>) -> Self {
        r.phone_number.map(|phone_number| DeliveryRecipient { phone_number, status: r.status })
    }
}

/// `message.received` as sent; [`MessageReceived`] adds the media count.
#[derive(Deserialize)]
struct ReceivedWire<'a> {
    #[serde(borrow, default, rename = "id", deserialize_with = "lenient_text")]
    message_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    from: MessageParty<'a>,
    #[serde(borrow, deserialize_with = "kept_items::<_, NumberedParty<'a>, _>")]
    to: Vec<MessageParty<'a>>,
    #[serde(borrow, default, deserialize_with = "kept_items::<_, NumberedParty<'a>, _>")]
    cc: Vec<MessageParty<'a>>,
    #[serde(borrow, default, deserialize_with = "borrowed_opt")]
    text: Option<Cow<'a, str>>,
    #[serde(default, rename = "type", deserialize_with = "lenient")]
    message_type: Option<MessageType>,
    #[serde(borrow, default)]
    media: MediaList<'a>,
}

impl<'de: 'a, 'a> Deserialize<'de> for MessageReceived<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let w = ReceivedWire::deserialize(d)?;
        Ok(MessageReceived {
            message_id: w.message_id,
            from: w.from,
            to: w.to,
            cc: w.cc,
            text: w.text,
            message_type: w.message_type,
            media_count: w.media.count,
            media: w.media.items,
        })
    }
}

/// `payload.media`: an array (or `null`); every item counts, readable ones are kept.
#[derive(Default)]
struct MediaList<'a> {
    count: usize,
    items: Vec<Media<'a>>,
}

impl<'de: 'a, 'a> Deserialize<'de> for MediaList<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct List<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for List<'a> {
            type Value = MediaList<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array or null")
            }
            fn visit_unit<E: de::Error>(self) -> Result<MediaList<'a>, E> {
                Ok(MediaList::default())
            }
            fn visit_none<E: de::Error>(self) -> Result<MediaList<'a>, E> {
                Ok(MediaList::default())
            }
            fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<MediaList<'a>, D2::Error> {
                d.deserialize_seq(self)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<MediaList<'a>, A::Error> {
                let mut list = MediaList::default();
                while let Some(raw) = seq.next_element::<&'a RawValue>()? {
                    list.count += 1;
                    list.items.extend(object::<Media<'a>>(raw));
                }
                Ok(list)
            }
        }
        d.deserialize_option(List(std::marker::PhantomData))
    }
}
