//! Day numbers: SPoT's unit of time.
//!
//! A day is the number of days since 1970-01-01 UTC. Versions are valid on
//! `[valid_from, valid_to)`; an open version ends at [`Day::OPEN`] rather than
//! NULL, so range filters and indexes work without special cases.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Days since the Unix epoch (UTC). Ordered, copyable, cheap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day(pub i32);

/// The error for a string that is not an ISO `YYYY-MM-DD` date.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{} is not a date: expected YYYY-MM-DD, for example 2024-03-03", crate::untrusted::quote(.input))]
pub struct DayParseError {
    pub input: String,
}

const UNIX_EPOCH_FROM_CE: i32 = 719_163;

impl Day {
    /// The end of an open version: "still valid".
    pub const OPEN: Day = Day(i32::MAX);

    pub fn from_date(date: NaiveDate) -> Day {
        Day(date.num_days_from_ce() - UNIX_EPOCH_FROM_CE)
    }

    /// The calendar date, or `None` for [`Day::OPEN`] and other days outside
    /// chrono's range.
    pub fn date(self) -> Option<NaiveDate> {
        NaiveDate::from_num_days_from_ce_opt(self.0.checked_add(UNIX_EPOCH_FROM_CE)?)
    }

    /// Today in UTC.
    pub fn today() -> Day {
        Day::from_date(chrono::Utc::now().date_naive())
    }

    pub fn is_open(self) -> bool {
        self == Day::OPEN
    }

    pub fn plus(self, days: i32) -> Day {
        Day(self.0.saturating_add(days))
    }

    pub fn minus(self, days: i32) -> Day {
        Day(self.0.saturating_sub(days))
    }

    /// The day (UTC) an instant falls on.
    pub fn of(at: chrono::DateTime<chrono::Utc>) -> Day {
        Day::from_date(at.date_naive())
    }

    /// The day's first instant (midnight UTC).
    pub fn start(self) -> chrono::DateTime<chrono::Utc> {
        chrono::DateTime::from_timestamp(self.0 as i64 * 86_400, 0).unwrap_or_default()
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.date() {
            _ if self.is_open() => f.write_str("open"),
            // Written out rather than through a strftime pattern, which is
            // parsed again on every call: the API prints thousands of days a request.
            Some(date) => write!(f, "{:04}-{:02}-{:02}", date.year(), date.month(), date.day()),
            None => write!(f, "day {}", self.0),
        }
    }
}

impl FromStr for Day {
    type Err = DayParseError;

    fn from_str(input: &str) -> Result<Day, DayParseError> {
        let error = || DayParseError { input: input.to_string() };
        // chrono accepts "2024-3-3"; an API that speaks ISO dates should not.
        let well_formed = input.len() == 10
            && input.bytes().enumerate().all(|(i, b)| match i {
                4 | 7 => b == b'-',
                _ => b.is_ascii_digit(),
            });
        if !well_formed {
            return Err(error());
        }
        NaiveDate::parse_from_str(input, "%Y-%m-%d").map(Day::from_date).map_err(|_| error())
    }
}

impl Serialize for Day {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Day {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Day, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_instant_falls_on_its_utc_day_and_days_floor_before_the_epoch() {
        let at = chrono::DateTime::from_timestamp(86_400 * 3 + 5, 0).unwrap();
        assert_eq!(Day::of(at), Day(3));
        assert_eq!(Day::of(chrono::DateTime::from_timestamp(-1, 0).unwrap()), Day(-1));
    }

    #[test]
    fn the_epoch_is_day_zero() {
        assert_eq!("1970-01-01".parse::<Day>().unwrap(), Day(0));
        assert_eq!(Day(0).to_string(), "1970-01-01");
    }

    #[test]
    fn dates_round_trip_through_day_numbers() {
        let day: Day = "2024-03-03".parse().unwrap();
        assert_eq!(day, Day(19_785));
        assert_eq!(day.to_string(), "2024-03-03");
        assert_eq!(day.plus(1).to_string(), "2024-03-04");
    }

    #[test]
    fn malformed_and_impossible_dates_are_refused_with_the_input_named() {
        for bad in ["2024-3-3", "2024-02-30", "03/03/2024", "", "2024-03-03T00:00"] {
            let err = bad.parse::<Day>().unwrap_err();
            assert!(err.to_string().contains(&format!("'{bad}'")), "{err}");
        }
    }

    #[test]
    fn open_prints_as_open() {
        assert_eq!(Day::OPEN.to_string(), "open");
        assert!(Day::OPEN > "9999-12-31".parse::<Day>().unwrap());
    }
}
