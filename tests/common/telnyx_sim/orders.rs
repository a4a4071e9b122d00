//! Number orders: POST /number_orders, GET /number_orders/{id}; an order starts `pending` and
//! becomes `success` (its numbers turn `active` in GET /phone_numbers) or `failure`, right after
//! it is answered by default, or when the test says so.
use serde_json::{json, Value};

use super::numbers::Numbers;
use super::reply::{self, Reply, TelnyxError};

/// A number order (schema `NumberOrderWithPhoneNumbers`).
#[derive(Debug, Clone, PartialEq)]
pub struct Order {
    pub id: String,
    /// `pending`, `success` or `failure`.
    pub status: String,
    pub lines: Vec<OrderLine>,
    pub connection_id: Option<String>,
    pub messaging_profile_id: Option<String>,
    pub customer_reference: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// One number of an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderLine {
    pub id: String,
    pub phone_number: String,
    pub country: String,
    pub status: String,
}

/// The account's orders.
#[derive(Debug, Default)]
pub struct Orders {
    pub orders: Vec<Order>,
}

const NUMBER_NOT_AVAILABLE: TelnyxError = TelnyxError { pointer: Some("/phone_numbers"), ..reply::BAD_REQUEST };

impl Orders {
    /// POST /number_orders: every number must be in the pool (a prior search's result). The
    /// numbers leave the pool and are listed as `purchase-pending` until the order completes.
    pub fn create(&mut self, numbers: &mut Numbers, body: &Value) -> (Reply, String) {
        let wanted: Vec<String> = body["phone_numbers"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| p["phone_number"].as_str().map(str::to_owned))
            .collect();
        if wanted.is_empty() {
            let e = TelnyxError { pointer: Some("/phone_numbers"), ..reply::MISSING_PARAMETER };
            return (Reply::error(422, &e), String::new());
        }
        if let Some(missing) = wanted.iter().find(|w| !numbers.pool.iter().any(|p| &p.phone_number == *w)) {
            let detail = format!("{missing} is not available for ordering");
            return (Reply::error_detail(422, &NUMBER_NOT_AVAILABLE, &detail), String::new());
        }
        let text = |k: &str| body.get(k).and_then(Value::as_str).map(str::to_owned);
        let now = super::webhooks::now_rfc3339();
        let mut lines = Vec::new();
        for phone in &wanted {
            let pos = numbers.pool.iter().position(|p| &p.phone_number == phone).expect("checked above");
            let available = numbers.pool.remove(pos);
            let id = numbers.add_owned(phone, &available.country, "purchase-pending");
            let owned = numbers.find_owned(&id).expect("just added");
            owned.connection_id = text("connection_id");
            owned.messaging_profile_id = text("messaging_profile_id");
            owned.customer_reference = text("customer_reference");
            lines.push(OrderLine {
                id: uuid::Uuid::new_v4().to_string(),
                phone_number: phone.clone(),
                country: available.country,
                status: "pending".into(),
            });
        }
        let order = Order {
            id: uuid::Uuid::new_v4().to_string(),
            status: "pending".into(),
            lines,
            connection_id: text("connection_id"),
            messaging_profile_id: text("messaging_profile_id"),
            customer_reference: text("customer_reference"),
            created_at: now.clone(),
            updated_at: now,
        };
        let reply = Reply::data(order_json(&order));
        let id = order.id.clone();
        self.orders.push(order);
        (reply, id)
    }

    /// GET /number_orders/{id}.
    pub fn get(&self, id: &str) -> Reply {
        match self.orders.iter().find(|o| o.id == id) {
            Some(o) => Reply::data(order_json(o)),
            None => Reply::error(404, &reply::NOT_FOUND),
        }
    }

    /// Settles a pending order: `success` activates its numbers, `failure` drops them from the
    /// account. Returns false when there is no such pending order.
    pub fn settle(&mut self, numbers: &mut Numbers, id: &str, success: bool) -> bool {
        let Some(order) = self.orders.iter_mut().find(|o| o.id == id && o.status == "pending") else {
            return false;
        };
        let status = if success { "success" } else { "failure" };
        order.status = status.into();
        order.updated_at = super::webhooks::now_rfc3339();
        for line in &mut order.lines {
            line.status = status.into();
            if success {
                if let Some(n) = numbers.find_owned(&line.phone_number) {
                    n.status = "active".into();
                }
            } else {
                numbers.owned.retain(|n| n.phone_number != line.phone_number);
            }
        }
        true
    }

    /// The `number_order.complete` event payload for an order.
    pub fn event_payload(&self, id: &str) -> Option<Value> {
        self.orders.iter().find(|o| o.id == id).map(order_json)
    }
}

/// Schema `NumberOrderWithPhoneNumbers`.
fn order_json(o: &Order) -> Value {
    let lines: Vec<Value> = o
        .lines
        .iter()
        .map(|l| {
            json!({
                "id": l.id,
                "record_type": "number_order_phone_number",
                "phone_number": l.phone_number,
                "phone_number_type": "local",
                "country_code": l.country,
                "status": l.status,
                "requirements_met": true,
                "requirements_status": "approved",
                "regulatory_requirements": [],
            })
        })
        .collect();
    let mut v = json!({
        "id": o.id,
        "record_type": "number_order",
        "status": o.status,
        "phone_numbers": lines,
        "phone_numbers_count": o.lines.len(),
        "requirements_met": true,
        "sub_number_orders_ids": [],
        "created_at": o.created_at,
        "updated_at": o.updated_at,
    });
    for (k, val) in [
        ("connection_id", &o.connection_id),
        ("messaging_profile_id", &o.messaging_profile_id),
        ("customer_reference", &o.customer_reference),
    ] {
        if let Some(val) = val {
            v[k] = json!(val);
        }
    }
    v
}
