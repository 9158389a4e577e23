//! Reads across time and across many entities: relation history, batched
//! neighbours, one attribute of a whole kind (for reports), and which
//! sources describe each entity of a kind.

use rusqlite::{params, Connection};
use serde_json::Value;

use super::backend;
use super::read::anchor;
use super::timeline::{json_path, value_of};
use super::traverse::{entities, hop_from, relations, Hop};
use crate::model::*;
use crate::store::{StoreError, StoreResult};

const HISTORY_OUT: &str = include_str!("../../../../queries/sqlite/relation_history_out.sql");
const HISTORY_IN: &str = include_str!("../../../../queries/sqlite/relation_history_in.sql");
const NEIGHBOURS_OUT: &str = include_str!("../../../../queries/sqlite/neighbours_out.sql");
const NEIGHBOURS_IN: &str = include_str!("../../../../queries/sqlite/neighbours_in.sql");
const ATTRIBUTE_VALUES: &str = include_str!("../../../../queries/sqlite/attribute_values.sql");
const RELATION_VALUE_VERSIONS: &str = include_str!("../../../../queries/sqlite/relation_value_versions.sql");
const ATTRIBUTE_VALUE_VERSIONS: &str = include_str!("../../../../queries/sqlite/attribute_value_versions.sql");
const RELATION_SPANS: &str = include_str!("../../../../queries/sqlite/relation_spans.sql");
const ENTITIES_OF_KIND: &str = include_str!("../../../../queries/sqlite/entities_of_kind.sql");

pub fn relation_history(
    conn: &Connection,
    key: &str,
    direction: Direction,
    kinds: &[String],
    from: Day,
    to: Day,
) -> StoreResult<Vec<Relation>> {
    let (id, _) = anchor(conn, key)?.ok_or_else(|| StoreError::NotFound { key: key.to_string() })?;
    let mut hops: Vec<Hop> = Vec::new();
    let mut read = |sql: &str| -> StoreResult<()> {
        let mut stmt = conn.prepare_cached(sql).map_err(backend("reading relation history"))?;
        let rows = stmt.query_map(params![id, from.0, to.0], hop_from).map_err(backend("reading relation history"))?;
        for hop in rows {
            let hop = hop.map_err(backend("reading relation history"))?;
            if kinds.is_empty() || kinds.contains(&hop.kind) {
                hops.push(hop);
            }
        }
        Ok(())
    };
    if direction.follows_out() {
        read(HISTORY_OUT)?;
    }
    if direction.follows_in() {
        read(HISTORY_IN)?;
    }
    let mut ids: Vec<i64> = hops.iter().flat_map(|h| [h.from, h.to]).collect();
    ids.sort_unstable();
    ids.dedup();
    let named = entities(conn, &ids)?;
    let mut found = relations(conn, hops, named)?;
    found.sort_by(|a, b| (a.valid_from, &a.kind, &a.from, &a.to).cmp(&(b.valid_from, &b.kind, &b.from, &b.to)));
    Ok(found)
}

