//! What an ingest writes, worked out from the observation and the scope's
//! stored versions, before anything is written: pure, so the rules of a
//! re-run of a day are tested without a server.

use rustc_hash::{FxHashMap, FxHashSet};
use serde_json::{json, Value};
use spot_model::Observation;

use super::keys;
use crate::ingest::{content_hash, diff};
use crate::model::*;

/// A stored version an ingest diffs against.
pub struct Stored {
    pub key: String,
    pub hash: i64,
    pub valid_from: Day,
    pub valid_to: Day,
}

/// The scope's versions open before the day (`before`) and those a
/// committed run of that very day opened (`same_day`), by identity.
struct Loaded<K> {
    before: FxHashMap<K, (usize, i64)>,
    same_day: FxHashMap<K, usize>,
    versions: Vec<Stored>,
}

fn split<K: std::hash::Hash + Eq>(
    loaded: Vec<(Vec<String>, Stored)>,
    day: Day,
    identity: impl Fn(Vec<String>) -> K,
) -> Loaded<K> {
    let mut split = Loaded { before: FxHashMap::default(), same_day: FxHashMap::default(), versions: Vec::new() };
    for (parts, stored) in loaded {
        let index = split.versions.len();
        if stored.valid_from < day {
            split.before.insert(identity(parts), (index, stored.hash));
        } else if stored.valid_from == day && stored.valid_to.is_open() {
            split.same_day.insert(identity(parts), index);
        }
        split.versions.push(stored);
    }
    split
}

/// What one kind of version needs written.
pub struct Plan {
    /// Partial updates: pending closes, reopens and drops.
    pub marks: Vec<Value>,
    /// New versions.
    pub opens: Vec<Value>,
    pub counts: RunCounts,
}

/// The marks that turn the scope's stored versions into the observed ones,
/// counted against the state before the day (a re-run of a day diffs
/// against the same state its first run did).
fn plan_marks<K: std::hash::Hash + Eq + Clone>(
    loaded: &Loaded<K>,
    observed: &[(K, i64)],
    day: Day,
    token: &str,
    may_close: impl Fn(&K) -> bool,
) -> (Vec<usize>, Vec<Value>, RunCounts) {
    let plan = diff(observed, &loaded.before, &may_close);
    let mut marks = Vec::new();
    let mut opens = Vec::new();
    let closing: FxHashSet<&K> = plan.to_close.iter().map(|(k, _)| k).collect();
    let reopening = |index: usize| {
        json!({ "_key": loaded.versions[index].key, "valid_to": Day::OPEN.0,
        "pending_by": token, "pending_to": Day::OPEN.0, "pending_prior": day.0 })
    };
    let ending = |index: usize| {
        json!({ "_key": loaded.versions[index].key,
        "pending_by": token, "pending_to": day.0, "pending_prior": Day::OPEN.0 })
    };
    // Versions open before the day: closed, kept, or reopened.
    for (identity, &(index, _)) in &loaded.before {
        let ends_today = loaded.versions[index].valid_to == day;
        match (closing.contains(identity), ends_today) {
            (true, false) => marks.push(ending(index)),
            (false, true) => marks.push(reopening(index)),
            _ => {}
        }
    }
    // New versions: one already opened today with the same content stays.
    let mut kept_today: FxHashSet<usize> = FxHashSet::default();
    for &index in &plan.to_open {
        let (identity, hash) = &observed[index];
        match loaded.same_day.get(identity) {
            Some(&same) if loaded.versions[same].hash == *hash => {
                kept_today.insert(same);
            }
            _ => opens.push(index),
        }
    }
    // Versions opened today by the run this one replaces, and not kept.
    for &index in loaded.same_day.values() {
        if !kept_today.contains(&index) {
            marks.push(ending(index));
        }
    }
    marks.sort_by(|a, b| a["_key"].as_str().cmp(&b["_key"].as_str()));
    (opens, marks, plan.counts)
}

