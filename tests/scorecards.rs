//! Scorecards over the GraphQL API of a real server, on a small
//! hand-written history whose every figure was worked out by hand: every
//! operator, aggregate and built-in of docs/scorecards.md, levels, a day a
//! source failed, trends, what rose and fell, and since when a rule fails.
//!
//! Team pay owns billing and ledger; search is nobody's. Billing is silver
//! on day 3, gold on day 5 (dc2 catches up with dc1's version), and falls
//! to bronze on day 9 (its coverage drops under 60). SonarQube's run fails
//! on day 8: its last values carry forward, and the explanations say so.

#[path = "conformance/builder.rs"]
#[allow(dead_code)]
mod builder;
#[path = "support/graphql.rs"]
#[allow(dead_code)]
mod graphql;

use builder::{d, obs};
use chrono::Duration;
use graphql::Api;
use serde_json::{json, Value};
use spot::config::Config;
use spot::model::{DeployEvent, DeployStatus};
use spot::{SqliteStore, Store};

const CARD: &str = r#"
name = "test-card"
description = "Every operator, aggregate and built-in."
levels = ["bronze", "silver", "gold"]

[[rules]]
id = "owned"
level = "bronze"
path = [{ kind = "owns", direction = "in" }]
aggregate = "count"
op = ">="
value = 1

[[rules]]
id = "lifecycle-set"
level = "bronze"
attribute = "lifecycle"
op = "exists"

[[rules]]
id = "tier-known"
level = "bronze"
attribute = "tier"
op = "in"
value = [1, 2, 3]

[[rules]]
id = "not-retired"
level = "bronze"
attribute = "lifecycle"
op = "!="
value = "retired"

[[rules]]
id = "coverage-min"
level = "silver"
path = [{ kind = "builds", direction = "in" }, { kind = "measures", direction = "in" }]
attribute = "coverage"
aggregate = "min"
op = ">="
value = 60

[[rules]]
id = "gate-all"
level = "silver"
path = [{ kind = "builds", direction = "in" }, { kind = "measures", direction = "in" }]
attribute = "quality_gate"
aggregate = "all"
op = "="
value = "OK"

[[rules]]
id = "runbook-any"
level = "silver"
path = [{ kind = "documents", direction = "in" }]
attribute = "title"
aggregate = "any"
op = "matches"
value = "(?i)runbook"

[[rules]]
id = "no-deprecated-docs"
level = "silver"
path = [{ kind = "documents", direction = "in" }]
attribute = "title"
aggregate = "none"
op = "matches"
value = "(?i)deprecated"

[[rules]]
id = "critical-below"
level = "silver"
attribute = "critical"
op = "<"
value = 1

[[rules]]
id = "clusters"
level = "gold"
path = [{ kind = "deploys", direction = "out" }, { kind = "runs_in", direction = "out" }]
aggregate = "count"
op = ">"
value = 1

[[rules]]
id = "replicas-max"
level = "gold"
path = [{ kind = "deploys", direction = "out" }]
attribute = "replicas.ready"
aggregate = "max"
op = "<="
value = 10

[[rules]]
id = "one-version"
level = "gold"
builtin = "versions_running"
op = "<="
value = 1

[[rules]]
id = "docs-fresh"
level = "gold"
builtin = "doc_age_days"
op = "<"
value = 30

[[rules]]
id = "majors"
level = "gold"
builtin = "majors_behind"
op = "<="
value = 1

[[rules]]
id = "cfr"
level = "gold"
builtin = "change_failure_rate"
op = "<="
value = 0.34

[[rules]]
id = "frequency"
level = "gold"
builtin = "deploys_per_week"
op = ">="
value = 0.4

[[rules]]
id = "lead"
level = "gold"
builtin = "lead_time_hours"
op = "<="
value = 48

[[rules]]
id = "restore"
level = "gold"
builtin = "time_to_restore_hours"
op = "<="
value = 1

[[rules]]
id = "datacenters"
level = "gold"
builtin = "datacenters"
op = ">="
value = 2
"#;

const BILLING_REPO: &str = "repo:github.com/acme/billing";
const PLATFORM_REPO: &str = "repo:github.com/acme/platform";

