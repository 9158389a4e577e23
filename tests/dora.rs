//! Delivery metrics, as docs/dora.md defines them, on a small hand-written
//! history whose every figure was worked out by hand (the worked example
//! in docs/dora.md), read through the GraphQL API of a real server.
//!
//! Production is dc1 and dc2, staging is stg; a next deploy within 60
//! minutes is a fix-forward. Team `shop` owns services a and b; c is
//! nobody's. The window is Monday 2026-03-02 to Sunday 2026-03-15.

#[path = "support/git.rs"]
#[allow(dead_code)] // each test binary uses its part
mod git;
#[path = "support/graphql.rs"]
#[allow(dead_code)] // each test binary uses its part
mod graphql;

use chrono::{DateTime, TimeZone, Utc};
use collectors::{ObservedEntity, ObservedRelation};
use serde_json::{json, Map, Value};
use spot::config::Config;
use spot::model::{Day, DeployEvent, DeployStatus};
use spot::{Observation, SqliteStore, Store};

fn at(day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
    let month = if day > 100 { 2 } else { 3 };
    Utc.with_ymd_and_hms(2026, month, day % 100, hour, minute, 0).unwrap()
}

/// A deploy of `service` to `cluster` started at `start`, finished
/// `minutes` later (`None`: no finish reported).
fn deploy(service: &str, cluster: &str, version: &str, start: DateTime<Utc>, minutes: Option<i64>) -> DeployEvent {
    DeployEvent {
        service: format!("service:{service}"),
        cluster: cluster.into(),
        version: version.into(),
        at: start,
        finished_at: minutes.map(|m| start + chrono::Duration::minutes(m)),
        link: Some(format!("https://ci.acme.example/{service}/{version}")),
        actor: Some("orchestrator".into()),
        ..DeployEvent::default()
    }
}

fn first_commit(event: DeployEvent, at: DateTime<Utc>) -> DeployEvent {
    DeployEvent { first_commit_at: Some(at), commit_count: Some(2), ..event }
}

fn failed(event: DeployEvent, reason: &str) -> DeployEvent {
    DeployEvent { status: DeployStatus::Failed, reason: Some(reason.into()), ..event }
}

/// The history of docs/dora.md's worked example, numbered as there.
fn history() -> Vec<DeployEvent> {
    vec![
        // 1: before the window, read only as what #2 follows.
        deploy("a", "dc1", "1.0.0", at(120, 10, 0), Some(5)),
        // 2: a change; lead 24 h 10 min.
        first_commit(deploy("a", "dc1", "1.1.0", at(2, 10, 0), Some(10)), at(1, 10, 0)),
        // 3: failed (stalled); restored by #4 at 10:04: 64 min.
        failed(
            first_commit(deploy("a", "dc1", "1.2.0", at(3, 9, 0), Some(15)), at(2, 12, 0)),
            "ProgressDeadlineExceeded: the rollout stalled",
        ),
        // 4: a rollback (back to 1.1.0): restores, is no change.
        deploy("a", "dc1", "1.1.0", at(3, 10, 0), Some(4)),
        // 5: fixed forward by #6, 30 minutes after it finished; restored
        // at 12:45: 45 min. Lead 24 h 10 min.
        first_commit(deploy("a", "dc1", "1.3.0", at(4, 12, 0), Some(10)), at(3, 12, 0)),
        // 6: the fix; lead 25 min.
        first_commit(deploy("a", "dc1", "1.3.1", at(4, 12, 40), Some(5)), at(4, 12, 20)),
        // 7: still running when #8 started: superseded, no change.
        DeployEvent { status: DeployStatus::Running, ..deploy("a", "dc1", "1.4.0", at(5, 9, 0), None) },
        // 8: lead 24 h.
        first_commit(deploy("a", "dc1", "1.4.1", at(5, 9, 3), Some(7)), at(4, 9, 10)),
        // 9: rolled back by #10; restored at 18:03: 3 h 3 min. No commits known.
        deploy("a", "dc1", "1.5.0", at(10, 15, 0), Some(6)),
        // 10: the rollback.
        deploy("a", "dc1", "1.4.1", at(10, 18, 0), Some(3)),
        // 11: after the window: not read.
        deploy("a", "dc1", "1.6.0", at(16, 9, 0), Some(5)),
        // 12: dc2; lead 25 h 8 min.
        first_commit(deploy("a", "dc2", "1.1.0", at(2, 11, 0), Some(8)), at(1, 10, 0)),
        // 13: failed, and nothing healthy followed: unrestored.
        failed(deploy("a", "dc2", "1.5.0", at(12, 8, 0), Some(20)), "CrashLoopBackOff"),
        // 14: staging only.
        deploy("a", "stg", "1.1.0", at(2, 9, 0), Some(2)),
        // 15: b; lead 3 days.
        first_commit(deploy("b", "dc1", "2.0.0", at(9, 14, 0), Some(30)), at(6, 14, 30)),
        // 16: c, nobody's; an orchestrator that reports no finish.
        deploy("c", "dc1", "0.1.0", at(11, 10, 0), None),
    ]
}

