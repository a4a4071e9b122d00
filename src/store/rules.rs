//! Routing rules as stored: company defaults (with the forward secret), departments, locations,
//! customer assignments, opt-outs and the routing log. [`RulesStore::load_company_routing`] builds
//! the pure [`CompanyRouting`] state the company actor decides on;
//! [`RulesStore::load_customer_routing`] the part of it one customer's outbound send or
//! `/routing/explain` needs.
//!
//! The SQL is the same text on both backends: see [`impl_rules_store!`](super::rules_sql).
use async_trait::async_trait;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::page::{CustomerKey, RoutingLogKey, RuleKey, Window};
use super::routing_log::RoutingLogFilter;
use super::{CompanyStore, NumberFilter, StoreError, StoreResult};
use crate::domain::{CompanyId, NumberStatus, PhoneNumber, PhoneNumberId};
use crate::ledger::decision_codec;
use crate::routing::{
    CallChain, CompanyRouting, Department, Destinations, Location, MessageRoute, NumberRecord, UnroutedPolicy,
};

/// A company's routing defaults and the secret its message forwards are signed with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RoutingDefaults {
    /// Where events go when no department or location routes them.
    pub destinations: Destinations,
    pub unrouted_policy: UnroutedPolicy,
    /// Standard Webhooks secret (`whsec_` + base64 of 32 random bytes) that signs message forwards.
    pub forward_secret: String,
}

/// Who created an assignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AssignmentSource {
    /// Set through the admin API.
    Admin,
    /// Created by the first outbound contact (sticky sender).
    Outbound,
}

impl AssignmentSource {
    pub fn as_str(self) -> &'static str {
        match self {
            AssignmentSource::Admin => "admin",
            AssignmentSource::Outbound => "outbound",
        }
    }

    pub fn parse(s: &str) -> StoreResult<Self> {
        match s {
            "admin" => Ok(AssignmentSource::Admin),
            "outbound" => Ok(AssignmentSource::Outbound),
            other => Err(StoreError::Corrupt(format!("customer_assignments.source: {other:?}"))),
        }
    }
}

/// A customer assigned to one of the company's numbers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Assignment {
    #[schema(value_type = String, example = "+14155550100")]
    pub customer: PhoneNumber,
    #[schema(value_type = String, format = Uuid)]
    pub phone_number_id: PhoneNumberId,
    #[schema(value_type = String, example = "+18314280176")]
    pub phone_number: PhoneNumber,
    pub source: AssignmentSource,
    pub created_at: DateTime<Utc>,
}

/// A customer who asked not to be messaged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct OptOut {
    #[schema(value_type = String, example = "+14155550100")]
    pub customer: PhoneNumber,
    /// The keyword they sent (STOP, ...), or `admin` when set through the API.
    pub keyword: String,
    pub created_at: DateTime<Utc>,
}

/// What happened to one event for one of the company's numbers.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RoutingLogEntry {
    pub event_id: String,
    pub event_type: String,
    pub phone_number: String,
    /// The caller or sender (absent on lines logged before it was recorded).
    pub customer: Option<String>,
    /// The RoutingDecision, as JSON.
    #[schema(value_type = Object)]
    pub decision: serde_json::Value,
    pub outcome: String,
    pub created_at: DateTime<Utc>,
}

#[async_trait]
pub trait RulesStore: CompanyStore + Send + Sync {
    /// The company's defaults; the row (and its forward secret) is created on first use.
    async fn get_routing_defaults(&self, company: CompanyId) -> StoreResult<RoutingDefaults>;
    async fn put_routing_defaults(
        &self,
        company: CompanyId,
        destinations: &Destinations,
        policy: UnroutedPolicy,
    ) -> StoreResult<RoutingDefaults>;

