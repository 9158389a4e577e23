//! The embedded store: one SQLite file in WAL mode. The default store, and
//! the one a fresh clone runs with no server at all.
//!
//! One writer connection behind a mutex (SQLite allows one writer at a time
//! anyway) and a small pool of read-only connections, so readers never wait
//! for an ingest: WAL lets them read the last committed state meanwhile.
//! Reads beyond the pool's size queue for a connection, first come first
//! served: running more SQLite reads at once than there are cores only adds
//! threads fighting over them, and a connection opened for one read and
//! thrown away costs more than the read. Blocking SQLite calls run on
//! tokio's blocking pool. Every read is one read transaction. Traversals
//! walk an in-memory copy of the graph's shape when it is of the state they
//! read ([`topology`]).

mod actions;
mod anchors;
mod backup;
mod cache;
mod changes;
mod deploy_page;
mod dora_spans;
pub mod dora_views;
mod events;
mod history;
mod leases;
mod read;
mod retention;
mod rollback;
mod schema;
pub mod score_views;
mod timeline;
mod topology;
mod transfer;
mod traverse;
mod write;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use rusqlite::{Connection, OpenFlags};
use spot_model::Observation;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::{BatchError, Refusal, Store, StoreError, StoreResult};
use crate::model::*;
use score_views::{KeepScores, Kept, KeptQuery, KeptState};

/// Options for opening a [`SqliteStore`].
#[derive(Debug, Clone, Default)]
pub struct SqliteOptions {
    /// Test hook: fail every ingest after this many row writes, to prove
    /// that a failure mid-write leaves the last committed state intact.
    pub fail_after_writes: Option<u64>,
    /// `[ingest]`: the future-day allowance every ingest is checked against.
    pub ingest: crate::ingest::IngestConfig,
}

#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    options: SqliteOptions,
    writer: Mutex<write::Writer>,
    readers: Mutex<Vec<Connection>>,
    /// One permit per pooled read connection.
    read_permits: Arc<Semaphore>,
    /// The graph's shape in memory, for traversals.
    topology: topology::TopologyCache,
    /// Opened for reading only: nothing is written, not even on close.
    read_only: bool,
}

/// Read connections: twice the cores (a read waits on I/O now and then),
/// at least four.
fn read_pool_size() -> usize {
    std::thread::available_parallelism().map_or(4, |cores| cores.get() * 2).max(4)
}

impl SqliteStore {
    /// Opens (creating if needed) the store at `path` and brings its schema
    /// up to date.
    pub fn open(path: impl AsRef<Path>) -> StoreResult<SqliteStore> {
        SqliteStore::open_with(path, SqliteOptions::default())
    }

    pub fn open_with(path: impl AsRef<Path>, options: SqliteOptions) -> StoreResult<SqliteStore> {
        let path = path.as_ref().to_path_buf();
        let writer = open_writer(&path)?;
        derive_delivery_views(&writer, &path)?;
        Ok(SqliteStore::with_writer(path, options, writer, false))
    }

    /// Derives the delivery views of the store at `path` again, every lane,
    /// with `fix_forward_ms` (`spot rebuild-views`): the schema brought up
    /// to date, then one rebuild, resumable like any other, where opening
    /// the store first would finish a past rebuild with the old window only
    /// to redo it. Returns the lanes judged.
    pub fn rebuild_delivery_views(path: impl AsRef<Path>, fix_forward_ms: i64) -> StoreResult<u64> {
        let path = path.as_ref();
        let writer = open_writer(path)?;
        dora_views::restart(&writer, fix_forward_ms)?;
        derive_delivery_views(&writer, path)
    }

    /// Opens an existing store for reading only (the read commands): no
    /// migration, no journal mode change, no checkpoint; it works in a
    /// folder SPoT may not write. A store whose schema this build would
    /// migrate is refused with what to run instead. Writes through it fail
    /// with SQLite's read-only error.
    pub fn open_read_only(path: impl AsRef<Path>) -> StoreResult<SqliteStore> {
        let path = path.as_ref().to_path_buf();
        let conn = open_tidying(&path)?;
        schema::check_current(&conn, &path)?;
        Ok(SqliteStore::with_writer(path, SqliteOptions::default(), conn, true))
    }

