//! The query layer: every read as of a day.

use serde_json::json;
use spot::model::*;
use spot::StoreError;

use super::*;

pub async fn an_entity_merges_facts_per_source(h: &impl Harness) {
    let f = h.fresh();
    let store = f.store.as_ref();
    obs("github", "acme", 1).entity("service:a", json!({"tier": 1})).into(store).await;
    obs("consul", "dc1", 2).entity("service:a", json!({"passing": 2})).into(store).await;
    obs("consul", "dc2", 2).entity("service:a", json!({"passing": 1})).into(store).await;
    let state = store.entity("service:a", d(2)).await.unwrap().unwrap();
    assert_eq!(state.first_seen, d(1));
    assert_eq!(
        serde_json::Value::Object(state.merged()),
        json!({"github": {"tier": 1}, "consul": {"dc1": {"passing": 2}, "dc2": {"passing": 1}}})
    );
    let on_day_one = store.entity("service:a", d(1)).await.unwrap().unwrap();
    assert_eq!(on_day_one.facts.len(), 1, "consul had not seen it yet");
    assert!(store.entity("service:nope", d(2)).await.unwrap().is_none());
}

pub async fn the_latest_day_ignores_failed_runs(h: &impl Harness) {
    let f = h.fresh();
    let store = f.store.as_ref();
    assert_eq!(store.latest_day().await.unwrap(), None);
    obs("github", "acme", 4).entity("repo:a", json!({})).into(store).await;
    store.record_failure("github", "acme", d(5), "outage").await.unwrap();
    assert_eq!(store.latest_day().await.unwrap(), Some(d(4)));
}

pub async fn search_finds_live_entities_best_first(h: &impl Harness) {
    let f = h.fresh();
    let store = f.store.as_ref();
    obs("github", "acme", 1)
        .entity("service:billing-api", json!({}))
        .entity("service:billing", json!({}))
        .entity("repo:payments-billing", json!({}))
        .entity("service:old-billing", json!({}))
        .into(store)
        .await;
    obs("github", "acme", 2)
        .entity("service:billing-api", json!({}))
        .entity("service:billing", json!({}))
        .entity("repo:payments-billing", json!({}))
        .into(store)
        .await;
    let query = |text: &str, kinds: &[&str], n: i32| SearchQuery {
        text: text.into(),
        kinds: kinds.iter().map(|k| k.to_string()).collect(),
        day: d(n),
        limit: 10,
    };
    let names = |found: Vec<Entity>| found.into_iter().map(|e| e.key).collect::<Vec<_>>();
    assert_eq!(
        names(store.search(&query("Billing", &[], 2)).await.unwrap()),
        ["service:billing", "service:billing-api", "repo:payments-billing"]
    );
    assert_eq!(names(store.search(&query("billing", &["repo"], 2)).await.unwrap()), ["repo:payments-billing"]);
    assert!(names(store.search(&query("old", &[], 1)).await.unwrap()).contains(&"service:old-billing".to_string()));
    assert!(names(store.search(&query("old", &[], 2)).await.unwrap()).is_empty(), "retired on day 2");
    assert_eq!(names(store.search(&query("100%", &[], 2)).await.unwrap()), Vec::<String>::new());
    assert!(matches!(store.search(&query("  ", &[], 2)).await, Err(StoreError::BadRequest(_))));
}

pub async fn search_finds_catalog_descriptions_and_tags(h: &impl Harness) {
    let f = h.fresh();
    let store = f.store.as_ref();
    obs("github", "acme", 1)
        .entity("service:artist-lookup", json!({"description": "Artist Lookup", "tags": ["java", "data"]}))
        .entity("system:portal", json!({"description": "Everything about artists"}))
        .entity("workload:dc1/x/Deployment/y", json!({"description": "artist", "tags": ["java"]}))
        .into(store)
        .await;
    obs("github", "acme", 2).entity("service:artist-lookup", json!({"tags": ["go"]})).into(store).await;
    let query = |text: &str, n: i32| SearchQuery { text: text.into(), kinds: Vec::new(), day: d(n), limit: 10 };
    let keys = |found: Vec<Entity>| found.into_iter().map(|e| e.key).collect::<Vec<_>>();
    assert_eq!(
        keys(store.search(&query("JAVA", 1)).await.unwrap()),
        ["service:artist-lookup"],
        "workloads are not described"
    );
    assert_eq!(keys(store.search(&query("about art", 1)).await.unwrap()), ["system:portal"]);
    assert!(keys(store.search(&query("java", 2)).await.unwrap()).is_empty(), "as of the day: the tag changed");
}

