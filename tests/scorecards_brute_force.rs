//! Scores over time against a brute-force evaluation, day by day, on a
//! generated history: forty days of the scale-1 synthetic organisation
//! (500 services) with one collector run in twenty failing, scored by the
//! demo's scorecard.
//!
//! The brute force shares nothing with the scorer but the comparison of
//! one value with a rule's (`Rule::passes`, unit-tested on its own) and the
//! ecosystems' version order: it walks each service's relations one entity
//! at a time with `relations` and `entity`, where the scorer reads whole
//! kinds in bulk and caches days.

use std::collections::BTreeSet;

#[path = "support/cards.rs"]
mod cards;

use collectors::manifests::versions::{package_lag, release, Lag};
use collectors::synthetic::SyntheticConfig;
use serde_json::Value;
use spot::delivery::{read, Bucket, Delivery};
use spot::model::{Day, Direction};
use spot::scorecards::cache::ScoreCache;
use spot::scorecards::evaluate::{kinds_at_end, level, score_day, RuleOutcome, Subjects};
use spot::scorecards::history::{self, Scoring, Summary};
use spot::scorecards::rule::{shown, Aggregate, Builtin, Reads, Rule};
use spot::scorecards::{Scorecard, Scorecards};
use spot::{SqliteStore, Store};

const DAYS: usize = 40;

async fn generated() -> (tempfile::TempDir, SqliteStore, Day) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("spot.db")).unwrap();
    let start: Day = "2025-03-01".parse().unwrap();
    let config = SyntheticConfig { failure_per_mille: 50, ..SyntheticConfig::new(1, 7, start) };
    spot::generate::generate(&store, config, DAYS, |_| {}).await.unwrap();
    (dir, store, start)
}

/// The first source (by name, then scope) with a value, as the stores read.
async fn attribute(store: &dyn Store, key: &str, path: &str, day: Day) -> Option<(String, Value)> {
    let state = store.entity(key, day).await.unwrap()?;
    let mut facts: Vec<_> = state.facts.iter().collect();
    facts.sort_by(|a, b| (&a.source, &a.scope).cmp(&(&b.source, &b.scope)));
    facts.iter().find_map(|f| {
        let value = spot::attribute_path::lookup(&f.attrs, path).filter(|v| !v.is_null())?;
        Some((state.entity.kind.clone(), value.clone()))
    })
}

async fn follow(store: &dyn Store, key: &str, path: &[spot::model::EdgeRule], day: Day) -> BTreeSet<String> {
    let mut frontier: BTreeSet<String> = [key.to_string()].into();
    for step in path {
        let mut next = BTreeSet::new();
        for from in &frontier {
            let kinds = vec![step.kind.clone().unwrap()];
            for relation in store.relations(from, day, step.direction, &kinds).await.unwrap() {
                let other = if &relation.from == from { relation.to } else { relation.from };
                next.insert(other);
            }
        }
        frontier = next;
    }
    frontier
}

async fn brute_rule(
    store: &dyn Store,
    rule: &Rule,
    service: &str,
    day: Day,
    delivery: &Delivery,
) -> (bool, Option<String>) {
    match &rule.reads {
        Reads::Attribute(path) => {
            let value = attribute(store, service, path, day).await.map(|(_, v)| v);
            (rule.passes(value.as_ref()), value.as_ref().map(shown))
        }
        Reads::Path { path, aggregate, attribute: name } => {
            let reached = follow(store, service, path, day).await;
            if *aggregate == Aggregate::Count {
                let count = Value::from(reached.len());
                return (rule.passes(Some(&count)), Some(reached.len().to_string()));
            }
            let kinds = kinds_at_end(path);
            let mut values = Vec::new();
            for key in &reached {
                match attribute(store, key, name.as_deref().unwrap(), day).await {
                    Some((kind, value)) if kinds.contains(&kind.as_str()) => values.push(value),
                    _ => {}
                }
            }
            let passing = values.iter().filter(|v| rule.passes(Some(v))).count();
            let share = Some(format!("{passing} of {} pass", reached.len()));
            match aggregate {
                Aggregate::All => (passing == reached.len(), share),
                Aggregate::Any => (passing > 0, share),
                Aggregate::None => (passing == 0, share),
                _ => {
                    let numbers: Vec<f64> = values.iter().filter_map(Value::as_f64).collect();
                    let extreme = if *aggregate == Aggregate::Min {
                        numbers.iter().copied().reduce(f64::min)
                    } else {
                        numbers.iter().copied().reduce(f64::max)
                    };
                    match extreme {
                        Some(x) => {
                            let value = Value::from(x);
                            (rule.passes(Some(&value)), Some(shown(&value)))
                        }
                        None => (false, None),
                    }
                }
            }
        }
        Reads::Builtin(builtin) => {
            let value = brute_builtin(store, *builtin, service, day, delivery).await;
            (rule.passes(value.as_ref()), value.as_ref().map(shown))
        }
    }
}

