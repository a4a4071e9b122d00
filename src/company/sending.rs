//! Outbound sender choice with its database reads and the sticky-assignment race, as plain async
//! functions (the HTTP handlers only parse and answer). The choice itself is the pure
//! `routing::choose_sender`.
use super::directory::Directory;
use crate::domain::{CompanyId, PhoneNumber};
use crate::routing::{choose_sender, CompanyRouting, SenderChoice, SenderError, SenderReason, SenderRequest};
use crate::store::reassign::AssignmentMove;
use crate::store::rules::AssignmentSource;
use crate::store::{CompanySettings, DynStore, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error(transparent)]
    Sender(#[from] SenderError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The company's settings and the sender for `req`. A first contact with no `from` claims the
/// sticky assignment before anything is sent, so that racing first contacts (on one node or
/// several) all send from the number that won: the customer sees one number from the start. The
/// loser chooses again with the winner's assignment in place (which also checks the winner has the
/// feature this contact needs), on the routing state it already loaded unless the winner's number
/// is one that state does not know.
pub async fn choose(
    store: &DynStore,
    directory: &Directory,
    company: CompanyId,
    req: &SenderRequest,
) -> Result<(CompanySettings, SenderChoice), SendError> {
    let settings = store.get_settings(company).await?;
    // The company's numbers and locations, and the recipient's assignment and opt-out only; the
    // numbers' health from memory (company::health).
    let mut routing: CompanyRouting = store.load_customer_routing(company, &req.to).await?;
    directory.health().mark(company, &mut routing).await?;
    let default = settings.default_outbound_number.as_ref();
    let choice = choose_sender(req, &routing, default)?;
    if let Some(previous) = choice.replaces.clone() {
        return Ok((settings, moved(store, directory, company, req, &routing, choice, &previous).await?));
    }
    if !choice.creates_assignment || choice.reason == SenderReason::Explicit {
        return Ok((settings, choice));
    }
    let held = directory
        .claim_assignment(company, &req.to, choice.number_id, &choice.from, AssignmentSource::Outbound)
        .await?;
    if held.phone_number_id == choice.number_id {
        return Ok((settings, SenderChoice { creates_assignment: false, ..choice }));
    }
    if routing.number(&held.phone_number).is_some() {
        routing.assign(held.customer, held.phone_number);
    } else {
        routing = store.load_customer_routing(company, &req.to).await?;
        directory.health().mark(company, &mut routing).await?;
    }
    let choice = choose_sender(req, &routing, default)?;
    Ok((settings, choice))
}

/// The recipient's assignment is on the unhealthy `previous`: moves it to the chosen number (with
/// a routing log note). When a racing send moved it first, the number it moved to is used.
async fn moved(
    store: &DynStore,
    directory: &Directory,
    company: CompanyId,
    req: &SenderRequest,
    routing: &CompanyRouting,
    choice: SenderChoice,
    previous: &PhoneNumber,
) -> Result<SenderChoice, SendError> {
    let why = routing.unhealthy_reason(previous).unwrap_or("under the health thresholds").to_owned();
    let m = AssignmentMove { customer: &req.to, from: previous, to_id: choice.number_id, to: &choice.from, why: &why };
    let held = directory.move_assignment(company, &m).await?;
    if held.phone_number_id == choice.number_id {
        return Ok(choice);
    }
    let mut routing = store.load_customer_routing(company, &req.to).await?;
    directory.health().mark(company, &mut routing).await?;
    let default = store.get_settings(company).await?.default_outbound_number;
    let again = choose_sender(req, &routing, default.as_ref())?;
    // Still on an unhealthy number (another send moved it to one that fell ill since): send from
    // the healthy choice without moving it again now; the next send moves it.
    Ok(SenderChoice { replaces: None, ..again })
}

/// After a first contact with an explicit `from` was sent, stores `to -> from` (the others claimed
/// before sending). A failure is logged: the send already happened.
pub async fn stick(directory: &Directory, company: CompanyId, to: &PhoneNumber, choice: &SenderChoice) {
    if !choice.creates_assignment {
        return;
    }
    let claimed =
        directory.claim_assignment(company, to, choice.number_id, &choice.from, AssignmentSource::Outbound).await;
    if let Err(e) = claimed {
        tracing::warn!(company_id = %company, error = %e, "cannot store the customer assignment");
    }
}
