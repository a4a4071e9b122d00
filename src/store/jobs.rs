//! Provisioning jobs: one row per job; its progress (Telnyx ids, per-number sub-state) is JSON the
//! provisioning module owns. Written before and after every Telnyx call.
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{StoreError, StoreResult};
use crate::domain::CompanyId;

/// A job as stored. `kind`, `state` and `step` are short names; `request` and `progress` JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct JobRecord {
    pub id: Uuid,
    pub company_id: CompanyId,
    pub kind: String,
    pub request: serde_json::Value,
    pub state: String,
    pub step: String,
    pub progress: serde_json::Value,
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What a save changes.
#[derive(Debug, Clone, PartialEq)]
pub struct JobUpdate<'a> {
    pub state: &'a str,
    pub step: &'a str,
    pub progress: &'a serde_json::Value,
    pub error: Option<&'a str>,
}

#[async_trait]
pub trait JobStore: Send + Sync {
    async fn insert_job(&self, job: &JobRecord) -> StoreResult<()>;
    /// How many jobs the company has (ever: jobs are never deleted, so the count only grows).
    async fn job_count(&self, company: CompanyId) -> StoreResult<i64>;
    /// Inserts `job` if its company still has `jobs_seen` jobs, i.e. no job was added since a
    /// request counted them and decided from what it read; `Ok(false)` otherwise (decide again).
    /// `Conflict` when another job of the company runs.
    async fn insert_job_if_count(&self, job: &JobRecord, jobs_seen: i64) -> StoreResult<bool>;
    /// One of the company's jobs; `NotFound` also for another company's.
    async fn get_job(&self, company: CompanyId, id: Uuid) -> StoreResult<JobRecord>;
    async fn update_job(&self, id: Uuid, update: &JobUpdate<'_>) -> StoreResult<()>;
    /// The company's most recent job of `kind`.
    async fn latest_job(&self, company: CompanyId, kind: &str) -> StoreResult<Option<JobRecord>>;
    /// Jobs in state `running`, oldest first (resumed at start-up).
    async fn unfinished_jobs(&self) -> StoreResult<Vec<JobRecord>>;
    /// The company's running job (a unique index allows one: [`JobStore::insert_job`] of a second
    /// running job and [`JobStore::reopen_job`] while one runs fail with `Conflict`).
    async fn running_job(&self, company: CompanyId) -> StoreResult<Option<JobRecord>>;
    /// A page of the company's jobs, newest first.
    async fn page_jobs(
        &self,
        company: CompanyId,
        window: &super::Window<super::page::JobKey>,
    ) -> StoreResult<Vec<JobRecord>>;
    /// A failed job runs again: state `running`, error cleared, `progress` as given. `false` when
    /// it was not failed (another request reopened it first); `Conflict` when another job of the
    /// company runs.
    async fn reopen_job(&self, id: Uuid, progress: &serde_json::Value) -> StoreResult<bool>;
}

pub(crate) const JOB_COLUMNS: &str =
    "id, company_id, kind, request, state, step, progress, error, created_at, updated_at";

#[derive(sqlx::FromRow)]
pub(crate) struct JobRow {
    pub id: Uuid,
    pub company_id: Uuid,
    pub kind: String,
    pub request: String,
    pub state: String,
    pub step: String,
    pub progress: String,
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl TryFrom<JobRow> for JobRecord {
    type Error = StoreError;
    fn try_from(r: JobRow) -> Result<Self, StoreError> {
        let json = |what: &str, s: &str| {
            serde_json::from_str(s).map_err(|e| StoreError::Corrupt(format!("provisioning_jobs.{what}: {e}")))
        };
        Ok(JobRecord {
            id: r.id,
            company_id: CompanyId::from_uuid(r.company_id),
            kind: r.kind,
            request: json("request", &r.request)?,
            state: r.state,
            step: r.step,
            progress: json("progress", &r.progress)?,
            error: r.error,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

macro_rules! impl_job_store {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::jobs::JobStore for $store {
            async fn insert_job(&self, j: &$crate::store::jobs::JobRecord) -> $crate::store::StoreResult<()> {
                sqlx::query(
                    "INSERT INTO provisioning_jobs (id, company_id, kind, request, state, step, progress, error, \
                     created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                )
                .bind(j.id)
                .bind(j.company_id.as_uuid())
                .bind(&j.kind)
                .bind(j.request.to_string())
                .bind(&j.state)
                .bind(&j.step)
                .bind(j.progress.to_string())
                .bind(j.error.as_deref())
                .bind(j.created_at)
                .bind(j.updated_at)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn job_count(&self, company: $crate::domain::CompanyId) -> $crate::store::StoreResult<i64> {
                let n: i64 = sqlx::query_scalar("SELECT count(*) FROM provisioning_jobs WHERE company_id = $1")
                    .bind(company.as_uuid())
                    .fetch_one(&self.pool)
                    .await?;
                Ok(n)
            }

            async fn insert_job_if_count(
                &self,
                j: &$crate::store::jobs::JobRecord,
                jobs_seen: i64,
            ) -> $crate::store::StoreResult<bool> {
                // One statement: the count and the insert see the same jobs (SQLite writes one at a
                // time; on PostgreSQL a job inserted meanwhile is still running, and the unique
                // index of running jobs refuses this one).
                let done = sqlx::query(
                    "INSERT INTO provisioning_jobs (id, company_id, kind, request, state, step, progress, error, \
                     created_at, updated_at) SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10 \
                     WHERE (SELECT count(*) FROM provisioning_jobs WHERE company_id = $2) = $11",
                )
                .bind(j.id)
                .bind(j.company_id.as_uuid())
                .bind(&j.kind)
                .bind(j.request.to_string())
                .bind(&j.state)
                .bind(&j.step)
                .bind(j.progress.to_string())
                .bind(j.error.as_deref())
                .bind(j.created_at)
                .bind(j.updated_at)
                .bind(jobs_seen)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn get_job(
                &self,
                company: $crate::domain::CompanyId,
                id: uuid::Uuid,
            ) -> $crate::store::StoreResult<$crate::store::jobs::JobRecord> {
                let sql = format!(
                    "SELECT {} FROM provisioning_jobs WHERE company_id = $1 AND id = $2",
                    $crate::store::jobs::JOB_COLUMNS
                );
                let row: $crate::store::jobs::JobRow =
                    sqlx::query_as(&sql).bind(company.as_uuid()).bind(id).fetch_one(&self.pool).await?;
                row.try_into()
            }

            async fn update_job(
                &self,
                id: uuid::Uuid,
                u: &$crate::store::jobs::JobUpdate<'_>,
            ) -> $crate::store::StoreResult<()> {
                let done = sqlx::query(
                    "UPDATE provisioning_jobs SET state = $2, step = $3, progress = $4, error = $5, updated_at = $6 \
                     WHERE id = $1",
                )
                .bind(id)
                .bind(u.state)
                .bind(u.step)
                .bind(u.progress.to_string())
                .bind(u.error)
                .bind(chrono::Utc::now())
                .execute(&self.pool)
                .await?;
                if done.rows_affected() == 0 {
                    return Err($crate::store::StoreError::NotFound);
                }
                Ok(())
            }

            async fn latest_job(
                &self,
                company: $crate::domain::CompanyId,
                kind: &str,
            ) -> $crate::store::StoreResult<Option<$crate::store::jobs::JobRecord>> {
                let sql = format!(
                    "SELECT {} FROM provisioning_jobs WHERE company_id = $1 AND kind = $2 \
                     ORDER BY created_at DESC, id LIMIT 1",
                    $crate::store::jobs::JOB_COLUMNS
                );
                let row: Option<$crate::store::jobs::JobRow> =
                    sqlx::query_as(&sql).bind(company.as_uuid()).bind(kind).fetch_optional(&self.pool).await?;
                row.map(TryInto::try_into).transpose()
            }

            async fn unfinished_jobs(&self) -> $crate::store::StoreResult<Vec<$crate::store::jobs::JobRecord>> {
                let sql = format!(
                    "SELECT {} FROM provisioning_jobs WHERE state = 'running' ORDER BY created_at, id",
                    $crate::store::jobs::JOB_COLUMNS
                );
                let rows: Vec<$crate::store::jobs::JobRow> = sqlx::query_as(&sql).fetch_all(&self.pool).await?;
                rows.into_iter().map(TryInto::try_into).collect()
            }

            async fn running_job(
                &self,
                company: $crate::domain::CompanyId,
            ) -> $crate::store::StoreResult<Option<$crate::store::jobs::JobRecord>> {
                let sql = format!(
                    "SELECT {} FROM provisioning_jobs WHERE company_id = $1 AND state = 'running'",
                    $crate::store::jobs::JOB_COLUMNS
                );
                let row: Option<$crate::store::jobs::JobRow> =
                    sqlx::query_as(&sql).bind(company.as_uuid()).fetch_optional(&self.pool).await?;
                row.map(TryInto::try_into).transpose()
            }

            async fn page_jobs(
                &self,
                company: $crate::domain::CompanyId,
                w: &$crate::store::Window<$crate::store::page::JobKey>,
            ) -> $crate::store::StoreResult<Vec<$crate::store::jobs::JobRecord>> {
                // Newest first: the index provisioning_jobs_newest.
                let sql = format!(
                    "SELECT {} FROM provisioning_jobs WHERE company_id = $1 {} \
                     ORDER BY created_at DESC, id DESC LIMIT $2",
                    $crate::store::jobs::JOB_COLUMNS,
                    w.after_clause("AND (created_at, id) < ($3, $4)")
                );
                let mut q =
                    sqlx::query_as::<_, $crate::store::jobs::JobRow>(&sql).bind(company.as_uuid()).bind(w.limit);
                if let Some((created_at, id)) = w.after {
                    q = q.bind(created_at).bind(id);
                }
                let rows = q.fetch_all(&self.pool).await?;
                rows.into_iter().map(TryInto::try_into).collect()
            }

            async fn reopen_job(
                &self,
                id: uuid::Uuid,
                progress: &serde_json::Value,
            ) -> $crate::store::StoreResult<bool> {
                let done = sqlx::query(
                    "UPDATE provisioning_jobs SET state = 'running', error = NULL, progress = $2, updated_at = $3 \
                     WHERE id = $1 AND state = 'failed'",
                )
                .bind(id)
                .bind(progress.to_string())
                .bind(chrono::Utc::now())
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() == 1)
            }
        }
    };
}
pub(crate) use impl_job_store;