/// a → b → c → a (a cycle), a → d, plus b ← team:x (owns).
async fn small_graph(store: &dyn spot::Store) {
    obs("github", "acme", 1)
        .entity("service:a", json!({}))
        .entity("service:b", json!({}))
        .entity("service:c", json!({}))
        .entity("service:d", json!({}))
        .entity("team:x", json!({}))
        .relation("service:a", "depends_on", "service:b", json!({"via": "declared"}))
        .relation("service:b", "depends_on", "service:c", json!({}))
        .relation("service:c", "depends_on", "service:a", json!({}))
        .relation("service:a", "depends_on", "service:d", json!({}))
        .relation("team:x", "owns", "service:b", json!({}))
        .into(store)
        .await;
}

fn depths(graph: &Subgraph) -> Vec<(String, u32)> {
    let mut nodes: Vec<_> = graph.nodes.iter().map(|n| (n.entity.key.clone(), n.depth)).collect();
    nodes.sort();
    nodes
}

pub async fn relations_follow_direction_and_kind(h: &impl Harness) {
    let f = h.fresh();
    let store = f.store.as_ref();
    small_graph(store).await;
    let of = |direction, kinds: &[&str]| {
        let kinds: Vec<String> = kinds.iter().map(|k| k.to_string()).collect();
        async move { store.relations("service:b", d(1), direction, &kinds).await.unwrap() }
    };
    let out = of(Direction::Out, &[]).await;
    assert_eq!(out.iter().map(|r| r.to.as_str()).collect::<Vec<_>>(), ["service:c"]);
    let incoming = of(Direction::In, &[]).await;
    assert_eq!(incoming.len(), 2);
    let owners = of(Direction::In, &["owns"]).await;
    assert_eq!(owners.len(), 1);
    assert_eq!(
        (owners[0].from.as_str(), owners[0].source.as_str(), owners[0].scope.as_str()),
        ("team:x", "github", "acme")
    );
    assert_eq!(of(Direction::Both, &["depends_on"]).await.len(), 2);
    assert!(matches!(
        store.relations("service:nope", d(1), Direction::Out, &[]).await,
        Err(StoreError::NotFound { .. })
    ));
}

pub async fn traversal_reports_depth_and_survives_cycles(h: &impl Harness) {
    let f = h.fresh();
    let store = f.store.as_ref();
    small_graph(store).await;
    let traverse = |depth, direction| Traversal {
        start: "service:a".into(),
        day: d(1),
        depth,
        edges: EdgeRule::for_kinds(&["depends_on".to_string()], direction),
    };
    let one = store.traverse(&traverse(1, Direction::Out)).await.unwrap();
    assert_eq!(depths(&one), [("service:a".into(), 0), ("service:b".into(), 1), ("service:d".into(), 1)]);
    assert_eq!(one.edges.len(), 2);
    let ten = store.traverse(&traverse(10, Direction::Out)).await.unwrap();
    assert_eq!(
        depths(&ten),
        [("service:a".into(), 0), ("service:b".into(), 1), ("service:c".into(), 2), ("service:d".into(), 1)]
    );
    assert_eq!(ten.edges.len(), 4, "the cycle's closing edge is reported once, and not followed");
    let dependents = store.traverse(&traverse(2, Direction::In)).await.unwrap();
    assert_eq!(depths(&dependents), [("service:a".into(), 0), ("service:b".into(), 2), ("service:c".into(), 1)]);
    let all_kinds = Traversal { edges: EdgeRule::for_kinds(&[], Direction::Both), ..traverse(2, Direction::Both) };
    let everything = store.traverse(&all_kinds).await.unwrap();
    assert!(everything.nodes.iter().any(|n| n.entity.key == "team:x" && n.depth == 2));
    assert_eq!(
        everything.edges.iter().find(|e| e.to == "service:b").map(|e| e.attrs.clone()),
        Some(attrs(json!({"via": "declared"})))
    );
}

pub async fn traversal_is_as_of_its_day(h: &impl Harness) {
    let f = h.fresh();
    let store = f.store.as_ref();
    small_graph(store).await;
    obs("github", "acme", 5)
        .entity("service:a", json!({}))
        .entity("service:e", json!({}))
        .relation("service:a", "depends_on", "service:e", json!({}))
        .into(store)
        .await;
    let on = |n| Traversal {
        start: "service:a".into(),
        day: d(n),
        depth: 3,
        edges: EdgeRule::for_kinds(&[], Direction::Out),
    };
    let before = store.traverse(&on(4)).await.unwrap();
    assert_eq!(before.nodes.len(), 4);
    let after = store.traverse(&on(5)).await.unwrap();
    assert_eq!(depths(&after), [("service:a".into(), 0), ("service:e".into(), 1)]);
}

