//! Announcements of changes to what company actors hold: a company's numbers, its rules and
//! defaults, or one customer's assignment. On PostgreSQL the database sends them itself (triggers
//! NOTIFY on `switchboard_changes` in the writing transaction, migration 0009) and every node
//! listens; the node that wrote also applies its own change at once (`company::Directory`).
use crate::domain::{CompanyId, PhoneNumber};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Numbers were added, removed, re-tagged or changed status (also refreshes the owner index).
    Numbers,
    /// Departments, locations, hours, defaults or the default number changed.
    Rules,
    /// This customer's assignment was created, changed or removed.
    Assignment(PhoneNumber),
}

impl Change {
    /// The announcement's text after `<company>:` (as the triggers write it).
    pub fn to_payload(&self) -> String {
        match self {
            Change::Numbers => "numbers".into(),
            Change::Rules => "rules".into(),
            Change::Assignment(customer) => format!("assignment:{customer}"),
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "numbers" => Some(Change::Numbers),
            "rules" => Some(Change::Rules),
            _ => PhoneNumber::parse(s.strip_prefix("assignment:")?).ok().map(Change::Assignment),
        }
    }
}

/// What the change listener hands on from the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Announcement {
    /// A node changed this company.
    Changed(CompanyId, Change),
    /// The listener (re)connected, or a write touched many companies at once (a bulk load):
    /// everything must be read again.
    Resync,
}

impl Announcement {
    /// Reads a `switchboard_changes` payload: `<company>:<change>`, or `*:<change>` for a change
    /// to many companies. `None` for anything else.
    pub fn parse(payload: &str) -> Option<Self> {
        let (company, change) = payload.split_once(':')?;
        let change = Change::parse(change)?;
        if company == "*" {
            return Some(Announcement::Resync);
        }
        Some(Announcement::Changed(company.parse().ok()?, change))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_as_the_triggers_write_them() {
        let company = CompanyId::new();
        let customer = PhoneNumber::parse("+14155550100").unwrap();
        for change in [Change::Numbers, Change::Rules, Change::Assignment(customer)] {
            let payload = format!("{company}:{}", change.to_payload());
            assert_eq!(Announcement::parse(&payload), Some(Announcement::Changed(company, change)));
        }
        assert_eq!(Announcement::parse("*:numbers"), Some(Announcement::Resync));
        assert_eq!(Announcement::parse(&format!("{company}:assignment:not-a-number")), None);
        assert_eq!(Announcement::parse("garbage"), None);
        assert_eq!(Announcement::parse(&format!("{company}:other")), None);
    }
}