    fn with_writer(path: PathBuf, options: SqliteOptions, writer: Connection, read_only: bool) -> SqliteStore {
        SqliteStore {
            inner: Arc::new(Inner {
                path,
                options,
                writer: Mutex::new(write::Writer::new(writer)),
                readers: Mutex::new(Vec::new()),
                read_permits: Arc::new(Semaphore::new(read_pool_size())),
                topology: topology::TopologyCache::default(),
                read_only,
            }),
        }
    }

    /// Writes a consistent copy of the store to `target` (which must not
    /// exist) while it goes on serving; returns the copy's size in bytes.
    pub async fn backup(&self, target: &Path) -> StoreResult<u64> {
        let target = target.to_path_buf();
        self.read(move |conn| backup::copy(conn, &target)).await
    }

    /// Runs `work` on a pooled read-only connection, off the async threads.
    async fn read<T, F>(&self, work: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        let permit = self.read_permit().await?;
        let inner = self.inner.clone();
        run_blocking(move || {
            // Held until the work is done, even if the caller stops waiting.
            let _permit = permit;
            inner.with_reader(work)
        })
        .await
    }

    async fn read_permit(&self) -> StoreResult<OwnedSemaphorePermit> {
        self.inner.read_permits.clone().acquire_owned().await.map_err(no_read_permit)
    }

    /// Runs short, bounded reads (one indexed lookup: tens of microseconds;
    /// a traversal within its budget) right on the calling thread: handing
    /// them to the blocking pool would cost more than the read itself.
    /// Anything that can scan goes through [`SqliteStore::read`].
    async fn read_now<T>(&self, work: impl FnOnce(&Connection) -> StoreResult<T>) -> StoreResult<T> {
        let _permit = self.read_permit().await?;
        self.inner.with_reader(work)
    }

    /// Runs `work` with the in-memory topology if it is of the state the
    /// read transaction sees, else with none (it then reads SQLite), and
    /// starts building a current one in the background.
    async fn read_graph<T: Send + 'static>(
        &self,
        inline: bool,
        work: impl FnOnce(&Connection, Option<Arc<topology::Topology>>) -> StoreResult<T> + Send + 'static,
    ) -> StoreResult<T> {
        let cached = self.inner.topology.current();
        let with_graph = move |conn: &Connection| {
            let current = topology::stamp(conn)?;
            let fresh = cached.filter(|topology| topology.stamp() == current);
            let stale = fresh.is_none();
            Ok((work(conn, fresh)?, stale))
        };
        let (result, stale) = if inline { self.read_now(with_graph).await? } else { self.read(with_graph).await? };
        if stale {
            self.build_topology();
        }
        Ok(result)
    }

    /// Builds the topology of the latest state on a thread of its own,
    /// unless a build is running or the last one ended too recently. The
    /// thread is detached: a one-shot command (`spot query`) exits without
    /// waiting for a build it will never use.
    fn build_topology(&self) {
        if !self.inner.topology.start_build() {
            return;
        }
        let inner = self.inner.clone();
        let spawned = std::thread::Builder::new().name("spot-topology".into()).spawn(move || {
            let started = std::time::Instant::now();
            let built = inner.read_permit_blocking().and_then(|_permit| inner.with_reader(topology::Topology::load));
            inner.topology.finish_build(built, started.elapsed());
        });
        if let Err(error) = spawned {
            let error = StoreError::Backend { doing: "starting a topology build".into(), source: error.into() };
            self.inner.topology.finish_build(Err(error), std::time::Duration::ZERO);
        }
    }

    /// Runs `work` on the single writer connection, off the async threads.
    async fn write<T, F>(&self, work: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut write::Writer, &SqliteOptions) -> StoreResult<T> + Send + 'static,
    {
        let inner = self.inner.clone();
        run_blocking(move || {
            let mut writer = inner.writer.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            work(&mut writer, &inner.options)
        })
        .await
    }
}

/// The read permits are gone (the store is closing).
fn no_read_permit(error: impl std::error::Error + Send + Sync + 'static) -> StoreError {
    StoreError::Backend { doing: "waiting for a read connection".into(), source: error.into() }
}

