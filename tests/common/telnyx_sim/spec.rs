//! The Telnyx OpenAPI spec as a request/response/webhook validator.
//!
//! The spec (`$TELNYX_OPENAPI_SPEC`, else `<repo>/../shared/telnyx/openapi-spec3.yml`) is parsed
//! once per test binary ([`Spec::global`]). Every JSON schema check runs with the `jsonschema`
//! crate (OpenAPI 3.1 schemas are JSON Schema 2020-12): the whole spec document is one registry
//! resource, so `$ref`s such as `#/components/schemas/CallRequest` resolve against it. Compiled
//! validators are cached by the JSON pointer of their schema.
//!
//! What is checked, per request: the operation exists (method + path template; the spec's paths
//! have no `/v2` prefix), path and query parameters (required ones present, values against their
//! schema after the usual string-to-type coercion; deepObject `filter[...]`/`page[...]` groups are
//! assembled into objects first; unknown parameters are violations), and the JSON body against the
//! operation's `requestBody` schema. Responses the simulator gives and webhooks it sends are
//! checked against the spec too, so the simulator cannot drift from it silently.
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use jsonschema::{Draft, Registry, Validator};
use serde_json::Value;

use super::spec_params::{self, Param};

/// URI the spec document is registered under; local `#/...` refs are rewritten against it.
const SPEC_URI: &str = "urn:telnyx:openapi";

/// The loaded spec: its operations and a cache of compiled schema validators.
pub struct Spec {
    doc: Arc<Value>,
    registry: Registry<'static>,
    operations: Vec<Operation>,
    /// `event_type` -> JSON pointer of the webhook body schema.
    webhooks: HashMap<String, String>,
    compiled: Mutex<HashMap<String, Arc<Validator>>>,
    /// How long parsing and indexing took (reported once by the simulator).
    pub load_time: Duration,
}

/// One operation of the spec (`POST /calls/{call_control_id}/actions/answer`).
pub struct Operation {
    pub method: String,
    pub template: String,
    segments: Vec<Segment>,
    params: Vec<Param>,
    /// JSON pointer of the operation object.
    pointer: String,
}

enum Segment {
    Literal(String),
    Param(String),
}

impl Operation {
    /// `METHOD template`, the name used for routes, faults and violations.
    pub fn name(&self) -> String {
        format!("{} {}", self.method, self.template)
    }

    /// Path parameters when `path` matches this operation's template; literal segments count as
    /// the match's specificity.
    fn matches(&self, parts: &[&str]) -> Option<(usize, Vec<(String, String)>)> {
        if parts.len() != self.segments.len() {
            return None;
        }
        let mut literal = 0;
        let mut params = Vec::new();
        for (seg, part) in self.segments.iter().zip(parts) {
            match seg {
                Segment::Literal(l) if l == part => literal += 1,
                Segment::Literal(_) => return None,
                Segment::Param(_) if part.is_empty() => return None,
                Segment::Param(name) => params.push((name.clone(), percent_decode(part))),
            }
        }
        Some((literal, params))
    }
}

/// What went wrong in a check, as one line each.
pub type Problems = Vec<String>;

