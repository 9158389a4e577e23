//! Point reads: entities as of a day, search, runs, timelines, attribute
//! values, the entities of a kind, deploy events and sizes.

use serde_json::{json, Value};

use super::queries;
use super::{day, field, int, keys, object, text, Inner};
use crate::model::*;
use crate::store::{StoreError, StoreResult};

/// The value at `path` (checked beforehand), null when some step is
/// missing: what AQL's attribute access gives, read the one way
/// ([`crate::attribute_path`]).
fn at_path(attrs: &serde_json::Map<String, Value>, path: &str) -> Value {
    crate::attribute_path::lookup(attrs, path).cloned().unwrap_or(Value::Null)
}

pub async fn latest_day(store: &Inner) -> StoreResult<Option<Day>> {
    Ok(store.query_one(queries::latest_day()).await?.and_then(|v| v.as_i64()).map(|d| Day(d as i32)))
}

pub fn entity_from(row: &Value, doing: &str) -> StoreResult<Entity> {
    Ok(Entity { key: text(row, "key", doing)?, kind: text(row, "kind", doing)?, name: text(row, "name", doing)? })
}

pub fn fact_from(row: &Value, doing: &str) -> StoreResult<Fact> {
    Ok(Fact {
        source: text(row, "source", doing)?,
        scope: text(row, "scope", doing)?,
        attrs: object(row, "attrs"),
        valid_from: day(row, "valid_from", doing)?,
        valid_to: day(row, "valid_to", doing)?,
    })
}

pub async fn entity(store: &Inner, key: &str, on: Day) -> StoreResult<Option<EntityState>> {
    let doing = "reading an entity";
    let Some(row) = store.query_one(queries::entity(&keys::anchor(key), key, on)).await? else { return Ok(None) };
    let anchor = field(&row, "entity", doing)?;
    if anchor.is_null() {
        return Ok(None);
    }
    let mut facts = Vec::new();
    for fact in row.get("facts").and_then(Value::as_array).into_iter().flatten() {
        facts.push(fact_from(fact, doing)?);
    }
    if facts.is_empty() {
        return Ok(None);
    }
    facts.sort_by(|a, b| (&a.source, &a.scope).cmp(&(&b.source, &b.scope)));
    let last_seen = Some(day(&row, "last_seen", doing)?).filter(|d| !d.is_open());
    Ok(Some(EntityState {
        entity: entity_from(anchor, doing)?,
        first_seen: day(&row, "first_seen", doing)?,
        last_seen,
        facts,
    }))
}

pub async fn search(store: &Inner, query: &SearchQuery) -> StoreResult<Vec<Entity>> {
    let text_lower = query.text.trim().to_lowercase();
    if text_lower.is_empty() {
        return Err(StoreError::BadRequest("search text must not be empty".into()));
    }
    let escaped = text_lower.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    let pattern = format!("%{escaped}%");
    let rows = store.query(queries::search(&text_lower, &pattern, &query.kinds, query.day, query.limit)).await?;
    rows.iter().map(|row| entity_from(row, "searching")).collect()
}

pub async fn runs(store: &Inner, filter: &RunFilter) -> StoreResult<Vec<Run>> {
    let from = filter.from.unwrap_or(Day(i32::MIN));
    let to = filter.to.unwrap_or(Day::OPEN);
    let rows = store.query(queries::runs(filter.source.as_deref(), from, to)).await?;
    let mut runs = rows.iter().map(run_from).collect::<StoreResult<Vec<Run>>>()?;
    runs.sort_by(|a, b| (b.day, &a.source, &a.scope).cmp(&(a.day, &b.source, &b.scope)));
    Ok(runs)
}

/// A run record as stored.
pub fn run_from(row: &Value) -> StoreResult<Run> {
    let doing = "reading runs";
    let count = |name: &str| row.get(name).and_then(Value::as_u64).unwrap_or(0);
    let status = text(row, "status", doing)?;
    Ok(Run {
        source: text(row, "source", doing)?,
        scope: text(row, "scope", doing)?,
        day: day(row, "day", doing)?,
        status: RunStatus::parse(&status).unwrap_or(RunStatus::Failed),
        counts: RunCounts {
            added: count("added"),
            changed: count("changed"),
            closed: count("closed"),
            unchanged: count("unchanged"),
        },
        started_at_ms: int(row, "started_at_ms", doing)?,
        duration_ms: int(row, "duration_ms", doing)?,
        error: row.get("error").and_then(Value::as_str).map(str::to_string),
        attempts: count("attempts") as u32,
        warnings: row
            .get("warnings")
            .and_then(Value::as_array)
            .map(|items| items.iter().filter_map(Value::as_str).map(str::to_string).collect())
            .unwrap_or_default(),
    })
}

