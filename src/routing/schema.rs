//! OpenAPI schemas for the rule types that travel as plain strings.
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::RefOr;

/// A `type: string` schema with a description and one example.
pub(crate) fn string_schema_object(description: &str, example: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
        .examples([serde_json::Value::from(example)])
        .into()
}

/// Implements `utoipa::ToSchema` for a type serialized as a string.
macro_rules! string_schema {
    ($ty:ty, $description:expr, $example:expr) => {
        impl utoipa::PartialSchema for $ty {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                $crate::routing::schema::string_schema_object($description, $example)
            }
        }
        impl utoipa::ToSchema for $ty {}
    };
}
pub(crate) use string_schema;
