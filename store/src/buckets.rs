//! Cutting a range of days into buckets of a day, a week or a month, for
//! trends and delivery figures.

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use crate::model::Day;

#[derive(async_graphql::Enum, Serialize, Copy, Clone, Eq, PartialEq, Debug)]
pub enum Bucket {
    Day,
    /// ISO weeks, Monday to Sunday.
    Week,
    /// Calendar months.
    Month,
}

/// The buckets of `[from, to]`: (first day, last day), the first and the
/// last cut to the range.
pub fn buckets(from: Day, to: Day, bucket: Bucket) -> Vec<(Day, Day)> {
    let mut found = Vec::new();
    let mut start = match bucket {
        Bucket::Day => from,
        Bucket::Week => from.minus(from.date().map_or(0, |d| d.weekday().num_days_from_monday() as i32)),
        Bucket::Month => from.date().and_then(|d| d.with_day(1)).map_or(from, Day::from_date),
    };
    while start <= to {
        let next = match bucket {
            Bucket::Day => start.plus(1),
            Bucket::Week => start.plus(7),
            Bucket::Month => next_month(start),
        };
        found.push((start.max(from), next.minus(1).min(to)));
        start = next;
    }
    found
}

fn next_month(day: Day) -> Day {
    let date = day.date().unwrap_or_default();
    let (year, month) = if date.month() == 12 { (date.year() + 1, 1) } else { (date.year(), date.month() + 1) };
    NaiveDate::from_ymd_opt(year, month, 1).map_or(day.plus(31), Day::from_date)
}
