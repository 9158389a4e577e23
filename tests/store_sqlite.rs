//! The embedded SQLite store against the conformance suite.

mod conformance;

use conformance::{Fixture, Harness};
use spot::store::sqlite::{SqliteOptions, SqliteStore};

struct Sqlite;

impl Harness for Sqlite {
    fn fresh(&self) -> Fixture {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let path = dir.path().join("spot.db");
        let store = SqliteStore::open(&path).expect("a new store");
        let faulty_path = path.clone();
        Fixture {
            store: Box::new(store),
            faulty: Box::new(move |writes| {
                let options = SqliteOptions { fail_after_writes: Some(writes) };
                Box::new(SqliteStore::open_with(&faulty_path, options).expect("a second handle"))
            }),
            _keep: Box::new(dir),
        }
    }
}

conformance_suite!(Sqlite);

mod backup {
    use serde_json::json;
    use spot::model::RunFilter;
    use spot::store::sqlite::SqliteStore;
    use spot::Store;

    use super::conformance::{d, obs};

    /// Ingests day after day while a backup is taken: the copy is whole and
    /// is exactly the store as of some committed day.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_backup_taken_during_ingest_is_one_consistent_instant() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path().join("spot.db")).unwrap();
        let ingest = |n: i32| {
            let mut day = obs("github", "acme", n);
            for i in 0..200 {
                day = day.entity(&format!("repo:r{i}"), json!({ "stars": n * 1000 + i }));
            }
            day
        };
        ingest(0).into(&store).await;
        let writer = {
            let store = store.clone();
            tokio::spawn(async move {
                for n in 1..40 {
                    ingest(n).into(&store).await;
                }
            })
        };
        let target = dir.path().join("backup.db");
        let bytes = store.backup(&target).await.unwrap();
        writer.await.unwrap();
        assert!(bytes > 0);

        let copy = SqliteStore::open(&target).unwrap();
        let last = copy.latest_day().await.unwrap().expect("at least day 0");
        let runs = copy.runs(&RunFilter::default()).await.unwrap();
        assert_eq!(runs.len() as i32, last.0 - d(0).0 + 1, "every run up to the copy's last day, none after");
        for i in [0, 99, 199] {
            let key = format!("repo:r{i}");
            let in_copy = copy.entity(&key, last).await.unwrap().unwrap();
            let in_store = store.entity(&key, last).await.unwrap().unwrap();
            assert_eq!(in_copy.facts[0].attrs, in_store.facts[0].attrs);
        }
        let err = store.backup(&target).await.unwrap_err().to_string();
        assert!(err.contains("the file exists; choose a new name"), "{err}");
    }
}
