//! Runs jobs on tokio tasks: one task per job and node, resumed at start-up, woken early by the
//! number_order.complete webhook.
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::Notify;
use tokio::task::{AbortHandle, JoinHandle};
use uuid::Uuid;

use super::job::{Job, JobState, Step};
use super::{steps, ProvisioningConfig};
use crate::company::directory::Directory;
use crate::domain::CompanyId;
use crate::store::{DynStore, StoreResult};
use crate::telnyx::api::TelnyxApi;

/// Shared app data: starts, resumes and wakes provisioning jobs. Cheap to clone.
#[derive(Clone)]
pub struct JobRunner {
    inner: Arc<Inner>,
}

pub(super) struct Inner {
    pub store: DynStore,
    pub telnyx: TelnyxApi,
    /// Writes the company data a job produces (numbers, settings) and announces it.
    pub directory: Directory,
    pub config: ProvisioningConfig,
    /// Jobs created after this are started by whoever created them, not by [`resume_jobs`].
    created_at: chrono::DateTime<chrono::Utc>,
    running: Mutex<HashMap<Uuid, AbortHandle>>,
    orders: Mutex<HashMap<String, Arc<Notify>>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl JobRunner {
    pub fn new(store: DynStore, telnyx: TelnyxApi, directory: Directory, config: ProvisioningConfig) -> Self {
        JobRunner {
            inner: Arc::new(Inner {
                store,
                telnyx,
                directory,
                config,
                created_at: chrono::Utc::now(),
                running: Mutex::new(HashMap::new()),
                orders: Mutex::new(HashMap::new()),
            }),
        }
    }

    pub fn config(&self) -> &ProvisioningConfig {
        &self.inner.config
    }

    pub fn telnyx(&self) -> &TelnyxApi {
        &self.inner.telnyx
    }

    pub fn store(&self) -> &DynStore {
        &self.inner.store
    }

    /// Inserts a new job and starts it.
    pub async fn submit(&self, job: Job) -> StoreResult<Option<JoinHandle<()>>> {
        self.inner.store.insert_job(&job.to_record()?).await?;
        Ok(self.start(job))
    }

    /// Runs `job` on a new task unless this node already runs it (then `None`).
    pub fn start(&self, job: Job) -> Option<JoinHandle<()>> {
        let mut running = lock(&self.inner.running);
        if running.get(&job.id).is_some_and(|h| !h.is_finished()) {
            return None;
        }
        let id = job.id;
        let inner = self.inner.clone();
        let runner = self.clone();
        let handle = tokio::spawn(async move {
            drive(&runner, job).await;
            lock(&inner.running).remove(&id);
        });
        running.insert(id, handle.abort_handle());
        Some(handle)
    }

    /// Runs the stored job `id` on a new task unless this node already runs it (then `None`). The
    /// task reads the job first and drives it only if it still runs, from what was stored: a job
    /// whose task ended just before (its last save already made) is left alone.
    pub fn restart(&self, company: CompanyId, id: Uuid) -> Option<JoinHandle<()>> {
        let mut running = lock(&self.inner.running);
        if running.get(&id).is_some_and(|h| !h.is_finished()) {
            return None;
        }
        let inner = self.inner.clone();
        let runner = self.clone();
        let handle = tokio::spawn(async move {
            match inner.store.get_job(company, id).await.and_then(Job::try_from) {
                Ok(job) if job.state == JobState::Running => drive(&runner, job).await,
                Ok(_) => {}
                Err(e) => tracing::error!(job_id = %id, error = %e, "cannot read a provisioning job to run it"),
            }
            lock(&inner.running).remove(&id);
        });
        running.insert(id, handle.abort_handle());
        Some(handle)
    }

    /// [`JobRunner::restart`] for a job this node may still be finishing (a failed job just
    /// reopened: the task that failed it saves, then ends); waits up to a second for that task.
    pub async fn restart_when_free(&self, company: CompanyId, id: Uuid) -> Option<JoinHandle<()>> {
        for _ in 0..100 {
            if let Some(handle) = self.restart(company, id) {
                return Some(handle);
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        tracing::warn!(job_id = %id, "a task of this node still runs the job; not starting another");
        None
    }

    /// Stops every job task at whatever await point it is in, as a crash would (the jobs stay
    /// `running` in the database and resume with [`resume_jobs`]). For shutdown and crash tests.
    pub fn abort_all(&self) {
        for (_, handle) in lock(&self.inner.running).drain() {
            handle.abort();
        }
    }

    /// The signal a task waiting for `order_id` listens to.
    pub(super) fn order_signal(&self, order_id: &str) -> Arc<Notify> {
        lock(&self.inner.orders).entry(order_id.to_owned()).or_default().clone()
    }

    pub(super) fn forget_order(&self, order_id: &str) {
        lock(&self.inner.orders).remove(order_id);
    }

    pub(super) fn inner(&self) -> &Inner {
        &self.inner
    }
}

/// Resumes every job left `running` (after a crash or a restart) on its own task. Call once at
/// start-up; returns at once (the returned handle finishes when all were started). Jobs created
/// after the runner are left to whoever created them.
pub fn resume_jobs(runner: &JobRunner) -> JoinHandle<()> {
    let runner = runner.clone();
    tokio::spawn(async move {
        match runner.inner.store.unfinished_jobs().await {
            Ok(records) => {
                for record in records.into_iter().filter(|r| r.created_at < runner.inner.created_at) {
                    match Job::try_from(record) {
                        Ok(job) => {
                            tracing::info!(job_id = %job.id, company_id = %job.company_id, step = job.step.as_str(), "resuming provisioning job");
                            runner.start(job);
                        }
                        Err(e) => tracing::error!(error = %e, "cannot resume a provisioning job"),
                    }
                }
            }
            Err(e) => tracing::error!(error = %e, "cannot list unfinished provisioning jobs"),
        }
    })
}

/// For the webhook ingress on `number_order.complete` (payload `id` = the order id): wakes the job
/// waiting for that order at once instead of at its next poll; when no task on this node waits for
/// it, resumes the unfinished job that placed it. `Ok(false)`: no job of ours knows this order
/// (acknowledge it anyway). The job still reads the order's outcome with GET /number_orders/{id}.
pub async fn on_number_order_complete(runner: &JobRunner, order_id: &str) -> StoreResult<bool> {
    if let Some(signal) = lock(&runner.inner.orders).get(order_id) {
        signal.notify_one();
        return Ok(true);
    }
    for record in runner.inner.store.unfinished_jobs().await? {
        let job = Job::try_from(record)?;
        if job.progress.numbers.iter().any(|n| n.order_id.as_deref() == Some(order_id)) {
            runner.restart(job.company_id, job.id);
            return Ok(true);
        }
    }
    Ok(false)
}

/// Runs the job's steps until it is done or fails. A storage error stops the task and leaves the
/// job `running`, to be resumed.
async fn drive(runner: &JobRunner, mut job: Job) {
    loop {
        job.step = job.progress.next_step(job.kind);
        if job.step == Step::Done {
            job.state = JobState::Done;
            job.error = None;
        }
        let result = match job.step {
            Step::Done => Ok(()),
            step => steps::run(runner, &mut job, step).await,
        };
        if let Err(e) = result {
            match e {
                steps::StepError::Store(e) => {
                    tracing::error!(job_id = %job.id, error = %e, "provisioning job stopped: storage failed");
                    return;
                }
                other => {
                    tracing::warn!(job_id = %job.id, step = job.step.as_str(), error = %other, "provisioning job failed");
                    job.state = JobState::Failed;
                    job.error = Some(other.to_string());
                }
            }
        }
        if let Err(e) = steps::save(runner, &job).await {
            tracing::error!(job_id = %job.id, error = %e, "provisioning job stopped: storage failed");
            return;
        }
        if job.state != JobState::Running {
            tracing::info!(job_id = %job.id, state = job.state.as_str(), "provisioning job finished");
            return;
        }
    }
}
