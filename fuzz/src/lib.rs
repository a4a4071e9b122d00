//! Fuzz target logic; see src/checks/. The stable test suite includes src/checks/mod.rs directly.
pub mod checks;
