//! Kind, title and significance of one change (docs/changes.md: "Kinds",
//! "Significance").

use serde_json::{Map, Value};

use super::diff::{shown, Moved};
use super::{name, one_service, ChangeKind, Significance};
use crate::model::Change;

/// Coverage must move by at least this many points to matter.
pub const COVERAGE_POINTS: f64 = 5.0;

/// What a changed, added or removed entity's change is, in words.
pub struct Described {
    pub kind: ChangeKind,
    pub title: String,
    pub significance: Significance,
}

fn described(kind: ChangeKind, title: String, significant: bool) -> Described {
    let significance = if significant { Significance::Significant } else { Significance::Minor };
    Described { kind, title, significance }
}

/// Who a title speaks of: the one service, else the entity's own name.
pub fn who<'a>(key: &'a str, services: &'a [String]) -> &'a str {
    name(one_service(services).unwrap_or(key))
}

/// Kinds whose arrival or departure matters.
const MATTERS_WHEN_NEW_OR_GONE: &[&str] = &["service", "workload", "repo", "resource", "sonar_project"];

pub fn entity(
    change: Change,
    key: &str,
    kind: &str,
    services: &[String],
    moved: &[Moved],
    after: &Map<String, Value>,
) -> Described {
    let who = who(key, services);
    let noun = kind.replace('_', " ");
    let matters = MATTERS_WHEN_NEW_OR_GONE.contains(&kind);
    match change {
        Change::Added => return described(ChangeKind::Added, format!("{who}: new {noun} {}", name(key)), matters),
        Change::Removed => {
            return described(ChangeKind::Removed, format!("{who}: {noun} {} removed", name(key)), matters)
        }
        Change::Changed => {}
    }
    match kind {
        "workload" => workload(key, who, moved, after),
        "sonar_project" => quality(who, moved),
        "doc" => {
            let page = name(key).rsplit('/').next().unwrap_or_default();
            described(ChangeKind::Document, format!("{who}: page {page} edited"), false)
        }
        _ => attribute(who, moved),
    }
}

fn find<'m>(moved: &'m [Moved], path: &str) -> Option<&'m Moved> {
    moved.iter().find(|m| m.path == path)
}

fn arrow(m: &Moved) -> String {
    format!("{} → {}", shown(m.before.as_ref()), shown(m.after.as_ref()))
}

fn workload(key: &str, who: &str, moved: &[Moved], after: &Map<String, Value>) -> Described {
    let place = collectors::keys::cluster_of_workload(key).map(|c| format!(" in {c}")).unwrap_or_default();
    if let Some(version) = find(moved, "version") {
        return described(ChangeKind::Version, format!("{who}: {}{place}", arrow(version)), true);
    }
    if let Some(status) = find(moved, "rollout_status") {
        let failed = status.after.as_ref().and_then(Value::as_str) == Some("failed");
        return described(ChangeKind::Rollout, format!("{who}: rollout {}{place}", arrow(status)), failed);
    }
    // Counts the cluster keeps moving on its own: pods, ready replicas, the
    // autoscaler's current and desired.
    let runtime = |m: &Moved| {
        m.path.starts_with("pods.")
            || m.path.starts_with("replicas.")
            || m.path == "hpa.current"
            || m.path == "hpa.desired"
            || m.path == "rollouts"
            || m.path == "revision"
    };
    let config: Vec<&Moved> = moved.iter().filter(|m| !runtime(m)).collect();
    if let Some(first) = config.first() {
        let more = more(config.len());
        return described(ChangeKind::Config, format!("{who}: {} {}{more}{place}", first.path, arrow(first)), true);
    }
    let desired = find(moved, "replicas.desired");
    let Some(desired) = desired else {
        let first = moved.first().map(|m| format!("{} {}", m.path, arrow(m))).unwrap_or_default();
        return described(ChangeKind::Replicas, format!("{who}: {first}{place}"), false);
    };
    let outside = !within_autoscaler(desired.after.as_ref(), after);
    described(ChangeKind::Replicas, format!("{who}: replicas {}{place}", arrow(desired)), outside)
}

/// Whether a replica count lies within the autoscaler's `[min, max]`;
/// `false` when no autoscaler scales the workload (a person scaled it).
fn within_autoscaler(desired: Option<&Value>, after: &Map<String, Value>) -> bool {
    let hpa = after.get("hpa").and_then(Value::as_object);
    let bound = |name: &str| hpa.and_then(|h| h.get(name)).and_then(Value::as_f64);
    match (desired.and_then(Value::as_f64), bound("min"), bound("max")) {
        (Some(count), Some(min), Some(max)) => min <= count && count <= max,
        _ => false,
    }
}

fn more(count: usize) -> String {
    if count > 1 {
        format!(" (and {} more)", count - 1)
    } else {
        String::new()
    }
}

/// SonarQube's gate statuses as words.
fn gate(value: Option<&Value>) -> String {
    match value.and_then(Value::as_str) {
        Some("OK") => "passed".into(),
        Some("ERROR") => "failed".into(),
        Some("WARN") => "warning".into(),
        Some("NONE") | None => "none".into(),
        Some(other) => other.to_lowercase(),
    }
}

