//! What a collector returns: everything one run saw of one scope of one source.
//!
//! The JSON form of [`Observation`] is the generic ingest format
//! (`spot ingest`, the `ingest` mutation); `schema/observation.schema.json`
//! documents it and a test keeps the two in step.

use rustc_hash::FxHashSet;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::day::Day;
use crate::untrusted::quote;

/// One complete (or, with `complete: false`, partial) look at one scope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Observation {
    /// The source system, e.g. `github`, `kubernetes`.
    pub source: String,
    /// The part of the source one run observes, e.g. a GitHub org or a cluster.
    pub scope: String,
    pub day: Day,
    /// `false` when the collector could not see the whole scope: nothing that
    /// is missing from this observation is closed.
    pub complete: bool,
    #[serde(default)]
    pub entities: Vec<ObservedEntity>,
    #[serde(default)]
    pub relations: Vec<ObservedRelation>,
    /// Entity keys the run could not observe (one repository, say): their
    /// facts and outgoing relations carry forward while the rest is diffed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unobserved: Vec<String>,
    /// What the run wants an operator to see without failing it: unmatched
    /// projects, items it could not read, conflicts. Kept on the run record.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObservedEntity {
    pub key: String,
    pub kind: String,
    pub name: String,
    #[serde(default)]
    pub attrs: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObservedRelation {
    pub from: String,
    pub to: String,
    pub kind: String,
    #[serde(default)]
    pub attrs: Map<String, Value>,
}

/// One problem in an observation, with the JSON path of the field at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {problem}")]
pub struct Invalid {
    pub field: String,
    pub problem: String,
}

