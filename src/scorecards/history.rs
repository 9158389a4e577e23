//! Scores over time: levels and each rule's passing share per bucket,
//! what rose or fell between two days, and since when a rule fails.

use std::sync::Arc;

use tokio::time::Instant;

use super::cache::ScoreCache;
use super::evaluate::{passes_on, score_day_in, DayScores, ServiceScore, Subjects};
use super::ranged::Ranged;
use super::Scorecard;
use crate::delivery::Delivery;
use crate::model::Day;
use crate::store::{Store, StoreResult};

/// What a trend reads on: the store, the scorecard and its cache; and
/// when to stop (the request's deadline; `None`: never).
pub struct Scoring<'a> {
    pub store: &'a dyn Store,
    pub card: &'a Scorecard,
    pub delivery: &'a Delivery,
    pub cache: &'a ScoreCache,
    pub deadline: Option<Instant>,
}

impl Scoring<'_> {
    /// The scores of `subjects` on `day`, from the cache when still good.
    pub async fn day(&self, day: Day, subjects: &Subjects) -> StoreResult<Arc<DayScores>> {
        self.day_in(day, subjects, None).await
    }

    /// [`Scoring::day`], reading in bulk from `range` (a trend's) when it
    /// has to score the day.
    async fn day_in(&self, day: Day, subjects: &Subjects, range: Option<Arc<Ranged>>) -> StoreResult<Arc<DayScores>> {
        if let Some(kept) = self.cache.get(&self.card.name, subjects, day) {
            return Ok(kept);
        }
        let generation = self.cache.generation();
        if let Some(kept) = super::kept::day(self.store, self.card, self.delivery, day, subjects).await? {
            let scores = Arc::new(kept);
            self.cache.put(&self.card.name, subjects, generation, scores.clone());
            return Ok(scores);
        }
        let scored = score_day_in(self.store, self.card, self.delivery, day, subjects, range, self.deadline);
        let scores = Arc::new(scored.await?);
        self.cache.put(&self.card.name, subjects, generation, scores.clone());
        Ok(scores)
    }
}

/// One bucket of a trend, scored on its last day.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    pub bucket: Day,
    pub measured_on: Day,
    pub summary: Summary,
}

/// How many services reached each level, and passed each rule.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Summary {
    pub services: usize,
    /// Services below the lowest level.
    pub below: usize,
    /// By level rank.
    pub levels: Vec<usize>,
    /// By rule, in the scorecard's order.
    pub passing: Vec<usize>,
}

impl Summary {
    pub fn of(card: &Scorecard, scores: &DayScores) -> Summary {
        let mut summary = Summary::none(card);
        for service in &scores.services {
            summary.count(service.level, service.outcomes.iter().map(|o| o.passed));
        }
        summary
    }

    /// No service counted yet.
    pub fn none(card: &Scorecard) -> Summary {
        Summary { levels: vec![0; card.levels.len()], passing: vec![0; card.rules.len()], ..Summary::default() }
    }

    /// Counts one service in: its level (by rank) and whether it passed
    /// each rule, in the scorecard's order.
    pub fn count(&mut self, level: Option<usize>, passed: impl IntoIterator<Item = bool>) {
        self.services += 1;
        match level {
            Some(rank) => self.levels[rank] += 1,
            None => self.below += 1,
        }
        for (count, passed) in self.passing.iter_mut().zip(passed) {
            *count += passed as usize;
        }
    }
}

/// Days a trend scores at once.
const DAYS_AT_ONCE: usize = 2;