/// Runs `work` in one read transaction: all its statements see the same
/// committed state, even when an ingest commits between two of them. It is
/// also cheaper: SQLite takes and drops its shared lock (fcntl calls and a
/// WAL check) once per transaction instead of once per statement, about a
/// tenth of a small traversal's CPU.
fn in_snapshot<T>(conn: &Connection, work: impl FnOnce(&Connection) -> StoreResult<T>) -> StoreResult<T> {
    conn.prepare_cached("BEGIN").and_then(|mut begin| begin.execute([])).map_err(backend("starting a read"))?;
    let result = work(conn);
    // A read-only transaction has nothing to commit: ending it only lets go of the snapshot.
    conn.prepare_cached("COMMIT").and_then(|mut commit| commit.execute([])).map_err(backend("ending a read"))?;
    result
}

/// Runs borrowed blocking work without moving it to another thread: on a
/// multi-threaded runtime the worker hands its other tasks off meanwhile; on
/// a current-thread runtime (tests, one-shot commands) it simply runs. Used
/// for ingest, whose observation is too big to copy into a 'static task.
fn blocking_in_place<T>(work: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(tokio::runtime::RuntimeFlavor::MultiThread) => tokio::task::block_in_place(work),
        _ => work(),
    }
}

async fn run_blocking<T, F>(work: F) -> StoreResult<T>
where
    T: Send + 'static,
    F: FnOnce() -> StoreResult<T> + Send + 'static,
{
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| StoreError::Backend { doing: "running a store task".into(), source: e.into() })?
}

impl Drop for Inner {
    /// Closes the read connections, then checkpoints the WAL into the
    /// database file from the writer, the last connection, which SQLite
    /// then lets delete the WAL: after a clean exit the `.db` file alone is
    /// the whole store (a copy of just that file loses nothing). Left to
    /// SQLite, the last connection to close was a read-only one, which may
    /// not checkpoint, and the WAL stayed behind, tens of MB after a
    /// `spot generate`.
    fn drop(&mut self) {
        self.readers.get_mut().unwrap_or_else(|p| p.into_inner()).clear();
        if self.read_only {
            return;
        }
        let writer = self.writer.get_mut().unwrap_or_else(|p| p.into_inner());
        let checkpoint =
            writer.connection().query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |row| row.get::<_, i64>(0));
        match checkpoint {
            Ok(0) => tracing::debug!(store.path = %self.path.display(), "checkpointed the WAL on close"),
            // Busy: another process is reading or writing; its own close checkpoints.
            Ok(_) => {
                tracing::debug!(store.path = %self.path.display(), "WAL checkpoint on close left for another process")
            }
            Err(e) => {
                tracing::warn!(store.path = %self.path.display(), error = %e, "could not checkpoint the WAL on close")
            }
        }
    }
}

impl Inner {
    /// A read permit, waited for outside the runtime (a rare, long read).
    fn read_permit_blocking(&self) -> StoreResult<OwnedSemaphorePermit> {
        loop {
            match self.read_permits.clone().try_acquire_owned() {
                Ok(permit) => return Ok(permit),
                Err(tokio::sync::TryAcquireError::NoPermits) => std::thread::sleep(std::time::Duration::from_millis(1)),
                Err(closed) => return Err(no_read_permit(closed)),
            }
        }
    }

    /// Runs `work` in one read transaction on a pooled read connection; the
    /// caller holds a read permit.
    fn with_reader<T>(&self, work: impl FnOnce(&Connection) -> StoreResult<T>) -> StoreResult<T> {
        let conn = self.take_reader()?;
        let result = in_snapshot(&conn, work);
        self.return_reader(conn);
        result
    }

    fn take_reader(&self) -> StoreResult<Connection> {
        if let Some(conn) = self.readers.lock().unwrap_or_else(|p| p.into_inner()).pop() {
            return Ok(conn);
        }
        open_reader(&self.path)
    }

    /// Back to the pool. The read permits bound how many connections are
    /// out at once, so the pool never grows past their number.
    fn return_reader(&self, conn: Connection) {
        self.readers.lock().unwrap_or_else(|p| p.into_inner()).push(conn);
    }
}

