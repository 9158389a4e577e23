//! Kept scores (docs/scorecards.md, "Kept scores"): each service's score by
//! a card stored as interval versions, like facts, so that a day, a trend
//! or "failing since" reads rows instead of scoring the graph.
//!
//! The store keeps the rows and marks, by triggers, the earliest day each
//! write can move ([`crate::store::KeepScores`]); this module derives them
//! (scoring every day from where the store says, a few days per
//! transaction, so a killed derivation resumes) and reads them back into
//! the same [`DayScores`] scoring gives. Days the store does not hold as
//! exact (not derived yet, or moved by a write since) are scored from the
//! graph: a read never waits for a derivation.

use std::hash::Hasher;

use serde_json::{json, Value};

use super::evaluate::{score_day_in, DayScores, RuleOutcome, ServiceScore, Subjects};
use super::ranged::Ranged;
use super::rule::{Builtin, Reads};
use super::Scorecard;
use crate::delivery::Delivery;
use crate::judging::rollup::{fix_forward_ms, RollupQuery};
use crate::model::{Day, Direction, EdgeRule};
use crate::store::{KeepScores, Kept, KeptQuery, KeptRow, Store, StoreError, StoreResult};

/// Bumped when what a row holds, or how a score is computed, changes: a
/// card kept by an older build is then derived again.
const FORMAT: u32 = 1;

/// Days scored per transaction of a derivation: a kill loses at most these.
pub const DAYS_PER_APPEND: i32 = 7;

/// Appends refused in a row (writes kept moving the days being derived)
/// before a derivation gives up until the next time.
const MOST_REFUSED: usize = 8;

/// What a card is kept under: its name, levels and rules, and the delivery
/// settings its DORA built-ins read. A changed card is another fingerprint.
pub fn fingerprint(card: &Scorecard, delivery: &Delivery) -> String {
    let text = format!(
        "{FORMAT}|{}|{:?}|{:?}|{:?}|{:?}",
        card.name,
        card.levels,
        card.rules,
        delivery.config.fix_forward_minutes,
        delivery.config.clusters_of("production")
    );
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    hasher.write(text.as_bytes());
    format!("{}-{:016x}", card.name, hasher.finish())
}

/// Whether a rule of the card reads deploys.
fn reads_deploys(card: &Scorecard) -> bool {
    card.rules.iter().any(|rule| {
        matches!(
            rule.reads,
            Reads::Builtin(
                Builtin::DeploysPerWeek
                    | Builtin::ChangeFailureRate
                    | Builtin::LeadTimeHours
                    | Builtin::TimeToRestoreHours
            )
        )
    })
}

/// Whether the card's kept scores can be trusted as to deploys: a card
/// that reads them is kept only while the store's delivery rollups are
/// complete and judged with the config's fix-forward window. Only then is
/// every verdict a later deploy changes written back (and marked, by the
/// triggers, on its own day); judged from history, a new deploy can move
/// the verdict of an older one without a write on that one's day.
async fn deploys_kept(store: &dyn Store, card: &Scorecard, delivery: &Delivery) -> StoreResult<bool> {
    if !reads_deploys(card) {
        return Ok(true);
    }
    let probe = RollupQuery {
        services: Some(Vec::new()),
        clusters: None,
        except_clusters: Vec::new(),
        from: Day(0),
        to: Day(0),
        fix_forward_ms: fix_forward_ms(delivery.config.fix_forward()),
    };
    Ok(store.dora_rollups(&probe).await?.is_some())
}

/// How a derivation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Derived {
    /// Exact through the day before this one.
    Through(Day),
    /// The store keeps no scores (or has no history yet).
    NotKept,
    /// The card reads deploys and the delivery views are not usable.
    WaitingForDeliveryViews,
    /// Writes kept moving the days being derived; try again later.
    Interrupted(Day),
}

