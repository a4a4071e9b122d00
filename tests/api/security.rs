//! Security findings of the tenancy audit (issue 19), one test (or a few) per finding.
mod auth_limit;
mod errors;
mod foreign_numbers;
mod limits;
mod number_ownership;
mod reservations;
mod retention;
mod rule_names;
mod secret_rotation;
mod ssrf;
mod tokens;
