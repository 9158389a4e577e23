//! When a job fires: a cron expression read in a timezone.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use collectors::schedule::Schedule;
use collectors::untrusted::quote;
use collectors::Day;

#[derive(Debug, Clone)]
pub struct Timing {
    cron: cron::Schedule,
    timezone: Tz,
}

impl Timing {
    /// Parses a collector's schedule; errors name the key at fault, e.g.
    /// `collectors.consul.schedule.cron: '0 2 * *' ...`.
    pub fn parse(collector: &str, schedule: &Schedule) -> Result<Timing, String> {
        Timing::check(collector, schedule).map_err(|problems| problems.join("; "))
    }

    /// Parses a collector's schedule, or names every problem in it: a bad
    /// timezone does not hide a bad cron expression.
    pub fn check(collector: &str, schedule: &Schedule) -> Result<Timing, Vec<String>> {
        let key = |field: &str| format!("collectors.{collector}.schedule.{field}");
        let timezone = Tz::from_str(&schedule.timezone).map_err(|_| {
            format!(
                "{}: {} is not an IANA timezone (e.g. UTC, Europe/Berlin)",
                key("timezone"),
                quote(&schedule.timezone)
            )
        });
        let cron = cron_schedule(&schedule.cron).map_err(|problem| format!("{}: {problem}", key("cron")));
        match (timezone, cron) {
            (Ok(timezone), Ok(cron)) if cron.upcoming(timezone).next().is_none() => {
                Err(vec![format!("{}: {} never fires", key("cron"), quote(&schedule.cron))])
            }
            (Ok(timezone), Ok(cron)) => Ok(Timing { cron, timezone }),
            (timezone, cron) => Err(timezone.err().into_iter().chain(cron.err()).collect()),
        }
    }

    /// The first firing strictly after `after`.
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.cron.after(&after.with_timezone(&self.timezone)).next().map(|t| t.with_timezone(&Utc))
    }

    /// The snapshot day of an instant: its date in the schedule's timezone.
    pub fn day_of(&self, instant: DateTime<Utc>) -> Day {
        Day::from_date(instant.with_timezone(&self.timezone).date_naive())
    }
}

fn cron_schedule(expression: &str) -> Result<cron::Schedule, String> {
    let quartz = quartz_form(expression)?;
    cron::Schedule::from_str(&quartz).map_err(|e| {
        // The cron crate draws the expression with a caret under the fault,
        // over several lines; its last line says what is wrong.
        let message = e.to_string();
        let reason = message.lines().map(str::trim).rfind(|l| !l.is_empty()).unwrap_or_default().to_string();
        format!("{} is not a cron expression: {reason}", quote(expression))
    })
}

/// The `cron` crate reads Quartz-style expressions: seconds first, and days
/// of the week numbered 1 (Sunday) to 7. Standard 5-field cron has no
/// seconds and numbers days 0 (Sunday) to 6, with 7 also Sunday; numbers
/// are turned into names so that `1-5` still means Monday to Friday.
fn quartz_form(expression: &str) -> Result<String, String> {
    let fields: Vec<&str> = expression.split_whitespace().collect();
    match fields.len() {
        5 => {
            let weekday = standard_weekdays(fields[4])?;
            Ok(format!("0 {} {} {} {} {weekday}", fields[0], fields[1], fields[2], fields[3]))
        }
        6 | 7 => Ok(expression.to_string()),
        n => Err(format!(
            "{} has {n} fields: use 5 (minute hour day-of-month month day-of-week), or 6 with seconds first",
            quote(expression)
        )),
    }
}

