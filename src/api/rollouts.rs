//! Rollouts as the Kubernetes collector recorded them: each Deployment's
//! ReplicaSets (revision, version, creation time) on the workload's
//! `rollouts` attribute. They give the exact time of each deploy, including
//! the ones before SPoT was installed, as far back as the cluster keeps
//! revisions.

use async_graphql::{Context, Result};
use chrono::{DateTime, Utc};
use serde_json::Value;

use super::context::load_entity;
use super::deploys::Deploy;
use crate::model::Day;

/// The rollouts of `service`'s `workloads` (every cluster, or one) whose
/// start falls within `[from, to]`, as deploys labelled `rollout:<source>`.
pub async fn rollout_deploys(
    ctx: &Context<'_>,
    service: &str,
    workloads: &[String],
    cluster: Option<&str>,
    from: Day,
    to: Day,
) -> Result<Vec<Deploy>> {
    let mut deploys = Vec::new();
    for workload in workloads {
        // The latest state in the range knows every earlier revision too.
        let Some(state) = load_entity(ctx, workload, to).await? else { continue };
        for fact in state.facts.iter().filter(|f| cluster.is_none_or(|c| c == f.scope)) {
            for rollout in fact.attrs.get("rollouts").and_then(Value::as_array).into_iter().flatten() {
                let Some((version, at)) = version_and_time(rollout) else { continue };
                let day = Day::from_date(at.date_naive());
                if day >= from && day <= to {
                    deploys.push(Deploy {
                        service: service.to_string(),
                        cluster: fact.scope.clone(),
                        version,
                        at,
                        source: format!("rollout:{}", fact.source),
                        workload: Some(workload.clone()),
                        ..Deploy::default()
                    });
                }
            }
        }
    }
    Ok(deploys)
}

/// When the version running in `cluster` was rolled out, if a rollout of it
/// is recorded on the workload's fact.
pub fn rolled_out_at(attrs: &serde_json::Map<String, Value>, version: &str) -> Option<DateTime<Utc>> {
    attrs
        .get("rollouts")?
        .as_array()?
        .iter()
        .filter_map(version_and_time)
        .filter(|(v, _)| v == version)
        .map(|(_, at)| at)
        .max()
}

fn version_and_time(rollout: &Value) -> Option<(String, DateTime<Utc>)> {
    let version = rollout.get("version")?.as_str()?.to_string();
    let created = rollout.get("created")?.as_str()?;
    let at = DateTime::parse_from_rfc3339(created).ok()?.with_timezone(&Utc);
    Some((version, at))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_latest_rollout_of_the_running_version_says_since_when() {
        let attrs = json!({ "rollouts": [
            { "revision": 3, "version": "1.2.0", "created": "2026-11-01T10:00:00Z" },
            { "revision": 4, "version": "1.3.0", "created": "2026-11-05T09:30:00Z" },
            { "revision": 5, "version": "1.2.0", "created": "2026-11-06T16:45:00Z" },
            { "revision": 6, "version": null, "created": "2026-11-07T16:45:00Z" }
        ]});
        let attrs = attrs.as_object().unwrap();
        assert_eq!(rolled_out_at(attrs, "1.2.0").unwrap().to_rfc3339(), "2026-11-06T16:45:00+00:00");
        assert_eq!(rolled_out_at(attrs, "9.9.9"), None);
    }
}
