//! The company's three Telnyx resources, each created once: its messaging profile, its outbound
//! voice profile and its Call Control application (which references the voice profile, so that
//! it can dial out), all named `switchboard <company id>` and pointing at the company's webhook
//! URL and, when configured, its failover URL.
//!
//! A create is recorded as an intent (`create_sent`) before it is sent. When its outcome is
//! unknown (an ambiguous answer, or a crash in between), the resource is looked up by name before
//! anything is created again, so a company gets one of each.
use url::Url;

use super::job::{Job, Step};
use super::runner::JobRunner;
use super::steps::{client, save, StepError, StepResult};
use crate::domain::CompanyId;
use crate::telnyx::client::{
    NewCallControlApplication, NewMessagingProfile, NewOutboundVoiceProfile, TelnyxClient, TelnyxError,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Resource {
    MessagingProfile,
    OutboundVoiceProfile,
    CallControlApplication,
}

impl Resource {
    fn of(step: Step) -> Option<Resource> {
        match step {
            Step::MessagingProfile => Some(Resource::MessagingProfile),
            Step::OutboundVoiceProfile => Some(Resource::OutboundVoiceProfile),
            Step::CallControlApplication => Some(Resource::CallControlApplication),
            _ => None,
        }
    }

    fn step(self) -> Step {
        match self {
            Resource::MessagingProfile => Step::MessagingProfile,
            Resource::OutboundVoiceProfile => Step::OutboundVoiceProfile,
            Resource::CallControlApplication => Step::CallControlApplication,
        }
    }

    fn as_str(self) -> &'static str {
        self.step().as_str()
    }

    fn label(self) -> &'static str {
        match self {
            Resource::MessagingProfile => "messaging profile",
            Resource::OutboundVoiceProfile => "outbound voice profile",
            Resource::CallControlApplication => "call control application",
        }
    }
}

/// The name every resource of `company` gets (unique per company: what a lookup finds).
pub fn resource_name(company: CompanyId) -> String {
    format!("switchboard {company}")
}

/// What the company's resources are given.
struct Wanted {
    name: String,
    webhook_url: Url,
    failover_url: Option<Url>,
}

impl Wanted {
    fn of(runner: &JobRunner, company: CompanyId) -> Result<Wanted, StepError> {
        let config = runner.config();
        let webhook_url =
            config.webhook_url(company).ok_or_else(|| StepError::Failed("public_base_url is not configured".into()))?;
        Ok(Wanted { name: resource_name(company), webhook_url, failover_url: config.failover_webhook_url(company) })
    }

    fn application(&self) -> NewCallControlApplication {
        NewCallControlApplication {
            application_name: self.name.clone(),
            webhook_event_url: self.webhook_url.clone(),
            webhook_event_failover_url: self.failover_url.clone(),
        }
    }
}

/// Runs the step that makes `step`'s resource (messaging profile, outbound voice profile or
/// application) or, for [`Step::ApplicationVoiceProfile`], gives the application its profile.
pub async fn run(runner: &JobRunner, job: &mut Job, step: Step) -> StepResult {
    if step == Step::ApplicationVoiceProfile {
        return attach_voice_profile(runner, job).await;
    }
    let resource = Resource::of(step).ok_or_else(|| StepError::Failed(format!("{} is no resource", step.as_str())))?;
    if resource == Resource::OutboundVoiceProfile {
        if let Some(shared) = runner.config().outbound_voice_profile_id.clone() {
            job.progress.outbound_voice_profile_id = Some(shared);
            return Ok(());
        }
    }
    let client = client(runner)?;
    let wanted = Wanted::of(runner, job.company_id)?;
    if job.progress.create_sent == Some(step) {
        if let Some(id) = find(&client, resource, &wanted.name).await? {
            tracing::info!(job_id = %job.id, resource = resource.as_str(), "found what an earlier create made");
            record(job, resource, id, false);
            return Ok(());
        }
    }
    job.progress.create_sent = Some(step);
    save(runner, job).await?;
    match create(runner, &client, resource, &wanted, job).await {
        Ok(id) => record(job, resource, id, true),
        Err(e) if e.is_ambiguous() => {
            tracing::warn!(job_id = %job.id, resource = resource.as_str(), error = %e, "create outcome unknown: looking it up");
            let Some(id) = find(&client, resource, &wanted.name).await? else {
                // Still recorded as sent: running the job again looks it up before creating.
                return Err(StepError::Failed(format!(
                    "{e}; no {} named {:?} exists yet",
                    resource.label(),
                    wanted.name
                )));
            };
            record(job, resource, id, false);
        }
        Err(e) => {
            // Refused, or never sent: nothing was made.
            job.progress.create_sent = None;
            return Err(e.into());
        }
    }
    Ok(())
}

