//! Shared pieces of the create and find-by-name operations: the id of what a create made, and
//! the list query that finds resources by name ("look up before creating again" after an
//! ambiguous create).
use serde::Deserialize;

/// `data` of a create's answer: only the new resource's id is read.
#[derive(Deserialize)]
pub(super) struct Created {
    pub id: String,
}

/// Results per page of a name lookup: the spec's largest page. Names switchboard gives are unique
/// per company, so one page holds every match.
pub(super) const PAGE_SIZE: u32 = 250;

/// Telnyx's `contains` filters need at least this many characters.
const MIN_CONTAINS_LEN: usize = 3;

/// The query of a lookup by name: `filter[<filter>]=<name>` (omitted for a name too short for a
/// `contains` filter) and the largest page.
pub(super) fn name_query(filter: &'static str, name: &str) -> Vec<(&'static str, String)> {
    let mut q = Vec::with_capacity(2);
    if name.chars().count() >= MIN_CONTAINS_LEN {
        q.push((filter, name.to_owned()));
    }
    q.push(("page[size]", PAGE_SIZE.to_string()));
    q
}

/// The items whose name is exactly `name` (Telnyx's filters may match more).
pub(super) fn exactly_named<T>(items: Vec<T>, name: &str, name_of: impl Fn(&T) -> &str) -> Vec<T> {
    items.into_iter().filter(|i| name_of(i) == name).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn telnyx_name_query_skips_too_short_names() {
        assert_eq!(
            name_query("filter[name][contains]", "switchboard x"),
            vec![("filter[name][contains]", "switchboard x".to_owned()), ("page[size]", "250".to_owned())]
        );
        assert_eq!(name_query("filter[name][contains]", "ab"), vec![("page[size]", "250".to_owned())]);
        let names = vec!["acme", "acme 2", "ACME"];
        assert_eq!(exactly_named(names, "acme", |n| n), vec!["acme"]);
    }
}
