//! A provisioning job: its request, its progress and which step comes next (pure logic).
//!
//! Job steps: messaging_profile -> outbound_voice_profile (provision only) ->
//! call_control_application -> application_voice_profile (provision only: an application that
//! existed before without the profile gets it) -> search -> numbers -> settings (provision only)
//! -> done. Each number in `numbers` has its own sub-step: order -> await_order -> find_id ->
//! store -> enable_messaging -> attach_connection -> done (or failed).
//!
//! At most one job of a company runs at a time (a unique index decides). A failed job runs again
//! from the step it reached ([`Progress::reopen`]): an order it placed is followed, never placed
//! again.
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::{CompanyId, PhoneNumber, PhoneNumberId};
use crate::store::{JobRecord, JobUpdate, StoreError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    /// Messaging profile, call control application, one number, settings, default number.
    Provision,
    /// More numbers on the company's existing profile and application.
    Purchase,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    Running,
    Done,
    Failed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    MessagingProfile,
    OutboundVoiceProfile,
    CallControlApplication,
    ApplicationVoiceProfile,
    Search,
    Numbers,
    Settings,
    Done,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NumberStep {
    Order,
    AwaitOrder,
    FindId,
    Store,
    EnableMessaging,
    AttachConnection,
    Done,
    Failed,
}

macro_rules! names {
    ($ty:ty { $($v:ident = $s:literal),* $(,)? }) => {
        impl $ty {
            pub fn as_str(self) -> &'static str {
                match self { $(<$ty>::$v => $s),* }
            }
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($s => Some(<$ty>::$v),)* _ => None }
            }
        }
    };
}
names!(JobKind { Provision = "provision", Purchase = "purchase" });
names!(JobState { Running = "running", Done = "done", Failed = "failed" });
names!(Step {
    MessagingProfile = "messaging_profile",
    OutboundVoiceProfile = "outbound_voice_profile",
    CallControlApplication = "call_control_application",
    ApplicationVoiceProfile = "application_voice_profile",
    Search = "search",
    Numbers = "numbers",
    Settings = "settings",
    Done = "done",
});

/// What was asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct JobRequest {
    /// Numbers to buy (0 for a provision job that only completes a company provisioned before:
    /// its outbound voice profile).
    pub quantity: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub area_code: Option<String>,
}

/// One number being bought.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct NumberProgress {
    #[schema(value_type = String, example = "+18314280176")]
    pub phone_number: PhoneNumber,
    pub step: NumberStep,
    /// Sent as the order's `customer_reference`: `<job id>-<index>`.
    pub customer_reference: String,
    /// Written before POST /number_orders: with no `order_id` after it, the outcome is unknown and
    /// the order is reconciled (the number looked up in the account) before anything else.
    #[serde(default)]
    pub order_sent: bool,
    /// Orders sent for this number (at most 2: a second only after reconciling found nothing).
    #[serde(default)]
    pub order_attempts: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub telnyx_phone_number_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = Uuid)]
    pub number_id: Option<PhoneNumberId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl NumberProgress {
    pub fn new(phone_number: PhoneNumber, customer_reference: String) -> Self {
        NumberProgress {
            phone_number,
            step: NumberStep::Order,
            customer_reference,
            order_sent: false,
            order_attempts: 0,
            order_id: None,
            telnyx_phone_number_id: None,
            number_id: None,
            error: None,
        }
    }

    pub fn is_finished(&self) -> bool {
        matches!(self.step, NumberStep::Done | NumberStep::Failed)
    }
}

/// Everything learned so far; stored as JSON after every step.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Progress {
    #[serde(default)]
    pub messaging_profile_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outbound_voice_profile_id: Option<String>,
    #[serde(default)]
    pub call_control_application_id: Option<String>,
    /// The application references `outbound_voice_profile_id` (created with it, or updated).
    #[serde(default)]
    pub voice_profile_attached: bool,
    /// A create (profile or application) was sent and its answer not recorded: before creating
    /// again, the resource is looked up by name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_sent: Option<Step>,
    #[serde(default)]
    pub searched: bool,
    /// How many suitable numbers the search found (up to the quantity asked).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub available: Option<u32>,
    /// Said when fewer numbers were available than asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(default)]
    pub numbers: Vec<NumberProgress>,
    #[serde(default)]
    pub settings_stored: bool,
}

impl Progress {
    /// The step to run next.
    pub fn next_step(&self, kind: JobKind) -> Step {
        let provision = kind == JobKind::Provision;
        if self.messaging_profile_id.is_none() {
            Step::MessagingProfile
        } else if provision && self.outbound_voice_profile_id.is_none() {
            Step::OutboundVoiceProfile
        } else if self.call_control_application_id.is_none() {
            Step::CallControlApplication
        } else if provision && !self.voice_profile_attached {
            Step::ApplicationVoiceProfile
        } else if !self.searched {
            Step::Search
        } else if self.numbers.iter().any(|n| !n.is_finished()) {
            Step::Numbers
        } else if kind == JobKind::Provision && !self.settings_stored {
            Step::Settings
        } else {
            Step::Done
        }
    }

    pub fn bought(&self) -> impl Iterator<Item = &NumberProgress> {
        self.numbers.iter().filter(|n| n.step == NumberStep::Done)
    }

