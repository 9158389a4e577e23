//! `changesAround` reads only the neighbourhood's changes (src/changes/
//! scoped.rs); the oracle is what it computed before: every change of the
//! organisation between each two days in words (`changes::read`, which
//! reads the whole diff), kept when it belongs to the neighbourhood, each
//! under the nearest of its services. Compared event by event (the change
//! in words with its title, services, before/after, the service, hops,
//! path and order) on a generated history of the scale-1 organisation,
//! around many services at depths 1 to 3 — and again after a day is rolled
//! back and after a day is ingested out of order.

use std::collections::{BTreeMap, BTreeSet};

use chrono::Duration;
use collectors::synthetic::SyntheticConfig;
use spot::changes::{self, AroundEvent, AroundQuery, EventKind, Scope, TypedChange};
use spot::model::{Day, Direction};
use spot::{SqliteStore, Store};

const DAYS: usize = 10;

async fn generated(dir: &std::path::Path) -> (SqliteStore, Day) {
    let store = SqliteStore::open(dir.join("spot.db")).unwrap();
    let start: Day = "2025-03-01".parse().unwrap();
    spot::generate::generate(&store, SyntheticConfig::new(1, 30, start), DAYS, |_| {}).await.unwrap();
    (store, start)
}

/// (event time, title, service, hops, path, the change in words).
type Seen = (String, String, String, u32, Vec<String>, TypedChange);

fn seen(event: &AroundEvent) -> Seen {
    let change = event.change.clone().expect("a snapshot event carries its change");
    (event.at.to_rfc3339(), event.title.clone(), event.service.clone(), event.hops, event.path.clone(), change)
}

/// The snapshot events as `around` computed them over the whole diff.
async fn oracle(store: &dyn Store, query: &AroundQuery, services: &BTreeMap<String, Vec<String>>) -> Vec<Seen> {
    let scope = Scope { services: Some(services.keys().cloned().collect::<BTreeSet<_>>()) };
    let mut events = Vec::new();
    let mut day = Day::of(query.from);
    while day <= Day::of(query.to) && day.start() < query.to {
        for change in changes::read(store, day.minus(1), day, &scope).await.unwrap() {
            let nearest =
                change.services.iter().filter(|s| services.contains_key(*s)).min_by_key(|s| services[*s].len());
            let Some(service) = nearest.cloned() else { continue };
            let path = services[&service].clone();
            let at = day.start().to_rfc3339();
            events.push((at, change.title.clone(), service, path.len() as u32 - 1, path, change));
        }
        day = day.plus(1);
    }
    // `around` orders by (time, title), stably.
    events.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    events
}

fn query(service: &str, to: Day, days: i64, depth: u32, direction: Direction) -> AroundQuery {
    let to = to.start() + Duration::hours(13);
    AroundQuery {
        service: service.to_string(),
        from: to - Duration::days(days),
        to,
        depth,
        direction,
        kinds: Vec::new(),
        fix_forward: None,
    }
}

