//! Reads across time and across many entities, and deploy events.

use chrono::TimeZone;
use serde_json::json;
use spot::model::*;

use super::*;

pub async fn relation_history_spans_the_range(h: &impl Harness) {
    let f = h.fresh();
    let store = f.store.as_ref();
    obs("kubernetes", "dc1", 1).relation("service:a", "deploys", "workload:dc1/a", json!({})).into(store).await;
    obs("kubernetes", "dc1", 3).relation("service:a", "deploys", "workload:dc1/a2", json!({})).into(store).await;
    let all = store.relation_history("service:a", Direction::Out, &["deploys".into()], d(0), d(9)).await.unwrap();
    let seen: Vec<_> = all.iter().map(|r| (r.to.as_str(), r.valid_from, r.valid_to)).collect();
    assert_eq!(seen, [("workload:dc1/a", d(1), d(3)), ("workload:dc1/a2", d(3), Day::OPEN)]);
    let early = store.relation_history("service:a", Direction::Out, &[], d(0), d(2)).await.unwrap();
    assert_eq!(early.len(), 1);
    let incoming = store.relation_history("workload:dc1/a2", Direction::In, &[], d(0), d(9)).await.unwrap();
    assert_eq!(incoming[0].from, "service:a");
}

pub async fn neighbours_map_many_entities_at_once(h: &impl Harness) {
    let f = h.fresh();
    let store = f.store.as_ref();
    obs("github", "acme", 1)
        .relation("team:x", "owns", "repo:a", json!({}))
        .relation("team:y", "owns", "repo:b", json!({}))
        .relation("team:y", "owns", "repo:c", json!({}))
        .into(store)
        .await;
    let keys: Vec<String> = ["repo:a", "repo:b", "repo:nope"].map(String::from).to_vec();
    let owners = store.neighbours(&keys, &EdgeRule::new("owns", Direction::In), d(1)).await.unwrap();
    assert_eq!(owners, [("repo:a".to_string(), "team:x".to_string()), ("repo:b".to_string(), "team:y".to_string())]);
    assert!(store.neighbours(&keys, &EdgeRule::new("owns", Direction::In), d(0)).await.unwrap().is_empty());
}

/// Three SonarQube projects on day 1 (c without coverage); on day 2 only
/// a, at a new coverage.
async fn sonar_projects_over_two_days(store: &dyn Store) {
    obs("sonarqube", "sonar", 1)
        .entity("sonar_project:a", json!({"coverage": 80.5, "gate": {"status": "OK"}}))
        .entity("sonar_project:b", json!({"coverage": 40}))
        .entity("sonar_project:c", json!({}))
        .into(store)
        .await;
    obs("sonarqube", "sonar", 2).entity("sonar_project:a", json!({"coverage": 81})).into(store).await;
}

pub async fn attribute_values_cover_a_kind_on_a_day(h: &impl Harness) {
    let f = h.fresh();
    let store = f.store.as_ref();
    sonar_projects_over_two_days(store).await;
    let day1 = store.attribute_values("sonar_project", "coverage", None, d(1)).await.unwrap();
    let seen: Vec<_> = day1.iter().map(|v| (v.key.as_str(), v.value.clone())).collect();
    assert_eq!(
        seen,
        [("sonar_project:a", json!(80.5)), ("sonar_project:b", json!(40))],
        "entities without it are left out"
    );
    let day2 = store.attribute_values("sonar_project", "coverage", Some("sonarqube"), d(2)).await.unwrap();
    assert_eq!(day2.len(), 1);
    let nested = store.attribute_values("sonar_project", "gate.status", None, d(1)).await.unwrap();
    assert_eq!(nested[0].value, json!("OK"));
}

