//! Kept scores hear of writes by the type of the call: every method of
//! the `Store` trait is forwarded by `store::layer` with a descriptor that
//! says whether it writes, and a schema built over a bare store wraps it
//! itself, so a write through the schema's store is seen by the next score.

#[path = "conformance/builder.rs"]
#[allow(dead_code)]
mod builder;

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use builder::{d, obs};
use serde_json::{json, Value};
use spot::store::layer::WriteKind;
use spot::{SqliteStore, Store};

/// The trait's methods that only read, each checked by hand to change
/// nothing. A method forwarded as a read and missing here fails
/// [`every_store_method_is_forwarded_as_a_read_or_a_write_by_its_name`]:
/// whoever adds one decides, here or in `WriteKind`, what it is.
const READS: [&str; 24] = [
    "dora_rollups",
    "judged_deploys",
    "rollbacks",
    "latest_day",
    "entity",
    "search",
    "relations",
    "traverse",
    "timeline",
    "changes",
    "runs",
    "relation_history",
    "neighbours",
    "attribute_values",
    "entities_of_kind",
    "relation_values",
    "attribute_value_versions",
    "relation_spans",
    "relation_value_versions",
    "deploys",
    "actions",
    "remembered",
    "stats",
    "export",
];

/// The `async fn`s of the text from `start` to the block's end, with
/// whether each has a body (a default, in a trait) and the text up to the
/// next one.
fn async_fns(text: &str) -> BTreeMap<String, (bool, String)> {
    let mut found = BTreeMap::new();
    let pieces: Vec<&str> = text.split("async fn ").skip(1).collect();
    for piece in pieces {
        let name: String = piece.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
        let mut depth = 0;
        let mut has_body = false;
        for c in piece.chars() {
            match c {
                '(' => depth += 1,
                ')' => depth -= 1,
                ';' if depth == 0 => break,
                '{' if depth == 0 => {
                    has_body = true;
                    break;
                }
                _ => {}
            }
        }
        assert!(found.insert(name.clone(), (has_body, piece.to_string())).is_none(), "{name} twice");
    }
    found
}

/// The text of the block that starts at `header`, to its closing brace.
fn block<'a>(source: &'a str, header: &str) -> &'a str {
    let start = source.find(header).unwrap_or_else(|| panic!("no `{header}`"));
    let mut depth = 0;
    for (at, c) in source[start..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 1 => return &source[start..start + at],
            '}' => depth -= 1,
            _ => {}
        }
    }
    panic!("`{header}` never closes")
}

/// What a forwarding body says its call is: `Read(name)` or `Write(kind)`.
fn descriptor(body: &str) -> Option<String> {
    let at = body.find("Method::")?;
    let rest = &body[at + "Method::".len()..];
    let end = rest.find(')')?;
    Some(rest[..=end].to_string())
}

#[test]
fn every_store_method_is_forwarded_as_a_read_or_a_write_by_its_name() {
    let root = env!("CARGO_MANIFEST_DIR");
    let store_rs = std::fs::read_to_string(format!("{root}/src/store/mod.rs")).unwrap();
    let layer_rs = std::fs::read_to_string(format!("{root}/src/store/layer.rs")).unwrap();
    let trait_methods = async_fns(block(&store_rs, "pub trait Store"));
    let forwarded = async_fns(block(&layer_rs, "impl<L: Around> Store for Layered<L>"));
    assert!(trait_methods.len() > 20, "the trait was not read: {trait_methods:?}");

    let mut writes_seen = HashSet::new();
    for (name, (has_default, _)) in &trait_methods {
        let Some((_, body)) = forwarded.get(name) else {
            // A default body runs on the layered store and calls its
            // forwarded methods, which the layer sees.
            assert!(has_default, "Store::{name} is not forwarded by store::layer::Layered");
            continue;
        };
        let said = descriptor(body).unwrap_or_else(|| panic!("Layered::{name} passes no Method"));
        if said.starts_with("Read(") {
            assert_eq!(said, format!("Read(\"{name}\")"), "Layered::{name} is named as another method");
            assert!(
                READS.contains(&name.as_str()),
                "Store::{name} is forwarded as a read: if it writes, give it a WriteKind; if not, add it to READS"
            );
        } else {
            let kind = WriteKind::ALL
                .into_iter()
                .find(|kind| said == format!("Write(WriteKind::{kind:?})"))
                .unwrap_or_else(|| panic!("Layered::{name} passes {said}"));
            assert_eq!(kind.name(), name, "{kind:?} forwards another method");
            assert!(writes_seen.insert(kind), "{kind:?} twice");
        }
    }
    for name in forwarded.keys() {
        assert!(trait_methods.contains_key(name), "Layered forwards {name}, which the trait does not have");
    }
    let unused: Vec<_> = WriteKind::ALL.into_iter().filter(|kind| !writes_seen.contains(kind)).collect();
    assert!(unused.is_empty(), "kinds no method writes by: {unused:?}");
    for read in READS {
        assert!(trait_methods.contains_key(read), "READS names {read}, which the trait does not have");
    }
}

