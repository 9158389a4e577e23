//! `[collectors.<name>.schedule]`: when `spot serve` runs a collector, and
//! how patient it is with a run. Only data here; `spot`'s scheduler parses
//! the cron expression and the timezone, and names the key when either is
//! wrong.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Schedule {
    /// `false` keeps the collector for `spot collect` only.
    pub enabled: bool,
    /// Standard 5-field cron (`minute hour day-of-month month day-of-week`),
    /// or 6 fields with seconds first. Default: daily at 02:00.
    pub cron: String,
    /// IANA timezone the cron expression is read in, e.g. `Europe/Berlin`.
    /// The snapshot's day is the date in this timezone when the run fires.
    pub timezone: String,
    /// Each firing is delayed by a random 0..jitter_s seconds, so that many
    /// collectors on one schedule do not start at the same instant.
    pub jitter_s: u64,
    /// A run still observing after this long is abandoned and recorded as
    /// failed; the others are not delayed.
    pub timeout_s: u64,
    /// A failed run is tried again this many times, the same day.
    pub retries: u32,
    /// Wait before the first retry; doubles for each further one.
    pub retry_backoff_s: u64,
}

impl Default for Schedule {
    fn default() -> Schedule {
        Schedule {
            enabled: true,
            cron: "0 2 * * *".into(),
            timezone: "UTC".into(),
            jitter_s: 0,
            timeout_s: 3600,
            retries: 2,
            retry_backoff_s: 300,
        }
    }
}
