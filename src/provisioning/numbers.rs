//! The per-number steps of a job: order (reconciled when its outcome is unknown), wait for the
//! order, find the phone number id, store the number, enable messaging, attach to the call control
//! application. The number is stored as soon as its Telnyx id is known, so a bought number is never
//! left out of the database even if a later step fails.
use std::time::Duration;

use super::job::{Job, NumberProgress, NumberStep};
use super::runner::JobRunner;
use super::steps::{client, save, StepError, StepResult};
use crate::domain::{Features, NumberStatus, PhoneNumber};
use crate::store::{NewNumber, NumberFilter, NumberPatch, StoreError};
use crate::telnyx::client::{
    NumberOrder, NumberOrderRequest, OrderStatus, OwnedNumber, PhoneNumberFilter, TelnyxClient,
};

/// Looks for a number in the account this many times before concluding an order did not happen.
const LOOKUPS: u32 = 3;
const LOOKUP_WAIT: Duration = Duration::from_millis(500);
/// Orders per number: the second only after reconciling found nothing.
const MAX_ORDERS: u32 = 2;

pub async fn run(runner: &JobRunner, job: &mut Job) -> StepResult {
    let client = client(runner)?;
    for i in 0..job.progress.numbers.len() {
        while !job.progress.numbers[i].is_finished() {
            number_step(runner, &client, job, i).await?;
            save(runner, job).await?;
        }
        // Stored or given up: the reservation made at the search has done its work.
        runner.store().release_number(job.id, &job.progress.numbers[i].phone_number).await?;
    }
    if job.progress.bought().next().is_none() {
        return Err(StepError::Failed("no number could be bought".into()));
    }
    Ok(())
}

fn fail(n: &mut NumberProgress, why: String) {
    n.step = NumberStep::Failed;
    n.error = Some(why);
}

async fn number_step(runner: &JobRunner, client: &TelnyxClient, job: &mut Job, i: usize) -> StepResult {
    let company = job.company_id;
    let profile = job.progress.messaging_profile_id.clone().unwrap_or_default();
    let app = job.progress.call_control_application_id.clone().unwrap_or_default();
    let store = runner.inner().store.clone();
    match job.progress.numbers[i].step {
        NumberStep::Order => order(runner, client, job, i).await,
        NumberStep::AwaitOrder => await_order(runner, client, job, i).await,
        NumberStep::FindId => {
            let n = &mut job.progress.numbers[i];
            match find_in_account(client, n).await? {
                Some(owned) => {
                    n.telnyx_phone_number_id = Some(owned.id);
                    n.step = NumberStep::Store;
                }
                None => fail(n, "the order completed but the number is not in the account".into()),
            }
            Ok(())
        }
        NumberStep::Store => {
            let n = &mut job.progress.numbers[i];
            let mut new = NewNumber::new(company, n.phone_number.clone());
            new.telnyx_phone_number_id = n.telnyx_phone_number_id.clone();
            new.features = Features::ALL;
            let id = match runner.inner().directory.register_number(&new).await {
                Ok(record) => record.id,
                // Stored by an earlier run of this step (telnyx_phone_number_id is unique).
                // Otherwise another company holds it (registered by the operator despite the
                // reservation): the operator decides, and the constraint's name stays in the log.
                Err(StoreError::Conflict(constraint)) => store
                    .list_numbers(company, NumberFilter::default())
                    .await?
                    .into_iter()
                    .find(|r| r.phone_number == n.phone_number && r.status != NumberStatus::Deleted)
                    .map(|r| r.id)
                    .ok_or_else(|| {
                        tracing::warn!(number = %n.phone_number, %constraint, "a bought number is registered to another company");
                        StepError::Failed(format!(
                            "{} was bought but is registered to another company; the operator can reassign it",
                            n.phone_number
                        ))
                    })?,
                Err(e) => return Err(e.into()),
            };
            n.number_id = Some(id);
            n.step = NumberStep::EnableMessaging;
            Ok(())
        }
        NumberStep::EnableMessaging => {
            let n = &mut job.progress.numbers[i];
            let (tid, id) = ids(n)?;
            client.update_number_messaging(&tid, &profile).await?;
            let patch = NumberPatch { telnyx_messaging_profile_id: Some(Some(profile)), ..Default::default() };
            runner.inner().directory.update_number(company, id, &patch).await?;
            n.step = NumberStep::AttachConnection;
            Ok(())
        }
        NumberStep::AttachConnection => {
            let n = &mut job.progress.numbers[i];
            let (tid, id) = ids(n)?;
            client.update_number_connection(&tid, &app).await?;
            let patch = NumberPatch { telnyx_connection_id: Some(Some(app)), ..Default::default() };
            runner.inner().directory.update_number(company, id, &patch).await?;
            n.step = NumberStep::Done;
            Ok(())
        }
        NumberStep::Done | NumberStep::Failed => Ok(()),
    }
}

