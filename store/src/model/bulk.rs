//! Rows of the bulk reads a report or a score makes: one attribute of
//! every entity or relation of a kind, on a day or over a range.

use serde::Serialize;
use serde_json::Value;

use super::{Day, Entity};

/// An entity alive on a day, with the sources whose facts describe it then.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SeenEntity {
    pub entity: Entity,
    /// Each source once, by name.
    pub sources: Vec<String>,
}

/// One entity's value of one attribute on a day.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AttributeValue {
    pub key: String,
    pub value: Value,
}

/// One relation's value of one attribute on a day.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RelationValue {
    pub from: String,
    pub to: String,
    pub value: Value,
}

/// One version of one attribute of one relation: `value` over
/// `[valid_from, valid_to)`, as `source` sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RelationValueVersion {
    pub from: String,
    pub to: String,
    pub source: String,
    pub value: Value,
    pub valid_from: Day,
    pub valid_to: Day,
}

/// One version of one attribute of one entity: `value` over
/// `[valid_from, valid_to)`, as `source` (in `scope`) sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AttributeValueVersion {
    pub key: String,
    pub source: String,
    pub scope: String,
    pub value: Value,
    pub valid_from: Day,
    pub valid_to: Day,
}

impl AttributeValueVersion {
    /// One value per entity on `day`, from versions ordered by (key,
    /// source, scope): the first source (by name, then scope) whose version
    /// holds then, as the store's `attribute_values` reads it.
    pub fn on(versions: &[AttributeValueVersion], day: Day) -> Vec<&AttributeValueVersion> {
        let mut found: Vec<&AttributeValueVersion> = Vec::new();
        for version in versions.iter().filter(|v| v.valid_from <= day && day < v.valid_to) {
            if found.last().is_none_or(|last| last.key != version.key) {
                found.push(version);
            }
        }
        found
    }
}

/// One version of one relation: `from` → `to` over `[valid_from, valid_to)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RelationSpan {
    pub from: String,
    pub to: String,
    pub valid_from: Day,
    pub valid_to: Day,
}

impl RelationValueVersion {
    /// One value per relation on `day`, from versions ordered by (from, to,
    /// source, scope): the first source (by name) whose version holds then.
    pub fn on(versions: &[RelationValueVersion], day: Day) -> Vec<&RelationValueVersion> {
        let mut found: Vec<&RelationValueVersion> = Vec::new();
        for version in versions.iter().filter(|v| v.valid_from <= day && day < v.valid_to) {
            if !found.last().is_some_and(|last| last.from == version.from && last.to == version.to) {
                found.push(version);
            }
        }
        found
    }
}
