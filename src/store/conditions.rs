//! Optional filters of a list as SQL conditions with numbered placeholders, the same text on both
//! backends: each condition is a template whose `?` marks become `$n` in order, and its values are
//! bound in that order ([`bind_args!`]). Only fixed templates written in this crate go in; values
//! never become SQL text.
use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use uuid::Uuid;

/// A value bound to a placeholder.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    Text(String),
    Time(DateTime<Utc>),
    Int(i64),
    Uuid(Uuid),
}

/// `AND`ed conditions whose placeholders start after the query's fixed parameters.
#[derive(Debug, Clone)]
pub struct Conditions {
    sql: String,
    args: Vec<Arg>,
    next: usize,
}

impl Conditions {
    /// Conditions whose first placeholder is `$first`.
    pub fn starting_at(first: usize) -> Self {
        Conditions { sql: String::new(), args: Vec::new(), next: first }
    }

    /// Adds ` AND <template>`, each `?` of it bound to the next of `args`.
    pub fn add(&mut self, template: &'static str, args: impl IntoIterator<Item = Arg>) -> &mut Self {
        self.sql.push_str(" AND ");
        let mut args = args.into_iter();
        for c in template.chars() {
            if c == '?' {
                let _ = write!(self.sql, "${}", self.next);
                self.next += 1;
                if let Some(a) = args.next() {
                    self.args.push(a);
                }
            } else {
                self.sql.push(c);
            }
        }
        self
    }

    /// Adds the condition when the value is there.
    pub fn add_opt(&mut self, template: &'static str, arg: Option<Arg>) -> &mut Self {
        if let Some(a) = arg {
            self.add(template, [a]);
        }
        self
    }

    /// The conditions, each starting with ` AND ` (empty when there are none).
    pub fn sql(&self) -> &str {
        &self.sql
    }

    pub fn args(&self) -> &[Arg] {
        &self.args
    }
}

/// Binds the [`Arg`]s of a [`Conditions`] to a query, in order.
macro_rules! bind_args {
    ($query:expr, $args:expr) => {{
        let mut q = $query;
        for a in $args.iter().cloned() {
            q = match a {
                $crate::store::conditions::Arg::Text(s) => q.bind(s),
                $crate::store::conditions::Arg::Time(t) => q.bind(t),
                $crate::store::conditions::Arg::Int(i) => q.bind(i),
                $crate::store::conditions::Arg::Uuid(u) => q.bind(u),
            };
        }
        q
    }};
}
pub(crate) use bind_args;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_in_order_after_the_fixed_ones() {
        let mut c = Conditions::starting_at(3);
        c.add_opt("kind = ?", Some(Arg::Text("forward_message".into())))
            .add_opt("destination = ?", None)
            .add("(created_at, id) < (?, ?)", [Arg::Int(1), Arg::Int(2)]);
        assert_eq!(c.sql(), " AND kind = $3 AND (created_at, id) < ($4, $5)");
        assert_eq!(c.args().len(), 3);
    }
}
