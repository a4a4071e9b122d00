//! What the outside world does when the test says so: callers call in and hang up, transfer
//! targets answer or stay busy, customers text, carriers report delivery, orders complete. Each
//! method that sends webhooks returns once the receiver answered each of them.
use std::sync::Arc;

use serde_json::Value;

use super::calls::{HangupCause, Leg};
use super::messages::{Message, MessageOutcome};
use super::numbers::OwnedNumber;
use super::orders::Order;
use super::profiles::Kind;
use super::webhooks::{self, Delivery, Outgoing};
use super::TelnyxSim;

/// A call leg as a test holds it, with the delivery of its `call.initiated`.
#[derive(Debug, Clone)]
pub struct CallHandle {
    pub call_control_id: String,
    pub call_leg_id: String,
    pub call_session_id: String,
    pub from: String,
    pub to: String,
    /// The `call.initiated` delivery (its status is what the receiver answered).
    pub delivery: Delivery,
}

impl CallHandle {
    fn new(leg: &Leg, delivery: Delivery) -> CallHandle {
        CallHandle {
            call_control_id: leg.call_control_id.clone(),
            call_leg_id: leg.call_leg_id.clone(),
            call_session_id: leg.call_session_id.clone(),
            from: leg.from.clone(),
            to: leg.to.clone(),
            delivery,
        }
    }
}

impl TelnyxSim {
    /// Delivers `hooks` in order from the simulator's thread; the last attempt of each.
    pub async fn deliver(&self, hooks: Vec<Outgoing>) -> Vec<Delivery> {
        let inner = Arc::clone(&self.inner);
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.server.arbiter.spawn(async move {
            let mut out = Vec::new();
            for hook in hooks {
                out.extend(webhooks::deliver(&inner, hook).await.pop());
            }
            let _ = tx.send(out);
        });
        rx.await.expect("the simulator thread delivers")
    }

    /// Delivers the event of `delivery` again (same id and payload, `meta.attempt` + 1), as
    /// Telnyx does when an answer was slow or lost; returns the new attempt.
    pub async fn redeliver(&self, delivery: &Delivery) -> Delivery {
        let inner = Arc::clone(&self.inner);
        let previous = delivery.clone();
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.server.arbiter.spawn(async move {
            let _ = tx.send(webhooks::redeliver(&inner, &previous).await);
        });
        rx.await.expect("the simulator thread delivers")
    }

    // ---- calls ----

    /// A call from `from` to the account's number `to`: a parked incoming leg and its signed
    /// `call.initiated` (to the number's application URL, else the default URL).
    pub async fn inbound_call(&self, from: &str, to: &str) -> CallHandle {
        let (leg, event) = self.inner.world().inbound_call(from, to);
        let delivery = self.deliver(vec![event]).await.pop().expect("one delivery");
        CallHandle::new(&leg, delivery)
    }

    /// The far end of an outgoing leg (a transfer's leg B, a dialled leg) answers: its
    /// `call.answered`, then `call.bridged` for both legs when it bridges (and `call.hangup`
    /// for cancelled siblings of a multi-target dial).
    pub async fn answer_leg(&self, call_control_id: &str) -> Vec<Delivery> {
        let events = self.inner.world().remote_answer(call_control_id).unwrap_or_else(|e| panic!("{e}"));
        self.deliver(events).await
    }

    /// The far end hangs up, or the leg ends without an answer, with `cause` (`timeout`,
    /// `user_busy`, `no_answer`, `call_rejected`, ...): `call.hangup` for it (and a bridged
    /// peer). A transfer's leg A stays up when its leg B ends unanswered.
    pub async fn hangup(&self, call_control_id: &str, cause: HangupCause) -> Vec<Delivery> {
        let source = match self.leg(call_control_id).map(|l| l.direction) {
            Some(super::Direction::Incoming) => "caller",
            _ => "callee",
        };
        let events = self.inner.world().end(call_control_id, cause, source);
        assert!(!events.is_empty(), "no live leg {call_control_id}");
        self.deliver(events).await
    }

    /// A leg's current state.
    pub fn leg(&self, call_control_id: &str) -> Option<Leg> {
        self.inner.world().calls.get(call_control_id).cloned()
    }

    /// Every leg so far, in creation order.
    pub fn legs(&self) -> Vec<Leg> {
        self.inner.world().calls.legs.clone()
    }

