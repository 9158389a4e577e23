//! The graph as of one day, read in bulk and kept for every rule of a
//! scorecard: the rules of one scorecard share paths and attributes, and
//! one store read for 500 services beats 500 reads for one.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use rustc_hash::{FxHashMap, FxHashSet};
use serde_json::Value;

use super::ranged::Ranged;
use crate::model::{AttributeValueVersion, Day, EdgeRule, EntityState, RunFilter, RunStatus};
use crate::store::{Store, StoreResult};

/// How far back a run that failed is looked for: a source whose latest run
/// before the day failed still carries forward its last known values.
const STALE_LOOKBACK_DAYS: i32 = 60;

/// A source whose values on the day are carried forward: its latest run
/// in some scope failed (or saw only part of the scope).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stale {
    pub source: String,
    pub scope: String,
    /// The day of the run that failed.
    pub failed_on: Day,
    pub status: RunStatus,
    /// The last day that scope's run was complete, if any.
    pub last_complete: Option<Day>,
}

impl Stale {
    /// "sonarqube (sonar) failed on 2026-03-03; its values from 2026-03-01 carry forward".
    pub fn note(&self) -> String {
        let what = match self.status {
            RunStatus::Partial => "saw only part of its scope",
            _ => "failed",
        };
        let since = self.last_complete.map_or("its last known values".into(), |d| format!("its values from {d}"));
        format!("{} ({}) {what} on {}; {since} carry forward", self.source, self.scope, self.failed_on)
    }
}

/// One attribute's value on an entity, with the source it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Sourced {
    pub value: Value,
    /// The source whose value was read (the first by name, then scope).
    pub source: String,
}

pub struct DayView<'a> {
    pub store: &'a dyn Store,
    pub day: Day,
    /// Service keys scored, in order.
    pub services: Vec<String>,
    /// Sources carrying values forward that day, by source.
    pub stale: BTreeMap<String, Vec<Stale>>,
    reached: HashMap<String, FxHashMap<String, Vec<String>>>,
    attributes: HashMap<(String, String), FxHashMap<String, Sourced>>,
    /// Few services: entities are read one by one ([`NARROW`]).
    entities: HashMap<String, Option<EntityState>>,
    pub(super) memo: HashMap<&'static str, FxHashMap<String, Value>>,
    /// Where bulk reads come from: versions over a range holding the day.
    pub(super) range: Arc<Ranged>,
}

/// Up to this many services, a view reads the entities its rules reach one
/// by one instead of every entity of a kind: one service's history is
/// walked back day by day, and reading a whole organisation for each of
/// those days would cost a hundred times more.
pub const NARROW: usize = 40;

