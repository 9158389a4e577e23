//! What bulk views read, over a range of days at once: each attribute's
//! versions and each relation kind's versions, read once for every day of
//! a trend and picked per day in memory. Reading a year of a kind costs
//! about what reading one day does (versions change slowly), so a year of
//! weekly points is a handful of reads instead of hundreds.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use tokio::sync::OnceCell;

use crate::model::{AttributeValueVersion, Day, RelationSpan, RelationValueVersion};
use crate::store::{Store, StoreResult};

/// One read per key, however many days ask for it at once.
type Shared<K, V> = Mutex<HashMap<K, Arc<OnceCell<Arc<Vec<V>>>>>>;

/// Reads over `[from, to]`, each made the first time a day needs it.
pub struct Ranged {
    pub from: Day,
    pub to: Day,
    attributes: Shared<(String, String), AttributeValueVersion>,
    relations: Shared<String, RelationSpan>,
    relation_values: Shared<(String, String), RelationValueVersion>,
    /// `majors_behind`: for each version of the range's `uses`, the
    /// package's latest it was judged against and how many majors behind.
    pub(super) majors: Mutex<Vec<Option<(String, u64)>>>,
}

impl Ranged {
    pub fn new(from: Day, to: Day) -> Arc<Ranged> {
        Arc::new(Ranged {
            from,
            to,
            attributes: Mutex::default(),
            relations: Mutex::default(),
            relation_values: Mutex::default(),
            majors: Mutex::default(),
        })
    }

    pub fn covers(&self, day: Day) -> bool {
        self.from <= day && day <= self.to
    }

    /// Every version of `kind`'s `path` over the range.
    pub async fn attribute(
        &self,
        store: &dyn Store,
        kind: &str,
        path: &str,
    ) -> StoreResult<Arc<Vec<AttributeValueVersion>>> {
        let key = (kind.to_string(), path.to_string());
        once(&self.attributes, key, store.attribute_value_versions(kind, path, self.from, self.to)).await
    }

    /// Every version of every relation of `kind` over the range.
    pub async fn relations(&self, store: &dyn Store, kind: &str) -> StoreResult<Arc<Vec<RelationSpan>>> {
        once(&self.relations, kind.to_string(), store.relation_spans(kind, self.from, self.to)).await
    }

    /// Every version of `path` on the relations of `kind` over the range.
    pub async fn relation_values(
        &self,
        store: &dyn Store,
        kind: &str,
        path: &str,
    ) -> StoreResult<Arc<Vec<RelationValueVersion>>> {
        let key = (kind.to_string(), path.to_string());
        once(&self.relation_values, key, store.relation_value_versions(kind, path, self.from, self.to)).await
    }
}

/// The value kept under `key`, read by `read` the first time.
async fn once<K, V>(
    shared: &Shared<K, V>,
    key: K,
    read: impl Future<Output = StoreResult<Vec<V>>>,
) -> StoreResult<Arc<Vec<V>>>
where
    K: std::hash::Hash + Eq,
{
    let cell = shared.lock().unwrap_or_else(|p| p.into_inner()).entry(key).or_default().clone();
    cell.get_or_try_init(|| async { read.await.map(Arc::new) }).await.cloned()
}
