//! The SQL of [`RulesStore`](super::rules::RulesStore), written once and expanded for each backend.

/// Implements `RulesStore` for a store type with a `pool` field of an sqlx pool type.
macro_rules! impl_rules_store {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::rules::RulesStore for $store {
            async fn get_routing_defaults(
                &self,
                company: $crate::domain::CompanyId,
            ) -> $crate::store::StoreResult<$crate::store::rules::RoutingDefaults> {
                // Read first: every load of a company asks, and only its first finds no row.
                let read = || {
                    sqlx::query_as::<_, $crate::store::rules::DefaultsRow>(
                        "SELECT default_call_destination, default_message_destination, unrouted_policy, \
                         forward_secret FROM company_routing WHERE company_id = $1",
                    )
                    .bind(company.as_uuid())
                };
                if let Some(row) = read().fetch_optional(&self.pool).await? {
                    return row.try_into();
                }
                // The company's first use creates its row (a forward secret, nothing routed; not
                // announced: no node holds anything it changes, migration 0027).
                sqlx::query(
                    "INSERT INTO company_routing (company_id, forward_secret, updated_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (company_id) DO NOTHING",
                )
                .bind(company.as_uuid())
                .bind($crate::store::rules::new_forward_secret())
                .bind(chrono::Utc::now())
                .execute(&self.pool)
                .await?;
                read().fetch_one(&self.pool).await?.try_into()
            }

            async fn put_routing_defaults(
                &self,
                company: $crate::domain::CompanyId,
                d: &$crate::routing::Destinations,
                policy: $crate::routing::UnroutedPolicy,
            ) -> $crate::store::StoreResult<$crate::store::rules::RoutingDefaults> {
                let row: $crate::store::rules::DefaultsRow = sqlx::query_as(
                    "INSERT INTO company_routing (company_id, default_call_destination, default_message_destination, \
                     unrouted_policy, forward_secret, updated_at) VALUES ($1, $2, $3, $4, $5, $6) \
                     ON CONFLICT (company_id) DO UPDATE SET \
                     default_call_destination = excluded.default_call_destination, \
                     default_message_destination = excluded.default_message_destination, \
                     unrouted_policy = excluded.unrouted_policy, updated_at = excluded.updated_at \
                     RETURNING default_call_destination, default_message_destination, unrouted_policy, forward_secret",
                )
                .bind(company.as_uuid())
                .bind(d.call.as_ref().map($crate::routing::CallChain::to_stored))
                .bind(d.message.as_ref().map(|m| m.to_stored()))
                .bind($crate::store::rules::policy_to_db(policy))
                .bind($crate::store::rules::new_forward_secret())
                .bind(chrono::Utc::now())
                .fetch_one(&self.pool)
                .await?;
                row.try_into()
            }

            async fn upsert_department(
                &self,
                company: $crate::domain::CompanyId,
                d: &$crate::routing::Department,
            ) -> $crate::store::StoreResult<()> {
                sqlx::query(
                    "INSERT INTO departments (company_id, name, call_destination, message_destination, hours, \
                     updated_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (company_id, name) DO UPDATE SET \
                     call_destination = excluded.call_destination, message_destination = excluded.message_destination, \
                     hours = excluded.hours, updated_at = excluded.updated_at",
                )
                .bind(company.as_uuid())
                .bind(&d.name)
                .bind(d.destinations.call.as_ref().map($crate::routing::CallChain::to_stored))
                .bind(d.destinations.message.as_ref().map(|m| m.to_stored()))
                .bind($crate::store::rules::hours_to_db(&d.hours)?)
                .bind(chrono::Utc::now())
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn get_department(
                &self,
                company: $crate::domain::CompanyId,
                name: &str,
            ) -> $crate::store::StoreResult<$crate::routing::Department> {
                let row: $crate::store::rules::RuleRow = sqlx::query_as(
                    "SELECT name, call_destination, message_destination, hours FROM departments \
                     WHERE company_id = $1 AND name = $2",
                )
                .bind(company.as_uuid())
                .bind(name)
                .fetch_one(&self.pool)
                .await?;
                row.try_into()
            }

            async fn page_departments(
                &self,
                company: $crate::domain::CompanyId,
                w: &$crate::store::Window<$crate::store::page::RuleKey>,
            ) -> $crate::store::StoreResult<Vec<$crate::routing::Department>> {
                let sql = format!(
                    "SELECT name, call_destination, message_destination, hours FROM departments \
                     WHERE company_id = $1 {} ORDER BY name LIMIT $2",
                    w.after_clause("AND name > $3")
                );
                let mut q =
                    sqlx::query_as::<_, $crate::store::rules::RuleRow>(&sql).bind(company.as_uuid()).bind(w.limit);
                if let Some(name) = &w.after {
                    q = q.bind(name.clone());
                }
                let rows = q.fetch_all(&self.pool).await?;
                rows.into_iter().map(TryInto::try_into).collect()
            }

            async fn delete_department(
                &self,
                company: $crate::domain::CompanyId,
                name: &str,
            ) -> $crate::store::StoreResult<()> {
                let done = sqlx::query("DELETE FROM departments WHERE company_id = $1 AND name = $2")
                    .bind(company.as_uuid())
                    .bind(name)
                    .execute(&self.pool)
                    .await?;
                $crate::store::rules_sql::found(done.rows_affected())
            }

            async fn upsert_location(
                &self,
                company: $crate::domain::CompanyId,
                l: &$crate::routing::Location,
            ) -> $crate::store::StoreResult<()> {
                sqlx::query(
                    "INSERT INTO locations (company_id, name, call_destination, message_destination, hours, \
                     area_codes, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                     ON CONFLICT (company_id, name) DO UPDATE SET \
                     call_destination = excluded.call_destination, message_destination = excluded.message_destination, \
                     hours = excluded.hours, area_codes = excluded.area_codes, updated_at = excluded.updated_at",
                )
                .bind(company.as_uuid())
                .bind(&l.name)
                .bind(l.destinations.call.as_ref().map($crate::routing::CallChain::to_stored))
                .bind(l.destinations.message.as_ref().map(|m| m.to_stored()))
                .bind($crate::store::rules::hours_to_db(&l.hours)?)
                .bind(l.area_codes().join(","))
                .bind(chrono::Utc::now())
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn get_location(
                &self,
                company: $crate::domain::CompanyId,
                name: &str,
            ) -> $crate::store::StoreResult<$crate::routing::Location> {
                let row: $crate::store::rules::RuleRow = sqlx::query_as(
                    "SELECT name, call_destination, message_destination, hours, area_codes FROM locations \
                     WHERE company_id = $1 AND name = $2",
                )
                .bind(company.as_uuid())
                .bind(name)
                .fetch_one(&self.pool)
                .await?;
                row.try_into()
            }

            async fn page_locations(
                &self,
                company: $crate::domain::CompanyId,
                w: &$crate::store::Window<$crate::store::page::RuleKey>,
            ) -> $crate::store::StoreResult<Vec<$crate::routing::Location>> {
                let sql = format!(
                    "SELECT name, call_destination, message_destination, hours, area_codes FROM locations \
                     WHERE company_id = $1 {} ORDER BY name LIMIT $2",
                    w.after_clause("AND name > $3")
                );
                let mut q =
                    sqlx::query_as::<_, $crate::store::rules::RuleRow>(&sql).bind(company.as_uuid()).bind(w.limit);
                if let Some(name) = &w.after {
                    q = q.bind(name.clone());
                }
                let rows = q.fetch_all(&self.pool).await?;
                rows.into_iter().map(TryInto::try_into).collect()
            }

            async fn delete_location(
                &self,
                company: $crate::domain::CompanyId,
                name: &str,
            ) -> $crate::store::StoreResult<()> {
                let done = sqlx::query("DELETE FROM locations WHERE company_id = $1 AND name = $2")
                    .bind(company.as_uuid())
                    .bind(name)
                    .execute(&self.pool)
                    .await?;
                $crate::store::rules_sql::found(done.rows_affected())
            }

            async fn set_assignment(
                &self,
                company: $crate::domain::CompanyId,
                customer: &$crate::domain::PhoneNumber,
                number_id: $crate::domain::PhoneNumberId,
                number: &$crate::domain::PhoneNumber,
            ) -> $crate::store::StoreResult<$crate::store::rules::Assignment> {
                let row: $crate::store::rules::AssignmentRow = sqlx::query_as(
                    "INSERT INTO customer_assignments (company_id, customer_number, phone_number_id, phone_number, \
                     source, created_at) VALUES ($1, $2, $3, $4, 'admin', $5) \
                     ON CONFLICT (company_id, customer_number) DO UPDATE SET \
                     phone_number_id = excluded.phone_number_id, phone_number = excluded.phone_number, \
                     source = excluded.source, created_at = excluded.created_at \
                     RETURNING customer_number, phone_number_id, phone_number, source, created_at",
                )
                .bind(company.as_uuid())
                .bind(customer.as_str())
                .bind(number_id.as_uuid())
                .bind(number.as_str())
                .bind(chrono::Utc::now())
                .fetch_one(&self.pool)
                .await?;
                row.try_into()
            }

            async fn claim_assignment(
                &self,
                company: $crate::domain::CompanyId,
                customer: &$crate::domain::PhoneNumber,
                number_id: $crate::domain::PhoneNumberId,
                number: &$crate::domain::PhoneNumber,
                source: $crate::store::rules::AssignmentSource,
            ) -> $crate::store::StoreResult<$crate::store::rules::Assignment> {
                sqlx::query(
                    "INSERT INTO customer_assignments (company_id, customer_number, phone_number_id, phone_number, \
                     source, created_at) VALUES ($1, $2, $3, $4, $5, $6) \
                     ON CONFLICT (company_id, customer_number) DO NOTHING",
                )
                .bind(company.as_uuid())
                .bind(customer.as_str())
                .bind(number_id.as_uuid())
                .bind(number.as_str())
                .bind(source.as_str())
                .bind(chrono::Utc::now())
                .execute(&self.pool)
                .await?;
                self.get_assignment(company, customer).await
            }

            async fn get_assignment(
                &self,
                company: $crate::domain::CompanyId,
                customer: &$crate::domain::PhoneNumber,
            ) -> $crate::store::StoreResult<$crate::store::rules::Assignment> {
                let row: $crate::store::rules::AssignmentRow = sqlx::query_as(
                    "SELECT customer_number, phone_number_id, phone_number, source, created_at \
                     FROM customer_assignments WHERE company_id = $1 AND customer_number = $2",
                )
                .bind(company.as_uuid())
                .bind(customer.as_str())
                .fetch_one(&self.pool)
                .await?;
                row.try_into()
            }

            async fn page_assignments(
                &self,
                company: $crate::domain::CompanyId,
                w: &$crate::store::Window<$crate::store::page::CustomerKey>,
            ) -> $crate::store::StoreResult<Vec<$crate::store::rules::Assignment>> {
                let sql = format!(
                    "SELECT customer_number, phone_number_id, phone_number, source, created_at \
                     FROM customer_assignments WHERE company_id = $1 {} ORDER BY customer_number LIMIT $2",
                    w.after_clause("AND customer_number > $3")
                );
                let mut q = sqlx::query_as::<_, $crate::store::rules::AssignmentRow>(&sql)
                    .bind(company.as_uuid())
                    .bind(w.limit);
                if let Some(customer) = &w.after {
                    q = q.bind(customer.clone());
                }
                let rows = q.fetch_all(&self.pool).await?;
                rows.into_iter().map(TryInto::try_into).collect()
            }

            async fn delete_assignment(
                &self,
                company: $crate::domain::CompanyId,
                customer: &$crate::domain::PhoneNumber,
            ) -> $crate::store::StoreResult<()> {
                let done = sqlx::query("DELETE FROM customer_assignments WHERE company_id = $1 AND customer_number = $2")
                    .bind(company.as_uuid())
                    .bind(customer.as_str())
                    .execute(&self.pool)
                    .await?;
                $crate::store::rules_sql::found(done.rows_affected())
            }

            async fn add_opt_out(
                &self,
                company: $crate::domain::CompanyId,
                customer: &$crate::domain::PhoneNumber,
                keyword: &str,
            ) -> $crate::store::StoreResult<$crate::store::rules::OptOut> {
                // An opt-out set by hand is as of now: an older START delivered later changes
                // nothing (see the ledger's opt-out changes). One already in place keeps its keyword.
                sqlx::query(
                    "INSERT INTO opt_outs (company_id, customer_number, keyword, created_at, opted_out, changed_at) \
                     VALUES ($1, $2, $3, $4, true, $4) \
                     ON CONFLICT (company_id, customer_number) DO UPDATE SET \
                     keyword = CASE WHEN opt_outs.opted_out THEN opt_outs.keyword ELSE excluded.keyword END, \
                     created_at = CASE WHEN opt_outs.opted_out THEN opt_outs.created_at ELSE excluded.created_at END, \
                     opted_out = true, \
                     changed_at = CASE WHEN opt_outs.changed_at > excluded.changed_at THEN opt_outs.changed_at \
                                  ELSE excluded.changed_at END",
                )
                .bind(company.as_uuid())
                .bind(customer.as_str())
                .bind(keyword)
                .bind(chrono::Utc::now())
                .execute(&self.pool)
                .await?;
                let row: $crate::store::rules::OptOutRow = sqlx::query_as(
                    "SELECT customer_number, keyword, created_at FROM opt_outs \
                     WHERE company_id = $1 AND customer_number = $2 AND opted_out",
                )
                .bind(company.as_uuid())
                .bind(customer.as_str())
                .fetch_one(&self.pool)
                .await?;
                row.try_into()
            }

            async fn remove_opt_out(
                &self,
                company: $crate::domain::CompanyId,
                customer: &$crate::domain::PhoneNumber,
            ) -> $crate::store::StoreResult<bool> {
                // Kept as an opt-in as of now, so an older STOP delivered later changes nothing.
                let done = sqlx::query(
                    "UPDATE opt_outs SET opted_out = false, changed_at = $3 \
                     WHERE company_id = $1 AND customer_number = $2 AND opted_out",
                )
                .bind(company.as_uuid())
                .bind(customer.as_str())
                .bind(chrono::Utc::now())
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() > 0)
            }

            async fn page_opt_outs(
                &self,
                company: $crate::domain::CompanyId,
                w: &$crate::store::Window<$crate::store::page::CustomerKey>,
            ) -> $crate::store::StoreResult<Vec<$crate::store::rules::OptOut>> {
                let sql = format!(
                    "SELECT customer_number, keyword, created_at FROM opt_outs WHERE company_id = $1 AND opted_out {} \
                     ORDER BY customer_number LIMIT $2",
                    w.after_clause("AND customer_number > $3")
                );
                let mut q =
                    sqlx::query_as::<_, $crate::store::rules::OptOutRow>(&sql).bind(company.as_uuid()).bind(w.limit);
                if let Some(customer) = &w.after {
                    q = q.bind(customer.clone());
                }
                let rows = q.fetch_all(&self.pool).await?;
                rows.into_iter().map(TryInto::try_into).collect()
            }

            async fn is_opted_out(
                &self,
                company: $crate::domain::CompanyId,
                customer: &$crate::domain::PhoneNumber,
            ) -> $crate::store::StoreResult<bool> {
                let found: Option<i32> =
                    sqlx::query_scalar(
                        "SELECT 1 FROM opt_outs WHERE company_id = $1 AND customer_number = $2 AND opted_out",
                    )
                        .bind(company.as_uuid())
                        .bind(customer.as_str())
                        .fetch_optional(&self.pool)
                        .await?;
                Ok(found.is_some())
            }

            async fn page_routing_log(
                &self,
                company: $crate::domain::CompanyId,
                filter: &$crate::store::routing_log::RoutingLogFilter,
                w: &$crate::store::Window<$crate::store::page::RoutingLogKey>,
            ) -> $crate::store::StoreResult<Vec<$crate::store::rules::RoutingLogEntry>> {
                // Newest first: every key column descending, so one row comparison is the keyset
                // condition, and the index on (company_id, received_at DESC) bounds it; the
                // filters narrow what that range scan returns.
                let c = filter.conditions(w.after.as_ref());
                let sql = format!(
                    "SELECT event_id, event_type, phone_number, customer, decision, outcome, received_at AS created_at \
                     FROM webhook_events WHERE company_id = $1 AND decision IS NOT NULL {} \
                     ORDER BY received_at DESC, event_id DESC, phone_number DESC LIMIT $2",
                    c.sql()
                );
                let q = sqlx::query_as::<_, $crate::store::rules::RoutingLogRow>(&sql)
                    .bind(company.as_uuid())
                    .bind(w.limit);
                let rows = $crate::store::conditions::bind_args!(q, c.args()).fetch_all(&self.pool).await?;
                rows.into_iter().map(TryInto::try_into).collect()
            }

            async fn get_routing_log(
                &self,
                company: $crate::domain::CompanyId,
                event_id: &str,
            ) -> $crate::store::StoreResult<Vec<$crate::store::rules::RoutingLogEntry>> {
                let rows: Vec<$crate::store::rules::RoutingLogRow> = sqlx::query_as(
                    "SELECT event_id, event_type, phone_number, customer, decision, outcome, received_at AS created_at \
                     FROM webhook_events WHERE company_id = $1 AND event_id = $2 AND decision IS NOT NULL \
                     ORDER BY phone_number",
                )
                .bind(company.as_uuid())
                .bind(event_id)
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter().map(TryInto::try_into).collect()
            }
        }
    };
}
pub(crate) use impl_rules_store;

/// `NotFound` when a delete or update touched no row.
pub(crate) fn found(rows: u64) -> super::StoreResult<()> {
    if rows == 0 {
        Err(super::StoreError::NotFound)
    } else {
        Ok(())
    }
}
