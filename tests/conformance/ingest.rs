//! The five rules of the ingest contract (DESIGN.md), one behaviour a test.

use serde_json::json;
use spot::model::*;
use spot::store::Refusal;
use spot::StoreError;

use super::*;

pub async fn new_items_open_versions_from_their_day(h: &impl Harness) {
    let f = h.fresh();
    let store = f.store.as_ref();
    let run = obs("github", "acme", 1)
        .entity("service:billing", json!({"tier": 1}))
        .relation("service:billing", "depends_on", "service:ledger", json!({"via": "declared"}))
        .into(store)
        .await;
    assert_eq!(run.status, RunStatus::Complete);
    assert_eq!((run.counts.added, run.counts.changed, run.counts.closed), (2, 0, 0));
    assert!(!alive(store, "service:billing", 0).await, "nothing exists before it was observed");
    let state = store.entity("service:billing", d(1)).await.unwrap().unwrap();
    assert_eq!(state.facts[0].valid_from, d(1));
    assert_eq!(state.facts[0].valid_to, Day::OPEN);
    assert_eq!(state.first_seen, d(1));
    assert_eq!(state.last_seen, None);
    assert_eq!(
        edges_from(store, "service:billing", 1).await,
        [edge("depends_on", "service:billing", "service:ledger")]
    );
    assert!(edges_from(store, "service:billing", 0).await.is_empty());
}

pub async fn an_unchanged_observation_writes_nothing(h: &impl Harness) {
    let f = h.fresh();
    let store = f.store.as_ref();
    let day = |n| {
        obs("github", "acme", n).entity("service:billing", json!({"tier": 1, "tags": ["a", "b"]})).relation(
            "service:billing",
            "depends_on",
            "service:ledger",
            json!({}),
        )
    };
    day(1).into(store).await;
    let before = store.stats().await.unwrap();
    let run = day(2).into(store).await;
    assert_eq!(run.counts, RunCounts { added: 0, changed: 0, closed: 0, unchanged: 2 });
    let after = store.stats().await.unwrap();
    assert_eq!((after.fact_versions, after.relation_versions), (before.fact_versions, before.relation_versions));
    let state = store.entity("service:billing", d(2)).await.unwrap().unwrap();
    assert_eq!(state.facts[0].valid_from, d(1), "the version of day 1 is still the open one");
}

