//! The commits behind a deploy, when the orchestrator names only the commit
//! (or only the version): the version's commit from the release tags the
//! GitHub collector records on the repository, and the commits between the
//! previous deploy's commit and this one from GitHub's compare API through
//! the collector's cached client (compare answers never change, so each
//! pair is asked once, ever). docs/dora.md, "Commits behind a version".

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use serde_json::Value;

use crate::model::{Day, DeployEvent, DeployFilter, Direction};
use crate::store::Store;

/// What a deploy brought.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Brought {
    pub count: u32,
    pub first_at: Option<DateTime<Utc>>,
}

/// Where commits between two commits of a repository come from.
#[async_trait]
pub trait CommitSource: Send + Sync {
    /// The host part of the repository keys it answers for (`github.com`).
    fn host(&self) -> &str;

    /// The commits of `org/repo` after `base` up to `head`.
    async fn between(&self, org: &str, repo: &str, base: &str, head: &str) -> Result<Brought, String>;
}

/// GitHub's compare API, through the collector's client and cache.
pub struct GitHubCommits(pub Arc<collectors::github::GitHub>);

#[async_trait]
impl CommitSource for GitHubCommits {
    fn host(&self) -> &str {
        self.0.host()
    }

    async fn between(&self, org: &str, repo: &str, base: &str, head: &str) -> Result<Brought, String> {
        let comparison = self.0.compare(org, repo, base, head).await.map_err(|e| e.to_string())?;
        let first_at = comparison
            .commits
            .iter()
            .filter_map(|c| c.commit.author.as_ref().or(c.commit.committer.as_ref())?.date.as_deref())
            .filter_map(|d| DateTime::parse_from_rfc3339(d).ok())
            .map(|d| d.with_timezone(&Utc))
            .min();
        Ok(Brought { count: comparison.total_commits.max(comparison.commits.len() as u64) as u32, first_at })
    }
}

/// How far back the previous deploy of a service to a cluster is looked for.
const PREVIOUS_WITHIN_DAYS: i64 = 365;

/// `event` with its commit (from the release tag of its version when it
/// has none) and the commits it brought since the previous deploy of the
/// service to the cluster, when the source can tell; `Ok(None)` when there
/// is nothing to add or nothing to go on.
pub async fn fill(
    store: &dyn Store,
    source: &dyn CommitSource,
    event: &DeployEvent,
) -> Result<Option<DeployEvent>, String> {
    if event.first_commit_at.is_some() {
        return Ok(None);
    }
    let Some((repo_key, releases)) =
        repository_of(store, &event.service, Day::from_date(event.at.date_naive())).await?
    else {
        return Ok(None);
    };
    let prefix = format!("repo:{}/", source.host());
    let Some((org, name)) = repo_key.strip_prefix(&prefix).and_then(|rest| rest.split_once('/')) else {
        return Ok(None);
    };
    let Some(head) = event.commit.clone().or_else(|| commit_of(&releases, &event.version)) else {
        return Ok(None);
    };
    let filter = DeployFilter {
        services: vec![event.service.clone()],
        clusters: vec![event.cluster.clone()],
        from: event.at - Duration::days(PREVIOUS_WITHIN_DAYS),
        to: event.at,
        brief: false,
    };
    let earlier = store.deploys(&filter).await.map_err(|e| e.to_string())?;
    let previous = earlier.iter().rev().find(|d| d.version != event.version);
    let Some(base) = previous.and_then(|p| p.commit.clone().or_else(|| commit_of(&releases, &p.version))) else {
        return Ok(Some(DeployEvent { commit: Some(head), ..event.clone() }));
    };
    let brought = source.between(org, name, &base, &head).await?;
    Ok(Some(DeployEvent {
        commit: Some(head),
        first_commit_at: brought.first_at,
        commit_count: Some(brought.count),
        ..event.clone()
    }))
}

/// The repository that builds `service` on `day`, with its recorded releases.
async fn repository_of(store: &dyn Store, service: &str, day: Day) -> Result<Option<(String, Vec<Value>)>, String> {
    let builds = ["builds".to_string()];
    let built_by = match store.relations(service, day, Direction::In, &builds).await {
        Ok(relations) => relations,
        Err(crate::StoreError::NotFound { .. }) => return Ok(None),
        Err(other) => return Err(other.to_string()),
    };
    let Some(repo) = built_by.into_iter().map(|r| r.from).find(|k| k.starts_with("repo:")) else {
        return Ok(None);
    };
    let state = store.entity(&repo, day).await.map_err(|e| e.to_string())?;
    let releases = state
        .into_iter()
        .flat_map(|s| s.facts)
        .filter_map(|f| f.attrs.get("releases").and_then(Value::as_array).cloned())
        .flatten()
        .collect();
    Ok(Some((repo, releases)))
}

/// The commit of the release tagged `version` (or `v<version>`).
fn commit_of(releases: &[Value], version: &str) -> Option<String> {
    let tags = [version.to_string(), format!("v{version}")];
    releases
        .iter()
        .find(|r| r.get("tag").and_then(Value::as_str).is_some_and(|t| tags.iter().any(|v| v == t)))
        .and_then(|r| r.get("commit")?.as_str().map(str::to_string))
}
