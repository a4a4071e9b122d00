//! The string formats the admin API checks, as OpenAPI schemas (`#[schema(value_type = E164)]`),
//! so that the document says what the handlers accept: a generated request that fits the schema
//! gets past validation, and one that does not is refused with a 400.
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, SchemaFormat, Type};
use utoipa::openapi::{Ref, RefOr, Schema};

/// Unicode White_Space, which `str::trim` removes (the handlers trim names before checking them).
const WS: &str = r"\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000";
/// `char::is_control`: the Cc category.
const CC: &str = r"\x00-\x1f\x7f-\x9f";

/// The pattern of a name as `check_name` and its siblings accept it: after trimming, 1 to `max`
/// characters, none of them a control character. The length is in the pattern (not `maxLength`)
/// because it counts after trimming.
fn printable_pattern(max: usize) -> String {
    let inner = max.saturating_sub(2);
    format!("^[{WS}]*[^{WS}{CC}]([^{CC}]{{0,{inner}}}[^{WS}{CC}])?[{WS}]*$")
}

fn printable(max: usize, description: &str, example: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(format!("{description}: 1 to {max} characters after trimming, no control characters")))
        .pattern(Some(printable_pattern(max)))
        .examples([serde_json::Value::from(example)])
        .into()
}

macro_rules! format_schema {
    ($(#[$doc:meta])* $name:ident => $schema:expr) => {
        $(#[$doc])*
        pub struct $name;
        impl utoipa::PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                $schema
            }
        }
        impl utoipa::ToSchema for $name {}
    };
}

format_schema!(
    /// `+` and 8 to 15 digits, the first not 0 (`PhoneNumber::parse`; it also drops spaces, dashes,
    /// dots and parentheses, which the document leaves out).
    E164 => ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some("E.164 phone number"))
        .pattern(Some(r"^\+[1-9][0-9]{7,14}$"))
        .examples([serde_json::Value::from("+18314280176")])
        .into()
);
format_schema!(
    /// The area code numbers are bought in: NANP `NXX`, or blank for any.
    AreaCode => ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some("NANP area code (3 digits, the first 2-9); blank for any"))
        .pattern(Some(format!("^[{WS}]*([2-9][0-9]{{2}})?[{WS}]*$")))
        .examples([serde_json::Value::from("415")])
        .into()
);
format_schema!(
    /// A non-empty list of features (a number needs at least one).
    FeatureList => ArrayBuilder::new()
        .items(Ref::from_schema_name("Feature"))
        .min_items(Some(1))
        .examples([serde_json::json!(["sms", "voice"])])
        .into()
);
format_schema!(
    /// An absolute URL (`url::Url::parse`).
    AbsoluteUrl => ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::Custom("uri".into())))
        .examples([serde_json::Value::from("https://media.example.com/a.png")])
        .into()
);
format_schema!(
    /// A department or location name (`routing::rules::check_name`).
    RuleName => printable(100, "Department or location name", "Sales")
);
format_schema!(
    /// A company name.
    CompanyName => printable(200, "Company name", "Stratos Demo")
);
format_schema!(
    /// What a company token is for.
    TokenName => printable(100, "Token name", "crm backend")
);
format_schema!(
    /// Telnyx's id of a phone number.
    TelnyxId => printable(100, "Telnyx phone number id", "1293384261075731499")
);
format_schema!(
    /// The sender of a hypothetical event: E.164, a short code or a SIP URI.
    Sender => printable(256, "Sender", "+14155550100")
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routing::rules::check_name;

    #[test]
    fn the_name_pattern_matches_what_check_name_accepts() {
        let re = regex_lite::Regex::new(&printable_pattern(100)).expect("pattern compiles");
        let long = format!("\u{85}{}\u{85}", "x".repeat(100));
        for s in ["Sales", " Sales ", "\tNew York\n", "a", "Ünïcödé", "x y", "\u{3000}z\u{3000}", &long] {
            assert!(re.is_match(s), "{s:?}");
            assert!(check_name(s.to_owned()).is_ok(), "{s:?}");
        }
        let too_long = "x".repeat(101);
        for s in ["", " ", "\t\n", "a\u{7}b", "\u{85}", "a\u{9f}", &too_long] {
            assert!(!re.is_match(s), "{s:?}");
            assert!(check_name(s.to_owned()).is_err(), "{s:?}");
        }
    }
}