/// A read-only connection. In a folder SPoT may not write, SQLite cannot
/// create the WAL's shared-memory file a WAL database is read through;
/// when there is no WAL content to read either (the store was closed
/// cleanly), the file is then opened as immutable: read as it is, without
/// locks. A WAL with content in such a folder is an error (its last commits
/// would be missed).
fn open_reader(path: &Path) -> StoreResult<Connection> {
    let open_error = |e: rusqlite::Error| StoreError::Open { path: path.display().to_string(), reason: e.to_string() };
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI;
    let conn = Connection::open_with_flags(path, flags).map_err(open_error)?;
    // The first statement that reads opens the WAL: that is where a
    // read-only folder shows.
    let ready =
        configure(&conn, true).and_then(|()| conn.query_row("SELECT count(*) FROM sqlite_master", [], |_| Ok(())));
    match ready {
        Ok(()) => Ok(conn),
        Err(e) if cannot_open(&e) && !wal_has_content(path) => {
            drop(conn);
            tracing::debug!(store.path = %path.display(), "read-only folder: reading the store as immutable");
            let conn = Connection::open_with_flags(immutable_uri(path), flags).map_err(open_error)?;
            configure(&conn, true).map_err(backend("configuring a read connection"))?;
            Ok(conn)
        }
        Err(e) => Err(open_error(e)),
    }
}

/// The connection a read-only store closes last. SQLite reads a WAL
/// database through `-wal` and `-shm` files, creating them if need be, and
/// only a connection that may write deletes them when the last one closes:
/// read-only connections alone left two empty files behind every read
/// command. When there are none at open (the store was closed cleanly), this
/// one may write but is `query_only` (every write fails as on a read-only
/// connection), so closing last it removes what this process created.
/// Files already there (a live server's, a crash's WAL) are not this
/// process's to tidy: then, and wherever this cannot open, a plain reader.
fn open_tidying(path: &Path) -> StoreResult<Connection> {
    let wal = PathBuf::from(format!("{}-wal", path.display()));
    if wal.exists() {
        return open_reader(path);
    }
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI;
    let opened = Connection::open_with_flags(path, flags).and_then(|conn| {
        configure(&conn, true)?;
        conn.pragma_update(None, "query_only", true)?;
        conn.query_row("SELECT count(*) FROM sqlite_master", [], |_| Ok(()))?;
        Ok(conn)
    });
    match opened {
        Ok(conn) => Ok(conn),
        // A read-only file or folder: read as before, without tidying.
        Err(_) => open_reader(path),
    }
}

fn cannot_open(error: &rusqlite::Error) -> bool {
    matches!(
        error.sqlite_error_code(),
        Some(rusqlite::ErrorCode::CannotOpen | rusqlite::ErrorCode::ReadOnly | rusqlite::ErrorCode::PermissionDenied)
    )
}

fn wal_has_content(path: &Path) -> bool {
    let wal = PathBuf::from(format!("{}-wal", path.display()));
    std::fs::metadata(wal).is_ok_and(|m| m.len() > 0)
}

/// `file:PATH?immutable=1`, the path percent-encoded as SQLite's URIs want.
fn immutable_uri(path: &Path) -> String {
    let mut uri = String::from("file:");
    for byte in path.to_string_lossy().bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' | b'~' => uri.push(byte as char),
            other => uri.push_str(&format!("%{other:02X}")),
        }
    }
    uri.push_str("?immutable=1");
    uri
}

fn configure(conn: &Connection, read_only: bool) -> rusqlite::Result<()> {
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.set_prepared_statement_cache_capacity(64);
    if !read_only {
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
    }
    // Every connection maps the file. Readers without a map (and a 32 MiB
    // cache each) took the 730-day bench's peak RSS from 1,409 to 503 MB,
    // but made its queries slower: reverse traversal p50 2.9 → 12.8 ms,
    // scorecard day 212 → 293 ms (docs/benchmarks.md, issue 29). Mapped
    // pages are the operating system's file cache, shared and reclaimable,
    // though the resident set counts them once per connection.
    conn.pragma_update(None, "cache_size", -65_536)?; // 64 MiB of page cache
    conn.pragma_update(None, "mmap_size", 1_i64 << 30)?;
    Ok(())
}

