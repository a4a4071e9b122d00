//! Numbers: search available numbers, order them, follow the order, list owned numbers and
//! attach them to a messaging profile and a Call Control application.
use reqwest::Method;
use serde::de::IgnoredAny;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{with_query, CountryCode, Endpoint, Retry, TelnyxClient, TelnyxError};
use crate::domain::{Feature, Features, PhoneNumber};

/// Query of GET /available_phone_numbers (deepObject `filter`).
#[derive(Debug, Clone, PartialEq)]
pub struct AvailableNumberSearch {
    /// `telnyx.number_country`.
    pub country_code: CountryCode,
    /// Area code in NANP (`415`). Searched exactly: `filter[best_effort]=false`, and results
    /// outside it are dropped (see [`TelnyxClient::search_available_numbers`]).
    pub national_destination_code: Option<String>,
    /// Every feature the numbers must have.
    pub features: Features,
    pub limit: Option<u32>,
}

/// One search result (schema `AvailablePhoneNumber`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct AvailableNumber {
    pub phone_number: PhoneNumber,
    /// The features switchboard knows (others, such as fax or emergency, are dropped).
    #[serde(default, deserialize_with = "feature_objects")]
    pub features: Features,
    /// Telnyx's "not an exact match for the search" flag.
    #[serde(default)]
    pub best_effort: bool,
}

/// Body of POST /number_orders (schema `CreateNumberOrderRequest`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NumberOrderRequest {
    /// Numbers from a prior search; sent as `[{"phone_number": ...}]`.
    #[serde(serialize_with = "phone_number_objects")]
    pub phone_numbers: Vec<PhoneNumber>,
    /// Call Control application to attach the numbers to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connection_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub messaging_profile_id: Option<String>,
    /// Our own reference (e.g. the job id), to find the order again when unsure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_reference: Option<String>,
}

/// State of an order or of one number in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OrderStatus {
    Pending,
    Success,
    Failure,
    #[serde(other)]
    Unknown,
}

/// A number order (schema `NumberOrderWithPhoneNumbers`); it completes asynchronously.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct NumberOrder {
    pub id: String,
    pub status: OrderStatus,
    #[serde(default)]
    pub phone_numbers: Vec<OrderedNumber>,
    #[serde(default)]
    pub customer_reference: Option<String>,
}

/// One number in an order. `id` is the order line's id, not the phone number resource id used by
/// PATCH /phone_numbers/{id}: find that with [`TelnyxClient::list_phone_numbers`].
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct OrderedNumber {
    pub id: String,
    pub phone_number: PhoneNumber,
    pub status: OrderStatus,
}

/// Query of GET /phone_numbers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PhoneNumberFilter {
    pub phone_number: Option<PhoneNumber>,
    /// From 1.
    pub page_number: Option<u32>,
    /// 1 to 250 (values outside are clamped); Telnyx's default is 20.
    pub page_size: Option<u32>,
}

/// A number the account owns (schema `PhoneNumberDetailed`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct OwnedNumber {
    /// The phone number resource id, used by PATCH /phone_numbers/{id}.
    pub id: String,
    pub phone_number: PhoneNumber,
    /// `purchase-pending`, `active`, ... (kept as text: the list of states grows).
    pub status: String,
    #[serde(default)]
    pub connection_id: Option<String>,
    #[serde(default)]
    pub messaging_profile_id: Option<String>,
}

#[derive(Serialize)]
struct MessagingSettingsBody<'a> {
    messaging_profile_id: &'a str,
}

#[derive(Serialize)]
struct ConnectionBody<'a> {
    connection_id: &'a str,
}

fn phone_number_objects<S: Serializer>(numbers: &[PhoneNumber], s: S) -> Result<S::Ok, S::Error> {
    #[derive(Serialize)]
    struct Item<'a> {
        phone_number: &'a PhoneNumber,
    }
    s.collect_seq(numbers.iter().map(|phone_number| Item { phone_number }))
}

fn feature_objects<'de, D: Deserializer<'de>>(d: D) -> Result<Features, D::Error> {
    #[derive(Deserialize)]
    struct Item {
        name: String,
    }
    let items = Option::<Vec<Item>>::deserialize(d)?.unwrap_or_default();
    Ok(items.iter().filter_map(|i| i.name.parse::<Feature>().ok()).collect())
}

