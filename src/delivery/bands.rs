//! The DORA performance bands, from the 2023 Accelerate State of DevOps
//! Report's cluster table (elite, high, medium, low), as the contiguous
//! thresholds docs/dora.md lists: the report gives each cluster's typical
//! value and leaves gaps and overlaps between them, a measurement needs a
//! cut.

use chrono::Duration;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, async_graphql::Enum)]
pub enum Band {
    Elite,
    High,
    Medium,
    Low,
}

/// Deploys a day (per deploying service, for a team or the organisation):
/// elite at least daily (on demand), high at least weekly, medium at least
/// monthly.
pub fn deployment_frequency(per_day: f64) -> Band {
    if per_day >= 1.0 {
        Band::Elite
    } else if per_day >= 1.0 / 7.0 {
        Band::High
    } else if per_day >= 1.0 / 30.0 {
        Band::Medium
    } else {
        Band::Low
    }
}

/// Elite under a day, high under a week, medium under 30 days.
pub fn lead_time(median: Duration) -> Band {
    by_duration(median, [Duration::days(1), Duration::days(7), Duration::days(30)])
}

/// Elite at most 5 %, high at most 10 %, medium at most 15 %.
pub fn change_failure_rate(rate: f64) -> Band {
    if rate <= 0.05 {
        Band::Elite
    } else if rate <= 0.10 {
        Band::High
    } else if rate <= 0.15 {
        Band::Medium
    } else {
        Band::Low
    }
}

/// Elite under an hour, high under a day, medium under a week.
pub fn time_to_restore(median: Duration) -> Band {
    by_duration(median, [Duration::hours(1), Duration::days(1), Duration::days(7)])
}

fn by_duration(value: Duration, under: [Duration; 3]) -> Band {
    match under.iter().position(|limit| value < *limit) {
        Some(0) => Band::Elite,
        Some(1) => Band::High,
        Some(2) => Band::Medium,
        _ => Band::Low,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_fall_on_the_side_docs_dora_says() {
        assert_eq!(deployment_frequency(1.0), Band::Elite);
        assert_eq!(deployment_frequency(1.0 / 7.0), Band::High);
        assert_eq!(deployment_frequency(0.1), Band::Medium);
        assert_eq!(deployment_frequency(0.01), Band::Low);
        assert_eq!(lead_time(Duration::hours(23)), Band::Elite);
        assert_eq!(lead_time(Duration::days(1)), Band::High);
        assert_eq!(lead_time(Duration::days(30)), Band::Low);
        assert_eq!(change_failure_rate(0.05), Band::Elite);
        assert_eq!(change_failure_rate(0.15), Band::Medium);
        assert_eq!(change_failure_rate(0.16), Band::Low);
        assert_eq!(time_to_restore(Duration::minutes(59)), Band::Elite);
        assert_eq!(time_to_restore(Duration::hours(1)), Band::High);
        assert_eq!(time_to_restore(Duration::days(7)), Band::Low);
    }
}
