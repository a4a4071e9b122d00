//! Registering a number the Telnyx account already holds (POST /v1/companies/{id}/numbers).
//!
//! On a provisioned company (messaging profile and application recorded) with Telnyx credentials
//! configured, the number is attached through the API before it is stored: it is looked up in the
//! account by number (proof the account holds it, and its Telnyx id), then PATCH
//! /phone_numbers/{id}/messaging gives it the company's messaging profile and PATCH
//! /phone_numbers/{id} the company's application; only then is it stored, with those ids. When
//! any of that fails, nothing is stored and the caller is told why (a number another company
//! holds is refused before Telnyx is asked anything). Repeating a request that failed is safe:
//! both PATCHes set the same values again.
//!
//! Without a profile and application (the company is not provisioned) or without credentials,
//! the number is stored as given, unattached (its `telnyx_messaging_profile_id` and
//! `telnyx_connection_id` stay null).
use super::runner::JobRunner;
use crate::domain::PhoneNumber;
use crate::store::{NewNumber, NumberRecord, StoreError};
use crate::telnyx::client::{PhoneNumberFilter, TelnyxError};

/// Who asks to register a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Registrant {
    /// The operator: may register without proof and reassign a held number.
    Operator,
    /// A company's token: needs proof that the account holds the number, and cannot take one
    /// another company released within the hold period.
    Company,
}

#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The number is registered already, another company released it within the hold period, or
    /// another company's provisioning job is buying it: refused before Telnyx is asked to move
    /// it, and the answer does not say which.
    #[error("{0} cannot be registered by this company (registered, held for its last owner, or being bought)")]
    Taken(PhoneNumber),
    /// A company token asked, and nothing can prove the Telnyx account holds the number (the
    /// company is not provisioned, or no API key is configured).
    #[error("{0} cannot be checked against the Telnyx account (provision the company first, or ask the operator to register it); nothing was stored")]
    Unverifiable(PhoneNumber),
    /// The account does not hold the number: it cannot be attached.
    #[error("{0} is not a number of the Telnyx account, so it cannot be attached to the company's messaging profile and application; nothing was stored")]
    NotInAccount(PhoneNumber),
    /// The id given is not the account's id of the number.
    #[error("{number} has the id {actual} in the Telnyx account, not {given}; nothing was stored")]
    IdMismatch { number: PhoneNumber, given: String, actual: String },
    /// Telnyx failed or refused a lookup or an update.
    #[error("attaching {number} at Telnyx failed: {source}; nothing was stored (repeating the request is safe)")]
    Telnyx {
        number: PhoneNumber,
        #[source]
        source: TelnyxError,
    },
}

/// Stores `new`, attached to the company's profile and application when it can be (see the
/// module's documentation).
pub async fn register(runner: &JobRunner, mut new: NewNumber, by: Registrant) -> Result<NumberRecord, RegisterError> {
    let inner = runner.inner();
    let number = new.phone_number.clone();
    if inner.store.owner_of(&number).await?.is_some() {
        return Err(RegisterError::Taken(number));
    }
    // A number another company's provisioning job is buying is kept for that company, whoever
    // asks: registering it here would leave that job paying for a number it cannot store.
    let now = chrono::Utc::now().timestamp();
    if inner.store.reserved_for(&number, now).await?.is_some_and(|c| c != new.company_id) {
        return Err(RegisterError::Taken(number));
    }
    // A number another company released stays with it for the hold period (it can take it back);
    // only the operator reassigns it sooner.
    if by == Registrant::Company {
        let held_since = chrono::Utc::now() - runner.config().reassign_hold;
        if let Some((last, released)) = inner.store.last_release(&number).await? {
            if last != new.company_id && released > held_since {
                return Err(RegisterError::Taken(number));
            }
        }
    }
    let settings = inner.store.get_settings(new.company_id).await?;
    let (Some(profile), Some(app), Ok(client)) =
        (settings.messaging_profile_id, settings.call_control_application_id, runner.telnyx().client())
    else {
        return match by {
            Registrant::Operator => store(runner, &new).await,
            Registrant::Company => Err(RegisterError::Unverifiable(number)),
        };
    };
    let telnyx = |source| RegisterError::Telnyx { number: number.clone(), source };
    let filter = PhoneNumberFilter { phone_number: Some(number.clone()), ..Default::default() };
    let owned = client.list_phone_numbers(&filter).await.map_err(telnyx)?;
    let Some(owned) = owned.into_iter().find(|o| o.phone_number == number) else {
        return Err(RegisterError::NotInAccount(number));
    };
    if let Some(given) = new.telnyx_phone_number_id.as_ref().filter(|given| **given != owned.id) {
        return Err(RegisterError::IdMismatch { number, given: given.clone(), actual: owned.id });
    }
    client.update_number_messaging(&owned.id, &profile).await.map_err(telnyx)?;
    client.update_number_connection(&owned.id, &app).await.map_err(telnyx)?;
    tracing::info!(company_id = %new.company_id, number = %number, "registered number attached to the company's profile and application");
    new.telnyx_phone_number_id = Some(owned.id);
    new.telnyx_messaging_profile_id = Some(profile);
    new.telnyx_connection_id = Some(app);
    store(runner, &new).await
}

async fn store(runner: &JobRunner, new: &NewNumber) -> Result<NumberRecord, RegisterError> {
    Ok(runner.inner().directory.register_number(new).await?)
}