pub async fn stats(store: &Inner) -> StoreResult<StoreStats> {
    let doing = "counting documents";
    let row = store.query_one(queries::stats()).await?.unwrap_or(Value::Null);
    let count = |name: &str| int(&row, name, doing).map(|n| n as u64);
    let mut bytes = 0;
    for collection in ["entities", "facts", "relations", "runs", "events"] {
        bytes += store.client.collection_bytes(collection).await?;
    }
    Ok(StoreStats {
        entities: count("entities")?,
        fact_versions: count("fact_versions")?,
        relation_versions: count("relation_versions")?,
        runs: count("runs")?,
        bytes,
    })
}

/// Fails with `NotFound` when no anchor has the key.
pub async fn require_anchor(store: &Inner, key: &str) -> StoreResult<Entity> {
    let rows = store.query(queries::anchors(&[keys::anchor(key)])).await?;
    match rows.first() {
        Some(row) => entity_from(row, "reading an entity"),
        None => Err(StoreError::NotFound { key: key.to_string() }),
    }
}

pub async fn timeline(
    store: &Inner,
    key: &str,
    path: &str,
    from: Day,
    to: Day,
    source: Option<&str>,
) -> StoreResult<Vec<ChangePoint>> {
    crate::store::check_path(path)?;
    require_anchor(store, key).await?;
    let doing = "reading a timeline";
    let mut versions = Vec::new();
    for row in store.query(queries::timeline(key, from, to, source)).await? {
        versions.push(fact_from(&row, doing)?);
    }
    versions.sort_by(|a, b| (&a.source, &a.scope, a.valid_from).cmp(&(&b.source, &b.scope, b.valid_from)));
    let mut points: Vec<ChangePoint> = Vec::new();
    for fact in versions {
        let value = at_path(&fact.attrs, path);
        if let Some(last) = points.last_mut() {
            let continues = last.source == fact.source && last.scope == fact.scope && last.to == fact.valid_from;
            if continues && last.value == value {
                last.to = fact.valid_to;
                continue;
            }
        }
        points.push(ChangePoint {
            from: fact.valid_from,
            to: fact.valid_to,
            value,
            source: fact.source,
            scope: fact.scope,
        });
    }
    Ok(points)
}