async fn brute_builtin(
    store: &dyn Store,
    builtin: Builtin,
    service: &str,
    day: Day,
    delivery: &Delivery,
) -> Option<Value> {
    let edge = |kind: &str, direction| spot::model::EdgeRule::new(kind, direction);
    match builtin {
        Builtin::VersionsRunning => {
            let mut versions = BTreeSet::new();
            let deploys = follow(store, service, &[edge("deploys", Direction::Out)], day).await;
            // What repositories only declare does not run (docs/declared.md).
            for workload in deploys.into_iter().filter(|w| !spot::model::is_declared_workload(w)) {
                if let Some((_, v)) = attribute(store, &workload, "version", day).await {
                    versions.insert(v.to_string());
                }
            }
            Some(Value::from(versions.len()))
        }
        Builtin::Datacenters => {
            let path = [edge("deploys", Direction::Out), edge("runs_in", Direction::Out)];
            let mut places = BTreeSet::new();
            for cluster in follow(store, service, &path, day).await {
                let place = match attribute(store, &cluster, "datacenter", day).await {
                    Some((_, v)) => v.to_string(),
                    None => {
                        attribute(store, &cluster, "region", day).await.map_or(cluster.clone(), |(_, v)| v.to_string())
                    }
                };
                places.insert(place);
            }
            Some(Value::from(places.len()))
        }
        Builtin::DocAgeDays => {
            let mut newest: Option<Day> = None;
            for doc in follow(store, service, &[edge("documents", Direction::In)], day).await {
                if let Some((_, Value::String(updated))) = attribute(store, &doc, "updated", day).await {
                    let date: Day = updated[..10].parse().unwrap();
                    newest = newest.max(Some(date));
                }
            }
            newest.map(|n| Value::from((day.0 - n.0).max(0)))
        }
        Builtin::MajorsBehind => {
            let mut users: Vec<String> =
                follow(store, service, &[edge("builds", Direction::In)], day).await.into_iter().collect();
            users.push(service.to_string());
            let mut worst = 0u64;
            for user in users {
                for uses in store.relations(&user, day, Direction::Out, &["uses".into()]).await.unwrap() {
                    let resolved = uses.attrs.get("resolved").and_then(Value::as_str);
                    let latest = attribute(store, &uses.to, "latest", day).await.map(|(_, v)| v);
                    let latest = latest.as_ref().and_then(Value::as_str);
                    if package_lag(&uses.to, resolved, latest) == Lag::Major {
                        let ecosystem = collectors::manifests::package_ecosystem(&uses.to).unwrap();
                        let majors = match (release(ecosystem, resolved.unwrap()), release(ecosystem, latest.unwrap()))
                        {
                            (Some(r), Some(l)) => l[0].saturating_sub(r[0]).max(1),
                            _ => 1,
                        };
                        worst = worst.max(majors);
                    }
                }
            }
            Some(Value::from(worst))
        }
        dora => {
            let scope = read::Scope { services: Some(vec![service.to_string()]), ..read::Scope::default() };
            let window = (day.minus(29), day);
            let report =
                read::report(store, &scope, window, Bucket::Month, delivery.config.fix_forward(), false).await.unwrap();
            let figures = report.services.get(service);
            let hours = |s: Option<i64>| s.map(|s| Value::from((s as f64 / 3600.0 * 10.0).round() / 10.0));
            match dora {
                Builtin::DeploysPerWeek => {
                    let deploys = figures.map_or(0, |f| f.deploys) as f64;
                    Some(Value::from((deploys * 7.0 / 30.0 * 10.0).round() / 10.0))
                }
                Builtin::ChangeFailureRate => {
                    figures?.change_failure_rate.map(|r| Value::from((r * 1000.0).round() / 1000.0))
                }
                Builtin::LeadTimeHours => hours(figures?.lead_time_seconds),
                _ => hours(figures?.time_to_restore_seconds),
            }
        }
    }
}

/// Every service alive on `day`, each rule's (passed, seen), and its level.
async fn brute_day(
    store: &dyn Store,
    card: &Scorecard,
    day: Day,
    delivery: &Delivery,
) -> Vec<(String, Vec<(bool, Option<String>)>, Option<usize>)> {
    let mut services: Vec<String> =
        store.entities_of_kind("service", day).await.unwrap().into_iter().map(|s| s.entity.key).collect();
    services.sort();
    let mut found = Vec::new();
    for service in services {
        let mut outcomes = Vec::new();
        for rule in &card.rules {
            outcomes.push(brute_rule(store, rule, &service, day, delivery).await);
        }
        let as_outcomes: Vec<RuleOutcome> = outcomes
            .iter()
            .map(|(passed, seen)| RuleOutcome { passed: *passed, seen: seen.clone(), carried_forward: Vec::new() })
            .collect();
        let reached = level(card, &as_outcomes);
        found.push((service, outcomes, reached));
    }
    found
}