pub async fn attribute_value_versions_cover_a_range(h: &impl Harness) {
    let f = h.fresh();
    let store = f.store.as_ref();
    sonar_projects_over_two_days(store).await;
    obs("manual", "sheet", 1).entity("sonar_project:b", json!({"coverage": 99})).into(store).await;
    let versions = store.attribute_value_versions("sonar_project", "coverage", d(1), d(2)).await.unwrap();
    let seen: Vec<_> = versions
        .iter()
        .map(|v| (v.key.as_str(), v.source.as_str(), v.value.clone(), v.valid_from, v.valid_to))
        .collect();
    assert_eq!(
        seen,
        [
            ("sonar_project:a", "sonarqube", json!(80.5), d(1), d(2)),
            ("sonar_project:a", "sonarqube", json!(81), d(2), Day::OPEN),
            ("sonar_project:b", "manual", json!(99), d(1), Day::OPEN),
            ("sonar_project:b", "sonarqube", json!(40), d(1), d(2)),
        ],
        "every version in the range by entity then source; c has no coverage"
    );
    for n in [1, 2] {
        let picked: Vec<_> =
            AttributeValueVersion::on(&versions, d(n)).into_iter().map(|v| (v.key.clone(), v.value.clone())).collect();
        let read: Vec<_> = store
            .attribute_values("sonar_project", "coverage", None, d(n))
            .await
            .unwrap()
            .into_iter()
            .map(|v| (v.key, v.value))
            .collect();
        assert_eq!(picked, read, "on day {n}, the versions give what attribute_values reads");
    }
    let nested = store.attribute_value_versions("sonar_project", "gate.status", d(1), d(1)).await.unwrap();
    assert_eq!(nested.len(), 1);
    assert_eq!(nested[0].value, json!("OK"));
    assert!(store.attribute_value_versions("sonar_project", "coverage", d(0), d(0)).await.unwrap().is_empty());
    assert!(
        store.attribute_value_versions("sonar_project", "a..b", d(1), d(1)).await.is_err(),
        "a bad path is refused"
    );
    assert!(store.attribute_value_versions("sonar_project", "coverage", d(2), d(1)).await.is_err());
}

pub async fn relation_spans_cover_a_range(h: &impl Harness) {
    let f = h.fresh();
    let store = f.store.as_ref();
    uses_of_x_over_two_days(store).await;
    let spans = store.relation_spans("uses", d(1), d(2)).await.unwrap();
    let seen: Vec<_> = spans.iter().map(|s| (s.from.as_str(), s.valid_from, s.valid_to)).collect();
    assert_eq!(
        seen,
        [
            ("repo:a", d(1), d(2)),
            ("repo:a", d(2), Day::OPEN),
            ("repo:b", d(1), d(2)),
            ("repo:b", d(1), Day::OPEN),
            ("repo:c", d(1), d(2)),
        ],
        "every version of every use, attributes or not, by relation then start"
    );
    assert!(spans.iter().all(|s| s.to == "package:npm/x"));
    let on_day_2: Vec<_> =
        store.relation_spans("uses", d(2), d(2)).await.unwrap().into_iter().map(|s| s.from).collect();
    assert_eq!(on_day_2, ["repo:a", "repo:b"], "only what holds on day 2");
    let keys = vec!["repo:a".to_string(), "repo:b".to_string(), "repo:c".to_string()];
    let uses = EdgeRule::new("uses", Direction::Out);
    for n in [1, 2] {
        let mut from_spans: Vec<(String, String)> = spans
            .iter()
            .filter(|s| s.valid_from <= d(n) && d(n) < s.valid_to)
            .map(|s| (s.from.clone(), s.to.clone()))
            .collect();
        from_spans.dedup();
        assert_eq!(from_spans, store.neighbours(&keys, &uses, d(n)).await.unwrap(), "day {n} as neighbours reads it");
    }
    assert!(store.relation_spans("uses", d(2), d(1)).await.is_err(), "a backwards range is refused");
}

