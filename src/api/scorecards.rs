//! Scorecards: standards as code, scored on any day, with their history
//! (docs/scorecards.md).

use async_graphql::{Context, Enum, Object, Result, SimpleObject};

use super::auth::Scope;
use super::context::{api, bad_request, resolve_day, store_error, Api};
use super::reports::trend_buckets;
use super::scalars::{day, Date};
use super::service::{service_key, team_key};
use crate::buckets::Bucket;
use crate::model::Day;
use crate::scorecards::evaluate::{DayScores, RuleOutcome, Subjects};
use crate::scorecards::history::{self, Scoring, Summary};
use crate::scorecards::{explain, Scorecard as Card, ServiceScore as Scored};

/// Days `scoreChanges` looks back when `from` is not given.
const DEFAULT_CHANGE_DAYS: i32 = 30;

fn card<'a>(api: &'a Api, name: &str) -> Result<&'a Card> {
    api.scorecards.get(name).map_err(|e| super::context::coded(e, "NOT_FOUND"))
}

/// Scoring by `card` for the request `ctx` answers, until its deadline.
fn scoring<'a>(ctx: &Context<'_>, api: &'a Api, card: &'a Card) -> Scoring<'a> {
    let deadline = super::context::deadline(ctx).map(|d| d.0);
    Scoring { store: api.store.as_ref(), card, delivery: &api.delivery, cache: &api.score_cache, deadline }
}

/// A scorecard: its levels, lowest first, and its rules.
pub struct Scorecard(Card);

#[Object]
impl Scorecard {
    async fn name(&self) -> &str {
        &self.0.name
    }

    async fn description(&self) -> &str {
        &self.0.description
    }

    /// Lowest first.
    async fn levels(&self) -> &[String] {
        &self.0.levels
    }

    async fn rules(&self) -> Vec<ScoreRule> {
        self.0
            .rules
            .iter()
            .map(|rule| ScoreRule { id: rule.id.clone(), level: rule.level.clone(), explanation: explain::rule(rule) })
            .collect()
    }

    /// The file it was read from.
    async fn file(&self) -> &str {
        &self.0.file
    }
}

#[derive(SimpleObject)]
pub struct ScoreRule {
    pub id: String,
    pub level: String,
    /// What the rule checks, in one generated sentence.
    pub explanation: String,
}

/// One service's score on a day.
#[derive(SimpleObject)]
pub struct ServiceScore {
    /// The service's name.
    pub service: String,
    pub key: String,
    /// The owning team's name.
    pub team: Option<String>,
    pub scorecard: String,
    pub at: Date,
    /// The highest level whose rules, and every lower level's, all pass;
    /// null when a rule of the lowest fails.
    pub level: Option<String>,
    /// The next level up; null at the top.
    pub next_level: Option<String>,
    pub passed: i32,
    pub total: i32,
    /// One per rule, in the scorecard's order.
    pub rules: Vec<RuleResult>,
}

/// What one rule saw.
#[derive(SimpleObject)]
pub struct RuleResult {
    pub rule: String,
    pub level: String,
    pub passed: bool,
    /// What was read, as text; null when there was nothing to read.
    pub value: Option<String>,
    /// What was checked, what was seen, and whether a source's last known
    /// values carried forward.
    pub explanation: String,
    /// For a failing rule: the first day of its current run of failing
    /// days, found day by day back from the day scored, at most 365 days
    /// back; the service's first day when it has failed since then; null
    /// when passing, or failing on every one of those 365 days.
    pub failing_since: Option<Date>,
    /// Carried-forward notes: sources whose run failed that day and whose
    /// last known values this rule read.
    pub carried_forward: Vec<String>,
}

fn rule_result(card: &Card, index: usize, outcome: &RuleOutcome, since: Option<Day>) -> RuleResult {
    let rule = &card.rules[index];
    RuleResult {
        rule: rule.id.clone(),
        level: rule.level.clone(),
        passed: outcome.passed,
        value: outcome.seen.clone(),
        explanation: explain::outcome(rule, outcome),
        failing_since: since.map(Date),
        carried_forward: outcome.carried_forward.clone(),
    }
}

fn service_score(card: &Card, day: Day, scored: &Scored, since: &[Option<Day>]) -> ServiceScore {
    let next = scored.level.map_or(0, |r| r + 1);
    ServiceScore {
        service: scored.name().to_string(),
        key: scored.key.clone(),
        team: scored.team_name(),
        scorecard: card.name.clone(),
        at: Date(day),
        level: card.level_name(scored.level),
        next_level: card.levels.get(next).cloned(),
        passed: scored.passed() as i32,
        total: card.rules.len() as i32,
        rules: scored
            .outcomes
            .iter()
            .enumerate()
            .map(|(i, outcome)| rule_result(card, i, outcome, since.get(i).copied().flatten()))
            .collect(),
    }
}