    /// Creates or replaces the department with this name.
    async fn upsert_department(&self, company: CompanyId, department: &Department) -> StoreResult<()>;
    async fn get_department(&self, company: CompanyId, name: &str) -> StoreResult<Department>;
    /// The company's departments by name, a window at a time.
    async fn page_departments(&self, company: CompanyId, window: &Window<RuleKey>) -> StoreResult<Vec<Department>>;
    async fn list_departments(&self, company: CompanyId) -> StoreResult<Vec<Department>> {
        self.page_departments(company, &Window::all()).await
    }
    /// `NotFound` when there is no such department.
    async fn delete_department(&self, company: CompanyId, name: &str) -> StoreResult<()>;

    async fn upsert_location(&self, company: CompanyId, location: &Location) -> StoreResult<()>;
    async fn get_location(&self, company: CompanyId, name: &str) -> StoreResult<Location>;
    /// The company's locations by name, a window at a time.
    async fn page_locations(&self, company: CompanyId, window: &Window<RuleKey>) -> StoreResult<Vec<Location>>;
    async fn list_locations(&self, company: CompanyId) -> StoreResult<Vec<Location>> {
        self.page_locations(company, &Window::all()).await
    }
    async fn delete_location(&self, company: CompanyId, name: &str) -> StoreResult<()>;

    /// Sets (or replaces) an assignment from the admin API.
    async fn set_assignment(
        &self,
        company: CompanyId,
        customer: &PhoneNumber,
        number_id: PhoneNumberId,
        number: &PhoneNumber,
    ) -> StoreResult<Assignment>;
    /// Creates the assignment unless one exists, and returns the one that holds: when several
    /// nodes claim at once, the unique key picks one winner and every caller gets it.
    async fn claim_assignment(
        &self,
        company: CompanyId,
        customer: &PhoneNumber,
        number_id: PhoneNumberId,
        number: &PhoneNumber,
        source: AssignmentSource,
    ) -> StoreResult<Assignment>;
    async fn get_assignment(&self, company: CompanyId, customer: &PhoneNumber) -> StoreResult<Assignment>;
    /// The company's assignments by customer, a window at a time.
    async fn page_assignments(&self, company: CompanyId, window: &Window<CustomerKey>) -> StoreResult<Vec<Assignment>>;
    async fn list_assignments(&self, company: CompanyId) -> StoreResult<Vec<Assignment>> {
        self.page_assignments(company, &Window::all()).await
    }
    async fn delete_assignment(&self, company: CompanyId, customer: &PhoneNumber) -> StoreResult<()>;

    /// Records an opt-out (keeps the first keyword when already opted out).
    async fn add_opt_out(&self, company: CompanyId, customer: &PhoneNumber, keyword: &str) -> StoreResult<OptOut>;
    /// `true` when there was an opt-out to remove.
    async fn remove_opt_out(&self, company: CompanyId, customer: &PhoneNumber) -> StoreResult<bool>;
    /// The company's opted-out customers by number, a window at a time.
    async fn page_opt_outs(&self, company: CompanyId, window: &Window<CustomerKey>) -> StoreResult<Vec<OptOut>>;
    async fn list_opt_outs(&self, company: CompanyId) -> StoreResult<Vec<OptOut>> {
        self.page_opt_outs(company, &Window::all()).await
    }
    async fn is_opted_out(&self, company: CompanyId, customer: &PhoneNumber) -> StoreResult<bool>;

    /// Most recent first, a window at a time. The ledger writes the log with each inbound event's
    /// dedupe key, and it is kept as long as the keys (`ledger.dedupe_retention_hours`).
    async fn page_routing_log(
        &self,
        company: CompanyId,
        filter: &RoutingLogFilter,
        window: &Window<RoutingLogKey>,
    ) -> StoreResult<Vec<RoutingLogEntry>>;
    /// The `limit` most recent entries.
    async fn list_routing_log(&self, company: CompanyId, limit: i64) -> StoreResult<Vec<RoutingLogEntry>> {
        self.page_routing_log(company, &RoutingLogFilter::default(), &Window::first(limit)).await
    }
    /// Every entry of one event (one per number it touched); empty when unknown.
    async fn get_routing_log(&self, company: CompanyId, event_id: &str) -> StoreResult<Vec<RoutingLogEntry>>;

