//! Rule 2 of the ingest contract, on content hashes.

use std::hash::Hash;

use rustc_hash::{FxHashMap, FxHashSet};

use crate::model::RunCounts;

/// What a run must write: the observed items that need a new version, and
/// the stored versions to close.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Diff<K, V> {
    /// Indexes into the observed items: new ones, and changed ones.
    pub to_open: Vec<usize>,
    /// Stored versions (with their identity) that changed or are no longer
    /// observed, in version order.
    pub to_close: Vec<(K, V)>,
    pub counts: RunCounts,
}

/// Diffs observed `(identity, hash)` pairs against the open versions of the
/// same scope (`identity → (version, hash)`). A missing identity is closed
/// only when `may_close` says so: never for a partial run, nor for the parts
/// of the scope a run could not observe.
pub fn diff<K, V>(observed: &[(K, i64)], open: &FxHashMap<K, (V, i64)>, may_close: impl Fn(&K) -> bool) -> Diff<K, V>
where
    K: Hash + Eq + Clone,
    V: Ord + Copy,
{
    let mut result = Diff { to_open: Vec::new(), to_close: Vec::new(), counts: RunCounts::default() };
    let mut seen: FxHashSet<&K> = FxHashSet::default();
    seen.reserve(observed.len());
    for (index, (identity, hash)) in observed.iter().enumerate() {
        seen.insert(identity);
        match open.get(identity) {
            None => {
                result.to_open.push(index);
                result.counts.added += 1;
            }
            Some(&(_, stored)) if stored == *hash => result.counts.unchanged += 1,
            Some(&(version, _)) => {
                result.to_close.push((identity.clone(), version));
                result.to_open.push(index);
                result.counts.changed += 1;
            }
        }
    }
    for (identity, &(version, _)) in open {
        if !seen.contains(identity) && may_close(identity) {
            result.to_close.push((identity.clone(), version));
            result.counts.closed += 1;
        }
    }
    // Hash maps iterate in random order; writes should not.
    result.to_close.sort_unstable_by_key(|&(_, version)| version);
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open(items: &[(&'static str, u32, i64)]) -> FxHashMap<&'static str, (u32, i64)> {
        items.iter().map(|&(k, v, h)| (k, (v, h))).collect()
    }

    fn closed<K: Clone, V: Copy>(d: &Diff<K, V>) -> Vec<V> {
        d.to_close.iter().map(|&(_, v)| v).collect()
    }

    #[test]
    fn unchanged_items_write_nothing() {
        let d = diff(&[("a", 1)], &open(&[("a", 10, 1)]), |_| true);
        assert_eq!((d.to_open.clone(), closed(&d)), (vec![], vec![]));
        assert_eq!(d.counts.unchanged, 1);
    }

    #[test]
    fn changed_items_close_the_old_version_and_open_a_new_one() {
        let d = diff(&[("a", 2)], &open(&[("a", 10, 1)]), |_| true);
        assert_eq!((d.to_open.clone(), closed(&d)), (vec![0], vec![10]));
        assert_eq!(d.counts.changed, 1);
    }

    #[test]
    fn new_items_open_and_missing_items_close() {
        let d = diff(&[("b", 1)], &open(&[("a", 10, 1)]), |_| true);
        assert_eq!((d.to_open.clone(), closed(&d)), (vec![0], vec![10]));
        assert_eq!((d.counts.added, d.counts.closed), (1, 1));
    }

    #[test]
    fn missing_items_carry_forward_when_closing_is_not_allowed() {
        let d = diff(&[], &open(&[("a", 10, 1), ("b", 11, 1)]), |k| *k == "b");
        assert_eq!(closed(&d), vec![11]);
        assert_eq!(d.counts.closed, 1);
    }
}
