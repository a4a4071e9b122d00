//! Provisioning: company set-up and number purchases through the Telnyx API, as resumable jobs.
//!
//! Every step is persisted before (intent) and after (result) its Telnyx call, so a crash or a
//! Telnyx fault resumes at the step reached, and a number order whose outcome is unknown is
//! reconciled (the number looked up in the account) instead of being placed again.
pub mod config;
pub mod job;
mod numbers;
pub mod runner;
mod steps;

pub use config::ProvisioningConfig;
pub use job::{Job, JobKind, JobRequest, JobState, NumberProgress, NumberStep, Progress, Step};
pub use runner::{on_number_order_complete, resume_jobs, JobRunner};
