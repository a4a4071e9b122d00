//! Outbound sender choice with its database reads and the sticky-assignment race, as plain async
//! functions (the HTTP handlers only parse and answer). The choice itself is the pure
//! `routing::choose_sender`.
use super::directory::Directory;
use crate::domain::{CompanyId, PhoneNumber};
use crate::routing::{choose_sender, CompanyRouting, SenderChoice, SenderError, SenderReason, SenderRequest};
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
    // The company's numbers and locations, and the recipient's assignment and opt-out only.
    let mut routing: CompanyRouting = store.load_customer_routing(company, &req.to).await?;
    let default = settings.default_outbound_number.as_ref();
    let choice = choose_sender(req, &routing, default)?;
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
    }
    let choice = choose_sender(req, &routing, default)?;
    Ok((settings, choice))
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
