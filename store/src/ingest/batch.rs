//! Checks on a batch of observations (`spot ingest a.json b.json`) made
//! before any of it is written, so that a batch refused by a rule of the
//! ingest contract writes nothing on any store.

use rustc_hash::FxHashMap;
use spot_model::Observation;

use super::IngestConfig;
use super::{Refusal, RefusedAt};
use crate::model::Day;

/// Every observation on its own: valid, and dated within the future-day
/// allowance.
pub fn check_each(observations: &[Observation], ingest: &IngestConfig) -> Result<(), RefusedAt> {
    for (index, obs) in observations.iter().enumerate() {
        obs.validate().map_err(|problems| RefusedAt { index, refusal: Refusal::Invalid(problems) })?;
        ingest.check_day(&obs.source, &obs.scope, obs.day).map_err(|refusal| RefusedAt { index, refusal })?;
    }
    Ok(())
}

/// The distinct (source, scope) pairs of a batch, in first-seen order.
pub fn scopes(observations: &[Observation]) -> Vec<(String, String)> {
    let mut seen = Vec::new();
    for obs in observations {
        let pair = (obs.source.clone(), obs.scope.clone());
        if !seen.contains(&pair) {
            seen.push(pair);
        }
    }
    seen
}

/// Rule 4 over the whole batch: each observation's day is no older than
/// its scope's latest committed day, counting the observations before it
/// in the batch. `latest` holds the store's latest committed day of each
/// scope that has one.
pub fn check_order(
    observations: &[Observation],
    mut latest: FxHashMap<(String, String), Day>,
) -> Result<(), RefusedAt> {
    for (index, obs) in observations.iter().enumerate() {
        let key = (obs.source.clone(), obs.scope.clone());
        if let Some(&before) = latest.get(&key) {
            if obs.day < before {
                let refusal = Refusal::OlderDay {
                    collector: obs.source.clone(),
                    scope: obs.scope.clone(),
                    day: obs.day,
                    latest: before,
                };
                return Err(RefusedAt { index, refusal });
            }
        }
        latest.insert(key, obs.day);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obs(scope: &str, day: i32) -> Observation {
        Observation::new("pagerduty", scope, Day(day))
    }

    #[test]
    fn a_day_older_than_an_earlier_observation_of_the_batch_is_refused() {
        let batch = [obs("acme", 10), obs("other", 3), obs("acme", 9)];
        let err = check_order(&batch, FxHashMap::default()).unwrap_err();
        assert_eq!(err.index, 2);
        assert!(matches!(err.refusal, Refusal::OlderDay { latest: Day(10), .. }), "{err}");
    }

    #[test]
    fn a_day_older_than_the_store_s_latest_is_refused_and_equal_days_are_reruns() {
        let latest = FxHashMap::from_iter([(("pagerduty".to_string(), "acme".to_string()), Day(10))]);
        assert!(check_order(&[obs("acme", 10), obs("acme", 10), obs("acme", 11)], latest.clone()).is_ok());
        let err = check_order(&[obs("other", 1), obs("acme", 9)], latest).unwrap_err();
        assert_eq!(err.index, 1);
    }

    #[test]
    fn an_empty_scope_accepts_any_first_day() {
        assert!(check_order(&[obs("acme", 1), obs("acme", 2)], FxHashMap::default()).is_ok());
    }

    #[test]
    fn scopes_are_listed_once_in_order() {
        let batch = [obs("b", 1), obs("a", 1), obs("b", 2)];
        let names: Vec<String> = scopes(&batch).into_iter().map(|(_, scope)| scope).collect();
        assert_eq!(names, ["b", "a"]);
    }
}
