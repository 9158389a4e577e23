//! Scoring services on one day: every rule over every service at once,
//! from one [`DayView`].

use std::sync::Arc;

use rustc_hash::FxHashMap;
use serde_json::Value;
use tokio::time::Instant;

use super::ranged::Ranged;
use super::rule::{shown, Aggregate, Reads, Rule};
use super::view::{DayView, Sourced};
use super::{builtins, vocabulary, Scorecard};
use crate::delivery::Delivery;
use crate::model::{Day, Direction, EdgeRule, EntityState};
use crate::store::{Store, StoreResult};

/// What one rule saw for one service.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleOutcome {
    pub passed: bool,
    /// What was read, as text ("42.5", "2", "nothing reached"); `None`
    /// when there was nothing to read.
    pub seen: Option<String>,
    /// Carried-forward notes: sources whose run failed and whose last
    /// known values this reading used.
    pub carried_forward: Vec<String>,
}

/// One service's score on a day.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceScore {
    pub key: String,
    /// Its owning team's key (the first by key when several own it).
    pub team: Option<String>,
    /// The rank of the highest level reached; `None` below the lowest.
    pub level: Option<usize>,
    /// One per rule, in the scorecard's order.
    pub outcomes: Vec<RuleOutcome>,
}

impl ServiceScore {
    pub fn name(&self) -> &str {
        collectors::keys::name_in(&self.key, collectors::keys::SERVICE).unwrap_or(&self.key)
    }

    /// The owning team's name (its key without `team:`).
    pub fn team_name(&self) -> Option<String> {
        self.team.as_deref().map(|t| collectors::keys::name_in(t, collectors::keys::TEAM).unwrap_or(t).to_string())
    }

    pub fn passed(&self) -> usize {
        self.outcomes.iter().filter(|o| o.passed).count()
    }
}

/// Every scored service's score on one day, by key.
#[derive(Debug, Clone, PartialEq)]
pub struct DayScores {
    pub day: Day,
    pub services: Vec<ServiceScore>,
}

impl DayScores {
    pub fn service(&self, key: &str) -> Option<&ServiceScore> {
        self.services.binary_search_by(|s| s.key.as_str().cmp(key)).ok().map(|i| &self.services[i])
    }
}

/// Which services to score.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Subjects {
    /// Every service alive that day.
    All,
    /// The services a team owns that day (a team key).
    Team(String),
    /// One service (a key), when it is alive that day.
    Service(String),
}

/// Scores `subjects` on `day` by `card`.
pub async fn score_day(
    store: &dyn Store,
    card: &Scorecard,
    delivery: &Delivery,
    day: Day,
    subjects: &Subjects,
) -> StoreResult<DayScores> {
    score_day_in(store, card, delivery, day, subjects, None, None).await
}

/// [`score_day`], reading in bulk from `range` (a trend's reads, shared by
/// its days) when it holds the day, and stopping at `deadline`
/// ([`crate::store::on_time`]).
pub async fn score_day_in(
    store: &dyn Store,
    card: &Scorecard,
    delivery: &Delivery,
    day: Day,
    subjects: &Subjects,
    range: Option<Arc<Ranged>>,
    deadline: Option<Instant>,
) -> StoreResult<DayScores> {
    let every: Vec<usize> = (0..card.rules.len()).collect();
    let (keys, states) = subject_keys(store, day, subjects).await?;
    let mut view = DayView::new(store, day, keys, true, range).await?;
    view.remember(states);
    if !view.is_narrow() {
        prefetch(&view, card).await?;
    }
    let teams = owners(&mut view).await?;
    let columns = columns(&mut view, card, &every, delivery, deadline).await?;
    let services = view
        .services
        .iter()
        .enumerate()
        .map(|(row, key)| {
            let outcomes: Vec<RuleOutcome> = columns.iter().map(|column| column[row].clone()).collect();
            ServiceScore { key: key.clone(), team: teams.get(key).cloned(), level: level(card, &outcomes), outcomes }
        })
        .collect();
    Ok(DayScores { day, services })
}