fn ids(n: &NumberProgress) -> Result<(String, crate::domain::PhoneNumberId), StepError> {
    match (&n.telnyx_phone_number_id, n.number_id) {
        (Some(t), Some(id)) => Ok((t.clone(), id)),
        _ => Err(StepError::Failed(format!("{}: ids missing from the job's progress", n.phone_number))),
    }
}

/// Places the order, intent first. An order sent whose answer is unknown (ambiguous answer, or a
/// crash after the intent) is reconciled first: found in the account -> bought; not found after
/// a few looks -> ordered again, once (Telnyx refuses a number that is no longer available, so a
/// second order cannot buy it twice).
async fn order(runner: &JobRunner, client: &TelnyxClient, job: &mut Job, i: usize) -> StepResult {
    if job.progress.numbers[i].order_sent && job.progress.numbers[i].order_id.is_none() {
        return reconcile(client, &mut job.progress.numbers[i]).await;
    }
    let n = &mut job.progress.numbers[i];
    if n.order_attempts >= MAX_ORDERS {
        fail(n, format!("ordered {MAX_ORDERS} times without the number reaching the account"));
        return Ok(());
    }
    n.order_sent = true;
    n.order_attempts += 1;
    let req = NumberOrderRequest {
        phone_numbers: vec![n.phone_number.clone()],
        connection_id: job.progress.call_control_application_id.clone(),
        messaging_profile_id: job.progress.messaging_profile_id.clone(),
        customer_reference: Some(n.customer_reference.clone()),
    };
    save(runner, job).await?;
    let n = &mut job.progress.numbers[i];
    match client.create_number_order(&req).await {
        Ok(order) => {
            n.order_id = Some(order.id);
            n.step = NumberStep::AwaitOrder;
            Ok(())
        }
        Err(e) if e.is_ambiguous() => {
            tracing::warn!(number = %n.phone_number, error = %e, "number order outcome unknown: reconciling");
            reconcile(client, n).await
        }
        Err(e) if matches!(e.status(), Some(400..=499)) && e.status() != Some(429) => {
            n.order_sent = false;
            fail(n, format!("order refused: {e}"));
            Ok(())
        }
        Err(e) => {
            // Not processed (rate limited, never sent): the job fails and may be run again.
            n.order_sent = false;
            Err(e.into())
        }
    }
}

async fn reconcile(client: &TelnyxClient, n: &mut NumberProgress) -> StepResult {
    match find_in_account(client, n).await? {
        Some(owned) => {
            tracing::info!(number = %n.phone_number, "reconciled: the number order went through");
            n.telnyx_phone_number_id = Some(owned.id);
            n.step = NumberStep::Store;
        }
        None => {
            tracing::warn!(number = %n.phone_number, "reconciled: no trace of the number order; ordering again");
            n.order_sent = false;
        }
    }
    Ok(())
}

/// The number in the account (GET /phone_numbers?filter[phone_number]=...), looked up a few times.
async fn find_in_account(client: &TelnyxClient, n: &NumberProgress) -> Result<Option<OwnedNumber>, StepError> {
    let filter = PhoneNumberFilter { phone_number: Some(n.phone_number.clone()), ..Default::default() };
    for look in 0..LOOKUPS {
        if look > 0 {
            tokio::time::sleep(LOOKUP_WAIT * look).await;
        }
        let found = client.list_phone_numbers(&filter).await?;
        if let Some(owned) = found.into_iter().find(|o| o.phone_number == n.phone_number) {
            return Ok(Some(owned));
        }
    }
    Ok(None)
}

/// The outcome of an order for `number`: the number's own line once it left `pending` (Telnyx's
/// documented example answers an order still `pending` whose only number is already `success`),
/// else the order's status once it left `pending`; `None` while both are pending.
fn order_outcome(order: &NumberOrder, number: &PhoneNumber) -> Option<Result<(), String>> {
    let line = order.phone_numbers.iter().find(|l| &l.phone_number == number).map(|l| l.status);
    let settled = |s: OrderStatus| s != OrderStatus::Pending && s != OrderStatus::Unknown;
    match (order.status, line) {
        (_, Some(OrderStatus::Success)) | (OrderStatus::Success, None) => Some(Ok(())),
        (_, Some(line)) if settled(line) => Some(Err(format!("the number's status is {line:?}"))),
        (status, line) if settled(status) => Some(Err(format!("ended as {status:?} (number: {line:?})"))),
        _ => None,
    }
}