fn record(job: &mut Job, resource: Resource, id: String, created_here: bool) {
    let p = &mut job.progress;
    match resource {
        Resource::MessagingProfile => p.messaging_profile_id = Some(id),
        Resource::OutboundVoiceProfile => p.outbound_voice_profile_id = Some(id),
        Resource::CallControlApplication => {
            p.call_control_application_id = Some(id);
            // Created with the profile; one found by name is updated to it (the next step).
            p.voice_profile_attached = created_here && p.outbound_voice_profile_id.is_some();
        }
    }
    p.create_sent = None;
}

async fn create(
    runner: &JobRunner,
    client: &TelnyxClient,
    resource: Resource,
    wanted: &Wanted,
    job: &Job,
) -> Result<String, TelnyxError> {
    let whitelisted = runner.config().whitelisted_destinations.clone();
    match resource {
        Resource::MessagingProfile => {
            let profile = NewMessagingProfile {
                name: wanted.name.clone(),
                whitelisted_destinations: whitelisted,
                webhook_url: wanted.webhook_url.clone(),
                webhook_failover_url: wanted.failover_url.clone(),
            };
            client.create_messaging_profile(&profile).await
        }
        Resource::OutboundVoiceProfile => {
            let profile = NewOutboundVoiceProfile { name: wanted.name.clone(), whitelisted_destinations: whitelisted };
            client.create_outbound_voice_profile(&profile).await
        }
        Resource::CallControlApplication => {
            let voice_profile = job.progress.outbound_voice_profile_id.as_deref();
            client.create_call_control_application_with_profile(&wanted.application(), voice_profile).await
        }
    }
}

/// The resource named `name`, if Telnyx has one (the oldest when there are several).
async fn find(client: &TelnyxClient, resource: Resource, name: &str) -> Result<Option<String>, TelnyxError> {
    let ids: Vec<String> = match resource {
        Resource::MessagingProfile => client.find_messaging_profiles(name).await?.into_iter().map(|p| p.id).collect(),
        Resource::OutboundVoiceProfile => {
            client.find_outbound_voice_profiles(name).await?.into_iter().map(|p| p.id).collect()
        }
        Resource::CallControlApplication => {
            client.find_call_control_applications(name).await?.into_iter().map(|a| a.id).collect()
        }
    };
    if ids.len() > 1 {
        tracing::warn!(
            resource = resource.as_str(),
            name,
            count = ids.len(),
            "several resources carry the name; using the first"
        );
    }
    Ok(ids.into_iter().next())
}

/// PATCH /call_control_applications/{id}: the application (one that existed before the voice
/// profile, or one found by name) gets the outbound voice profile, with its name and webhook
/// URLs sent again as the update requires. Safe to repeat.
async fn attach_voice_profile(runner: &JobRunner, job: &mut Job) -> StepResult {
    let (Some(app), Some(profile)) =
        (job.progress.call_control_application_id.clone(), job.progress.outbound_voice_profile_id.clone())
    else {
        return Err(StepError::Failed("the application or its voice profile is missing from the job".into()));
    };
    let client = client(runner)?;
    let wanted = Wanted::of(runner, job.company_id)?;
    client.update_call_control_application(&app, &wanted.application(), Some(&profile)).await?;
    job.progress.voice_profile_attached = true;
    Ok(())
}
