//! Kept scores against the oracle: on random histories (ownership moves,
//! failed runs, late writes, deploys recorded late, `spot rollback` of a
//! day, prune, a changed card), every read the kept rows answer — a day of
//! the organisation, of each team and of each service, a trend by week,
//! "failing since" — equals scoring the graph, before a derivation catches
//! up with a write (the stale days are scored) and after. Run through the
//! server's store layers (the score cache's wrapper), as the API reads.

#[path = "conformance/builder.rs"]
#[allow(dead_code)]
mod builder;
#[path = "support/cards.rs"]
mod cards;

use std::sync::Arc;

use builder::{d, obs};
use chrono::Duration;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::json;
use spot::delivery::Delivery;
use spot::model::{Day, DeployEvent, DeployStatus};
use spot::scorecards::cache::ScoreCache;
use spot::scorecards::evaluate::{score_day, DayScores, Subjects};
use spot::scorecards::history::{self, Scoring, Summary};
use spot::scorecards::kept::{self, Derived};
use spot::scorecards::Scorecard;
use spot::{SqliteStore, Store};

const DAYS: i32 = 24;
const SERVICES: usize = 6;
const TEAMS: [&str; 3] = ["team:pay", "team:core", "team:web"];

/// The demo's card and every built-in, DORA's too.
fn card(extra: &str) -> Scorecard {
    let rules = [
        ("datacenters", ">=", "2"),
        ("deploys_per_week", ">=", "0.5"),
        ("change_failure_rate", "<=", "0.3"),
        ("lead_time_hours", "<=", "24"),
        ("time_to_restore_hours", "<=", "2"),
        ("doc_age_days", "<=", "5"),
        ("majors_behind", "<=", "1"),
    ];
    cards::demo_card_with_builtins("kept.toml", extra, &rules)
}

fn service(i: usize) -> String {
    format!("service:s{i}")
}

/// GitHub on day `n`: services (some come and go), their tier and
/// lifecycle, their owners (owners move), repositories and packages.
fn github(rng: &mut ChaCha8Rng, n: i32) -> builder::Obs {
    let mut o = obs("github", "acme", n).entity("package:npm/left-pad", json!({"latest": "3.0.0"}));
    for team in TEAMS {
        o = o.entity(team, json!({}));
    }
    for i in 0..SERVICES {
        if i == SERVICES - 1 && rng.random_bool(0.3) {
            continue;
        }
        let repo = format!("repo:github.com/acme/s{i}");
        let tier = rng.random_range(1..=5);
        let lifecycle = ["production", "retired", "experimental"][rng.random_range(0..3)];
        o = o
            .entity(&service(i), json!({"tier": tier, "lifecycle": lifecycle}))
            .entity(&repo, json!({}))
            .relation(&repo, "builds", &service(i), json!({}))
            .relation(
                &repo,
                "uses",
                "package:npm/left-pad",
                json!({"resolved": format!("{}.0.0", rng.random_range(1..=3))}),
            );
        for team in TEAMS {
            if rng.random_bool(0.4) {
                o = o.relation(team, "owns", &service(i), json!({}));
            }
        }
    }
    o
}

fn sonarqube(rng: &mut ChaCha8Rng, n: i32) -> builder::Obs {
    let mut o = obs("sonarqube", "sonar", n);
    for i in 0..SERVICES {
        let project = format!("sonar_project:s{i}");
        let gate = if rng.random_bool(0.7) { "OK" } else { "ERROR" };
        o = o.entity(&project, json!({"coverage": rng.random_range(30..95), "quality_gate": gate})).relation(
            &project,
            "measures",
            &format!("repo:github.com/acme/s{i}"),
            json!({}),
        );
    }
    o
}

