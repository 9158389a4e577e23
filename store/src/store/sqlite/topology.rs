//! The graph's shape in memory, for traversals.
//!
//! A depth-3 traversal read from SQLite costs about a microsecond per edge
//! row, plus a statement per hop and direction and one to name the entities:
//! the larger half of the API's traversal CPU. A [`Topology`] is every
//! relation version, entity anchor and scope name of one committed state,
//! in adjacency lists; walking it costs a hash lookup per frontier entity.
//!
//! It is only ever used for the state it was built from: the
//! `graph_version` counter (bumped by triggers on every change to entities,
//! relations and scopes, migration 006) is read in the traversal's own read
//! transaction, and a topology of any other version is ignored and the
//! traversal reads SQLite, as it always could. A stale topology is rebuilt
//! in the background ([`TopologyCache`]), at most one build at a time and
//! spaced so that rebuilding never takes more than a tenth of the time.
//! Answers never depend on which path ran; tests check both give the same.

use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use rusqlite::Connection;
use rustc_hash::FxHashMap;

use super::backend;
use super::read::scope_names;
use super::traverse::{Hop, Step};
use crate::model::Entity;
use crate::store::StoreResult;

/// The version of the graph's shape a read transaction sees.
pub fn stamp(conn: &Connection) -> StoreResult<i64> {
    conn.prepare_cached("SELECT version FROM graph_version")
        .and_then(|mut s| s.query_row([], |r| r.get(0)))
        .map_err(backend("reading the graph version"))
}

/// One relation version.
struct Edge {
    id: i64,
    from: i64,
    to: i64,
    kind: Arc<str>,
    scope: i64,
    /// As stored (JSON text); shared between versions that say the same.
    attrs: Arc<str>,
    valid_from: i32,
    valid_to: i32,
}

/// Every relation version, entity anchor and scope of one committed state.
pub struct Topology {
    stamp: i64,
    ids: FxHashMap<String, i64>,
    entities: FxHashMap<i64, Entity>,
    scopes: FxHashMap<i64, (String, String)>,
    edges: Vec<Edge>,
    /// Entity id → indexes into `edges` of the versions leaving it.
    leaving: FxHashMap<i64, Vec<u32>>,
    /// Entity id → indexes into `edges` of the versions arriving at it.
    arriving: FxHashMap<i64, Vec<u32>>,
}

impl Topology {
    /// Reads the whole shape. `conn` must be in a read transaction, so the
    /// stamp and the rows are of one state.
    pub fn load(conn: &Connection) -> StoreResult<Topology> {
        let stamp = stamp(conn)?;
        let mut entities = FxHashMap::default();
        let mut ids = FxHashMap::default();
        let mut stmt =
            conn.prepare_cached("SELECT id, key, kind, name FROM entities").map_err(backend("loading entities"))?;
        let mut rows = stmt.query([]).map_err(backend("loading entities"))?;
        while let Some(row) = rows.next().map_err(backend("loading entities"))? {
            let id: i64 = row.get(0).map_err(backend("loading entities"))?;
            let entity = super::read::entity_from(row, 1).map_err(backend("loading entities"))?;
            ids.insert(entity.key.clone(), id);
            entities.insert(id, entity);
        }
        let mut topology = Topology {
            stamp,
            ids,
            entities,
            scopes: scope_names(conn)?,
            edges: Vec::new(),
            leaving: FxHashMap::default(),
            arriving: FxHashMap::default(),
        };
        topology.load_edges(conn)?;
        Ok(topology)
    }

    fn load_edges(&mut self, conn: &Connection) -> StoreResult<()> {
        const EDGES: &str = "SELECT id, from_id, to_id, kind, scope, attrs, valid_from, valid_to FROM relations";
        let mut shared: FxHashMap<String, Arc<str>> = FxHashMap::default();
        let mut share = |text: String| shared.entry(text).or_insert_with_key(|t| Arc::from(t.as_str())).clone();
        let mut stmt = conn.prepare_cached(EDGES).map_err(backend("loading relations"))?;
        let mut rows = stmt.query([]).map_err(backend("loading relations"))?;
        while let Some(r) = rows.next().map_err(backend("loading relations"))? {
            let edge = (|| {
                Ok::<_, rusqlite::Error>(Edge {
                    id: r.get(0)?,
                    from: r.get(1)?,
                    to: r.get(2)?,
                    kind: share(r.get(3)?),
                    scope: r.get(4)?,
                    attrs: share(r.get(5)?),
                    valid_from: r.get(6)?,
                    valid_to: r.get(7)?,
                })
            })()
            .map_err(backend("loading relations"))?;
            let index = u32::try_from(self.edges.len()).map_err(|_| crate::store::StoreError::Backend {
                doing: "loading relations".into(),
                source: "more than 4 billion relation versions".into(),
            })?;
            self.leaving.entry(edge.from).or_default().push(index);
            self.arriving.entry(edge.to).or_default().push(index);
            self.edges.push(edge);
        }
        Ok(())
    }