/// Derives `card`'s kept scores through `until` from where the store says,
/// reporting each appended day as (day, until).
pub async fn derive(
    store: &dyn Store,
    card: &Scorecard,
    delivery: &Delivery,
    until: Day,
    progress: &mut (dyn FnMut(Day, Day) + Send),
) -> StoreResult<Derived> {
    if !deploys_kept(store, card, delivery).await? {
        return Ok(Derived::WaitingForDeliveryViews);
    }
    let fingerprint = fingerprint(card, delivery);
    let prepare = KeepScores::Prepare { fingerprint: fingerprint.clone(), name: card.name.clone() };
    let mut refused = 0;
    loop {
        let Some(state) = store.keep_scores(&prepare).await? else { return Ok(Derived::NotKept) };
        let Some(mut next) = state.next else { return Ok(Derived::NotKept) };
        while next <= until {
            let last = Day(until.0.min(next.0 + DAYS_PER_APPEND - 1));
            let days = score_days(store, card, delivery, next, last).await?;
            let append = KeepScores::Append { fingerprint: fingerprint.clone(), first: next, days };
            let kept = store.keep_scores(&append).await?.ok_or_else(|| not_kept("appending"))?;
            if !kept.taken {
                break;
            }
            refused = 0;
            next = last.plus(1);
            progress(last, until);
        }
        if next > until {
            return Ok(Derived::Through(next));
        }
        refused += 1;
        if refused >= MOST_REFUSED {
            return Ok(Derived::Interrupted(next));
        }
    }
}

fn not_kept(doing: &str) -> StoreError {
    StoreError::Backend { doing: format!("{doing} kept scores"), source: "the store stopped keeping scores".into() }
}

/// Every service's rows on each day of `[first, last]`, read in bulk once.
async fn score_days(
    store: &dyn Store,
    card: &Scorecard,
    delivery: &Delivery,
    first: Day,
    last: Day,
) -> StoreResult<Vec<Vec<KeptRow>>> {
    let range = Ranged::new(first, last);
    let mut days = Vec::new();
    for day in first.0..=last.0 {
        let scores = score_day_in(store, card, delivery, Day(day), &Subjects::All, Some(range.clone()), None).await?;
        let owners = owners(store, &scores).await?;
        days.push(scores.services.iter().zip(owners).map(|(s, owners)| row_of(s, owners)).collect());
    }
    Ok(days)
}

/// Each scored service's owners (every key `owns` reaches against the
/// relation, sorted): what a team's scores select by.
async fn owners(store: &dyn Store, scores: &DayScores) -> StoreResult<Vec<Vec<String>>> {
    let keys: Vec<String> = scores.services.iter().map(|s| s.key.clone()).collect();
    let rule = EdgeRule::new("owns", Direction::In);
    let mut found: rustc_hash::FxHashMap<String, Vec<String>> = rustc_hash::FxHashMap::default();
    for (service, owner) in store.neighbours(&keys, &rule, scores.day).await? {
        found.entry(service).or_default().push(owner);
    }
    Ok(keys
        .iter()
        .map(|key| {
            let mut owners = found.remove(key).unwrap_or_default();
            owners.sort_unstable();
            owners.dedup();
            owners
        })
        .collect())
}

fn row_of(score: &ServiceScore, owners: Vec<String>) -> KeptRow {
    let outcomes: Vec<Value> = score.outcomes.iter().map(|o| json!([o.passed, o.seen, o.carried_forward])).collect();
    KeptRow {
        service: score.key.clone(),
        from: Day(0),
        to: Day(0),
        level: score.level.map(|l| l as u32),
        passed: score.outcomes.iter().map(|o| if o.passed { '1' } else { '0' }).collect(),
        team: score.team.clone(),
        owners,
        outcomes: Value::Array(outcomes).to_string(),
    }
}

