//! Every AQL query of the ArangoDB store, loaded from `queries/arangodb`,
//! each with the one function that binds its parameters: values only ever
//! travel as bind parameters. The tests check that each function supplies
//! exactly the parameters its text uses.

use serde_json::{json, Value};

use crate::model::Day;

/// One query ready to run: its file name, text and bind parameters.
#[derive(Debug, Clone)]
pub struct Query {
    pub name: &'static str,
    pub text: &'static str,
    pub binds: Value,
    /// For queries that write many documents: commit every so many
    /// operations instead of in one transaction (each such query is safe to
    /// run again).
    pub intermediate_commits: Option<u64>,
}

macro_rules! aql {
    ($name:literal) => {
        ($name, include_str!(concat!("../../../../queries/arangodb/", $name, ".aql")))
    };
}

/// Every query file, by name.
pub const ALL: &[(&str, &str)] = &[
    aql!("latest_day"),
    aql!("entity"),
    aql!("search"),
    aql!("edges_out"),
    aql!("edges_in"),
    aql!("traverse_outbound"),
    aql!("traverse_inbound"),
    aql!("traverse_any"),
    aql!("anchors"),
    aql!("timeline"),
    aql!("scopes"),
    aql!("changed_facts"),
    aql!("changed_relations"),
    aql!("spanning_facts"),
    aql!("runs"),
    aql!("relation_history_out"),
    aql!("relation_history_in"),
    aql!("neighbours_out"),
    aql!("neighbours_in"),
    aql!("attribute_values"),
    aql!("attribute_value_versions"),
    aql!("entities_of_kind"),
    aql!("relation_values"),
    aql!("deploys"),
    aql!("record_events"),
    aql!("stats"),
    aql!("scope_state"),
    aql!("open_facts"),
    aql!("open_relations"),
    aql!("apply_facts"),
    aql!("apply_relations"),
    aql!("drop_facts"),
    aql!("drop_relations"),
    aql!("discard_facts"),
    aql!("discard_relations"),
    aql!("restore_facts"),
    aql!("restore_relations"),
    aql!("commit_anchors"),
    aql!("discard_anchors"),
    aql!("start_attempt"),
    aql!("commit_attempt"),
    aql!("finish_attempt"),
    aql!("forget_attempt"),
    aql!("anchors_of"),
    aql!("record_failure"),
    aql!("acquire_lease"),
    aql!("release_lease"),
    aql!("prune_facts"),
    aql!("prune_relations"),
    aql!("pending_runs"),
    aql!("holds_history"),
    aql!("export_entities"),
    aql!("export_facts"),
    aql!("export_relations"),
    aql!("export_runs"),
    aql!("export_events"),
    aql!("rollback_facts"),
    aql!("rollback_relations"),
    aql!("reopen_facts"),
    aql!("reopen_relations"),
    aql!("rollback_runs"),
    aql!("drop_orphan_anchors"),
    aql!("record_rollback"),
    aql!("rollbacks"),
    aql!("record_actions"),
    aql!("remember_watch"),
    aql!("forget_watch"),
    aql!("actions"),
    aql!("remembered"),
    aql!("prune_actions"),
    aql!("export_actions"),
    aql!("export_watch_memory"),
];

fn query(name: &'static str, binds: Value) -> Query {
    let text = ALL.iter().find(|(n, _)| *n == name).map(|(_, text)| *text).expect("every query name is in ALL");
    Query { name, text, binds, intermediate_commits: None }
}

/// Writes in pieces: see [`Query::intermediate_commits`].
fn bulk(name: &'static str, binds: Value) -> Query {
    Query { intermediate_commits: Some(10_000), ..query(name, binds) }
}

/// Which versions a query reads or writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Versions {
    Facts,
    Relations,
}

impl Versions {
    fn pick(self, facts: &'static str, relations: &'static str) -> &'static str {
        match self {
            Versions::Facts => facts,
            Versions::Relations => relations,
        }
    }
}

/// Out along the edge (`_from` is the entity) or in against it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Way {
    Out,
    In,
}

pub fn latest_day() -> Query {
    query("latest_day", json!({}))
}