/// The `filter[...]` pairs of a number search. Arrays inside the deepObject are sent
/// comma-separated (`filter[features]=sms,mms,voice`), as the official Telnyx SDK does; the spec
/// leaves array-in-deepObject encoding undefined and Prism accepts this form.
fn search_query(search: &AvailableNumberSearch) -> Vec<(&'static str, String)> {
    let mut q = vec![("filter[country_code]", search.country_code.to_string())];
    if let Some(ndc) = &search.national_destination_code {
        q.push(("filter[national_destination_code]", ndc.clone()));
        // Otherwise numbers from other area codes fill the results (and the limit).
        q.push(("filter[best_effort]", "false".to_owned()));
    }
    if !search.features.is_empty() {
        let names: Vec<&str> = search.features.iter().map(Feature::as_str).collect();
        q.push(("filter[features]", names.join(",")));
    }
    if let Some(limit) = search.limit {
        q.push(("filter[limit]", limit.to_string()));
    }
    q
}

/// Whether a search result is what was asked for: not a best-effort result, and (for a NANP
/// number, whose area code is known) in the area code searched.
fn is_exact(n: &AvailableNumber, search: &AvailableNumberSearch) -> bool {
    let in_area = match (&search.national_destination_code, n.phone_number.area_code()) {
        (Some(ndc), Some(area)) => area == ndc,
        _ => true,
    };
    !n.best_effort && in_area
}

fn list_query(filter: &PhoneNumberFilter) -> Vec<(&'static str, String)> {
    let mut q = Vec::new();
    if let Some(n) = &filter.phone_number {
        // Digits only: the spec says non-numerical characters make the filter match nothing.
        q.push(("filter[phone_number]", n.as_str().trim_start_matches('+').to_owned()));
    }
    if let Some(page) = filter.page_number {
        q.push(("page[number]", page.max(1).to_string()));
    }
    if let Some(size) = filter.page_size {
        q.push(("page[size]", size.clamp(1, 250).to_string()));
    }
    q
}

impl TelnyxClient {
    /// GET /available_phone_numbers. Only exact matches are returned: Telnyx is asked for no
    /// best-effort results, and any that come anyway (or NANP numbers outside the area code) are
    /// dropped. [`Retry::Safe`].
    pub async fn search_available_numbers(
        &self,
        search: &AvailableNumberSearch,
    ) -> Result<Vec<AvailableNumber>, TelnyxError> {
        let url = with_query(self.url(&["available_phone_numbers"])?, &search_query(search));
        let endpoint = Endpoint::SearchAvailableNumbers;
        let mut found: Vec<AvailableNumber> =
            self.request::<(), _>(endpoint, Method::GET, url, None, Retry::Safe).await?;
        let answered = found.len();
        found.retain(|n| is_exact(n, search));
        if found.len() < answered {
            tracing::debug!(dropped = answered - found.len(), "number search: inexact results dropped");
        }
        Ok(found)
    }

    /// POST /number_orders. Retry policy [`Retry::IfNotSent`]: ordering twice buys twice, so a
    /// timeout or 5xx after sending gives [`TelnyxError::Ambiguous`]; reconcile with
    /// [`TelnyxClient::list_phone_numbers`] (or by `customer_reference`).
    pub async fn create_number_order(&self, order: &NumberOrderRequest) -> Result<NumberOrder, TelnyxError> {
        let url = self.url(&["number_orders"])?;
        self.request(Endpoint::CreateNumberOrder, Method::POST, url, Some(order), Retry::IfNotSent).await
    }

    /// GET /number_orders/{number_order_id}. [`Retry::Safe`].
    pub async fn get_number_order(&self, order_id: &str) -> Result<NumberOrder, TelnyxError> {
        let url = self.url(&["number_orders", order_id])?;
        self.request::<(), _>(Endpoint::GetNumberOrder, Method::GET, url, None, Retry::Safe).await
    }

    /// GET /phone_numbers (one page). [`Retry::Safe`].
    pub async fn list_phone_numbers(&self, filter: &PhoneNumberFilter) -> Result<Vec<OwnedNumber>, TelnyxError> {
        let url = with_query(self.url(&["phone_numbers"])?, &list_query(filter));
        self.request::<(), _>(Endpoint::ListPhoneNumbers, Method::GET, url, None, Retry::Safe).await
    }

    /// PATCH /phone_numbers/{id}/messaging: sends the number's messages through the profile.
    /// [`Retry::Safe`].
    pub async fn update_number_messaging(
        &self,
        phone_number_id: &str,
        messaging_profile_id: &str,
    ) -> Result<(), TelnyxError> {
        let url = self.url(&["phone_numbers", phone_number_id, "messaging"])?;
        let body = MessagingSettingsBody { messaging_profile_id };
        let endpoint = Endpoint::UpdateNumberMessaging;
        let _: IgnoredAny = self.request(endpoint, Method::PATCH, url, Some(&body), Retry::Safe).await?;
        Ok(())
    }