pub async fn attribute_values(
    store: &Inner,
    kind: &str,
    path: &str,
    source: Option<&str>,
    on: Day,
) -> StoreResult<Vec<AttributeValue>> {
    crate::store::check_path(path)?;
    let doing = "reading attribute values";
    let mut rows = Vec::new();
    for row in store.query(queries::attribute_values(kind, source, on)).await? {
        let value = at_path(&object(&row, "attrs"), path);
        rows.push((text(&row, "key", doing)?, text(&row, "source", doing)?, text(&row, "scope", doing)?, value));
    }
    rows.sort_by(|a, b| (&a.0, &a.1, &a.2).cmp(&(&b.0, &b.1, &b.2)));
    let mut values: Vec<AttributeValue> = Vec::new();
    for (key, _, _, value) in rows {
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
    values.retain(|v| !v.value.is_null());
    Ok(values)
}

/// Every version of one attribute of every entity of a kind that holds on
/// some day of `[from, to]`, ordered by (key, source, scope, valid_from);
/// versions without the attribute are left out.
pub async fn attribute_value_versions(
    store: &Inner,
    kind: &str,
    path: &str,
    from: Day,
    to: Day,
) -> StoreResult<Vec<AttributeValueVersion>> {
    crate::store::check_path(path)?;
    crate::store::check_range(from, to)?;
    let doing = "reading attribute values";
    let mut versions = Vec::new();
    for row in store.query(queries::attribute_value_versions(kind, from, to)).await? {
        let value = at_path(&object(&row, "attrs"), path);
        if value.is_null() {
            continue;
        }
        versions.push(AttributeValueVersion {
            key: text(&row, "key", doing)?,
            source: text(&row, "source", doing)?,
            scope: text(&row, "scope", doing)?,
            value,
            valid_from: day(&row, "valid_from", doing)?,
            valid_to: day(&row, "valid_to", doing)?,
        });
    }
    versions.sort_unstable_by(|a, b| {
        (&a.key, &a.source, &a.scope, a.valid_from).cmp(&(&b.key, &b.source, &b.scope, b.valid_from))
    });
    Ok(versions)
}

/// Every version of every relation of a kind that holds on some day of
/// `[from, to]`, ordered by (from, to, valid_from, valid_to).
pub async fn relation_spans(store: &Inner, kind: &str, from: Day, to: Day) -> StoreResult<Vec<RelationSpan>> {
    crate::store::check_range(from, to)?;
    let doing = "reading relation versions";
    let mut spans = Vec::new();
    for row in store.query(queries::relation_values(kind, from, to)).await? {
        spans.push(RelationSpan {
            from: text(&row, "from", doing)?,
            to: text(&row, "to", doing)?,
            valid_from: day(&row, "valid_from", doing)?,
            valid_to: day(&row, "valid_to", doing)?,
        });
    }
    spans.sort_unstable_by(|a, b| {
        (&a.from, &a.to, a.valid_from, a.valid_to).cmp(&(&b.from, &b.to, b.valid_from, b.valid_to))
    });
    Ok(spans)
}

pub async fn entities_of_kind(store: &Inner, kind: &str, on: Day) -> StoreResult<Vec<SeenEntity>> {
    let doing = "reading the entities of a kind";
    let mut found = Vec::new();
    for row in store.query(queries::entities_of_kind(kind, on)).await? {
        let sources = field(&row, "sources", doing)?;
        let sources = sources.as_array().into_iter().flatten().filter_map(|s| s.as_str().map(str::to_string)).collect();
        found.push(SeenEntity { entity: entity_from(&row, doing)?, sources });
    }
    Ok(found)
}

/// Every version of one attribute of every relation of a kind that holds
/// on some day of `[from, to]`, ordered by (from, to, source, scope,
/// valid_from); versions without the attribute are left out.
pub async fn relation_value_versions(
    store: &Inner,
    kind: &str,
    path: &str,
    from: Day,
    to: Day,
) -> StoreResult<Vec<RelationValueVersion>> {
    crate::store::check_path(path)?;
    crate::store::check_range(from, to)?;
    let doing = "reading relation values";
    let mut rows = Vec::new();
    for row in store.query(queries::relation_values(kind, from, to)).await? {
        let value = at_path(&object(&row, "attrs"), path);
        if value.is_null() {
            continue;
        }
        let version = RelationValueVersion {
            from: text(&row, "from", doing)?,
            to: text(&row, "to", doing)?,
            source: text(&row, "source", doing)?,
            value,
            valid_from: day(&row, "valid_from", doing)?,
            valid_to: day(&row, "valid_to", doing)?,
        };
        rows.push((text(&row, "scope", doing)?, version));
    }
    rows.sort_by(|(a_scope, a), (b_scope, b)| {
        (&a.from, &a.to, &a.source, a_scope, a.valid_from).cmp(&(&b.from, &b.to, &b.source, b_scope, b.valid_from))
    });
    Ok(rows.into_iter().map(|(_, version)| version).collect())
}

pub async fn record_deployments(store: &Inner, events: &[DeployEvent]) -> StoreResult<()> {
    let documents = events.iter().map(event_document).collect();
    store.query(queries::record_events(documents)).await.map(|_| ())
}

pub fn event_document(event: &DeployEvent) -> Value {
    let ms = |at: Option<chrono::DateTime<chrono::Utc>>| at.map(|at| at.timestamp_millis());
    json!({
        "service": event.service, "cluster": event.cluster, "version": event.version,
        "at_ms": event.at.timestamp_millis(), "link": event.link, "actor": event.actor,
        "finished_ms": ms(event.finished_at), "status": event.status.as_str(), "reason": event.reason,
        "commit": event.commit, "first_commit_ms": ms(event.first_commit_at),
        "commit_count": event.commit_count, "workload": event.workload,
        // Orders events of one millisecond as they arrived.
        "seq": sequence(),
    })
}

/// Increasing within a process, and across processes as far as clocks go.
fn sequence() -> i64 {
    use std::sync::atomic::{AtomicI64, Ordering};
    static LAST: AtomicI64 = AtomicI64::new(0);
    let now = chrono::Utc::now().timestamp_micros();
    let mut previous = LAST.load(Ordering::SeqCst);
    loop {
        let next = now.max(previous + 1);
        match LAST.compare_exchange(previous, next, Ordering::SeqCst, Ordering::SeqCst) {
            Ok(_) => return next,
            Err(actual) => previous = actual,
        }
    }
}

pub fn event_from(row: &Value) -> StoreResult<DeployEvent> {
    let doing = "reading deploy events";
    let instant =
        |field: &str| row.get(field).and_then(Value::as_i64).and_then(chrono::DateTime::from_timestamp_millis);
    let optional = |field: &str| row.get(field).and_then(Value::as_str).map(str::to_string);
    let status = row.get("status").and_then(Value::as_str).unwrap_or("succeeded");
    Ok(DeployEvent {
        service: text(row, "service", doing)?,
        cluster: text(row, "cluster", doing)?,
        version: text(row, "version", doing)?,
        at: chrono::DateTime::from_timestamp_millis(int(row, "at_ms", doing)?).unwrap_or_default(),
        link: optional("link"),
        actor: optional("actor"),
        finished_at: instant("finished_ms"),
        status: DeployStatus::parse(status).ok_or_else(|| StoreError::Backend {
            doing: doing.into(),
            source: format!("a deploy event has the unknown status {status:?}").into(),
        })?,
        reason: optional("reason"),
        commit: optional("commit"),
        first_commit_at: instant("first_commit_ms"),
        commit_count: row.get("commit_count").and_then(Value::as_u64).map(|n| n as u32),
        workload: optional("workload"),
    })
}

pub async fn deploys(store: &Inner, filter: &DeployFilter) -> StoreResult<Vec<DeployEvent>> {
    let (start, end) = (filter.from.timestamp_millis(), filter.to.timestamp_millis());
    let rows = store.query(queries::deploys(&filter.services, &filter.clusters, start, end, filter.brief)).await?;
    rows.iter().map(event_from).collect()
}
