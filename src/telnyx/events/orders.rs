//! `number_order.complete`: only the order id is used (provisioning then reads the order through
//! the API); the rest is kept for later and never fails the event.

use std::borrow::Cow;

use serde::Deserialize;

use super::fields::{lenient, lenient_objects};

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

/// One `payload.phone_numbers[]` entry of a number order (entries without an id or a number are
/// left out).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct OrderedNumber<'a> {
    #[serde(borrow)]
    pub id: Cow<'a, str>,
    #[serde(borrow)]
    pub phone_number: Cow<'a, str>,
    #[serde(default, deserialize_with = "lenient")]
    pub status: Option<OrderStatus>,
}

/// `number_order.complete`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct NumberOrderComplete<'a> {
    #[serde(borrow, rename = "id")]
    pub order_id: Cow<'a, str>,
    #[serde(default, deserialize_with = "lenient")]
    pub status: Option<OrderStatus>,
    #[serde(borrow, default, deserialize_with = "lenient_objects")]
    pub phone_numbers: Vec<OrderedNumber<'a>>,
}