/// GitHub's view, the same every day it runs.
fn github(n: i32) -> builder::Obs {
    obs("github", "acme", n)
        .entity("team:pay", json!({}))
        .entity("service:billing", json!({"tier": 1, "lifecycle": "production"}))
        .entity("service:ledger", json!({"tier": 4, "lifecycle": "retired"}))
        .entity("service:search", json!({}))
        .entity(BILLING_REPO, json!({}))
        .entity(PLATFORM_REPO, json!({}))
        .relation(BILLING_REPO, "builds", "service:billing", json!({}))
        .relation(PLATFORM_REPO, "builds", "service:ledger", json!({}))
        .relation(PLATFORM_REPO, "builds", "service:search", json!({}))
        .relation("team:pay", "owns", "service:billing", json!({}))
        .relation("team:pay", "owns", "service:ledger", json!({}))
        .entity("package:npm/left-pad", json!({"latest": "3.0.0"}))
        .entity("package:npm/chalk", json!({"latest": "5.1.0"}))
        // Billing is one major behind, the platform one, search's own four.
        .relation(BILLING_REPO, "uses", "package:npm/left-pad", json!({"resolved": "2.4.0"}))
        .relation(PLATFORM_REPO, "uses", "package:npm/left-pad", json!({"resolved": "2.9.0"}))
        .relation("service:search", "uses", "package:npm/chalk", json!({"resolved": "1.0.0"}))
}

/// SonarQube's view; billing's coverage drops to 58 on day 9.
fn sonarqube(n: i32, billing_coverage: f64) -> builder::Obs {
    obs("sonarqube", "sonar", n)
        .entity("sonar_project:billing", json!({"coverage": billing_coverage, "quality_gate": "OK"}))
        .relation("sonar_project:billing", "measures", BILLING_REPO, json!({}))
        .entity("sonar_project:platform", json!({"coverage": 41.5, "quality_gate": "ERROR"}))
        .relation("sonar_project:platform", "measures", PLATFORM_REPO, json!({}))
        // Measures search itself: not on the path builds ← measures ←.
        .entity("sonar_project:search", json!({"coverage": 80, "quality_gate": "OK"}))
        .relation("sonar_project:search", "measures", "service:search", json!({}))
}

/// Billing's dc2 runs 1.1.0 until day 5, then dc1's 1.0.0.
fn kubernetes(cluster: &str, n: i32, billing: Option<&str>, ledger: bool) -> builder::Obs {
    let datacenter = if cluster == "dc1" { "fra" } else { "ams" };
    let mut o = obs("kubernetes", cluster, n).entity(&format!("cluster:{cluster}"), json!({"datacenter": datacenter}));
    if let Some(version) = billing {
        let workload = format!("workload:{cluster}/pay/Deployment/billing");
        let ready = if cluster == "dc1" { 3 } else { 2 };
        o = o
            .entity(&workload, json!({"version": version, "replicas": {"ready": ready}}))
            .relation("service:billing", "deploys", &workload, json!({}))
            .relation(&workload, "runs_in", &format!("cluster:{cluster}"), json!({}));
    }
    if ledger {
        let workload = format!("workload:{cluster}/pay/Deployment/ledger");
        o = o
            .entity(&workload, json!({"version": "2.0.0", "replicas": {"ready": 12}}))
            .relation("service:ledger", "deploys", &workload, json!({}))
            .relation(&workload, "runs_in", &format!("cluster:{cluster}"), json!({}));
    }
    o
}

/// Billing's deploys to dc1: a change with a 24 h 10 min lead time, a
/// failed one, and its fix 30 minutes later (restored after 40 minutes).
fn deploys() -> Vec<DeployEvent> {
    let at = |n: i32, hour: i64, minute: i64| d(n).start() + Duration::hours(hour) + Duration::minutes(minute);
    let deploy = |version: &str, start, minutes| DeployEvent {
        service: "service:billing".into(),
        cluster: "dc1".into(),
        version: version.into(),
        at: start,
        finished_at: Some(start + Duration::minutes(minutes)),
        ..DeployEvent::default()
    };
    vec![
        DeployEvent { first_commit_at: Some(at(0, 10, 0)), ..deploy("1.0.0", at(1, 10, 0), 10) },
        DeployEvent {
            status: DeployStatus::Failed,
            reason: Some("stalled".into()),
            ..deploy("1.1.0", at(2, 10, 0), 5)
        },
        deploy("1.1.1", at(2, 10, 30), 10),
    ]
}