fn standard_weekdays(field: &str) -> Result<String, String> {
    const NAMES: [&str; 8] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    let name = |n: &str| -> Result<String, String> {
        match n.parse::<usize>() {
            Ok(i) if i < NAMES.len() => Ok(NAMES[i].to_string()),
            Ok(i) => Err(format!("day of week {i} is out of range: use 0 to 7 (0 and 7 are Sunday)")),
            Err(_) => Ok(n.to_string()), // a name, `*` or `?`
        }
    };
    let mut items = Vec::new();
    for item in field.split(',') {
        let (range, step) = match item.split_once('/') {
            Some((range, step)) => (range, Some(step)),
            None => (item, None),
        };
        let range = match range.split_once('-') {
            Some((_, "7")) => {
                return Err(format!("{}: end a day-of-week range at 6 (Saturday); use 0 for Sunday", quote(field)))
            }
            Some((a, b)) => format!("{}-{}", name(a)?, name(b)?),
            None => name(range)?,
        };
        items.push(match step {
            Some(step) => format!("{range}/{step}"),
            None => range,
        });
    }
    Ok(items.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timing(cron: &str, timezone: &str) -> Result<Timing, String> {
        Timing::parse("consul", &Schedule { cron: cron.into(), timezone: timezone.into(), ..Schedule::default() })
    }

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn the_default_fires_daily_at_two_utc() {
        let t = Timing::parse("consul", &Schedule::default()).unwrap();
        assert_eq!(t.next_after(at("2026-11-26T01:59:59Z")), Some(at("2026-11-26T02:00:00Z")));
        assert_eq!(t.next_after(at("2026-11-26T02:00:00Z")), Some(at("2026-11-27T02:00:00Z")));
    }

    #[test]
    fn a_timezone_moves_the_firing_and_the_day() {
        let t = timing("30 1 * * *", "Europe/Berlin").unwrap();
        // 01:30 in Berlin (UTC+1 in November) is 00:30 UTC.
        let fired = t.next_after(at("2026-11-26T00:00:00Z")).unwrap();
        assert_eq!(fired, at("2026-11-26T00:30:00Z"));
        assert_eq!(t.day_of(at("2026-11-25T23:30:00Z")).to_string(), "2026-11-26");
    }

    #[test]
    fn weekdays_are_numbered_as_in_standard_cron() {
        let weekdays = timing("0 6 * * 1-5", "UTC").unwrap();
        // 2026-11-28 is a Saturday: the next firing is Monday the 30th.
        assert_eq!(weekdays.next_after(at("2026-11-27T07:00:00Z")), Some(at("2026-11-30T06:00:00Z")));
        let sunday = timing("0 6 * * 0", "UTC").unwrap();
        assert_eq!(sunday.next_after(at("2026-11-26T00:00:00Z")), Some(at("2026-11-29T06:00:00Z")));
        let seconds = timing("15 0 6 * * *", "UTC").unwrap();
        assert_eq!(seconds.next_after(at("2026-11-26T00:00:00Z")), Some(at("2026-11-26T06:00:15Z")));
    }

    #[test]
    fn bad_expressions_and_timezones_name_their_key() {
        let err = timing("0 2 * *", "UTC").unwrap_err();
        assert!(err.starts_with("collectors.consul.schedule.cron: '0 2 * *' has 4 fields"), "{err}");
        let err = timing("0 25 * * *", "UTC").unwrap_err();
        assert!(err.starts_with("collectors.consul.schedule.cron: '0 25 * * *' is not a cron expression"), "{err}");
        assert!(err.ends_with("('25' specified.)") && !err.contains('\n'), "one line, saying what is wrong: {err}");
        let err = timing("0 2 * * *", "Mars/Olympus").unwrap_err();
        assert_eq!(
            err,
            "collectors.consul.schedule.timezone: 'Mars/Olympus' is not an IANA timezone (e.g. UTC, Europe/Berlin)"
        );
        let err = timing("0 2 * * 5-7", "UTC").unwrap_err();
        assert!(err.contains("end a day-of-week range at 6"), "{err}");
    }

    #[test]
    fn config_check_reports_a_bad_cron_behind_a_bad_timezone() {
        let schedule = Schedule { cron: "61 * * * *".into(), timezone: "Mars/Olympus".into(), ..Schedule::default() };
        let problems = Timing::check("consul", &schedule).unwrap_err();
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].starts_with("collectors.consul.schedule.timezone: 'Mars/Olympus'"), "{problems:?}");
        assert!(problems[1].starts_with("collectors.consul.schedule.cron: '61 * * * *'"), "{problems:?}");
    }
}