/// A kept row as the score scoring gives.
fn score_of(row: &KeptRow) -> StoreResult<ServiceScore> {
    let bad = |why: &str| StoreError::Backend {
        doing: "reading kept scores".into(),
        source: format!("the kept score of {} from day {} {why}: run `spot rebuild-views`", row.service, row.from.0)
            .into(),
    };
    let parsed: Vec<(bool, Option<String>, Vec<String>)> =
        serde_json::from_str(&row.outcomes).map_err(|e| bad(&format!("has outcomes that do not parse ({e})")))?;
    let outcomes = parsed
        .into_iter()
        .map(|(passed, seen, carried_forward)| RuleOutcome { passed, seen, carried_forward })
        .collect();
    Ok(ServiceScore {
        key: row.service.clone(),
        team: row.team.clone(),
        level: row.level.map(|l| l as usize),
        outcomes,
    })
}

/// The rows of `subjects` on each of `days`, when the store keeps the card
/// and the deploys it reads; `None` otherwise.
async fn rows_on(
    store: &dyn Store,
    card: &Scorecard,
    delivery: &Delivery,
    days: &[Day],
    subjects: &Subjects,
    brief: bool,
) -> StoreResult<Option<Kept>> {
    // First the cheap question (no read at all for a card without DORA
    // built-ins), then the rows.
    if !deploys_kept(store, card, delivery).await? {
        return Ok(None);
    }
    let fingerprint = fingerprint(card, delivery);
    let query = match subjects {
        Subjects::Service(service) => {
            let (from, to) = (days.iter().min().copied(), days.iter().max().copied());
            let (Some(from), Some(to)) = (from, to) else { return Ok(None) };
            KeptQuery::Service { fingerprint, service: service.clone(), from, to }
        }
        Subjects::All => KeptQuery::Days { fingerprint, days: days.to_vec(), team: None, brief },
        Subjects::Team(team) => KeptQuery::Days { fingerprint, days: days.to_vec(), team: Some(team.clone()), brief },
    };
    store.kept_scores(&query).await
}

/// The rows of `kept` that hold on `day`, by service key.
fn holding(kept: &Kept, day: Day) -> impl Iterator<Item = &KeptRow> {
    kept.rows.iter().filter(move |row| row.from <= day && day < row.to)
}

/// `subjects`' scores on `day` from the kept rows; `None` when the day is
/// not kept as exact.
pub async fn day(
    store: &dyn Store,
    card: &Scorecard,
    delivery: &Delivery,
    day: Day,
    subjects: &Subjects,
) -> StoreResult<Option<DayScores>> {
    let Some(kept) = rows_on(store, card, delivery, &[day], subjects, false).await? else { return Ok(None) };
    if !kept.covers(day) {
        return Ok(None);
    }
    let mut services = holding(&kept, day).map(score_of).collect::<StoreResult<Vec<_>>>()?;
    services.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(Some(DayScores { day, services }))
}

/// The summaries of `subjects` on each of `days` kept as exact (a trend's
/// points); days not kept are left out.
pub async fn summaries(
    store: &dyn Store,
    card: &Scorecard,
    delivery: &Delivery,
    days: &[Day],
    subjects: &Subjects,
) -> StoreResult<Vec<(Day, super::history::Summary)>> {
    let Some(kept) = rows_on(store, card, delivery, days, subjects, true).await? else { return Ok(Vec::new()) };
    Ok(days
        .iter()
        .filter(|&&day| kept.covers(day))
        .map(|&day| {
            let mut summary = super::history::Summary::none(card);
            for row in holding(&kept, day) {
                summary.count(row.level.map(|rank| rank as usize), row.passed.chars().map(|passed| passed == '1'));
            }
            (day, summary)
        })
        .collect())
}

/// Where "failing since" stands after walking back through kept rows:
/// each rule's first failing day found, the rules still open, and the day
/// the walk got back to (the next probe is the day before it).
pub struct Walked {
    pub since: Vec<Option<Day>>,
    pub open: Vec<usize>,
    pub failing_from: Day,
}

impl Walked {
    /// Whether the walk back from `day` is over: no rule still open, or
    /// `lookback` days looked at.
    pub fn done(&self, day: Day, lookback: i32) -> bool {
        self.open.is_empty() || day.0 - self.failing_from.0 >= lookback
    }

