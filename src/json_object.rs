//! Structs from JSON objects only. serde's derive also builds a struct from a JSON array of its
//! field values in declaration order (`{"destinations": [null, null]}` would pass as
//! `{"destinations": {}}`); the API documents objects, so an array there is refused with a 400.
//! Each helper reads a JSON object first, then the struct from it.
use serde::de::{DeserializeOwned, Error};
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

fn from_map<T: DeserializeOwned, E: Error>(map: Map<String, Value>) -> Result<T, E> {
    T::deserialize(Value::Object(map)).map_err(E::custom)
}

/// `#[serde(deserialize_with = "crate::json_object::object")]` on a struct field.
pub fn object<'de, D: Deserializer<'de>, T: DeserializeOwned>(d: D) -> Result<T, D::Error> {
    from_map(Map::deserialize(d)?)
}

/// The same for an optional struct (`null` is `None`).
pub fn optional_object<'de, D: Deserializer<'de>, T: DeserializeOwned>(d: D) -> Result<Option<T>, D::Error> {
    Option::<Map<String, Value>>::deserialize(d)?.map(from_map).transpose()
}

/// The same for a list of structs.
pub fn objects<'de, D: Deserializer<'de>, T: DeserializeOwned>(d: D) -> Result<Vec<T>, D::Error> {
    Vec::<Map<String, Value>>::deserialize(d)?.into_iter().map(from_map).collect()
}

/// A struct read through [`object`]: the type of a whole request body (see
/// `routes::json_body::JsonBody`).
#[derive(Debug)]
pub struct Object<T>(pub T);

impl<'de, T: DeserializeOwned> Deserialize<'de> for Object<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        object(d).map(Object)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Default, PartialEq, Deserialize)]
    #[serde(default, deny_unknown_fields)]
    struct Pair {
        a: Option<String>,
        b: Option<String>,
    }

    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Outer {
        #[serde(default, deserialize_with = "object")]
        one: Pair,
        #[serde(default, deserialize_with = "optional_object")]
        maybe: Option<Pair>,
        #[serde(default, deserialize_with = "objects")]
        many: Vec<Pair>,
    }

    #[test]
    fn derive_alone_takes_arrays_for_structs() {
        // What this module is for: plain derive accepts both.
        assert_eq!(serde_json::from_str::<Pair>("[null, null]").unwrap(), Pair::default());
        assert_eq!(serde_json::from_str::<Pair>("[]").unwrap(), Pair::default());
    }

    #[test]
    fn objects_pass_and_arrays_are_refused_at_every_level() {
        let ok: Outer = serde_json::from_str(r#"{"one":{"a":"x"},"maybe":null,"many":[{"b":"y"}]}"#).unwrap();
        assert_eq!(ok.one.a.as_deref(), Some("x"));
        assert_eq!(ok.maybe, None);
        assert_eq!(ok.many[0].b.as_deref(), Some("y"));
        for bad in [r#"{"one":[null,null]}"#, r#"{"maybe":[]}"#, r#"{"many":[[null]]}"#] {
            let err = serde_json::from_str::<Outer>(bad).unwrap_err().to_string();
            assert!(err.contains("expected a map"), "{bad}: {err}");
        }
        assert!(serde_json::from_str::<Object<Pair>>("[null, null]").is_err());
        let err = serde_json::from_str::<Object<Pair>>(r#"{"c":1}"#).unwrap_err().to_string();
        assert!(err.contains("unknown field `c`"), "{err}");
    }
}
