//! A fuzz test of the GraphQL edge, run with every `cargo test` for a
//! bounded number of cases (300 per property, about 30 s in a debug
//! build; `PROPTEST_CASES=20000 cargo test --test graphql_fuzz` for a
//! longer run). Documents are built from the schema's own fields with
//! hostile shapes in mind (fragments that spread each other, deep nesting,
//! repeated aliases, wrong arguments, huge strings, cut text), plus random
//! text and bytes, and run the way the server runs them: prepared by
//! `Documents` (parse, expansion bound), then executed by the schema over
//! a real SQLite store.
//!
//! For any document: no panic, an answer within a bounded time, and every
//! error short, on one line and carrying `extensions.code`.

#[path = "conformance/builder.rs"]
#[allow(dead_code)]
mod builder;

use std::sync::Arc;
use std::time::{Duration, Instant};

use builder::obs;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::Config;
use serde_json::json;
use spot::api::{self, Documents, Grants, Limits, SpotSchema};
use spot::SqliteStore;

const LONGEST_ERROR: usize = 1_024;
/// Far above what any of these documents needs: a document that takes
/// longer is doing unbounded work.
const SLOWEST: Duration = Duration::from_secs(5);

fn config() -> Config {
    let mut config = Config::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        config.cases = 300;
    }
    config
}

struct Edge {
    runtime: tokio::runtime::Runtime,
    schema: SpotSchema,
    documents: Documents,
    limits: Limits,
    _dir: tempfile::TempDir,
}

fn edge() -> &'static Edge {
    static EDGE: std::sync::OnceLock<Edge> = std::sync::OnceLock::new();
    EDGE.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path().join("spot.db")).unwrap();
        runtime.block_on(
            obs("github", "acme", 1)
                .entity("team:payments", json!({}))
                .entity("service:billing", json!({"tier": 1}))
                .relation("team:payments", "owns", "service:billing", json!({}))
                .into(&store),
        );
        let limits = Limits::default();
        let schema = api::schema(Arc::new(store), limits.clone());
        Edge { runtime, schema, documents: Documents::new(limits.complexity), limits, _dir: dir }
    })
}

/// Runs `query` as the server does and checks what comes back.
fn answer_safely(query: String, variables: serde_json::Value) {
    let edge = edge();
    let started = Instant::now();
    let response = edge.runtime.block_on(async {
        let mut request = async_graphql::Request::new(query).variables(async_graphql::Variables::from_json(variables));
        match edge.documents.prepare(&mut request) {
            Err(error) => async_graphql::Response::from_errors(vec![error]),
            Ok(prepared) => {
                let request = api::request(&edge.schema, request, Grants::all("fuzz"));
                let mut response = edge.schema.execute(request).await;
                prepared.order(&mut response);
                api::explain_limits(response, &edge.limits)
            }
        }
    });
    assert!(started.elapsed() < SLOWEST, "answered after {:?}", started.elapsed());
    for error in &response.errors {
        assert!(error.message.len() <= LONGEST_ERROR, "an error of {} bytes", error.message.len());
        assert!(!error.message.chars().any(char::is_control), "a raw control character in {:?}", error.message);
        let code = error.extensions.as_ref().and_then(|e| e.get("code"));
        assert!(code.is_some(), "no extensions.code on {:?}", error.message);
    }
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