    /// The company's routing state as its actor holds it: live numbers, rules, defaults and
    /// assignments. Not opt-outs: inbound routing does not read them, and outbound sends read one
    /// customer's ([`RulesStore::load_customer_routing`]).
    async fn load_company_routing(&self, company: CompanyId) -> StoreResult<CompanyRouting> {
        let mut routing = self.load_routing_rules(company).await?;
        for a in self.list_assignments(company).await? {
            routing.assign(a.customer, a.phone_number);
        }
        Ok(routing)
    }

    /// The routing state one customer's traffic needs: the company's numbers, rules and defaults,
    /// and only this customer's assignment and opt-out. Two point lookups instead of every
    /// assignment and opt-out of the company, so a send costs the same for a company with ten
    /// customers as for one with a million.
    async fn load_customer_routing(&self, company: CompanyId, customer: &PhoneNumber) -> StoreResult<CompanyRouting> {
        let mut routing = self.load_routing_rules(company).await?;
        match self.get_assignment(company, customer).await {
            Ok(a) => {
                routing.assign(a.customer, a.phone_number);
            }
            Err(StoreError::NotFound) => {}
            Err(e) => return Err(e),
        }
        if self.is_opted_out(company, customer).await? {
            routing.opt_out(customer.clone());
        }
        Ok(routing)
    }

    /// The company's live numbers, departments, locations and defaults, without any customer's
    /// assignment or opt-out.
    async fn load_routing_rules(&self, company: CompanyId) -> StoreResult<CompanyRouting> {
        let mut routing = CompanyRouting::new();
        for n in self.list_numbers(company, NumberFilter::default()).await? {
            if n.status == NumberStatus::Deleted {
                continue;
            }
            routing.upsert_number(NumberRecord {
                id: n.id,
                number: n.phone_number,
                department: n.department,
                location: n.location,
                features: n.features,
                status: n.status,
            });
        }
        for d in self.list_departments(company).await? {
            routing.upsert_department(d);
        }
        for l in self.list_locations(company).await? {
            routing.upsert_location(l);
        }
        let defaults = self.get_routing_defaults(company).await?;
        routing.set_default_destinations(defaults.destinations);
        routing.set_unrouted_policy(defaults.unrouted_policy);
        Ok(routing)
    }
}

/// A new Standard Webhooks secret: `whsec_` + base64 of 32 random bytes.
pub fn new_forward_secret() -> String {
    let bytes: [u8; 32] = rand::random();
    format!("whsec_{}", base64::engine::general_purpose::STANDARD.encode(bytes))
}

// ---- rows and their conversion, shared by both backends ---------------------------------------

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {e}"))
}

pub(crate) fn destinations_from_db(
    table: &str,
    call: Option<String>,
    message: Option<String>,
) -> StoreResult<Destinations> {
    Ok(Destinations {
        call: call.as_deref().map(CallChain::from_stored).transpose().map_err(|e| corrupt(table, e))?,
        message: message.as_deref().map(MessageRoute::from_stored).transpose().map_err(|e| corrupt(table, e))?,
    })
}

pub(crate) fn hours_to_db<T: Serialize>(hours: &Option<T>) -> StoreResult<Option<String>> {
    hours.as_ref().map(serde_json::to_string).transpose().map_err(|e| corrupt("hours", e))
}

fn hours_from_db(table: &str, hours: Option<String>) -> StoreResult<Option<crate::routing::BusinessHours>> {
    hours.as_deref().map(serde_json::from_str).transpose().map_err(|e| corrupt(&format!("{table}.hours"), e))
}

pub(crate) fn phone_from_db(what: &str, s: &str) -> StoreResult<PhoneNumber> {
    PhoneNumber::parse(s).map_err(|e| corrupt(what, e))
}

#[derive(sqlx::FromRow)]
pub(crate) struct DefaultsRow {
    pub default_call_destination: Option<String>,
    pub default_message_destination: Option<String>,
    pub unrouted_policy: String,
    pub forward_secret: String,
}