/// Far more edges than a store may read in one go on an async thread (the
/// SQLite store gives up after a budget and starts again elsewhere): the
/// answer must not show where that happened.
pub async fn a_traversal_of_thousands_of_edges_is_whole(h: &impl Harness) {
    let f = h.fresh();
    let store = f.store.as_ref();
    let mut o = obs("github", "acme", 1).entity("service:hub", json!({}));
    for n in 0..1_500 {
        let leaf = format!("service:leaf-{n:04}");
        o = o.entity(&leaf, json!({})).relation("service:hub", "depends_on", &leaf, json!({"n": n}));
        o = o.relation(&leaf, "depends_on", "service:hub", json!({}));
    }
    o.into(store).await;
    let graph = store
        .traverse(&Traversal {
            start: "service:hub".into(),
            day: d(1),
            depth: 2,
            edges: EdgeRule::for_kinds(&["depends_on".to_string()], Direction::Out),
        })
        .await
        .unwrap();
    assert_eq!(graph.nodes.len(), 1_501);
    assert_eq!(graph.edges.len(), 3_000, "the way out and the way back of every leaf");
    assert_eq!(depths(&graph)[..2], [("service:hub".to_string(), 0), ("service:leaf-0000".to_string(), 1)]);
}

pub async fn traversal_can_mix_directions_per_kind(h: &impl Harness) {
    let f = h.fresh();
    let store = f.store.as_ref();
    obs("github", "acme", 1)
        .relation("repo:r", "uses", "package:npm/left-pad", json!({"resolved": "1.3.0"}))
        .relation("repo:r", "builds", "service:api", json!({}))
        .relation("repo:r", "uses", "package:npm/other", json!({}))
        .relation("service:web", "depends_on", "service:api", json!({}))
        .relation("service:api", "depends_on", "service:db", json!({}))
        .into(store)
        .await;
    // Who breaks if left-pad breaks: its users, what they build, and their dependents.
    let impact = Traversal {
        start: "package:npm/left-pad".into(),
        day: d(1),
        depth: 3,
        edges: vec![
            EdgeRule::new("uses", Direction::In),
            EdgeRule::new("builds", Direction::Out),
            EdgeRule::new("depends_on", Direction::In),
        ],
    };
    let graph = store.traverse(&impact).await.unwrap();
    assert_eq!(
        depths(&graph),
        [
            ("package:npm/left-pad".into(), 0),
            ("repo:r".into(), 1),
            ("service:api".into(), 2),
            ("service:web".into(), 3)
        ]
    );
}

pub async fn traversal_refuses_bad_bounds(h: &impl Harness) {
    let f = h.fresh();
    let store = f.store.as_ref();
    small_graph(store).await;
    for depth in [0, 11, 99] {
        let bad =
            Traversal { start: "service:a".into(), day: d(1), depth, edges: EdgeRule::for_kinds(&[], Direction::Out) };
        let err = store.traverse(&bad).await.unwrap_err();
        assert_eq!(err.to_string(), format!("traversal depth {depth} is out of range: use 1 to 10"));
    }
    let unknown = Traversal {
        start: "service:nope".into(),
        day: d(1),
        depth: 2,
        edges: EdgeRule::for_kinds(&[], Direction::Out),
    };
    assert_eq!(store.traverse(&unknown).await.unwrap_err().to_string(), "no entity 'service:nope'");
}

pub async fn a_timeline_merges_equal_consecutive_values(h: &impl Harness) {
    let f = h.fresh();
    let store = f.store.as_ref();
    let day = |n, version: &str, replicas: u32| {
        obs("kubernetes", "dc1", n).entity("workload:w", json!({"version": version, "replicas": replicas}))
    };
    day(1, "1.0", 2).into(store).await;
    day(2, "1.0", 3).into(store).await; // a new version, same "version"
    day(4, "1.1", 3).into(store).await;
    day(6, "1.0", 3).into(store).await; // a rollback
    let points = store.timeline("workload:w", "version", d(0), d(10), None).await.unwrap();
    let seen: Vec<_> = points.iter().map(|p| (p.from, p.to, p.value.clone())).collect();
    assert_eq!(seen, [(d(1), d(4), json!("1.0")), (d(4), d(6), json!("1.1")), (d(6), Day::OPEN, json!("1.0"))]);
    let window = store.timeline("workload:w", "version", d(5), d(5), None).await.unwrap();
    assert_eq!(window.len(), 1, "only versions overlapping the range");
    assert_eq!(window[0].value, json!("1.1"));
    let err = store.timeline("workload:w", "version", d(5), d(4), None).await.unwrap_err();
    assert!(matches!(err, StoreError::BadRequest(_)), "{err}");
    assert!(err.to_string().contains("is after"));
}

