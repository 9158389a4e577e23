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
        let (faulty_path, lenient_path) = (path.clone(), path.clone());
        Fixture {
            store: Box::new(store),
            faulty: Box::new(move |writes| {
                let options = SqliteOptions { fail_after_writes: Some(writes), ..SqliteOptions::default() };
                Box::new(SqliteStore::open_with(&faulty_path, options).expect("a second handle"))
            }),
            with_ingest: Box::new(move |ingest| {
                let options = SqliteOptions { ingest, ..SqliteOptions::default() };
                Box::new(SqliteStore::open_with(&lenient_path, options).expect("a second handle"))
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

/// SQLite's side of hardening items 1 and 2: a batch is one transaction,
/// and a rollback made by another process leaves no stale cache behind.
mod batches_and_rollbacks {
    use serde_json::json;
    use spot::model::*;
    use spot::store::sqlite::{SqliteOptions, SqliteStore};
    use spot::{Store, StoreError};

    use super::conformance::{alive, d, facts_of, held, obs, Obs};

    fn github(n: i32) -> Obs {
        obs("github", "acme", n).entity("repo:a", json!({"v": n})).entity(&format!("repo:day{n}"), json!({})).relation(
            "repo:a",
            "uses",
            &format!("repo:day{n}"),
            json!({}),
        )
    }

    /// Hardening item 2: a batch that fails while writing its second
    /// observation leaves no trace of the first (one transaction).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_batch_that_fails_while_writing_leaves_nothing_of_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("spot.db");
        let store = SqliteStore::open(&path).unwrap();
        github(1).into(&store).await;
        let before = held(&store).await;
        let faulty =
            SqliteStore::open_with(&path, SqliteOptions { fail_after_writes: Some(8), ..Default::default() }).unwrap();
        let err = faulty.ingest_batch(&[github(2).0, github(3).0]).await.unwrap_err();
        assert_eq!((err.index, err.written), (Some(1), 0), "{err}");
        assert!(matches!(err.error, StoreError::InjectedFault { .. }), "{err}");
        assert_eq!(held(&store).await, before);
        assert_eq!(store.latest_day().await.unwrap(), Some(d(1)));
        // The failed batch left the handle's caches usable.
        let runs = store.ingest_batch(&[github(2).0, github(3).0]).await.unwrap();
        assert_eq!(runs.len(), 2);
        assert_eq!(facts_of(&store, "repo:a", 3, "github").await, Some(json!({"v": 3})));
    }

    /// Hardening item 1: one process rolls back (deleting an anchor that
    /// is not the newest, and reopening versions), another that had
    /// ingested the same days then ingests again: its caches of entity ids
    /// and open versions are read afresh, not trusted.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_rollback_by_another_process_leaves_no_stale_cache() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("spot.db");
        let serving = SqliteStore::open(&path).unwrap();
        for n in [1, 2, 3] {
            github(n).into(&serving).await;
        }
        obs("kubernetes", "dc1", 3).entity("workload:newest", json!({})).into(&serving).await;

        let operator = SqliteStore::open(&path).unwrap();
        let done = operator.rollback("github", "acme", d(2)).await.unwrap();
        assert_eq!(done.entities_deleted, 2, "repo:day2 and repo:day3, older than workload:newest");

        let run = github(2).into(&serving).await;
        assert_eq!((run.counts.added, run.counts.changed, run.counts.closed), (2, 1, 2), "diffed against day 1");
        assert!(alive(&serving, "repo:day2", 2).await && !alive(&serving, "repo:day1", 2).await);
        assert_eq!(facts_of(&serving, "repo:a", 2, "github").await, Some(json!({"v": 2})));
        let runs = serving.runs(&RunFilter { source: Some("github".into()), ..Default::default() }).await.unwrap();
        assert_eq!(runs.iter().map(|r| r.day).collect::<Vec<_>>(), [d(2), d(1)]);
    }
}

/// The whole suite again through a `Layered` store (as `spot serve` wraps
/// its store to time each call): the one forwarding impl passes every
/// method and argument on unchanged.
mod layered {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use spot::store::layer::{Around, Call, Layered, Method};
    use spot::Store;

    use super::conformance::{self, Fixture, Harness};

    /// Counts the calls it sees and changes nothing.
    #[derive(Default)]
    struct Counting(Arc<AtomicUsize>);

    impl Around for Counting {
        fn around<'a, T: Send + 'a>(&'a self, _method: Method, call: Call<'a, T>) -> Call<'a, T> {
            self.0.fetch_add(1, Ordering::Relaxed);
            call
        }
    }

    fn layered(store: Box<dyn Store>) -> Box<dyn Store> {
        Box::new(Layered::new(Arc::from(store), Counting::default()))
    }

    struct ThroughALayer;

    impl Harness for ThroughALayer {
        fn fresh(&self) -> Fixture {
            let Fixture { store, faulty, with_ingest, _keep } = super::Sqlite.fresh();
            Fixture {
                store: layered(store),
                faulty: Box::new(move |writes| layered(faulty(writes))),
                with_ingest: Box::new(move |ingest| layered(with_ingest(ingest))),
                _keep,
            }
        }
    }

    crate::conformance_suite!(ThroughALayer);

    #[tokio::test]
    async fn the_layer_sees_each_call_as_a_read_or_a_write_by_its_method_name() {
        struct Names(Arc<std::sync::Mutex<Vec<Method>>>);
        impl Around for Names {
            fn around<'a, T: Send + 'a>(&'a self, method: Method, call: Call<'a, T>) -> Call<'a, T> {
                self.0.lock().unwrap().push(method);
                call
            }
        }
        let names = Arc::new(std::sync::Mutex::new(Vec::new()));
        let fixture = super::Sqlite.fresh();
        let store = Layered::new(Arc::from(fixture.store), Names(names.clone()));
        conformance::obs("github", "acme", 1).entity("repo:a", serde_json::json!({})).into(&store).await;
        store.latest_day().await.unwrap();
        let seen = names.lock().unwrap().clone();
        assert_eq!(seen, [Method::Write(spot::store::layer::WriteKind::Ingest), Method::Read("latest_day")]);
        assert_eq!(seen.iter().map(|method| method.name()).collect::<Vec<_>>(), ["ingest", "latest_day"]);
    }
}
