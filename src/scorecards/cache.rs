//! Scored days, kept: a trend, the scorecards page and each service's
//! "failing since" read the same days again and again, and a day of a
//! whole organisation takes tens of milliseconds to score.
//!
//! What is kept is a function of the graph, never a second truth: an entry
//! is dropped when anything that can change a score is written through
//! this server's store (the [`Writes`] layer counts those writes, known by
//! their [`WriteKind`]), and after [`TTL`] in any case, for writes another
//! process made to the same store.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use hashlink::LruCache;

use super::evaluate::{DayScores, Subjects};
use crate::model::Day;
use crate::store::layer::{Around, Call, Layered, Method, WriteKind};
use crate::store::Store;

/// Longest an entry is trusted when nothing was written through this server.
pub const TTL: Duration = Duration::from_secs(300);

/// Days kept: two years of weekly points, and some.
pub const CAPACITY: usize = 160;

type Key = (String, Subjects, Day);

pub struct ScoreCache {
    writes: Arc<AtomicU64>,
    /// Woken after each write that can change a score (the keeper of kept
    /// scores waits on it, [`super::kept::keep`]).
    wake: Arc<tokio::sync::Notify>,
    entries: Mutex<LruCache<Key, Entry>>,
    /// The store [`ScoreCache::watching`] last wrapped, so that wrapping
    /// it again (the server, then the schema) counts each write once.
    watched: Mutex<Weak<dyn Store>>,
}

struct Entry {
    scores: Arc<DayScores>,
    generation: u64,
    at: Instant,
}

impl Default for ScoreCache {
    fn default() -> ScoreCache {
        let nothing_watched: Weak<dyn Store> = Weak::<Layered<Writes>>::new();
        ScoreCache {
            writes: Arc::default(),
            wake: Arc::default(),
            entries: Mutex::new(LruCache::new(CAPACITY)),
            watched: Mutex::new(nothing_watched),
        }
    }
}

impl ScoreCache {
    /// `store`, wrapped so that this cache hears of its writes; a store
    /// this cache already wrapped comes back as it is. Everything that
    /// writes to a server's store (the schema's mutations, the scheduler)
    /// must write through the store this returns.
    pub fn watching(&self, store: Arc<dyn Store>) -> Arc<dyn Store> {
        let mut watched = self.watched.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(already) = watched.upgrade() {
            // Data pointers only: the same store may carry two vtables.
            if std::ptr::addr_eq(Arc::as_ptr(&already), Arc::as_ptr(&store)) {
                return store;
            }
        }
        let wrapped: Arc<dyn Store> = Arc::new(Layered::new(store, Writes(self.writes.clone(), self.wake.clone())));
        *watched = Arc::downgrade(&wrapped);
        wrapped
    }

    /// Woken after each write that can change a score.
    pub fn woken(&self) -> Arc<tokio::sync::Notify> {
        self.wake.clone()
    }

    /// The write count to file a day scored now under: read it before
    /// scoring, so a write during the scoring makes the entry stale.
    pub fn generation(&self) -> u64 {
        self.writes.load(Ordering::Acquire)
    }

    /// `card`'s scores of `subjects` on `day`, while still good.
    pub fn get(&self, card: &str, subjects: &Subjects, day: Day) -> Option<Arc<DayScores>> {
        let key = (card.to_string(), subjects.clone(), day);
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let entry = entries.get(&key)?;
        let good = entry.generation == self.generation() && entry.at.elapsed() < TTL;
        good.then(|| entry.scores.clone())
    }

    /// Keeps scores made when the write count was `generation`.
    pub fn put(&self, card: &str, subjects: &Subjects, generation: u64, scores: Arc<DayScores>) {
        let key = (card.to_string(), subjects.clone(), scores.day);
        let entry = Entry { scores, generation, at: Instant::now() };
        self.entries.lock().unwrap_or_else(|p| p.into_inner()).insert(key, entry);
    }
}

/// Counts the writes of a store: any of them may change a score.
#[derive(Clone)]
pub struct Writes(Arc<AtomicU64>, Arc<tokio::sync::Notify>);

/// Whether a write can change what a score reads. No wildcard: a new
/// kind of write does not compile until it is decided on here.
pub fn changes_scores(kind: WriteKind) -> bool {
    match kind {
        // The graph, the runs a "failed since" reads, deploys (delivery
        // rules) and actions.
        WriteKind::Ingest
        | WriteKind::IngestBatch
        | WriteKind::Rollback
        | WriteKind::RecordFailure
        | WriteKind::RecordDeployments
        | WriteKind::RecordActions
        | WriteKind::PruneActions
        | WriteKind::Prune
        | WriteKind::Import => true,
        // A scheduler's lease: who collects, not what was collected; kept
        // scores: what was scored from the graph, not the graph.
        WriteKind::AcquireLease | WriteKind::ReleaseLease | WriteKind::KeepScores => false,
    }
}

impl Around for Writes {
    fn around<'a, T: Send + 'a>(&'a self, method: Method, call: Call<'a, T>) -> Call<'a, T> {
        let Method::Write(kind) = method else { return call };
        if !changes_scores(kind) {
            return call;
        }
        Box::pin(async move {
            let result = call.await;
            // Counted after the write: a score read during it is dropped.
            self.0.fetch_add(1, Ordering::AcqRel);
            self.1.notify_one();
            result
        })
    }
}