/// Starts every bulk read the card's rules will make at once, so the store
/// answers them side by side (its readers are a pool); the rules then find
/// them read.
async fn prefetch(view: &DayView<'_>, card: &Scorecard) -> StoreResult<()> {
    use futures_util::future::try_join_all;
    use std::future::Future;
    use std::pin::Pin;
    type Read<'r> = Pin<Box<dyn Future<Output = StoreResult<()>> + Send + 'r>>;
    let (range, store) = (&view.range, view.store);
    // Owners are read for every score.
    let mut wanted = builtins::BulkReads { relations: vec!["owns"], ..Default::default() };
    for rule in &card.rules {
        match &rule.reads {
            Reads::Attribute(path) => wanted.attributes.push(("service", path)),
            Reads::Path { path, attribute, .. } => {
                wanted.relations.extend(path.iter().filter_map(|step| step.kind.as_deref()));
                if let Some(attribute) = attribute {
                    wanted.attributes.extend(kinds_at_end(path).into_iter().map(|kind| (kind, attribute.as_str())));
                }
            }
            Reads::Builtin(builtin) => {
                let more = builtins::reads(*builtin);
                wanted.relations.extend(more.relations);
                wanted.attributes.extend(more.attributes);
                wanted.relation_values.extend(more.relation_values);
            }
        }
    }
    let mut reads: Vec<Read<'_>> = Vec::new();
    for kind in sorted(wanted.relations) {
        reads.push(Box::pin(async move { range.relations(store, kind).await.map(|_| ()) }));
    }
    for (kind, path) in sorted(wanted.attributes) {
        reads.push(Box::pin(async move { range.attribute(store, kind, path).await.map(|_| ()) }));
    }
    for (kind, path) in sorted(wanted.relation_values) {
        reads.push(Box::pin(async move { range.relation_values(store, kind, path).await.map(|_| ()) }));
    }
    try_join_all(reads).await.map(|_| ())
}

/// Each once.
fn sorted<T: Ord>(mut items: Vec<T>) -> Vec<T> {
    items.sort_unstable();
    items.dedup();
    items
}

/// Whether each of `rules` (indexes) passes for one service on `day`;
/// `None` when the service is not alive that day. Reads no carried-forward
/// notes: what "failing since" needs, day after day, and no more.
pub async fn passes_on(
    store: &dyn Store,
    card: &Scorecard,
    delivery: &Delivery,
    day: Day,
    service: &str,
    rules: &[usize],
    deadline: Option<Instant>,
) -> StoreResult<Option<Vec<bool>>> {
    let (services, states) = subject_keys(store, day, &Subjects::Service(service.to_string())).await?;
    if services.is_empty() {
        return Ok(None);
    }
    let mut view = DayView::new(store, day, services, false, None).await?;
    view.remember(states);
    let columns = columns(&mut view, card, rules, delivery, deadline).await?;
    Ok(Some(columns.iter().map(|column| column[0].passed).collect()))
}

/// The outcomes of `rules` (indexes) for every service of the view: one
/// column per rule, one row per service; stops at `deadline`.
async fn columns(
    view: &mut DayView<'_>,
    card: &Scorecard,
    rules: &[usize],
    delivery: &Delivery,
    deadline: Option<Instant>,
) -> StoreResult<Vec<Vec<RuleOutcome>>> {
    let mut columns = Vec::with_capacity(rules.len());
    for &index in rules {
        crate::store::on_time(deadline).await?;
        columns.push(evaluate_rule(view, &card.rules[index], delivery).await?);
    }
    Ok(columns)
}

/// The highest level whose rules, and every lower level's, all pass.
pub fn level(card: &Scorecard, outcomes: &[RuleOutcome]) -> Option<usize> {
    let mut reached = None;
    for (rank, level) in card.levels.iter().enumerate() {
        let passes = card.rules.iter().zip(outcomes).filter(|(rule, _)| &rule.level == level).all(|(_, o)| o.passed);
        if !passes {
            break;
        }
        reached = Some(rank);
    }
    reached
}

/// The keys of the services scored on `day`, and the states read to find
/// them (a team's or one service's; the view reads them again otherwise).
async fn subject_keys(
    store: &dyn Store,
    day: Day,
    subjects: &Subjects,
) -> StoreResult<(Vec<String>, Vec<EntityState>)> {
    let mut keys = match subjects {
        Subjects::Service(key) => vec![key.clone()],
        Subjects::All => {
            let alive = store.entities_of_kind("service", day).await?;
            return Ok((alive.into_iter().map(|s| s.entity.key).collect(), Vec::new()));
        }
        Subjects::Team(team) => {
            let owns = EdgeRule::new("owns", Direction::Out);
            let owned = store.neighbours(std::slice::from_ref(team), &owns, day).await?;
            owned.into_iter().map(|(_, key)| key).collect()
        }
    };
    keys.sort_unstable();
    keys.dedup();
    // A team's services one by one (a team owns a few; reading every
    // service of the organisation to find them costs more).
    let mut alive = Vec::with_capacity(keys.len());
    for key in keys {
        if let Some(state) = store.entity(&key, day).await?.filter(|s| s.entity.kind == "service") {
            alive.push(state);
        }
    }
    Ok((alive.iter().map(|s| s.entity.key.clone()).collect(), alive))
}

/// Each service's owning team: the first team (by key) that owns it.
async fn owners(view: &mut DayView<'_>) -> StoreResult<FxHashMap<String, String>> {
    let reached = view.reached(&[EdgeRule::new("owns", Direction::In)]).await?;
    Ok(reached
        .iter()
        .filter_map(|(service, teams)| {
            teams
                .iter()
                .find(|t| collectors::keys::is_kind(t, collectors::keys::TEAM))
                .map(|t| (service.clone(), t.clone()))
        })
        .collect())
}

