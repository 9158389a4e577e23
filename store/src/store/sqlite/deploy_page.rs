//! A page of judged deploys, newest first, read with a keyset cursor: the
//! filters are in the query, which reads one row past the page (is there a
//! next page?) and counts what the filters select.

use rusqlite::types::Value;
use rusqlite::{params_from_iter, Connection};

use super::backend;
use super::dora_views::{built, judged_from};
use crate::judging::rollup::{DeployPage, JudgedPage};
use crate::store::StoreResult;

const COLUMNS: &str = "service, cluster, version, at_ms, link, actor, finished_ms, status, reason, commit_sha, \
                       first_commit_ms, commit_count, workload, judged_status, judged_rollback, judged_fixed_by, \
                       judged_reason, judged_restored_ms";

/// A failed change by its stored verdict (`Judged::is_failed_change`).
const FAILED_CHANGE: &str = "(judged_rollback = 0 AND judged_status NOT IN ('superseded', 'running') \
                             AND (judged_status IN ('failed', 'rolled_back') OR judged_fixed_by IS NOT NULL))";

/// The page, or `None` when the views cannot answer (not derived yet, or
/// derived with another fix-forward window).
pub fn page(conn: &Connection, page: &DeployPage) -> StoreResult<Option<JudgedPage>> {
    let doing = "reading a page of deploys";
    // Readers run in a read transaction: the page and its count agree.
    let tx = conn;
    let built = built(tx)?;
    if !built.complete || built.fix_forward_ms != page.fix_forward_ms {
        return Ok(None);
    }
    let (filter, mut values) = filters(page);
    let total: i64 = tx
        .query_row(&format!("SELECT count(*) FROM events WHERE {filter}"), params_from_iter(values.iter()), |r| {
            r.get(0)
        })
        .map_err(backend(doing))?;
    let mut sql = format!("SELECT {COLUMNS} FROM events WHERE {filter}");
    if let Some(after) = &page.after {
        // After the cursor in the list's order: older, or as old and later
        // by service, cluster, version.
        let n = values.len();
        sql.push_str(&format!(
            " AND (at_ms < ?{a} OR (at_ms = ?{a} AND (service, cluster, version) > (?{s}, ?{c}, ?{v})))",
            a = n + 1,
            s = n + 2,
            c = n + 3,
            v = n + 4
        ));
        values.extend([
            Value::Integer(after.at_ms),
            Value::Text(after.service.clone()),
            Value::Text(after.cluster.clone()),
            Value::Text(after.version.clone()),
        ]);
    }
    sql.push_str(&format!(" ORDER BY at_ms DESC, service, cluster, version LIMIT {}", page.limit + 1));
    let mut stmt = tx.prepare(&sql).map_err(backend(doing))?;
    let mut deploys: Vec<_> = stmt
        .query_map(params_from_iter(values.iter()), judged_from)
        .map_err(backend(doing))?
        .collect::<Result<_, _>>()
        .map_err(backend(doing))?;
    let more = deploys.len() > page.limit;
    deploys.truncate(page.limit);
    Ok(Some(JudgedPage { deploys, total: total.max(0) as u64, more }))
}

/// The `WHERE` clause of `page`'s filters (cursor aside), with its values
/// in parameter order.
fn filters(page: &DeployPage) -> (String, Vec<Value>) {
    let mut clauses = vec!["at_ms >= ?1 AND at_ms < ?2".to_string()];
    let mut values = vec![Value::Integer(page.from.timestamp_millis()), Value::Integer(page.to.timestamp_millis())];
    let mut any_of = |column: &str, names: &[String], negated: bool, values: &mut Vec<Value>| {
        let start = values.len();
        values.extend(names.iter().cloned().map(Value::Text));
        let marks: Vec<String> = (start + 1..=values.len()).map(|i| format!("?{i}")).collect();
        let not = if negated { "NOT " } else { "" };
        clauses.push(format!("{column} {not}IN ({})", marks.join(", ")));
    };
    if let Some(services) = &page.services {
        any_of("service", services, false, &mut values);
    }
    if let Some(clusters) = &page.clusters {
        any_of("cluster", clusters, false, &mut values);
    }
    if !page.except_clusters.is_empty() {
        any_of("cluster", &page.except_clusters, true, &mut values);
    }
    if let Some(status) = page.status {
        values.push(Value::Text(status.as_str().into()));
        clauses.push(format!("judged_status = ?{}", values.len()));
    }
    if let Some(actor) = &page.actor {
        values.push(Value::Text(actor.clone()));
        clauses.push(format!("actor = ?{}", values.len()));
    }
    if page.failed_changes {
        clauses.push(FAILED_CHANGE.into());
    }
    (clauses.join(" AND "), values)
}