pub fn entity(anchor: &str, key: &str, day: Day) -> Query {
    query("entity", json!({ "anchor": anchor, "key": key, "day": day.0 }))
}

pub fn search(text: &str, pattern: &str, kinds: &[String], day: Day, limit: usize) -> Query {
    query("search", json!({ "text": text, "pattern": pattern, "kinds": kinds, "day": day.0, "limit": limit }))
}

/// Edges of the given kinds (every kind when `kinds` is `None`).
pub fn edges(way: Way, vertices: &[String], kinds: Option<&[String]>, day: Day) -> Query {
    let name = if way == Way::Out { "edges_out" } else { "edges_in" };
    query(
        name,
        json!({ "vertices": vertices, "kinds": kinds.unwrap_or(&[]), "any_kind": kinds.is_none(), "day": day.0 }),
    )
}

/// The AQL direction of a traversal whose every rule goes one way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Outbound,
    Inbound,
    Any,
}

pub fn traverse(direction: Direction, start: &str, depth: u32, kinds: Option<&[String]>, day: Day) -> Query {
    let name = match direction {
        Direction::Outbound => "traverse_outbound",
        Direction::Inbound => "traverse_inbound",
        Direction::Any => "traverse_any",
    };
    query(
        name,
        json!({ "start": start, "depth": depth, "kinds": kinds.unwrap_or(&[]), "any_kind": kinds.is_none(), "day": day.0 }),
    )
}

pub fn anchors(keys: &[String]) -> Query {
    query("anchors", json!({ "keys": keys }))
}

pub fn timeline(entity: &str, from: Day, to: Day, source: Option<&str>) -> Query {
    query("timeline", json!({ "entity": entity, "from": from.0, "to": to.0, "source": source }))
}

pub fn scopes() -> Query {
    query("scopes", json!({}))
}

pub fn changed(versions: Versions, scopes: &Value, from: Day, to: Day) -> Query {
    query(versions.pick("changed_facts", "changed_relations"), json!({ "scopes": scopes, "from": from.0, "to": to.0 }))
}

pub fn spanning_facts(entities: &[String], from: Day, to: Day) -> Query {
    query("spanning_facts", json!({ "entities": entities, "from": from.0, "to": to.0 }))
}

pub fn runs(source: Option<&str>, from: Day, to: Day) -> Query {
    query("runs", json!({ "source": source, "from": from.0, "to": to.0 }))
}

pub fn relation_history(way: Way, vertex: &str, from: Day, to: Day) -> Query {
    let name = if way == Way::Out { "relation_history_out" } else { "relation_history_in" };
    query(name, json!({ "vertex": vertex, "from": from.0, "to": to.0 }))
}

/// `vertices`: `[{id, key}]`.
pub fn neighbours(way: Way, vertices: &Value, kind: &str, day: Day) -> Query {
    let name = if way == Way::Out { "neighbours_out" } else { "neighbours_in" };
    query(name, json!({ "vertices": vertices, "kind": kind, "day": day.0 }))
}

pub fn attribute_values(kind: &str, source: Option<&str>, day: Day) -> Query {
    query("attribute_values", json!({ "kind": kind, "source": source, "day": day.0 }))
}

pub fn attribute_value_versions(kind: &str, from: Day, to: Day) -> Query {
    query("attribute_value_versions", json!({ "kind": kind, "from": from.0, "to": to.0 }))
}

pub fn entities_of_kind(kind: &str, day: Day) -> Query {
    query("entities_of_kind", json!({ "kind": kind, "day": day.0 }))
}

pub fn relation_values(kind: &str, from: Day, to: Day) -> Query {
    query("relation_values", json!({ "kind": kind, "from": from.0, "to": to.0 }))
}

pub fn deploys(services: &[String], clusters: &[String], start_ms: i64, end_ms: i64, brief: bool) -> Query {
    let binds = json!({ "services": services, "clusters": clusters, "start": start_ms, "end": end_ms, "brief": brief });
    query("deploys", binds)
}

pub fn record_events(events: Vec<Value>) -> Query {
    query("record_events", json!({ "events": events }))
}

pub fn stats() -> Query {
    query("stats", json!({}))
}

