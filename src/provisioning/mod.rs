//! Provisioning: company set-up and number purchases through the Telnyx API, as resumable jobs,
//! and the attachment of numbers registered by hand.
//!
//! Every step is persisted before (intent) and after (result) its Telnyx call, so a crash or a
//! Telnyx fault resumes at the step reached, and a number order whose outcome is unknown is
//! reconciled (the number looked up in the account) instead of being placed again. One job of a
//! company runs at a time, and a failed job is resumed rather than replaced (`start.rs`).
pub mod config;
pub mod job;
mod numbers;
pub mod register;
mod resources;
pub mod runner;
pub mod start;
mod steps;

pub use config::ProvisioningConfig;
pub use job::{Job, JobKind, JobRequest, JobState, NumberProgress, NumberStep, Progress, Step};
pub use register::{register, RegisterError, Registrant};
pub use resources::resource_name;
pub use runner::{on_number_order_complete, resume_jobs, JobRunner};
pub use start::{is_provisioned, StartError, Started};
