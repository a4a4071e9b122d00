//! Fuzz target logic; see checks.rs. The stable test suite includes checks.rs directly.
pub mod checks;
