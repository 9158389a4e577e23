//! schema/observation.schema.json documents the ingest format: it must accept
//! what the parser accepts and refuse what the parser refuses.

use collectors::synthetic::{Org, SyntheticConfig, SyntheticRun};
use collectors::Day;
use serde_json::{json, Value};

fn schema() -> jsonschema::Validator {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema/observation.schema.json")).unwrap();
    let schema: Value = serde_json::from_str(&text).expect("the schema is JSON");
    jsonschema::validator_for(&schema).expect("the schema is a valid JSON Schema")
}

fn parses(document: &Value) -> bool {
    spot::observations::parse("test", &document.to_string()).is_ok()
}

#[test]
fn the_schemas_own_examples_are_valid_observations() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema/observation.schema.json")).unwrap();
    let schema: Value = serde_json::from_str(&text).unwrap();
    let validator = self::schema();
    for example in schema["examples"].as_array().unwrap() {
        assert!(validator.is_valid(example));
        assert!(parses(example));
    }
}

#[test]
fn every_synthetic_observation_matches_the_schema() {
    let validator = schema();
    let mut org = Org::new(&SyntheticConfig::new(1, 3, Day(19_000)));
    for run in org.observe() {
        if let SyntheticRun::Observed(observation) = run {
            let document = serde_json::to_value(&observation).unwrap();
            let errors: Vec<String> = validator.iter_errors(&document).take(3).map(|e| e.to_string()).collect();
            assert!(errors.is_empty(), "{} {}: {errors:?}", observation.source, observation.scope);
        }
    }
}

#[test]
fn what_the_parser_refuses_the_schema_refuses() {
    let validator = schema();
    let good = json!({"source": "s", "scope": "x", "day": "2024-01-01", "complete": true,
                      "entities": [{"key": "service:a", "kind": "service", "name": "a"}],
                      "relations": [{"from": "service:a", "to": "service:b", "kind": "depends_on"}]});
    assert!(validator.is_valid(&good) && parses(&good));
    type Mutation = Box<dyn Fn(&mut Value)>;
    let mutations: Vec<(&str, Mutation)> = vec![
        (
            "missing day",
            Box::new(|v| {
                v.as_object_mut().unwrap().remove("day");
            }),
        ),
        (
            "unknown field",
            Box::new(|v| {
                v["extra"] = json!(1);
            }),
        ),
        (
            "complete as a string",
            Box::new(|v| {
                v["complete"] = json!("yes");
            }),
        ),
        (
            "a date with no zero padding",
            Box::new(|v| {
                v["day"] = json!("2024-1-1");
            }),
        ),
        (
            "a key without a kind",
            Box::new(|v| {
                v["entities"][0]["key"] = json!("a");
            }),
        ),
        (
            "a key with a space",
            Box::new(|v| {
                v["relations"][0]["to"] = json!("service:b c");
            }),
        ),
        (
            "an empty source",
            Box::new(|v| {
                v["source"] = json!("");
            }),
        ),
        (
            "attrs that are not an object",
            Box::new(|v| {
                v["entities"][0]["attrs"] = json!([1]);
            }),
        ),
        (
            "an entity without a name",
            Box::new(|v| {
                v["entities"][0].as_object_mut().unwrap().remove("name");
            }),
        ),
        (
            "an unknown entity field",
            Box::new(|v| {
                v["entities"][0]["colour"] = json!("red");
            }),
        ),
    ];
    for (what, mutate) in mutations {
        let mut bad = good.clone();
        mutate(&mut bad);
        assert!(!validator.is_valid(&bad), "the schema accepts {what}");
        assert!(!parses(&bad), "the parser accepts {what}");
    }
}
