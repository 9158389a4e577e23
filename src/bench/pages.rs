//! The explorer's delivery and scorecards pages as `spot bench api` sends
//! them: the GraphQL documents of explorer/pages/delivery.js and
//! explorer/pages/scorecards.js, with the variables those pages pass when
//! opened for the organisation on a day (random here, as users pick them).
//! Keep the documents in step with the pages' text.

use std::sync::Arc;

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde_json::json;

use super::api::MakeBody;
use crate::model::Day;

/// The fields of DoraFigures every view of the metrics reads (delivery.js).
macro_rules! dora_figures {
    () => {
        "deploys changes failedChanges rollbacks deployingServices days deploysPerDay changeFailureRate
  leadTimeSeconds leadTimeSamples timeToRestoreSeconds restored unrestored
  bands { deploymentFrequency leadTime changeFailureRate timeToRestore }"
    };
}

const DORA: &str = concat!(
    "query Delivery($team: String, $from: Date!, $to: Date!, $bucket: Bucket!) {
  dora(team: $team, from: $from, to: $to, bucket: $bucket) {
    subject environment fixForwardMinutes
    overall { ",
    dora_figures!(),
    " }
    buckets { start end figures { ",
    dora_figures!(),
    " } }
    worstServices { service figures { ",
    dora_figures!(),
    " } }
  }
}"
);

const FAILED_DEPLOYS: &str = "query FailedDeploys($team: String, $from: Date!, $to: Date!, $first: Int!) {
      deploys(team: $team, failedChanges: true, from: $from, to: $to, first: $first) { totalCount edges { node {
  service cluster version at finishedAt status rollback reason fixedForwardBy timeToRestoreSeconds link links { kind title url }
} } }
    }";

const SCORES: &str = "query Scores($scorecard: String!, $team: String, $at: Date) {
  scores(scorecard: $scorecard, team: $team, at: $at) { service key team level nextLevel passed total }
}";

const TREND: &str = "query ScoreTrend($scorecard: String!, $team: String, $from: Date!, $to: Date) {
  scoreTrend(scorecard: $scorecard, team: $team, from: $from, to: $to, bucket: WEEK) {
    bucket measuredOn services levels { level services } rules { rule level passing failing share }
  }
}";

const CHANGES: &str = "query ScoreChanges($scorecard: String!, $team: String, $from: Date!, $to: Date) {
  scoreChanges(scorecard: $scorecard, team: $team, from: $from, to: $to) {
    service key team fromLevel toLevel direction rules { rule level passedBefore passedAfter explanation }
  }
}";

/// The scorecard the server is given (the built-in one, the demo's).
const SCORECARD: &str = "production-readiness";
/// The pages' spans: delivery.js `DAYS` and `LISTED`, scorecards.js
/// `TREND_DAYS` and `CHANGE_DAYS`.
const DELIVERY_DAYS: i32 = 90;
const LISTED: usize = 100;
const TREND_DAYS: i32 = 365;
const CHANGE_DAYS: i32 = 30;

/// Each page query's name and body maker, the day drawn from `[first, last]`.
pub fn bodies(first: Day, last: Day) -> Vec<(&'static str, MakeBody)> {
    let day = move |rng: &mut ChaCha8Rng| Day(rng.random_range(first.0..=last.0));
    let before = |day: Day, days: i32| day.minus(days).to_string();
    let bodies: [(&'static str, MakeBody); 5] = [
        (
            "delivery_dora",
            Arc::new(move |rng: &mut ChaCha8Rng| {
                let to = day(rng);
                let variables = json!({ "team": null, "from": before(to, DELIVERY_DAYS - 1), "to": to.to_string(), "bucket": "WEEK" });
                json!({ "query": DORA, "variables": variables })
            }),
        ),
        (
            "delivery_failed_deploys",
            Arc::new(move |rng: &mut ChaCha8Rng| {
                let to = day(rng);
                let variables = json!({ "team": null, "from": before(to, DELIVERY_DAYS - 1), "to": to.to_string(), "first": LISTED });
                json!({ "query": FAILED_DEPLOYS, "variables": variables })
            }),
        ),
        (
            "scorecards_scores",
            Arc::new(move |rng: &mut ChaCha8Rng| {
                let variables = json!({ "scorecard": SCORECARD, "team": null, "at": day(rng).to_string() });
                json!({ "query": SCORES, "variables": variables })
            }),
        ),
        (
            "scorecards_trend",
            Arc::new(move |rng: &mut ChaCha8Rng| {
                let to = day(rng);
                let variables = json!({ "scorecard": SCORECARD, "team": null, "from": before(to, TREND_DAYS - 1), "to": to.to_string() });
                json!({ "query": TREND, "variables": variables })
            }),
        ),
        (
            "scorecards_changes",
            Arc::new(move |rng: &mut ChaCha8Rng| {
                let to = day(rng);
                let variables = json!({ "scorecard": SCORECARD, "team": null, "from": before(to, CHANGE_DAYS), "to": to.to_string() });
                json!({ "query": CHANGES, "variables": variables })
            }),
        ),
    ];
    bodies.into()
}