async fn history(store: &dyn Store) {
    github(1).into(store).await;
    sonarqube(1, 72.5).into(store).await;
    obs("confluence", "ENG", 1)
        .entity("doc:confluence/1", json!({"title": "Billing runbook", "updated": "2022-01-09T08:00:00Z"}))
        .relation("doc:confluence/1", "documents", "service:billing", json!({}))
        .entity("doc:confluence/2", json!({"title": "Ledger deprecated design", "updated": "2021-12-01"}))
        .relation("doc:confluence/2", "documents", "service:ledger", json!({}))
        .into(store)
        .await;
    obs("consul", "dc1", 1)
        .entity("service:billing", json!({"critical": 0}))
        .entity("service:ledger", json!({"critical": 2}))
        .into(store)
        .await;
    kubernetes("dc1", 1, Some("1.0.0"), true).into(store).await;
    kubernetes("dc2", 1, Some("1.1.0"), false).into(store).await;
    kubernetes("dc2", 5, Some("1.0.0"), false).into(store).await;
    store.record_failure("sonarqube", "sonar", d(8), "502 Bad Gateway").await.unwrap();
    sonarqube(9, 58.0).into(store).await;
    github(12).into(store).await;
    store.record_deployments(&deploys()).await.unwrap();
}

async fn server() -> Api {
    let dir = tempfile::tempdir().unwrap();
    let card = dir.path().join("test-card.toml");
    std::fs::write(&card, CARD).unwrap();
    let store = SqliteStore::open(dir.path().join("spot.db")).unwrap();
    history(&store).await;
    let mut config = Config::default();
    config.scorecards.paths = vec![card];
    graphql::serve(&config, store, dir).await
}

fn date(n: i32) -> String {
    d(n).to_string()
}

/// (rule, passed, value) of each rule of a score.
fn outcomes(score: &Value) -> Vec<(String, bool, Option<String>)> {
    score["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (r["rule"].as_str().unwrap().into(), r["passed"].as_bool().unwrap(), r["value"].as_str().map(Into::into))
        })
        .collect()
}

fn expected(rows: &[(&str, bool, Option<&str>)]) -> Vec<(String, bool, Option<String>)> {
    rows.iter().map(|(rule, passed, value)| (rule.to_string(), *passed, value.map(Into::into))).collect()
}

async fn score(api: &Api, service: &str, n: i32) -> Value {
    let query = format!(
        r#"{{ score(service: "{service}", scorecard: "test-card", at: "{}") {{
            service key team level nextLevel passed total
            rules {{ rule level passed value explanation failingSince carriedForward }} }} }}"#,
        date(n)
    );
    api.data(&query).await["score"].clone()
}