/// One rule over every service of the view, in the view's order.
async fn evaluate_rule(view: &mut DayView<'_>, rule: &Rule, delivery: &Delivery) -> StoreResult<Vec<RuleOutcome>> {
    match &rule.reads {
        Reads::Attribute(attribute) => {
            let services = view.services.clone();
            let values = view.attribute("service", attribute, &services).await?;
            Ok(view
                .services
                .iter()
                .map(|key| {
                    let found = values.get(key);
                    let value = found.map(|f| &f.value);
                    RuleOutcome {
                        passed: rule.passes(value),
                        seen: value.map(shown),
                        carried_forward: view.notes(found),
                    }
                })
                .collect())
        }
        Reads::Path { path, aggregate, attribute } => {
            evaluate_path(view, rule, path, *aggregate, attribute.as_deref()).await
        }
        Reads::Builtin(builtin) => {
            let figures = builtins::figures(view, *builtin, delivery).await?;
            Ok(view
                .services
                .iter()
                .map(|key| {
                    let value = figures.get(key);
                    RuleOutcome { passed: rule.passes(value), seen: value.map(shown), carried_forward: Vec::new() }
                })
                .collect())
        }
    }
}

async fn evaluate_path(
    view: &mut DayView<'_>,
    rule: &Rule,
    path: &[EdgeRule],
    aggregate: Aggregate,
    attribute: Option<&str>,
) -> StoreResult<Vec<RuleOutcome>> {
    let reached = view.reached(path).await?.clone();
    let values = match attribute {
        Some(attribute) => reached_values(view, path, attribute, &super::view::ends(&reached)).await?,
        None => FxHashMap::default(),
    };
    let empty = Vec::new();
    Ok(view
        .services
        .iter()
        .map(|service| {
            let keys = reached.get(service).unwrap_or(&empty);
            let read: Vec<(&String, Option<&Sourced>)> = keys.iter().map(|k| (k, values.get(k))).collect();
            let notes = view.notes(read.iter().filter_map(|(_, v)| *v));
            let (passed, seen) = aggregated(rule, aggregate, &read);
            RuleOutcome { passed, seen, carried_forward: notes }
        })
        .collect())
}

/// The attribute of every entity a path can reach, whatever its kind.
async fn reached_values(
    view: &mut DayView<'_>,
    path: &[EdgeRule],
    attribute: &str,
    keys: &[String],
) -> StoreResult<FxHashMap<String, Sourced>> {
    let mut values = FxHashMap::default();
    for kind in kinds_at_end(path) {
        for (key, value) in view.attribute(kind, attribute, keys).await? {
            values.entry(key).or_insert(value);
        }
    }
    Ok(values)
}

/// The entity kinds a path from a service can end on.
pub fn kinds_at_end(path: &[EdgeRule]) -> Vec<&'static str> {
    let mut kinds: Vec<&'static str> = vec!["service"];
    for step in path {
        match step.kind.as_deref().and_then(vocabulary::relation) {
            Some(relation) => kinds = vocabulary::step(relation, &kinds, step.direction),
            None => return Vec::new(),
        }
    }
    kinds
}

/// Applies the aggregate: whether the rule passes, and what it saw.
fn aggregated(rule: &Rule, aggregate: Aggregate, read: &[(&String, Option<&Sourced>)]) -> (bool, Option<String>) {
    let values: Vec<&Value> = read.iter().filter_map(|(_, v)| v.map(|s| &s.value)).collect();
    let passing = values.iter().filter(|v| rule.passes(Some(v))).count();
    match aggregate {
        Aggregate::Count => {
            let count = Value::from(read.len());
            (rule.passes(Some(&count)), Some(read.len().to_string()))
        }
        Aggregate::All => {
            // An entity without the attribute fails `all`: nothing was seen to pass.
            let failing = read.len() - passing;
            (failing == 0, Some(format!("{passing} of {} pass", read.len())))
        }
        Aggregate::Any => (passing > 0, Some(format!("{passing} of {} pass", read.len()))),
        Aggregate::None => (passing == 0, Some(format!("{passing} of {} pass", read.len()))),
        Aggregate::Min | Aggregate::Max => {
            let numbers = values.iter().filter_map(|v| v.as_f64());
            let extreme = match aggregate {
                Aggregate::Min => numbers.fold(None, |m: Option<f64>, x| Some(m.map_or(x, |m| m.min(x)))),
                _ => numbers.fold(None, |m: Option<f64>, x| Some(m.map_or(x, |m| m.max(x)))),
            };
            match extreme.and_then(serde_json::Number::from_f64) {
                Some(n) => {
                    let value = Value::Number(n);
                    (rule.passes(Some(&value)), Some(shown(&value)))
                }
                None => (false, None),
            }
        }
    }
}
