//! Departments and locations: named rules with destinations and optional business hours.
use serde::{Deserialize, Serialize};

use super::destinations::{Destinations, DestinationsSpec};
use super::error::{RuleError, RuleErrorKind};
use super::hours::{BusinessHours, BusinessHoursSpec};

const NAME_MAX_LEN: usize = 100;

/// A department (Sales, Support, ...): numbers tagged with it route to its destinations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(try_from = "DepartmentSpec")]
pub struct Department {
    pub name: String,
    pub destinations: Destinations,
    pub hours: Option<BusinessHours>,
}

/// A location (San Francisco, ...): like a department, plus the area codes it serves, used to
/// pick a local sender for outbound messages and calls.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(try_from = "LocationSpec")]
pub struct Location {
    pub name: String,
    pub destinations: Destinations,
    pub hours: Option<BusinessHours>,
    area_codes: Vec<String>,
}

impl Location {
    /// Every area code must be a NANP area code (`415`); an error names `area_codes[i]`.
    pub fn new(
        name: String,
        destinations: Destinations,
        hours: Option<BusinessHours>,
        area_codes: Vec<String>,
    ) -> Result<Self, RuleError> {
        for (i, code) in area_codes.iter().enumerate() {
            check_area_code(code).map_err(|e| e.within(&format!("area_codes[{i}]")))?;
        }
        Ok(Location { name: check_name(name)?, destinations, hours, area_codes })
    }

    pub fn area_codes(&self) -> &[String] {
        &self.area_codes
    }

    pub fn serves_area_code(&self, code: &str) -> bool {
        self.area_codes.iter().any(|c| c == code)
    }
}

impl Department {
    pub fn new(name: String, destinations: Destinations, hours: Option<BusinessHours>) -> Result<Self, RuleError> {
        Ok(Department { name: check_name(name)?, destinations, hours })
    }
}

/// A name: trimmed, 1 to 100 characters, no control characters. Errors name the field `name`.
pub fn check_name(name: String) -> Result<String, RuleError> {
    let trimmed = name.trim();
    let kind = if trimmed.is_empty() {
        RuleErrorKind::Empty
    } else if trimmed.chars().count() > NAME_MAX_LEN {
        RuleErrorKind::TooLong { max: NAME_MAX_LEN }
    } else if trimmed.chars().any(char::is_control) {
        RuleErrorKind::ForbiddenCharacter
    } else {
        return Ok(if trimmed.len() == name.len() { name } else { trimmed.to_owned() });
    };
    Err(RuleError::new(kind).within("name"))
}

/// NANP area code: `NXX`, N in 2-9, and not an `N11` service code.
pub fn check_area_code(code: &str) -> Result<(), RuleError> {
    let b = code.as_bytes();
    let ok = b.len() == 3 && b.iter().all(u8::is_ascii_digit) && b[0] >= b'2' && !(b[1] == b'1' && b[2] == b'1');
    if ok {
        Ok(())
    } else {
        Err(RuleErrorKind::InvalidAreaCode(code.to_owned()).into())
    }
}

/// [`Department`] as it arrives (plain strings).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DepartmentSpec {
    pub name: String,
    #[serde(default)]
    pub destinations: DestinationsSpec,
    #[serde(default)]
    pub hours: Option<BusinessHoursSpec>,
}

/// [`Location`] as it arrives (plain strings).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LocationSpec {
    pub name: String,
    #[serde(default)]
    pub destinations: DestinationsSpec,
    #[serde(default)]
    pub hours: Option<BusinessHoursSpec>,
    #[serde(default)]
    pub area_codes: Vec<String>,
}

fn parse_common(
    destinations: DestinationsSpec,
    hours: Option<BusinessHoursSpec>,
) -> Result<(Destinations, Option<BusinessHours>), RuleError> {
    let destinations = Destinations::try_from(destinations).map_err(|e| e.within("destinations"))?;
    let hours = hours.map(BusinessHours::try_from).transpose().map_err(|e| e.within("hours"))?;
    Ok((destinations, hours))
}

impl TryFrom<DepartmentSpec> for Department {
    type Error = RuleError;
    fn try_from(spec: DepartmentSpec) -> Result<Self, Self::Error> {
        let (destinations, hours) = parse_common(spec.destinations, spec.hours)?;
        Department::new(spec.name, destinations, hours)
    }
}

impl TryFrom<LocationSpec> for Location {
    type Error = RuleError;
    fn try_from(spec: LocationSpec) -> Result<Self, Self::Error> {
        let (destinations, hours) = parse_common(spec.destinations, spec.hours)?;
        Location::new(spec.name, destinations, hours, spec.area_codes)
    }
}
