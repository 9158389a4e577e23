//! How far ahead of today an observation may be dated. A run dated far in
//! the future would become its scope's latest day, so every real day after
//! it would be refused as older, and the store's latest day, so every read
//! would default to it. Both stores check every ingest (and every recorded
//! failure) against [`IngestConfig`] before writing anything.
//!
//! Deploy events get the same allowance ([`IngestConfig::check_deploy`]):
//! one deploy finishing in 9999 would stretch every estimate and DORA
//! figure that reads it, and one dated in year 1 every window's lookback.

use serde::{Deserialize, Serialize};

use chrono::{DateTime, Utc};
use spot_model::untrusted::quote;

use super::Refusal;
use crate::model::{Day, DeployEvent};

/// The earliest day a deploy (its start, finish or oldest commit) may be
/// dated: 2000-01-01. Older dates are typing mistakes or zeroed clocks
/// (`0001-01-01`), not deploys the orchestrator saw; DORA windows and
/// estimates would reach back to them.
pub const EARLIEST_DEPLOY_DAY: Day = Day(10_957);

/// `[ingest]`: rules every ingest path applies, whatever the store and
/// whoever calls it (`spot ingest`, the `ingest` mutation, collectors, the
/// scheduler, backfill, `spot generate`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct IngestConfig {
    /// How many days after today (UTC) an observation may be dated. One by
    /// default: a source whose day is a timezone ahead of UTC is already on
    /// tomorrow.
    pub max_future_days: u32,
}

impl Default for IngestConfig {
    fn default() -> IngestConfig {
        IngestConfig { max_future_days: 1 }
    }
}

impl IngestConfig {
    /// The last day accepted when it is `today`.
    pub fn last_day(&self, today: Day) -> Day {
        today.plus(i32::try_from(self.max_future_days).unwrap_or(i32::MAX))
    }

    /// Refuses a run of (source, scope) dated after the last day accepted
    /// today (UTC).
    pub fn check_day(&self, source: &str, scope: &str, day: Day) -> Result<(), Refusal> {
        self.check_day_as_of(source, scope, day, Day::today())
    }

    /// [`IngestConfig::check_day`] with a given today.
    pub fn check_day_as_of(&self, source: &str, scope: &str, day: Day, today: Day) -> Result<(), Refusal> {
        if day <= self.last_day(today) {
            return Ok(());
        }
        Err(Refusal::FutureDay {
            collector: source.to_string(),
            scope: scope.to_string(),
            day,
            today,
            max_future_days: self.max_future_days,
        })
    }

    /// Refuses a deploy event with a date (its start, its finish, its
    /// oldest commit) after the last day accepted today (UTC), or before
    /// [`EARLIEST_DEPLOY_DAY`].
    pub fn check_deploy(&self, event: &DeployEvent) -> Result<(), Refusal> {
        self.check_deploy_as_of(event, Day::today())
    }

    /// [`IngestConfig::check_deploy`] with a given today.
    pub fn check_deploy_as_of(&self, event: &DeployEvent, today: Day) -> Result<(), Refusal> {
        let dates = [
            ("at", Some(event.at)),
            ("finishedAt", event.finished_at),
            ("firstCommitAt (the oldest of commits)", event.first_commit_at),
        ];
        for (field, at) in dates {
            let Some(at) = at else { continue };
            if let Some(why) = self.deploy_date_problem(at, today) {
                return Err(Refusal::DeployDate {
                    deploy: format!("{} to {}", quote(&event.service), quote(&event.cluster)),
                    problem: format!("{field} {} is {why}", at.to_rfc3339()),
                });
            }
        }
        Ok(())
    }

    fn deploy_date_problem(&self, at: DateTime<Utc>, today: Day) -> Option<String> {
        let day = Day::from_date(at.date_naive());
        if day > self.last_day(today) {
            return Some(format!(
                "more than {} day(s) after today ({today}, ingest.max_future_days = {})",
                self.max_future_days, self.max_future_days
            ));
        }
        if day < EARLIEST_DEPLOY_DAY {
            return Some(format!("before {EARLIEST_DEPLOY_DAY}, the earliest date a deploy may have"));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> Day {
        text.parse().unwrap()
    }

    #[test]
    fn today_and_the_allowed_days_after_it_are_accepted() {
        let one = IngestConfig::default();
        assert!(one.check_day_as_of("github", "acme", day("2026-12-03"), day("2026-12-03")).is_ok());
        assert!(one.check_day_as_of("github", "acme", day("2026-12-04"), day("2026-12-03")).is_ok());
        assert!(one.check_day_as_of("github", "acme", day("2020-01-01"), day("2026-12-03")).is_ok(), "the past");
        let none = IngestConfig { max_future_days: 0 };
        assert!(none.check_day_as_of("github", "acme", day("2026-12-04"), day("2026-12-03")).is_err());
    }

    #[test]
    fn a_later_day_is_refused_naming_the_day_today_and_the_key() {
        let err = IngestConfig::default()
            .check_day_as_of("pagerduty", "acme", day("9999-12-31"), day("2026-12-03"))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "refusing pagerduty/acme for 9999-12-31: it is more than 1 day(s) ahead (today is 2026-12-03, \
             ingest.max_future_days = 1); a future day would become the scope's latest day and every read's \
             default, and every real day after it would be refused as older"
        );
    }

    fn deploy(at: &str, finished: Option<&str>) -> DeployEvent {
        let time = |text: &str| text.parse::<DateTime<Utc>>().unwrap();
        DeployEvent {
            service: "service:billing".into(),
            cluster: "dc1".into(),
            version: "1.0.0".into(),
            at: time(at),
            finished_at: finished.map(time),
            ..DeployEvent::default()
        }
    }

    #[test]
    fn a_deploy_may_be_dated_from_2000_to_the_allowed_days_after_today() {
        let one = IngestConfig::default();
        let today = day("2026-12-03");
        assert!(one.check_deploy_as_of(&deploy("2000-01-01T00:00:00Z", None), today).is_ok());
        assert!(one.check_deploy_as_of(&deploy("2026-12-04T23:59:59Z", None), today).is_ok());
        let late = one.check_deploy_as_of(&deploy("2026-12-03T10:00:00Z", Some("9999-12-31T00:00:00Z")), today);
        assert_eq!(
            late.unwrap_err().to_string(),
            "refusing the deploy of 'service:billing' to 'dc1': finishedAt 9999-12-31T00:00:00+00:00 is more than \
             1 day(s) after today (2026-12-03, ingest.max_future_days = 1); nothing was written"
        );
        let early = one.check_deploy_as_of(&deploy("1999-12-31T23:59:59Z", None), today).unwrap_err();
        assert!(early.to_string().contains("at 1999-12-31T23:59:59+00:00 is before 2000-01-01"), "{early}");
        let year_one = DeployEvent {
            first_commit_at: Some("0001-01-01T00:00:00Z".parse().unwrap()),
            ..deploy("2026-12-01T10:00:00Z", None)
        };
        let oldest = one.check_deploy_as_of(&year_one, today).unwrap_err();
        assert!(oldest.to_string().contains("firstCommitAt (the oldest of commits) 0001-01-01"), "{oldest}");
    }

    #[test]
    fn a_huge_allowance_does_not_overflow() {
        let huge = IngestConfig { max_future_days: u32::MAX };
        assert!(huge.check_day_as_of("github", "acme", day("9999-12-31"), day("2026-12-03")).is_ok());
    }
}