/// Compares around many services; returns how many events and how many
/// package versions moved in several services were compared, so that the
/// caller can check the comparison saw the hard cases.
async fn compare(store: &dyn Store, last: Day) -> (usize, usize) {
    let services: Vec<String> =
        store.entities_of_kind("service", last).await.unwrap().into_iter().map(|s| s.entity.key).collect();
    let (mut events, mut shared) = (0, 0);
    for (i, service) in services.iter().step_by(services.len() / 12).enumerate() {
        let depth = 1 + (i % 3) as u32;
        let direction = [Direction::Both, Direction::Out, Direction::In][i % 3];
        let query = query(service, last, if i % 2 == 0 { 7 } else { 1 }, depth, direction);
        let around = changes::around(store, &query).await.unwrap();
        let got: Vec<Seen> = around.events.iter().filter(|e| e.event == EventKind::Snapshot).map(seen).collect();
        let expected = oracle(store, &query, &around.services).await;
        assert_eq!(got.len(), expected.len(), "around {service}, depth {depth}: event count");
        for (got, expected) in got.iter().zip(&expected) {
            assert_eq!(got, expected, "around {service}, depth {depth}");
        }
        events += got.len();
        shared += got.iter().filter(|e| e.5.subject_kind == "uses" && e.5.services.len() > 1).count();
    }
    (events, shared)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn around_reads_the_same_changes_as_the_whole_diff() {
    let dir = tempfile::tempdir().unwrap();
    let (store, start) = generated(dir.path()).await;
    let last = start.plus(DAYS as i32 - 1);
    let (events, shared) = compare(&store, last).await;
    assert!(events > 100, "the comparison saw too few events to mean much: {events}");
    assert!(shared > 0, "no package version moved in several services was compared");
    versions_between_pairs_are_the_organisations_filtered(&store, last).await;
}

/// `relation_value_versions_between`, which read.rs reads the changed
/// `uses` versions with, against the organisation's versions filtered.
async fn versions_between_pairs_are_the_organisations_filtered(store: &SqliteStore, last: Day) {
    let (from, to) = (last.minus(7), last);
    let changes = store.changes(from, to).await.unwrap();
    let mut pairs: Vec<(String, String)> =
        changes.relations.iter().filter(|r| r.kind == "uses").map(|r| (r.from.clone(), r.to.clone())).collect();
    assert!(pairs.len() > 10, "too few changed uses: {}", pairs.len());
    pairs.push(pairs[0].clone());
    pairs.push(("repo:nowhere".into(), "package:npm/none".into()));
    let between = store.relation_value_versions_between("uses", "resolved", &pairs, from, to).await.unwrap();
    let all = store.relation_value_versions("uses", "resolved", from, to).await.unwrap();
    let filtered: Vec<_> = all.into_iter().filter(|v| pairs.contains(&(v.from.clone(), v.to.clone()))).collect();
    assert!(!filtered.is_empty());
    assert_eq!(between, filtered);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn around_stays_exact_after_a_rollback_and_a_prune() {
    // Nothing is kept for `around` beyond the versions themselves, so what
    // rewrites versions must leave it equal to the oracle.
    let dir = tempfile::tempdir().unwrap();
    let (store, start) = generated(dir.path()).await;
    let last = start.plus(DAYS as i32 - 1);
    // Roll back the busiest (source, scope) from a day inside the windows.
    let day = last.minus(2);
    let runs = store.runs(&spot::model::RunFilter::default()).await.unwrap();
    let busiest = |r: &&spot::model::Run| r.counts.added + r.counts.changed + r.counts.closed;
    let run = runs.iter().filter(|r| r.day == day).max_by_key(busiest).unwrap();
    let undone = store.rollback(&run.source, &run.scope, day).await.unwrap();
    assert!(undone.runs > 0, "the rollback undid nothing: {undone:?}");
    compare(&store, last).await;
    // Prune what that source closed before the windows' middle.
    let pruned = store.prune(&run.source, last.minus(3)).await.unwrap();
    assert!(pruned.fact_versions + pruned.relation_versions > 0, "the prune removed nothing");
    compare(&store, last).await;
}

/// Where the time of the bench's changes scenario goes, on a history a
/// `spot bench store --dir` left: `SPOT_CHANGES_DB=…/history.db cargo test
/// --test changes_around_oracle -- --ignored --nocapture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs SPOT_CHANGES_DB"]
async fn where_the_time_goes() {
    let path = std::env::var("SPOT_CHANGES_DB").expect("SPOT_CHANGES_DB names a history.db");
    let store = SqliteStore::open(path).unwrap();
    let last = store.latest_day().await.unwrap().unwrap();
    let services: Vec<String> =
        store.entities_of_kind("service", last).await.unwrap().into_iter().map(|s| s.entity.key).collect();
    let timed = |what: &str, started: std::time::Instant| println!("{what}: {:?}", started.elapsed());
    for (i, day) in [last.minus(5), last.minus(100), last.minus(300)].into_iter().enumerate() {
        let to = day;
        let started = std::time::Instant::now();
        let raw = store.changes(to.minus(7), to).await.unwrap();
        timed("week diff", started);
        let started = std::time::Instant::now();
        let outlined = changes::outline_of(&store, &raw, &Scope::default()).await.unwrap();
        timed("week outline", started);
        let started = std::time::Instant::now();
        let page = changes::finish(&store, outlined.into_iter().take(100).collect()).await.unwrap();
        timed(&format!("first page ({})", page.len()), started);
        for (hours, service) in [(24, &services[i * 7]), (24 * 7, &services[i * 11 + 3])] {
            let started = std::time::Instant::now();
            let query = query(service, to, hours / 24, 2, Direction::Both);
            let around = changes::around(&store, &query).await.unwrap();
            timed(
                &format!("around {hours} h ({} services, {} events)", around.services.len(), around.events.len()),
                started,
            );
        }
    }
}
