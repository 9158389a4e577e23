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
const READS: [&str; 26] = [
    "dora_rollups",
    "kept_scores",
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
    "relation_value_versions_between",
    "deploys",
    "actions",
    "remembered",
    "stats",
    "export",
];

/// The methods of the `Store` trait in `store/src/store/mod.rs`, each with
/// whether it has a default body.
fn trait_methods(source: &str) -> BTreeMap<String, bool> {
    let file = syn::parse_file(source).expect("store/src/store/mod.rs parses");
    let store = file
        .items
        .iter()
        .find_map(|item| match item {
            syn::Item::Trait(t) if t.ident == "Store" => Some(t),
            _ => None,
        })
        .expect("store/src/store/mod.rs declares the Store trait");
    let mut found = BTreeMap::new();
    for item in &store.items {
        if let syn::TraitItem::Fn(method) = item {
            found.insert(method.sig.ident.to_string(), method.default.is_some());
        }
    }
    found
}

/// The methods `Layered` forwards in `store/src/store/layer.rs`, each with the
/// `Method::…` its body passes (`Read("name")` or `Write(WriteKind::…)`),
/// if any.
fn forwarded_methods(source: &str) -> BTreeMap<String, Option<String>> {
    let file = syn::parse_file(source).expect("store/src/store/layer.rs parses");
    let layered = file
        .items
        .iter()
        .find_map(|item| match item {
            syn::Item::Impl(i) if i.trait_.as_ref().is_some_and(|(_, path, _)| path.is_ident("Store")) => Some(i),
            _ => None,
        })
        .expect("store/src/store/layer.rs implements Store for Layered");
    let mut found = BTreeMap::new();
    for item in &layered.items {
        if let syn::ImplItem::Fn(method) = item {
            let name = method.sig.ident.to_string();
            let mut said = Descriptor(None);
            syn::visit::Visit::visit_block(&mut said, &method.block);
            assert!(found.insert(name.clone(), said.0).is_none(), "{name} twice");
        }
    }
    found
}

/// The first `Method::Read("name")` or `Method::Write(WriteKind::Kind)` a
/// forwarding body passes, written as that text without `Method::`.
struct Descriptor(Option<String>);

impl<'ast> syn::visit::Visit<'ast> for Descriptor {
    fn visit_expr_call(&mut self, call: &'ast syn::ExprCall) {
        if self.0.is_some() {
            return;
        }
        if let syn::Expr::Path(func) = &*call.func {
            let path: Vec<String> = func.path.segments.iter().map(|s| s.ident.to_string()).collect();
            if let [method, variant] = path.as_slice() {
                if method == "Method" {
                    let argument = match call.args.first() {
                        Some(syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(name), .. })) => {
                            format!("{:?}", name.value())
                        }
                        Some(syn::Expr::Path(kind)) => {
                            kind.path.segments.iter().map(|s| s.ident.to_string()).collect::<Vec<_>>().join("::")
                        }
                        _ => "?".to_string(),
                    };
                    self.0 = Some(format!("{variant}({argument})"));
                    return;
                }
            }
        }
        syn::visit::visit_expr_call(self, call);
    }
}

#[test]
fn every_store_method_is_forwarded_as_a_read_or_a_write_by_its_name() {
    let root = env!("CARGO_MANIFEST_DIR");
    let store_rs = std::fs::read_to_string(format!("{root}/store/src/store/mod.rs")).unwrap();
    let layer_rs = std::fs::read_to_string(format!("{root}/store/src/store/layer.rs")).unwrap();
    let trait_methods = trait_methods(&store_rs);
    let forwarded = forwarded_methods(&layer_rs);
    assert!(trait_methods.len() > 20, "the trait was not read: {trait_methods:?}");

    let mut writes_seen = HashSet::new();
    for (name, has_default) in &trait_methods {
        let Some(said) = forwarded.get(name) else {
            // A default body runs on the layered store and calls its
            // forwarded methods, which the layer sees.
            assert!(has_default, "Store::{name} is not forwarded by store::layer::Layered");
            continue;
        };
        let said = said.clone().unwrap_or_else(|| panic!("Layered::{name} passes no Method"));
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
