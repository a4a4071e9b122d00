//! Folding a number's closed days of usage into its lifetime counters (migration 0029).
//!
//! The ledger's commit writes each new key to its number's row of the day in `usage_daily` only. A
//! number's lifetime counter is `folded_<counter>` on its `phone_numbers` row plus its rollup rows
//! after `folded_through` ([`super::companies::NUMBER_COLUMNS`]). A day's rows stop changing once
//! the day is over: a commit writes the UTC day it started on, and lasts seconds at most. So the
//! days before yesterday are added to the folded counters, and `folded_through` moves past them, in
//! one statement per chunk of numbers; a read then sums a few rows per number (yesterday's,
//! today's, and any day a fold has not reached yet). A number without such rows is not rewritten.
//!
//! The statement sums from the `folded_through` it read and updates a number only if that is still
//! its `folded_through`: two nodes folding at once add each day once (PostgreSQL rechecks the
//! condition on the row the other node updated, and skips it). The SQL is the same on both
//! backends ([`impl_counter_fold_store!`]).
use async_trait::async_trait;
use chrono::{Days, NaiveDate};
use uuid::Uuid;

use super::StoreResult;

/// Numbers per fold statement.
pub const FOLD_CHUNK: u32 = 5_000;

/// What one fold statement did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FoldChunk {
    /// Numbers whose rows were folded (and `folded_through` moved).
    pub folded: u64,
    /// The last number of the chunk (by id), to go on after; `None` once past the last number.
    pub last: Option<Uuid>,
}

#[async_trait]
pub trait CounterFoldStore: Send + Sync {
    /// Folds the rollup rows through `through` into the counters of those of the next `limit`
    /// numbers after `after` (by id; from the first when `None`) that have such rows.
    async fn fold_counters(&self, through: NaiveDate, after: Option<Uuid>, limit: u32) -> StoreResult<FoldChunk>;
}

/// The last id of the next chunk ($1: after, or NULL from the first; $2: chunk size).
/// (No `max(id)`: PostgreSQL has no max of uuid.)
pub(crate) const CHUNK_END_SQL: &str = "SELECT id FROM (SELECT id FROM phone_numbers \
     WHERE ($1 IS NULL OR id > $1) ORDER BY id LIMIT $2) AS chunk ORDER BY id DESC LIMIT 1";

/// Folds the numbers of one chunk ($1: through; $2, $3: the chunk's ids after $2 (NULL: from the
/// first) up to $3).
pub const FOLD_SQL: &str = "\
WITH due AS (
    -- Numbers with rows to fold: an idle number is not rewritten (its few rows stay after it).
    SELECT id, company_id, folded_through FROM phone_numbers p
    WHERE ($2 IS NULL OR id > $2) AND id <= $3 AND folded_through < $1
      AND EXISTS (SELECT 1 FROM usage_daily u WHERE u.company_id = p.company_id AND u.phone_number_id = p.id
                  AND u.day > p.folded_through AND u.day <= $1)
), sums AS (
    SELECT d.id, d.folded_through AS since,
           sum(u.incoming_calls) AS ic, sum(u.outgoing_calls) AS oc, sum(u.sms_sent) AS ss,
           sum(u.sms_received) AS sr
    FROM due d JOIN usage_daily u
        ON u.company_id = d.company_id AND u.phone_number_id = d.id AND u.day > d.folded_through AND u.day <= $1
    GROUP BY d.id, d.folded_through
)
UPDATE phone_numbers SET
    folded_incoming_calls = folded_incoming_calls + sums.ic,
    folded_outgoing_calls = folded_outgoing_calls + sums.oc,
    folded_sms_sent = folded_sms_sent + sums.ss,
    folded_sms_received = folded_sms_received + sums.sr,
    folded_through = $1
FROM sums
WHERE phone_numbers.id = sums.id AND phone_numbers.folded_through = sums.since";

macro_rules! impl_counter_fold_store {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::counter_fold::CounterFoldStore for $store {
            async fn fold_counters(
                &self,
                through: chrono::NaiveDate,
                after: Option<uuid::Uuid>,
                limit: u32,
            ) -> $crate::store::StoreResult<$crate::store::counter_fold::FoldChunk> {
                let last: Option<uuid::Uuid> = sqlx::query_scalar($crate::store::counter_fold::CHUNK_END_SQL)
                    .bind(after)
                    .bind(i64::from(limit))
                    .fetch_optional(&self.pool)
                    .await?;
                let Some(last) = last else {
                    return Ok($crate::store::counter_fold::FoldChunk::default());
                };
                let done = sqlx::query($crate::store::counter_fold::FOLD_SQL)
                    .bind(through)
                    .bind(after)
                    .bind(last)
                    .execute(&self.pool)
                    .await?;
                Ok($crate::store::counter_fold::FoldChunk { folded: done.rows_affected(), last: Some(last) })
            }
        }
    };
}
pub(crate) use impl_counter_fold_store;

/// The last day whose rows are folded on `today` (UTC): the day before yesterday.
pub fn foldable_through(today: NaiveDate) -> NaiveDate {
    today - Days::new(2)
}

/// Folds every number's rows through `through`, [`FOLD_CHUNK`] numbers per statement; returns how
/// many numbers it folded.
pub async fn fold_all(store: &dyn CounterFoldStore, through: NaiveDate) -> StoreResult<u64> {
    let (mut after, mut folded) = (None, 0);
    loop {
        let chunk = store.fold_counters(through, after, FOLD_CHUNK).await?;
        folded += chunk.folded;
        match chunk.last {
            Some(last) => after = Some(last),
            None => return Ok(folded),
        }
        tokio::task::yield_now().await;
    }
}

/// One pass of the periodic task: folds through [`foldable_through`] today unless `done` (the day
/// an earlier pass folded through) already reached it; answers the day folded through. A failure
/// is logged and answers `done`, so the next pass tries again.
pub async fn fold_once_a_day(store: &dyn CounterFoldStore, done: Option<NaiveDate>) -> Option<NaiveDate> {
    let through = foldable_through(chrono::Utc::now().date_naive());
    if done == Some(through) {
        return done;
    }
    match fold_all(store, through).await {
        Ok(numbers) => {
            tracing::info!(%through, numbers, "usage folded into the numbers' lifetime counters");
            Some(through)
        }
        Err(e) => {
            tracing::warn!(error = %e, "folding usage into the lifetime counters failed; will retry");
            done
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_day_before_yesterday_is_the_last_one_folded() {
        let today = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        assert_eq!(foldable_through(today), NaiveDate::from_ymd_opt(2026, 2, 27).unwrap());
    }
}
