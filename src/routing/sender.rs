//! Outbound sender choice: which of the company's numbers a message or call goes out from.
//!
//! Order: the recipient must not have opted out; an explicit `from` (the company's, active, with
//! the feature, else a specific error); the recipient's assigned number; a local number (own area
//! code equal to the recipient's, then a number whose location serves that area code; the lowest
//! E.164 wins a tie); the default number; else an error.
//!
//! Number health: every automatic choice (local presence, the default, the number a new sticky
//! assignment gets) skips an unhealthy number. A customer assigned to an unhealthy number moves to
//! a healthy one of the same department, else of the same location, else to what the automatic
//! order picks (`replaces` says so; the caller moves the assignment and logs it). An explicit
//! `from` is still honoured, with a `warning`.
use serde::Serialize;

use super::state::{CompanyRouting, NumberRecord};
use crate::domain::{Feature, NumberStatus, PhoneNumber, PhoneNumberId};

/// What is being sent, to whom, and optionally from which number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SenderRequest {
    pub to: PhoneNumber,
    pub explicit_from: Option<PhoneNumber>,
    /// Sms, Mms (a message with media) or Voice.
    pub needed: Feature,
}

/// Why a sender was chosen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum SenderReason {
    /// The request named it.
    Explicit,
    /// The recipient is assigned to it.
    Assigned,
    /// Its area code is the recipient's.
    LocalAreaCode { area_code: String },
    /// Its location serves the recipient's area code.
    Location { name: String },
    /// The company's default outbound number.
    Default,
    /// The recipient's assigned number is unhealthy: a healthy number of its department or
    /// location took over.
    Reassigned { previous: String },
}

/// The number to send from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct SenderChoice {
    #[schema(value_type = String)]
    pub from: PhoneNumber,
    #[schema(value_type = String, format = Uuid)]
    pub number_id: PhoneNumberId,
    pub reason: SenderReason,
    /// The recipient has no usable assignment: store `to -> from` so later contact sticks to it.
    pub creates_assignment: bool,
    /// The recipient's assignment is on this unhealthy number: move it to `from`.
    #[serde(skip)]
    pub replaces: Option<PhoneNumber>,
    /// Why sending from `from` may go badly (an explicit `from` that is unhealthy).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SenderError {
    #[error("{to} has opted out of messages from this company")]
    OptedOut { to: PhoneNumber },
    #[error("{number} is not one of the company's numbers")]
    NotCompanyNumber { number: PhoneNumber },
    #[error("{number} is {status}, not active")]
    Inactive { number: PhoneNumber, status: NumberStatus },
    #[error("{number} does not have the {feature} feature")]
    MissingFeature { number: PhoneNumber, feature: Feature },
    #[error("no active, healthy company number with the {feature} feature can send to {to}: no assignment, no local number and no usable default number")]
    NoSender { to: PhoneNumber, feature: Feature },
}

/// Chooses the number to send from. `default_number` is the company's default outbound number.
pub fn choose_sender(
    req: &SenderRequest,
    company: &CompanyRouting,
    default_number: Option<&PhoneNumber>,
) -> Result<SenderChoice, SenderError> {
    if company.is_opted_out(&req.to) {
        return Err(SenderError::OptedOut { to: req.to.clone() });
    }
    let assigned = company.assignment(&req.to).and_then(|n| company.number(n));
    // A stale assignment (to a number the company lost or deleted) is replaced; a suspended one is
    // kept, since suspension may be lifted.
    let creates_assignment = assigned.is_none_or(|r| r.status == NumberStatus::Deleted);
    let healthy = |r: &&NumberRecord| company.unhealthy_reason(&r.number).is_none();
    // An assignment on an unhealthy number that could send moves (see the module doc).
    let replaces = assigned.filter(|r| r.can(req.needed) && !healthy(r)).map(|r| r.number.clone());
    let choice = |record: &NumberRecord, reason| SenderChoice {
        from: record.number.clone(),
        number_id: record.id,
        reason,
        creates_assignment,
        replaces: replaces.clone(),
        warning: None,
    };

    if let Some(from) = &req.explicit_from {
        let record = company.number(from).ok_or_else(|| SenderError::NotCompanyNumber { number: from.clone() })?;
        check_usable(record, req.needed)?;
        let warning = company.unhealthy_reason(from).map(|why| format!("{from} is unhealthy ({why})"));
        return Ok(SenderChoice { replaces: None, warning, ..choice(record, SenderReason::Explicit) });
    }
    let usable = || company.numbers().filter(|r| r.can(req.needed)).filter(healthy);
    if let Some(record) = assigned.filter(|r| r.can(req.needed)) {
        if healthy(&record) {
            return Ok(choice(record, SenderReason::Assigned));
        }
        let same = |tag: &Option<String>, of: fn(&NumberRecord) -> &Option<String>| {
            tag.as_ref().and_then(|t| usable().find(|r| of(r).as_ref() == Some(t)))
        };
        let sibling = same(&record.department, |r| &r.department).or_else(|| same(&record.location, |r| &r.location));
        if let Some(sibling) = sibling {
            return Ok(choice(sibling, SenderReason::Reassigned { previous: record.number.to_string() }));
        }
    }
    if let Some(code) = req.to.area_code() {
        if let Some(record) = usable().find(|r| r.number.area_code() == Some(code)) {
            return Ok(choice(record, SenderReason::LocalAreaCode { area_code: code.to_owned() }));
        }
        let serving = |r: &&NumberRecord| {
            let location = r.location.as_deref().and_then(|name| company.location(name));
            location.filter(|l| l.serves_area_code(code)).map(|l| l.name.clone())
        };
        if let Some((record, name)) = usable().find_map(|r| serving(&r).map(|name| (r, name))) {
            return Ok(choice(record, SenderReason::Location { name }));
        }
    }
    if let Some(record) = default_number.and_then(|n| company.number(n)).filter(|r| r.can(req.needed)).filter(healthy) {
        return Ok(choice(record, SenderReason::Default));
    }
    Err(SenderError::NoSender { to: req.to.clone(), feature: req.needed })
}

fn check_usable(record: &NumberRecord, feature: Feature) -> Result<(), SenderError> {
    if !record.is_active() {
        return Err(SenderError::Inactive { number: record.number.clone(), status: record.status });
    }
    if !record.features.contains(feature) {
        return Err(SenderError::MissingFeature { number: record.number.clone(), feature });
    }
    Ok(())
}