pub async fn attribute_order_is_not_a_change(h: &impl Harness) {
    let f = h.fresh();
    let store = f.store.as_ref();
    let first: serde_json::Value = serde_json::from_str(r#"{"a": 1, "b": {"x": 1, "y": 2}}"#).unwrap();
    let second: serde_json::Value = serde_json::from_str(r#"{"b": {"y": 2, "x": 1}, "a": 1}"#).unwrap();
    obs("github", "acme", 1).entity("repo:x", first).into(store).await;
    let run = obs("github", "acme", 2).entity("repo:x", second).into(store).await;
    assert_eq!(run.counts.unchanged, 1);
    assert_eq!(run.counts.changed, 0);
}

pub async fn a_change_closes_the_old_version_and_opens_a_new_one(h: &impl Harness) {
    let f = h.fresh();
    let store = f.store.as_ref();
    obs("kubernetes", "dc1", 1).entity("workload:billing", json!({"version": "1.0.0"})).into(store).await;
    let run = obs("kubernetes", "dc1", 3).entity("workload:billing", json!({"version": "1.1.0"})).into(store).await;
    assert_eq!(run.counts.changed, 1);
    assert_eq!(facts_of(store, "workload:billing", 2, "kubernetes").await, Some(json!({"version": "1.0.0"})));
    assert_eq!(facts_of(store, "workload:billing", 3, "kubernetes").await, Some(json!({"version": "1.1.0"})));
    let old = store.timeline("workload:billing", "version", d(0), d(9), None).await.unwrap();
    assert_eq!(old.iter().map(|p| (p.from, p.to)).collect::<Vec<_>>(), [(d(1), d(3)), (d(3), Day::OPEN)]);
}

pub async fn a_complete_run_closes_what_it_no_longer_sees(h: &impl Harness) {
    let f = h.fresh();
    let store = f.store.as_ref();
    obs("github", "acme", 1)
        .entity("repo:a", json!({}))
        .entity("repo:b", json!({}))
        .relation("repo:a", "uses", "package:npm/x", json!({}))
        .into(store)
        .await;
    let run = obs("github", "acme", 2).entity("repo:a", json!({})).into(store).await;
    assert_eq!(run.counts.closed, 2, "repo:b's fact and repo:a's relation");
    assert!(alive(store, "repo:b", 1).await);
    assert!(!alive(store, "repo:b", 2).await);
    assert_eq!(store.entity("repo:b", d(1)).await.unwrap().unwrap().last_seen, Some(d(2)));
    assert!(edges_from(store, "repo:a", 2).await.is_empty());
    assert_eq!(edges_from(store, "repo:a", 1).await.len(), 1);
}

pub async fn a_partial_run_closes_nothing(h: &impl Harness) {
    let f = h.fresh();
    let store = f.store.as_ref();
    obs("github", "acme", 1)
        .entity("repo:a", json!({"v": 1}))
        .entity("repo:b", json!({}))
        .relation("repo:b", "uses", "package:npm/x", json!({}))
        .into(store)
        .await;
    let run = obs("github", "acme", 2)
        .partial()
        .entity("repo:a", json!({"v": 2}))
        .entity("repo:c", json!({}))
        .into(store)
        .await;
    assert_eq!(run.status, RunStatus::Partial);
    assert_eq!((run.counts.added, run.counts.changed, run.counts.closed), (1, 1, 0));
    assert!(alive(store, "repo:b", 2).await, "a partial run never looks like deletion");
    assert_eq!(edges_from(store, "repo:b", 2).await.len(), 1);
    assert_eq!(facts_of(store, "repo:a", 2, "github").await, Some(json!({"v": 2})), "what it did see is updated");
    assert!(alive(store, "repo:c", 2).await);
}

pub async fn a_failed_run_closes_nothing_and_is_recorded(h: &impl Harness) {
    let f = h.fresh();
    let store = f.store.as_ref();
    obs("consul", "dc1", 1).entity("service:a", json!({"passing": 3})).into(store).await;
    let failed = store.record_failure("consul", "dc1", d(2), "HTTP 503 from consul").await.unwrap();
    assert_eq!(failed.status, RunStatus::Failed);
    assert!(alive(store, "service:a", 2).await, "yesterday's state carries forward");
    let runs = store.runs(&RunFilter { source: Some("consul".into()), ..RunFilter::default() }).await.unwrap();
    assert_eq!(runs.len(), 2);
    assert_eq!((runs[0].day, runs[0].status), (d(2), RunStatus::Failed));
    assert_eq!(runs[0].error.as_deref(), Some("HTTP 503 from consul"));
    // The next complete run diffs against the state before the outage.
    let run = obs("consul", "dc1", 3).entity("service:a", json!({"passing": 3})).into(store).await;
    assert_eq!(run.counts.unchanged, 1);
}

pub async fn a_run_keeps_its_warnings_until_it_is_replaced(h: &impl Harness) {
    let f = h.fresh();
    let store = f.store.as_ref();
    let mut warned = obs("sonarqube", "sq", 1).entity("sonar_project:a", json!({"coverage": 80}));
    warned.0.warnings = vec!["sonar_project:b: no ALM binding".into(), "bindings not read".into()];
    let run = warned.into(store).await;
    assert_eq!(run.warnings, ["sonar_project:b: no ALM binding", "bindings not read"]);
    let runs = store.runs(&RunFilter::default()).await.unwrap();
    assert_eq!(runs[0].warnings, run.warnings, "the run record keeps them");
    // A later run of the same day replaces the record, warnings included.
    obs("sonarqube", "sq", 1).entity("sonar_project:a", json!({"coverage": 80})).into(store).await;
    let runs = store.runs(&RunFilter::default()).await.unwrap();
    assert!(runs[0].warnings.is_empty(), "{:?}", runs[0].warnings);
}

pub async fn unobserved_parts_carry_forward_while_the_rest_is_diffed(h: &impl Harness) {
    let f = h.fresh();
    let store = f.store.as_ref();
    obs("github", "acme", 1)
        .entity("repo:a", json!({}))
        .entity("repo:b", json!({}))
        .relation("repo:a", "uses", "package:npm/x", json!({}))
        .relation("repo:b", "uses", "package:npm/y", json!({}))
        .into(store)
        .await;
    // repo:a could not be read (rate limit); repo:b really was deleted.
    let run = obs("github", "acme", 2).unobserved("repo:a").into(store).await;
    assert_eq!(run.status, RunStatus::Complete);
    assert!(alive(store, "repo:a", 2).await);
    assert_eq!(edges_from(store, "repo:a", 2).await, [edge("uses", "repo:a", "package:npm/x")]);
    assert!(!alive(store, "repo:b", 2).await);
    assert!(edges_from(store, "repo:b", 2).await.is_empty());
}

pub async fn each_source_owns_only_its_own_facts(h: &impl Harness) {
    let f = h.fresh();
    let store = f.store.as_ref();
    obs("github", "acme", 1).entity("service:a", json!({"repo": "a"})).into(store).await;
    obs("consul", "dc1", 1).entity("service:a", json!({"passing": 2})).into(store).await;
    obs("consul", "dc1", 2).into(store).await; // consul no longer sees it
    let state = store.entity("service:a", d(2)).await.unwrap().expect("github still sees it");
    assert_eq!(state.facts.iter().map(|f| f.source.as_str()).collect::<Vec<_>>(), ["github"]);
    // And the github scope's days are its own: day 1 again is a re-run, not a refusal.
    obs("github", "acme", 1).entity("service:a", json!({"repo": "a"})).into(store).await;
}

pub async fn rerunning_a_day_is_idempotent(h: &impl Harness) {
    let f = h.fresh();
    let store = f.store.as_ref();
    let day2 = || {
        obs("github", "acme", 2).entity("repo:a", json!({"v": 2})).relation(
            "repo:a",
            "uses",
            "package:npm/x",
            json!({}),
        )
    };
    obs("github", "acme", 1).entity("repo:a", json!({"v": 1})).entity("repo:b", json!({})).into(store).await;
    let first = day2().into(store).await;
    let stats = store.stats().await.unwrap();
    let again = day2().into(store).await;
    assert_eq!(again.counts, first.counts, "the re-run diffs against the same day-1 state");
    assert_eq!(again.attempts, 2);
    let after = store.stats().await.unwrap();
    assert_eq!((after.fact_versions, after.relation_versions), (stats.fact_versions, stats.relation_versions));
    assert_eq!(facts_of(store, "repo:a", 1, "github").await, Some(json!({"v": 1})));
    assert_eq!(facts_of(store, "repo:a", 2, "github").await, Some(json!({"v": 2})));
    assert!(!alive(store, "repo:b", 2).await);
    let runs = store.runs(&RunFilter::default()).await.unwrap();
    assert_eq!(runs.len(), 2, "one run per (source, scope, day)");
}

pub async fn a_later_run_of_the_same_day_replaces_it(h: &impl Harness) {
    let f = h.fresh();
    let store = f.store.as_ref();
    obs("github", "acme", 1).entity("repo:a", json!({})).entity("repo:b", json!({"v": 1})).into(store).await;
    // The first run of day 2 closed repo:a and changed repo:b...
    obs("github", "acme", 2).entity("repo:b", json!({"v": 2})).entity("repo:c", json!({})).into(store).await;
    // ...the second run of day 2 sees repo:a, the old repo:b and no repo:c.
    let run = obs("github", "acme", 2).entity("repo:a", json!({})).entity("repo:b", json!({"v": 1})).into(store).await;
    assert_eq!(run.counts, RunCounts { added: 0, changed: 0, closed: 0, unchanged: 2 });
    assert!(alive(store, "repo:a", 2).await);
    assert!(!alive(store, "repo:c", 2).await);
    let versions = store.timeline("repo:b", "v", d(0), d(5), None).await.unwrap();
    assert_eq!(versions.len(), 1, "no trace of the replaced observation: {versions:?}");
    assert_eq!((versions[0].from, versions[0].to), (d(1), Day::OPEN));
}

pub async fn an_older_day_is_refused(h: &impl Harness) {
    let f = h.fresh();
    let store = f.store.as_ref();
    obs("github", "acme", 5).entity("repo:a", json!({"v": 5})).into(store).await;
    let before = held(store).await;
    let err = store.ingest(&obs("github", "acme", 4).entity("repo:a", json!({"v": 4})).0).await.unwrap_err();
    assert!(matches!(err, StoreError::Refused(Refusal::OlderDay { .. })), "{err}");
    assert_eq!(
        err.to_string(),
        format!(
            "refusing github/acme for {}: that scope already has {}; days move forward (only an empty scope accepts older days)",
            d(4),
            d(5)
        )
    );
    let failure = store.record_failure("github", "acme", d(3), "late").await.unwrap_err();
    assert!(matches!(failure, StoreError::Refused(Refusal::OlderDay { .. })));
    assert_eq!(held(store).await, before, "nothing was written");
}

/// Hardening item 1: a day beyond today plus the allowance (one day by
/// default) is refused by the store itself, so no ingest path (the CLI, the
/// API, collectors, backfill) can make it every read's latest day.
pub async fn a_day_beyond_the_future_allowance_is_refused(h: &impl Harness) {
    let f = h.fresh();
    let store = f.store.as_ref();
    let today = Day::today();
    obs("github", "acme", 5).entity("repo:a", json!({"v": 5})).into(store).await;
    let before = held(store).await;
    for far in [today.plus(30), "9999-12-31".parse().unwrap()] {
        let mut future = obs("github", "acme", 0).entity("repo:a", json!({"v": 6}));
        future.0.day = far;
        let err = store.ingest(&future.0).await.unwrap_err();
        assert!(matches!(err, StoreError::Refused(Refusal::FutureDay { .. })), "{err}");
        let message = err.to_string();
        assert!(message.starts_with(&format!("refusing github/acme for {far}: ")), "{message}");
        assert!(message.contains("ingest.max_future_days"), "{message}");
        let failure = store.record_failure("github", "acme", far, "from the future").await.unwrap_err();
        assert!(matches!(failure, StoreError::Refused(Refusal::FutureDay { .. })), "{failure}");
    }
    assert_eq!(held(store).await, before, "nothing was written");
    assert_eq!(store.latest_day().await.unwrap(), Some(d(5)));
    let mut tomorrow = obs("github", "acme", 0).entity("repo:a", json!({"v": 7}));
    tomorrow.0.day = today.plus(1);
    assert_eq!(tomorrow.into(store).await.day, today.plus(1), "within the allowance");
}

pub async fn an_empty_scope_accepts_an_older_day(h: &impl Harness) {
    let f = h.fresh();
    let store = f.store.as_ref();
    store.record_failure("github", "acme", d(10), "outage").await.unwrap();
    obs("kubernetes", "dc1", 20).entity("workload:a", json!({})).into(store).await;
    // A backfill into the empty github scope may start long before.
    obs("github", "acme", 3).entity("repo:a", json!({})).into(store).await;
    obs("github", "acme", 4).entity("repo:a", json!({})).into(store).await;
    assert!(alive(store, "repo:a", 4).await);
}

pub async fn a_failed_rerun_keeps_the_committed_day(h: &impl Harness) {
    let f = h.fresh();
    let store = f.store.as_ref();
    obs("github", "acme", 1).entity("repo:a", json!({})).into(store).await;
    let run = store.record_failure("github", "acme", d(1), "timeout").await.unwrap();
    assert_eq!(run.status, RunStatus::Complete);
    assert_eq!(run.attempts, 2);
    assert_eq!(run.error.as_deref(), Some("a later attempt failed: timeout"));
    assert!(alive(store, "repo:a", 1).await);
    assert_eq!(store.latest_day().await.unwrap(), Some(d(1)));
}

pub async fn a_failure_mid_write_leaves_the_last_commit_intact(h: &impl Harness) {
    let f = h.fresh();
    let store = f.store.as_ref();
    let day1 = obs("github", "acme", 1).entity("repo:a", json!({"v": 1})).entity("repo:b", json!({})).relation(
        "repo:a",
        "uses",
        "package:npm/x",
        json!({}),
    );
    day1.into(store).await;
    let before = held(store).await;
    let day2 = || {
        obs("github", "acme", 2).entity("repo:a", json!({"v": 2})).entity("repo:c", json!({})).relation(
            "repo:a",
            "uses",
            "package:npm/y",
            json!({}),
        )
    };
    for fail_after in [1, 2, 3, 5, 8] {
        let faulty = (f.faulty)(fail_after);
        let err = faulty.ingest(&day2().0).await.unwrap_err();
        assert!(matches!(err, StoreError::InjectedFault { .. }), "after {fail_after} writes: {err}");
        assert_eq!(held(store).await, before, "after {fail_after} writes nothing is half-written");
        assert_eq!(store.latest_day().await.unwrap(), Some(d(1)));
        assert_eq!(facts_of(store, "repo:a", 2, "github").await, Some(json!({"v": 1})));
        assert!(alive(store, "repo:b", 2).await);
        assert!(!alive(store, "repo:c", 2).await);
    }
    // The run is retryable, and its caches were not poisoned by the failures.
    let run = day2().into(store).await;
    assert_eq!((run.counts.added, run.counts.changed, run.counts.closed), (2, 1, 2));
    assert_eq!(facts_of(store, "repo:a", 2, "github").await, Some(json!({"v": 2})));
}

pub async fn an_invalid_observation_writes_nothing(h: &impl Harness) {
    let f = h.fresh();
    let store = f.store.as_ref();
    let mut bad = obs("github", "acme", 1).entity("repo:a", json!({})).0;
    bad.entities.push(bad.entities[0].clone());
    let err = store.ingest(&bad).await.unwrap_err();
    assert_eq!(err.to_string(), "invalid observation: entities[1].key: 'repo:a' appears twice");
    assert_eq!(store.stats().await.unwrap().entities, 0);
    assert_eq!(store.latest_day().await.unwrap(), None);
}

pub async fn relation_endpoints_get_anchors(h: &impl Harness) {
    let f = h.fresh();
    let store = f.store.as_ref();
    obs("sonarqube", "sonar", 1)
        .relation("sonar_project:acme_a", "measures", "repo:github.com/acme/a", json!({}))
        .into(store)
        .await;
    let relations = store.relations("repo:github.com/acme/a", d(1), Direction::In, &[]).await.unwrap();
    assert_eq!(relations[0].from, "sonar_project:acme_a");
    assert_eq!(relations[0].source, "sonarqube");
    // Not observed by any source: an anchor, but not an entity of the day.
    assert!(!alive(store, "repo:github.com/acme/a", 1).await);
    obs("github", "acme", 1).entity("repo:github.com/acme/a", json!({})).into(store).await;
    let state = store.entity("repo:github.com/acme/a", d(1)).await.unwrap().unwrap();
    assert_eq!((state.entity.kind.as_str(), state.entity.name.as_str()), ("repo", "github.com/acme/a"));
}

pub async fn a_lease_has_one_holder_until_it_expires(h: &impl Harness) {
    let f = h.fresh();
    let store = f.store.as_ref();
    let lease = "collect:consul/dc1";
    assert!(store.acquire_lease(lease, "spot-a", 1_000, 61_000).await.unwrap());
    assert!(!store.acquire_lease(lease, "spot-b", 2_000, 62_000).await.unwrap(), "held by spot-a");
    assert!(store.acquire_lease(lease, "spot-a", 30_000, 90_000).await.unwrap(), "its holder renews it");
    assert!(!store.acquire_lease(lease, "spot-b", 89_999, 150_000).await.unwrap(), "renewed: still held");
    // A holder that crashed never releases: its lease expires.
    assert!(store.acquire_lease(lease, "spot-b", 90_000, 150_000).await.unwrap(), "expired: taken over");
    store.release_lease(lease, "spot-a").await.unwrap();
    assert!(!store.acquire_lease(lease, "spot-a", 91_000, 151_000).await.unwrap(), "only the holder releases");
    store.release_lease(lease, "spot-b").await.unwrap();
    assert!(store.acquire_lease(lease, "spot-a", 92_000, 152_000).await.unwrap(), "released: free");
    assert!(store.acquire_lease("collect:consul/dc2", "spot-b", 92_000, 152_000).await.unwrap(), "leases are per name");
}
