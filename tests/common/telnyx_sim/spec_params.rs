//! Path and query parameters of a spec operation: which exist, which are required, and their
//! values checked against their schemas.
//!
//! Query strings carry text only, so values are first read as their schema's type (`"5"` as an
//! integer when the schema says integer, `"true"` as a boolean, `a,b` or repeated keys as an
//! array). A deepObject parameter such as `filter` gathers `filter[country_code]=US` and
//! `filter[phone_number][starts_with]=415` into `{"country_code": "US", "phone_number":
//! {"starts_with": "415"}}` before its schema is applied.
use serde_json::{Map, Value};

use super::spec::{Problems, Spec};

/// Where a parameter lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    Path,
    Query,
    /// Headers and cookies: not checked.
    Other,
}

/// One declared parameter.
#[derive(Debug, Clone)]
pub struct Param {
    pub name: String,
    pub location: Location,
    pub required: bool,
    /// Its schema (by value: inline or a `$ref`), if it has one.
    schema: Option<Value>,
}

/// The parameters declared at `pointer` (an operation or a path item), `$ref`s followed.
pub fn collect(doc: &Value, params: Option<&Value>) -> Vec<Param> {
    let mut out = Vec::new();
    for p in params.and_then(Value::as_array).into_iter().flatten() {
        let p = match p.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix('#')) {
            Some(target) => match doc.pointer(target) {
                Some(t) => t,
                None => continue,
            },
            None => p,
        };
        let Some(name) = p.get("name").and_then(Value::as_str) else { continue };
        let location = match p.get("in").and_then(Value::as_str) {
            Some("path") => Location::Path,
            Some("query") => Location::Query,
            _ => Location::Other,
        };
        let required = p.get("required").and_then(Value::as_bool).unwrap_or(location == Location::Path);
        out.push(Param { name: name.to_owned(), location, required, schema: p.get("schema").cloned() });
    }
    out
}

/// Checks the path parameters and the query of one request.
pub fn check(spec: &Spec, params: &[Param], path: &[(String, String)], query: &[(String, String)]) -> Problems {
    let mut problems = Vec::new();
    for (name, value) in path {
        let declared = params.iter().find(|p| p.location == Location::Path && &p.name == name);
        if let Some(schema) = declared.and_then(|p| p.schema.as_ref()) {
            let typed = coerce(spec, Value::String(value.clone()), schema);
            problems.extend(spec.check_value(schema, &typed, &format!("path parameter {name}")));
        }
    }
    let queries: Vec<&Param> = params.iter().filter(|p| p.location == Location::Query).collect();
    let mut used = vec![false; query.len()];
    for param in &queries {
        let mut value = None;
        for (i, (k, v)) in query.iter().enumerate() {
            if *k == param.name {
                used[i] = true;
                value = Some(append(value, Value::String(v.clone())));
            }
        }
        // A deepObject group (`filter[...]`), unless another parameter declares the exact name.
        let prefix = format!("{}[", param.name);
        for (i, (k, v)) in query.iter().enumerate() {
            let exact_elsewhere = queries.iter().any(|q| q.name == *k);
            if let Some(rest) = k.strip_prefix(&prefix).filter(|_| !exact_elsewhere) {
                used[i] = true;
                let path = bracket_path(&format!("[{rest}"));
                let obj = value.get_or_insert_with(|| Value::Object(Map::new()));
                insert_at(obj, &path, v);
            }
        }
        match (value, &param.schema) {
            (None, _) if param.required => problems.push(format!("query parameter {} is required", param.name)),
            (Some(v), Some(schema)) => {
                let typed = coerce(spec, v, schema);
                problems.extend(spec.check_value(schema, &typed, &format!("query {}", param.name)));
            }
            _ => {}
        }
    }
    for (i, (k, _)) in query.iter().enumerate() {
        if !used[i] {
            problems.push(format!("unknown query parameter {k}"));
        }
    }
    problems
}

/// `[a][b][]` -> `["a", "b", ""]`.
fn bracket_path(s: &str) -> Vec<String> {
    s.split('[').skip(1).map(|p| p.trim_end_matches(']').to_owned()).collect()
}

/// Puts `value` at `path` inside `obj` (an empty last key appends to an array).
fn insert_at(obj: &mut Value, path: &[String], value: &str) {
    let Some((first, rest)) = path.split_first() else { return };
    if first.is_empty() {
        let taken = std::mem::take(obj);
        *obj = append(Some(taken).filter(|v| !v.is_null()), Value::String(value.to_owned()));
        return;
    }
    if !obj.is_object() {
        *obj = Value::Object(Map::new());
    }
    let map = obj.as_object_mut().expect("object");
    if rest.is_empty() {
        let old = map.remove(first);
        map.insert(first.clone(), append(old, Value::String(value.to_owned())));
    } else {
        insert_at(map.entry(first.clone()).or_insert(Value::Null), rest, value);
    }
}

/// A first value, or an array once a key repeats.
fn append(old: Option<Value>, new: Value) -> Value {
    match old {
        None => new,
        Some(Value::Array(mut items)) => {
            items.push(new);
            Value::Array(items)
        }
        Some(other) => Value::Array(vec![other, new]),
    }
}

/// Reads query text as the schema's type, where it parses; anything else is left for the schema
/// check to report.
fn coerce(spec: &Spec, value: Value, schema: &Value) -> Value {
    let schema = spec.resolve(schema);
    let types: Vec<&str> = match schema.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    match value {
        Value::String(s) => {
            for t in &types {
                match *t {
                    "integer" => {
                        if let Ok(n) = s.parse::<i64>() {
                            return Value::from(n);
                        }
                    }
                    "number" => {
                        if let Some(n) = s.parse::<f64>().ok().and_then(serde_json::Number::from_f64) {
                            return Value::Number(n);
                        }
                    }
                    "boolean" if s == "true" || s == "false" => return Value::Bool(s == "true"),
                    "array" => {
                        let items = schema.get("items").cloned().unwrap_or(Value::Null);
                        let parts = s.split(',').map(|p| coerce(spec, Value::String(p.to_owned()), &items));
                        return Value::Array(parts.collect());
                    }
                    _ => {}
                }
            }
            Value::String(s)
        }
        Value::Array(items) => {
            let item_schema = schema.get("items").cloned().unwrap_or(Value::Null);
            Value::Array(items.into_iter().map(|v| coerce(spec, v, &item_schema)).collect())
        }
        Value::Object(map) => {
            let props = schema.get("properties");
            Value::Object(
                map.into_iter()
                    .map(|(k, v)| {
                        let sub = props.and_then(|p| p.get(&k)).cloned().unwrap_or(Value::Null);
                        let typed = coerce(spec, v, &sub);
                        (k, typed)
                    })
                    .collect(),
            )
        }
        other => other,
    }
}
