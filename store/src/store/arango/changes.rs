//! The difference between the graphs of two days, as the embedded store
//! computes it: only versions that began or ended in between can differ,
//! and for each (entity or edge, scope) the versions valid on either day
//! are compared by content hash.

use rustc_hash::{FxHashMap, FxHashSet};
use serde_json::Value;

use super::queries::{self, Versions};
use super::read::entity_from;
use super::{day, keys, text, Inner};
use crate::model::*;
use crate::store::StoreResult;

/// The hash valid on each of the two days, if any.
#[derive(Default, Clone)]
struct Ends {
    before: Option<String>,
    after: Option<String>,
}

impl Ends {
    fn record(&mut self, hash: String, valid_from: Day, valid_to: Day, from: Day, to: Day) {
        let valid_on = |d: Day| valid_from <= d && d < valid_to;
        if valid_on(from) {
            self.before = Some(hash.clone());
        }
        if valid_on(to) {
            self.after = Some(hash);
        }
    }

    fn change(&self) -> Option<Change> {
        match (&self.before, &self.after) {
            (None, Some(_)) => Some(Change::Added),
            (Some(_), None) => Some(Change::Removed),
            (Some(a), Some(b)) if a != b => Some(Change::Changed),
            _ => None,
        }
    }
}

/// (source, scope)
type Scope = (String, String);

/// Versions that began or ended in (from, to], each once.
async fn touched(store: &Inner, versions: Versions, scopes: &Value, from: Day, to: Day) -> StoreResult<Vec<Value>> {
    let mut seen = FxHashSet::default();
    let mut rows = store.query(queries::changed(versions, scopes, from, to)).await?;
    rows.retain(|row| seen.insert(row.get("id").and_then(Value::as_str).unwrap_or_default().to_string()));
    Ok(rows)
}

pub async fn changes(store: &Inner, from: Day, to: Day) -> StoreResult<Changes> {
    let doing = "reading changes";
    let scopes = Value::Array(store.query(queries::scopes()).await?);
    // entity → (source, scope) → ends
    let mut facts: FxHashMap<String, FxHashMap<Scope, Ends>> = FxHashMap::default();
    for row in touched(store, Versions::Facts, &scopes, from, to).await? {
        let scope = (text(&row, "source", doing)?, text(&row, "scope", doing)?);
        let ends = facts.entry(text(&row, "entity", doing)?).or_default().entry(scope).or_default();
        ends.record(
            text(&row, "hash", doing)?,
            day(&row, "valid_from", doing)?,
            day(&row, "valid_to", doing)?,
            from,
            to,
        );
    }
    let mut deltas: Vec<(String, bool, bool, Vec<String>)> = Vec::new();
    let mut uncertain = Vec::new();
    for (entity, scopes) in &facts {
        let mut sources: Vec<String> =
            scopes.iter().filter(|(_, ends)| ends.change().is_some()).map(|((source, _), _)| source.clone()).collect();
        if sources.is_empty() {
            continue;
        }
        sources.sort();
        sources.dedup();
        let before = scopes.values().any(|e| e.before.is_some());
        let after = scopes.values().any(|e| e.after.is_some());
        if !before || !after {
            uncertain.push(entity.clone());
        }
        deltas.push((entity.clone(), before, after, sources));
    }
    // A fact of another scope, untouched in between, keeps an entity alive on both days.
    let mut kept: FxHashSet<String> = FxHashSet::default();
    for chunk in uncertain.chunks(5000) {
        for row in store.query(queries::spanning_facts(chunk, from, to)).await? {
            kept.extend(row.as_str().map(str::to_string));
        }
    }
    let mut relations: FxHashMap<(String, String, String, String, String), Ends> = FxHashMap::default();
    for row in touched(store, Versions::Relations, &scopes, from, to).await? {
        let identity = (
            text(&row, "from", doing)?,
            text(&row, "kind", doing)?,
            text(&row, "to", doing)?,
            text(&row, "source", doing)?,
            text(&row, "scope", doing)?,
        );
        let hash = text(&row, "hash", doing)?;
        relations.entry(identity).or_default().record(
            hash,
            day(&row, "valid_from", doing)?,
            day(&row, "valid_to", doing)?,
            from,
            to,
        );
    }
    let names = anchors(store, deltas.iter().map(|d| d.0.as_str())).await?;
    let mut entities: Vec<EntityChange> = deltas
        .into_iter()
        .filter_map(|(key, before, after, sources)| {
            let alive = kept.contains(&key);
            let change = match (before || alive, after || alive) {
                (false, true) => Change::Added,
                (true, false) => Change::Removed,
                (true, true) => Change::Changed,
                (false, false) => return None,
            };
            Some(EntityChange { change, entity: names.get(&key)?.clone(), sources })
        })
        .collect();
    entities.sort_by(|a, b| a.entity.key.cmp(&b.entity.key));
    let mut relation_changes: Vec<RelationChange> = relations
        .into_iter()
        .filter_map(|((from, kind, to, source, scope), ends)| {
            Some(RelationChange { change: ends.change()?, kind, from, to, source, scope })
        })
        .collect();
    relation_changes.sort_by(|a, b| {
        (&a.from, &a.kind, &a.to, &a.source, &a.scope).cmp(&(&b.from, &b.kind, &b.to, &b.source, &b.scope))
    });
    Ok(Changes { from, to, entities, relations: relation_changes })
}

async fn anchors<'a>(store: &Inner, keys_: impl Iterator<Item = &'a str>) -> StoreResult<FxHashMap<String, Entity>> {
    let anchor_keys: Vec<String> = keys_.map(keys::anchor).collect();
    let mut named = FxHashMap::default();
    for chunk in anchor_keys.chunks(5000) {
        for row in store.query(queries::anchors(chunk)).await? {
            let entity = entity_from(&row, "reading entities")?;
            named.insert(entity.key.clone(), entity);
        }
    }
    Ok(named)
}
