//! What admin handlers and provisioning call after changing a company's numbers or rules, so the
//! owner index and the company's actor (on this node and, through PostgreSQL NOTIFY, on every
//! other node) pick the change up for the next event.
use std::sync::Arc;

use async_trait::async_trait;

use crate::domain::CompanyId;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Numbers were added, removed, re-tagged or changed status (also refreshes the owner index).
    Numbers,
    /// Departments, locations, hours, defaults, assignments or opt-outs changed.
    Rules,
}

impl Change {
    pub fn as_str(self) -> &'static str {
        match self {
            Change::Numbers => "numbers",
            Change::Rules => "rules",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "numbers" => Some(Change::Numbers),
            "rules" => Some(Change::Rules),
            _ => None,
        }
    }
}

/// What the change listener hands on from the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Announcement {
    /// A node changed this company.
    Changed(CompanyId, Change),
    /// The listener (re)connected: whatever was announced while it was not listening is lost, so
    /// everything must be read again.
    Resync,
}

#[async_trait]
pub trait CompanyChanges: Send + Sync {
    /// Applies the change locally before returning, and tells other nodes.
    async fn changed(&self, company: CompanyId, change: Change);
}

pub type DynChanges = Arc<dyn CompanyChanges>;

/// For tools and tests that run without actors.
pub struct NoChanges;

#[async_trait]
impl CompanyChanges for NoChanges {
    async fn changed(&self, _company: CompanyId, _change: Change) {}
}