/// Maps a SQLite error to a [`StoreError`] that says what was being done.
/// The writer connection to the store at `path` (created if need be),
/// configured, its schema brought up to date.
fn open_writer(path: &Path) -> StoreResult<Connection> {
    let open_error = |reason: String| StoreError::Open { path: path.display().to_string(), reason };
    let mut writer = Connection::open(path).map_err(|e| open_error(e.to_string()))?;
    configure(&writer, false).map_err(|e| open_error(e.to_string()))?;
    schema::migrate(&mut writer, path)?;
    Ok(writer)
}

/// Derives the delivery views of deploys recorded before they existed (a
/// store from before schema 010, or one whose rebuild was cut short), with
/// progress in the log; a kill loses at most the chunk under way.
fn derive_delivery_views(writer: &Connection, path: &Path) -> StoreResult<u64> {
    let started = std::time::Instant::now();
    let judged = dora_views::rebuild_pending(writer, |done, total| {
        tracing::info!(store.path = %path.display(), lanes.done = done, lanes.total = total, "deriving delivery views");
    })?;
    if judged > 0 {
        tracing::info!(
            store.path = %path.display(),
            lanes = judged,
            took_ms = started.elapsed().as_millis() as u64,
            "derived the delivery views from the deploy history"
        );
    }
    Ok(judged)
}

pub(crate) fn backend(doing: &'static str) -> impl Fn(rusqlite::Error) -> StoreError {
    move |e| StoreError::Backend { doing: doing.to_string(), source: e.into() }
}

#[async_trait]
impl Store for SqliteStore {
    async fn ingest(&self, observation: &Observation) -> StoreResult<Run> {
        observation.validate().map_err(Refusal::Invalid)?;
        self.inner.options.ingest.check_day(&observation.source, &observation.scope, observation.day)?;
        let inner = &self.inner;
        blocking_in_place(|| {
            let mut writer = inner.writer.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            writer.ingest(&inner.options, observation)
        })
    }

    async fn ingest_batch(&self, observations: &[Observation]) -> Result<Vec<Run>, BatchError> {
        crate::ingest::batch::check_each(observations, &self.inner.options.ingest)?;
        let inner = &self.inner;
        blocking_in_place(|| {
            let mut writer = inner.writer.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            writer.ingest_all(&inner.options, observations)
        })
    }

    async fn rollback(&self, source: &str, scope: &str, day: Day) -> StoreResult<Rollback> {
        let (source, scope) = (source.to_string(), scope.to_string());
        self.write(move |writer, _| writer.rollback(&source, &scope, day)).await
    }

    async fn rollbacks(&self) -> StoreResult<Vec<Rollback>> {
        self.read(rollback::rollbacks).await
    }

    async fn record_failure(&self, source: &str, scope: &str, day: Day, error: &str) -> StoreResult<Run> {
        self.inner.options.ingest.check_day(source, scope, day)?;
        let (source, scope, error) = (source.to_string(), scope.to_string(), error.to_string());
        self.write(move |writer, _| writer.record_failure(&source, &scope, day, &error)).await
    }

    async fn latest_day(&self) -> StoreResult<Option<Day>> {
        self.read_now(read::latest_day).await
    }

    async fn entity(&self, key: &str, day: Day) -> StoreResult<Option<EntityState>> {
        self.read_now(|conn| read::entity(conn, key, day)).await
    }

    async fn search(&self, query: &SearchQuery) -> StoreResult<Vec<Entity>> {
        let query = query.clone();
        self.read(move |conn| read::search(conn, &query)).await
    }

    async fn relations(
        &self,
        key: &str,
        day: Day,
        direction: Direction,
        kinds: &[String],
    ) -> StoreResult<Vec<Relation>> {
        let (key, kinds) = (key.to_string(), kinds.to_vec());
        self.read_graph(false, move |conn, topology| {
            traverse::relations_of(conn, topology.as_deref(), &key, day, direction, &kinds)
        })
        .await
    }

