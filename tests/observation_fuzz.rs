//! A fuzz test of the observation parser, run with every `cargo test` for a
//! bounded number of cases (4,000 per property, about five seconds in a debug
//! build; `PROPTEST_CASES=100000 cargo test --test observation_fuzz` for a
//! longer run). Inputs are valid observations mutated with their structure
//! in mind (a value of another type, a key twice, an integer beyond 64
//! bits, deep nesting, a BOM, cut text) and plain random bytes.
//!
//! For any input, `observations::parse` must return, never panic; and an
//! error must be short enough to print and hold no raw control character
//! (the file's author must not be able to flood or forge a log line).
//!
//! Mutated observations that are still JSON are also ingested (300 cases)
//! the way a client over WebSocket would: an `ingest` mutation on a real socket to
//! a real server on loopback, whose answer must be bounded and coded too.

#[path = "support/fuzz_server.rs"]
#[allow(dead_code)]
mod fuzz_server;
#[path = "support/socket.rs"]
#[allow(dead_code)]
mod socket;

use std::time::Duration;

use fuzz_server::{FuzzServer, Said};
use proptest::prelude::*;
use proptest::test_runner::Config;
use serde_json::{json, Map, Value};

/// Twenty problems of a few hundred characters each fit.
const LONGEST_ERROR: usize = 8_192;

fn config() -> Config {
    let mut config = Config::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        config.cases = 4_000;
    }
    config
}

/// Parses `text`; panics (failing the property) on an unsafe error.
fn parse_safely(text: &str) {
    if let Err(e) = spot::observations::parse("fuzz.json", text) {
        assert_printable(&e.to_string());
    }
}

/// Ingests `text`, when it is JSON, over a WebSocket; panics on an
/// unsafe answer.
fn ingest_over_a_socket_safely(text: &str) {
    static SERVER: std::sync::OnceLock<FuzzServer> = std::sync::OnceLock::new();
    let Ok(observation) = serde_json::from_str::<Value>(text) else { return };
    let server = SERVER.get_or_init(|| FuzzServer::start(|_, _| {}));
    let mutation = "mutation($o: JSON!) { ingest(observation: $o) { day } }";
    match server.over_socket(mutation, &json!({ "o": observation }), Duration::from_secs(10)) {
        Said::Errors(errors) => {
            for error in errors {
                assert_printable(error["message"].as_str().unwrap_or_default());
                assert!(error["extensions"]["code"].is_string(), "no extensions.code on {error}");
            }
        }
        // Nested past serde_json's limit of 128 once inside the message: a
        // message no server can read (over HTTP, a 400).
        Said::Closed(4400, reason) if reason.starts_with("not a protocol message: recursion limit exceeded") => {}
        Said::Closed(code, reason) => panic!("the socket was closed ({code} {reason}) for a well-formed message"),
    }
}

fn assert_printable(error: &str) {
    assert!(error.len() <= LONGEST_ERROR, "an error of {} bytes: {}…", error.len(), &error[..200]);
    assert!(!error.chars().any(char::is_control), "a raw control character in {error:?}");
}

/// Strings a file's author might write: plain names, any Unicode (control
/// characters, ANSI escapes, bidirectional overrides), and huge ones.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-z][a-z0-9_-]{0,12}",
        2 => any::<String>(),
        1 => prop::sample::select(vec!["\n", "\r\n", "\u{1b}[2J", "\u{202e}", "\u{feff}", "\"", "'", "\\", " "])
            .prop_map(|s| format!("x{s}y")),
        1 => (8_300usize..20_000).prop_map(|n| "a".repeat(n)),
    ]
}

/// Any JSON value, a few levels deep.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        text().prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
            prop::collection::btree_map(text(), inner, 0..6).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn entity() -> impl Strategy<Value = Value> {
    ("[a-z]{1,8}", "[a-z0-9-]{1,12}", any_json()).prop_map(|(kind, name, attrs)| {
        let attrs = if attrs.is_object() { attrs } else { json!({ "value": attrs }) };
        json!({"key": format!("{kind}:{name}"), "kind": kind, "name": name, "attrs": attrs})
    })
}

fn relation() -> impl Strategy<Value = Value> {
    ("[a-z]{1,8}:[a-z0-9]{1,8}", "[a-z]{1,8}:[a-z0-9]{1,8}", "[a-z_]{1,10}")
        .prop_map(|(from, to, kind)| json!({"from": from, "to": to, "kind": kind}))
}

/// A valid observation.
fn observation() -> impl Strategy<Value = Value> {
    (
        "[a-z][a-z0-9-]{0,10}",
        "[a-z][a-z0-9-]{0,10}",
        (1970i32..2100, 1u32..=12, 1u32..=28),
        any::<bool>(),
        prop::collection::vec(entity(), 0..4),
        prop::collection::vec(relation(), 0..3),
    )
        .prop_map(|(source, scope, (y, m, d), complete, entities, relations)| {
            json!({"source": source, "scope": scope, "day": format!("{y:04}-{m:02}-{d:02}"),
                   "complete": complete, "entities": entities, "relations": relations})
        })
}