    pub fn stamp(&self) -> i64 {
        self.stamp
    }

    /// The id of the entity with this key.
    pub fn id(&self, key: &str) -> Option<i64> {
        self.ids.get(key).copied()
    }

    pub fn entity(&self, id: i64) -> Option<&Entity> {
        self.entities.get(&id)
    }

    /// A scope's (source, scope) by id.
    pub fn scope(&self, id: i64) -> Option<&(String, String)> {
        self.scopes.get(&id)
    }

    /// The edges of `step`, frontier entity by frontier entity, as the SQL
    /// statements read them; `false` once more than `limit` have been added
    /// after `start`.
    pub(super) fn hops(&self, step: &Step, out: &mut Vec<Hop>, start: usize, limit: usize) -> bool {
        let Step { frontier, followed, outgoing, day } = *step;
        let lists = if outgoing { &self.leaving } else { &self.arriving };
        let taken = |kind: &str| followed.iter().any(|rule| rule.kind.as_deref().is_none_or(|k| k == kind));
        for (near, node) in frontier.iter().enumerate() {
            for &index in lists.get(node).map_or(&[][..], Vec::as_slice) {
                let edge = &self.edges[index as usize];
                if edge.valid_from > day.0 || edge.valid_to <= day.0 || !taken(&edge.kind) {
                    continue;
                }
                out.push(Hop {
                    edge: edge.id,
                    other: if outgoing { edge.to } else { edge.from },
                    from: edge.from,
                    to: edge.to,
                    kind: edge.kind.to_string(),
                    scope: edge.scope,
                    attrs: edge.attrs.to_string(),
                    valid_from: edge.valid_from,
                    valid_to: edge.valid_to,
                    rank: 0,
                    near,
                });
                if out.len() - start > limit {
                    return false;
                }
            }
        }
        true
    }
}

/// The latest topology built, and when the next build may start.
#[derive(Default)]
pub struct TopologyCache {
    current: RwLock<Option<Arc<Topology>>>,
    refresh: Mutex<Refresh>,
}

#[derive(Default)]
struct Refresh {
    building: bool,
    /// No build starts before this (none yet: any time).
    not_before: Option<Instant>,
}

/// A build may take at most this share of the time: after a build of d,
/// the next waits 9·d (and at least [`MIN_REBUILD_GAP`]), so a store that
/// ingests all day spends at most a tenth of a core rebuilding.
const REBUILD_GAP_FACTOR: u32 = 9;
const MIN_REBUILD_GAP: Duration = Duration::from_secs(1);

impl TopologyCache {
    pub fn current(&self) -> Option<Arc<Topology>> {
        self.current.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Whether a build should start now; if so, it counts as started.
    pub fn start_build(&self) -> bool {
        let mut refresh = self.refresh.lock().unwrap_or_else(|p| p.into_inner());
        if refresh.building || refresh.not_before.is_some_and(|t| Instant::now() < t) {
            return false;
        }
        refresh.building = true;
        true
    }

    /// Ends a build started with [`TopologyCache::start_build`]. Builds run
    /// one at a time, so the one ending now read the latest state.
    pub fn finish_build(&self, built: StoreResult<Topology>, took: Duration) {
        let gap = (took * REBUILD_GAP_FACTOR).max(MIN_REBUILD_GAP);
        match built {
            Ok(topology) => {
                tracing::debug!(
                    graph.version = topology.stamp,
                    relations = topology.edges.len(),
                    entities = topology.entities.len(),
                    took_ms = took.as_millis() as u64,
                    "built the in-memory topology"
                );
                *self.current.write().unwrap_or_else(|p| p.into_inner()) = Some(Arc::new(topology));
            }
            Err(error) => tracing::warn!(%error, "could not build the in-memory topology; traversals read SQLite"),
        }
        let mut refresh = self.refresh.lock().unwrap_or_else(|p| p.into_inner());
        refresh.building = false;
        refresh.not_before = Some(Instant::now() + gap);
    }
}

#[cfg(test)]
mod tests {
    use collectors::synthetic::{Org, SyntheticConfig, SyntheticRun};
    use collectors::{Observation, ObservedEntity, ObservedRelation};
    use serde_json::json;

    use super::*;
    use crate::model::{Day, Direction, EdgeRule, Traversal};
    use crate::store::sqlite::traverse::{relations_of, traverse_within, Walked};
    use crate::store::sqlite::SqliteStore;
    use crate::store::Store;