impl Spec {
    /// The spec, parsed on first use (blocking); `None` (said once on stderr) when no spec file
    /// exists, in which case the simulator runs without validation.
    pub fn global() -> Option<&'static Spec> {
        static SPEC: OnceLock<Option<Spec>> = OnceLock::new();
        SPEC.get_or_init(|| {
            let Some(path) = spec_path() else {
                eprintln!("telnyx_sim: no Telnyx OpenAPI spec found (TELNYX_OPENAPI_SPEC); validation is off");
                return None;
            };
            match Spec::load(&path) {
                Ok(spec) => {
                    eprintln!("telnyx_sim: loaded {} in {:?}", path.display(), spec.load_time);
                    Some(spec)
                }
                Err(e) => panic!("telnyx_sim: cannot load the Telnyx spec {}: {e}", path.display()),
            }
        })
        .as_ref()
    }

    fn load(path: &std::path::Path) -> Result<Spec, String> {
        let started = Instant::now();
        let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
        let doc: Value = serde_norway::from_str(&text).map_err(|e| e.to_string())?;
        let doc = Arc::new(doc);
        let registry = Registry::new()
            .draft(Draft::Draft202012)
            .add(SPEC_URI, Arc::clone(&doc))
            .and_then(|b| b.prepare())
            .map_err(|e| e.to_string())?;
        let operations = index_operations(&doc);
        let webhooks = index_webhooks(&doc);
        Ok(Spec {
            doc,
            registry,
            operations,
            webhooks,
            compiled: Mutex::new(HashMap::new()),
            load_time: started.elapsed(),
        })
    }

    /// The operation for `method` and `path` (no query), with its path parameters.
    pub fn find(&self, method: &str, path: &str) -> Option<(&Operation, Vec<(String, String)>)> {
        let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        self.operations
            .iter()
            .filter(|op| op.method.eq_ignore_ascii_case(method))
            .filter_map(|op| op.matches(&parts).map(|(score, params)| (score, op, params)))
            .max_by_key(|(score, _, _)| *score)
            .map(|(_, op, params)| (op, params))
    }

    /// Checks parameters and the body of a request to `op`.
    pub fn check_request(
        &self,
        op: &Operation,
        path_params: &[(String, String)],
        query: &[(String, String)],
        content_type: Option<&str>,
        body: &[u8],
    ) -> Problems {
        let mut problems = spec_params::check(self, &op.params, path_params, query);
        let request_body = self.pointer(&format!("{}/requestBody", op.pointer)).map(|b| self.resolve(b));
        match request_body {
            Some(rb) => {
                let required = rb.get("required").and_then(Value::as_bool).unwrap_or(false);
                if body.is_empty() {
                    if required {
                        problems.push("request body is required".into());
                    }
                } else if !content_type.is_some_and(|c| c.starts_with("application/json")) {
                    problems.push(format!("content-type must be application/json, got {content_type:?}"));
                } else {
                    match serde_json::from_slice::<Value>(body) {
                        Err(e) => problems.push(format!("body is not JSON: {e}")),
                        Ok(json) => match rb.pointer("/content/application~1json/schema") {
                            Some(schema) => problems.extend(self.check_value(schema, &json, "body")),
                            None => problems.push("the operation takes no JSON body".into()),
                        },
                    }
                }
            }
            None if !body.is_empty() => problems.push("the operation takes no request body".into()),
            None => {}
        }
        problems
    }

    /// Checks a response the simulator gives for `op` (exact status, then `4XX`, then `default`).
    pub fn check_response(&self, op: &Operation, status: u16, body: &Value) -> Problems {
        let Some(responses) = self.pointer(&format!("{}/responses", op.pointer)) else {
            return vec!["the operation declares no responses".into()];
        };
        let class = format!("{}XX", status / 100);
        let declared = [status.to_string(), class, "default".into()].into_iter().find_map(|k| responses.get(&k));
        let Some(declared) = declared else {
            return vec![format!("status {status} is not declared for the operation")];
        };
        match self.resolve(declared).pointer("/content/application~1json/schema") {
            Some(schema) => self.check_value(schema, body, "response"),
            None => Vec::new(),
        }
    }

    /// Checks an outgoing webhook envelope against the spec's webhook for its `event_type`.
    pub fn check_webhook(&self, event_type: &str, envelope: &Value) -> Problems {
        match self.webhooks.get(event_type) {
            Some(pointer) => self.check_pointer(pointer, envelope, "webhook"),
            None => vec![format!("event type {event_type} is not a webhook of the spec")],
        }
    }

    /// Checks `value` against a schema found in the document (by value: inline or `$ref`).
    pub(crate) fn check_value(&self, schema: &Value, value: &Value, what: &str) -> Problems {
        let key = serde_json::to_string(schema).unwrap_or_default();
        self.check_compiled(&key, || rewrite_refs(schema.clone()), value, what)
    }

    fn check_pointer(&self, pointer: &str, value: &Value, what: &str) -> Problems {
        let reference = serde_json::json!({ "$ref": format!("{SPEC_URI}#{pointer}") });
        self.check_compiled(pointer, || reference, value, what)
    }

    fn check_compiled(&self, key: &str, schema: impl FnOnce() -> Value, value: &Value, what: &str) -> Problems {
        let validator = {
            let mut cache = self.compiled.lock().unwrap_or_else(|e| e.into_inner());
            match cache.get(key) {
                Some(v) => Arc::clone(v),
                None => {
                    let built = jsonschema::options()
                        .with_draft(Draft::Draft202012)
                        .with_registry(&self.registry)
                        .build(&schema());
                    match built {
                        Ok(v) => Arc::clone(cache.entry(key.to_owned()).or_insert(Arc::new(v))),
                        Err(e) => return vec![format!("{what}: cannot compile the spec's schema: {e}")],
                    }
                }
            }
        };
        validator.iter_errors(value).map(|e| format!("{what}{}: {e}", e.instance_path())).take(10).collect()
    }

    /// A value of the document by JSON pointer.
    pub(crate) fn pointer(&self, pointer: &str) -> Option<&Value> {
        self.doc.pointer(pointer)
    }

    /// Follows local `$ref`s (`#/components/...`) until a value without one.
    pub(crate) fn resolve<'a>(&'a self, value: &'a Value) -> &'a Value {
        resolve_in(&self.doc, value)
    }
}