pub fn neighbours(conn: &Connection, keys: &[String], rule: &EdgeRule, day: Day) -> StoreResult<Vec<(String, String)>> {
    let Some(kind) = &rule.kind else {
        return Err(StoreError::BadRequest("grouping needs a relation kind for each step".into()));
    };
    let list = serde_json::to_string(keys).expect("strings always serialise");
    let mut pairs = Vec::new();
    for (follows, sql) in [(rule.direction.follows_out(), NEIGHBOURS_OUT), (rule.direction.follows_in(), NEIGHBOURS_IN)]
    {
        if !follows {
            continue;
        }
        let mut stmt = conn.prepare_cached(sql).map_err(backend("reading neighbours"))?;
        let rows = stmt
            .query_map(params![list, kind, day.0], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
            .map_err(backend("reading neighbours"))?;
        for pair in rows {
            pairs.push(pair.map_err(backend("reading neighbours"))?);
        }
    }
    pairs.sort();
    pairs.dedup();
    Ok(pairs)
}

pub fn attribute_values(
    conn: &Connection,
    kind: &str,
    path: &str,
    source: Option<&str>,
    day: Day,
) -> StoreResult<Vec<AttributeValue>> {
    let json_path = json_path(path)?;
    let mut stmt = conn.prepare_cached(ATTRIBUTE_VALUES).map_err(backend("reading attribute values"))?;
    let mut rows = stmt.query(params![kind, json_path, day.0, source]).map_err(backend("reading attribute values"))?;
    let mut values: Vec<AttributeValue> = Vec::new();
    while let Some(row) = rows.next().map_err(backend("reading attribute values"))? {
        let key: String = row.get(0).map_err(backend("reading attribute values"))?;
        let json_type: Option<String> = row.get(2).map_err(backend("reading attribute values"))?;
        let value = value_of(json_type.as_deref(), row.get_ref(3).map_err(backend("reading attribute values"))?);
        match values.last_mut() {
            // The first source (by name) with a value wins.
            Some(last) if last.key == key => {
                if last.value.is_null() {
                    last.value = value;
                }
            }
            _ => values.push(AttributeValue { key, value }),
        }
    }
    values.retain(|v| !matches!(v.value, Value::Null));
    Ok(values)
}

pub fn relation_value_versions(
    conn: &Connection,
    kind: &str,
    path: &str,
    from: Day,
    to: Day,
) -> StoreResult<Vec<RelationValueVersion>> {
    let json_path = json_path(path)?;
    crate::store::check_range(from, to)?;
    let reading = || backend("reading relation values");
    let mut stmt = conn.prepare_cached(RELATION_VALUE_VERSIONS).map_err(reading())?;
    let mut rows = stmt.query(params![kind, json_path, from.0, to.0]).map_err(reading())?;
    let mut values: Vec<(String, RelationValueVersion)> = Vec::new();
    while let Some(row) = rows.next().map_err(reading())? {
        values.extend(relation_value_row(row).map_err(reading())?);
    }
    Ok(in_reading_order(values))
}

/// One row of relation_value_versions.sql's columns (from, to, source,
/// scope, JSON type, value, valid from, valid to) as (scope, version);
/// `None` where the relation does not carry the attribute.
pub(super) fn relation_value_row(row: &rusqlite::Row) -> rusqlite::Result<Option<(String, RelationValueVersion)>> {
    let json_type: Option<String> = row.get(4)?;
    let value = value_of(json_type.as_deref(), row.get_ref(5)?);
    if value.is_null() {
        return Ok(None);
    }
    let version = RelationValueVersion {
        from: row.get(0)?,
        to: row.get(1)?,
        source: row.get(2)?,
        value,
        valid_from: Day(row.get(6)?),
        valid_to: Day(row.get(7)?),
    };
    Ok(Some((row.get(3)?, version)))
}

/// Relation value versions as every reader gets them: by relation (from,
/// to), source, scope and start.
pub(super) fn in_reading_order(mut values: Vec<(String, RelationValueVersion)>) -> Vec<RelationValueVersion> {
    values.sort_unstable_by(|(a_scope, a), (b_scope, b)| {
        (&a.from, &a.to, &a.source, a_scope, a.valid_from).cmp(&(&b.from, &b.to, &b.source, b_scope, b.valid_from))
    });
    values.into_iter().map(|(_, version)| version).collect()
}

pub fn attribute_value_versions(
    conn: &Connection,
    kind: &str,
    path: &str,
    from: Day,
    to: Day,
) -> StoreResult<Vec<AttributeValueVersion>> {
    let json_path = json_path(path)?;
    crate::store::check_range(from, to)?;
    let reading = || backend("reading attribute values");
    let mut stmt = conn.prepare_cached(ATTRIBUTE_VALUE_VERSIONS).map_err(reading())?;
    let mut rows = stmt.query(params![kind, json_path, from.0, to.0]).map_err(reading())?;
    let mut versions: Vec<AttributeValueVersion> = Vec::new();
    while let Some(row) = rows.next().map_err(reading())? {
        let json_type: Option<String> = row.get(3).map_err(reading())?;
        versions.push(AttributeValueVersion {
            key: row.get(0).map_err(reading())?,
            source: row.get(1).map_err(reading())?,
            scope: row.get(2).map_err(reading())?,
            value: value_of(json_type.as_deref(), row.get_ref(4).map_err(reading())?),
            valid_from: Day(row.get(5).map_err(reading())?),
            valid_to: Day(row.get(6).map_err(reading())?),
        });
    }
    versions.sort_unstable_by(|a, b| {
        (&a.key, &a.source, &a.scope, a.valid_from).cmp(&(&b.key, &b.source, &b.scope, b.valid_from))
    });
    Ok(versions)
}

pub fn relation_spans(conn: &Connection, kind: &str, from: Day, to: Day) -> StoreResult<Vec<RelationSpan>> {
    crate::store::check_range(from, to)?;
    let reading = || backend("reading relation versions");
    let mut stmt = conn.prepare_cached(RELATION_SPANS).map_err(reading())?;
    let rows = stmt
        .query_map(params![kind, from.0, to.0], |r| {
            Ok(RelationSpan { from: r.get(0)?, to: r.get(1)?, valid_from: Day(r.get(2)?), valid_to: Day(r.get(3)?) })
        })
        .map_err(reading())?;
    let mut spans = rows.collect::<Result<Vec<_>, _>>().map_err(reading())?;
    spans.sort_unstable_by(|a, b| {
        (&a.from, &a.to, a.valid_from, a.valid_to).cmp(&(&b.from, &b.to, b.valid_from, b.valid_to))
    });
    Ok(spans)
}

pub fn entities_of_kind(conn: &Connection, kind: &str, day: Day) -> StoreResult<Vec<SeenEntity>> {
    let reading = || backend("reading the entities of a kind");
    let mut stmt = conn.prepare_cached(ENTITIES_OF_KIND).map_err(reading())?;
    let mut rows = stmt.query(params![kind, day.0]).map_err(reading())?;
    let mut found: Vec<SeenEntity> = Vec::new();
    while let Some(row) = rows.next().map_err(reading())? {
        let key: String = row.get(0).map_err(reading())?;
        let source: String = row.get(3).map_err(reading())?;
        match found.last_mut() {
            Some(last) if last.entity.key == key => last.sources.push(source),
            _ => {
                let entity = Entity { key, kind: row.get(1).map_err(reading())?, name: row.get(2).map_err(reading())? };
                found.push(SeenEntity { entity, sources: vec![source] });
            }
        }
    }
    Ok(found)
}