fn ownership() -> Observation {
    let mut obs = Observation::new("github", "acme", "2026-03-01".parse::<Day>().unwrap());
    let entity = |key: &str, kind: &str| ObservedEntity {
        key: key.into(),
        kind: kind.into(),
        name: key.split(':').nth(1).unwrap().into(),
        attrs: Map::new(),
    };
    obs.entities = vec![entity("team:shop", "team"), entity("service:a", "service"), entity("service:b", "service")];
    obs.entities.push(entity("service:c", "service"));
    let owns =
        |to: &str| ObservedRelation { from: "team:shop".into(), to: to.into(), kind: "owns".into(), attrs: Map::new() };
    obs.relations = vec![owns("service:a"), owns("service:b")];
    obs
}

async fn start() -> graphql::Api {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("spot.db")).unwrap();
    store.ingest(&ownership()).await.unwrap();
    store.record_deployments(&history()).await.unwrap();
    let mut config = Config::default();
    config.delivery.environments =
        [("production".into(), vec!["dc1".into(), "dc2".into()]), ("staging".into(), vec!["stg".into()])].into();
    config.delivery.fix_forward_minutes = 60;
    graphql::serve(&config, store, dir).await
}

const FIGURES: &str = "deploys changes failedChanges rollbacks deployingServices days deploysPerDay \
    changeFailureRate leadTimeSeconds leadTimeSamples timeToRestoreSeconds restored unrestored \
    bands { deploymentFrequency leadTime changeFailureRate timeToRestore }";
const WINDOW: &str = r#"from: "2026-03-02", to: "2026-03-15""#;

fn figures(deploys: u64, changes: u64, failed: u64, rollbacks: u64, services: u64, days: u64) -> Value {
    json!({
        "deploys": deploys, "changes": changes, "failedChanges": failed, "rollbacks": rollbacks,
        "deployingServices": services, "days": days,
    })
}