pub async fn entities_of_kind_come_with_the_sources_that_see_them(h: &impl Harness) {
    let f = h.fresh();
    let store = f.store.as_ref();
    obs("github", "acme", 1)
        .entity("service:billing", json!({"tier": 1}))
        .entity("service:ledger", json!({}))
        .entity("repo:billing", json!({}))
        .relation("repo:billing", "builds", "service:search", json!({}))
        .into(store)
        .await;
    for dc in ["dc1", "dc2"] {
        obs("consul", dc, 1).entity("service:billing", json!({"instances": 2})).into(store).await;
    }
    obs("consul", "dc1", 2).entity("service:mail-relay", json!({})).into(store).await;
    let seen = |found: Vec<SeenEntity>| -> Vec<(String, String, Vec<String>)> {
        found.into_iter().map(|s| (s.entity.key, s.entity.name, s.sources)).collect()
    };
    let day1 = seen(store.entities_of_kind("service", d(1)).await.unwrap());
    assert_eq!(
        day1,
        [
            ("service:billing".to_string(), "billing".to_string(), vec!["consul".to_string(), "github".to_string()]),
            ("service:ledger".to_string(), "ledger".to_string(), vec!["github".to_string()]),
        ],
        "each source once however many scopes; an entity only at the end of a relation is not alive"
    );
    let day2 = seen(store.entities_of_kind("service", d(2)).await.unwrap());
    let keys: Vec<&str> = day2.iter().map(|(key, _, _)| key.as_str()).collect();
    assert_eq!(keys, ["service:billing", "service:ledger", "service:mail-relay"], "by key");
    assert_eq!(day2[0].2, ["consul", "github"], "dc2 still sees billing on day 2: {day2:?}");
    assert!(store.entities_of_kind("service", d(0)).await.unwrap().is_empty());
    assert!(store.entities_of_kind("nothing", d(1)).await.unwrap().is_empty());
}

/// Three repositories using `package:npm/x` on day 1 (one through a
/// second source too, one without a version); on day 2 github sees only
/// repo:a's use, at a new version.
async fn uses_of_x_over_two_days(store: &dyn Store) {
    let repos = |o: Obs| o.entity("repo:a", json!({})).entity("repo:b", json!({})).entity("repo:c", json!({}));
    repos(obs("github", "acme", 1))
        .relation("repo:a", "uses", "package:npm/x", json!({"resolved": "1.0.0", "lock": {"integrity": "sha-a"}}))
        .relation("repo:b", "uses", "package:npm/x", json!({"resolved": "2.0.0"}))
        .relation("repo:c", "uses", "package:npm/x", json!({}))
        .relation("repo:a", "publishes", "package:npm/y", json!({"resolved": "9.9.9"}))
        .into(store)
        .await;
    obs("renovate", "acme", 1)
        .relation("repo:b", "uses", "package:npm/x", json!({"resolved": "2.0.1"}))
        .into(store)
        .await;
    repos(obs("github", "acme", 2))
        .relation("repo:a", "uses", "package:npm/x", json!({"resolved": "1.1.0"}))
        .into(store)
        .await;
}

pub async fn relation_values_cover_a_kind_on_a_day(h: &impl Harness) {
    let f = h.fresh();
    let store = f.store.as_ref();
    uses_of_x_over_two_days(store).await;
    let seen = |values: Vec<RelationValue>| {
        values.into_iter().map(|v| (v.from, v.to, v.value)).collect::<Vec<(String, String, serde_json::Value)>>()
    };
    let x = || "package:npm/x".to_string();
    assert_eq!(
        seen(store.relation_values("uses", "resolved", d(1)).await.unwrap()),
        [("repo:a".into(), x(), json!("1.0.0")), ("repo:b".into(), x(), json!("2.0.0"))],
        "one value per relation, the first source by name wins, relations without it are left out"
    );
    assert_eq!(
        seen(store.relation_values("uses", "resolved", d(2)).await.unwrap()),
        [("repo:a".into(), x(), json!("1.1.0")), ("repo:b".into(), x(), json!("2.0.1"))],
        "as of the day: github closed repo:b's use, renovate still sees it"
    );
    let nested = store.relation_values("uses", "lock.integrity", d(1)).await.unwrap();
    assert_eq!(seen(nested), [("repo:a".into(), x(), json!("sha-a"))]);
    assert!(store.relation_values("uses", "resolved", d(0)).await.unwrap().is_empty());
    assert!(store.relation_values("uses", "a..b", d(1)).await.is_err(), "a bad path is refused");
}