/// The trend of `subjects`, one point per bucket (`(first day, last day)`,
/// as [`crate::buckets::buckets`] cuts a range).
pub async fn trend(scoring: &Scoring<'_>, subjects: &Subjects, spans: &[(Day, Day)]) -> StoreResult<Vec<Point>> {
    use futures_util::stream::{self, StreamExt, TryStreamExt};
    // The points the store keeps as exact are read from its rows; the
    // others are scored.
    let ends: Vec<Day> = spans.iter().map(|&(_, end)| end).collect();
    let kept = super::kept::summaries(scoring.store, scoring.card, scoring.delivery, &ends, subjects).await?;
    let kept: std::collections::BTreeMap<Day, Summary> = kept.into_iter().collect();
    let to_score: Vec<(Day, Day)> = spans.iter().copied().filter(|(_, end)| !kept.contains_key(end)).collect();
    // One bulk read of each attribute and relation kind for every day.
    let range = match (to_score.first(), to_score.last()) {
        (Some(&(_, first)), Some(&(_, last))) => Some(Ranged::new(first, last)),
        _ => None,
    };
    let point = |(start, end): (Day, Day)| {
        let range = range.clone();
        async move {
            let scores = scoring.day_in(end, subjects, range).await?;
            Ok::<_, crate::store::StoreError>(Point {
                bucket: start,
                measured_on: end,
                summary: Summary::of(scoring.card, &scores),
            })
        }
    };
    // Days in flight together: a day's store reads run while another's are
    // judged.
    let scored: Vec<Point> = stream::iter(to_score).map(point).buffered(DAYS_AT_ONCE).try_collect().await?;
    let mut scored = scored.into_iter();
    // In the spans' order, each point from where it came.
    let points = spans
        .iter()
        .filter_map(|&(start, end)| match kept.get(&end) {
            Some(summary) => Some(Point { bucket: start, measured_on: end, summary: summary.clone() }),
            None => scored.next(),
        })
        .collect();
    Ok(points)
}

/// A service whose level moved between two days.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub before: ServiceScore,
    pub after: ServiceScore,
    /// The rules (by index) whose outcome changed.
    pub moved: Vec<usize>,
}

impl Change {
    pub fn rose(&self) -> bool {
        self.after.level.map_or(-1, |l| l as i64) > self.before.level.map_or(-1, |l| l as i64)
    }
}

/// The services scored on both days whose level differs, fallen first.
pub async fn changes(scoring: &Scoring<'_>, subjects: &Subjects, from: Day, to: Day) -> StoreResult<Vec<Change>> {
    let before = scoring.day(from, subjects).await?;
    let after = scoring.day(to, subjects).await?;
    let mut found: Vec<Change> = after
        .services
        .iter()
        .filter_map(|now| {
            let then = before.service(&now.key)?;
            (then.level != now.level).then(|| Change {
                moved: (0..now.outcomes.len()).filter(|&i| then.outcomes[i].passed != now.outcomes[i].passed).collect(),
                before: then.clone(),
                after: now.clone(),
            })
        })
        .collect();
    found.sort_by(|a, b| a.rose().cmp(&b.rose()).then_with(|| a.after.key.cmp(&b.after.key)));
    Ok(found)
}

/// How far back "failing since" looks.
pub const SINCE_LOOKBACK_DAYS: i32 = 365;

/// For each rule failing for `service` on `day` (`today` is its score
/// then): the first day of the run of days it has failed on, day by day
/// back from `day` — the first day of the service when it has failed since
/// then. `None` for passing rules, and for rules failing on every one of
/// the [`SINCE_LOOKBACK_DAYS`] looked at. Each day reads only the rules
/// still failing, for this one service; stops at the scoring's deadline.
pub async fn failing_since(
    scoring: &Scoring<'_>,
    service: &str,
    today: &ServiceScore,
    day: Day,
) -> StoreResult<Vec<Option<Day>>> {
    let (store, card, delivery) = (scoring.store, scoring.card, scoring.delivery);
    let since: Vec<Option<Day>> = vec![None; today.outcomes.len()];
    let open: Vec<usize> = (0..today.outcomes.len()).filter(|&i| !today.outcomes[i].passed).collect();
    // Back through the kept days first; the rest is scored day by day.
    let walked = super::kept::Walked { since, open, failing_from: day };
    let mut walked = match walked.open.is_empty() {
        true => walked,
        false => super::kept::failing_since(store, card, delivery, service, walked, day, SINCE_LOOKBACK_DAYS).await?,
    };
    while !walked.done(day, SINCE_LOOKBACK_DAYS) {
        let probe = walked.failing_from.minus(1);
        crate::store::on_time(scoring.deadline).await?;
        let passed = passes_on(store, card, delivery, probe, service, &walked.open, scoring.deadline).await?;
        // `passes_on` answers for the open rules, in their order.
        let ended = passed.map(|passed| walked.open.iter().zip(&passed).filter(|(_, &p)| p).map(|(&i, _)| i).collect());
        walked.step(ended);
    }
    Ok(walked.since)
}
