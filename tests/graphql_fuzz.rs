//! A fuzz test of the GraphQL edge, run with every `cargo test` for a
//! bounded number of cases (300 per property, about 30 s in a debug
//! build; `PROPTEST_CASES=20000 cargo test --test graphql_fuzz` for a
//! longer run). Documents are built from the schema's own fields with
//! hostile shapes in mind (fragments that spread each other, deep nesting,
//! repeated aliases, wrong arguments, huge strings, cut text), plus random
//! text and bytes, and run both ways the server runs them: through its
//! edge as `POST /graphql` does (`server::edge::Edge`: parse, expansion
//! bound, deadline, over a real SQLite store), and as `subscribe` messages
//! on a real WebSocket to a real server on loopback. Random text is also
//! sent as a WebSocket protocol message of its own.
//!
//! For any document: no panic, an answer within a bounded time, and every
//! error short, on one line and carrying `extensions.code`; for any
//! protocol message, a close with a short reason or an answer.

#[path = "conformance/builder.rs"]
#[allow(dead_code)]
mod builder;
#[path = "support/fuzz_server.rs"]
mod fuzz_server;
#[path = "support/socket.rs"]
#[allow(dead_code)]
mod socket;

use std::sync::Arc;
use std::time::{Duration, Instant};

use builder::obs;
use fuzz_server::{FuzzServer, Said};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::Config;
use serde_json::{json, Value};
use spot::api::{self, Grants, Limits};
use spot::server::edge::Edge;
use spot::SqliteStore;

const LONGEST_ERROR: usize = 1_024;
/// Far above what any of these documents needs: a document that takes
/// longer is doing unbounded work.
const SLOWEST: Duration = Duration::from_secs(5);
/// `server.body_limit_bytes` by default: a larger message closes a socket.
const BODY_LIMIT: usize = 1 << 20;

fn config() -> Config {
    let mut config = Config::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        config.cases = 300;
    }
    config
}

struct Fuzzed {
    server: FuzzServer,
    /// The server's edge, in process, over the same store.
    edge: Edge,
}

fn fuzzed() -> &'static Fuzzed {
    static FUZZED: std::sync::OnceLock<Fuzzed> = std::sync::OnceLock::new();
    FUZZED.get_or_init(|| {
        let server = FuzzServer::start(|store, runtime| {
            runtime.block_on(
                obs("github", "acme", 1)
                    .entity("team:payments", json!({}))
                    .entity("service:billing", json!({"tier": 1}))
                    .relation("team:payments", "owns", "service:billing", json!({}))
                    .into(store),
            );
        });
        let limits = Limits::default();
        let store = SqliteStore::open(&server.db).unwrap();
        let edge = Edge::new(api::schema(Arc::new(store), limits.clone()), limits, SLOWEST * 2, None);
        Fuzzed { server, edge }
    })
}

/// Runs `query` both ways the server does and checks what comes back.
fn answer_safely(query: String, variables: Value) {
    let fuzzed = fuzzed();
    let started = Instant::now();
    let (_, response) = fuzzed.server.runtime.block_on(async {
        let request = async_graphql::Request::new(query.clone())
            .variables(async_graphql::Variables::from_json(variables.clone()));
        let deadline = tokio::time::Instant::now() + SLOWEST * 2;
        fuzzed.edge.execute(request, Grants::all("fuzz"), deadline).await
    });
    assert!(started.elapsed() < SLOWEST, "answered after {:?}", started.elapsed());
    let errors = serde_json::to_value(&response.errors).unwrap();
    for error in errors.as_array().unwrap() {
        assert_safe(error);
    }
    // A message over the limit closes a socket as `POST /graphql` refuses
    // such a body (tests/websocket.rs); sending it here would only time
    // the client's masking of a megabyte.
    if query.len() + variables.to_string().len() > BODY_LIMIT - 200 {
        return;
    }
    match fuzzed.server.over_socket(&query, &variables, SLOWEST) {
        Said::Errors(errors) => errors.iter().for_each(assert_safe),
        Said::Closed(code, reason) => panic!("the socket was closed ({code} {reason}) for a well-formed message"),
    }
}

/// An error as a client reads it: short, on one line, coded.
fn assert_safe(error: &Value) {
    let message = error["message"].as_str().unwrap_or_else(|| panic!("an error without a message: {error}"));
    assert!(message.len() <= LONGEST_ERROR, "an error of {} bytes", message.len());
    assert!(!message.chars().any(char::is_control), "a raw control character in {message:?}");
    assert!(error["extensions"]["code"].is_string(), "no extensions.code on {error}");
}

/// Names from the schema, and a few that are not in it.
fn name() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "latestDay",
        "service",
        "entity",
        "search",
        "key",
        "name",
        "kind",
        "owner",
        "relations",
        "facts",
        "toEntity",
        "dependencies",
        "traverse",
        "changes",
        "edges",
        "node",
        "attribute",
        "nope",
        "__typename",
    ])
    .prop_map(str::to_string)
}