impl<'a> DayView<'a> {
    /// The view of `day` for the given services (keys); `notes`: find the
    /// sources that carry values forward that day, to say so.
    /// `range`: the bulk reads of the days around (a trend's); `None`
    /// reads this day alone.
    pub async fn new(
        store: &'a dyn Store,
        day: Day,
        services: Vec<String>,
        notes: bool,
        range: Option<Arc<Ranged>>,
    ) -> StoreResult<DayView<'a>> {
        let stale = if notes { stale_sources(store, day).await? } else { BTreeMap::new() };
        let range = range.filter(|r| r.covers(day)).unwrap_or_else(|| Ranged::new(day, day));
        Ok(DayView {
            store,
            day,
            services,
            stale,
            reached: HashMap::new(),
            attributes: HashMap::new(),
            entities: HashMap::new(),
            memo: HashMap::new(),
            range,
        })
    }

    /// Each service's entities at the end of `path`, each once.
    pub async fn reached(&mut self, path: &[EdgeRule]) -> StoreResult<&FxHashMap<String, Vec<String>>> {
        let name = path_key(path);
        if !self.reached.contains_key(&name) {
            let found = self.follow(path).await?;
            self.reached.insert(name.clone(), found);
        }
        Ok(&self.reached[&name])
    }

    async fn follow(&mut self, path: &[EdgeRule]) -> StoreResult<FxHashMap<String, Vec<String>>> {
        let Some((last, before)) = path.split_last() else {
            return Ok(self.services.iter().map(|s| (s.clone(), vec![s.clone()])).collect());
        };
        let start = Box::pin(self.reached(before)).await?.clone();
        let mut frontier: Vec<String> =
            start.values().flatten().cloned().collect::<FxHashSet<_>>().into_iter().collect();
        frontier.sort_unstable();
        let mut next: FxHashMap<&str, Vec<String>> = FxHashMap::default();
        let pairs = match frontier.is_empty() {
            true => Vec::new(),
            false if self.is_narrow() => self.store.neighbours(&frontier, last, self.day).await?,
            false => self.neighbours_in_range(&frontier, last).await?,
        };
        for (from, to) in &pairs {
            next.entry(from.as_str()).or_default().push(to.clone());
        }
        let mut found: FxHashMap<String, Vec<String>> = FxHashMap::default();
        for (service, keys) in start {
            let mut ends: Vec<String> = keys.iter().filter_map(|k| next.get(k.as_str())).flatten().cloned().collect();
            ends.sort_unstable();
            ends.dedup();
            found.insert(service, ends);
        }
        Ok(found)
    }

    /// What `neighbours` would read, from the range's relation versions.
    async fn neighbours_in_range(&self, frontier: &[String], rule: &EdgeRule) -> StoreResult<Vec<(String, String)>> {
        let Some(kind) = rule.kind.as_deref() else { return Ok(Vec::new()) };
        let spans = self.range.relations(self.store, kind).await?;
        let frontier: FxHashSet<&str> = frontier.iter().map(String::as_str).collect();
        let mut pairs = Vec::new();
        for span in spans.iter().filter(|s| s.valid_from <= self.day && self.day < s.valid_to) {
            if rule.direction.follows_out() && frontier.contains(span.from.as_str()) {
                pairs.push((span.from.clone(), span.to.clone()));
            }
            if rule.direction.follows_in() && frontier.contains(span.to.as_str()) {
                pairs.push((span.to.clone(), span.from.clone()));
            }
        }
        pairs.sort_unstable();
        pairs.dedup();
        Ok(pairs)
    }

    /// Entities already read for this day: a narrow view does not read
    /// them again.
    pub fn remember(&mut self, states: Vec<EntityState>) {
        for state in states {
            self.entities.insert(state.entity.key.clone(), Some(state));
        }
    }

    pub fn is_narrow(&self) -> bool {
        self.services.len() <= NARROW
    }

    /// One attribute of the entities of `kind` among `keys` that have it
    /// that day, each with the source it came from.
    pub async fn attribute(
        &mut self,
        kind: &str,
        path: &str,
        keys: &[String],
    ) -> StoreResult<FxHashMap<String, Sourced>> {
        if self.is_narrow() {
            return self.attribute_one_by_one(kind, path, keys).await;
        }
        let name = (kind.to_string(), path.to_string());
        if !self.attributes.contains_key(&name) {
            let values = self.read_attribute(kind, path).await?;
            self.attributes.insert(name.clone(), values);
        }
        let all = &self.attributes[&name];
        Ok(keys.iter().filter_map(|k| all.get_key_value(k)).map(|(k, v)| (k.clone(), v.clone())).collect())
    }

    async fn attribute_one_by_one(
        &mut self,
        kind: &str,
        path: &str,
        keys: &[String],
    ) -> StoreResult<FxHashMap<String, Sourced>> {
        let mut found = FxHashMap::default();
        for key in keys {
            if !self.entities.contains_key(key) {
                let state = self.store.entity(key, self.day).await?;
                self.entities.insert(key.clone(), state);
            }
            let Some(state) = self.entities[key].as_ref().filter(|s| s.entity.kind == kind) else { continue };
            // As the stores' bulk read: the first source (by name) with a value.
            let mut facts: Vec<_> = state.facts.iter().collect();
            facts.sort_by(|a, b| (&a.source, &a.scope).cmp(&(&b.source, &b.scope)));
            let value = facts.iter().find_map(|fact| {
                let value = crate::attribute_path::lookup(&fact.attrs, path).filter(|v| !v.is_null())?;
                Some(Sourced { value: value.clone(), source: fact.source.clone() })
            });
            if let Some(value) = value {
                found.insert(key.clone(), value);
            }
        }
        Ok(found)
    }

    async fn read_attribute(&self, kind: &str, path: &str) -> StoreResult<FxHashMap<String, Sourced>> {
        let versions = self.range.attribute(self.store, kind, path).await?;
        Ok(AttributeValueVersion::on(&versions, self.day)
            .into_iter()
            .map(|v| (v.key.clone(), Sourced { value: v.value.clone(), source: v.source.clone() }))
            .collect())
    }

    /// The carried-forward notes of the values a rule read.
    pub fn notes<'v>(&self, values: impl IntoIterator<Item = &'v Sourced>) -> Vec<String> {
        let mut notes: Vec<String> =
            values.into_iter().filter_map(|v| self.stale.get(&v.source)).flatten().map(Stale::note).collect();
        notes.sort();
        notes.dedup();
        notes
    }
}

/// Every entity some service reached, once.
pub fn ends(reached: &FxHashMap<String, Vec<String>>) -> Vec<String> {
    let mut keys: Vec<String> = reached.values().flatten().cloned().collect();
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// A path as a cache key: `owns<in>/measures<in>`.
pub fn path_key(path: &[EdgeRule]) -> String {
    path.iter()
        .map(|r| format!("{}<{:?}>", r.kind.as_deref().unwrap_or("*"), r.direction))
        .collect::<Vec<_>>()
        .join("/")
}

/// Every (source, scope) whose latest run on or before `day` failed or was
/// partial, by source.
async fn stale_sources(store: &dyn Store, day: Day) -> StoreResult<BTreeMap<String, Vec<Stale>>> {
    let filter = RunFilter { source: None, from: Some(day.minus(STALE_LOOKBACK_DAYS)), to: Some(day) };
    let mut runs = store.runs(&filter).await?;
    runs.sort_by(|a, b| (&a.source, &a.scope, a.day).cmp(&(&b.source, &b.scope, b.day)));
    let mut stale: BTreeMap<String, Vec<Stale>> = BTreeMap::new();
    for (index, run) in runs.iter().enumerate() {
        let is_latest = runs.get(index + 1).is_none_or(|next| (&next.source, &next.scope) != (&run.source, &run.scope));
        if !is_latest || !matches!(run.status, RunStatus::Failed | RunStatus::Partial) {
            continue;
        }
        let last_complete = runs[..index]
            .iter()
            .rev()
            .take_while(|r| (&r.source, &r.scope) == (&run.source, &run.scope))
            .find(|r| r.status == RunStatus::Complete)
            .map(|r| r.day);
        stale.entry(run.source.clone()).or_default().push(Stale {
            source: run.source.clone(),
            scope: run.scope.clone(),
            failed_on: run.day,
            status: run.status,
            last_complete,
        });
    }
    Ok(stale)
}
