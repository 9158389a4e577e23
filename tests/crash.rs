//! Rule 5 with a real crash: `spot ingest` killed (SIGKILL) part-way through
//! a large write leaves the last committed state readable and intact.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::json;
use spot::model::{Day, RunFilter};
use spot::{SqliteStore, Store};

#[path = "support/wait.rs"]
mod wait;
use wait::wait_for;

/// An observation of `repos` repositories with 40 package uses each; the
/// `version` attribute makes one day differ from another everywhere.
fn write_observation(path: &Path, day: &str, version: u32, repos: usize) {
    let mut entities = Vec::new();
    let mut relations = Vec::new();
    for r in 0..repos {
        let repo = format!("repo:github.com/acme/r{r}");
        entities.push(json!({"key": repo, "kind": "repo", "name": format!("r{r}"), "attrs": {"v": version}}));
        for p in 0..40 {
            relations.push(json!({"from": repo, "to": format!("package:npm/p{p}"), "kind": "uses",
                                  "attrs": {"resolved": format!("1.{version}.{p}")}}));
        }
    }
    let obs = json!({"source": "github", "scope": "acme", "day": day, "complete": true,
                     "entities": entities, "relations": relations});
    std::fs::write(path, serde_json::to_vec(&obs).unwrap()).unwrap();
}

fn ingest(db: &Path, file: &Path) -> std::process::Child {
    ingest_with(db, file, None)
}

/// `spot ingest`; with `crash_point`, it stops after its last write, before
/// the commit, and says so by creating that file.
fn ingest_with(db: &Path, file: &Path, crash_point: Option<&Path>) -> std::process::Child {
    let mut command = Command::new(env!("CARGO_BIN_EXE_spot"));
    command.args(["ingest", "--db", db.to_str().unwrap(), file.to_str().unwrap()]).env("SPOT_LOG", "error");
    if let Some(marker) = crash_point {
        command.env("SPOT_TEST_CRASH_POINT", marker);
    }
    command.stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("spot starts")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_ingest_leaves_the_last_commit_intact() {
    let dir = tempfile::tempdir().unwrap();
    let (day1, day2) = (dir.path().join("day1.json"), dir.path().join("day2.json"));
    write_observation(&day1, "2024-03-03", 1, 2_000);
    write_observation(&day2, "2024-03-04", 2, 2_000);
    let db = dir.path().join("spot.db");
    assert!(ingest(&db, &day1).wait().unwrap().success());
    let before = SqliteStore::open(&db).unwrap().stats().await.unwrap();

    // Killed with every write of day 2 done and none committed.
    let marker = dir.path().join("crash-point");
    let mut child = ingest_with(&db, &day2, Some(&marker));
    wait_for("the ingest to reach its crash point", Duration::from_secs(120), || {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the ingest ended ({status}) before its crash point");
        }
        marker.exists().then_some(())
    });
    child.kill().unwrap(); // SIGKILL: no chance to clean up
    child.wait().unwrap();
    let store = SqliteStore::open(&db).expect("the store opens after a crash");
    assert_eq!(store.latest_day().await.unwrap(), Some("2024-03-03".parse::<Day>().unwrap()));
    assert_eq!(store.stats().await.unwrap(), before, "nothing half-written");
    assert_eq!(store.runs(&RunFilter::default()).await.unwrap().len(), 1);
    drop(store);

    // The same day again, uninterrupted, commits whole.
    assert!(ingest(&db, &day2).wait().unwrap().success());
    let store = SqliteStore::open(&db).unwrap();
    let stats = store.stats().await.unwrap();
    assert_eq!(store.latest_day().await.unwrap(), Some("2024-03-04".parse::<Day>().unwrap()));
    assert_eq!(stats.fact_versions, before.fact_versions * 2);
    assert_eq!(stats.relation_versions, before.relation_versions * 2);
    assert_eq!(store.runs(&RunFilter::default()).await.unwrap().len(), 2);
}

