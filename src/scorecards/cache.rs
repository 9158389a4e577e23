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

use super::evaluate::{score_day_in, DayScores, Subjects};
use super::ranged::Ranged;
use super::Scorecard;
use crate::delivery::Delivery;
use crate::model::Day;
use crate::store::layer::{Around, Call};
use crate::store::{Store, StoreResult};

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

    /// `card`'s scores of `subjects` on `day`, from the cache when they are
    /// still good; else scored, reading in bulk from `range` when given.
    pub async fn day(
        &self,
        store: &dyn Store,
        card: &Scorecard,
        delivery: &Delivery,
        day: Day,
        subjects: &Subjects,
        range: Option<Arc<Ranged>>,
    ) -> StoreResult<Arc<DayScores>> {
        let key = (card.name.clone(), subjects.clone(), day);
        let generation = self.writes.load(Ordering::Acquire);
        if let Some(found) = self.fresh(&key, generation) {
            return Ok(found);
        }
        let scores = Arc::new(score_day_in(store, card, delivery, day, subjects, range).await?);
        let entry = Entry { scores: scores.clone(), generation, at: Instant::now() };
        self.entries.lock().unwrap_or_else(|p| p.into_inner()).insert(key, entry);
        Ok(scores)
    }

    fn fresh(&self, key: &Key, generation: u64) -> Option<Arc<DayScores>> {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let entry = entries.get(key)?;
        (entry.generation == generation && entry.at.elapsed() < TTL).then(|| entry.scores.clone())
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