    async fn traverse(&self, traversal: &Traversal) -> StoreResult<Subgraph> {
        super::check_traversal(traversal)?;
        // Most traversals are small: walk right here, which spares a thread
        // handoff both ways (about a fifth of a small traversal's cost). One
        // that reads past the budget hands what it has reached to the
        // blocking pool and goes on there, so a huge one never holds an
        // async thread for long.
        let budget = traverse::INLINE_EDGE_BUDGET;
        let traversal = traversal.clone();
        let walk = move |conn: &Connection, topology| traverse::traverse_within(conn, topology, traversal, budget);
        match self.read_graph(true, walk).await? {
            traverse::Walked::Done(graph) => Ok(graph),
            traverse::Walked::Unfinished(walk) => self.read(move |conn| walk.finish(conn)).await,
        }
    }

    async fn timeline(
        &self,
        key: &str,
        path: &str,
        from: Day,
        to: Day,
        source: Option<&str>,
    ) -> StoreResult<Vec<ChangePoint>> {
        super::check_range(from, to)?;
        let (key, path, source) = (key.to_string(), path.to_string(), source.map(str::to_string));
        self.read(move |conn| timeline::timeline(conn, &key, &path, from, to, source.as_deref())).await
    }

    async fn changes(&self, from: Day, to: Day) -> StoreResult<Changes> {
        super::check_range(from, to)?;
        self.read(move |conn| changes::changes(conn, from, to)).await
    }

    async fn runs(&self, filter: &RunFilter) -> StoreResult<Vec<Run>> {
        if let (Some(from), Some(to)) = (filter.from, filter.to) {
            super::check_range(from, to)?;
        }
        let filter = filter.clone();
        self.read(move |conn| read::runs(conn, &filter)).await
    }

    async fn stats(&self) -> StoreResult<StoreStats> {
        self.read(read::stats).await
    }

    async fn relation_history(
        &self,
        key: &str,
        direction: Direction,
        kinds: &[String],
        from: Day,
        to: Day,
    ) -> StoreResult<Vec<Relation>> {
        super::check_range(from, to)?;
        let (key, kinds) = (key.to_string(), kinds.to_vec());
        self.read(move |conn| history::relation_history(conn, &key, direction, &kinds, from, to)).await
    }

    async fn neighbours(&self, keys: &[String], rule: &EdgeRule, day: Day) -> StoreResult<Vec<(String, String)>> {
        let (keys, rule) = (keys.to_vec(), rule.clone());
        self.read(move |conn| history::neighbours(conn, &keys, &rule, day)).await
    }

    async fn attribute_values(
        &self,
        kind: &str,
        path: &str,
        source: Option<&str>,
        day: Day,
    ) -> StoreResult<Vec<AttributeValue>> {
        let (kind, path, source) = (kind.to_string(), path.to_string(), source.map(str::to_string));
        self.read(move |conn| history::attribute_values(conn, &kind, &path, source.as_deref(), day)).await
    }

    async fn entities_of_kind(&self, kind: &str, day: Day) -> StoreResult<Vec<SeenEntity>> {
        let kind = kind.to_string();
        self.read(move |conn| history::entities_of_kind(conn, &kind, day)).await
    }

    async fn attribute_value_versions(
        &self,
        kind: &str,
        path: &str,
        from: Day,
        to: Day,
    ) -> StoreResult<Vec<AttributeValueVersion>> {
        let (kind, path) = (kind.to_string(), path.to_string());
        self.read(move |conn| history::attribute_value_versions(conn, &kind, &path, from, to)).await
    }

    async fn relation_spans(&self, kind: &str, from: Day, to: Day) -> StoreResult<Vec<RelationSpan>> {
        let kind = kind.to_string();
        self.read(move |conn| history::relation_spans(conn, &kind, from, to)).await
    }

    async fn relation_value_versions(
        &self,
        kind: &str,
        path: &str,
        from: Day,
        to: Day,
    ) -> StoreResult<Vec<RelationValueVersion>> {
        let (kind, path) = (kind.to_string(), path.to_string());
        self.read(move |conn| history::relation_value_versions(conn, &kind, &path, from, to)).await
    }