/// Hardening item 3: `spot generate` killed part-way through a day used to
/// leave that day half-ingested, and it became every read's latest day.
/// Each generated day now commits whole. Every iteration kills the process
/// mid-write (at the store's crash point, after `n` committed days: the
/// marker file says it is there, so no kill is left to the clock) and then
/// finds exactly the `n` whole days a `--days n` run writes: nothing at all
/// for `n = 0`, else the same latest day, the same runs of every scope and
/// the same versions. The store then takes a further write.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_generate_leaves_only_whole_days() {
    let dir = tempfile::tempdir().unwrap();
    let generate = |db: &Path, days: &str, crash: Option<(&Path, usize)>| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_spot"));
        command
            .args(["generate", "--db", db.to_str().unwrap(), "--days", days, "--start", "2023-01-01"])
            .env("SPOT_LOG", "error");
        if let Some((marker, after)) = crash {
            command.env("SPOT_TEST_CRASH_POINT", marker).env("SPOT_TEST_CRASH_AFTER", after.to_string());
        }
        command.stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("spot starts")
    };
    let runs_by_day = |runs: &[spot::model::Run], last: Day| {
        let mut scopes: Vec<(Day, String)> = runs
            .iter()
            .filter(|r| r.day <= last)
            .map(|r| (r.day, format!("{}/{}/{:?}", r.source, r.scope, r.status)))
            .collect();
        scopes.sort();
        scopes
    };
    let first: Day = "2023-01-01".parse().unwrap();

    for committed in [0usize, 1, 2, 3] {
        let db = dir.path().join(format!("killed-{committed}.db"));
        let marker = dir.path().join(format!("crash-point-{committed}"));
        let mut child = generate(&db, "400", Some((&marker, committed)));
        wait_for(
            &format!("generate to reach its crash point after {committed} days"),
            Duration::from_secs(300),
            || {
                if let Some(status) = child.try_wait().unwrap() {
                    panic!("generate ended ({status}) before its crash point after {committed} days");
                }
                marker.exists().then_some(())
            },
        );
        child.kill().unwrap(); // SIGKILL, mid-write: no chance to finish the day
        child.wait().unwrap();

        let integrity: String =
            rusqlite::Connection::open(&db).unwrap().query_row("PRAGMA integrity_check", [], |row| row.get(0)).unwrap();
        assert_eq!(integrity, "ok", "killed after {committed} days");
        let store = SqliteStore::open(&db).expect("the store opens after a crash");
        let stats = store.stats().await.unwrap();
        let latest = store.latest_day().await.unwrap();
        if committed == 0 {
            assert_eq!(latest, None, "nothing was committed");
            assert_eq!((stats.entities, stats.fact_versions, stats.relation_versions), (0, 0, 0), "{stats:?}");
        } else {
            let whole = dir.path().join(format!("whole-{committed}.db"));
            assert!(generate(&whole, &committed.to_string(), None).wait().unwrap().success());
            let reference = SqliteStore::open(&whole).unwrap();
            let expected = reference.stats().await.unwrap();
            let last = first.plus(committed as i32 - 1);
            assert_eq!(latest, Some(last), "killed after {committed} whole days");
            assert_eq!(
                runs_by_day(&store.runs(&RunFilter::default()).await.unwrap(), last),
                runs_by_day(&reference.runs(&RunFilter::default()).await.unwrap(), last),
                "killed after {committed} days: the runs of whole days, every scope of each"
            );
            assert_eq!(
                (stats.entities, stats.fact_versions, stats.relation_versions),
                (expected.entities, expected.fact_versions, expected.relation_versions),
                "killed after {committed} days: exactly the versions of {committed} whole days"
            );
        }
        drop(store);

        // The crashed store takes the next write (a scope of its own).
        let more = dir.path().join(format!("more-{committed}.json"));
        write_observation(&more, "2024-01-01", 1, 10); // after any generated day
        assert!(ingest(&db, &more).wait().unwrap().success(), "killed after {committed} days: the store is writable");
        let runs = SqliteStore::open(&db).unwrap().runs(&RunFilter::default()).await.unwrap();
        assert!(runs.iter().any(|r| r.source == "github" && r.scope == "acme"), "{runs:?}");
    }
}

/// `spot <args>` on `db`, quiet; with `crash`, the views' kill point
/// (`SPOT_TEST_VIEWS_CRASH_POINT`) after `n` view transactions committed.
fn spot_with(db: &Path, args: &[&str], crash: Option<(&Path, usize)>) -> std::process::Child {
    let mut command = Command::new(env!("CARGO_BIN_EXE_spot"));
    command.args(args).args(["--db", db.to_str().unwrap()]).env("SPOT_LOG", "error");
    if let Some((marker, after)) = crash {
        command.env("SPOT_TEST_VIEWS_CRASH_POINT", marker).env("SPOT_TEST_VIEWS_CRASH_AFTER", after.to_string());
    }
    command.stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("spot starts")
}

/// Waits for `child` to stop at its crash point (`marker` made) and kills it.
fn kill_at_crash_point(mut child: std::process::Child, marker: &Path, what: &str) {
    wait_for(&format!("{what} to reach its crash point"), Duration::from_secs(300), || {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("{what} ended ({status}) before its crash point");
        }
        marker.exists().then_some(())
    });
    child.kill().unwrap(); // SIGKILL, mid-write
    child.wait().unwrap();
}

/// Every deploy event of `store`.
async fn every_deploy(store: &SqliteStore) -> Vec<spot::model::DeployEvent> {
    let filter = spot::model::DeployFilter {
        services: vec![],
        clusters: vec![],
        from: Day(0).start(),
        to: Day(100_000).start(),
        brief: false,
    };
    store.deploys(&filter).await.unwrap()
}

