//! Questions about what the collectors write ([`super::known`]): is this
//! an attribute of that kind, where does a relation lead.

pub use super::known::RELATION_KINDS;
use super::known::{KindAttributes, RelationKind, ENTITY_KINDS};
use crate::model::Direction;

pub fn relation(kind: &str) -> Option<&'static RelationKind> {
    RELATION_KINDS.iter().find(|r| r.kind == kind)
}

fn kind(name: &str) -> Option<&'static KindAttributes> {
    ENTITY_KINDS.iter().find(|k| k.kind == name)
}

/// The kinds one step of `relation` reaches from entities of `from`.
pub fn step(relation: &RelationKind, from: &[&str], direction: Direction) -> Vec<&'static str> {
    let mut reached: Vec<&'static str> = Vec::new();
    if direction.follows_out() && relation.from.iter().any(|k| from.contains(k)) {
        reached.extend(relation.to.iter().copied());
    }
    if direction.follows_in() && relation.to.iter().any(|k| from.contains(k)) {
        reached.extend(relation.from.iter().copied());
    }
    reached.sort_unstable();
    reached.dedup();
    reached
}

/// Whether some collector writes `path` on entities of `kind`: a listed
/// attribute, an object above one, or anything under an open map.
/// Array indexes (`containers.0.image`) are read as the table's `*`.
pub fn has_attribute(kind_name: &str, path: &str) -> bool {
    let Some(kind) = kind(kind_name) else { return false };
    let general: Vec<&str> =
        path.split('.').map(|s| if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) { "*" } else { s }).collect();
    let general = general.join(".");
    kind.attributes.contains(&general.as_str())
        || kind.open.iter().any(|open| general.strip_prefix(open).is_some_and(|rest| rest.starts_with('.')))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_service_reaches_its_team_against_owns_and_its_clusters_through_its_workloads() {
        let owns = relation("owns").unwrap();
        assert_eq!(step(owns, &["service"], Direction::In), vec!["team", "user"]);
        assert!(step(owns, &["service"], Direction::Out).is_empty());
        let deploys = relation("deploys").unwrap();
        let runs_in = relation("runs_in").unwrap();
        let workloads = step(deploys, &["service"], Direction::Out);
        assert_eq!(step(runs_in, &workloads, Direction::Out), vec!["cluster"]);
    }

    #[test]
    fn attributes_are_known_by_their_dotted_path_and_open_maps_take_any_key() {
        assert!(has_attribute("sonar_project", "coverage"));
        assert!(!has_attribute("sonar_project", "covrage"));
        assert!(has_attribute("workload", "replicas.ready"));
        assert!(has_attribute("workload", "labels.team"));
        assert!(has_attribute("repo", "topics.0"));
        assert!(!has_attribute("nothing", "coverage"));
    }
}