pub fn plan_facts(
    obs: &Observation,
    loaded: Vec<(Vec<String>, Stored)>,
    token: &str,
    may_close: &impl Fn(&str) -> bool,
) -> Plan {
    let loaded = split(loaded, obs.day, |mut parts| parts.swap_remove(0));
    let observed: Vec<(String, i64)> = obs.entities.iter().map(|e| (e.key.clone(), content_hash(&e.attrs))).collect();
    let (indexes, marks, counts) = plan_marks(&loaded, &observed, obs.day, token, |key: &String| may_close(key));
    let opens = indexes
        .into_iter()
        .map(|i| {
            let (entity, hash) = (&obs.entities[i], observed[i].1);
            json!({
                "_key": keys::version('f', &[&entity.key, &obs.source, &obs.scope], obs.day.0, hash),
                "entity": entity.key, "source": obs.source, "scope": obs.scope, "attrs": entity.attrs,
                "hash": keys::hash_text(hash), "valid_from": obs.day.0, "valid_to": Day::OPEN.0, "run": token,
            })
        })
        .collect();
    Plan { marks, opens, counts }
}

type EdgeIdentity = (String, String, String);

pub fn plan_relations(
    obs: &Observation,
    loaded: Vec<(Vec<String>, Stored)>,
    token: &str,
    may_close: &impl Fn(&str) -> bool,
) -> Plan {
    let loaded = split(loaded, obs.day, |parts| (parts[0].clone(), parts[1].clone(), parts[2].clone()));
    let observed: Vec<(EdgeIdentity, i64)> = obs
        .relations
        .iter()
        .map(|r| ((r.from.clone(), r.to.clone(), r.kind.clone()), content_hash(&r.attrs)))
        .collect();
    // An edge belongs to the entity it leaves: unobserved parts carry their edges.
    let (indexes, marks, counts) =
        plan_marks(&loaded, &observed, obs.day, token, |(from, _, _): &EdgeIdentity| may_close(from));
    let opens = indexes
        .into_iter()
        .map(|i| {
            let (r, hash) = (&obs.relations[i], observed[i].1);
            json!({
                "_key": keys::version('r', &[&r.from, &r.to, &r.kind, &obs.source, &obs.scope], obs.day.0, hash),
                "_from": keys::anchor_id(&r.from), "_to": keys::anchor_id(&r.to),
                "from": r.from, "to": r.to, "kind": r.kind, "source": obs.source, "scope": obs.scope,
                "attrs": r.attrs, "hash": keys::hash_text(hash), "valid_from": obs.day.0, "valid_to": Day::OPEN.0,
                "run": token,
            })
        })
        .collect();
    Plan { marks, opens, counts }
}

#[cfg(test)]
mod tests {
    use super::*;
    use spot_model::ObservedEntity;

    fn attrs(value: Value) -> serde_json::Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    fn observe(day: i32, entities: &[(&str, Value)]) -> Observation {
        let mut obs = Observation::new("github", "acme", Day(day));
        for (key, value) in entities {
            obs.entities.push(ObservedEntity {
                key: key.to_string(),
                kind: "repo".into(),
                name: key.to_string(),
                attrs: attrs(value.clone()),
            });
        }
        obs
    }

    /// A stored fact version of `entity` with `content`, from `from` to `to`.
    fn stored(key: &str, entity: &str, content: Value, from: i32, to: Day) -> (Vec<String>, Stored) {
        let stored =
            Stored { key: key.into(), hash: content_hash(&attrs(content)), valid_from: Day(from), valid_to: to };
        (vec![entity.to_string()], stored)
    }

    fn plan(obs: &Observation, loaded: Vec<(Vec<String>, Stored)>) -> Plan {
        let complete = obs.complete;
        plan_facts(obs, loaded, "token", &move |_: &str| complete)
    }

    /// The marks as (key, what they do): "close", "reopen" or "drop".
    fn marks(plan: &Plan) -> Vec<(String, &'static str)> {
        plan.marks
            .iter()
            .map(|m| {
                let what = match (m.get("valid_to"), m["pending_to"].as_i64()) {
                    (Some(_), Some(to)) if to == Day::OPEN.0 as i64 => "reopen",
                    _ => "end",
                };
                (m["_key"].as_str().unwrap().to_string(), what)
            })
            .collect()
    }

    const OPEN: Day = Day::OPEN;

    #[test]
    fn a_new_item_opens_a_version_from_its_day() {
        let plan = plan(&observe(1, &[("repo:a", json!({"v": 1}))]), vec![]);
        assert_eq!(plan.counts, RunCounts { added: 1, ..RunCounts::default() });
        assert!(plan.marks.is_empty());
        let open = &plan.opens[0];
        assert_eq!((open["valid_from"].as_i64(), open["valid_to"].as_i64()), (Some(1), Some(OPEN.0 as i64)));
        assert_eq!(open["run"], "token", "hidden until the attempt commits");
    }

