//! Records read from and written to storage, in domain types.
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use super::StoreError;
use crate::domain::{CompanyId, Feature, Features, NumberStatus, NumberType, PhoneNumber, PhoneNumberId};

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Company {
    #[schema(value_type = String, format = Uuid)]
    pub id: CompanyId,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

/// Usage counters of one number.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Usage {
    pub incoming_calls_count: i64,
    pub outgoing_calls_count: i64,
    pub sms_sent_count: i64,
    pub sms_received_count: i64,
}

/// A live number and who owns it: the columns the owner index needs, and nothing else (start-up
/// reads one per number of every company).
#[derive(Debug, Clone, PartialEq)]
pub struct LiveNumber {
    pub id: PhoneNumberId,
    pub company_id: CompanyId,
    pub phone_number: PhoneNumber,
    pub status: NumberStatus,
}

impl LiveNumber {
    pub(crate) fn from_row(
        (id, company_id, phone_number, status): (uuid::Uuid, uuid::Uuid, String, String),
    ) -> Result<Self, StoreError> {
        let corrupt = |what: &str, e: &dyn std::fmt::Display| StoreError::Corrupt(format!("phone_numbers.{what}: {e}"));
        Ok(LiveNumber {
            id: PhoneNumberId::from_uuid(id),
            company_id: CompanyId::from_uuid(company_id),
            phone_number: PhoneNumber::parse(&phone_number).map_err(|e| corrupt("phone_number", &e))?,
            status: status.parse().map_err(|e| corrupt("status", &e))?,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct NumberRecord {
    #[schema(value_type = String, format = Uuid)]
    pub id: PhoneNumberId,
    #[schema(value_type = String, format = Uuid)]
    pub company_id: CompanyId,
    #[schema(value_type = String, example = "+18314280176")]
    pub phone_number: PhoneNumber,
    pub formatted_number: String,
    pub telnyx_phone_number_id: Option<String>,
    pub telnyx_messaging_profile_id: Option<String>,
    pub telnyx_connection_id: Option<String>,
    pub features: Features,
    pub status: NumberStatus,
    pub department: Option<String>,
    pub location: Option<String>,
    /// How carriers throttle it: which send-queue limiters its messages pass.
    pub number_type: NumberType,
    /// The 10DLC campaign it sends under.
    pub campaign_id: Option<String>,
    /// The 10DLC brand of that campaign (its daily budget).
    pub brand_id: Option<String>,
    #[serde(flatten)]
    pub usage: Usage,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A number to store.
#[derive(Debug, Clone)]
pub struct NewNumber {
    pub id: PhoneNumberId,
    pub company_id: CompanyId,
    pub phone_number: PhoneNumber,
    pub telnyx_phone_number_id: Option<String>,
    pub telnyx_messaging_profile_id: Option<String>,
    pub telnyx_connection_id: Option<String>,
    pub features: Features,
    pub status: NumberStatus,
    pub department: Option<String>,
    pub location: Option<String>,
}

impl NewNumber {
    /// An active number with every feature and no tags.
    pub fn new(company_id: CompanyId, phone_number: PhoneNumber) -> Self {
        Self {
            id: PhoneNumberId::new(),
            company_id,
            phone_number,
            telnyx_phone_number_id: None,
            telnyx_messaging_profile_id: None,
            telnyx_connection_id: None,
            features: Features::ALL,
            status: NumberStatus::Active,
            department: None,
            location: None,
        }
    }
}

/// Changes to a number; `None` leaves a field as it is, `Some(None)` clears a tag.
#[derive(Debug, Clone, Default)]
pub struct NumberPatch {
    pub department: Option<Option<String>>,
    pub location: Option<Option<String>>,
    pub status: Option<NumberStatus>,
    pub features: Option<Features>,
    pub telnyx_messaging_profile_id: Option<Option<String>>,
    pub telnyx_connection_id: Option<Option<String>>,
    pub number_type: Option<NumberType>,
    pub campaign_id: Option<Option<String>>,
    pub brand_id: Option<Option<String>>,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct NumberFilter {
    pub status: Option<NumberStatus>,
    pub feature: Option<Feature>,
}

/// A company's Telnyx settings, shared by all its numbers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CompanySettings {
    pub messaging_profile_id: Option<String>,
    pub call_control_application_id: Option<String>,
    /// The outbound voice profile of the Call Control application (what lets it dial out).
    pub outbound_voice_profile_id: Option<String>,
    #[schema(value_type = Option<String>, example = "+18314280176")]
    pub default_outbound_number: Option<PhoneNumber>,
    /// Telnyx's id of the default number (the `{id}` of Telnyx's /phone_numbers/{id}), as the
    /// product's schema has it.
    pub default_outbound_phone_number_id: Option<String>,
    /// switchboard's id of the default number (its row in GET /v1/companies/{id}/numbers).
    #[schema(value_type = Option<String>, format = Uuid)]
    pub default_outbound_number_id: Option<PhoneNumberId>,
}

// ---- rows as both backends return them -------------------------------------------------------

#[derive(sqlx::FromRow)]
pub(crate) struct CompanyRow {
    pub id: Uuid,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

impl From<CompanyRow> for Company {
    fn from(r: CompanyRow) -> Self {
        Company { id: CompanyId::from_uuid(r.id), name: r.name, created_at: r.created_at }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct NumberRow {
    pub id: Uuid,
    pub company_id: Uuid,
    pub phone_number: String,
    pub formatted_number: String,
    pub telnyx_phone_number_id: Option<String>,
    pub telnyx_messaging_profile_id: Option<String>,
    pub telnyx_connection_id: Option<String>,
    pub features: String,
    pub status: String,
    pub department: Option<String>,
    pub location: Option<String>,
    pub number_type: Option<String>,
    pub campaign_id: Option<String>,
    pub brand_id: Option<String>,
    pub incoming_calls_count: i64,
    pub outgoing_calls_count: i64,
    pub sms_sent_count: i64,
    pub sms_received_count: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl TryFrom<NumberRow> for NumberRecord {
    type Error = StoreError;
    fn try_from(r: NumberRow) -> Result<Self, StoreError> {
        let corrupt = |what: &str, e: &dyn std::fmt::Display| StoreError::Corrupt(format!("phone_numbers.{what}: {e}"));
        Ok(NumberRecord {
            id: PhoneNumberId::from_uuid(r.id),
            company_id: CompanyId::from_uuid(r.company_id),
            phone_number: PhoneNumber::parse(&r.phone_number).map_err(|e| corrupt("phone_number", &e))?,
            formatted_number: r.formatted_number,
            telnyx_phone_number_id: r.telnyx_phone_number_id,
            telnyx_messaging_profile_id: r.telnyx_messaging_profile_id,
            telnyx_connection_id: r.telnyx_connection_id,
            features: Features::from_db(&r.features).map_err(|e| corrupt("features", &e))?,
            status: r.status.parse().map_err(|e| corrupt("status", &e))?,
            department: r.department,
            location: r.location,
            number_type: r
                .number_type
                .map(|t| t.parse())
                .transpose()
                .map_err(|e| corrupt("number_type", &e))?
                .unwrap_or_default(),
            campaign_id: r.campaign_id,
            brand_id: r.brand_id,
            usage: Usage {
                incoming_calls_count: r.incoming_calls_count,
                outgoing_calls_count: r.outgoing_calls_count,
                sms_sent_count: r.sms_sent_count,
                sms_received_count: r.sms_received_count,
            },
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct SettingsRow {
    pub messaging_profile_id: Option<String>,
    pub call_control_application_id: Option<String>,
    pub outbound_voice_profile_id: Option<String>,
    pub default_outbound_number: Option<String>,
    pub default_outbound_phone_number_id: Option<String>,
    pub default_outbound_number_id: Option<Uuid>,
}

impl TryFrom<SettingsRow> for CompanySettings {
    type Error = StoreError;
    fn try_from(r: SettingsRow) -> Result<Self, StoreError> {
        Ok(CompanySettings {
            messaging_profile_id: r.messaging_profile_id,
            call_control_application_id: r.call_control_application_id,
            outbound_voice_profile_id: r.outbound_voice_profile_id,
            default_outbound_number: r
                .default_outbound_number
                .map(|n| PhoneNumber::parse(&n))
                .transpose()
                .map_err(|e| StoreError::Corrupt(format!("company_telnyx_settings.default_outbound_number: {e}")))?,
            default_outbound_phone_number_id: r.default_outbound_phone_number_id,
            default_outbound_number_id: r.default_outbound_number_id.map(PhoneNumberId::from_uuid),
        })
    }
}