fn argument() -> impl Strategy<Value = String> {
    let value = prop_oneof![
        Just("\"billing\"".to_string()),
        Just("\"service:billing\"".to_string()),
        Just("\"2022-01-09\"".to_string()),
        Just("\"9999-12-31\"".to_string()),
        Just("500".to_string()),
        Just("-1".to_string()),
        Just("99999999999999999999".to_string()),
        Just("$v".to_string()),
        Just("OUT".to_string()),
        Just("[\"service\"]".to_string()),
        (1usize..300_000).prop_map(|n| format!("\"{}\"", "a".repeat(n))),
        any::<String>().prop_map(|s| serde_json::to_string(&s).unwrap()),
    ];
    let key = prop::sample::select(vec!["name", "key", "text", "at", "first", "depth", "direction", "kinds", "path"]);
    (key, value).prop_map(|(k, v)| format!("{k}: {v}"))
}

/// A selection set, up to `depth` levels, with fragment spreads of f0..f3.
fn selection(depth: u32) -> BoxedStrategy<String> {
    let field = field();
    let leaf = prop_oneof![
        4 => field.clone(),
        1 => (0u32..4).prop_map(|i| format!("...f{i}")),
    ];
    if depth == 0 {
        return prop::collection::vec(leaf, 1..5).prop_map(|items| items.join(" ")).boxed();
    }
    let nested = (field, selection(depth - 1)).prop_map(|(field, inner)| format!("{field} {{ {inner} }}"));
    let inline = selection(depth - 1).prop_map(|inner| format!("... on Query {{ {inner} }}"));
    prop::collection::vec(prop_oneof![3 => leaf, 3 => nested, 1 => inline], 1..6)
        .prop_map(|items| items.join(" "))
        .boxed()
}

/// A field with an optional alias and arguments.
fn field() -> BoxedStrategy<String> {
    (prop::option::of(prop::sample::select(vec!["a", "b", "key"])), name(), prop::collection::vec(argument(), 0..3))
        .prop_map(|(alias, name, arguments)| {
            let alias = alias.map(|a| format!("{a}: ")).unwrap_or_default();
            let arguments = if arguments.is_empty() { String::new() } else { format!("({})", arguments.join(", ")) };
            format!("{alias}{name}{arguments}")
        })
        .boxed()
}

/// A document of one operation and up to four fragments, which may spread
/// each other (twice, for the exponential shape) or themselves.
fn document() -> impl Strategy<Value = String> {
    let fragment = |i: u32| {
        (selection(2), prop::collection::vec(0u32..4, 0..3)).prop_map(move |(body, spreads)| {
            let spreads: String = spreads.iter().map(|s| format!(" ...f{s} ...f{s}")).collect();
            format!("fragment f{i} on Query {{ {body}{spreads} }}")
        })
    };
    (selection(4), fragment(0), fragment(1), fragment(2), fragment(3), 0usize..5).prop_map(
        |(operation, f0, f1, f2, f3, kept)| {
            let fragments = [f0, f1, f2, f3];
            format!("query($v: String) {{ {operation} }} {}", fragments[..kept.min(4)].join(" "))
        },
    )
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn generated_documents_are_answered_or_refused_cleanly(query in document()) {
        answer_safely(query, json!({"v": "billing"}));
    }

    #[test]
    fn cut_documents_are_refused_cleanly(query in document(), cut in any::<prop::sample::Index>()) {
        let at = cut.index(query.len() + 1);
        let at = (0..=at).rev().find(|i| query.is_char_boundary(*i)).unwrap_or(0);
        answer_safely(query[..at].to_string(), json!({}));
    }

    #[test]
    fn random_text_is_refused_cleanly(query in any::<String>()) {
        answer_safely(query, json!({}));
    }

    #[test]
    fn random_protocol_messages_are_refused_cleanly(text in any::<String>()) {
        if let Some((code, reason)) = fuzzed().server.raw_message(text) {
            prop_assert!([4400, 4401].contains(&code), "closed with {} {:?}", code, reason);
            prop_assert!(reason.len() <= 123 && !reason.chars().any(char::is_control), "{:?}", reason);
        }
    }

    #[test]
    fn hostile_variables_are_refused_cleanly(value in any::<String>(), n in any::<i64>()) {
        let query = "query($v: String, $n: Int) { search(text: $v, first: $n) { key } }";
        answer_safely(query.to_string(), json!({"v": value, "n": n}));
    }
}

#[test]
fn the_generator_makes_documents_that_run() {
    // The properties above are only worth something if many generated
    // documents get past parsing; check a fixed sample does.
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = document();
    let mut parsed = 0;
    for _ in 0..200 {
        let query = strategy.new_tree(&mut runner).unwrap().current();
        if async_graphql::parser::parse_query(&query).is_ok() {
            parsed += 1;
        }
    }
    assert!(parsed > 150, "only {parsed} of 200 generated documents parse");
}
