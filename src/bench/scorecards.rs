//! The scorecard figures of `spot bench store`: the demo's scorecard (10
//! rules) over the generated organisation, as docs/benchmarks.md reports
//! them. The scores are first kept (derived over the whole history, timed
//! once); the reads then go the server's way, kept rows first, without the
//! in-memory cache (a fresh one per sample). One figure scores a day from
//! the graph, the oracle the kept rows replace.

use std::cell::RefCell;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::store::time;
use super::Percentiles;
use crate::buckets::{buckets, Bucket};
use crate::delivery::Delivery;
use crate::model::Day;
use crate::scorecards::cache::ScoreCache;
use crate::scorecards::evaluate::{score_day, Subjects};
use crate::scorecards::history::{self, Scoring};
use crate::scorecards::kept::{self, Derived};
use crate::scorecards::Scorecards;
use crate::store::Store;

/// A year of weekly points, as the explorer's scorecards page reads them.
const TREND_DAYS: i32 = 365;

/// Times, on random days of `[first, last]`: every service's score on one
/// day; a year of weekly history for the organisation and for one team;
/// one service's score with "failing since" (the service page).
pub async fn scorecards(
    store: &dyn Store,
    (first, last): (Day, Day),
    samples: usize,
    record: &mut impl FnMut(&'static str, (Percentiles, f64)),
    progress: &mut impl FnMut(&str, u64, u64),
) -> anyhow::Result<()> {
    let card = Scorecards::demo().all.remove(0);
    let delivery = Delivery::default();
    let teams: Vec<String> = store.entities_of_kind("team", last).await?.into_iter().map(|t| t.entity.key).collect();
    let services: Vec<String> =
        store.entities_of_kind("service", last).await?.into_iter().map(|s| s.entity.key).collect();
    let rng = RefCell::new(ChaCha8Rng::seed_from_u64(21));
    let day = || Day(rng.borrow_mut().random_range(first.0..=last.0));
    let pick = |keys: &[String]| keys[rng.borrow_mut().random_range(0..keys.len())].clone();
    let year = buckets(last.minus(TREND_DAYS - 1).max(first), last, Bucket::Week);

    progress("scorecard_views_derive", 0, 6);
    record("scorecard_views_derive", derive(store, &card, &delivery, (first, last)).await?);
    let heavy = (samples / 5).max(20);
    progress("scorecard_organisation_day_evaluated", 1, 6);
    record(
        "scorecard_organisation_day_evaluated",
        time(heavy, || {
            let day = day();
            let card = &card;
            let delivery = &delivery;
            async move { Ok(score_day(store, card, delivery, day, &Subjects::All).await?.services.len()) }
        })
        .await?,
    );
    progress("scorecard_organisation_day", 2, 6);
    record(
        "scorecard_organisation_day",
        time(samples, || {
            let day = day();
            let (card, delivery) = (&card, &delivery);
            async move {
                let cache = ScoreCache::default();
                let scoring = Scoring { store, card, delivery, cache: &cache, deadline: None };
                Ok(scoring.day(day, &Subjects::All).await?.services.len())
            }
        })
        .await?,
    );
    progress("scorecard_organisation_year_by_week", 3, 6);
    let trend = |subjects: Subjects| {
        let (card, delivery, year) = (&card, &delivery, &year);
        async move {
            // A fresh cache: every point is scored from the graph.
            let cache = ScoreCache::default();
            let scoring = Scoring { store, card, delivery, cache: &cache, deadline: None };
            Ok(history::trend(&scoring, &subjects, year).await?.len())
        }
    };
    record("scorecard_organisation_year_by_week", time(heavy, || trend(Subjects::All)).await?);
    progress("scorecard_team_year_by_week", 4, 6);
    record("scorecard_team_year_by_week", time(heavy, || trend(Subjects::Team(pick(&teams)))).await?);
    progress("scorecard_service_with_failing_since", 5, 6);
    record(
        "scorecard_service_with_failing_since",
        time(heavy, || {
            let (service, card, delivery) = (pick(&services), &card, &delivery);
            async move {
                let cache = ScoreCache::default();
                let scoring = Scoring { store, card, delivery, cache: &cache, deadline: None };
                let scores = scoring.day(last, &Subjects::Service(service.clone())).await?;
                let Some(today) = scores.services.first() else { return Ok(0) };
                let since = history::failing_since(&scoring, &service, today, last).await?;
                Ok(since.iter().flatten().count())
            }
        })
        .await?,
    );
    Ok(())
}

/// Keeps the card's scores over the whole history, timed once: the
/// milliseconds, and the days of the history.
async fn derive(
    store: &dyn Store,
    card: &crate::scorecards::Scorecard,
    delivery: &Delivery,
    (first, last): (Day, Day),
) -> anyhow::Result<(Percentiles, f64)> {
    let started = std::time::Instant::now();
    let derived = kept::derive(store, card, delivery, last, &mut |_, _| {}).await?;
    let ms = started.elapsed().as_secs_f64() * 1e3;
    match derived {
        Derived::Through(_) => Ok((Percentiles { p50: ms, p99: ms }, (last.0 - first.0 + 1) as f64)),
        other => anyhow::bail!("the scorecard's scores were not kept: {other:?}"),
    }
}