impl TryFrom<DefaultsRow> for RoutingDefaults {
    type Error = StoreError;
    fn try_from(r: DefaultsRow) -> StoreResult<Self> {
        let unrouted_policy = match r.unrouted_policy.as_str() {
            "ignore" => UnroutedPolicy::Ignore,
            "hangup" => UnroutedPolicy::Hangup,
            other => return Err(corrupt("company_routing.unrouted_policy", other)),
        };
        Ok(RoutingDefaults {
            destinations: destinations_from_db(
                "company_routing",
                r.default_call_destination,
                r.default_message_destination,
            )?,
            unrouted_policy,
            forward_secret: r.forward_secret,
        })
    }
}

pub(crate) fn policy_to_db(p: UnroutedPolicy) -> &'static str {
    match p {
        UnroutedPolicy::Ignore => "ignore",
        UnroutedPolicy::Hangup => "hangup",
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct RuleRow {
    pub name: String,
    pub call_destination: Option<String>,
    pub message_destination: Option<String>,
    pub hours: Option<String>,
    #[sqlx(default)]
    pub area_codes: Option<String>,
}

impl TryFrom<RuleRow> for Department {
    type Error = StoreError;
    fn try_from(r: RuleRow) -> StoreResult<Self> {
        let destinations = destinations_from_db("departments", r.call_destination, r.message_destination)?;
        Department::new(r.name, destinations, hours_from_db("departments", r.hours)?)
            .map_err(|e| corrupt("departments", e))
    }
}

impl TryFrom<RuleRow> for Location {
    type Error = StoreError;
    fn try_from(r: RuleRow) -> StoreResult<Self> {
        let destinations = destinations_from_db("locations", r.call_destination, r.message_destination)?;
        let codes = r.area_codes.unwrap_or_default();
        let codes = codes.split(',').filter(|c| !c.is_empty()).map(str::to_owned).collect();
        Location::new(r.name, destinations, hours_from_db("locations", r.hours)?, codes)
            .map_err(|e| corrupt("locations", e))
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct AssignmentRow {
    pub customer_number: String,
    pub phone_number_id: uuid::Uuid,
    pub phone_number: String,
    pub source: String,
    pub created_at: DateTime<Utc>,
}

impl TryFrom<AssignmentRow> for Assignment {
    type Error = StoreError;
    fn try_from(r: AssignmentRow) -> StoreResult<Self> {
        Ok(Assignment {
            customer: phone_from_db("customer_assignments.customer_number", &r.customer_number)?,
            phone_number_id: PhoneNumberId::from_uuid(r.phone_number_id),
            phone_number: phone_from_db("customer_assignments.phone_number", &r.phone_number)?,
            source: AssignmentSource::parse(&r.source)?,
            created_at: r.created_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct OptOutRow {
    pub customer_number: String,
    pub keyword: String,
    pub created_at: DateTime<Utc>,
}

impl TryFrom<OptOutRow> for OptOut {
    type Error = StoreError;
    fn try_from(r: OptOutRow) -> StoreResult<Self> {
        Ok(OptOut {
            customer: phone_from_db("opt_outs.customer_number", &r.customer_number)?,
            keyword: r.keyword,
            created_at: r.created_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct RoutingLogRow {
    pub event_id: String,
    pub event_type: String,
    pub phone_number: String,
    pub customer: Option<String>,
    pub decision: String,
    pub outcome: String,
    pub created_at: DateTime<Utc>,
}

impl TryFrom<RoutingLogRow> for RoutingLogEntry {
    type Error = StoreError;
    fn try_from(r: RoutingLogRow) -> StoreResult<Self> {
        Ok(RoutingLogEntry {
            // Stored compact (`ledger::decision_codec`) or, for older lines, as plain JSON.
            decision: serde_json::from_str(&decision_codec::decode(
                &r.decision,
                &r.phone_number,
                r.customer.as_deref(),
            ))
            .map_err(|e| corrupt("routing_log.decision", e))?,
            event_id: r.event_id,
            event_type: r.event_type,
            phone_number: r.phone_number,
            customer: r.customer,
            outcome: r.outcome,
            created_at: r.created_at,
        })
    }
}
