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