/// The DORA figures the views give equal the brute force's (every deploy
/// judged again) over the store's surviving history: the organisation and
/// each cluster, by day, week and month, each service's too. Returns the
/// deploys compared.
async fn assert_views_are_the_history(store: &SqliteStore, what: &str) -> usize {
    use spot::delivery::rollup::{fix_forward_ms, RollupQuery};
    use spot::delivery::{dora, read, Bucket, DeliveryConfig};
    let fix_forward = DeliveryConfig::default().fix_forward();
    let events = every_deploy(store).await;
    assert!(!events.is_empty(), "{what}: the history has deploys to compare");
    let first = Day::of(events.iter().map(|e| e.at).min().unwrap());
    let last = Day::of(events.iter().map(|e| e.at).max().unwrap());
    let query = RollupQuery {
        services: None,
        clusters: None,
        except_clusters: vec![],
        from: first,
        to: last,
        fix_forward_ms: fix_forward_ms(fix_forward),
    };
    assert!(store.dora_rollups(&query).await.unwrap().is_some(), "{what}: the views answer");
    let mut clusters: Vec<Option<String>> = events.iter().map(|e| Some(e.cluster.clone())).collect();
    clusters.sort();
    clusters.dedup();
    clusters.push(None);
    for cluster in clusters {
        let mine: Vec<_> =
            events.iter().filter(|e| cluster.as_ref().is_none_or(|c| *c == e.cluster)).cloned().collect();
        for bucket in [Bucket::Day, Bucket::Week, Bucket::Month] {
            let scope = read::Scope { clusters: cluster.clone().map(|c| vec![c]), ..read::Scope::default() };
            let views = read::report(store, &scope, (first, last), bucket, fix_forward, true).await.unwrap();
            let oracle = dora::report(mine.clone(), first, last, bucket, fix_forward);
            assert_eq!(views.overall, oracle.overall, "{what}: {cluster:?} by {bucket:?}");
            assert_eq!(views.buckets, oracle.buckets, "{what}: {cluster:?} by {bucket:?}");
            assert_eq!(views.services, oracle.services, "{what}: {cluster:?} by {bucket:?}");
        }
    }
    events.len()
}

/// Whether the views of the store at `db` are derived (the rebuild done).
fn views_complete(db: &Path) -> bool {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.query_row("SELECT complete FROM dora_views", [], |r| r.get(0)).unwrap()
}

/// `spot generate` killed while recording a day's deploys (their verdicts
/// and rollups written, nothing committed): the deploys of the days before
/// survive whole, the killed day's not at all, and the views are exactly
/// what judging the surviving deploys gives.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_deploy_write_leaves_views_and_deploys_consistent() {
    let dir = tempfile::tempdir().unwrap();
    let generate = ["generate", "--start", "2023-01-01", "--days"];
    let db = dir.path().join("killed.db");
    let marker = dir.path().join("crash-point");
    // Two days of deploys commit; the third day's are killed mid-write.
    let child = spot_with(&db, &[&generate[..], &["400"]].concat(), Some((&marker, 2)));
    kill_at_crash_point(child, &marker, "generate");

    let whole = dir.path().join("whole.db");
    assert!(spot_with(&whole, &[&generate[..], &["2"]].concat(), None).wait().unwrap().success());
    let reference = SqliteStore::open(&whole).unwrap();
    let store = SqliteStore::open(&db).expect("the store opens after a crash");
    assert_eq!(every_deploy(&store).await, every_deploy(&reference).await, "the deploys of two whole days");
    assert!(views_complete(&db), "nothing was left to derive");
    let compared = assert_views_are_the_history(&store, "after a killed deploy write").await;
    assert!(compared > 10, "{compared} deploys");
}

/// `spot rebuild-views` killed part-way (a chunk of lanes committed, the
/// next written and not): the views say how far the rebuild got, and the
/// next open goes on from there to views equal to the brute force.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_rebuild_goes_on_where_it_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("spot.db");
    let generated = spot_with(&db, &["generate", "--start", "2023-01-01", "--days", "3"], None).wait().unwrap();
    assert!(generated.success());
    let marker = dir.path().join("crash-point");
    let child = spot_with(&db, &["rebuild-views"], Some((&marker, 1)));
    kill_at_crash_point(child, &marker, "rebuild-views");

    let conn = rusqlite::Connection::open(&db).unwrap();
    let (complete, cursor): (bool, Option<String>) =
        conn.query_row("SELECT complete, cursor_service FROM dora_views", [], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
    assert!(!complete && cursor.is_some(), "killed after its first chunk: {complete} {cursor:?}");
    drop(conn);
    let store = SqliteStore::open(&db).expect("the store opens after a crash");
    assert!(views_complete(&db), "opening finished the rebuild");
    assert_eq!(spot::store::sqlite::dora_views::unjudged(&rusqlite::Connection::open(&db).unwrap()).unwrap(), 0);
    assert_views_are_the_history(&store, "after a killed rebuild").await;
}