pub async fn relation_value_versions_cover_a_range(h: &impl Harness) {
    let f = h.fresh();
    let store = f.store.as_ref();
    uses_of_x_over_two_days(store).await;
    let versions = store.relation_value_versions("uses", "resolved", d(1), d(2)).await.unwrap();
    let seen: Vec<_> = versions
        .iter()
        .map(|v| (v.from.as_str(), v.source.as_str(), v.value.clone(), v.valid_from, v.valid_to))
        .collect();
    assert_eq!(
        seen,
        [
            ("repo:a", "github", json!("1.0.0"), d(1), d(2)),
            ("repo:a", "github", json!("1.1.0"), d(2), Day::OPEN),
            ("repo:b", "github", json!("2.0.0"), d(1), d(2)),
            ("repo:b", "renovate", json!("2.0.1"), d(1), Day::OPEN),
        ],
        "every version in the range, by relation then source; repo:c's use has no resolved version"
    );
    let on = |n: i32| -> Vec<(String, serde_json::Value)> {
        RelationValueVersion::on(&versions, d(n)).into_iter().map(|v| (v.from.clone(), v.value.clone())).collect()
    };
    assert_eq!(on(1), [("repo:a".into(), json!("1.0.0")), ("repo:b".into(), json!("2.0.0"))], "the first source wins");
    assert_eq!(
        on(2),
        [("repo:a".into(), json!("1.1.0")), ("repo:b".into(), json!("2.0.1"))],
        "github no longer sees repo:b's use on day 2; renovate still does"
    );
    assert_eq!(
        store.relation_value_versions("uses", "resolved", d(2), d(2)).await.unwrap().len(),
        2,
        "only what holds on day 2"
    );
    let nested = store.relation_value_versions("uses", "lock.integrity", d(1), d(1)).await.unwrap();
    assert_eq!(nested.len(), 1);
    assert_eq!(nested[0].value, json!("sha-a"));
    assert!(store.relation_value_versions("uses", "resolved", d(0), d(0)).await.unwrap().is_empty());
    assert!(store.relation_value_versions("uses", "a..b", d(1), d(1)).await.is_err(), "a bad path is refused");
    assert!(store.relation_value_versions("uses", "resolved", d(2), d(1)).await.is_err(), "so is a backwards range");
}

pub async fn deploy_events_are_kept_and_filtered(h: &impl Harness) {
    let f = h.fresh();
    let store = f.store.as_ref();
    let at = |n: i32, hour: u32| {
        let date = d(n).date().unwrap();
        chrono::Utc.from_utc_datetime(&date.and_hms_opt(hour, 0, 0).unwrap())
    };
    for (cluster, version, n, hour) in [("dc1", "1.1", 1, 9), ("dc2", "1.1", 1, 17), ("dc1", "1.2", 3, 8)] {
        let event = DeployEvent {
            service: "service:a".into(),
            cluster: cluster.into(),
            version: version.into(),
            at: at(n, hour),
            link: Some(format!("https://ci.acme.internal/{version}")),
            actor: Some("orchestrator".into()),
            ..DeployEvent::default()
        };
        store.record_deployment(&event).await.unwrap();
    }
    let all = store.deployments("service:a", None, d(1), d(3)).await.unwrap();
    assert_eq!(
        all.iter().map(|e| (e.cluster.as_str(), e.version.as_str())).collect::<Vec<_>>(),
        [("dc1", "1.1"), ("dc2", "1.1"), ("dc1", "1.2")]
    );
    let dc1_day1 = store.deployments("service:a", Some("dc1"), d(1), d(1)).await.unwrap();
    assert_eq!(dc1_day1.len(), 1, "a day range covers whole days");
    assert_eq!(dc1_day1[0].at, at(1, 9));
    assert!(store.deployments("service:b", None, d(0), d(9)).await.unwrap().is_empty());
}

