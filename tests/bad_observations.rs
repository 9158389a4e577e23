//! What `spot ingest` (and the `ingest` mutation) says about observation
//! files that are wrong: where the problem is, what is wrong, and nothing
//! an attacker who wrote the file can use to flood or forge the output.

use serde_json::{json, Value};
use spot::observations::parse;

/// Errors longer than this flood a terminal and a log (twenty problems of
/// a few hundred characters each fit).
const LONGEST_ERROR: usize = 8_192;

fn good() -> Value {
    json!({"source": "pagerduty", "scope": "acme", "day": "2024-03-03", "complete": true,
           "entities": [{"key": "service:billing", "kind": "service", "name": "billing",
                         "attrs": {"team": {"owner": "alice"}}}],
           "relations": [{"from": "team:payments", "to": "service:billing", "kind": "owns"}]})
}

fn error_of(text: &str) -> String {
    match parse("obs.json", text) {
        Ok(_) => panic!("accepted: {}", &text[..text.len().min(300)]),
        Err(e) => e.to_string(),
    }
}

fn assert_safe_to_print(error: &str) {
    assert!(error.len() <= LONGEST_ERROR, "{} bytes: {}…", error.len(), error.chars().take(300).collect::<String>());
    assert!(!error.chars().any(char::is_control), "a raw control character in: {error:?}");
}

// A. Errors that echo input.

#[test]
fn errors_that_echo_input_are_bounded_and_on_one_line() {
    let ten_megabytes = "x".repeat(10 << 20);
    let forged = "billing\nerror: {\"level\":\"ERROR\",\"message\":\"forged\"}\r\u{1b}[2K";
    let cases: Vec<(&str, Value)> = vec![
        ("a huge key", json!({"entities": [{"key": &ten_megabytes, "kind": "service", "name": "x"}]})),
        ("a key with a newline", json!({"entities": [{"key": forged, "kind": "service", "name": "x"}]})),
        ("a huge kind", json!({"relations": [{"from": "a:b", "to": "a:c", "kind": &ten_megabytes}]})),
        ("a source with escapes", json!({"source": forged})),
        ("a huge day", json!({"day": &ten_megabytes})),
        ("a day with a newline", json!({"day": forged})),
        ("a huge string where a boolean goes", json!({"complete": &ten_megabytes})),
        (
            "an unknown field named with a newline",
            Value::Object([(forged.to_string(), json!(1))].into_iter().collect()),
        ),
        ("a huge unknown field", Value::Object([(ten_megabytes.clone(), json!(1))].into_iter().collect())),
    ];
    for (what, change) in cases {
        let mut observation = good();
        for (field, value) in change.as_object().unwrap() {
            match (field.as_str(), value) {
                ("entities" | "relations", Value::Array(items)) => {
                    observation[field][0].as_object_mut().unwrap().extend(items[0].as_object().unwrap().clone())
                }
                _ => observation[field] = value.clone(),
            }
        }
        let error = error_of(&observation.to_string());
        assert_safe_to_print(&error);
        assert!(error.starts_with("obs.json: "), "{what}: {error}");
    }
}

#[test]
fn errors_that_echo_input_show_its_start_and_its_length() {
    let mut observation = good();
    observation["entities"][0]["key"] = json!(format!("service:{}", "a".repeat(1 << 20)));
    let error = error_of(&observation.to_string());
    assert!(error.starts_with("obs.json: entities[0].key: 'service:aaaa"), "{error}");
    assert!(error.contains("…' (1048584 bytes) is not an entity key"), "{error}");
}

#[test]
fn errors_that_echo_input_escape_newlines_instead_of_starting_a_line() {
    let mut observation = good();
    observation["entities"][0]["key"] = json!("service:x\nerror: forged");
    assert_eq!(
        error_of(&observation.to_string()),
        "obs.json: entities[0].key: 'service:x\\nerror: forged' is not an entity key: \
         expected kind:name without spaces, e.g. service:billing"
    );
}

#[test]
fn errors_that_echo_input_list_at_most_twenty_problems() {
    let mut observation = good();
    observation["entities"] =
        (0..1000).map(|i| json!({"key": format!("bad key {i}"), "kind": "x", "name": "x"})).collect();
    let error = error_of(&observation.to_string());
    assert_safe_to_print(&error);
    assert!(error.ends_with("; and 980 more problems"), "{}", &error[error.len() - 100..]);
}

// C. Observation files: duplicate keys, big integers, type errors, shapes.

#[test]
fn observation_files_refuse_a_duplicate_key_in_attrs_at_any_depth() {
    let text = r#"{"source": "pagerduty", "scope": "acme", "day": "2024-03-03", "complete": true,
        "entities": [{"key": "service:billing", "kind": "service", "name": "billing",
                      "attrs": {"team": {"owner": "alice", "owner": "mallory"}}}]}"#;
    assert_eq!(error_of(text), "obs.json: entities[0].attrs.team: the key 'owner' appears twice");
    let top = r#"{"source": "a", "source": "b", "scope": "acme", "day": "2024-03-03", "complete": true}"#;
    assert_eq!(error_of(top), "obs.json: the key 'source' appears twice");
}

#[test]
fn observation_files_refuse_an_integer_beyond_64_bits_instead_of_rounding_it() {
    let mut observation = good().to_string();
    observation = observation.replace(r#""owner":"alice""#, r#""owner":"alice","id":123456789012345678901234567890"#);
    assert_eq!(
        error_of(&observation),
        "obs.json: entities[0].attrs.team.id: the integer '123456789012345678901234567890' does not fit in 64 bits \
         and would be rounded; write it as a string to keep every digit"
    );
    let fits = good().to_string().replace(
        r#""owner":"alice""#,
        r#""owner":"alice","max":18446744073709551615,"min":-9223372036854775808,"float":1e300"#,
    );
    let observation = parse("obs.json", &fits).unwrap();
    assert_eq!(observation.entities[0].attrs["team"]["max"], json!(u64::MAX));
}

#[test]
fn observation_files_name_the_field_path_of_a_type_error() {
    let mut observation = good();
    observation["entities"][0]["attrs"] = json!([1, 2]);
    let error = error_of(&serde_json::to_string_pretty(&observation).unwrap());
    assert!(error.starts_with("obs.json: line "), "{error}");
    assert!(error.contains(": entities[0].attrs: invalid type: sequence, expected a map"), "{error}");
    let mut observation = good();
    observation["relations"][0]["kind"] = json!(7);
    let error = error_of(&observation.to_string());
    assert!(error.contains(": relations[0].kind: invalid type: integer `7`, expected a string"), "{error}");
}

#[test]
fn observation_files_with_a_bom_or_an_array_get_clear_messages() {
    let with_bom = format!("\u{feff}{}", good());
    assert_eq!(error_of(&with_bom), "obs.json: starts with a byte order mark (BOM): save it as UTF-8 without one");
    let several = format!("[{}]", good());
    assert_eq!(
        error_of(&several),
        "obs.json: an observation is one JSON object; this one is an array \
         (to ingest several observations, give each its own file)"
    );
    assert!(error_of("[]").ends_with("this one is an array (to ingest several observations, give each its own file)"));
    assert_eq!(error_of(""), "obs.json: is empty: an observation is one JSON object");
    assert_eq!(error_of("\"x\""), "obs.json: an observation is one JSON object; this one is a string");
}
