//! One rule of a scorecard: what it reads about a service on a day and how
//! it judges it. The vocabulary is small on purpose (docs/scorecards.md):
//! an attribute of the service or of what a path of relations reaches,
//! compared with a value, aggregated over what the path reaches; or a
//! named built-in where a path cannot say it.

use serde_json::Value;

use crate::model::EdgeRule;

/// A checked rule, ready to evaluate.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Unique within its scorecard, e.g. `has-owner`.
    pub id: String,
    /// The level it belongs to (one of the scorecard's levels).
    pub level: String,
    pub reads: Reads,
    pub op: Operator,
    /// What the reading is compared with (`None` for `exists`).
    pub value: Option<Value>,
    /// `matches`: the value, compiled once when the scorecard is loaded.
    pub pattern: Option<regex::Regex>,
}

impl Rule {
    /// Whether one reading passes the rule's comparison.
    pub fn passes(&self, seen: Option<&Value>) -> bool {
        compare(seen, self.op, self.value.as_ref(), self.pattern.as_ref())
    }
}

/// What a rule reads about a service.
#[derive(Debug, Clone, PartialEq)]
pub enum Reads {
    /// An attribute of the service itself.
    Attribute(String),
    /// What a path of relations reaches from the service, aggregated.
    Path { path: Vec<EdgeRule>, aggregate: Aggregate, attribute: Option<String> },
    /// A named built-in figure.
    Builtin(Builtin),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    Exists,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    Matches,
}

impl Operator {
    pub const ALL: [(&'static str, Operator); 9] = [
        ("exists", Operator::Exists),
        ("=", Operator::Eq),
        ("!=", Operator::Ne),
        ("<", Operator::Lt),
        ("<=", Operator::Le),
        (">", Operator::Gt),
        (">=", Operator::Ge),
        ("in", Operator::In),
        ("matches", Operator::Matches),
    ];

    pub fn parse(text: &str) -> Option<Operator> {
        Operator::ALL.iter().find(|(name, _)| *name == text).map(|(_, op)| *op)
    }

    /// How the operator reads in a sentence: "at least", "one of", ….
    pub fn words(self) -> &'static str {
        match self {
            Operator::Exists => "set",
            Operator::Eq => "",
            Operator::Ne => "not",
            Operator::Lt => "less than",
            Operator::Le => "at most",
            Operator::Gt => "more than",
            Operator::Ge => "at least",
            Operator::In => "one of",
            Operator::Matches => "matching",
        }
    }

    pub fn is_ordering(self) -> bool {
        matches!(self, Operator::Lt | Operator::Le | Operator::Gt | Operator::Ge)
    }
}

/// How the entities a path reaches are summed up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aggregate {
    /// How many entities the path reaches, compared with the value.
    Count,
    /// Every reached entity's attribute passes (true when nothing is reached).
    All,
    /// At least one reached entity's attribute passes.
    Any,
    /// No reached entity's attribute passes.
    None,
    /// The smallest of the reached entities' numeric attribute, compared.
    Min,
    /// The largest of the reached entities' numeric attribute, compared.
    Max,
}

impl Aggregate {
    pub const ALL: [(&'static str, Aggregate); 6] = [
        ("count", Aggregate::Count),
        ("all", Aggregate::All),
        ("any", Aggregate::Any),
        ("none", Aggregate::None),
        ("min", Aggregate::Min),
        ("max", Aggregate::Max),
    ];

    pub fn parse(text: &str) -> Option<Aggregate> {
        Aggregate::ALL.iter().find(|(name, _)| *name == text).map(|(_, a)| *a)
    }

    pub fn name(self) -> &'static str {
        Aggregate::ALL.iter().find(|(_, a)| *a == self).map_or("", |(name, _)| name)
    }
}

/// Figures a path cannot say. Each is a number of the service on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Builtin {
    /// Distinct versions its workloads run across clusters that day.
    VersionsRunning,
    /// Distinct datacenters its workloads run in: each cluster's
    /// `datacenter`, else its `region`, else the cluster itself.
    Datacenters,
    /// Days since the most recently updated doc that documents it changed.
    DocAgeDays,
    /// The most major versions any package it (or its repository) uses is
    /// behind that package's latest.
    MajorsBehind,
    /// DORA over the 30 days up to the day, every cluster: deploys a week.
    DeploysPerWeek,
    /// DORA over the 30 days up to the day: failed changes / changes.
    ChangeFailureRate,
    /// DORA over the 30 days: median lead time for changes, in hours.
    LeadTimeHours,
    /// DORA over the 30 days: median time to restore, in hours.
    TimeToRestoreHours,
}