    /// Waits for the `call.initiated` of an outgoing leg that `pred` accepts (dialled by the
    /// daemon, or created by its transfer).
    pub async fn wait_outgoing_leg(&self, pred: impl Fn(&Leg) -> bool) -> CallHandle {
        let delivery = self
            .wait_for_webhook(|d| {
                d.event_type == "call.initiated"
                    && d.payload()["direction"] == "outgoing"
                    && d.payload()["call_control_id"].as_str().and_then(|c| self.leg(c)).is_some_and(|l| pred(&l))
            })
            .await;
        let ccid = delivery.payload()["call_control_id"].as_str().unwrap_or_default().to_owned();
        CallHandle::new(&self.leg(&ccid).expect("the leg exists"), delivery)
    }

    /// Waits for leg B of the `nth` transfer (from 1) of leg A.
    pub async fn wait_transfer_leg(&self, a: &str, nth: usize) -> CallHandle {
        self.wait_outgoing_leg(|leg| {
            let from_a: Vec<String> = self
                .legs()
                .into_iter()
                .filter(|l| l.transferred_from.as_deref() == Some(a))
                .map(|l| l.call_control_id)
                .collect();
            from_a.get(nth.saturating_sub(1)) == Some(&leg.call_control_id)
        })
        .await
    }

    // ---- messages ----

    /// A customer's message from `from` to the account's number `to` (`message.received`).
    pub async fn inbound_message(&self, from: &str, to: &str, text: &str, media_urls: &[&str]) -> Delivery {
        let event = self.inner.world().inbound_message(from, to, text, media_urls);
        self.deliver(vec![event]).await.pop().expect("one delivery")
    }

    /// Messages sent through POST /messages, in order.
    pub fn messages(&self) -> Vec<Message> {
        self.inner.world().messages.clone()
    }

    /// `message.sent` for a sent message.
    pub async fn message_sent(&self, message_id: &str) -> Delivery {
        self.message_event(message_id, None).await
    }

    /// `message.finalized` for a sent message, every recipient ending with `outcome`.
    pub async fn message_finalized(&self, message_id: &str, outcome: MessageOutcome) -> Delivery {
        self.message_event(message_id, Some(outcome)).await
    }

    async fn message_event(&self, message_id: &str, outcome: Option<MessageOutcome>) -> Delivery {
        let event = self.inner.world().message_event(message_id, outcome);
        let event = event.unwrap_or_else(|| panic!("no message {message_id}"));
        self.deliver(vec![event]).await.pop().expect("one delivery")
    }

    // ---- numbers and orders ----

    /// Adds `n` numbers with sms, mms and voice in `country` and area code `ndc`; returns them.
    pub fn add_available_numbers(&self, country: &str, ndc: &str, n: usize) -> Vec<String> {
        self.inner.world().numbers.add_generated(country, ndc, n)
    }

    /// Puts an active number in the account (as if bought earlier); returns its id.
    pub fn add_owned_number(&self, phone_number: &str) -> String {
        self.inner.world().numbers.add_owned(phone_number, "US", "active")
    }

    pub fn owned_numbers(&self) -> Vec<OwnedNumber> {
        self.inner.world().numbers.owned.clone()
    }

    pub fn orders(&self) -> Vec<Order> {
        self.inner.world().orders.orders.clone()
    }

    /// Settles a pending order (with [`TelnyxSim::set_auto_complete_orders`] off).
    pub fn complete_order(&self, order_id: &str, success: bool) {
        let mut world = self.inner.world();
        let world = &mut *world;
        assert!(world.orders.settle(&mut world.numbers, order_id, success), "no pending order {order_id}");
    }

    /// Sends `number_order.complete` for an order (to the default webhook URL).
    pub async fn notify_order(&self, order_id: &str) -> Delivery {
        let payload = self.inner.world().orders.event_payload(order_id);
        let payload = payload.unwrap_or_else(|| panic!("no order {order_id}"));
        let event = Outgoing::new("number_order.complete", payload, None, None);
        self.deliver(vec![event]).await.pop().expect("one delivery")
    }

    // ---- profiles ----

    /// Every messaging profile, outbound voice profile or Call Control application, as stored.
    pub fn profiles(&self, kind: Kind) -> Vec<Value> {
        self.inner.world().profiles.all(kind).cloned().collect()
    }

    /// Creates a Call Control application (for dialling) without going through the API.
    pub fn add_call_control_application(&self, name: &str, webhook_event_url: &str) -> String {
        let body = serde_json::json!({ "application_name": name, "webhook_event_url": webhook_event_url, "webhook_api_version": "2" });
        let reply = self.inner.world().profiles.create(Kind::CallControlApplication, &body);
        reply.body["data"]["id"].as_str().unwrap_or_default().to_owned()
    }
}
