//! Team arguments of the API name a team as a person writes it (issue 32,
//! docs/api.md): a CODEOWNERS file that says `@acme/Payments` makes
//! `team:payments` (the collectors lower-case it), and `dora(team:)`,
//! `scores(team:)`, `scoreTrend(team:)`, `deploys(team:)`, `changes(team:)`
//! and the team page
//! (`team(name:)`) answer `Payments`, `@acme/Payments` and `team:Payments`
//! exactly as they answer `payments`. An unknown team is still an error
//! naming it.

#[path = "conformance/builder.rs"]
#[allow(dead_code)]
mod builder;
#[path = "support/graphql.rs"]
#[allow(dead_code)]
mod graphql;

use builder::{d, obs};
use chrono::Duration;
use collectors::manifests::codeowners::parse_codeowners;
use serde_json::{json, Value};
use spot::config::Config;
use spot::model::DeployEvent;
use spot::{SqliteStore, Store};

const CODEOWNERS: &str = "* @acme/Payments\n";

const CARD: &str = r#"
name = "owned"
description = "A service has an owner."
levels = ["bronze"]

[[rules]]
id = "owned"
level = "bronze"
path = [{ kind = "owns", direction = "in" }]
aggregate = "count"
op = ">="
value = 1
"#;

/// The key the collectors give the team CODEOWNERS names.
fn owners_team() -> String {
    let file = parse_codeowners("CODEOWNERS", CODEOWNERS);
    file.rules[0].owners[0].key()
}

async fn server() -> graphql::Api {
    let team = owners_team();
    assert_eq!(team, "team:payments", "CODEOWNERS keys teams lower case");
    let dir = tempfile::tempdir().unwrap();
    let card = dir.path().join("owned.toml");
    std::fs::write(&card, CARD).unwrap();
    let store = SqliteStore::open(dir.path().join("spot.db")).unwrap();
    for n in [1, 5] {
        obs("github", "acme", n)
            .entity(&team, json!({}))
            .entity("service:billing", json!({ "version": format!("1.{n}.0") }))
            .entity("service:search", json!({ "version": format!("3.{n}.0") }))
            .relation(&team, "owns", "service:billing", json!({}))
            .into(&store)
            .await;
    }
    let at = |n: i32, hour: i64| d(n).start() + Duration::hours(hour);
    let deploy = |service: &str, version: &str, n: i32| DeployEvent {
        service: service.into(),
        cluster: "dc1".into(),
        version: version.into(),
        at: at(n, 10),
        finished_at: Some(at(n, 10) + Duration::minutes(5)),
        first_commit_at: Some(at(n, 8)),
        ..DeployEvent::default()
    };
    store
        .record_deployments(&[
            deploy("service:billing", "1.0.0", 2),
            deploy("service:billing", "1.1.0", 3),
            deploy("service:search", "3.0.0", 3),
        ])
        .await
        .unwrap();
    let mut config = Config::default();
    config.scorecards.paths = vec![card];
    graphql::serve(&config, store, dir).await
}

/// Each query with `$TEAM` replaced by each way of writing the team.
async fn answers(api: &graphql::Api, query: &str) -> Vec<(String, Value)> {
    let mut all = Vec::new();
    for written in ["payments", "Payments", "@acme/Payments", "team:payments", "team:Payments", " PAYMENTS "] {
        let data = api.data(&query.replace("$TEAM", &serde_json::to_string(written).unwrap())).await;
        all.push((written.to_string(), data));
    }
    all
}

fn all_alike(answers: &[(String, Value)]) -> &Value {
    let (_, canonical) = &answers[0];
    for (written, data) in answers {
        assert_eq!(data, canonical, "{written:?} answers as \"payments\" does");
    }
    canonical
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dora_and_deploys_take_a_team_as_its_owners_file_writes_it() {
    let api = server().await;
    let window = format!(r#"from: "{}", to: "{}""#, d(1), d(5));
    let query = format!(
        r#"{{ dora(team: $TEAM, {window}) {{ subject overall {{ deploys changes deployingServices }} }}
              deploys(team: $TEAM, {window}) {{ totalCount edges {{ node {{ service version }} }} }} }}"#
    );
    let data = all_alike(&answers(&api, &query).await).clone();
    assert_eq!(data["dora"]["subject"], "team:payments");
    assert_eq!(data["dora"]["overall"]["deploys"], 2, "billing's two, not search's: {data}");
    assert_eq!(data["deploys"]["totalCount"], 2, "{data}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_take_a_team_as_its_owners_file_writes_it() {
    let api = server().await;
    let query = format!(
        r#"{{ changes(team: $TEAM, from: "{}", to: "{}", first: 10) {{ totalCount edges {{ node {{ key service }} }} }} }}"#,
        d(1),
        d(5)
    );
    let data = all_alike(&answers(&api, &query).await).clone();
    assert_eq!(
        data["changes"]["edges"],
        json!([{ "node": { "key": "service:billing", "service": "service:billing" } }]),
        "billing's new version, not search's: {data}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scores_and_their_trend_take_a_team_as_its_owners_file_writes_it() {
    let api = server().await;
    let query = format!(
        r#"{{ scores(scorecard: "owned", team: $TEAM, at: "{}") {{ service level team }}
              scoreTrend(scorecard: "owned", team: $TEAM, from: "{}", to: "{}", bucket: DAY) {{ levels {{ level services }} }}
              scoreChanges(scorecard: "owned", team: $TEAM, from: "{}", to: "{}") {{ service }} }}"#,
        d(5),
        d(1),
        d(5),
        d(1),
        d(5)
    );
    let data = all_alike(&answers(&api, &query).await).clone();
    assert_eq!(data["scores"], json!([{ "service": "billing", "level": "bronze", "team": "payments" }]));
    assert_eq!(data["scoreTrend"].as_array().unwrap().len(), 5, "{data}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_team_page_takes_a_team_as_its_owners_file_writes_it() {
    let api = server().await;
    let data = all_alike(&answers(&api, r#"{ team(name: $TEAM) { key name } }"#).await).clone();
    assert_eq!(data["team"], json!({ "key": "team:payments", "name": "payments" }));
    let page = api.data(r#"{ entity(key: "team:payments") { key name } }"#).await;
    assert_eq!(page["entity"], data["team"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_team_is_still_an_error_naming_it() {
    let api = server().await;
    let error = api.error(r#"{ scores(scorecard: "owned", team: "@acme/Nobody") { service } }"#).await;
    assert!(error.starts_with("no team team:nobody on "), "{error}");
    let error = api.error(r#"{ dora(team: "Nobody") { subject } }"#).await;
    assert!(error.contains("team:nobody"), "{error}");
    let none = api.data(r#"{ team(name: "Nobody") { key } }"#).await;
    assert_eq!(none["team"], Value::Null);
}
