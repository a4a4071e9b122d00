//! Companies at run time: the actor per company, its registry, and change notifications.
pub mod changes;
