//! Reading one repository's files economically: nothing at all when its
//! `pushed_at` did not move since the cached snapshot; otherwise its
//! languages, tree, releases and tags (conditional requests) and the blobs
//! SPoT reads that it never read before.

use std::collections::BTreeMap;

use futures_util::stream::{self, StreamExt};

use super::api::{GitHubApi, Release, Repo, Tag};
use super::cache::{ReleaseRef, RepoSnapshot};
use super::unparsed::Unparsed;
use crate::http::HttpError;

/// A repository and the contents of the files SPoT reads in it.
#[derive(Debug, Clone)]
pub struct RepoFiles {
    pub repo: Repo,
    pub snapshot: RepoSnapshot,
    /// path → content
    pub contents: BTreeMap<String, String>,
    /// Files skipped for their size.
    pub too_large: Vec<String>,
    /// Files that do not parse, read as they last parsed: see
    /// [`super::unparsed`]. Empty unless a file history was kept.
    pub unparsed: BTreeMap<String, Unparsed>,
}

impl RepoFiles {
    /// A repository as its files alone, read from no API (default branch
    /// `main`): what tests and the guides' examples give the mapping.
    pub fn from_files(name: &str, topics: &[&str], files: &[(&str, &str)]) -> RepoFiles {
        let repo: Repo =
            serde_json::from_value(serde_json::json!({ "name": name, "default_branch": "main", "topics": topics }))
                .expect("a repository's name and topics make a Repo");
        RepoFiles {
            repo,
            snapshot: RepoSnapshot::new(None, "main".into()),
            contents: files.iter().map(|(path, content)| (path.to_string(), content.to_string())).collect(),
            too_large: Vec::new(),
            unparsed: BTreeMap::new(),
        }
    }
}

/// Reads `repo`'s wanted files. `wanted` decides by path; files over
/// `max_file_bytes` are skipped and listed.
pub async fn read_repo(
    api: &GitHubApi,
    org: &str,
    repo: &Repo,
    wanted: &(dyn Fn(&str) -> bool + Sync),
    max_file_bytes: u64,
) -> Result<RepoFiles, HttpError> {
    let Some(branch) = repo.default_branch.clone() else {
        // An empty repository: nothing to read.
        let snapshot = RepoSnapshot::new(repo.pushed_at.clone(), String::new());
        return Ok(RepoFiles {
            repo: repo.clone(),
            snapshot,
            contents: BTreeMap::new(),
            too_large: Vec::new(),
            unparsed: BTreeMap::new(),
        });
    };
    if let Some(snapshot) = api.cache().snapshot(org, &repo.name) {
        if snapshot.pushed_at == repo.pushed_at && snapshot.default_branch == branch {
            let contents = read_blobs(api, org, &repo.name, &snapshot.files).await?;
            return Ok(RepoFiles {
                repo: repo.clone(),
                snapshot,
                contents,
                too_large: Vec::new(),
                unparsed: BTreeMap::new(),
            });
        }
    }
    let mut snapshot = RepoSnapshot::new(repo.pushed_at.clone(), branch.clone());
    let (languages, tree, releases, tags) = tokio::join!(
        api.languages(org, &repo.name),
        api.tree(org, &repo.name, &branch),
        api.releases(org, &repo.name),
        api.tags(org, &repo.name)
    );
    snapshot.languages = languages?;
    snapshot.releases = release_refs(none_if_missing(releases)?, none_if_missing(tags)?);
    let tree = tree?;
    snapshot.truncated = tree.truncated;
    let mut too_large = Vec::new();
    for entry in tree.tree.into_iter().filter(|e| e.kind == "blob" && wanted(&e.path)) {
        if entry.size.unwrap_or(0) > max_file_bytes {
            too_large.push(entry.path);
            continue;
        }
        snapshot.files.push((entry.path, entry.sha));
    }
    let contents = read_blobs(api, org, &repo.name, &snapshot.files).await?;
    api.cache().store_snapshot(org, &repo.name, &snapshot);
    Ok(RepoFiles { repo: repo.clone(), snapshot, contents, too_large, unparsed: BTreeMap::new() })
}

/// A listing GitHub does not have for this repository (releases turned off
/// on a GitHub Enterprise, say) is an empty one, not a failed repository.
fn none_if_missing<T>(listing: Result<Vec<T>, HttpError>) -> Result<Vec<T>, HttpError> {
    match listing {
        Err(HttpError::NotFound { .. }) => Ok(Vec::new()),
        other => other,
    }
}

/// Releases (with their dates) and tags (with their commits), joined by
/// tag name: releases first, newest first, then tags no release names.
fn release_refs(releases: Vec<Release>, tags: Vec<Tag>) -> Vec<ReleaseRef> {
    let commit_of = |tag: &str| tags.iter().find(|t| t.name == tag).map(|t| t.commit.sha.clone());
    let mut refs: Vec<ReleaseRef> = releases
        .iter()
        .filter(|r| !r.draft)
        .map(|r| ReleaseRef {
            tag: r.tag_name.clone(),
            commit: commit_of(&r.tag_name),
            at: r.published_at.clone().or_else(|| r.created_at.clone()),
        })
        .collect();
    for tag in &tags {
        if !refs.iter().any(|r| r.tag == tag.name) {
            refs.push(ReleaseRef { tag: tag.name.clone(), commit: Some(tag.commit.sha.clone()), at: None });
        }
    }
    refs
}

/// Blobs of one repository, a few at a time: with ~20 files per
/// repository, reading them one by one would make latency, not the rate
/// limit, the bottleneck.
async fn read_blobs(
    api: &GitHubApi,
    org: &str,
    repo: &str,
    files: &[(String, String)],
) -> Result<BTreeMap<String, String>, HttpError> {
    let mut reads = stream::iter(files.to_vec())
        .map(|(path, sha)| async move { api.blob(org, repo, &sha).await.map(|content| (path, content)) })
        .buffer_unordered(BLOBS_IN_FLIGHT);
    let mut contents = BTreeMap::new();
    while let Some(read) = reads.next().await {
        let (path, content) = read?;
        contents.insert(path, content);
    }
    Ok(contents)
}

const BLOBS_IN_FLIGHT: usize = 4;