    /// Prepares a failed job to run again from the step it reached: what was created is kept, a
    /// number whose order was placed goes on from its order (followed, never placed again). Only
    /// when every number failed, so that nothing was bought, does the search run again (numbers
    /// tried before are not offered again).
    pub fn reopen(&mut self) {
        let all_failed = !self.numbers.is_empty() && self.numbers.iter().all(|n| n.step == NumberStep::Failed);
        if self.searched && all_failed {
            self.searched = false;
            self.available = None;
            self.note = None;
        }
    }

    /// Whether some number's order was placed and its purchase is not settled: the job holds
    /// money that must be reconciled before anything else is bought for the same request.
    pub fn has_open_orders(&self) -> bool {
        self.numbers.iter().any(|n| !n.is_finished() && (n.order_sent || n.order_id.is_some()))
    }
}

/// A job as the runner and the HTTP API see it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Job {
    pub id: Uuid,
    #[schema(value_type = String, format = Uuid)]
    pub company_id: CompanyId,
    pub kind: JobKind,
    pub request: JobRequest,
    pub state: JobState,
    pub step: Step,
    #[serde(flatten)]
    pub progress: Progress,
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Job {
    pub fn new(company_id: CompanyId, kind: JobKind, request: JobRequest, progress: Progress) -> Self {
        let now = Utc::now();
        let step = progress.next_step(kind);
        Job {
            id: Uuid::new_v4(),
            company_id,
            kind,
            request,
            state: JobState::Running,
            step,
            progress,
            error: None,
            created_at: now,
            updated_at: now,
        }
    }

    pub fn to_record(&self) -> Result<JobRecord, StoreError> {
        Ok(JobRecord {
            id: self.id,
            company_id: self.company_id,
            kind: self.kind.as_str().to_owned(),
            request: to_json(&self.request)?,
            state: self.state.as_str().to_owned(),
            step: self.step.as_str().to_owned(),
            progress: to_json(&self.progress)?,
            error: self.error.clone(),
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }

    pub fn progress_json(&self) -> Result<serde_json::Value, StoreError> {
        to_json(&self.progress)
    }

    /// The stored fields a save changes, borrowing `progress` (from [`Job::progress_json`]).
    pub fn update<'a>(&'a self, progress: &'a serde_json::Value) -> JobUpdate<'a> {
        JobUpdate { state: self.state.as_str(), step: self.step.as_str(), progress, error: self.error.as_deref() }
    }
}

fn to_json<T: Serialize>(v: &T) -> Result<serde_json::Value, StoreError> {
    serde_json::to_value(v).map_err(|e| StoreError::Corrupt(format!("provisioning job: {e}")))
}

impl TryFrom<JobRecord> for Job {
    type Error = StoreError;
    fn try_from(r: JobRecord) -> Result<Self, StoreError> {
        let corrupt = |what: &str, detail: String| StoreError::Corrupt(format!("provisioning_jobs.{what}: {detail}"));
        Ok(Job {
            id: r.id,
            company_id: r.company_id,
            kind: JobKind::parse(&r.kind).ok_or_else(|| corrupt("kind", r.kind.clone()))?,
            request: serde_json::from_value(r.request).map_err(|e| corrupt("request", e.to_string()))?,
            state: JobState::parse(&r.state).ok_or_else(|| corrupt("state", r.state.clone()))?,
            step: Step::parse(&r.step).ok_or_else(|| corrupt("step", r.step.clone()))?,
            progress: serde_json::from_value(r.progress).map_err(|e| corrupt("progress", e.to_string()))?,
            error: r.error,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_follow_the_progress() {
        let mut p = Progress::default();
        assert_eq!(p.next_step(JobKind::Provision), Step::MessagingProfile);
        p.messaging_profile_id = Some("p".into());
        assert_eq!(p.next_step(JobKind::Provision), Step::OutboundVoiceProfile);
        assert_eq!(p.next_step(JobKind::Purchase), Step::CallControlApplication);
        p.outbound_voice_profile_id = Some("v".into());
        p.call_control_application_id = Some("a".into());
        assert_eq!(p.next_step(JobKind::Provision), Step::ApplicationVoiceProfile);
        assert_eq!(p.next_step(JobKind::Purchase), Step::Search);
        p.voice_profile_attached = true;
        assert_eq!(p.next_step(JobKind::Provision), Step::Search);
        p.searched = true;
        let n = PhoneNumber::parse("+14155550100").expect("e164");
        p.numbers.push(NumberProgress::new(n, "j-0".into()));
        assert_eq!(p.next_step(JobKind::Provision), Step::Numbers);
        p.numbers[0].step = NumberStep::Done;
        assert_eq!(p.next_step(JobKind::Provision), Step::Settings);
        assert_eq!(p.next_step(JobKind::Purchase), Step::Done);
    }

    #[test]
    fn a_reopened_job_searches_again_only_when_nothing_was_bought() {
        let number = |step, order_sent| {
            let mut n = NumberProgress::new(PhoneNumber::parse("+14155550100").expect("e164"), "j-0".into());
            n.step = step;
            n.order_sent = order_sent;
            n
        };
        let mut p =
            Progress { searched: true, numbers: vec![number(NumberStep::AwaitOrder, true)], ..Default::default() };
        assert!(p.has_open_orders());
        p.reopen();
        assert!(p.searched, "an order placed is followed, not searched for again");
        p.numbers = vec![number(NumberStep::Done, true), number(NumberStep::Failed, false)];
        assert!(!p.has_open_orders());
        p.reopen();
        assert!(p.searched, "one number was bought");
        p.numbers = vec![number(NumberStep::Failed, false)];
        p.reopen();
        assert!(!p.searched, "nothing was bought: search again");
    }
}