/// Where the spec is: `$TELNYX_OPENAPI_SPEC`, else beside the repository in `../shared/telnyx`.
fn spec_path() -> Option<PathBuf> {
    let from_env = std::env::var_os("TELNYX_OPENAPI_SPEC").filter(|s| !s.is_empty()).map(PathBuf::from);
    let beside = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/telnyx/openapi-spec3.yml");
    from_env.into_iter().chain([beside]).find(|p| p.is_file())
}

/// Escapes a JSON pointer token (`~` -> `~0`, `/` -> `~1`).
fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

fn index_operations(doc: &Value) -> Vec<Operation> {
    let mut out = Vec::new();
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else { return out };
    for (template, item) in paths {
        let Some(item) = item.as_object() else { continue };
        for (method, op) in item {
            if !["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                continue;
            }
            let pointer = format!("/paths/{}/{method}", escape(template));
            let mut params = spec_params::collect(doc, item.get("parameters"));
            let own = spec_params::collect(doc, op.get("parameters"));
            params.retain(|p| !own.iter().any(|o| o.name == p.name && o.location == p.location));
            params.extend(own);
            let segments = template
                .trim_start_matches('/')
                .split('/')
                .map(|s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                    Some(name) => Segment::Param(name.to_owned()),
                    None => Segment::Literal(s.to_owned()),
                })
                .collect();
            out.push(Operation {
                method: method.to_uppercase(),
                template: template.clone(),
                segments,
                params,
                pointer,
            });
        }
    }
    out
}

/// Maps each `event_type` named in a webhook body's `data.event_type` enum to that body schema.
fn index_webhooks(doc: &Value) -> HashMap<String, String> {
    let resolve = |v| resolve_in(doc, v);
    let mut out = HashMap::new();
    let Some(hooks) = doc.get("webhooks").and_then(Value::as_object) else { return out };
    for (name, hook) in hooks {
        let pointer = format!("/webhooks/{}/post/requestBody/content/application~1json/schema", escape(name));
        let Some(schema) = hook.pointer("/post/requestBody/content/application~1json/schema") else { continue };
        let Some(data) = resolve(schema).pointer("/properties/data") else { continue };
        let types = resolve(data).pointer("/properties/event_type/enum").and_then(Value::as_array);
        for t in types.into_iter().flatten().filter_map(Value::as_str) {
            out.entry(t.to_owned()).or_insert_with(|| pointer.clone());
        }
    }
    out
}

/// Follows local `$ref`s inside `doc`.
fn resolve_in<'a>(doc: &'a Value, mut v: &'a Value) -> &'a Value {
    for _ in 0..16 {
        match v.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix('#')).and_then(|p| doc.pointer(p)) {
            Some(target) => v = target,
            None => break,
        }
    }
    v
}

/// Makes every local `$ref` (`#/...`) absolute against the registered spec document.
fn rewrite_refs(mut schema: Value) -> Value {
    fn walk(v: &mut Value) {
        match v {
            Value::Object(map) => {
                if let Some(Value::String(r)) = map.get_mut("$ref") {
                    if r.starts_with('#') {
                        *r = format!("{SPEC_URI}{r}");
                    }
                }
                map.values_mut().for_each(walk);
            }
            Value::Array(items) => items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    walk(&mut schema);
    schema
}

/// Decodes `%XX` escapes of a path segment.
pub fn percent_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| s.to_owned())
}
