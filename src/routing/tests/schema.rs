//! The rule types produce OpenAPI schemas the admin API can publish.
use utoipa::OpenApi;

use super::*;

#[derive(OpenApi)]
#[openapi(components(schemas(
    RoutingDecision,
    InboundEvent,
    Department,
    DepartmentSpec,
    Location,
    LocationSpec,
    SenderChoice,
    UnroutedPolicy,
    OptOutAction
)))]
struct RoutingDoc;

#[test]
fn schemas_describe_the_json_shapes() {
    let doc = serde_json::to_value(RoutingDoc::openapi()).unwrap();
    let schemas = &doc["components"]["schemas"];
    for name in
        ["RoutingDecision", "Destination", "MatchedRule", "RuleAttempt", "BusinessHours", "CallChain", "ChainStep"]
    {
        assert!(schemas.get(name).is_some(), "missing schema {name}: {schemas:#}");
    }
    // A call destination is one target (a string), a list of steps, or the whole chain.
    let forms = schemas["CallChain"]["oneOf"].as_array().expect("oneOf");
    assert_eq!(forms.len(), 3, "{forms:#?}");
    assert_eq!(forms[0]["type"], "string");
    assert_eq!(forms[1]["type"], "array");
    assert_eq!(schemas["ChainStep"]["properties"]["timeout_secs"]["maximum"], 600);
    // A message destination is one URL (a string), or a URL and its alternates.
    let forms = schemas["MessageRoute"]["oneOf"].as_array().expect("oneOf");
    assert_eq!(forms.len(), 2, "{forms:#?}");
    assert_eq!(forms[0]["type"], "string");
    assert_eq!(schemas["MessageRouteObject"]["properties"]["alternates"]["maxItems"], 10);
    assert_eq!(schemas["ClockTime"]["type"], "string");
    assert_eq!(schemas["BusinessHours"]["properties"]["time_zone"]["type"], "string");
    assert_eq!(schemas["RoutingDecision"]["properties"]["effective_number"]["type"], "string");
}
