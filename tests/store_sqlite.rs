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

/// The trait's defaults for `relation_values`, `relation_value_versions`
/// and `entities_of_kind` (for stores without their own queries), held to the same conformance tests
/// over SQLite's other methods.
mod generic_defaults {
    use async_trait::async_trait;
    use spot::model::*;
    use spot::store::sqlite::SqliteStore;
    use spot::store::{Store, StoreResult};
    use spot::Observation;

    use super::conformance::{self, Fixture, Harness};

    /// SQLite for everything but the relation values.
    struct DefaultsOnly(SqliteStore);

    #[async_trait]
    impl Store for DefaultsOnly {
        async fn ingest(&self, observation: &Observation) -> StoreResult<Run> {
            self.0.ingest(observation).await
        }
        async fn ingest_batch(&self, observations: &[Observation]) -> Result<Vec<Run>, spot::store::BatchError> {
            self.0.ingest_batch(observations).await
        }
        async fn rollback(&self, source: &str, scope: &str, day: Day) -> StoreResult<Rollback> {
            self.0.rollback(source, scope, day).await
        }
        async fn rollbacks(&self) -> StoreResult<Vec<Rollback>> {
            self.0.rollbacks().await
        }
        async fn record_failure(&self, source: &str, scope: &str, day: Day, error: &str) -> StoreResult<Run> {
            self.0.record_failure(source, scope, day, error).await
        }
        async fn latest_day(&self) -> StoreResult<Option<Day>> {
            self.0.latest_day().await
        }
        async fn entity(&self, key: &str, day: Day) -> StoreResult<Option<EntityState>> {
            self.0.entity(key, day).await
        }
        async fn search(&self, query: &SearchQuery) -> StoreResult<Vec<Entity>> {
            self.0.search(query).await
        }
        async fn relations(
            &self,
            key: &str,
            day: Day,
            direction: Direction,
            kinds: &[String],
        ) -> StoreResult<Vec<Relation>> {
            self.0.relations(key, day, direction, kinds).await
        }
        async fn traverse(&self, traversal: &Traversal) -> StoreResult<Subgraph> {
            self.0.traverse(traversal).await
        }
        async fn timeline(
            &self,
            key: &str,
            path: &str,
            from: Day,
            to: Day,
            source: Option<&str>,
        ) -> StoreResult<Vec<ChangePoint>> {
            self.0.timeline(key, path, from, to, source).await
        }
        async fn changes(&self, from: Day, to: Day) -> StoreResult<Changes> {
            self.0.changes(from, to).await
        }
        async fn runs(&self, filter: &RunFilter) -> StoreResult<Vec<Run>> {
            self.0.runs(filter).await
        }
        async fn stats(&self) -> StoreResult<StoreStats> {
            self.0.stats().await
        }
        async fn relation_history(
            &self,
            key: &str,
            direction: Direction,
            kinds: &[String],
            from: Day,
            to: Day,
        ) -> StoreResult<Vec<Relation>> {
            self.0.relation_history(key, direction, kinds, from, to).await
        }
        async fn neighbours(&self, keys: &[String], rule: &EdgeRule, day: Day) -> StoreResult<Vec<(String, String)>> {
            self.0.neighbours(keys, rule, day).await
        }
        async fn attribute_values(
            &self,
            kind: &str,
            path: &str,
            source: Option<&str>,
            day: Day,
        ) -> StoreResult<Vec<AttributeValue>> {
            self.0.attribute_values(kind, path, source, day).await
        }
        async fn acquire_lease(&self, name: &str, holder: &str, now_ms: i64, until_ms: i64) -> StoreResult<bool> {
            self.0.acquire_lease(name, holder, now_ms, until_ms).await
        }
        async fn release_lease(&self, name: &str, holder: &str) -> StoreResult<()> {
            self.0.release_lease(name, holder).await
        }
        async fn prune(&self, source: &str, closed_before: Day) -> StoreResult<Pruned> {
            self.0.prune(source, closed_before).await
        }
        async fn export(&self, sink: tokio::sync::mpsc::Sender<spot::transfer::Record>) -> StoreResult<()> {
            self.0.export(sink).await
        }
        async fn import(
            &self,
            records: tokio::sync::mpsc::Receiver<spot::transfer::Incoming>,
        ) -> StoreResult<spot::transfer::Imported> {
            self.0.import(records).await
        }
        async fn record_deployment(&self, event: &DeployEvent) -> StoreResult<()> {
            self.0.record_deployment(event).await
        }
        async fn deployments(
            &self,
            service: &str,
            cluster: Option<&str>,
            from: Day,
            to: Day,
        ) -> StoreResult<Vec<DeployEvent>> {
            self.0.deployments(service, cluster, from, to).await
        }
    }

    struct Defaults;

    impl Harness for Defaults {
        fn fresh(&self) -> Fixture {
            let dir = tempfile::tempdir().expect("a temporary folder");
            let store = SqliteStore::open(dir.path().join("spot.db")).expect("a new store");
            Fixture {
                store: Box::new(DefaultsOnly(store)),
                faulty: Box::new(|_| unreachable!("not used by this test")),
                with_ingest: Box::new(|_| unreachable!("not used by this test")),
                _keep: Box::new(dir),
            }
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_default_relation_values_conform() {
        conformance::history::relation_values_cover_a_kind_on_a_day(&Defaults).await;
        conformance::history::relation_value_versions_cover_a_range(&Defaults).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_default_entities_of_kind_conform() {
        conformance::history::entities_of_kind_come_with_the_sources_that_see_them(&Defaults).await;
    }
}