    #[test]
    fn a_change_marks_the_old_version_to_end_that_day() {
        let plan =
            plan(&observe(3, &[("repo:a", json!({"v": 2}))]), vec![stored("k1", "repo:a", json!({"v": 1}), 1, OPEN)]);
        assert_eq!(plan.counts.changed, 1);
        assert_eq!(marks(&plan), [("k1".to_string(), "end")]);
        let mark = &plan.marks[0];
        assert_eq!((mark["pending_by"].as_str(), mark["pending_to"].as_i64()), (Some("token"), Some(3)));
        assert_eq!(mark["pending_prior"].as_i64(), Some(OPEN.0 as i64), "what readers see until it commits");
        assert!(mark.get("valid_to").is_none(), "valid_to is only written once committed");
        assert_eq!(plan.opens.len(), 1);
    }

    #[test]
    fn an_unchanged_item_writes_nothing_and_a_partial_run_closes_nothing() {
        let loaded = || vec![stored("ka", "repo:a", json!({}), 1, OPEN), stored("kb", "repo:b", json!({}), 1, OPEN)];
        let same = plan(&observe(2, &[("repo:a", json!({}))]), loaded());
        assert_eq!((same.counts.unchanged, same.counts.closed), (1, 1));
        assert_eq!(marks(&same), [("kb".to_string(), "end")]);
        let mut partial = observe(2, &[("repo:a", json!({}))]);
        partial.complete = false;
        let partial = plan(&partial, loaded());
        assert!(partial.marks.is_empty() && partial.opens.is_empty());
        assert_eq!(partial.counts.closed, 0);
    }

    #[test]
    fn re_running_a_day_with_the_same_observation_writes_nothing_and_counts_the_same() {
        // Day 1: a v1, b. Day 2 (first run): a v2; b closed.
        let loaded = vec![
            stored("a1", "repo:a", json!({"v": 1}), 1, Day(2)),
            stored("b1", "repo:b", json!({}), 1, Day(2)),
            stored("a2", "repo:a", json!({"v": 2}), 2, OPEN),
        ];
        let again = plan(&observe(2, &[("repo:a", json!({"v": 2}))]), loaded);
        assert_eq!(again.counts, RunCounts { added: 0, changed: 1, closed: 1, unchanged: 0 }, "as the first run");
        assert!(again.marks.is_empty() && again.opens.is_empty(), "{:?} {:?}", again.marks, again.opens);
    }

    #[test]
    fn a_later_run_of_a_day_reopens_what_the_first_closed_and_drops_what_it_opened() {
        // Day 1: a, b v1. Day 2 (first run): b v2 and c; a closed.
        let loaded = vec![
            stored("a1", "repo:a", json!({}), 1, Day(2)),
            stored("b1", "repo:b", json!({"v": 1}), 1, Day(2)),
            stored("b2", "repo:b", json!({"v": 2}), 2, OPEN),
            stored("c2", "repo:c", json!({}), 2, OPEN),
        ];
        let later = plan(&observe(2, &[("repo:a", json!({})), ("repo:b", json!({"v": 1}))]), loaded);
        assert_eq!(later.counts, RunCounts { unchanged: 2, ..RunCounts::default() });
        let mut seen = marks(&later);
        seen.sort();
        let expected = [("a1", "reopen"), ("b1", "reopen"), ("b2", "end"), ("c2", "end")];
        assert_eq!(seen, expected.map(|(k, w)| (k.to_string(), w)));
        let reopen = later.marks.iter().find(|m| m["_key"] == "a1").unwrap();
        assert_eq!(reopen["pending_prior"].as_i64(), Some(2), "hidden reopen: readers see the first run until commit");
        assert!(later.opens.is_empty());
    }

    #[test]
    fn a_later_run_with_other_content_opens_a_version_under_another_key() {
        let loaded =
            vec![stored("a1", "repo:a", json!({"v": 1}), 1, Day(2)), stored("a2", "repo:a", json!({"v": 2}), 2, OPEN)];
        let later = plan(&observe(2, &[("repo:a", json!({"v": 3}))]), loaded);
        assert_eq!(marks(&later), [("a2".to_string(), "end")], "the first run's version is dropped; a1 stays closed");
        assert_eq!(later.opens.len(), 1);
        assert_ne!(later.opens[0]["_key"], "a2", "the content is part of the key");
    }
}
