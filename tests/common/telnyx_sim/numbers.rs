//! Phone numbers: the pool of numbers available to buy (per country and area code), the search
//! over it (GET /available_phone_numbers), and the numbers the account owns (GET /phone_numbers,
//! GET/PATCH /phone_numbers/{id}, PATCH .../messaging, PATCH .../voice). Orders: `orders.rs`.
use serde_json::{json, Value};

use super::reply::{self, Reply};
use super::Query;

/// A number that can be ordered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AvailableNumber {
    pub phone_number: String,
    /// ISO alpha-2.
    pub country: String,
    /// The area code (national destination code).
    pub ndc: String,
    /// `sms`, `mms`, `voice`, ...
    pub features: Vec<String>,
}

impl AvailableNumber {
    /// The number without `+` and the country calling code.
    pub fn national(&self) -> &str {
        let digits = self.phone_number.trim_start_matches('+');
        digits.strip_prefix(calling_code(&self.country)).unwrap_or(digits)
    }
}

/// The calling code of the few countries the simulator generates numbers for (others: 99).
fn calling_code(country: &str) -> &'static str {
    match country {
        "US" | "CA" => "1",
        "GB" => "44",
        "DE" => "49",
        _ => "99",
    }
}

/// A number of the account.
#[derive(Debug, Clone, PartialEq)]
pub struct OwnedNumber {
    /// Numeric id, as Telnyx's (`"1293384261075731499"`): the `{id}` of PATCH /phone_numbers/{id}.
    pub id: String,
    pub phone_number: String,
    pub country: String,
    /// `purchase-pending` while its order is pending, then `active`.
    pub status: String,
    pub connection_id: Option<String>,
    pub messaging_profile_id: Option<String>,
    pub tags: Vec<String>,
    pub customer_reference: Option<String>,
    pub billing_group_id: Option<String>,
    /// Everything sent to PATCH /phone_numbers/{id}/voice, merged.
    pub voice: Value,
    pub created_at: String,
}

/// The numbers side of the simulated account.
#[derive(Debug, Default)]
pub struct Numbers {
    pub pool: Vec<AvailableNumber>,
    pub owned: Vec<OwnedNumber>,
    next_id: u64,
    generated: u32,
}

/// Telnyx's best-effort answer fills a short result with numbers of other area codes.
const DEFAULT_SEARCH_LIMIT: usize = 50;

impl Numbers {
    /// Adds `n` generated numbers (`+1 415 555 01xx` style) with sms, mms and voice.
    pub fn add_generated(&mut self, country: &str, ndc: &str, n: usize) -> Vec<String> {
        let prefix = calling_code(country);
        (0..n)
            .map(|_| {
                self.generated += 1;
                let number = format!("+{prefix}{ndc}555{:04}", self.generated);
                self.pool.push(AvailableNumber {
                    phone_number: number.clone(),
                    country: country.to_owned(),
                    ndc: ndc.to_owned(),
                    features: vec!["sms".into(), "mms".into(), "voice".into()],
                });
                number
            })
            .collect()
    }

    /// Makes `phone_number` owned and active (for seeding an account), returning its id.
    pub fn add_owned(&mut self, phone_number: &str, country: &str, status: &str) -> String {
        let id = self.new_id();
        self.owned.push(OwnedNumber {
            id: id.clone(),
            phone_number: phone_number.to_owned(),
            country: country.to_owned(),
            status: status.to_owned(),
            connection_id: None,
            messaging_profile_id: None,
            tags: Vec::new(),
            customer_reference: None,
            billing_group_id: None,
            voice: json!({}),
            created_at: super::webhooks::now_rfc3339(),
        });
        id
    }

    fn new_id(&mut self) -> String {
        self.next_id += 1;
        format!("{}", 1_293_384_261_075_731_000u64 + self.next_id)
    }

    /// The owned number with this id, or this E.164 (PATCH .../messaging takes either).
    pub fn find_owned(&mut self, id_or_number: &str) -> Option<&mut OwnedNumber> {
        self.owned.iter_mut().find(|n| n.id == id_or_number || n.phone_number == id_or_number)
    }