    /// The synthetic organisation's snapshots of `days` days (what `spot
    /// generate` ingests, without its deploys and actions: walks read the
    /// graph only; failed runs are not recorded, walks never read them).
    async fn generate(store: &SqliteStore, config: SyntheticConfig, days: usize) {
        let mut org = Org::new(&config);
        for day in 0..days {
            if day > 0 {
                org.advance();
            }
            let observed: Vec<Observation> = org
                .observe()
                .into_iter()
                .filter_map(|run| match run {
                    SyntheticRun::Observed(observation) => Some(observation),
                    SyntheticRun::Failed { .. } => None,
                })
                .collect();
            store.ingest_batch(&observed).await.unwrap();
        }
    }

    fn reader(path: &std::path::Path) -> Connection {
        let conn = Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
        conn.execute_batch("BEGIN").unwrap();
        conn
    }

    /// The whole traversal, however many budgets it takes.
    fn walk(conn: &Connection, topology: Option<Arc<Topology>>, traversal: &Traversal, budget: usize) -> String {
        let graph = match traverse_within(conn, topology, traversal.clone(), budget) {
            Ok(Walked::Done(graph)) => Ok(graph),
            Ok(Walked::Unfinished(walk)) => walk.finish(conn),
            Err(e) => Err(e),
        };
        format!("{graph:?}")
    }

    fn rule_sets() -> Vec<Vec<EdgeRule>> {
        let kinds = |names: &[&str]| names.iter().map(|k| k.to_string()).collect::<Vec<_>>();
        vec![
            EdgeRule::for_kinds(&kinds(&["depends_on", "deploys", "runs_in"]), Direction::Out),
            EdgeRule::for_kinds(&kinds(&["depends_on", "uses"]), Direction::In),
            EdgeRule::for_kinds(&kinds(&["runs_in", "owns"]), Direction::Both),
            EdgeRule::for_kinds(&[], Direction::Out),
            EdgeRule::for_kinds(&[], Direction::Both),
            vec![
                EdgeRule::new("uses", Direction::In),
                EdgeRule::new("builds", Direction::Out),
                EdgeRule::new("depends_on", Direction::In),
            ],
        ]
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn walks_over_the_topology_and_over_sqlite_give_the_same_answers() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("spot.db");
        let store = SqliteStore::open(&path).unwrap();
        let start = "2025-03-01".parse::<Day>().unwrap();
        let days = 5;
        generate(&store, SyntheticConfig::new(1, 7, start), days).await;

        let conn = reader(&path);
        let topology = Arc::new(Topology::load(&conn).unwrap());
        assert_eq!(topology.stamp(), stamp(&conn).unwrap());
        let keys: Vec<String> = conn
            .prepare("SELECT key FROM entities WHERE id % 211 = 0 OR key LIKE 'cluster:%' ORDER BY id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert!(keys.len() > 30, "a sample of every kind, hubs included: {}", keys.len());
        let mut compared = 0;
        for key in keys.iter().chain([&"service:no-such-thing".to_string()]) {
            for offset in [-1, 0, days as i32 - 1] {
                let day = start.plus(offset);
                for edges in rule_sets() {
                    for depth in [1, 3] {
                        let traversal = Traversal { start: key.clone(), day, depth, edges: edges.clone() };
                        let from_sql = walk(&conn, None, &traversal, usize::MAX);
                        for budget in [usize::MAX, 5] {
                            let from_memory = walk(&conn, Some(topology.clone()), &traversal, budget);
                            assert_eq!(from_memory, from_sql, "{traversal:?}, budget {budget}");
                        }
                        compared += 1;
                    }
                    let kinds: Vec<String> = edges.iter().filter_map(|rule| rule.kind.clone()).collect();
                    let direction = edges[0].direction;
                    let sql = relations_of(&conn, None, key, day, direction, &kinds);
                    let memory = relations_of(&conn, Some(&topology), key, day, direction, &kinds);
                    assert_eq!(format!("{memory:?}"), format!("{sql:?}"), "relations of {key} on {day}");
                }
            }
        }
        assert!(compared > 500, "{compared}");
    }

    fn observation(day: Day, entities: &[(&str, &str)], relations: &[(&str, &str, &str)]) -> Observation {
        let mut observation = Observation::new("test", "acme", day);
        for (key, name) in entities {
            let kind = key.split(':').next().unwrap();
            let attrs = Default::default();
            observation.entities.push(ObservedEntity {
                key: key.to_string(),
                kind: kind.into(),
                name: name.to_string(),
                attrs,
            });
        }
        for (from, kind, to) in relations {
            let attrs = json!({}).as_object().unwrap().clone();
            observation.relations.push(ObservedRelation {
                from: from.to_string(),
                to: to.to_string(),
                kind: kind.to_string(),
                attrs,
            });
        }
        observation
    }

    async fn version(store: &SqliteStore) -> i64 {
        store.read(stamp).await.unwrap()
    }

    #[tokio::test]
    async fn every_change_to_the_graph_moves_its_version_and_nothing_else_does() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path().join("spot.db")).unwrap();
        let day = "2025-03-01".parse::<Day>().unwrap();
        let first = version(&store).await;