pub async fn a_deploy_reported_again_takes_its_outcome_and_keeps_the_rest(h: &impl Harness) {
    let f = h.fresh();
    let store = f.store.as_ref();
    let at = |n: i32, hour: u32, minute: u32| {
        let date = d(n).date().unwrap();
        chrono::Utc.from_utc_datetime(&date.and_hms_opt(hour, minute, 0).unwrap())
    };
    let started = DeployEvent {
        service: "service:a".into(),
        cluster: "dc1".into(),
        version: "2.0.0".into(),
        at: at(1, 9, 0),
        actor: Some("ana".into()),
        status: DeployStatus::Running,
        commit: Some("4f2a9c0e".into()),
        first_commit_at: Some(at(0, 15, 30)),
        commit_count: Some(3),
        workload: Some("workload:dc1/shop/Deployment/a".into()),
        ..DeployEvent::default()
    };
    let other = DeployEvent { service: "service:b".into(), cluster: "dc2".into(), at: at(2, 8, 0), ..started.clone() };
    store.record_deployments(&[started.clone(), other.clone()]).await.unwrap();
    let failed = DeployEvent {
        status: DeployStatus::Failed,
        finished_at: Some(at(1, 9, 12)),
        reason: Some("ProgressDeadlineExceeded".into()),
        actor: None,
        commit: None,
        first_commit_at: None,
        commit_count: None,
        workload: None,
        ..started.clone()
    };
    store.record_deployment(&failed).await.unwrap();
    let expected = DeployEvent { actor: started.actor.clone(), ..started.clone() };
    let expected = DeployEvent {
        status: DeployStatus::Failed,
        finished_at: failed.finished_at,
        reason: failed.reason.clone(),
        ..expected
    };
    let window = DeployFilter { from: d(0).start(), to: d(3).start(), ..DeployFilter::default() };
    let everything = store.deploys(&window).await.unwrap();
    assert_eq!(everything, [expected.clone(), other.clone()], "one row per deploy, the second report's outcome");
    let of_b = DeployFilter { services: vec!["service:b".into()], ..window.clone() };
    assert_eq!(store.deploys(&of_b).await.unwrap(), [other]);
    let in_dc1 = DeployFilter { clusters: vec!["dc1".into()], ..window.clone() };
    assert_eq!(store.deploys(&in_dc1).await.unwrap(), [expected]);
    let before = DeployFilter { to: at(1, 9, 0), ..window.clone() };
    assert!(store.deploys(&before).await.unwrap().is_empty(), "the window's end is exclusive");
    let backwards = DeployFilter { from: window.to, to: window.from, ..window };
    assert!(matches!(store.deploys(&backwards).await, Err(spot::StoreError::BadRequest(_))));
}

pub async fn retention_drops_only_old_closed_versions_of_its_source(h: &impl Harness) {
    let f = h.fresh();
    let store = f.store.as_ref();
    obs("sonarqube", "sq", 1).entity("sonar_project:a", json!({"coverage": 10})).into(store).await;
    obs("consul", "dc1", 1).entity("service:a", json!({"passing": 1})).into(store).await;
    obs("consul", "dc1", 2).entity("service:a", json!({"passing": 2})).into(store).await;
    obs("sonarqube", "sq", 2)
        .entity("sonar_project:a", json!({"coverage": 20}))
        .relation("sonar_project:a", "measures", "repo:a", json!({}))
        .into(store)
        .await;
    obs("sonarqube", "sq", 5).entity("sonar_project:a", json!({"coverage": 50})).into(store).await;
    // Sonar's versions closed on day 2 (coverage 10) and day 5 (coverage 20,
    // the relation); cut everything closed before day 3.
    let pruned = store.prune("sonarqube", d(3)).await.unwrap();
    assert_eq!((pruned.fact_versions, pruned.relation_versions), (1, 0));
    assert_eq!(facts_of(store, "sonar_project:a", 1, "sonarqube").await, None, "day 1 is forgotten");
    assert_eq!(facts_of(store, "sonar_project:a", 2, "sonarqube").await, Some(json!({"coverage": 20})));
    assert_eq!(facts_of(store, "sonar_project:a", 6, "sonarqube").await, Some(json!({"coverage": 50})));
    assert_eq!(facts_of(store, "service:a", 1, "consul").await, Some(json!({"passing": 1})), "other sources stay");
    let pruned = store.prune("sonarqube", d(6)).await.unwrap();
    assert_eq!((pruned.fact_versions, pruned.relation_versions), (1, 1));
    assert_eq!(
        facts_of(store, "sonar_project:a", 9, "sonarqube").await,
        Some(json!({"coverage": 50})),
        "open versions stay"
    );
    // The next run diffs against the open versions as before.
    let run = obs("sonarqube", "sq", 9).entity("sonar_project:a", json!({"coverage": 50})).into(store).await;
    assert_eq!(run.counts.unchanged, 1);
}