fn kubernetes(rng: &mut ChaCha8Rng, cluster: &str, n: i32) -> builder::Obs {
    let datacenter = if cluster == "dc1" { "fra" } else { "ams" };
    let mut o = obs("kubernetes", cluster, n).entity(&format!("cluster:{cluster}"), json!({"datacenter": datacenter}));
    for i in 0..SERVICES {
        if rng.random_bool(0.3) {
            continue;
        }
        let workload = format!("workload:{cluster}/acme/Deployment/s{i}");
        o = o
            .entity(&workload, json!({"version": format!("1.{}.0", rng.random_range(0..2)), "replicas": {"ready": 2}}))
            .relation(&service(i), "deploys", &workload, json!({}))
            .relation(&workload, "runs_in", &format!("cluster:{cluster}"), json!({}));
    }
    o
}

fn docs(n: i32) -> builder::Obs {
    let mut o = obs("confluence", "ENG", n);
    for i in 0..SERVICES {
        let doc = format!("doc:confluence/{i}");
        let updated = d(n - (i as i32 % 4)).to_string();
        o = o.entity(&doc, json!({"updated": updated})).relation(&doc, "documents", &service(i), json!({}));
    }
    o
}

/// A few deploys on day `n`, some failed.
fn deploys(rng: &mut ChaCha8Rng, n: i32) -> Vec<DeployEvent> {
    (0..rng.random_range(0..3))
        .map(|k| {
            let at = d(n).start() + Duration::hours(8 + k) + Duration::minutes(rng.random_range(0..50));
            let failed = rng.random_bool(0.25);
            DeployEvent {
                service: service(rng.random_range(0..SERVICES)),
                cluster: ["dc1", "dc2"][rng.random_range(0..2)].into(),
                version: format!("1.{n}.{k}"),
                at,
                finished_at: Some(at + Duration::minutes(5)),
                first_commit_at: Some(at - Duration::hours(rng.random_range(1..40))),
                status: if failed { DeployStatus::Failed } else { DeployStatus::Succeeded },
                ..DeployEvent::default()
            }
        })
        .collect()
}

/// One day of history: each source observes, or its run fails.
async fn day_of_history(store: &dyn Store, rng: &mut ChaCha8Rng, n: i32) {
    let observed = [
        ("github", "acme", github(rng, n)),
        ("sonarqube", "sonar", sonarqube(rng, n)),
        ("kubernetes", "dc1", kubernetes(rng, "dc1", n)),
        ("kubernetes", "dc2", kubernetes(rng, "dc2", n)),
        ("confluence", "ENG", docs(n)),
    ];
    for (source, scope, observation) in observed {
        if n > 0 && rng.random_bool(0.1) {
            store.record_failure(source, scope, d(n), "502 Bad Gateway").await.unwrap();
        } else {
            observation.into(store).await;
        }
    }
    store.record_deployments(&deploys(rng, n)).await.unwrap();
}

/// Derives `card` through `until`; it must get there.
async fn derive(store: &dyn Store, card: &Scorecard, until: Day) {
    let derived = kept::derive(store, card, &Delivery::default(), until, &mut |_, _| {}).await.unwrap();
    assert_eq!(derived, Derived::Through(until.plus(1)), "derivation of {}", card.name);
}