impl Builtin {
    pub const ALL: [(&'static str, Builtin); 8] = [
        ("versions_running", Builtin::VersionsRunning),
        ("datacenters", Builtin::Datacenters),
        ("doc_age_days", Builtin::DocAgeDays),
        ("majors_behind", Builtin::MajorsBehind),
        ("deploys_per_week", Builtin::DeploysPerWeek),
        ("change_failure_rate", Builtin::ChangeFailureRate),
        ("lead_time_hours", Builtin::LeadTimeHours),
        ("time_to_restore_hours", Builtin::TimeToRestoreHours),
    ];

    pub fn parse(text: &str) -> Option<Builtin> {
        Builtin::ALL.iter().find(|(name, _)| *name == text).map(|(_, b)| *b)
    }

    /// The figure, as a sentence names it.
    pub fn words(self) -> &'static str {
        match self {
            Builtin::VersionsRunning => "the number of versions it runs across clusters",
            Builtin::Datacenters => "the number of datacenters it runs in",
            Builtin::DocAgeDays => "the days since its newest doc changed",
            Builtin::MajorsBehind => "the most major versions a package it uses is behind",
            Builtin::DeploysPerWeek => "its deploys a week over the last 30 days",
            Builtin::ChangeFailureRate => "its change failure rate over the last 30 days",
            Builtin::LeadTimeHours => "its median lead time in hours over the last 30 days",
            Builtin::TimeToRestoreHours => "its median time to restore in hours over the last 30 days",
        }
    }

    pub fn is_dora(self) -> bool {
        matches!(
            self,
            Builtin::DeploysPerWeek | Builtin::ChangeFailureRate | Builtin::LeadTimeHours | Builtin::TimeToRestoreHours
        )
    }
}

/// Whether `seen` passes `op value`. Numbers compare as numbers, strings
/// as text; an ordering between a number and a string, or a missing value,
/// fails (only `exists` asks about presence).
pub fn compare(seen: Option<&Value>, op: Operator, value: Option<&Value>, pattern: Option<&regex::Regex>) -> bool {
    let Some(seen) = seen.filter(|v| !v.is_null()) else { return false };
    let Some(value) = value else { return op == Operator::Exists };
    match op {
        Operator::Exists => true,
        Operator::Eq => equal(seen, value),
        Operator::Ne => !equal(seen, value),
        Operator::In => value.as_array().is_some_and(|items| items.iter().any(|item| equal(seen, item))),
        Operator::Matches => match (seen.as_str(), pattern) {
            (Some(text), Some(pattern)) => pattern.is_match(text),
            _ => false,
        },
        ordering => match order(seen, value) {
            Some(o) => match ordering {
                Operator::Lt => o.is_lt(),
                Operator::Le => o.is_le(),
                Operator::Gt => o.is_gt(),
                _ => o.is_ge(),
            },
            None => false,
        },
    }
}

fn equal(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

fn order(a: &Value, b: &Value) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64()?.partial_cmp(&y.as_f64()?),
        (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

/// A value as a sentence shows it: strings quoted, lists joined.
pub fn shown(value: &Value) -> String {
    match value {
        Value::String(text) => format!("\"{text}\""),
        Value::Array(items) => items.iter().map(shown).collect::<Vec<_>>().join(", "),
        // Whole numbers without ".0", others to three decimals.
        Value::Number(n) => match (n.is_f64(), n.as_f64()) {
            (true, Some(f)) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
            (true, Some(f)) => format!("{}", (f * 1000.0).round() / 1000.0),
            _ => n.to_string(),
        },
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn passes(seen: Value, op: &str, value: Value) -> bool {
        let pattern = value.as_str().and_then(|p| regex::Regex::new(p).ok());
        compare(Some(&seen), Operator::parse(op).unwrap(), Some(&value), pattern.as_ref())
    }

    #[test]
    fn numbers_compare_as_numbers_whatever_their_json_type() {
        assert!(passes(json!(60), ">=", json!(60.0)));
        assert!(passes(json!(59.9), "<", json!(60)));
        assert!(passes(json!(3), "=", json!(3.0)));
        assert!(passes(json!(3), "!=", json!(4)));
        assert!(!passes(json!(61), "<=", json!(60)));
        assert!(passes(json!(61), ">", json!(60)));
    }

    #[test]
    fn a_string_never_orders_against_a_number() {
        assert!(!passes(json!("70"), ">=", json!(60)));
        assert!(!passes(json!("70"), "<", json!(60)));
    }

    #[test]
    fn in_and_matches_read_lists_and_patterns() {
        assert!(passes(json!(2), "in", json!([1, 2, 3])));
        assert!(!passes(json!("beta"), "in", json!(["production"])));
        assert!(passes(json!("Runbook: billing"), "matches", json!("(?i)^runbook")));
        assert!(!passes(json!(1), "matches", json!("1")));
    }

    #[test]
    fn a_missing_value_fails_every_operator_and_exists_asks_only_for_presence() {
        for (_, op) in Operator::ALL {
            assert!(!compare(None, op, Some(&json!(1)), None));
            assert!(!compare(Some(&Value::Null), op, Some(&json!(1)), None));
        }
        assert!(compare(Some(&json!(false)), Operator::Exists, None, None));
    }
}