    /// GET /available_phone_numbers.
    pub fn search(&self, q: &Query) -> Reply {
        let country = q.get("filter[country_code]");
        let ndc = q.get("filter[national_destination_code]");
        let features = q.list("filter[features]");
        let limit = q.get("filter[limit]").and_then(|l| l.parse().ok()).unwrap_or(DEFAULT_SEARCH_LIMIT);
        let best_effort = q.get("filter[best_effort]") == Some("true") && q.get("filter[exact_search]") != Some("true");
        let starts = q.get("filter[phone_number][starts_with]");
        let ends = q.get("filter[phone_number][ends_with]");
        let contains = q.get("filter[phone_number][contains]");
        let eligible = self.pool.iter().filter(|n| {
            let national = n.national();
            // With an area code filter, the patterns apply to the digits after it.
            let subscriber = national.strip_prefix(n.ndc.as_str()).filter(|_| ndc.is_some()).unwrap_or(national);
            country.is_none_or(|c| c.eq_ignore_ascii_case(&n.country))
                && features.iter().all(|f| n.features.contains(f))
                && starts.is_none_or(|p| subscriber.starts_with(p))
                && ends.is_none_or(|p| subscriber.ends_with(p))
                && contains.is_none_or(|p| subscriber.contains(p))
        });
        let (exact, others): (Vec<&AvailableNumber>, Vec<&AvailableNumber>) =
            eligible.partition(|n| ndc.is_none_or(|c| c == n.ndc));
        let mut data: Vec<Value> = exact.iter().take(limit).map(|n| available_json(n, false)).collect();
        let mut best_effort_results = 0;
        if best_effort && ndc.is_some() {
            for n in others.iter().take(limit.saturating_sub(data.len())) {
                data.push(available_json(n, true));
                best_effort_results += 1;
            }
        }
        let meta = json!({ "total_results": data.len(), "best_effort_results": best_effort_results });
        let mut reply = Reply::data(Value::Array(data));
        reply.body["meta"] = meta;
        reply
    }

    /// GET /phone_numbers: `filter[phone_number]` (digits only: the spec says a value with other
    /// characters matches nothing), `filter[tag]`, `filter[status]`, `filter[connection_id]`,
    /// `page[number]`, `page[size]`.
    pub fn list(&self, q: &Query) -> Reply {
        let number = q.get("filter[phone_number]");
        let tag = q.get("filter[tag]");
        let status = q.get("filter[status]");
        let connection = q.get("filter[connection_id]");
        let matching: Vec<&OwnedNumber> = self
            .owned
            .iter()
            .filter(|n| number.is_none_or(|f| digits_match(&n.phone_number, f)))
            .filter(|n| tag.is_none_or(|t| n.tags.iter().any(|x| x == t)))
            .filter(|n| status.is_none_or(|s| n.status == s))
            .filter(|n| connection.is_none_or(|c| n.connection_id.as_deref() == Some(c)))
            .collect();
        let page = q.get("page[number]").and_then(|p| p.parse::<usize>().ok()).unwrap_or(1).max(1);
        let size = q.get("page[size]").and_then(|p| p.parse::<usize>().ok()).unwrap_or(20).clamp(1, 250);
        let data: Vec<Value> = matching.iter().skip((page - 1) * size).take(size).map(|n| detailed_json(n)).collect();
        let mut reply = Reply::data(Value::Array(data));
        reply.body["meta"] = json!({
            "page_number": page,
            "page_size": size,
            "total_pages": matching.len().div_ceil(size),
            "total_results": matching.len(),
        });
        reply
    }

    /// GET /phone_numbers/{id}.
    pub fn get(&mut self, id: &str) -> Reply {
        match self.owned.iter().find(|n| n.id == id) {
            Some(n) => Reply::data(detailed_json(n)),
            None => Reply::error(404, &reply::NOT_FOUND),
        }
    }