fn quality(who: &str, moved: &[Moved]) -> Described {
    if let Some(flip) = find(moved, "quality_gate") {
        let title = format!("{who}: quality gate {} → {}", gate(flip.before.as_ref()), gate(flip.after.as_ref()));
        return described(ChangeKind::Gate, title, true);
    }
    if let Some(coverage) = find(moved, "coverage") {
        let number = |v: &Option<Value>| v.as_ref().and_then(Value::as_f64);
        let percent = |v: Option<f64>| v.map_or("—".to_string(), |n| format!("{n} %"));
        let (a, b) = (number(&coverage.before), number(&coverage.after));
        let big = matches!((a, b), (Some(a), Some(b)) if (a - b).abs() >= COVERAGE_POINTS);
        return described(ChangeKind::Quality, format!("{who}: coverage {} → {}", percent(a), percent(b)), big);
    }
    let measures: Vec<&Moved> =
        moved.iter().filter(|m| !matches!(m.path.as_str(), "last_analysis" | "revision")).collect();
    let first =
        measures.first().copied().or(moved.first()).map(|m| format!(" {} {}", m.path, arrow(m))).unwrap_or_default();
    described(ChangeKind::Quality, format!("{who}: analysed again{first}{}", more(measures.len())), false)
}

/// Attributes that name who owns a thing, as catalogs write them.
const OWNER_PATHS: &[&str] = &["owner", "team", "spec.owner"];

fn attribute(who: &str, moved: &[Moved]) -> Described {
    if let Some(owner) = moved.iter().find(|m| OWNER_PATHS.contains(&m.path.as_str())) {
        return described(ChangeKind::Owner, format!("{who}: owner {}", arrow(owner)), true);
    }
    let title = match moved.first() {
        Some(first) => format!("{who}: {} {}{}", first.path, arrow(first), more(moved.len())),
        None => format!("{who}: changed"),
    };
    described(ChangeKind::Attribute, title, false)
}

/// A relation added or removed, other than an owner move or a package
/// version (those are read in pairs and groups).
pub fn relation(change: Change, kind: &str, from: &str, to: &str, services: &[String]) -> Described {
    let (a, b) = (name(from), name(to));
    let added = change == Change::Added;
    match kind {
        "depends_on" => {
            let title = if added { format!("{a} now depends on {b}") } else { format!("{a} no longer depends on {b}") };
            described(ChangeKind::Dependency, title, true)
        }
        "uses" => {
            let who = who(from, services);
            let package = package_name(to);
            let title =
                if added { format!("{who} now uses {package}") } else { format!("{who} no longer uses {package}") };
            described(ChangeKind::Dependency, title, true)
        }
        "owns" => {
            let title = if added { format!("{b}: owner now {a}") } else { format!("{b}: no longer owned by {a}") };
            described(ChangeKind::Owner, title, true)
        }
        _ => {
            let verb = if added { "now" } else { "no longer" };
            described(ChangeKind::Relation, format!("{a} {verb} {} {b}", kind.replace('_', " ")), false)
        }
    }
}

/// `package:npm/left-pad` → `left-pad` (the ecosystem left out).
pub fn package_name(key: &str) -> &str {
    let name = name(key);
    name.split_once('/').map_or(name, |(_, rest)| rest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn m(path: &str, before: Value, after: Value) -> Moved {
        Moved { path: path.into(), before: Some(before), after: Some(after) }
    }

    #[test]
    fn a_replica_count_within_the_autoscaler_range_is_minor_and_outside_it_matters() {
        let key = "workload:eu-west/shop/Deployment/checkout";
        let services = vec!["service:checkout".to_string()];
        let after = json!({ "hpa": { "min": 2, "max": 6 } }).as_object().unwrap().clone();
        let within =
            entity(Change::Changed, key, "workload", &services, &[m("replicas.desired", json!(2), json!(5))], &after);
        assert_eq!((within.kind, within.significance), (ChangeKind::Replicas, Significance::Minor));
        assert_eq!(within.title, "checkout: replicas 2 → 5 in eu-west");
        let beyond =
            entity(Change::Changed, key, "workload", &services, &[m("replicas.desired", json!(6), json!(9))], &after);
        assert_eq!(beyond.significance, Significance::Significant);
    }

    #[test]
    fn gate_and_coverage_titles_read_as_words() {
        let services = vec!["service:search-api".to_string()];
        let none = Map::new();
        let gate = entity(
            Change::Changed,
            "sonar_project:s",
            "sonar_project",
            &services,
            &[m("quality_gate", json!("OK"), json!("ERROR"))],
            &none,
        );
        assert_eq!(gate.title, "search-api: quality gate passed → failed");
        let small = entity(
            Change::Changed,
            "sonar_project:s",
            "sonar_project",
            &services,
            &[m("coverage", json!(71), json!(69))],
            &none,
        );
        assert_eq!(
            (small.title.as_str(), small.significance),
            ("search-api: coverage 71 % → 69 %", Significance::Minor)
        );
    }
}