/// Every read over `[d(0), d(last)]` equals scoring the graph; `kept_until`:
/// the days before it must be answered from kept rows.
async fn check(store: &dyn Store, card: &Scorecard, last: i32, kept_until: Option<Day>, when: &str) {
    let delivery = Delivery::default();
    let mut from_rows = 0;
    let mut alone: Vec<Vec<DayScores>> = vec![Vec::new(); SERVICES];
    for n in 0..=last {
        for (i, days) in alone.iter_mut().enumerate() {
            let subjects = Subjects::Service(service(i));
            days.push(score_day(store, card, &delivery, d(n), &subjects).await.unwrap());
        }
    }
    for n in 0..=last {
        let day = d(n);
        let oracle = score_day(store, card, &delivery, day, &Subjects::All).await.unwrap();
        let kept_day = kept::day(store, card, &delivery, day, &Subjects::All).await.unwrap();
        if kept_until.is_some_and(|until| day < until) {
            assert!(kept_day.is_some(), "{when}: day {n} is kept");
        }
        if let Some(kept_day) = kept_day {
            assert_eq!(kept_day, oracle, "{when}: the organisation on day {n}");
            from_rows += 1;
        }
        let cache = ScoreCache::default();
        let scoring = Scoring { store, card, delivery: &delivery, cache: &cache, deadline: None };
        assert_eq!(*scoring.day(day, &Subjects::All).await.unwrap(), oracle, "{when}: scoring day {n}");
        for team in TEAMS {
            let subjects = Subjects::Team(team.to_string());
            let oracle = score_day(store, card, &delivery, day, &subjects).await.unwrap();
            assert_eq!(*scoring.day(day, &subjects).await.unwrap(), oracle, "{when}: {team} on day {n}");
        }
        for (i, days) in alone.iter().enumerate() {
            let subjects = Subjects::Service(service(i));
            let oracle = &days[n as usize];
            assert_eq!(&*scoring.day(day, &subjects).await.unwrap(), oracle, "{when}: s{i} on day {n}");
            if let Some(today) = oracle.services.first() {
                let since = history::failing_since(&scoring, &service(i), today, day).await.unwrap();
                assert_eq!(since, failing_since_oracle(days, n), "{when}: s{i} failing since, day {n}");
            }
        }
    }
    if kept_until.is_some() {
        assert!(from_rows > 0, "{when}: some days were read from kept rows");
    }
    trends(store, card, last, when).await;
}

/// Weekly trends of the organisation and of each team against each
/// point's day scored.
async fn trends(store: &dyn Store, card: &Scorecard, last: i32, when: &str) {
    let delivery = Delivery::default();
    let spans: Vec<(Day, Day)> = (0..=last).step_by(3).map(|n| (d(n), d((n + 2).min(last)))).collect();
    let cache = ScoreCache::default();
    let scoring = Scoring { store, card, delivery: &delivery, cache: &cache, deadline: None };
    let mut subjects: Vec<Subjects> = TEAMS.iter().map(|t| Subjects::Team(t.to_string())).collect();
    subjects.push(Subjects::All);
    for subjects in subjects {
        let trend = history::trend(&scoring, &subjects, &spans).await.unwrap();
        assert_eq!(trend.len(), spans.len());
        for (point, &(start, end)) in trend.iter().zip(&spans) {
            let oracle = score_day(store, card, &delivery, end, &subjects).await.unwrap();
            assert_eq!((point.bucket, point.measured_on), (start, end));
            assert_eq!(point.summary, Summary::of(card, &oracle), "{when}: {subjects:?} trend at {end}");
        }
    }
}

/// Day by day back from `day`, over each day's score of the service alone
/// (`alone[n]`: day `n`; no day before the history has the service).
fn failing_since_oracle(alone: &[DayScores], day: i32) -> Vec<Option<Day>> {
    let today = &alone[day as usize].services[0];
    let failing =
        |n: i32, i: usize| n >= 0 && alone[n as usize].services.first().is_some_and(|s| !s.outcomes[i].passed);
    (0..today.outcomes.len())
        .map(|i| {
            if today.outcomes[i].passed {
                return None;
            }
            let mut first = day;
            while failing(first - 1, i) {
                first -= 1;
            }
            Some(d(first))
        })
        .collect()
}

