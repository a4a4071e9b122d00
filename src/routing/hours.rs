//! Business hours: weekly open intervals in local wall-clock time of an IANA time zone.
use std::fmt;

use chrono::{DateTime, Datelike, Timelike, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize, Serializer};

use super::destinations::{Destinations, DestinationsSpec};
use super::error::{RuleError, RuleErrorKind};
use super::schema::string_schema;

/// A day of the week (`"monday"` ... `"sunday"` in JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Weekday {
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
    Saturday,
    Sunday,
}

impl Weekday {
    pub fn as_str(self) -> &'static str {
        match self {
            Weekday::Monday => "monday",
            Weekday::Tuesday => "tuesday",
            Weekday::Wednesday => "wednesday",
            Weekday::Thursday => "thursday",
            Weekday::Friday => "friday",
            Weekday::Saturday => "saturday",
            Weekday::Sunday => "sunday",
        }
    }
}

impl From<chrono::Weekday> for Weekday {
    fn from(d: chrono::Weekday) -> Self {
        match d {
            chrono::Weekday::Mon => Weekday::Monday,
            chrono::Weekday::Tue => Weekday::Tuesday,
            chrono::Weekday::Wed => Weekday::Wednesday,
            chrono::Weekday::Thu => Weekday::Thursday,
            chrono::Weekday::Fri => Weekday::Friday,
            chrono::Weekday::Sat => Weekday::Saturday,
            chrono::Weekday::Sun => Weekday::Sunday,
        }
    }
}

impl fmt::Display for Weekday {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A wall-clock time of day, `"HH:MM"` from `00:00` to `24:00` (the end of the day).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(try_from = "String")]
pub struct ClockTime(u16);

const MINUTES_PER_DAY: u16 = 24 * 60;

impl ClockTime {
    pub const END_OF_DAY: ClockTime = ClockTime(MINUTES_PER_DAY);

    /// Parses exactly `HH:MM` (two digits each).
    pub fn parse(input: &str) -> Result<Self, RuleError> {
        let bad = || RuleError::new(RuleErrorKind::InvalidTime(input.to_owned()));
        let b = input.as_bytes();
        if b.len() != 5 || b[2] != b':' || ![b[0], b[1], b[3], b[4]].iter().all(u8::is_ascii_digit) {
            return Err(bad());
        }
        let hours = u16::from(b[0] - b'0') * 10 + u16::from(b[1] - b'0');
        let minutes = u16::from(b[3] - b'0') * 10 + u16::from(b[4] - b'0');
        if minutes >= 60 || hours > 24 || (hours == 24 && minutes != 0) {
            return Err(bad());
        }
        Ok(ClockTime(hours * 60 + minutes))
    }

    pub fn from_hm(hours: u32, minutes: u32) -> Option<Self> {
        let m = u16::try_from(hours.checked_mul(60)?.checked_add(minutes)?).ok()?;
        (minutes < 60 && m <= MINUTES_PER_DAY).then_some(ClockTime(m))
    }

    /// Minutes since local midnight.
    pub fn minutes(self) -> u16 {
        self.0
    }
}

impl TryFrom<String> for ClockTime {
    type Error = RuleError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl fmt::Display for ClockTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 60, self.0 % 60)
    }
}

impl Serialize for ClockTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

string_schema!(ClockTime, "Local wall-clock time HH:MM, 00:00 to 24:00 (end of day).", "09:00");

/// Open on `day` from `start` (inclusive) to `end` (exclusive), local time. Intervals do not cross
/// midnight: 22:00-02:00 is written as 22:00-24:00 on one day and 00:00-02:00 on the next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(try_from = "WeeklyIntervalSpec")]
pub struct WeeklyInterval {
    pub day: Weekday,
    start: ClockTime,
    end: ClockTime,
}

impl WeeklyInterval {
    /// `start` must be before `end`.
    pub fn new(day: Weekday, start: ClockTime, end: ClockTime) -> Result<Self, RuleError> {
        if start >= end {
            let kind = RuleErrorKind::EmptyInterval { start: start.to_string(), end: end.to_string() };
            return Err(RuleError::new(kind).within("end"));
        }
        Ok(WeeklyInterval { day, start, end })
    }

    pub fn start(&self) -> ClockTime {
        self.start
    }

    pub fn end(&self) -> ClockTime {
        self.end
    }