pub async fn a_timeline_reads_nested_paths_and_filters_sources(h: &impl Harness) {
    let f = h.fresh();
    let store = f.store.as_ref();
    obs("kubernetes", "dc1", 1)
        .entity("workload:w", json!({"replicas": {"desired": 3}, "labels": {"app.kubernetes.io/name": "w"}, "ports": [80, 443], "ok": true}))
        .into(store)
        .await;
    obs("consul", "dc1", 1).entity("workload:w", json!({"replicas": {"desired": 2}})).into(store).await;
    let value = |path: &str, source: Option<&'static str>| {
        let path = path.to_string();
        async move {
            let points = store.timeline("workload:w", &path, d(0), d(3), source).await.unwrap();
            points.into_iter().map(|p| (p.source, p.value)).collect::<Vec<_>>()
        }
    };
    assert_eq!(value("replicas.desired", Some("kubernetes")).await, [("kubernetes".to_string(), json!(3))]);
    assert_eq!(value("replicas.desired", None).await.len(), 2, "one series per source scope");
    assert_eq!(value("ports", Some("kubernetes")).await[0].1, json!([80, 443]));
    assert_eq!(value("ports.1", Some("kubernetes")).await[0].1, json!(443));
    assert_eq!(value("ok", Some("kubernetes")).await[0].1, json!(true));
    assert_eq!(value("missing", Some("kubernetes")).await[0].1, json!(null));
    let err = store.timeline("workload:w", "a..b", d(0), d(3), None).await.unwrap_err();
    assert!(matches!(err, StoreError::BadRequest(_)));
}

pub async fn changes_classify_entities_and_relations(h: &impl Harness) {
    let f = h.fresh();
    let store = f.store.as_ref();
    obs("github", "acme", 1)
        .entity("repo:kept", json!({"v": 1}))
        .entity("repo:gone", json!({}))
        .entity("repo:same", json!({}))
        .relation("repo:kept", "uses", "package:npm/x", json!({"resolved": "1.0"}))
        .relation("repo:gone", "uses", "package:npm/x", json!({}))
        .into(store)
        .await;
    obs("consul", "dc1", 1).entity("service:s", json!({"passing": 1})).into(store).await;
    obs("github", "acme", 3)
        .entity("repo:kept", json!({"v": 2}))
        .entity("repo:new", json!({}))
        .entity("repo:same", json!({}))
        .entity("service:s", json!({}))
        .relation("repo:kept", "uses", "package:npm/x", json!({"resolved": "1.1"}))
        .into(store)
        .await;
    obs("consul", "dc1", 3).into(store).await; // consul lost service:s, github now sees it
    let changes = store.changes(d(1), d(3)).await.unwrap();
    let entities: Vec<_> =
        changes.entities.iter().map(|c| (c.entity.key.as_str(), c.change, c.sources.clone())).collect();
    assert_eq!(
        entities,
        [
            ("repo:gone", Change::Removed, vec!["github".to_string()]),
            ("repo:kept", Change::Changed, vec!["github".to_string()]),
            ("repo:new", Change::Added, vec!["github".to_string()]),
            ("service:s", Change::Changed, vec!["consul".to_string(), "github".to_string()]),
        ]
    );
    let relations: Vec<_> = changes.relations.iter().map(|c| (c.from.as_str(), c.change)).collect();
    assert_eq!(relations, [("repo:gone", Change::Removed), ("repo:kept", Change::Changed)]);
    assert!(store.changes(d(3), d(3)).await.unwrap().entities.is_empty());
    assert!(matches!(store.changes(d(3), d(1)).await, Err(StoreError::BadRequest(_))));
}

pub async fn a_change_reverted_in_between_is_no_change(h: &impl Harness) {
    let f = h.fresh();
    let store = f.store.as_ref();
    obs("kubernetes", "dc1", 1).entity("workload:w", json!({"version": "1"})).into(store).await;
    obs("kubernetes", "dc1", 2).entity("workload:w", json!({"version": "2"})).into(store).await;
    obs("kubernetes", "dc1", 3).entity("workload:w", json!({"version": "1"})).into(store).await;
    assert!(store.changes(d(1), d(3)).await.unwrap().entities.is_empty());
    assert_eq!(store.changes(d(1), d(2)).await.unwrap().entities.len(), 1);
}

pub async fn runs_filter_by_source_and_range(h: &impl Harness) {
    let f = h.fresh();
    let store = f.store.as_ref();
    for n in 1..=3 {
        obs("github", "acme", n).entity("repo:a", json!({"n": n})).into(store).await;
        obs("consul", "dc1", n).into(store).await;
    }
    let all = store.runs(&RunFilter::default()).await.unwrap();
    assert_eq!(all.len(), 6);
    assert_eq!(all[0].day, d(3), "newest first");
    let github =
        store.runs(&RunFilter { source: Some("github".into()), from: Some(d(2)), to: Some(d(3)) }).await.unwrap();
    assert_eq!(github.iter().map(|r| r.day).collect::<Vec<_>>(), [d(3), d(2)]);
    assert_eq!(github[0].counts.changed, 1);
    assert!(github.iter().all(|r| r.source == "github" && r.scope == "acme" && r.attempts == 1));
}
