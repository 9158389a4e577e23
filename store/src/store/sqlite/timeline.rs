//! The timeline of one attribute: consecutive versions holding the same
//! value merge into one change point.

use rusqlite::types::ValueRef;
use rusqlite::{params, Connection};
use serde_json::Value;

use super::backend;
use super::read::anchor;
use crate::model::*;
use crate::store::{StoreError, StoreResult};

const TIMELINE: &str = include_str!("../../../../queries/sqlite/timeline.sql");

/// The SQLite JSON path of an attribute path (see [`crate::attribute_path`]).
pub fn json_path(path: &str) -> StoreResult<String> {
    crate::attribute_path::json_path(path).map_err(StoreError::BadRequest)
}

pub(super) fn value_of(kind: Option<&str>, raw: ValueRef) -> Value {
    match (kind, raw) {
        (None | Some("null"), _) => Value::Null,
        (Some("true"), _) => Value::Bool(true),
        (Some("false"), _) => Value::Bool(false),
        (Some("object" | "array"), ValueRef::Text(text)) => serde_json::from_slice(text).unwrap_or(Value::Null),
        (_, ValueRef::Integer(n)) => Value::from(n),
        (_, ValueRef::Real(x)) => Value::from(x),
        (_, ValueRef::Text(text)) => Value::String(String::from_utf8_lossy(text).into_owned()),
        _ => Value::Null,
    }
}

pub fn timeline(
    conn: &Connection,
    key: &str,
    path: &str,
    from: Day,
    to: Day,
    source: Option<&str>,
) -> StoreResult<Vec<ChangePoint>> {
    let json_path = json_path(path)?;
    let (id, _) = anchor(conn, key)?.ok_or_else(|| StoreError::NotFound { key: key.to_string() })?;
    let mut stmt = conn.prepare_cached(TIMELINE).map_err(backend("reading a timeline"))?;
    let mut rows = stmt.query(params![id, json_path, from.0, to.0, source]).map_err(backend("reading a timeline"))?;
    let mut points: Vec<ChangePoint> = Vec::new();
    while let Some(row) = rows.next().map_err(backend("reading a timeline"))? {
        let read = |e| backend("reading a timeline")(e);
        let source: String = row.get(0).map_err(read)?;
        let scope: String = row.get(1).map_err(read)?;
        let (valid_from, valid_to): (i32, i32) = (row.get(2).map_err(read)?, row.get(3).map_err(read)?);
        let kind: Option<String> = row.get(4).map_err(read)?;
        let value = value_of(kind.as_deref(), row.get_ref(5).map_err(read)?);
        if let Some(last) = points.last_mut() {
            let continues = last.source == source && last.scope == scope && last.to.0 == valid_from;
            if continues && last.value == value {
                last.to = Day(valid_to);
                continue;
            }
        }
        points.push(ChangePoint { from: Day(valid_from), to: Day(valid_to), value, source, scope });
    }
    Ok(points)
}