pub fn scope_state(source: &str, scope: &str) -> Query {
    query("scope_state", json!({ "source": source, "scope": scope }))
}

pub fn open_versions(versions: Versions, source: &str, scope: &str, day: Day) -> Query {
    query(
        versions.pick("open_facts", "open_relations"),
        json!({ "source": source, "scope": scope, "open": Day::OPEN.0, "day": day.0 }),
    )
}

pub fn apply(versions: Versions, token: &str) -> Query {
    bulk(versions.pick("apply_facts", "apply_relations"), json!({ "token": token }))
}

pub fn drop_replaced(versions: Versions, token: &str) -> Query {
    bulk(versions.pick("drop_facts", "drop_relations"), json!({ "token": token }))
}

pub fn discard(versions: Versions, source: &str, scope: &str, day: Day, token: &str) -> Query {
    bulk(
        versions.pick("discard_facts", "discard_relations"),
        json!({ "source": source, "scope": scope, "day": day.0, "token": token }),
    )
}

pub fn restore(versions: Versions, token: &str) -> Query {
    bulk(versions.pick("restore_facts", "restore_relations"), json!({ "token": token }))
}

pub fn commit_anchors(token: &str) -> Query {
    bulk("commit_anchors", json!({ "token": token }))
}

pub fn discard_anchors(token: &str) -> Query {
    bulk("discard_anchors", json!({ "token": token }))
}

pub fn start_attempt(run: &str, source: &str, scope: &str, day: Day, token: &str) -> Query {
    query("start_attempt", json!({ "run": run, "source": source, "scope": scope, "day": day.0, "token": token }))
}

pub fn commit_attempt(run: &str, token: &str, record: Value) -> Query {
    query("commit_attempt", json!({ "run": run, "token": token, "record": record }))
}

pub fn finish_attempt(run: &str, token: &str) -> Query {
    query("finish_attempt", json!({ "run": run, "token": token }))
}

pub fn forget_attempt(run: &str, token: &str) -> Query {
    query("forget_attempt", json!({ "run": run, "token": token }))
}

pub fn anchors_of(keys: &[String]) -> Query {
    query("anchors_of", json!({ "keys": keys }))
}

pub fn record_failure(run: &str, failed: Value, note: &str) -> Query {
    query("record_failure", json!({ "run": run, "failed": failed, "note": note }))
}

/// Leases are stored under their name, escaped as a `_key`.
pub fn acquire_lease(name: &str, holder: &str, now_ms: i64, until_ms: i64) -> Query {
    let key = super::keys::escaped(name);
    query("acquire_lease", json!({ "key": key, "name": name, "holder": holder, "now": now_ms, "until": until_ms }))
}

pub fn release_lease(name: &str, holder: &str) -> Query {
    query("release_lease", json!({ "key": super::keys::escaped(name), "holder": holder }))
}

pub fn prune(versions: Versions, source: &str, closed_before: Day) -> Query {
    bulk(versions.pick("prune_facts", "prune_relations"), json!({ "source": source, "before": closed_before.0 }))
}

pub fn pending_runs() -> Query {
    query("pending_runs", json!({}))
}

pub fn holds_history() -> Query {
    query("holds_history", json!({}))
}

/// `spot rollback`: delete the scope's versions opened on `day` or later.
pub fn rollback_versions(versions: Versions, source: &str, scope: &str, day: Day) -> Query {
    query(
        versions.pick("rollback_facts", "rollback_relations"),
        json!({ "source": source, "scope": scope, "day": day.0 }),
    )
}

/// `spot rollback`: reopen the scope's versions closed on `day` or later.
pub fn reopen_versions(versions: Versions, source: &str, scope: &str, day: Day) -> Query {
    query(
        versions.pick("reopen_facts", "reopen_relations"),
        json!({ "source": source, "scope": scope, "day": day.0, "open": Day::OPEN.0 }),
    )
}

pub fn rollback_runs(source: &str, scope: &str, day: Day) -> Query {
    query("rollback_runs", json!({ "source": source, "scope": scope, "day": day.0 }))
}

/// `anchors`: entity `_key`s.
pub fn drop_orphan_anchors(anchors: &[String]) -> Query {
    query("drop_orphan_anchors", json!({ "anchors": anchors }))
}