    /// Takes in the day before `failing_from`: `None` when the service was
    /// not alive then (every open rule has failed since it began), else
    /// the open rules that passed then (they have failed since the day
    /// after).
    pub fn step(&mut self, passed: Option<Vec<usize>>) {
        let ended = passed.unwrap_or_else(|| self.open.clone());
        for &i in &ended {
            self.since[i] = Some(self.failing_from);
        }
        self.open.retain(|i| !ended.contains(i));
        self.failing_from = self.failing_from.minus(1);
    }
}

/// [`super::history::failing_since`]'s walk over the kept rows of
/// `service`, probing back from `day` while the probed days are kept as
/// exact and no further than `lookback` days; the caller scores on from
/// where it stopped.
pub async fn failing_since(
    store: &dyn Store,
    card: &Scorecard,
    delivery: &Delivery,
    service: &str,
    mut walked: Walked,
    day: Day,
    lookback: i32,
) -> StoreResult<Walked> {
    let oldest = day.minus(lookback);
    let subjects = Subjects::Service(service.to_string());
    let probes = [oldest, day.minus(1)];
    let Some(kept) = rows_on(store, card, delivery, &probes, &subjects, false).await? else { return Ok(walked) };
    while !walked.done(day, lookback) {
        let probe = walked.failing_from.minus(1);
        if !kept.covers(probe) {
            break;
        }
        let passed = holding(&kept, probe).next().map(|row| {
            let passes = |i: usize| row.passed.as_bytes().get(i) == Some(&b'1');
            walked.open.iter().copied().filter(|&i| passes(i)).collect()
        });
        walked.step(passed);
    }
    Ok(walked)
}

/// How long the keeper waits for a write before looking again anyway
/// (another process may write to the same store).
const KEEPER_IDLE: std::time::Duration = std::time::Duration::from_secs(60);

/// How long the keeper lets writes go on before it derives.
const KEEPER_SETTLE: std::time::Duration = std::time::Duration::from_secs(2);

/// A server's keeper: derives every card's kept scores through the store's
/// latest day, then again after each write `cache` hears of (or after
/// [`KEEPER_IDLE`]), while the returned [`Keeper`] lives. Cards the store
/// keeps that `cards` no longer holds are forgotten first. Failures are
/// logged and tried again: reads score from the graph meanwhile.
pub fn keep(
    store: std::sync::Arc<dyn Store>,
    cards: std::sync::Arc<super::Scorecards>,
    delivery: Delivery,
    cache: &super::cache::ScoreCache,
) -> Keeper {
    let woken = cache.woken();
    Keeper(tokio::spawn(async move {
        let fingerprints = cards.all.iter().map(|card| fingerprint(card, &delivery)).collect();
        if let Err(error) = store.keep_scores(&KeepScores::Retain { fingerprints }).await {
            tracing::warn!(%error, "could not forget the kept scores of cards no longer configured");
        }
        loop {
            keep_all(store.as_ref(), &cards, &delivery).await;
            if tokio::time::timeout(KEEPER_IDLE, woken.notified()).await.is_ok() {
                // A collection writes scope after scope: let it settle, and
                // derive its day once rather than after each of them.
                tokio::time::sleep(KEEPER_SETTLE).await;
            }
        }
    }))
}

/// The keeper's task, stopped when dropped.
pub struct Keeper(tokio::task::JoinHandle<()>);

impl Drop for Keeper {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// One pass of the keeper over every card.
async fn keep_all(store: &dyn Store, cards: &super::Scorecards, delivery: &Delivery) {
    let until = match store.latest_day().await {
        Ok(Some(day)) => day,
        Ok(None) => return,
        Err(error) => return tracing::warn!(%error, "kept scores: cannot read the latest day"),
    };
    for card in &cards.all {
        let started = std::time::Instant::now();
        match derive(store, card, delivery, until, &mut |_, _| {}).await {
            Ok(derived) => {
                tracing::debug!(card = %card.name, ?derived, ms = started.elapsed().as_millis() as u64, "kept scores")
            }
            Err(error) => {
                tracing::warn!(card = %card.name, %error, "kept scores: derivation failed; reads score the graph")
            }
        }
    }
}