    fn contains(&self, day: Weekday, minute: u16) -> bool {
        self.day == day && self.start.0 <= minute && minute < self.end.0
    }
}

/// [`WeeklyInterval`] as it arrives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WeeklyIntervalSpec {
    pub day: Weekday,
    #[schema(example = "09:00")]
    pub start: String,
    #[schema(example = "17:00")]
    pub end: String,
}

impl TryFrom<WeeklyIntervalSpec> for WeeklyInterval {
    type Error = RuleError;
    fn try_from(spec: WeeklyIntervalSpec) -> Result<Self, Self::Error> {
        let start = ClockTime::parse(&spec.start).map_err(|e| e.within("start"))?;
        let end = ClockTime::parse(&spec.end).map_err(|e| e.within("end"))?;
        WeeklyInterval::new(spec.day, start, end)
    }
}

/// Weekly opening hours in a time zone, and where events go while closed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(try_from = "BusinessHoursSpec")]
pub struct BusinessHours {
    #[serde(serialize_with = "serialize_tz")]
    #[schema(value_type = String, example = "America/Los_Angeles")]
    time_zone: Tz,
    open: Vec<WeeklyInterval>,
    after_hours: Destinations,
}

fn serialize_tz<S: Serializer>(tz: &Tz, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(tz.name())
}

impl BusinessHours {
    /// Intervals on the same day must not overlap (touching, 09:00-12:00 and 12:00-13:00, is fine).
    /// An error names the later interval: `open[2]`.
    pub fn new(time_zone: Tz, open: Vec<WeeklyInterval>, after_hours: Destinations) -> Result<Self, RuleError> {
        for (i, a) in open.iter().enumerate() {
            let clash = open[..i].iter().position(|b| b.day == a.day && a.start < b.end && b.start < a.end);
            if let Some(j) = clash {
                let kind = RuleErrorKind::Overlap { day: a.day.to_string(), other: format!("open[{j}]") };
                return Err(RuleError::new(kind).within(&format!("open[{i}]")));
            }
        }
        Ok(BusinessHours { time_zone, open, after_hours })
    }

    pub fn time_zone(&self) -> Tz {
        self.time_zone
    }

    pub fn open(&self) -> &[WeeklyInterval] {
        &self.open
    }

    pub fn after_hours(&self) -> &Destinations {
        &self.after_hours
    }

    /// Is `now` inside an open interval, in local wall-clock time of the zone? Converting each
    /// instant to local time makes this right on both sides of a daylight-saving change.
    pub fn is_open(&self, now: DateTime<Utc>) -> bool {
        let local = now.with_timezone(&self.time_zone);
        let day = Weekday::from(local.weekday());
        // Seconds are ignored: 16:59:59 is still inside an interval that ends at 17:00.
        let minute = (local.hour() * 60 + local.minute()) as u16;
        self.open.iter().any(|i| i.contains(day, minute))
    }
}

/// Parses an IANA time zone name.
pub fn parse_time_zone(name: &str) -> Result<Tz, RuleError> {
    name.parse::<Tz>().map_err(|_| RuleError::new(RuleErrorKind::UnknownTimeZone(name.to_owned())))
}

/// [`BusinessHours`] as it arrives (plain strings).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BusinessHoursSpec {
    #[schema(example = "America/Los_Angeles")]
    pub time_zone: String,
    #[serde(deserialize_with = "crate::json_object::objects")]
    pub open: Vec<WeeklyIntervalSpec>,
    #[serde(default, deserialize_with = "crate::json_object::object")]
    pub after_hours: DestinationsSpec,
}

impl TryFrom<BusinessHoursSpec> for BusinessHours {
    type Error = RuleError;
    fn try_from(spec: BusinessHoursSpec) -> Result<Self, Self::Error> {
        let time_zone = parse_time_zone(&spec.time_zone).map_err(|e| e.within("time_zone"))?;
        let open = spec
            .open
            .into_iter()
            .enumerate()
            .map(|(i, s)| WeeklyInterval::try_from(s).map_err(|e| e.within(&format!("open[{i}]"))))
            .collect::<Result<Vec<_>, _>>()?;
        let after_hours = Destinations::try_from(spec.after_hours).map_err(|e| e.within("after_hours"))?;
        BusinessHours::new(time_zone, open, after_hours)
    }
}