        store
            .ingest(&observation(day, &[("service:a", "a")], &[("service:a", "depends_on", "service:b")]))
            .await
            .unwrap();
        let added = version(&store).await;
        assert!(added > first, "new anchors and a new relation");

        store
            .ingest(&observation(day.plus(1), &[("service:a", "a")], &[("service:a", "depends_on", "service:b")]))
            .await
            .unwrap();
        assert_eq!(version(&store).await, added, "an unchanged observation changes no shape");

        store
            .ingest(&observation(day.plus(2), &[("service:a", "Alpha")], &[("service:a", "depends_on", "service:b")]))
            .await
            .unwrap();
        let renamed = version(&store).await;
        assert!(renamed > added, "a renamed anchor");

        store.ingest(&observation(day.plus(3), &[("service:a", "Alpha")], &[])).await.unwrap();
        let closed = version(&store).await;
        assert!(closed > renamed, "a closed relation version");

        store.prune("test", day.plus(10)).await.unwrap();
        assert!(version(&store).await > closed, "a pruned relation version");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_traversal_never_reads_a_topology_of_another_state() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path().join("spot.db")).unwrap();
        let day = "2025-03-01".parse::<Day>().unwrap();
        let deps = |day| Traversal {
            start: "service:a".into(),
            day,
            depth: 2,
            edges: EdgeRule::for_kinds(&["depends_on".to_string()], Direction::Out),
        };
        store
            .ingest(&observation(day, &[("service:a", "a")], &[("service:a", "depends_on", "service:b")]))
            .await
            .unwrap();
        assert_eq!(store.traverse(&deps(day)).await.unwrap().edges.len(), 1);
        let built = async {
            while store.inner.topology.current().is_none() {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        };
        tokio::time::timeout(Duration::from_secs(10), built).await.expect("the first traversal starts a build");
        let built_at = store.inner.topology.current().unwrap().stamp();
        assert_eq!(built_at, version(&store).await);

        let both = [("service:a", "depends_on", "service:b"), ("service:b", "depends_on", "service:c")];
        store.ingest(&observation(day.plus(1), &[("service:a", "a")], &both)).await.unwrap();
        let graph = store.traverse(&deps(day.plus(1))).await.unwrap();
        assert_eq!(graph.edges.len(), 2, "the edge ingested after the build is there");
    }

    /// Hardening item 1: a rollback changes relations (and may delete
    /// anchors) behind a topology built before it; traversals then answer
    /// about the state after the rollback.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_traversal_after_a_rollback_never_reads_the_topology_of_before() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path().join("spot.db")).unwrap();
        let day = "2025-03-01".parse::<Day>().unwrap();
        let deps = Traversal {
            start: "service:a".into(),
            day: day.plus(5),
            depth: 2,
            edges: EdgeRule::for_kinds(&["depends_on".to_string()], Direction::Out),
        };
        let one = [("service:a", "depends_on", "service:b")];
        let two = [("service:a", "depends_on", "service:b"), ("service:b", "depends_on", "service:c")];
        store.ingest(&observation(day, &[("service:a", "a")], &one)).await.unwrap();
        store.ingest(&observation(day.plus(1), &[("service:a", "a")], &two)).await.unwrap();
        assert_eq!(store.traverse(&deps).await.unwrap().edges.len(), 2);
        let built = async {
            loop {
                let now = version(&store).await;
                if store.inner.topology.current().is_some_and(|t| t.stamp() == now) {
                    break;
                }
                store.traverse(&deps).await.unwrap();
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        };
        tokio::time::timeout(Duration::from_secs(10), built).await.expect("a topology of the two days is built");

        let done = store.rollback("test", "acme", day.plus(1)).await.unwrap();
        assert_eq!((done.relations_deleted, done.entities_deleted), (1, 1), "b→c, and service:c");
        let graph = store.traverse(&deps).await.unwrap();
        let reached: Vec<&str> = graph.nodes.iter().map(|n| n.entity.key.as_str()).collect();
        assert_eq!(reached, ["service:a", "service:b"], "as after day 1: {graph:?}");
    }
}