/// Every place in a value, as a list of steps from the top.
fn places(value: &Value) -> Vec<Vec<Step>> {
    let mut found = vec![Vec::new()];
    let mut i = 0;
    while i < found.len() {
        let path = found[i].clone();
        match at(value, &path) {
            Some(Value::Object(map)) => found.extend(map.keys().map(|k| extend(&path, Step::Key(k.clone())))),
            Some(Value::Array(items)) => found.extend((0..items.len()).map(|n| extend(&path, Step::Index(n)))),
            _ => {}
        }
        i += 1;
    }
    found
}

#[derive(Debug, Clone)]
enum Step {
    Key(String),
    Index(usize),
}

fn extend(path: &[Step], step: Step) -> Vec<Step> {
    let mut longer = path.to_vec();
    longer.push(step);
    longer
}

fn at<'a>(value: &'a Value, path: &[Step]) -> Option<&'a Value> {
    path.iter().try_fold(value, |v, step| match step {
        Step::Key(k) => v.get(k),
        Step::Index(n) => v.get(n),
    })
}

fn at_mut<'a>(value: &'a mut Value, path: &[Step]) -> Option<&'a mut Value> {
    path.iter().try_fold(value, |v, step| match step {
        Step::Key(k) => v.get_mut(k),
        Step::Index(n) => v.get_mut(n),
    })
}

/// Ways to break a valid observation, each with a place and a value to use.
#[derive(Debug, Clone)]
enum Mutation {
    /// The value at a place becomes another (of any type).
    Replace(Value),
    /// A key of an object is taken out.
    Remove,
    /// An object gets a key it should not have.
    Add(String, Value),
    /// An object has its first key written twice.
    DuplicateKey,
    /// A number becomes an integer too big for 64 bits.
    HugeInteger(String),
    /// A value becomes hundreds of nested arrays.
    DeepNesting(usize),
    /// The whole observation inside an array.
    WrapInArray,
    /// A byte order mark before it.
    Bom,
    /// The text cut at a fraction of its length.
    Cut(f64),
    /// Characters inserted at a fraction of its length.
    Insert(f64, String),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        3 => any_json().prop_map(Mutation::Replace),
        2 => Just(Mutation::Remove),
        2 => (text(), any_json()).prop_map(|(k, v)| Mutation::Add(k, v)),
        2 => Just(Mutation::DuplicateKey),
        2 => "[1-9][0-9]{19,60}".prop_map(Mutation::HugeInteger),
        1 => (100usize..400).prop_map(Mutation::DeepNesting),
        1 => Just(Mutation::WrapInArray),
        1 => Just(Mutation::Bom),
        2 => (0.0..1.0f64).prop_map(Mutation::Cut),
        3 => (0.0..1.0f64, prop_oneof![any::<String>(), "[{}\\[\\]:,\"\\\\ \n]{1,5}"])
            .prop_map(|(at, s)| Mutation::Insert(at, s)),
    ]
}

/// Marks a place whose JSON text is put in after serialising.
const MARK: &str = "\u{0}fuzz-mark\u{0}";

/// `mutation` applied at the `choice`-th place (counted round).
fn apply(mut observation: Value, mutation: &Mutation, choice: usize) -> String {
    let all = places(&observation);
    let place = all[choice % all.len()].clone();
    let mut spliced = None;
    match mutation {
        Mutation::Replace(value) => *at_mut(&mut observation, &place).unwrap() = value.clone(),
        Mutation::Remove => remove(&mut observation, &place),
        Mutation::Add(key, value) => {
            if let Some(Value::Object(map)) = at_mut(&mut observation, &place) {
                map.insert(key.clone(), value.clone());
            }
        }
        Mutation::DuplicateKey => {
            if let Some(Value::Object(map)) = at_mut(&mut observation, &place) {
                if let Some((key, value)) = map.iter().next().map(|(k, v)| (k.clone(), v.clone())) {
                    let entry = format!("{}:{},", Value::from(key), value);
                    *map = Map::from_iter([(MARK.to_string(), Value::Null)].into_iter().chain(map.clone()));
                    spliced = Some((format!("{}:null,", Value::from(MARK)), entry));
                }
            }
        }
        Mutation::HugeInteger(digits) => splice(&mut observation, &place, digits, &mut spliced),
        Mutation::DeepNesting(depth) => {
            splice(&mut observation, &place, &format!("{}{}", "[".repeat(*depth), "]".repeat(*depth)), &mut spliced)
        }
        Mutation::WrapInArray => observation = json!([observation]),
        Mutation::Bom | Mutation::Cut(_) | Mutation::Insert(..) => {}
    }
    let mut text = observation.to_string();
    if let Some((mark, replacement)) = spliced {
        text = text.replacen(&mark, &replacement, 1);
    }
    match mutation {
        Mutation::Bom => format!("\u{feff}{text}"),
        Mutation::Cut(fraction) => text[..boundary(&text, *fraction)].to_string(),
        Mutation::Insert(fraction, inserted) => {
            let at = boundary(&text, *fraction);
            format!("{}{inserted}{}", &text[..at], &text[at..])
        }
        _ => text,
    }
}