pub fn record_rollback(rollback: Value) -> Query {
    query("record_rollback", json!({ "rollback": rollback }))
}

pub fn rollbacks() -> Query {
    query("rollbacks", json!({}))
}

/// `actions`: documents as `record_actions.aql` reads them.
pub fn record_actions(actions: Vec<Value>) -> Query {
    query("record_actions", json!({ "actions": actions }))
}

pub fn remember_watch(memories: Vec<Value>) -> Query {
    query("remember_watch", json!({ "memories": memories }))
}

pub fn forget_watch(keys: Vec<String>) -> Query {
    query("forget_watch", json!({ "keys": keys }))
}

pub fn actions(filter: &crate::model::ActionFilter) -> Query {
    let kinds = (!filter.kinds.is_empty()).then(|| filter.kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>());
    query(
        "actions",
        json!({
            "from": filter.from.timestamp_millis(), "to": filter.to.timestamp_millis(),
            "service": filter.service, "workload": filter.workload, "cluster": filter.cluster,
            "kinds": kinds, "limit": filter.limit,
        }),
    )
}

pub fn remembered(cluster: &str) -> Query {
    query("remembered", json!({ "cluster": cluster }))
}

pub fn prune_actions(before_ms: i64) -> Query {
    query("prune_actions", json!({ "before": before_ms }))
}

/// The export queries, in the order records are written.
pub fn export() -> Vec<Query> {
    [
        "export_entities",
        "export_facts",
        "export_relations",
        "export_runs",
        "export_events",
        "export_actions",
        "export_watch_memory",
    ]
    .into_iter()
    .map(|name| query(name, json!({})))
    .collect()
}

/// One call of every query builder, for the checks on bind parameters.
#[cfg(test)]
pub fn samples() -> Vec<Query> {
    let (d, s) = (Day(19_000), "x");
    let keys = vec!["a".to_string()];
    let mut all = vec![
        latest_day(),
        entity(s, s, d),
        search(s, s, &keys, d, 10),
        anchors(&keys),
        timeline(s, d, d, None),
        scopes(),
        spanning_facts(&keys, d, d),
        runs(None, d, d),
        attribute_values(s, Some(s), d),
        attribute_value_versions(s, d, d),
        entities_of_kind(s, d),
        relation_values(s, d, d),
        deploys(&keys, &keys, 0, 1, true),
        record_events(vec![json!({})]),
        stats(),
        scope_state(s, s),
        commit_anchors(s),
        discard_anchors(s),
        start_attempt(s, s, s, d, s),
        commit_attempt(s, s, json!({})),
        finish_attempt(s, s),
        forget_attempt(s, s),
        anchors_of(&keys),
        record_failure(s, json!({}), s),
        acquire_lease(s, s, 0, 1),
        release_lease(s, s),
        pending_runs(),
        holds_history(),
        rollback_runs(s, s, d),
        drop_orphan_anchors(&keys),
        record_rollback(json!({})),
        rollbacks(),
        record_actions(vec![]),
        remember_watch(vec![]),
        forget_watch(vec![]),
        actions(&crate::model::ActionFilter::between(chrono::DateTime::UNIX_EPOCH, chrono::DateTime::UNIX_EPOCH, 1)),
        remembered(s),
        prune_actions(0),
    ];
    for way in [Way::Out, Way::In] {
        all.push(edges(way, &keys, Some(&keys), d));
        all.push(relation_history(way, s, d, d));
        all.push(neighbours(way, &json!([]), s, d));
    }
    for direction in [Direction::Outbound, Direction::Inbound, Direction::Any] {
        all.push(traverse(direction, s, 2, None, d));
    }
    for versions in [Versions::Facts, Versions::Relations] {
        all.push(changed(versions, &json!([]), d, d));
        all.push(open_versions(versions, s, s, d));
        all.push(apply(versions, s));
        all.push(drop_replaced(versions, s));
        all.push(discard(versions, s, s, d, s));
        all.push(restore(versions, s));
        all.push(prune(versions, s, d));
        all.push(rollback_versions(versions, s, s, d));
        all.push(reopen_versions(versions, s, s, d));
    }
    all.extend(export());
    all
}