    async fn relation_value_versions_between(
        &self,
        kind: &str,
        path: &str,
        pairs: &[(String, String)],
        from: Day,
        to: Day,
    ) -> StoreResult<Vec<RelationValueVersion>> {
        let (kind, path, pairs) = (kind.to_string(), path.to_string(), pairs.to_vec());
        self.read(move |conn| changes::relation_value_versions_between(conn, &kind, &path, &pairs, from, to)).await
    }

    async fn acquire_lease(&self, name: &str, holder: &str, now_ms: i64, until_ms: i64) -> StoreResult<bool> {
        let (name, holder) = (name.to_string(), holder.to_string());
        self.write(move |writer, _| leases::acquire(writer.connection(), &name, &holder, now_ms, until_ms)).await
    }

    async fn release_lease(&self, name: &str, holder: &str) -> StoreResult<()> {
        let (name, holder) = (name.to_string(), holder.to_string());
        self.write(move |writer, _| leases::release(writer.connection(), &name, &holder)).await
    }

    async fn prune(&self, source: &str, closed_before: Day) -> StoreResult<Pruned> {
        let source = source.to_string();
        self.write(move |writer, _| retention::prune(writer.connection(), &source, closed_before)).await
    }

    async fn export(&self, sink: tokio::sync::mpsc::Sender<crate::transfer::Record>) -> StoreResult<()> {
        self.read(move |conn| transfer::export(conn, &sink)).await
    }

    async fn import(
        &self,
        mut records: tokio::sync::mpsc::Receiver<crate::transfer::Incoming>,
    ) -> StoreResult<crate::transfer::Imported> {
        self.write(move |writer, _| transfer::import(writer.connection(), &mut records)).await
    }

    async fn record_deployments(&self, events: &[DeployEvent]) -> StoreResult<()> {
        // The whole batch is checked before anything is written.
        for event in events {
            self.inner.options.ingest.check_deploy(event)?;
        }
        let events = events.to_vec();
        self.write(move |writer, _| {
            let tx = writer.connection().unchecked_transaction().map_err(backend("starting to record deploys"))?;
            events::record(&tx, &events)?;
            tx.commit().map_err(backend("committing deploy events"))
        })
        .await
    }

    async fn deploys(&self, filter: &DeployFilter) -> StoreResult<Vec<DeployEvent>> {
        super::check_deploy_filter(filter)?;
        let filter = filter.clone();
        self.read(move |conn| events::select(conn, &filter)).await
    }

    async fn dora_rollups(
        &self,
        query: &crate::judging::rollup::RollupQuery,
    ) -> StoreResult<Option<Vec<crate::judging::span::LaneDays>>> {
        let query = query.clone();
        self.read(move |conn| dora_views::rollups(conn, &query)).await
    }

    async fn judged_deploys(
        &self,
        page: &crate::judging::rollup::DeployPage,
    ) -> StoreResult<Option<crate::judging::rollup::JudgedPage>> {
        let page = page.clone();
        self.read(move |conn| deploy_page::page(conn, &page)).await
    }

    async fn kept_scores(&self, query: &KeptQuery) -> StoreResult<Option<Kept>> {
        let query = query.clone();
        self.read(move |conn| score_views::read(conn, &query)).await
    }

    async fn keep_scores(&self, write: &KeepScores) -> StoreResult<Option<KeptState>> {
        let write = write.clone();
        self.write(move |writer, _| score_views::write(writer.connection(), &write).map(Some)).await
    }

    async fn record_actions(&self, batch: &ActionBatch) -> StoreResult<ActionsRecorded> {
        let batch = batch.clone();
        self.write(move |writer, _| actions::record(writer.connection(), &batch)).await
    }

    async fn actions(&self, filter: &ActionFilter) -> StoreResult<Vec<Action>> {
        super::check_action_filter(filter)?;
        let filter = filter.clone();
        self.read(move |conn| actions::select(conn, &filter)).await
    }

    async fn remembered(&self, cluster: &str) -> StoreResult<Vec<Remembered>> {
        let cluster = cluster.to_string();
        self.read(move |conn| actions::remembered(conn, &cluster)).await
    }

    async fn prune_actions(&self, before: chrono::DateTime<chrono::Utc>) -> StoreResult<u64> {
        self.write(move |writer, _| actions::prune(writer.connection(), before)).await
    }
}