impl Observation {
    /// An empty complete observation, to be filled by a collector.
    pub fn new(source: &str, scope: &str, day: Day) -> Observation {
        Observation {
            source: source.to_string(),
            scope: scope.to_string(),
            day,
            complete: true,
            entities: Vec::new(),
            relations: Vec::new(),
            unobserved: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// Checks what serde cannot: names, key syntax, duplicates. Returns every
    /// problem found, each naming its field, so a bad file is fixed in one go.
    pub fn validate(&self) -> Result<(), Vec<Invalid>> {
        let mut problems = Vec::new();
        // Field names are only formatted for the items at fault: a valid
        // observation of 100,000 items allocates nothing here.
        let mut report =
            |field: &dyn Fn() -> String, problem: String| problems.push(Invalid { field: field(), problem });
        if let Some(problem) = name_problem(&self.source) {
            report(&|| "source".into(), problem);
        }
        if let Some(problem) = name_problem(&self.scope) {
            report(&|| "scope".into(), problem);
        }
        if self.day.is_open() || self.day.date().is_none() {
            report(&|| "day".into(), "not a calendar day".into());
        }
        let mut keys = FxHashSet::default();
        keys.reserve(self.entities.len());
        for (i, entity) in self.entities.iter().enumerate() {
            if let Some(problem) = key_problem(&entity.key) {
                report(&|| format!("entities[{i}].key"), problem);
            }
            if let Some(problem) = name_problem(&entity.kind) {
                report(&|| format!("entities[{i}].kind"), problem);
            }
            match kind_of_key(&entity.key) {
                Some(kind) if kind != entity.kind => report(
                    &|| format!("entities[{i}].kind"),
                    format!("{} differs from the kind its key names, {}", quote(&entity.kind), quote(kind)),
                ),
                _ => {}
            }
            if entity.name.trim().is_empty() {
                report(&|| format!("entities[{i}].name"), "must not be empty".into());
            }
            if !keys.insert(entity.key.as_str()) {
                report(&|| format!("entities[{i}].key"), format!("{} appears twice", quote(&entity.key)));
            }
        }
        let mut edges = FxHashSet::default();
        edges.reserve(self.relations.len());
        for (i, relation) in self.relations.iter().enumerate() {
            if let Some(problem) = key_problem(&relation.from) {
                report(&|| format!("relations[{i}].from"), problem);
            }
            if let Some(problem) = key_problem(&relation.to) {
                report(&|| format!("relations[{i}].to"), problem);
            }
            if let Some(problem) = name_problem(&relation.kind) {
                report(&|| format!("relations[{i}].kind"), problem);
            }
            if !edges.insert((relation.from.as_str(), relation.to.as_str(), relation.kind.as_str())) {
                report(
                    &|| format!("relations[{i}]"),
                    format!(
                        "the relation {} from {} to {} appears twice",
                        quote(&relation.kind),
                        quote(&relation.from),
                        quote(&relation.to)
                    ),
                );
            }
        }
        for (i, key) in self.unobserved.iter().enumerate() {
            if let Some(problem) = key_problem(key) {
                report(&|| format!("unobserved[{i}]"), problem);
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }
}

impl Observation {
    /// Takes out the entities whose key is not an entity key (a name from
    /// a file that is not one: `service:invalid component`), the
    /// relations that touch them or whose own kind or keys are not valid,
    /// and unobserved keys that are not keys: one warning each. What is
    /// left validates as far as keys go, so one bad name costs its own
    /// item, not the whole run.
    pub fn drop_invalid_items(&mut self) -> Vec<String> {
        let mut warnings = Vec::new();
        let mut dropped: FxHashSet<String> = FxHashSet::default();
        self.entities.retain(|entity| match key_problem(&entity.key) {
            None => true,
            Some(problem) => {
                warnings.push(format!("{problem}; the entity is left out"));
                dropped.insert(entity.key.clone());
                false
            }
        });
        self.relations.retain(|relation| {
            if dropped.contains(&relation.from) || dropped.contains(&relation.to) {
                return false;
            }
            let problem = key_problem(&relation.from)
                .or_else(|| key_problem(&relation.to))
                .or_else(|| name_problem(&relation.kind));
            match problem {
                None => true,
                Some(problem) => {
                    warnings.push(format!("{problem}; the relation {} is left out", quote(&relation.kind)));
                    false
                }
            }
        });
        self.unobserved.retain(|key| key_problem(key).is_none());
        warnings
    }
}

/// The kind part of an entity key, `service` in `service:billing`.
pub fn kind_of_key(key: &str) -> Option<&str> {
    crate::keys::kind_of(key)
}

/// What is wrong with a source, scope or kind name (1-200 characters of
/// letters, digits and `_-./:@`), if anything.
pub fn name_problem(value: &str) -> Option<String> {
    let valid = !value.is_empty()
        && value.len() <= 200
        && value.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-./:@".contains(&b));
    (!valid).then(|| format!("{} must be 1-200 characters of letters, digits and _-./:@", quote(value)))
}

/// Keys look like `kind:rest` (`service:billing`, `repo:github.com/acme/x`):
/// what is wrong with `key`, if anything. No whitespace, control or
/// invisible formatting character: a key is printed in logs and messages.
pub fn key_problem(key: &str) -> Option<String> {
    let bytes = key.as_bytes();
    let colon = bytes.iter().position(|&b| b == b':');
    let valid = match colon {
        Some(at) => {
            at > 0
                && at + 1 < bytes.len()
                && bytes.len() <= 512
                && bytes[..at].iter().all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
                && !key[at + 1..].chars().any(|c| c.is_whitespace() || crate::untrusted::is_unprintable(c))
        }
        None => false,
    };
    (!valid).then(|| {
        format!("{} is not an entity key: expected kind:name without spaces, e.g. service:billing", quote(key))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entity(key: &str) -> ObservedEntity {
        ObservedEntity { key: key.into(), kind: "service".into(), name: "x".into(), attrs: Map::new() }
    }

    #[test]
    fn a_well_formed_observation_is_valid() {
        let mut obs = Observation::new("github", "acme", Day(19_000));
        obs.entities.push(entity("service:billing"));
        assert_eq!(obs.validate(), Ok(()));
    }

    #[test]
    fn every_problem_is_reported_with_its_field() {
        let mut obs = Observation::new("", "acme", Day(19_000));
        obs.entities.push(entity("billing"));
        obs.entities.push(entity("service:a"));
        obs.entities.push(entity("service:a"));
        let problems = obs.validate().unwrap_err();
        let fields: Vec<_> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, ["source", "entities[0].key", "entities[2].key"]);
        assert!(problems[2].problem.contains("appears twice"));
    }

    #[test]
    fn an_entity_kind_must_match_its_key() {
        let mut obs = Observation::new("github", "acme", Day(19_000));
        obs.entities.push(ObservedEntity { kind: "repo".into(), ..entity("service:billing") });
        let problems = obs.validate().unwrap_err();
        assert_eq!(problems[0].to_string(), "entities[0].kind: 'repo' differs from the kind its key names, 'service'");
    }

    #[test]
    fn errors_that_echo_input_quote_it_bounded_and_on_one_line() {
        let mut obs = Observation::new("github", "acme", Day(19_000));
        obs.entities.push(entity(&format!("service:{}", "a".repeat(10 << 20))));
        obs.entities.push(entity("service:x\nerror: forged line"));
        obs.relations.push(ObservedRelation {
            from: "service:a".into(),
            to: "service:b".into(),
            kind: "uses\u{1b}[2J".into(),
            attrs: Map::new(),
        });
        let problems: Vec<String> = obs.validate().unwrap_err().iter().map(ToString::to_string).collect();
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(
            problems[0].ends_with(
                "…' (10485768 bytes) is not an entity key: expected kind:name without spaces, e.g. service:billing"
            ),
            "{}",
            &problems[0][..300]
        );
        assert!(problems[0].len() < 300, "{} bytes", problems[0].len());
        assert_eq!(
            problems[1],
            "entities[1].key: 'service:x\\nerror: forged line' is not an entity key: expected kind:name without spaces, e.g. service:billing"
        );
        assert_eq!(
            problems[2],
            "relations[0].kind: 'uses\\u{1b}[2J' must be 1-200 characters of letters, digits and _-./:@"
        );
    }

    #[test]
    fn an_invalid_key_costs_its_entity_and_its_relations_not_the_observation() {
        let mut obs = Observation::new("github", "acme", Day(19_000));
        obs.entities.push(entity("service:billing"));
        obs.entities.push(entity("service:invalid component"));
        for (from, to) in [("service:billing", "service:invalid component"), ("team:a b", "service:billing")] {
            obs.relations.push(ObservedRelation {
                from: from.into(),
                to: to.into(),
                kind: "depends_on".into(),
                attrs: Map::new(),
            });
        }
        let warnings = obs.drop_invalid_items();
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(warnings[0].starts_with("'service:invalid component' is not an entity key"), "{}", warnings[0]);
        assert_eq!(obs.entities.len(), 1);
        assert!(obs.relations.is_empty());
        assert_eq!(obs.validate(), Ok(()));
    }

    #[test]
    fn unknown_fields_are_refused() {
        let json = r#"{"source":"s","scope":"x","day":"2024-01-01","complete":true,"extra":1}"#;
        let err = serde_json::from_str::<Observation>(json).unwrap_err();
        assert!(err.to_string().contains("unknown field `extra`"), "{err}");
    }
}
