//! The operations the simulator implements: path templates (as the spec names them) mapped to
//! the state that answers them.
use std::time::Instant;

use serde_json::Value;

use super::profiles::Kind;
use super::reply::{self, Reply};
use super::World;

/// The simulated operations, `METHOD template` (the spec's templates; calls' actions share one).
const ROUTES: &[(&str, &str)] = &[
    ("GET", "/available_phone_numbers"),
    ("POST", "/number_orders"),
    ("GET", "/number_orders/{number_order_id}"),
    ("GET", "/phone_numbers"),
    ("GET", "/phone_numbers/{id}"),
    ("PATCH", "/phone_numbers/{id}"),
    ("PATCH", "/phone_numbers/{id}/messaging"),
    ("PATCH", "/phone_numbers/{id}/voice"),
    ("POST", "/messages"),
    ("POST", "/calls"),
    ("POST", "/calls/{call_control_id}/actions/{action}"),
    ("GET", "/webhook_deliveries"),
    ("GET", "/{collection}"),
    ("POST", "/{collection}"),
    ("GET", "/{collection}/{id}"),
    ("PATCH", "/{collection}/{id}"),
    ("DELETE", "/{collection}/{id}"),
];

/// Query pairs of a request (percent-decoded, in order).
#[derive(Debug, Clone, Default)]
pub struct Query(pub Vec<(String, String)>);

impl Query {
    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// Every value of `name` or `name[]`, comma-separated values split.
    pub fn list(&self, name: &str) -> Vec<String> {
        let brackets = format!("{name}[]");
        self.0
            .iter()
            .filter(|(k, _)| *k == name || *k == brackets)
            .flat_map(|(_, v)| v.split(',').map(str::to_owned).collect::<Vec<_>>())
            .filter(|v| !v.is_empty())
            .collect()
    }
}

/// A request matched to a simulated operation.
pub struct Matched {
    /// `METHOD template` with `{action}`/`{collection}` filled in, as the spec names it.
    pub operation: String,
    template: &'static str,
    params: Vec<(&'static str, String)>,
}

impl Matched {
    fn param(&self, name: &str) -> &str {
        self.params.iter().find(|(k, _)| *k == name).map_or("", |(_, v)| v.as_str())
    }
}

/// The simulated operation for `method` and `path`; literal segments win over parameters.
pub fn find(method: &str, path: &str) -> Option<Matched> {
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let mut best: Option<(usize, Matched)> = None;
    for (m, template) in ROUTES.iter().filter(|(m, _)| *m == method) {
        let segs: Vec<&str> = template.trim_start_matches('/').split('/').collect();
        if segs.len() != parts.len() {
            continue;
        }
        let mut literal = 0;
        let mut params = Vec::new();
        let ok = segs.iter().zip(&parts).all(|(s, p)| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(name) if !p.is_empty() => {
                params.push((name, super::spec::percent_decode(p)));
                true
            }
            Some(_) => false,
            None if s == p => {
                literal += 1;
                true
            }
            None => false,
        });
        let collection_ok = params.iter().all(|(k, v)| *k != "collection" || Kind::from_collection(v).is_some());
        if ok && collection_ok && best.as_ref().is_none_or(|(score, _)| literal > *score) {
            let mut operation = format!("{m} {template}");
            for (k, v) in &params {
                if *k == "action" || *k == "collection" {
                    operation = operation.replace(&format!("{{{k}}}"), v);
                }
            }
            best = Some((literal, Matched { operation, template, params }));
        }
    }
    best.map(|(_, m)| m)
}

/// Runs the operation against the account state (an order completes right after it is answered
/// unless the test turned that off).
pub fn handle(world: &mut World, m: &Matched, query: &Query, body: &Value, now: Instant) -> Reply {
    let method = m.operation.split(' ').next().unwrap_or_default();
    let collection = Kind::from_collection(m.param("collection"));
    match (method, m.template, collection) {
        ("GET", "/available_phone_numbers", _) => world.numbers.search(query),
        ("POST", "/number_orders", _) => {
            let (reply, id) = world.orders.create(&mut world.numbers, body);
            if world.config.auto_complete_orders && !id.is_empty() {
                world.orders.settle(&mut world.numbers, &id, true);
            }
            reply
        }
        ("GET", "/number_orders/{number_order_id}", _) => world.orders.get(m.param("number_order_id")),
        ("GET", "/phone_numbers", _) => world.numbers.list(query),
        ("GET", "/phone_numbers/{id}", _) => world.numbers.get(m.param("id")),
        ("PATCH", "/phone_numbers/{id}", _) => world.numbers.update(m.param("id"), body),
        ("PATCH", "/phone_numbers/{id}/messaging", _) => world.numbers.update_messaging(m.param("id"), body),
        ("PATCH", "/phone_numbers/{id}/voice", _) => world.numbers.update_voice(m.param("id"), body),
        ("POST", "/messages", _) => world.send_message(body, now),
        ("POST", "/calls", _) => world.dial(body),
        ("POST", "/calls/{call_control_id}/actions/{action}", _) => {
            world.command(m.param("call_control_id"), m.param("action"), body, now)
        }
        ("GET", "/{collection}", Some(kind)) => world.profiles.list(kind, query),
        ("POST", "/{collection}", Some(kind)) => world.profiles.create(kind, body),
        ("GET", "/{collection}/{id}", Some(kind)) => world.profiles.get(kind, m.param("id")),
        ("PATCH", "/{collection}/{id}", Some(kind)) => world.profiles.update(kind, m.param("id"), body),
        ("DELETE", "/{collection}/{id}", Some(kind)) => world.profiles.delete(kind, m.param("id")),
        _ => Reply::error(404, &reply::NOT_FOUND),
    }
}