    /// PATCH /phone_numbers/{id}: `connection_id`, `tags`, `customer_reference`, `billing_group_id`.
    pub fn update(&mut self, id: &str, body: &Value) -> Reply {
        let Some(n) = self.owned.iter_mut().find(|n| n.id == id) else {
            return Reply::error(404, &reply::NOT_FOUND);
        };
        if let Some(c) = body.get("connection_id").and_then(Value::as_str) {
            n.connection_id = Some(c.to_owned()).filter(|c| !c.is_empty());
        }
        if let Some(tags) = body.get("tags").and_then(Value::as_array) {
            n.tags = tags.iter().filter_map(Value::as_str).map(str::to_owned).collect();
        }
        if let Some(r) = body.get("customer_reference").and_then(Value::as_str) {
            n.customer_reference = Some(r.to_owned());
        }
        if let Some(b) = body.get("billing_group_id").and_then(Value::as_str) {
            n.billing_group_id = Some(b.to_owned());
        }
        Reply::data(detailed_json(n))
    }

    /// PATCH /phone_numbers/{id}/messaging: `messaging_profile_id` (`""` unassigns, null keeps).
    pub fn update_messaging(&mut self, id: &str, body: &Value) -> Reply {
        let Some(n) = self.find_owned(id) else { return Reply::error(404, &reply::NOT_FOUND) };
        if let Some(p) = body.get("messaging_profile_id").and_then(Value::as_str) {
            n.messaging_profile_id = Some(p.to_owned()).filter(|p| !p.is_empty());
        }
        if let Some(tags) = body.get("tags").and_then(Value::as_array) {
            n.tags = tags.iter().filter_map(Value::as_str).map(str::to_owned).collect();
        }
        Reply::data(json!({
            "record_type": "messaging_settings",
            "id": n.id,
            "phone_number": n.phone_number,
            "messaging_profile_id": n.messaging_profile_id,
            "country_code": n.country,
            "type": "long-code",
            "messaging_product": "A2P",
            "eligible_messaging_products": ["A2P"],
            "traffic_type": "A2P",
            "tags": n.tags,
            "created_at": n.created_at,
            "updated_at": super::webhooks::now_rfc3339(),
        }))
    }

    /// PATCH /phone_numbers/{id}/voice: stores the settings (merged) and answers them.
    pub fn update_voice(&mut self, id: &str, body: &Value) -> Reply {
        let Some(n) = self.owned.iter_mut().find(|n| n.id == id) else {
            return Reply::error(404, &reply::NOT_FOUND);
        };
        if let (Some(stored), Some(sent)) = (n.voice.as_object_mut(), body.as_object()) {
            stored.extend(sent.clone());
        }
        let mut data = n.voice.clone();
        data["id"] = json!(n.id);
        data["record_type"] = json!("voice_settings");
        data["phone_number"] = json!(n.phone_number);
        if let Some(c) = &n.connection_id {
            data["connection_id"] = json!(c);
        }
        Reply::data(data)
    }
}

/// True when `filter` (digits only, at least three) occurs in the number's digits.
fn digits_match(phone_number: &str, filter: &str) -> bool {
    filter.len() >= 3 && filter.bytes().all(|b| b.is_ascii_digit()) && phone_number.contains(filter)
}

fn available_json(n: &AvailableNumber, best_effort: bool) -> Value {
    json!({
        "record_type": "available_phone_number",
        "phone_number": n.phone_number,
        "best_effort": best_effort,
        "reservable": true,
        "quickship": false,
        "features": n.features.iter().map(|f| json!({ "name": f })).collect::<Vec<_>>(),
        "cost_information": { "currency": "USD", "monthly_cost": "1.00", "upfront_cost": "1.00" },
        "region_information": [
            { "region_type": "country_code", "region_name": n.country },
            { "region_type": "rate_center", "region_name": format!("NDC {}", n.ndc) },
        ],
    })
}

/// Schema `PhoneNumberDetailed`.
pub fn detailed_json(n: &OwnedNumber) -> Value {
    json!({
        "id": n.id,
        "record_type": "phone_number",
        "phone_number": n.phone_number,
        "country_iso_alpha2": n.country,
        "status": n.status,
        "tags": n.tags,
        "external_pin": null,
        "connection_id": n.connection_id,
        "messaging_profile_id": n.messaging_profile_id,
        "customer_reference": n.customer_reference,
        "billing_group_id": n.billing_group_id,
        "phone_number_type": "local",
        "source_type": "number_order",
        "deletion_lock_enabled": false,
        "created_at": n.created_at,
        "purchased_at": n.created_at,
        "updated_at": n.created_at,
    })
}