    /// PATCH /phone_numbers/{id}: routes the number's calls to a Call Control application.
    /// [`Retry::Safe`].
    pub async fn update_number_connection(
        &self,
        phone_number_id: &str,
        connection_id: &str,
    ) -> Result<(), TelnyxError> {
        let url = self.url(&["phone_numbers", phone_number_id])?;
        let body = ConnectionBody { connection_id };
        let endpoint = Endpoint::UpdateNumberConnection;
        let _: IgnoredAny = self.request(endpoint, Method::PATCH, url, Some(&body), Retry::Safe).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn e164(s: &str) -> PhoneNumber {
        PhoneNumber::parse(s).expect("e164")
    }

    #[test]
    fn telnyx_search_query_encodes_deep_object() {
        let search = AvailableNumberSearch {
            country_code: CountryCode::US,
            national_destination_code: Some("415".into()),
            features: Features::ALL,
            limit: Some(5),
        };
        let url =
            with_query(url::Url::parse("http://x/v2/available_phone_numbers").expect("url"), &search_query(&search));
        assert_eq!(
            url.query(),
            Some("filter%5Bcountry_code%5D=US&filter%5Bnational_destination_code%5D=415&filter%5Bbest_effort%5D=false&filter%5Bfeatures%5D=sms%2Cmms%2Cvoice&filter%5Blimit%5D=5")
        );
        let anywhere = AvailableNumberSearch { national_destination_code: None, ..search };
        assert_eq!(search_query(&anywhere)[0], ("filter[country_code]", "US".to_owned()));
        assert!(search_query(&anywhere).iter().all(|(k, _)| *k != "filter[best_effort]"));
    }

    #[test]
    fn telnyx_search_keeps_only_exact_results() {
        let search = AvailableNumberSearch {
            country_code: CountryCode::US,
            national_destination_code: Some("415".into()),
            features: Features::ALL,
            limit: None,
        };
        let number = |n: &str, best_effort: bool| AvailableNumber {
            phone_number: e164(n),
            features: Features::ALL,
            best_effort,
        };
        assert!(is_exact(&number("+14155550100", false), &search));
        assert!(!is_exact(&number("+14155550100", true), &search), "best effort");
        assert!(!is_exact(&number("+16505550100", false), &search), "other area code");
        assert!(is_exact(&number("+442071838750", false), &search), "area unknown outside NANP");
        let anywhere = AvailableNumberSearch { national_destination_code: None, ..search };
        assert!(is_exact(&number("+16505550100", false), &anywhere));
    }

    #[test]
    fn telnyx_order_body_and_response() {
        let req = NumberOrderRequest {
            phone_numbers: vec![e164("+14155550100")],
            connection_id: None,
            messaging_profile_id: Some("prof".into()),
            customer_reference: Some("job-1".into()),
        };
        assert_eq!(
            serde_json::to_value(&req).expect("json"),
            json!({"phone_numbers": [{"phone_number": "+14155550100"}], "messaging_profile_id": "prof", "customer_reference": "job-1"})
        );
        let order: NumberOrder = serde_json::from_value(json!({
            "id": "o1", "status": "pending", "record_type": "number_order",
            "phone_numbers": [{"id": "l1", "phone_number": "+14155550100", "status": "weird"}]
        }))
        .expect("order");
        assert_eq!(order.status, OrderStatus::Pending);
        assert_eq!(order.phone_numbers[0].status, OrderStatus::Unknown);
    }

    #[test]
    fn telnyx_available_number_features_keep_known_names() {
        let n: AvailableNumber = serde_json::from_value(json!({
            "phone_number": "+19705555098", "features": [{"name": "sms"}, {"name": "fax"}, {"name": "voice"}]
        }))
        .expect("number");
        assert_eq!(n.features, Features::NONE.with(Feature::Sms).with(Feature::Voice));
    }

    #[test]
    fn telnyx_list_query_clamps_page_size() {
        let f =
            PhoneNumberFilter { phone_number: Some(e164("+14155550100")), page_number: None, page_size: Some(1000) };
        assert_eq!(
            list_query(&f),
            vec![("filter[phone_number]", "14155550100".to_string()), ("page[size]", "250".to_string())]
        );
    }
}