#[tokio::test]
async fn kept_scores_equal_scoring_the_graph_through_every_kind_of_write() {
    for seed in [1, 2] {
        let dir = tempfile::tempdir().unwrap();
        let sqlite: Arc<dyn Store> = Arc::new(SqliteStore::open(dir.path().join("spot.db")).unwrap());
        // The server's layers: the score cache's wrapper sees every call.
        let cache = ScoreCache::default();
        let store = cache.watching(sqlite);
        let store = store.as_ref();
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let card = card("");
        let half = DAYS / 2;
        for n in 0..half {
            day_of_history(store, &mut rng, n).await;
        }
        derive(store, &card, d(half - 1)).await;
        check(store, &card, half - 1, Some(d(half)), &format!("seed {seed}, derived")).await;

        // The days go on: each ingest marks only its own day on.
        for n in half..DAYS {
            day_of_history(store, &mut rng, n).await;
        }
        // Kept days stay kept but for those the new days' deploys moved
        // (a verdict judged again on an older deploy's day).
        check(store, &card, DAYS - 1, None, &format!("seed {seed}, new days not derived")).await;
        derive(store, &card, d(DAYS - 1)).await;
        check(store, &card, DAYS - 1, Some(d(DAYS)), &format!("seed {seed}, new days derived")).await;

        // A late write: a source never seen, from day 5 on.
        obs("consul", "dc1", 5).entity(&service(0), json!({"critical": 1})).into(store).await;
        // Deploys recorded late, in the middle of the history.
        store.record_deployments(&deploys(&mut rng, 9)).await.unwrap();
        check(store, &card, DAYS - 1, None, &format!("seed {seed}, late writes")).await;
        derive(store, &card, d(DAYS - 1)).await;
        check(store, &card, DAYS - 1, Some(d(DAYS)), &format!("seed {seed}, late writes derived")).await;

        // `spot rollback` of a day: GitHub's runs from day 15 are undone.
        let rolled = store.rollback("github", "acme", d(15)).await.unwrap();
        assert!(rolled.runs > 0);
        check(store, &card, DAYS - 1, Some(d(15)), &format!("seed {seed}, rolled back")).await;
        derive(store, &card, d(DAYS - 1)).await;
        check(store, &card, DAYS - 1, Some(d(DAYS)), &format!("seed {seed}, rollback derived")).await;

        // Retention: SonarQube's versions closed before day 10 go.
        let pruned = store.prune("sonarqube", d(10)).await.unwrap();
        assert!(pruned.fact_versions > 0, "{pruned:?}");
        check(store, &card, DAYS - 1, None, &format!("seed {seed}, pruned")).await;
        derive(store, &card, d(DAYS - 1)).await;
        check(store, &card, DAYS - 1, Some(d(DAYS)), &format!("seed {seed}, prune derived")).await;

        // A changed card is kept apart, derived from the start.
        let other = self::card("-2");
        assert_ne!(kept::fingerprint(&other, &Delivery::default()), kept::fingerprint(&card, &Delivery::default()));
        assert!(kept::day(store, &other, &Delivery::default(), d(3), &Subjects::All).await.unwrap().is_none());
        derive(store, &other, d(DAYS - 1)).await;
        check(store, &other, DAYS - 1, Some(d(DAYS)), &format!("seed {seed}, another card")).await;
    }
}

#[tokio::test]
async fn a_derivation_resumes_where_it_stopped_and_a_new_store_keeps_nothing_yet() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("spot.db")).unwrap();
    let card = card("");
    let delivery = Delivery::default();
    // Nothing written yet: nothing to derive.
    let nothing = kept::derive(&store, &card, &delivery, d(3), &mut |_, _| {}).await.unwrap();
    assert_eq!(nothing, Derived::NotKept);
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    for n in 0..DAYS {
        day_of_history(&store, &mut rng, n).await;
    }
    // Derive part of the way (as a kill would leave it), then resume.
    derive(&store, &card, d(9)).await;
    assert!(kept::day(&store, &card, &delivery, d(9), &Subjects::All).await.unwrap().is_some());
    assert!(kept::day(&store, &card, &delivery, d(10), &Subjects::All).await.unwrap().is_none());
    let mut appended = Vec::new();
    let resumed = kept::derive(&store, &card, &delivery, d(DAYS - 1), &mut |day, _| appended.push(day)).await.unwrap();
    assert_eq!(resumed, Derived::Through(d(DAYS)));
    assert_eq!(appended.first().copied(), Some(d(10 + kept::DAYS_PER_APPEND - 1)), "resumed at day 10");
    check(&store, &card, DAYS - 1, Some(d(DAYS)), "resumed").await;
}
