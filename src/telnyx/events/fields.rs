//! Serde helpers for payload fields, by how much a field matters:
//!
//! - used fields (the daemon acts on them): the wrong JSON type is an error; strings borrow from
//!   the body ([`borrowed_opt`], [`kept_items`] for lists of parties);
//! - fields kept for later (`lenient*`): absent, `null` or of an unexpected shape, they read as
//!   `None` / empty and never fail the event. Their value is first skipped as raw JSON (iteratively,
//!   numbers unconverted, so any size or depth is harmless), then read from that text.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

/// A string that borrows from the body when it has no escapes.
#[derive(Deserialize)]
struct Text<'a>(#[serde(borrow)] Cow<'a, str>);

/// `Option<Cow<str>>` that borrows from the input when the string has no escapes (serde's
/// `borrow` does not reach through `Option` on its own).
pub(super) fn borrowed_opt<'de: 'a, 'a, D>(d: D) -> Result<Option<Cow<'a, str>>, D::Error>
where
    D: Deserializer<'de>,
{
    Ok(Option::<Text<'a>>::deserialize(d)?.map(|t| t.0))
}

/// A value kept for later: `None` when absent (with `#[serde(default)]`), `null` or not a `T`.
pub(super) fn lenient<'de: 'a, 'a, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'a>,
{
    let raw = Option::<&'a RawValue>::deserialize(d)?;
    Ok(raw.and_then(|r| serde_json::from_str(r.get()).ok()))
}

/// A string kept for later (see [`lenient`]); borrows like [`borrowed_opt`].
pub(super) fn lenient_text<'de: 'a, 'a, D>(d: D) -> Result<Option<Cow<'a, str>>, D::Error>
where
    D: Deserializer<'de>,
{
    Ok(lenient::<D, Text<'a>>(d)?.map(|t| t.0))
}

/// An object kept for later (see [`lenient`]); anything but a JSON object (serde would read an
/// array by position) is `None`.
pub(super) fn lenient_object<'de: 'a, 'a, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'a>,
{
    Ok(Option::<&'a RawValue>::deserialize(d)?.and_then(object))
}

/// A list of objects kept for later: empty when absent, `null` or not an array; items that are
/// not a `T` object are left out.
pub(super) fn lenient_objects<'de: 'a, 'a, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'a>,
{
    let items: Vec<&'a RawValue> = lenient(d)?.unwrap_or_default();
    Ok(items.into_iter().filter_map(object).collect())
}

/// `raw` read as a `T` when it is a JSON object.
pub(super) fn object<'a, T: Deserialize<'a>>(raw: &'a RawValue) -> Option<T> {
    let text = raw.get();
    if text.starts_with('{') {
        serde_json::from_str(text).ok()
    } else {
        None
    }
}

/// A used list (an array, or `null` for empty) of `T`, keeping the items that convert to `Some`:
/// e.g. recipients without a `phone_number` are left out instead of failing the event.
pub(super) fn kept_items<'de, D, T, U>(d: D) -> Result<Vec<U>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Into<Option<U>>,
{
    struct Items<T, U>(PhantomData<(T, U)>);
    impl<'de, T, U> Visitor<'de> for Items<T, U>
    where
        T: Deserialize<'de> + Into<Option<U>>,
    {
        type Value = Vec<U>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an array or null")
        }
        fn visit_unit<E: de::Error>(self) -> Result<Vec<U>, E> {
            Ok(Vec::new())
        }
        fn visit_none<E: de::Error>(self) -> Result<Vec<U>, E> {
            Ok(Vec::new())
        }
        fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Vec<U>, D2::Error> {
            d.deserialize_seq(self)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<U>, A::Error> {
            let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(1).min(16));
            while let Some(item) = seq.next_element::<T>()? {
                out.extend(item.into());
            }
            Ok(out)
        }
    }
    d.deserialize_option(Items::<T, U>(PhantomData))
}

/// An error `code`: the spec says a numeric string; a bare number is accepted too.
pub(super) fn lenient_code<'de: 'a, 'a, D>(d: D) -> Result<Option<Cow<'a, str>>, D::Error>
where
    D: Deserializer<'de>,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Code<'a> {
        Text(#[serde(borrow)] Cow<'a, str>),
        Number(i64),
    }
    Ok(lenient::<D, Code<'a>>(d)?.map(|c| match c {
        Code::Text(t) => t,
        Code::Number(n) => Cow::Owned(n.to_string()),
    }))
}
