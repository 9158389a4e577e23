//! Rule 5 with a real crash: `spot ingest` killed (SIGKILL) part-way through
//! a large write leaves the last committed state readable and intact.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use serde_json::json;
use spot::model::{Day, RunFilter};
use spot::{SqliteStore, Store};

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
    let started = Instant::now();
    while !marker.exists() {
        assert!(started.elapsed().as_secs() < 120, "the ingest never reached its crash point");
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the ingest ended ({status}) before its crash point");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
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
