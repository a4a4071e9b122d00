//! Newtypes that can only hold valid values.
pub mod country;
pub mod feature;
pub mod ids;
pub mod number_type;
pub mod phone_number;
pub mod status;
pub mod token_scope;

pub use country::{CountryCode, CountryCodeError};
pub use feature::{Feature, Features};
pub use ids::{CompanyId, PhoneNumberId};
pub use number_type::NumberType;
pub use phone_number::{PhoneNumber, PhoneNumberError};
pub use status::NumberStatus;
pub use token_scope::{Scope, ScopeError, Scopes};