/// One service's score with "failing since" for each failing rule.
pub async fn score_of(scoring: &Scoring<'_>, key: &str, day: Day) -> Result<Option<ServiceScore>> {
    let card = scoring.card;
    let scores = scoring.day(day, &Subjects::Service(key.to_string())).await.map_err(store_error)?;
    let Some(scored) = scores.services.first() else { return Ok(None) };
    let since = history::failing_since(scoring, key, scored, day).await.map_err(store_error)?;
    Ok(Some(service_score(card, day, scored, &since)))
}

/// `team` as a team's key, checked to exist on `day`.
async fn team_subjects(api: &Api, team: Option<String>, day: Day) -> Result<Subjects> {
    let Some(team) = team else { return Ok(Subjects::All) };
    let key = team_key(api.store.as_ref(), &team, day).await?;
    match api.store.entity(&key, day).await.map_err(store_error)? {
        Some(_) => Ok(Subjects::Team(key)),
        None => Err(super::context::coded(format!("no team {key} on {day}"), "NOT_FOUND")),
    }
}

/// Best first: the highest level, then the most rules passed, then by name.
fn ranked(card: &Card, scores: &DayScores) -> Vec<ServiceScore> {
    let mut sorted: Vec<&Scored> = scores.services.iter().collect();
    sorted.sort_by(|a, b| {
        let rank = |s: &Scored| s.level.map_or(-1, |l| l as i64);
        rank(b).cmp(&rank(a)).then(b.passed().cmp(&a.passed())).then(a.key.cmp(&b.key))
    });
    sorted.into_iter().map(|s| service_score(card, scores.day, s, &[])).collect()
}

/// One point of a score trend, read as of its bucket's last day.
#[derive(SimpleObject)]
pub struct ScorePoint {
    /// The first day of the bucket.
    pub bucket: Date,
    /// The day scored: the bucket's last day (or `to`).
    pub measured_on: Date,
    pub services: i32,
    /// Services per level: first those below the lowest (`level` null),
    /// then each level, lowest first.
    pub levels: Vec<LevelCount>,
    /// Each rule's passing share, in the scorecard's order.
    pub rules: Vec<RuleShare>,
}

#[derive(SimpleObject)]
pub struct LevelCount {
    pub level: Option<String>,
    pub services: i32,
}

#[derive(SimpleObject)]
pub struct RuleShare {
    pub rule: String,
    pub level: String,
    pub passing: i32,
    pub failing: i32,
    /// `passing / (passing + failing)`; 0 without services.
    pub share: f64,
}