/// `expected`'s fields, and only those, must match.
fn assert_has(actual: &Value, expected: Value, what: &str) {
    for (field, value) in expected.as_object().unwrap() {
        assert_eq!(&actual[field], value, "{what}: {field} in {actual}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_organisation_in_production_over_two_weeks() {
    let api = start().await;
    let data = api.data(&format!("{{ dora({WINDOW}) {{ subject environment overall {{ {FIGURES} }} worstServices {{ service figures {{ changes failedChanges }} }} }} }}")).await;
    let dora = &data["dora"];
    assert_eq!(dora["subject"], "organisation");
    assert_eq!(dora["environment"], "production");
    let overall = &dora["overall"];
    // Changes: 2 3 5 6 8 9 12 13 15 16. Not 7 (superseded), 4 and 10
    // (rollbacks), 1 and 11 (outside), 14 (staging). 3 and 13 never ran.
    assert_has(overall, figures(8, 10, 4, 2, 3, 14), "organisation");
    assert_eq!(overall["deploysPerDay"], json!(8.0 / 14.0));
    assert_eq!(overall["changeFailureRate"], json!(0.4), "3, 5 (fixed forward), 9 (rolled back), 13");
    // Leads of 6, 8, 2, 5, 12, 15: 25 min, 24 h, 24 h 10 min twice, 25 h 8 min, 72 h: the 3rd.
    assert_eq!(overall["leadTimeSamples"], 6);
    assert_eq!(overall["leadTimeSeconds"], 87_000);
    // Restores of 5, 3, 9: 45 min, 64 min, 3 h 3 min: the 2nd. 13 is open.
    assert_eq!((overall["restored"].clone(), overall["unrestored"].clone()), (json!(3), json!(1)));
    assert_eq!(overall["timeToRestoreSeconds"], 3_840);
    // 8 deploys / 14 days / 3 services = 0.19 a day per service: weekly or better.
    assert_eq!(
        overall["bands"],
        json!({ "deploymentFrequency": "HIGH", "leadTime": "HIGH", "changeFailureRate": "LOW", "timeToRestore": "HIGH" })
    );
    let worst: Vec<&str> =
        dora["worstServices"].as_array().unwrap().iter().map(|s| s["service"].as_str().unwrap()).collect();
    assert_eq!(worst, ["service:a", "service:b", "service:c"], "a fails 4 of 7; b and c never, by key");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn by_week_each_deploy_falls_in_the_week_it_started() {
    let api = start().await;
    let data = api
        .data(&format!("{{ dora({WINDOW}, bucket: WEEK) {{ buckets {{ start end figures {{ {FIGURES} }} }} }} }}"))
        .await;
    let weeks = data["dora"]["buckets"].as_array().unwrap();
    assert_eq!(weeks.len(), 2);
    assert_eq!((weeks[0]["start"].as_str(), weeks[0]["end"].as_str()), (Some("2026-03-02"), Some("2026-03-08")));
    let first = &weeks[0]["figures"];
    assert_has(first, figures(5, 6, 2, 1, 1, 7), "first week: 2 3 5 6 8 12, rollback 4");
    assert_eq!(first["changeFailureRate"], json!(2.0 / 6.0));
    assert_eq!(first["leadTimeSeconds"], 87_000, "25 min, 24 h, 24 h 10 min ×2, 25 h 8 min");
    assert_eq!(first["timeToRestoreSeconds"], 2_700, "45 and 64 min: the 1st");
    let second = &weeks[1]["figures"];
    assert_has(second, figures(3, 4, 2, 1, 3, 7), "second week: 9 13 15 16, rollback 10");
    assert_eq!(second["changeFailureRate"], json!(0.5));
    assert_eq!((second["leadTimeSeconds"].clone(), second["leadTimeSamples"].clone()), (json!(259_200), json!(1)));
    assert_eq!((second["timeToRestoreSeconds"].clone(), second["unrestored"].clone()), (json!(10_980), json!(1)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_team_a_service_and_another_environment() {
    let api = start().await;
    let data = api
        .data(&format!(
            r#"{{
              team: dora(team: "shop", {WINDOW}) {{ subject overall {{ {FIGURES} }} }}
              b: dora(service: "b", {WINDOW}) {{ subject overall {{ {FIGURES} }} worstServices {{ service }} }}
              staging: dora(environment: "staging", {WINDOW}) {{ overall {{ deploys changes }} }}
            }}"#
        ))
        .await;
    assert_eq!(data["team"]["subject"], "team:shop");
    let team = &data["team"]["overall"];
    assert_has(team, figures(7, 9, 4, 2, 2, 14), "shop: everything but c's 16");
    assert_eq!(team["changeFailureRate"], json!(4.0 / 9.0));
    assert_eq!(team["deploysPerDay"], json!(0.5));
    assert_eq!(team["bands"]["deploymentFrequency"], "HIGH", "0.25 a day per service");
    let b = &data["b"]["overall"];
    assert_has(b, figures(1, 1, 0, 0, 1, 14), "b");
    assert_eq!(b["changeFailureRate"], json!(0.0));
    assert_eq!(b["leadTimeSeconds"], 259_200);
    assert_eq!(b["timeToRestoreSeconds"], Value::Null);
    assert_eq!(
        b["bands"],
        json!({ "deploymentFrequency": "MEDIUM", "leadTime": "HIGH", "changeFailureRate": "ELITE", "timeToRestore": null })
    );
    assert_eq!(data["b"]["worstServices"], json!([]), "one service has no ranking");
    assert_eq!(data["staging"]["overall"], json!({ "deploys": 1, "changes": 1 }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_deploy_says_how_it_ended() {
    let api = start().await;
    let data = api
        .data(&format!(
            r#"{{
              all: deploys(service: "a", environment: "production", {WINDOW}) {{ totalCount edges {{ node {{ cluster version status rollback fixedForwardBy reason leadTimeSeconds timeToRestoreSeconds }} }} }}
              superseded: deploys(status: SUPERSEDED, {WINDOW}) {{ edges {{ node {{ version }} }} }}
              failures: deploys(failedChanges: true, {WINDOW}) {{ edges {{ node {{ version status fixedForwardBy }} }} }}
              everywhere: deploys(service: "a", {WINDOW}) {{ totalCount }}
              newest: deploys({WINDOW}, first: 1) {{ edges {{ cursor }} }}
            }}"#
        ))
        .await;
    let rows: Vec<(String, String, String)> = data["all"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let node = &e["node"];
            let version = node["version"].as_str().unwrap().to_string();
            (node["cluster"].as_str().unwrap().to_string(), version, node["status"].as_str().unwrap().to_string())
        })
        .collect();
    let expected = [
        ("dc2", "1.5.0", "FAILED"),
        ("dc1", "1.4.1", "SUCCEEDED"),
        ("dc1", "1.5.0", "ROLLED_BACK"),
        ("dc1", "1.4.1", "SUCCEEDED"),
        ("dc1", "1.4.0", "SUPERSEDED"),
        ("dc1", "1.3.1", "SUCCEEDED"),
        ("dc1", "1.3.0", "SUCCEEDED"),
        ("dc1", "1.1.0", "SUCCEEDED"),
        ("dc1", "1.2.0", "FAILED"),
        ("dc2", "1.1.0", "SUCCEEDED"),
        ("dc1", "1.1.0", "SUCCEEDED"),
    ];
    let expected: Vec<(String, String, String)> =
        expected.iter().map(|(c, v, s)| (c.to_string(), v.to_string(), s.to_string())).collect();
    assert_eq!(rows, expected, "newest first; the staging deploy left out");
    let node = |i: usize| &data["all"]["edges"][i]["node"];
    assert_eq!(node(2)["reason"], "rolled back to 1.4.1");
    assert_eq!(node(2)["timeToRestoreSeconds"], 10_980);
    assert_eq!(node(1)["rollback"], true);
    assert_eq!(node(6)["fixedForwardBy"], "1.3.1");
    assert_eq!(node(6)["reason"], "fixed forward by 1.3.1 30 min later");
    assert_eq!(node(6)["leadTimeSeconds"], 87_000);
    assert_eq!(node(8)["reason"], "ProgressDeadlineExceeded: the rollout stalled");
    assert_eq!(node(8)["leadTimeSeconds"], Value::Null, "it never ran");
    assert_eq!(data["superseded"]["edges"], json!([{ "node": { "version": "1.4.0" } }]));
    let failures: Vec<&str> =
        data["failures"]["edges"].as_array().unwrap().iter().map(|e| e["node"]["version"].as_str().unwrap()).collect();
    assert_eq!(failures, ["1.5.0", "1.5.0", "1.3.0", "1.2.0"], "13, 9 (rolled back), 5 (fixed forward), 3");
    assert_eq!(data["everywhere"]["totalCount"], 12, "every environment: the staging deploy too");
    // Cursors are keys: the page after the newest deploy's.
    let after = data["newest"]["edges"][0]["cursor"].as_str().unwrap().to_string();
    let query = format!(
        "{{ page: deploys({WINDOW}, first: 2, after: {after:?}) {{ totalCount pageInfo {{ hasNextPage }} \
         edges {{ cursor node {{ service version environment }} }} }} }}"
    );
    let data = api.data(&query).await;
    assert_eq!(data["page"]["totalCount"], 14);
    assert_eq!(data["page"]["pageInfo"]["hasNextPage"], true);
    let second = json!({ "service": "service:c", "version": "0.1.0", "environment": "production" });
    assert_eq!(data["page"]["edges"][0]["node"], second, "after the newest, a's failed 1.5.0");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rollout_estimate_reads_the_latest_finished_rollouts() {
    let api = start().await;
    let data = api
        .data(
            r#"{
              a: deployEstimate(service: "a", cluster: "dc1", at: "2026-03-16T00:00:00Z") { service cluster p50Seconds p90Seconds samples }
              none: deployEstimate(service: "a", cluster: "dc9", at: "2026-03-16T00:00:00Z") { p50Seconds samples }
            }"#,
        )
        .await;
    // Succeeded and finished, 1 to 10: 5, 10, 4, 10, 5, 7, 6, 3 minutes.
    assert_eq!(
        data["a"],
        json!({ "service": "service:a", "cluster": "dc1", "p50Seconds": 300, "p90Seconds": 600, "samples": 8 })
    );
    assert_eq!(data["none"], json!({ "p50Seconds": null, "samples": 0 }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_orchestrator_reports_a_deploy_twice_and_bad_input_is_named() {
    let api = start().await;
    let start = r#"service: "d", cluster: "dc1", version: "1.0.0", at: "2026-03-14T10:00:00Z""#;
    let running = api
        .data(&format!(
            r#"mutation {{ recordDeployment({start}, status: RUNNING, commit: "9fceb02", commits: [{{ sha: "9fceb02", at: "2026-03-14T08:00:00Z" }}, {{ sha: "1a2b3c4", at: "2026-03-13T16:00:00Z" }}]) {{ status commitCount firstCommitAt environment }} }}"#
        ))
        .await;
    assert_eq!(
        running["recordDeployment"],
        json!({ "status": "RUNNING", "commitCount": 2, "firstCommitAt": "2026-03-13T16:00:00+00:00", "environment": "production" })
    );
    api.data(&format!(r#"mutation {{ recordDeployment({start}, finishedAt: "2026-03-14T10:04:00Z") {{ status }} }}"#))
        .await;
    let data = api
        .data(r#"{ deploys(service: "d", from: "2026-03-14", to: "2026-03-14") { totalCount edges { node { status finishedAt commit commitCount leadTimeSeconds } } } }"#)
        .await;
    assert_eq!(data["deploys"]["totalCount"], 1, "the second report updated the first");
    assert_eq!(
        data["deploys"]["edges"][0]["node"],
        json!({ "status": "SUCCEEDED", "finishedAt": "2026-03-14T10:04:00+00:00", "commit": "9fceb02", "commitCount": 2, "leadTimeSeconds": 65_040 })
    );
    for (query, says) in [
        (format!(r#"mutation {{ recordDeployment({start}, status: SUPERSEDED) {{ status }} }}"#), "SPoT derives it"),
        (
            format!(r#"mutation {{ recordDeployment({start}, finishedAt: "2026-03-14T09:00:00Z") {{ status }} }}"#),
            "before the deploy's start",
        ),
        (
            format!(r#"mutation {{ recordDeployment({start}, reason: "") {{ status }} }}"#),
            "reason must be 1 to 2000 characters",
        ),
        (
            r#"{ dora(environment: "qa") { subject } }"#.to_string(),
            r#"no environment "qa": [delivery.environments] names "production", "staging""#,
        ),
        (r#"{ dora(service: "a", team: "shop") { subject } }"#.to_string(), "not both"),
        (
            r#"{ dora(from: "2024-01-01", to: "2026-03-15", bucket: DAY) { subject } }"#.to_string(),
            "limits.trend_buckets",
        ),
        (r#"{ dora(from: "2026-03-15", to: "2026-03-01") { subject } }"#.to_string(), "is after"),
        (r#"{ dora(team: "nobody") { subject } }"#.to_string(), "team:nobody"),
    ] {
        let error = api.error(&query).await;
        assert!(error.contains(says), "{query}: {error}");
    }
}

/// docs/dora.md, "Commits behind a version": the orchestrator names a
/// commit, or only a version whose release tag the GitHub collector
/// recorded; the commits since the previous deploy come from GitHub's
/// compare API (the stand-in on loopback), asked once per pair.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_commits_behind_a_deploy_come_from_release_tags_and_compare() {
    use collectors::github::fake::{release_commit, FakeGitHub};
    use collectors::Collector;
    let github = FakeGitHub::start("acme", 13, None, std::time::Duration::ZERO).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let github_config: collectors::github::Config = toml::from_str(&format!(
        "base_url = \"{}\"\norgs = [\"acme\"]\ncheck_latest = false\ncache_dir = \"{}\"\n",
        github.url,
        dir.path().join("cache").display()
    ))
    .unwrap();
    let store = SqliteStore::open(dir.path().join("spot.db")).unwrap();
    let collector = collectors::github::GitHub::new(&github_config).unwrap();
    store.ingest(&collector.collect("acme", "2026-01-01".parse().unwrap()).await.unwrap()).await.unwrap();
    let releases = store.entity("repo:127.0.0.1/acme/repo-12", "2026-01-01".parse().unwrap()).await.unwrap().unwrap();
    let recorded = &releases.facts[0].attrs["releases"];
    assert_eq!(
        recorded[0],
        json!({ "tag": "v1.3.0", "commit": release_commit("repo-12", 3), "at": "2026-03-01T12:00:00Z" })
    );

    let mut config = Config::default();
    config.collectors.github = Some(github_config);
    let api = graphql::serve(&config, store, dir).await;
    let fields = "version commit commitCount firstCommitAt leadTimeSeconds";
    let first = format!(
        r#"mutation {{ recordDeployment(service: "repo-12", cluster: "dc1", version: "1.1.0", at: "2026-01-05T10:00:00Z", finishedAt: "2026-01-05T10:05:00Z", commit: "{}") {{ {fields} }} }}"#,
        release_commit("repo-12", 1)
    );
    let first = api.data(&first).await;
    assert_eq!(first["recordDeployment"]["commitCount"], Value::Null, "nothing before it to compare with");
    // Only a version: its commit is the v1.2.0 tag's; the commits since
    // 1.1.0's are two a day from 2 January to 1 February.
    let second = r#"mutation { recordDeployment(service: "repo-12", cluster: "dc1", version: "1.2.0", at: "2026-02-03T10:00:00Z", finishedAt: "2026-02-03T10:05:00Z") { version commit commitCount firstCommitAt } }"#;
    let second = api.data(second).await;
    assert_eq!(
        second["recordDeployment"],
        json!({ "version": "1.2.0", "commit": release_commit("repo-12", 2), "commitCount": 62, "firstCommitAt": "2026-01-02T09:00:00+00:00" })
    );
    let (asked, _) = github.requests();
    for (version, at) in [("1.1.0", "2026-01-06"), ("1.2.0", "2026-02-04")] {
        let query = format!(
            r#"mutation {{ recordDeployment(service: "repo-12", cluster: "dc2", version: "{version}", at: "{at}T10:00:00Z") {{ commitCount }} }}"#
        );
        api.data(&query).await;
    }
    assert_eq!(github.requests().0, asked, "the same pair again is read from the cache, not asked");
    let data = api
        .data(r#"{ deploys(service: "repo-12", environment: "production", from: "2026-02-01", to: "2026-02-28") { edges { node { cluster commitCount leadTimeSeconds } } } }"#)
        .await;
    // From 2 January 09:00 to 3 February 10:05 in dc1.
    assert_eq!(
        data["deploys"]["edges"][1]["node"],
        json!({ "cluster": "dc1", "commitCount": 62, "leadTimeSeconds": 32 * 86_400 + 3_900 })
    );
}

/// The same from a clone `spot backfill` read: the version's commit from
/// the clone's tags (recorded by the backfill), the commits between two
/// versions from the clone itself (`[delivery] clones`), no GitHub at all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_commits_behind_a_deploy_come_from_a_backfilled_clone() {
    let dir = tempfile::tempdir().unwrap();
    let clones = dir.path().join("clones");
    std::fs::create_dir_all(&clones).unwrap();
    let repo = git::TestRepo::new(&clones, "acme", "shop");
    let catalog = "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: shop\nspec:\n  type: service\n  owner: group:web\n";
    repo.commit("2026-03-01", 9, &[("catalog-info.yaml", Some(catalog))]);
    repo.tag("v1.0.0");
    for (day, hour, text) in [("2026-03-02", 9, "a"), ("2026-03-03", 14, "b"), ("2026-03-04", 10, "c")] {
        repo.commit(day, hour, &[("README.md", Some(text))]);
    }
    let head = repo.tag("v1.1.0");
    let db = dir.path().join("spot.db");
    let store: std::sync::Arc<dyn Store> = std::sync::Arc::new(SqliteStore::open(&db).unwrap());
    let options = spot::backfill::Options {
        paths: vec![repo.path.clone()],
        since: None,
        until: None,
        max_file_bytes: 5 << 20,
        identity: Default::default(),
        ingest: Default::default(),
    };
    spot::backfill::backfill(store.clone(), &options, &spot::backfill::Quiet).await.unwrap();
    drop(store);

    let mut config = Config::default();
    config.delivery.clones = vec![clones];
    let api = graphql::serve(&config, SqliteStore::open(&db).unwrap(), dir).await;
    let record = |version: &str, at: &str| {
        format!(
            r#"mutation {{ recordDeployment(service: "shop", cluster: "dc1", version: "{version}", at: "{at}") {{ commit commitCount firstCommitAt }} }}"#
        )
    };
    let first = api.data(&record("1.0.0", "2026-03-05T10:00:00Z")).await;
    assert_eq!(first["recordDeployment"]["commitCount"], Value::Null, "nothing before it");
    let second = api.data(&record("1.1.0", "2026-03-06T10:00:00Z")).await;
    assert_eq!(
        second["recordDeployment"],
        json!({ "commit": head, "commitCount": 3, "firstCommitAt": "2026-03-02T09:00:00+00:00" }),
        "git log v1.0.0..v1.1.0: the commits of 2, 3 and 4 March"
    );
}

/// docs/dora.md, "Environments": a cluster no environment names is
/// `unclassified`; its deploys are listed with the others, asked for by
/// that name, and counted in no other environment's figures.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deploys_to_a_cluster_no_environment_names_are_unclassified_and_reachable() {
    let api = start().await;
    api.data(
        r#"mutation { recordDeployment(service: "e", cluster: "lab", version: "0.9.0", at: "2026-03-05T09:00:00Z", finishedAt: "2026-03-05T09:03:00Z") { environment } }"#,
    )
    .await;
    let data = api
        .data(&format!(
            r#"{{
              every: deploys(service: "e", {WINDOW}) {{ totalCount edges {{ node {{ cluster environment }} }} }}
              unclassified: deploys(environment: "unclassified", {WINDOW}) {{ totalCount edges {{ node {{ service cluster }} }} }}
              figures: dora(service: "e", environment: "unclassified", {WINDOW}) {{ environment overall {{ deploys }} }}
              production: dora(service: "e", {WINDOW}) {{ overall {{ deploys }} }}
            }}"#
        ))
        .await;
    assert_eq!(
        data["every"],
        json!({ "totalCount": 1, "edges": [{ "node": { "cluster": "lab", "environment": "unclassified" } }] }),
        "without an environment, every environment's deploys, unclassified ones too"
    );
    assert_eq!(
        data["unclassified"],
        json!({ "totalCount": 1, "edges": [{ "node": { "service": "service:e", "cluster": "lab" } }] }),
        "only the clusters no environment names"
    );
    assert_eq!(data["figures"], json!({ "environment": "unclassified", "overall": { "deploys": 1 } }));
    assert_eq!(data["production"]["overall"]["deploys"], 0, "counted in no other environment");
    let error = api.error(r#"{ dora(environment: "qa") { subject } }"#).await;
    assert!(error.ends_with(r#"and "unclassified" (the clusters none of them names)"#), "{error}");
}
