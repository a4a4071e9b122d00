//! Companies at run time: the actor per company, its registry, the owner index, change notifications.
pub mod actor;
pub mod directory;
pub mod facts;
pub mod health;
pub mod index;
pub mod limits;
pub mod live_changes;
pub mod messages;
pub mod registry;
pub mod sending;
pub mod state;