fn point(card: &Card, bucket: Day, measured_on: Day, summary: &Summary) -> ScorePoint {
    let mut levels = vec![LevelCount { level: None, services: summary.below as i32 }];
    levels.extend(
        card.levels
            .iter()
            .zip(&summary.levels)
            .map(|(l, n)| LevelCount { level: Some(l.clone()), services: *n as i32 }),
    );
    let rules = card
        .rules
        .iter()
        .zip(&summary.passing)
        .map(|(rule, &passing)| RuleShare {
            rule: rule.id.clone(),
            level: rule.level.clone(),
            passing: passing as i32,
            failing: (summary.services - passing) as i32,
            share: if summary.services == 0 { 0.0 } else { passing as f64 / summary.services as f64 },
        })
        .collect();
    ScorePoint {
        bucket: Date(bucket),
        measured_on: Date(measured_on),
        services: summary.services as i32,
        levels,
        rules,
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum ScoreDirection {
    Rose,
    Fell,
}

/// A service whose level moved between two days.
#[derive(SimpleObject)]
pub struct ScoreChange {
    pub service: String,
    pub key: String,
    pub team: Option<String>,
    pub from_level: Option<String>,
    pub to_level: Option<String>,
    pub direction: ScoreDirection,
    /// The rules whose outcome changed between the two days.
    pub rules: Vec<RuleMove>,
}

#[derive(SimpleObject)]
pub struct RuleMove {
    pub rule: String,
    pub level: String,
    pub passed_before: bool,
    pub passed_after: bool,
    /// As of the later day.
    pub explanation: String,
}

#[derive(Default)]
pub struct ScorecardQuery;

#[Object]
impl ScorecardQuery {
    /// Every scorecard this server scores by (`[scorecards] paths`).
    async fn scorecards(&self, ctx: &Context<'_>) -> Result<Vec<Scorecard>> {
        Ok(api(ctx, Scope::Read)?.scorecards.all.iter().cloned().map(Scorecard).collect())
    }

    /// One service's score on `at` (default: the latest day), each failing
    /// rule with what it saw and since when it fails.
    async fn score(
        &self,
        ctx: &Context<'_>,
        service: String,
        scorecard: String,
        at: Option<Date>,
    ) -> Result<ServiceScore> {
        let api = api(ctx, Scope::Read)?;
        let card = card(api, &scorecard)?;
        let day = resolve_day(ctx, day(at)).await?;
        let key = service_key(&service);
        score_of(&scoring(ctx, api, card), &key, day)
            .await?
            .ok_or_else(|| super::context::coded(format!("no service {key} on {day}"), "NOT_FOUND"))
    }

    /// Every service's score on `at` (one team's when `team` is given),
    /// best first.
    async fn scores(
        &self,
        ctx: &Context<'_>,
        scorecard: String,
        team: Option<String>,
        at: Option<Date>,
    ) -> Result<Vec<ServiceScore>> {
        let api = api(ctx, Scope::Read)?;
        let card = card(api, &scorecard)?;
        let day = resolve_day(ctx, day(at)).await?;
        let subjects = team_subjects(api, team, day).await?;
        let scores = scoring(ctx, api, card).day(day, &subjects).await.map_err(store_error)?;
        Ok(ranked(card, &scores))
    }

    /// Levels and each rule's passing share over `[from, to]` (`to`
    /// defaults to the latest day) for one service, one team or the
    /// organisation (neither given), one point per bucket.
    #[graphql(complexity = "50 * child_complexity")]
    #[allow(clippy::too_many_arguments)]
    async fn score_trend(
        &self,
        ctx: &Context<'_>,
        scorecard: String,
        service: Option<String>,
        team: Option<String>,
        from: Date,
        to: Option<Date>,
        #[graphql(default_with = "Bucket::Week")] bucket: Bucket,
    ) -> Result<Vec<ScorePoint>> {
        let api = api(ctx, Scope::Read)?;
        let card = card(api, &scorecard)?;
        let spans = trend_buckets(ctx, from, to, bucket).await?;
        let last = spans.last().map_or(from.0, |(_, end)| *end);
        let subjects = match (service, team) {
            (Some(_), Some(_)) => {
                return Err(bad_request("give a service or a team, not both (neither: the organisation)"))
            }
            (Some(service), None) => Subjects::Service(service_key(&service)),
            (None, team) => team_subjects(api, team, last).await?,
        };
        let points = history::trend(&scoring(ctx, api, card), &subjects, &spans).await.map_err(store_error)?;
        Ok(points.iter().map(|p| point(card, p.bucket, p.measured_on, &p.summary)).collect())
    }

    /// Services whose level rose or fell between `from` (default: 30 days
    /// before `to`) and `to` (default: the latest day), fallen first, each
    /// with the rules that moved it.
    async fn score_changes(
        &self,
        ctx: &Context<'_>,
        scorecard: String,
        from: Option<Date>,
        to: Option<Date>,
        team: Option<String>,
    ) -> Result<Vec<ScoreChange>> {
        let api = api(ctx, Scope::Read)?;
        let card = card(api, &scorecard)?;
        let to = resolve_day(ctx, day(to)).await?;
        let from = day(from).unwrap_or(to.minus(DEFAULT_CHANGE_DAYS));
        crate::store::check_range(from, to).map_err(store_error)?;
        let subjects = team_subjects(api, team, to).await?;
        let found = history::changes(&scoring(ctx, api, card), &subjects, from, to).await.map_err(store_error)?;
        Ok(found.iter().map(|change| score_change(card, change)).collect())
    }
}

fn score_change(card: &Card, change: &history::Change) -> ScoreChange {
    let after = &change.after;
    ScoreChange {
        service: after.name().to_string(),
        key: after.key.clone(),
        team: after.team_name(),
        from_level: card.level_name(change.before.level),
        to_level: card.level_name(after.level),
        direction: if change.rose() { ScoreDirection::Rose } else { ScoreDirection::Fell },
        rules: change
            .moved
            .iter()
            .map(|&i| RuleMove {
                rule: card.rules[i].id.clone(),
                level: card.rules[i].level.clone(),
                passed_before: change.before.outcomes[i].passed,
                passed_after: after.outcomes[i].passed,
                explanation: explain::outcome(&card.rules[i], &after.outcomes[i]),
            })
            .collect(),
    }
}

/// The scores a service page shows: every scorecard, as of the page's day.
pub async fn service_scores(ctx: &Context<'_>, key: &str, day: Day) -> Result<Vec<ServiceScore>> {
    let api = api(ctx, Scope::Read)?;
    let mut found = Vec::new();
    for card in &api.scorecards.all {
        if let Some(score) = score_of(&scoring(ctx, api, card), key, day).await? {
            found.push(score);
        }
    }
    Ok(found)
}