#[tokio::test]
async fn every_operator_aggregate_and_builtin_reads_what_was_worked_out_by_hand() {
    let api = server().await;
    let billing = score(&api, "billing", 3).await;
    assert_eq!(
        outcomes(&billing),
        expected(&[
            ("owned", true, Some("1")),
            ("lifecycle-set", true, Some("\"production\"")),
            ("tier-known", true, Some("1")),
            ("not-retired", true, Some("\"production\"")),
            ("coverage-min", true, Some("72.5")),
            ("gate-all", true, Some("1 of 1 pass")),
            ("runbook-any", true, Some("1 of 1 pass")),
            ("no-deprecated-docs", true, Some("0 of 1 pass")),
            ("critical-below", true, Some("0")),
            ("clusters", true, Some("2")),
            ("replicas-max", true, Some("3")),
            ("one-version", false, Some("2")),
            ("docs-fresh", true, Some("2")),
            ("majors", true, Some("1")),
            // 1 failed change of 3; 2 deploys in 30 days; a 24 h 10 min lead; restored in 40 min.
            ("cfr", true, Some("0.333")),
            ("frequency", true, Some("0.5")),
            ("lead", true, Some("24.2")),
            ("restore", true, Some("0.7")),
            // dc1 in fra, dc2 in ams.
            ("datacenters", true, Some("2")),
        ])
    );
    assert_eq!((billing["level"].as_str(), billing["nextLevel"].as_str()), (Some("silver"), Some("gold")));
    assert_eq!((billing["passed"].as_i64(), billing["total"].as_i64()), (Some(18), Some(19)));
    assert_eq!(billing["team"], "pay");

    let ledger = score(&api, "ledger", 3).await;
    assert_eq!(
        outcomes(&ledger),
        expected(&[
            ("owned", true, Some("1")),
            ("lifecycle-set", true, Some("\"retired\"")),
            ("tier-known", false, Some("4")),
            ("not-retired", false, Some("\"retired\"")),
            ("coverage-min", false, Some("41.5")),
            ("gate-all", false, Some("0 of 1 pass")),
            ("runbook-any", false, Some("0 of 1 pass")),
            ("no-deprecated-docs", false, Some("1 of 1 pass")),
            ("critical-below", false, Some("2")),
            ("clusters", false, Some("1")),
            ("replicas-max", false, Some("12")),
            ("one-version", true, Some("1")),
            // 2021-12-01 to 2022-01-11.
            ("docs-fresh", false, Some("41")),
            ("majors", true, Some("1")),
            // No deploys: no rate, no lead time, nothing to restore.
            ("cfr", false, None),
            ("frequency", false, Some("0")),
            ("lead", false, None),
            ("restore", false, None),
            ("datacenters", false, Some("1")),
        ])
    );
    assert_eq!(ledger["level"], Value::Null);
    assert_eq!(ledger["nextLevel"], "bronze");

    let search = score(&api, "search", 3).await;
    assert_eq!(
        outcomes(&search),
        expected(&[
            ("owned", false, Some("0")),
            // A missing value fails every operator but `exists`, which it also fails.
            ("lifecycle-set", false, None),
            ("tier-known", false, None),
            ("not-retired", false, None),
            // Its own project measures the service, not the repository the path reaches.
            ("coverage-min", false, Some("41.5")),
            ("gate-all", false, Some("0 of 1 pass")),
            // Nothing reached: `any` fails, `none` passes.
            ("runbook-any", false, Some("0 of 0 pass")),
            ("no-deprecated-docs", true, Some("0 of 0 pass")),
            ("critical-below", false, None),
            ("clusters", false, Some("0")),
            ("replicas-max", false, None),
            ("one-version", true, Some("0")),
            ("docs-fresh", false, None),
            // Its own use of chalk 1.0.0 against 5.1.0.
            ("majors", false, Some("4")),
            ("cfr", false, None),
            ("frequency", false, Some("0")),
            ("lead", false, None),
            ("restore", false, None),
            ("datacenters", false, Some("0")),
        ])
    );
    assert_eq!(search["team"], Value::Null);
}

