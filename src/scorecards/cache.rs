//! Scored days, kept: a trend, the scorecards page and each service's
//! "failing since" read the same days again and again, and a day of a
//! whole organisation takes tens of milliseconds to score.
//!
//! What is kept is a function of the graph, never a second truth: an entry
//! is dropped when anything is written through this server's store (the
//! [`Writes`] layer counts writes), and after [`TTL`] in any case, for
//! writes another process made to the same store.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hashlink::LruCache;

use super::evaluate::{DayScores, Subjects};
use crate::model::Day;
use crate::store::layer::{Around, Call};

/// Longest an entry is trusted when nothing was written through this server.
pub const TTL: Duration = Duration::from_secs(300);

/// Days kept: two years of weekly points, and some.
pub const CAPACITY: usize = 160;

type Key = (String, Subjects, Day);

pub struct ScoreCache {
    writes: Arc<AtomicU64>,
    entries: Mutex<LruCache<Key, Entry>>,
}

struct Entry {
    scores: Arc<DayScores>,
    generation: u64,
    at: Instant,
}

impl Default for ScoreCache {
    fn default() -> ScoreCache {
        ScoreCache { writes: Arc::default(), entries: Mutex::new(LruCache::new(CAPACITY)) }
    }
}

impl ScoreCache {
    /// The layer that tells this cache about writes; wrap the server's
    /// store in it (`store::layer::Layered`).
    pub fn writes(&self) -> Writes {
        Writes(self.writes.clone())
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
pub struct Writes(Arc<AtomicU64>);

/// The store's methods that change what a score reads.
const WRITING: [&str; 9] = [
    "ingest",
    "ingest_batch",
    "rollback",
    "record_failure",
    "record_deployments",
    "record_deployment",
    "prune",
    "import",
    "record_actions",
];

impl Around for Writes {
    fn around<'a, T: Send + 'a>(&'a self, method: &'static str, call: Call<'a, T>) -> Call<'a, T> {
        if !WRITING.contains(&method) {
            return call;
        }
        Box::pin(async move {
            let result = call.await;
            // Counted after the write: a score read during it is dropped.
            self.0.fetch_add(1, Ordering::AcqRel);
            result
        })
    }
}