const CARD: &str = r#"
name = "tiers"
description = "A tier is set."
levels = ["bronze"]

[[rules]]
id = "tier-set"
level = "bronze"
attribute = "tier"
op = "exists"
"#;

async fn level_on_day_one(schema: &spot::api::SpotSchema) -> Value {
    let query = format!(r#"{{ scores(scorecard: "tiers", at: "{}") {{ service level }} }}"#, d(1));
    let request = async_graphql::Request::new(query)
        .data(spot::api::Deadline(tokio::time::Instant::now() + std::time::Duration::from_secs(30)));
    let request = spot::api::request(schema, request, spot::api::Grants::all("test"));
    let response = serde_json::to_value(schema.execute(request).await).unwrap();
    assert!(response.get("errors").is_none(), "{response}");
    response["data"]["scores"].clone()
}

/// A schema over a bare store (as `spot query` and tests build one) scores
/// again after each write through its own store, well inside the cache's
/// five minutes: the builder wrapped the store in the cache's layer.
#[tokio::test]
async fn a_schema_over_a_bare_store_sees_the_writes_made_through_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("spot.db")).unwrap();
    obs("github", "acme", 1).entity("service:billing", json!({})).into(&store).await;
    let cards = spot::scorecards::Scorecards::read([(std::path::Path::new("tiers.toml"), CARD)]).unwrap();
    let scoring = spot::api::Scoring { scorecards: Arc::new(cards), cache: Default::default() };
    let bare: Arc<dyn Store> = Arc::new(store);
    let schema = spot::api::schema_with_scheduler(
        bare,
        spot::api::Limits::default(),
        Default::default(),
        None,
        Default::default(),
        Default::default(),
        scoring,
    );
    let below = json!([{ "service": "billing", "level": null }]);
    let bronze = json!([{ "service": "billing", "level": "bronze" }]);
    assert_eq!(level_on_day_one(&schema).await, below);

    let written_through = schema.data::<spot::api::Api>().unwrap().store.clone();
    obs("backstage", "catalog", 1).entity("service:billing", json!({"tier": 2})).into(written_through.as_ref()).await;
    assert_eq!(level_on_day_one(&schema).await, bronze, "the ingest was not seen");

    written_through.rollback("backstage", "catalog", d(1)).await.unwrap();
    assert_eq!(level_on_day_one(&schema).await, below, "the rollback was not seen");
}

/// Wrapping a store the cache already watches (the server's, then the
/// schema's) adds no second layer; another store gets its own.
#[tokio::test]
async fn watching_a_watched_store_returns_it_as_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let cache = spot::scorecards::cache::ScoreCache::default();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(dir.path().join("spot.db")).unwrap());
    let watched = cache.watching(store.clone());
    assert!(!Arc::ptr_eq(&watched, &store));
    assert!(Arc::ptr_eq(&cache.watching(watched.clone()), &watched));
    let other: Arc<dyn Store> = Arc::new(SqliteStore::open(dir.path().join("other.db")).unwrap());
    assert!(!Arc::ptr_eq(&cache.watching(other.clone()), &other));
}