#[tokio::test]
async fn every_rule_explains_itself_and_every_outcome_says_what_it_saw() {
    let api = server().await;
    let cards = api.data("{ scorecards { name description levels rules { id level explanation } } }").await;
    let card = &cards["scorecards"][0];
    assert_eq!(card["name"], "test-card");
    assert_eq!(card["levels"], json!(["bronze", "silver", "gold"]));
    let explanation = |id: &str| {
        card["rules"].as_array().unwrap().iter().find(|r| r["id"] == id).unwrap()["explanation"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(
        explanation("coverage-min"),
        "The lowest coverage of the sonar_project reached through builds (in) → measures (in) is at least 60."
    );
    assert_eq!(explanation("tier-known"), "The service's tier is one of 1, 2, 3.");
    assert_eq!(explanation("one-version"), "The number of versions it runs across clusters is at most 1.");
    assert_eq!(explanation("owned"), "The number of team or user entities reached through owns (in) is at least 1.");

    let ledger = score(&api, "ledger", 3).await;
    let tier = ledger["rules"].as_array().unwrap().iter().find(|r| r["rule"] == "tier-known").unwrap().clone();
    assert_eq!(tier["explanation"], "The service's tier is one of 1, 2, 3. Seen: 4, so it fails.");
}

#[tokio::test]
async fn a_day_a_source_failed_reads_its_last_values_and_says_so() {
    let api = server().await;
    let billing = score(&api, "billing", 8).await;
    let coverage = billing["rules"].as_array().unwrap().iter().find(|r| r["rule"] == "coverage-min").unwrap().clone();
    assert_eq!(coverage["passed"], true);
    assert_eq!(coverage["value"], "72.5");
    let note = format!("sonarqube (sonar) failed on {}; its values from {} carry forward", date(8), date(1));
    assert_eq!(coverage["carriedForward"], json!([note]));
    assert!(coverage["explanation"].as_str().unwrap().ends_with(&format!("({note}.)")), "{coverage:#}");
    // What GitHub said is not SonarQube's, and carries no note.
    let owned = billing["rules"].as_array().unwrap().iter().find(|r| r["rule"] == "owned").unwrap().clone();
    assert_eq!(owned["carriedForward"], json!([]));
    // The next day SonarQube ran again: nothing is carried forward.
    let billing = score(&api, "billing", 9).await;
    assert!(billing["rules"].as_array().unwrap().iter().all(|r| r["carriedForward"] == json!([])));
}

#[tokio::test]
async fn a_level_needs_every_rule_of_it_and_below_and_a_failing_rule_says_since_when() {
    let api = server().await;
    let level = |score: &Value| score["level"].as_str().map(String::from);
    assert_eq!(level(&score(&api, "billing", 3).await).as_deref(), Some("silver"));
    assert_eq!(level(&score(&api, "billing", 5).await).as_deref(), Some("gold"));
    let fallen = score(&api, "billing", 12).await;
    assert_eq!(level(&fallen).as_deref(), Some("bronze"));
    let coverage = fallen["rules"].as_array().unwrap().iter().find(|r| r["rule"] == "coverage-min").unwrap().clone();
    assert_eq!((coverage["passed"].as_bool(), coverage["value"].as_str()), (Some(false), Some("58")));
    assert_eq!(coverage["failingSince"], date(9));
    // Failing as far back as the service goes: no day to name.
    let ledger = score(&api, "ledger", 12).await;
    let tier = ledger["rules"].as_array().unwrap().iter().find(|r| r["rule"] == "tier-known").unwrap().clone();
    assert_eq!(tier["failingSince"], date(1));
    assert!(ledger["rules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["passed"] == true)
        .all(|r| r["failingSince"].is_null()));
}

#[tokio::test]
async fn scores_rank_services_best_first_for_everyone_or_one_team() {
    let api = server().await;
    let names = |data: &Value| -> Vec<(String, Option<String>)> {
        data["scores"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| (s["service"].as_str().unwrap().into(), s["level"].as_str().map(Into::into)))
            .collect()
    };
    let all =
        api.data(&format!(r#"{{ scores(scorecard: "test-card", at: "{}") {{ service level }} }}"#, date(5))).await;
    assert_eq!(
        names(&all),
        vec![("billing".into(), Some("gold".into())), ("ledger".into(), None), ("search".into(), None)]
    );
    let team = api
        .data(&format!(r#"{{ scores(scorecard: "test-card", team: "pay", at: "{}") {{ service }} }}"#, date(5)))
        .await;
    assert_eq!(team["scores"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn a_trend_counts_levels_and_each_rules_passing_share_per_bucket() {
    let api = server().await;
    let query = format!(
        r#"{{ scoreTrend(scorecard: "test-card", from: "{}", to: "{}", bucket: DAY) {{
            bucket measuredOn services levels {{ level services }} rules {{ rule passing failing share }} }} }}"#,
        date(3),
        date(9)
    );
    let points = api.data(&query).await["scoreTrend"].as_array().unwrap().clone();
    assert_eq!(points.len(), 7);
    let levels = |n: usize| -> Vec<i64> {
        points[n]["levels"].as_array().unwrap().iter().map(|l| l["services"].as_i64().unwrap()).collect()
    };
    // Below bronze, bronze, silver, gold: billing silver, gold from day 5, bronze on day 9.
    assert_eq!(levels(0), vec![2, 0, 1, 0]);
    assert_eq!(levels(2), vec![2, 0, 0, 1]);
    assert_eq!(levels(6), vec![2, 1, 0, 0]);
    let one_version = &points[0]["rules"][11];
    assert_eq!(one_version["rule"], "one-version");
    // Ledger (1 version) and search (none) pass; billing runs two.
    assert_eq!((one_version["passing"].as_i64(), one_version["failing"].as_i64()), (Some(2), Some(1)));
    assert!((one_version["share"].as_f64().unwrap() - 2.0 / 3.0).abs() < 1e-9);

    let service = format!(
        r#"{{ scoreTrend(scorecard: "test-card", service: "billing", from: "{}", to: "{}", bucket: DAY) {{ levels {{ level services }} }} }}"#,
        date(4),
        date(5)
    );
    let points = api.data(&service).await["scoreTrend"].clone();
    assert_eq!(points[0]["levels"][2], json!({"level": "silver", "services": 1}));
    assert_eq!(points[1]["levels"][3], json!({"level": "gold", "services": 1}));
}

#[tokio::test]
async fn score_changes_name_who_rose_and_fell_and_the_rules_that_moved_them() {
    let api = server().await;
    let changes = |from: i32, to: i32| {
        format!(
            r#"{{ scoreChanges(scorecard: "test-card", from: "{}", to: "{}") {{
                service team fromLevel toLevel direction rules {{ rule passedBefore passedAfter }} }} }}"#,
            date(from),
            date(to)
        )
    };
    let rose = api.data(&changes(3, 5)).await["scoreChanges"].clone();
    assert_eq!(
        rose,
        json!([{ "service": "billing", "team": "pay", "fromLevel": "silver", "toLevel": "gold", "direction": "ROSE",
                 "rules": [{ "rule": "one-version", "passedBefore": false, "passedAfter": true }] }])
    );
    let fell = api.data(&changes(5, 9)).await["scoreChanges"].clone();
    assert_eq!(fell[0]["direction"], "FELL");
    assert_eq!(fell[0]["toLevel"], "bronze");
    assert_eq!(fell[0]["rules"], json!([{ "rule": "coverage-min", "passedBefore": true, "passedAfter": false }]));
}

#[tokio::test]
async fn unknown_scorecards_services_and_teams_are_named() {
    let api = server().await;
    let error = api.error(r#"{ score(service: "billing", scorecard: "gold-standard") { level } }"#).await;
    assert_eq!(error, "no scorecard named \"gold-standard\" (scorecards: test-card)");
    let error = api.error(r#"{ score(service: "nobody", scorecard: "test-card") { level } }"#).await;
    assert!(error.starts_with("no service service:nobody on "), "{error}");
    let error = api.error(r#"{ scores(scorecard: "test-card", team: "ghosts") { level } }"#).await;
    assert!(error.starts_with("no team team:ghosts on "), "{error}");
    let error = api
        .error(r#"{ scoreTrend(scorecard: "test-card", service: "billing", team: "pay", from: "2022-01-10") { services } }"#)
        .await;
    assert!(error.contains("not both"), "{error}");
}

#[tokio::test]
async fn a_service_page_reads_its_scores_on_every_scorecard() {
    let api = server().await;
    let query = format!(r#"{{ service(name: "billing", at: "{}") {{ scores {{ scorecard level }} }} }}"#, date(5));
    let data = api.data(&query).await;
    assert_eq!(data["service"]["scores"], json!([{ "scorecard": "test-card", "level": "gold" }]));
}

/// The schema over the test history, run in-process: the edge that puts a
/// `Deadline` in every request's data is the server's, so these tests put
/// one in themselves.
async fn schema_over_history() -> (spot::api::SpotSchema, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("spot.db")).unwrap();
    history(&store).await;
    let cards = spot::scorecards::Scorecards::read([(std::path::Path::new("test-card.toml"), CARD)]).unwrap();
    let scoring = spot::api::Scoring { scorecards: std::sync::Arc::new(cards), cache: Default::default() };
    let schema = spot::api::schema_with_scheduler(
        std::sync::Arc::new(store),
        spot::api::Limits::default(),
        Default::default(),
        None,
        Default::default(),
        Default::default(),
        scoring,
    );
    (schema, dir)
}

async fn run_until(schema: &spot::api::SpotSchema, query: &str, deadline: tokio::time::Instant) -> Value {
    let request = async_graphql::Request::new(query).data(spot::api::Deadline(deadline));
    let request = spot::api::request(schema, request, spot::api::Grants::all("test"));
    serde_json::to_value(schema.execute(request).await).unwrap()
}

#[tokio::test]
async fn scoring_stops_at_the_requests_deadline_with_a_timeout() {
    let (schema, _dir) = schema_over_history().await;
    let queries = [
        r#"{ scores(scorecard: "test-card", at: "2022-01-12") { service level } }"#.to_string(),
        format!(
            r#"{{ score(service: "billing", scorecard: "test-card", at: "{}") {{ rules {{ failingSince }} }} }}"#,
            date(12)
        ),
        format!(
            r#"{{ scoreTrend(scorecard: "test-card", from: "{}", to: "{}", bucket: DAY) {{ services }} }}"#,
            date(1),
            date(12)
        ),
        format!(r#"{{ scoreChanges(scorecard: "test-card", from: "{}", to: "{}") {{ service }} }}"#, date(3), date(9)),
    ];
    let past = tokio::time::Instant::now();
    let later = past + std::time::Duration::from_secs(60);
    for query in &queries {
        let stopped = run_until(&schema, query, past).await;
        assert_eq!(stopped["errors"][0]["extensions"]["code"], "TIMEOUT", "{query}: {stopped:#}");
        assert_eq!(stopped["errors"][0]["message"], "the request ran past its deadline (server.request_timeout_ms)");
    }
    // Scored days are cached: a day scored in time answers at once later.
    for query in &queries {
        let answered = run_until(&schema, query, later).await;
        assert!(answered.get("errors").is_none(), "{query}: {answered:#}");
    }
}

/// A scorecard of `rules` rules, each with an `in` list of `items` values.
fn card_of(name: &str, rules: usize, items: usize) -> String {
    let values: Vec<String> = (0..items).map(|i| i.to_string()).collect();
    let mut text = format!("name = \"{name}\"\nlevels = [\"bronze\"]\n");
    for i in 0..rules {
        text.push_str(&format!(
            "\n[[rules]]\nid = \"r{i}\"\nlevel = \"bronze\"\nattribute = \"tier\"\nop = \"in\"\nvalue = [{}]\n",
            values.join(", ")
        ));
    }
    text
}

#[test]
fn scorecards_past_their_limits_are_named_by_config_check_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    let many = write("many.toml", &card_of("many", 201, 1));
    let long_list = write("long-list.toml", &card_of("long-list", 1, 1_001));
    let huge = write("huge.toml", &format!("{}\n# {}\n", card_of("huge", 1, 1), "x".repeat(300_000)));
    let mut config = Config::default();
    config.scorecards.paths = vec![many.clone(), long_list.clone(), huge.clone()];
    let problems = spot::config::check::problems(&config);
    let line_of_rule = |n: usize| 3 + 7 * n + 1; // each rule is 7 lines, after a 3-line head
    assert_eq!(
        problems,
        [
            format!(
                "{}: {} bytes, more than scorecards.max_file_bytes (262144)",
                huge.display(),
                std::fs::metadata(&huge).unwrap().len()
            ),
            format!(
                "{}:{}: rules: 201 rules, more than scorecards.max_rules (200); this is the first beyond",
                many.display(),
                line_of_rule(200)
            ),
            format!("{}:9: rules[0].value: 1001 items, more than scorecards.max_in_items (1000)", long_list.display()),
        ]
    );
    // The keys move the limits; every scorecard's rules count towards the total.
    let (a, b) = (write("a.toml", &card_of("a", 10, 3)), write("b.toml", &card_of("b", 10, 3)));
    let config: Config = toml::from_str(&format!(
        "[scorecards]\npaths = [{:?}, {:?}]\nmax_rules = 10\nmax_total_rules = 15\nmax_in_items = 3\n",
        a.display().to_string(),
        b.display().to_string()
    ))
    .unwrap();
    assert_eq!(
        spot::config::check::problems(&config),
        [format!("{}: its 10 rules make 20 in all, more than scorecards.max_total_rules (15)", b.display())]
    );
}
