//! The commits behind a deploy, when the orchestrator names only the commit
//! (or only the version): the version's commit from the release tags the
//! GitHub collector (or a backfill) records on the repository, and the
//! commits between the previous deploy's commit and this one from a local
//! clone (`[delivery] clones`, the folders `spot backfill` reads) or from
//! GitHub's compare API through the collector's cached client (compare
//! answers never change, so each pair is asked once, ever). docs/dora.md,
//! "Commits behind a version".

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
    /// The commits of the repository `repo` (its key,
    /// `repo:<host>/<org>/<name>`) after `base` up to `head`; `Ok(None)`
    /// when this source does not hold that repository.
    async fn between(&self, repo: &str, base: &str, head: &str) -> Result<Option<Brought>, String>;
}

/// `repo:<host>/<org>/<name>` → (host, org, name).
fn parts_of(repo: &str) -> Option<(&str, &str, &str)> {
    let mut parts = collectors::keys::name_in(repo, collectors::keys::REPO)?.splitn(3, '/');
    Some((parts.next()?, parts.next()?, parts.next()?))
}

/// GitHub's compare API, through the collector's client and cache.
pub struct GitHubCommits(pub Arc<collectors::github::GitHub>);

#[async_trait]
impl CommitSource for GitHubCommits {
    async fn between(&self, repo: &str, base: &str, head: &str) -> Result<Option<Brought>, String> {
        let Some((_, org, name)) = parts_of(repo).filter(|(host, _, _)| *host == self.0.host()) else {
            return Ok(None);
        };
        let comparison = self.0.compare(org, name, base, head).await.map_err(|e| e.to_string())?;
        let first_at = comparison
            .commits
            .iter()
            .filter_map(|c| c.commit.author.as_ref().or(c.commit.committer.as_ref())?.date.as_deref())
            .filter_map(|d| DateTime::parse_from_rfc3339(d).ok())
            .map(|d| d.with_timezone(&Utc))
            .min();
        Ok(Some(Brought { count: comparison.total_commits.max(comparison.commits.len() as u64) as u32, first_at }))
    }
}

/// Local clones: a repository `repo:<host>/<org>/<name>` is the clone at
/// `<folder>/<org>/<name>` or `<folder>/<name>` of one of the folders.
pub struct LocalClones(pub Vec<std::path::PathBuf>);

impl LocalClones {
    fn clone_of(&self, repo: &str) -> Option<std::path::PathBuf> {
        let (_, org, name) = parts_of(repo)?;
        let candidates = self.0.iter().flat_map(|folder| [folder.join(org).join(name), folder.join(name)]);
        candidates.into_iter().find(|path| git2::Repository::open(path).is_ok())
    }
}

#[async_trait]
impl CommitSource for LocalClones {
    async fn between(&self, repo: &str, base: &str, head: &str) -> Result<Option<Brought>, String> {
        let Some(path) = self.clone_of(repo) else { return Ok(None) };
        let (base, head) = (base.to_string(), head.to_string());
        tokio::task::spawn_blocking(move || walk(&path, &base, &head).map(Some))
            .await
            .map_err(|e| format!("reading a clone: {e}"))?
    }
}

/// The commits reachable from `head` and not from `base` in the clone at
/// `path` (what `git log base..head` lists).
fn walk(path: &std::path::Path, base: &str, head: &str) -> Result<Brought, String> {
    let context = |e: git2::Error| format!("{}: {}", path.display(), e.message());
    let git = git2::Repository::open(path).map_err(context)?;
    let commit = |name: &str| git.revparse_single(name).and_then(|o| o.peel_to_commit()).map(|c| c.id());
    let mut walk = git.revwalk().map_err(context)?;
    walk.push(commit(head).map_err(context)?).map_err(context)?;
    walk.hide(commit(base).map_err(context)?).map_err(context)?;
    let mut brought = Brought { count: 0, first_at: None };
    for oid in walk {
        let found = git.find_commit(oid.map_err(context)?).map_err(context)?;
        let at = DateTime::from_timestamp(found.author().when().seconds(), 0);
        brought.count += 1;
        brought.first_at = brought.first_at.min(at).or(at);
    }
    Ok(brought)
}

/// How far back the previous deploy of a service to a cluster is looked for.
const PREVIOUS_WITHIN_DAYS: i64 = 365;

/// `event` with its commit (from the release tag of its version when it
/// has none) and the commits it brought since the previous deploy of the
/// service to the cluster, when the source can tell; `Ok(None)` when there
/// is nothing to add or nothing to go on.
pub async fn fill(
    store: &dyn Store,
    sources: &[Arc<dyn CommitSource>],
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
    let mut brought = None;
    for source in sources {
        brought = source.between(&repo_key, &base, &head).await?;
        if brought.is_some() {
            break;
        }
    }
    let Some(brought) = brought else {
        return Ok(Some(DeployEvent { commit: Some(head), ..event.clone() }));
    };
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
    let Some(repo) =
        built_by.into_iter().map(|r| r.from).find(|k| collectors::keys::is_kind(k, collectors::keys::REPO))
    else {
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