fn remove(observation: &mut Value, place: &[Step]) {
    let Some((last, parent)) = place.split_last() else { return };
    match (at_mut(observation, parent), last) {
        (Some(Value::Object(map)), Step::Key(key)) => {
            map.remove(key);
        }
        (Some(Value::Array(items)), Step::Index(n)) => {
            items.remove(*n);
        }
        _ => {}
    }
}

/// Puts raw JSON text at a place (serde_json would not write it as is).
fn splice(observation: &mut Value, place: &[Step], raw: &str, spliced: &mut Option<(String, String)>) {
    *at_mut(observation, place).unwrap() = Value::from(MARK);
    *spliced = Some((Value::from(MARK).to_string(), raw.to_string()));
}

fn boundary(text: &str, fraction: f64) -> usize {
    let mut at = ((text.len() as f64) * fraction) as usize;
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn valid_observations_parse(observation in observation()) {
        let text = observation.to_string();
        let parsed = spot::observations::parse("fuzz.json", &text);
        prop_assert!(parsed.is_ok(), "{:?}", parsed.err().map(|e| e.to_string()));
    }

    #[test]
    fn mutated_observations_never_panic_and_errors_are_printable(
        observation in observation(),
        mutation in mutation(),
        choice in any::<usize>(),
    ) {
        parse_safely(&apply(observation, &mutation, choice));
    }

    #[test]
    fn random_bytes_never_panic_and_errors_are_printable(bytes in prop::collection::vec(any::<u8>(), 0..2_000)) {
        parse_safely(&String::from_utf8_lossy(&bytes));
    }
}

proptest! {
    // Each case is a round trip and, when valid, a write: fewer cases.
    #![proptest_config(socket_config())]

    #[test]
    fn mutated_observations_ingested_over_a_socket_are_answered_cleanly(
        observation in observation(),
        mutation in mutation(),
        choice in any::<usize>(),
    ) {
        ingest_over_a_socket_safely(&apply(observation, &mutation, choice));
    }
}

fn socket_config() -> Config {
    let mut config = Config::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        config.cases = 300;
    }
    config
}

/// Found by `mutated_observations_never_panic_and_errors_are_printable`: a
/// problem under a long key named the key whole in its path.
#[test]
fn reproducer_a_problem_under_a_long_key_names_the_key_cut() {
    let text = format!(
        r#"{{"source": "a", "scope": "a", "day": "1970-01-01", "complete": false, "entities": [{{"key": "a:a",
            "kind": "a", "name": "a", "attrs": {{"value": [null, {{"{}": 100000000000000000000}}]}}}}]}}"#,
        "a".repeat(11_000)
    );
    let error = spot::observations::parse("fuzz.json", &text).unwrap_err().to_string();
    assert_printable(&error);
    assert!(error.starts_with("fuzz.json: entities[0].attrs.value[1]['aaaa"), "{error}");
    assert!(error.contains("…' (11000 bytes)]: the integer '100000000000000000000' does not fit"), "{error}");
}

/// The same, with a problem under a hundred levels of long keys.
#[test]
fn reproducer_a_problem_deep_under_long_keys_is_cut() {
    let key = "k".repeat(40);
    let text = format!(
        r#"{{"source": "a", "scope": "a", "day": "1970-01-01", "complete": false, "entities": [{{"key": "a:a",
            "kind": "a", "name": "a", "attrs": {}{}}}]}}"#,
        format!("{{\"{key}\": ").repeat(100) + "{\"x\": 1, \"x\": 2}",
        "}".repeat(100)
    );
    let error = spot::observations::parse("fuzz.json", &text).unwrap_err().to_string();
    assert_printable(&error);
    assert!(error.len() < 1_000, "{} bytes: {error}", error.len());
    assert!(error.ends_with(".kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk: the key 'x' appears twice"), "{error}");
}

#[test]
fn the_mutations_do_break_observations() {
    // Each mutation must reach the parser's error paths, or the properties
    // above would test only the happy one.
    let valid = json!({"source": "s", "scope": "x", "day": "2024-01-01", "complete": true,
                       "entities": [{"key": "service:a", "kind": "service", "name": "a", "attrs": {"n": 1}}]});
    let attrs = places(&valid).iter().position(|p| matches!(p.last(), Some(Step::Key(k)) if k == "attrs")).unwrap();
    let n = places(&valid).iter().position(|p| matches!(p.last(), Some(Step::Key(k)) if k == "n")).unwrap();
    let broken = [
        (Mutation::DuplicateKey, attrs, "the key 'n' appears twice"),
        (Mutation::HugeInteger("123456789012345678901234567890".into()), n, "does not fit in 64 bits"),
        (Mutation::DeepNesting(300), n, "nested"),
        (Mutation::WrapInArray, 0, "this one is an array"),
        (Mutation::Bom, 0, "byte order mark"),
        (Mutation::Cut(0.5), 0, "EOF while parsing"),
    ];
    for (mutation, place, expected) in broken {
        let text = apply(valid.clone(), &mutation, place);
        let error = spot::observations::parse("fuzz.json", &text).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(error.contains(expected), "{mutation:?} on {text}: {error}");
    }
}
