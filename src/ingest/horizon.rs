//! How far ahead of today an observation may be dated. A run dated far in
//! the future would become its scope's latest day, so every real day after
//! it would be refused as older, and the store's latest day, so every read
//! would default to it. Both stores check every ingest (and every recorded
//! failure) against [`IngestConfig`] before writing anything.

use serde::{Deserialize, Serialize};

use super::Refusal;
use crate::model::Day;

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

    #[test]
    fn a_huge_allowance_does_not_overflow() {
        let huge = IngestConfig { max_future_days: u32::MAX };
        assert!(huge.check_day_as_of("github", "acme", day("9999-12-31"), day("2026-12-03")).is_ok());
    }
}
