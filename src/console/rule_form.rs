//! A department or location as an HTML form, and the form back into the API's request bodies
//! (`DepartmentBody`, `LocationBody`): the same validation then applies as to the API.
//!
//! Business hours are written one interval per line, `monday 09:00-17:00`, or a range of days,
//! `monday-friday 09:00-17:00`; the time zone is picked from the IANA list (chrono-tz). A call
//! destination is one target (`+14155550100`, `sip:desk@pbx.example.com`) or a call chain in
//! the API's JSON.
use maud::{html, Markup};
use serde::Deserialize;

use super::layout::csrf_field;
use super::session::Signed;
use crate::routes::admin::rules::{DepartmentBody, LocationBody};
use crate::routes::api_error::ApiError;
use crate::routing::WeeklyIntervalSpec;
use crate::routing::{
    BusinessHours, BusinessHoursSpec, CallChainSpec, Destinations, DestinationsSpec, MessageRouteSpec, Weekday,
};

const DAYS: [Weekday; 7] = [
    Weekday::Monday,
    Weekday::Tuesday,
    Weekday::Wednesday,
    Weekday::Thursday,
    Weekday::Friday,
    Weekday::Saturday,
    Weekday::Sunday,
];

/// Department or location (the `{kind}` of the console's routing paths).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleKind {
    Department,
    Location,
}

impl RuleKind {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "departments" => Some(RuleKind::Department),
            "locations" => Some(RuleKind::Location),
            _ => None,
        }
    }

    pub fn path(self) -> &'static str {
        match self {
            RuleKind::Department => "departments",
            RuleKind::Location => "locations",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            RuleKind::Department => "department",
            RuleKind::Location => "location",
        }
    }
}

/// The fields of the form, as posted (every field a string; empty means absent).
#[derive(Debug, Default, Deserialize)]
pub struct RuleFields {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub call: String,
    #[serde(default)]
    pub message: String,
    /// `on` when business hours apply.
    #[serde(default)]
    pub hours: Option<String>,
    #[serde(default)]
    pub time_zone: String,
    #[serde(default)]
    pub open: String,
    #[serde(default)]
    pub after_call: String,
    #[serde(default)]
    pub after_message: String,
    /// Locations: area codes, separated by commas or spaces.
    #[serde(default)]
    pub area_codes: String,
}

impl RuleFields {
    /// The form of a stored rule.
    pub fn of(name: &str, destinations: &Destinations, hours: Option<&BusinessHours>, area_codes: &[String]) -> Self {
        let (call, message) = destination_texts(destinations);
        let mut fields = RuleFields {
            name: name.to_owned(),
            call,
            message,
            area_codes: area_codes.join(", "),
            time_zone: "America/New_York".into(),
            open: "monday-friday 09:00-17:00".into(),
            ..Default::default()
        };
        if let Some(h) = hours {
            let (after_call, after_message) = destination_texts(h.after_hours());
            fields.hours = Some("on".into());
            fields.time_zone = h.time_zone().name().to_owned();
            fields.open =
                h.open().iter().map(|i| format!("{} {}-{}", i.day, i.start(), i.end())).collect::<Vec<_>>().join("\n");
            fields.after_call = after_call;
            fields.after_message = after_message;
        }
        fields
    }

    fn destinations(call: &str, message: &str, field: &str) -> Result<DestinationsSpec, ApiError> {
        let call = call.trim();
        let call = match call {
            "" => None,
            json if json.starts_with(['{', '[']) => {
                Some(serde_json::from_str::<CallChainSpec>(json).map_err(|_| {
                    ApiError::invalid(format!("{field}.call"), "is not a call chain (see the API's CallChain)")
                })?)
            }
            one => Some(CallChainSpec::Target(one.to_owned())),
        };
        let message = match message.trim() {
            "" => None,
            json if json.starts_with('{') => Some(serde_json::from_str::<MessageRouteSpec>(json).map_err(|_| {
                ApiError::invalid(
                    format!("{field}.message"),
                    "is not a message destination (a URL, or {\"url\", \"alternates\"})",
                )
            })?),
            url => Some(MessageRouteSpec::Url(url.to_owned())),
        };
        Ok(DestinationsSpec { call, message })
    }

    fn hours(&self) -> Result<Option<BusinessHoursSpec>, ApiError> {
        if self.hours.is_none() {
            return Ok(None);
        }
        let mut open = Vec::new();
        for (i, line) in self.open.lines().map(str::trim).filter(|l| !l.is_empty()).enumerate() {
            let bad = || {
                ApiError::invalid(
                    format!("hours.open[{i}]"),
                    "write `monday 09:00-17:00` or `monday-friday 09:00-17:00`",
                )
            };
            let (days, times) = line.split_once(char::is_whitespace).ok_or_else(bad)?;
            let (start, end) = times.trim().split_once('-').ok_or_else(bad)?;
            for day in day_range(days).ok_or_else(bad)? {
                open.push(WeeklyIntervalSpec { day, start: start.trim().to_owned(), end: end.trim().to_owned() });
            }
        }
        Ok(Some(BusinessHoursSpec {
            time_zone: self.time_zone.trim().to_owned(),
            open,
            after_hours: Self::destinations(&self.after_call, &self.after_message, "hours.after_hours")?,
        }))
    }

    pub fn department(&self) -> Result<DepartmentBody, ApiError> {
        Ok(DepartmentBody {
            destinations: Self::destinations(&self.call, &self.message, "destinations")?,
            hours: self.hours()?,
        })
    }