/// Polls GET /number_orders/{id} with backoff until the number's purchase is settled (see
/// [`order_outcome`]); the number_order.complete webhook ends a wait early. A pending order keeps
/// the job running (also across restarts): some orders wait for regulatory requirements. The job
/// is saved after each pending answer, so that its `updated_at` shows a task is following it.
async fn await_order(runner: &JobRunner, client: &TelnyxClient, job: &mut Job, i: usize) -> StepResult {
    let Some(order_id) = job.progress.numbers[i].order_id.clone() else {
        job.progress.numbers[i].step = NumberStep::Order;
        return Ok(());
    };
    let number = job.progress.numbers[i].phone_number.clone();
    let signal = runner.order_signal(&order_id);
    let cfg = runner.config();
    let mut wait = cfg.order_poll_initial;
    let outcome = loop {
        match client.get_number_order(&order_id).await {
            Ok(o) => {
                if let Some(outcome) = order_outcome(&o, &number) {
                    break Ok(outcome);
                }
            }
            Err(e) => break Err(e),
        }
        if let Err(e) = save(runner, job).await {
            runner.forget_order(&order_id);
            return Err(e.into());
        }
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = signal.notified() => {}
        }
        wait = (wait * 2).min(cfg.order_poll_max);
    };
    let n = &mut job.progress.numbers[i];
    runner.forget_order(&order_id);
    let outcome = match outcome {
        Ok(outcome) => outcome,
        // Telnyx does not know the order (any refusal but a rate limit): the account's numbers
        // settle it. Anything else fails the job, which runs again from this order.
        Err(e) if matches!(e.status(), Some(400..=499)) && e.status() != Some(429) => {
            return order_unreadable(client, n, &order_id, e).await;
        }
        Err(e) => return Err(e.into()),
    };
    match outcome {
        Ok(()) => n.step = NumberStep::FindId,
        Err(why) => fail(n, format!("number order {order_id}: {why}")),
    }
    Ok(())
}

/// The order cannot be read: the number active in the account means it was bought; otherwise the
/// job fails with Telnyx's answer (running it again reads the order again, never orders again).
async fn order_unreadable(
    client: &TelnyxClient,
    n: &mut NumberProgress,
    order_id: &str,
    e: crate::telnyx::client::TelnyxError,
) -> StepResult {
    let filter = PhoneNumberFilter { phone_number: Some(n.phone_number.clone()), ..Default::default() };
    let owned = client.list_phone_numbers(&filter).await?;
    match owned.into_iter().find(|o| o.phone_number == n.phone_number && o.status == "active") {
        Some(owned) => {
            tracing::info!(number = %n.phone_number, order_id, "order unreadable but the number is active in the account");
            n.telnyx_phone_number_id = Some(owned.id);
            n.step = NumberStep::Store;
            Ok(())
        }
        None => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::telnyx::client::OrderedNumber;

    fn order(status: OrderStatus, line: Option<OrderStatus>) -> NumberOrder {
        let phone_numbers = line
            .map(|status| OrderedNumber { id: "l1".into(), phone_number: e164("+14155550100"), status })
            .into_iter()
            .collect();
        NumberOrder { id: "o1".into(), status, phone_numbers, customer_reference: None }
    }

    fn e164(s: &str) -> PhoneNumber {
        PhoneNumber::parse(s).expect("e164")
    }

    #[test]
    fn the_numbers_own_line_settles_the_purchase() {
        use OrderStatus::*;
        let n = e164("+14155550100");
        let outcome = |status, line| order_outcome(&order(status, line), &n);
        // Telnyx's documented example: the order still pending, its only number bought.
        assert_eq!(outcome(Pending, Some(Success)), Some(Ok(())));
        assert_eq!(outcome(Success, Some(Success)), Some(Ok(())));
        assert_eq!(outcome(Success, None), Some(Ok(())));
        assert_eq!(outcome(Pending, Some(Pending)), None);
        assert_eq!(outcome(Unknown, Some(Unknown)), None);
        assert!(matches!(outcome(Pending, Some(Failure)), Some(Err(_))));
        assert!(matches!(outcome(Success, Some(Pending)), Some(Err(_))));
        assert!(matches!(outcome(Failure, None), Some(Err(_))));
        // Another number's line says nothing about this one.
        let other = order_outcome(&order(Pending, Some(Success)), &e164("+14155550199"));
        assert_eq!(other, None);
    }
}