/// One scorecard with every built-in (the demo's has three of the seven).
fn card_with_every_builtin() -> Scorecard {
    let rules = [
        ("datacenters", ">=", "2"),
        ("deploys_per_week", ">=", "3"),
        ("change_failure_rate", "<=", "0.05"),
        ("lead_time_hours", "<=", "24"),
        ("time_to_restore_hours", "<=", "2"),
    ];
    cards::demo_card_with_builtins("every-builtin.toml", "", &rules)
}

#[tokio::test]
async fn scores_over_time_match_a_brute_force_evaluation_day_by_day() {
    let (_dir, store, start) = generated().await;
    let card = card_with_every_builtin();
    let delivery = Delivery::default();
    let cache = ScoreCache::default();
    let scoring = Scoring { store: &store, card: &card, delivery: &delivery, cache: &cache, deadline: None };
    // Every fourth day, and the last: failed runs fall on some of them.
    let days: Vec<Day> = (0..DAYS as i32).step_by(4).chain([DAYS as i32 - 1]).map(|n| start.plus(n)).collect();
    let spans: Vec<(Day, Day)> = days.iter().map(|&d| (d, d)).collect();
    let trend = history::trend(&scoring, &Subjects::All, &spans).await.unwrap();
    let mut compared = 0;
    for (point, &day) in trend.iter().zip(&days) {
        let brute = brute_day(&store, &card, day, &delivery).await;
        let scored = score_day(&store, &card, &delivery, day, &Subjects::All).await.unwrap();
        assert_eq!(scored.services.len(), brute.len(), "services on {day}");
        for (service, (key, outcomes, reached)) in scored.services.iter().zip(&brute) {
            assert_eq!(&service.key, key);
            let seen: Vec<(bool, Option<String>)> =
                service.outcomes.iter().map(|o| (o.passed, o.seen.clone())).collect();
            assert_eq!(&seen, outcomes, "{key} on {day}");
            assert_eq!(&service.level, reached, "{key}'s level on {day}");
            compared += 1;
        }
        // One service alone is read entity by entity (a narrow view): the same.
        for (key, outcomes, _) in brute.iter().step_by(50) {
            let alone = score_day(&store, &card, &delivery, day, &Subjects::Service(key.clone())).await.unwrap();
            let seen: Vec<(bool, Option<String>)> =
                alone.services[0].outcomes.iter().map(|o| (o.passed, o.seen.clone())).collect();
            assert_eq!(&seen, outcomes, "{key} alone on {day}");
        }
        // The trend's point is the same day's summary.
        assert_eq!(point.summary, Summary::of(&card, &scored), "trend on {day}");
        let passing: Vec<usize> =
            (0..card.rules.len()).map(|i| brute.iter().filter(|(_, o, _)| o[i].0).count()).collect();
        assert_eq!(point.summary.passing, passing, "passing counts on {day}");
    }
    assert!(compared > 5_000, "{compared} service-days compared");
    // The history is not trivial: levels differ, and rules both pass and fail.
    let last = &trend.last().unwrap().summary;
    assert!(last.levels.iter().filter(|&&n| n > 0).count() + (last.below > 0) as usize >= 2, "{last:?}");
    assert!(last.passing.iter().any(|&n| n > 0 && n < last.services), "{last:?}");
}

#[tokio::test]
async fn failing_since_is_the_first_day_of_the_current_failing_run() {
    let (_dir, store, start) = generated().await;
    let card = Scorecards::demo().all.remove(0);
    let delivery = Delivery::default();
    let day = start.plus(DAYS as i32 - 1);
    let today = score_day(&store, &card, &delivery, day, &Subjects::All).await.unwrap();
    let cache = ScoreCache::default();
    let scoring = Scoring { store: &store, card: &card, delivery: &delivery, cache: &cache, deadline: None };
    let mut checked = 0;
    for service in today.services.iter().filter(|s| s.outcomes.iter().any(|o| !o.passed)).step_by(25) {
        let since = history::failing_since(&scoring, &service.key, service, day).await.unwrap();
        for (i, outcome) in service.outcomes.iter().enumerate() {
            // Day by day, back from today, while the rule fails.
            let mut first = None;
            if !outcome.passed {
                let mut probe = day;
                loop {
                    let one = Subjects::Service(service.key.clone());
                    let scores = score_day(&store, &card, &delivery, probe, &one).await.unwrap();
                    match scores.services.first() {
                        Some(s) if !s.outcomes[i].passed => first = Some(probe),
                        _ => break,
                    }
                    if probe == start {
                        // Failing since the history began: as far back as it goes.
                        break;
                    }
                    probe = probe.minus(1);
                }
            }
            assert_eq!(since[i], first, "{} rule {}", service.key, card.rules[i].id);
            checked += 1;
        }
    }
    assert!(checked >= 50, "{checked} rules checked");
}