    pub fn location(&self) -> Result<LocationBody, ApiError> {
        let area_codes = self
            .area_codes
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
            .collect();
        Ok(LocationBody {
            destinations: Self::destinations(&self.call, &self.message, "destinations")?,
            hours: self.hours()?,
            area_codes,
        })
    }
}

fn destination_texts(d: &Destinations) -> (String, String) {
    (
        d.call.as_ref().map(|c| c.to_stored()).unwrap_or_default(),
        d.message.as_ref().map(|m| m.to_stored()).unwrap_or_default(),
    )
}

fn day(s: &str) -> Option<Weekday> {
    let s = s.trim().to_ascii_lowercase();
    DAYS.into_iter().find(|d| d.as_str() == s || (s.len() >= 3 && d.as_str().starts_with(&s)))
}

/// `monday`, `mon`, or a range `monday-friday` (in week order).
fn day_range(s: &str) -> Option<Vec<Weekday>> {
    match s.split_once('-') {
        None => Some(vec![day(s)?]),
        Some((a, b)) => {
            let (a, b) = (day(a)?, day(b)?);
            let (i, j) = (DAYS.iter().position(|d| *d == a)?, DAYS.iter().position(|d| *d == b)?);
            (i <= j).then(|| DAYS[i..=j].to_vec())
        }
    }
}

/// The edit form. `new`: the name is asked for; otherwise it is fixed by the page. `prefix`
/// keeps field ids unique when a page has several forms (`departments-`), else empty.
pub fn render(signed: &Signed, action: &str, kind: RuleKind, fields: &RuleFields, new: bool, prefix: &str) -> Markup {
    let hours_on = fields.hours.is_some();
    let id = |name: &str| format!("{prefix}{name}");
    html! {
        form.stack method="post" action=(action) {
            (csrf_field(signed))
            @if new {
                label for=(id("name")) { "Name" }
                input id=(id("name")) name="name" required maxlength="100" value=(fields.name);
            } @else {
                input type="hidden" name="name" value=(fields.name);
            }
            fieldset {
                legend { "Destinations" }
                label for=(id("call")) { "Calls go to" }
                input id=(id("call")) name="call" value=(fields.call) aria-describedby=(id("call_hint"));
                p.hint id=(id("call_hint")) { "A number (+14155550100), a SIP URI, or a call chain in JSON. Empty: none." }
                label for=(id("message")) { "Messages are forwarded to" }
                input id=(id("message")) name="message" type="url" value=(fields.message) placeholder="https://";
            }
            fieldset {
                legend { "Business hours" }
                label.check for=(id("hours")) {
                    input id=(id("hours")) type="checkbox" name="hours" value="on" checked[hours_on];
                    " Business hours apply (otherwise always open)"
                }
                label for=(id("time_zone")) { "Time zone" }
                select id=(id("time_zone")) name="time_zone" {
                    @for tz in chrono_tz::TZ_VARIANTS.iter() {
                        option value=(tz.name()) selected[tz.name() == fields.time_zone] { (tz.name()) }
                    }
                }
                label for=(id("open")) { "Open hours" }
                textarea id=(id("open")) name="open" rows="4" aria-describedby=(id("open_hint")) { (fields.open) }
                p.hint id=(id("open_hint")) { "One interval per line in local time: monday 09:00-17:00, or monday-friday 09:00-17:00." }
                label for=(id("after_call")) { "After hours, calls go to" }
                input id=(id("after_call")) name="after_call" value=(fields.after_call);
                label for=(id("after_message")) { "After hours, messages are forwarded to" }
                input id=(id("after_message")) name="after_message" type="url" value=(fields.after_message) placeholder="https://";
            }
            @if kind == RuleKind::Location {
                label for=(id("area_codes")) { "Area codes served" }
                input id=(id("area_codes")) name="area_codes" value=(fields.area_codes) aria-describedby=(id("area_codes_hint"));
                p.hint id=(id("area_codes_hint")) { "NANP area codes, separated by commas, for local presence." }
            }
            button type="submit" { "Save " (kind.label()) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_hours_are_read_per_line_with_day_ranges() {
        let fields = RuleFields {
            hours: Some("on".into()),
            time_zone: "America/New_York".into(),
            open: "mon-wed 09:00-17:00\n\nsaturday 10:00-12:00".into(),
            after_call: "+14155550199".into(),
            ..Default::default()
        };
        let spec = fields.hours().unwrap().unwrap();
        let days: Vec<&str> = spec.open.iter().map(|i| i.day.as_str()).collect();
        assert_eq!(days, ["monday", "tuesday", "wednesday", "saturday"]);
        assert_eq!(spec.open[3].start, "10:00");
        assert_eq!(spec.after_hours.call, Some(CallChainSpec::Target("+14155550199".into())));
        let bad = RuleFields { open: "friday-monday 09:00-17:00".into(), ..fields };
        assert!(matches!(bad.hours(), Err(ApiError::Invalid { field, .. }) if field == "hours.open[0]"));
    }

    #[test]
    fn without_the_checkbox_a_rule_is_always_open() {
        let fields = RuleFields { call: "sip:desk@pbx.example.com".into(), ..Default::default() };
        let body = fields.department().unwrap();
        assert!(body.hours.is_none());
        assert_eq!(body.destinations.call, Some(CallChainSpec::Target("sip:desk@pbx.example.com".into())));
        assert_eq!(body.destinations.message, None);
    }
}
