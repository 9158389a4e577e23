//! One local repository, read straight from its object database: the
//! default branch's first-parent history by day, the files SPoT reads in a
//! commit's tree, and their blobs. No working tree is touched.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::DateTime;
use git2::{ObjectType, Oid, Repository, Sort};

use super::identity::RepoIdentity;
use super::GitError;
use crate::Day;

/// The commit whose tree a day is observed at: the day's last commit on
/// the first-parent line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayCommit {
    pub day: Day,
    pub commit: Oid,
    /// Committer time, seconds since the epoch.
    pub time: i64,
}

/// A tag naming a commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitTag {
    pub name: String,
    pub commit: Oid,
    /// Seconds since the epoch.
    pub time: i64,
}

/// A file SPoT reads, as a tree holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeFile {
    pub path: String,
    pub blob: Oid,
    pub size: usize,
}

pub struct GitRepo {
    pub path: PathBuf,
    pub identity: RepoIdentity,
    /// The branch read: `origin/HEAD`'s target, else `HEAD`'s.
    pub branch: String,
    repo: Repository,
    /// Listings of subtrees by (tree id, path prefix): a day's tree shares
    /// almost all of its subtrees with the day before.
    listings: HashMap<(Oid, String), Arc<Vec<TreeFile>>>,
}

impl GitRepo {
    pub fn open(path: &Path) -> Result<GitRepo, GitError> {
        let repo = Repository::open(path).map_err(|e| GitError::open(path, e))?;
        let identity = repo
            .find_remote("origin")
            .ok()
            .and_then(|remote| remote.url().and_then(RepoIdentity::from_remote))
            .unwrap_or_else(|| RepoIdentity::local(&canonical_folder(path)));
        let branch = default_branch(&repo).map_err(|e| GitError::at(path, "finding the default branch", e))?;
        Ok(GitRepo { path: path.to_path_buf(), identity, branch, repo, listings: HashMap::new() })
    }

    /// The day's last commit for each day with commits up to `until`,
    /// oldest first. Committer times on a first-parent line can go back
    /// (rebases, skewed clocks): a commit is never dated before the one it
    /// follows, so days only move forward. A commit dated after `horizon`
    /// (a clock in 2999) is misdated: it has no day of its own (its changes
    /// show from the next commit on) and does not move the days of the
    /// commits after it; it is listed in `misdated` instead.
    pub fn days(
        &self,
        until: Option<Day>,
        horizon: Day,
        misdated: &mut Vec<DayCommit>,
    ) -> Result<Vec<DayCommit>, GitError> {
        let context = |e| GitError::at(&self.path, "walking the history", e);
        let tip = self.repo.revparse_single(&self.branch).map_err(context)?.peel_to_commit().map_err(context)?;
        let mut walk = self.repo.revwalk().map_err(context)?;
        walk.push(tip.id()).map_err(context)?;
        walk.simplify_first_parent().map_err(context)?;
        walk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE).map_err(context)?;
        let mut days: Vec<DayCommit> = Vec::new();
        let mut latest_time = i64::MIN;
        for oid in walk {
            let oid = oid.map_err(context)?;
            let commit = self.repo.find_commit(oid).map_err(context)?;
            let own_day = day_of(commit.time().seconds());
            if let Some(day) = own_day.filter(|d| *d > horizon) {
                misdated.push(DayCommit { day, commit: oid, time: commit.time().seconds() });
                continue;
            }
            latest_time = latest_time.max(commit.time().seconds());
            let Some(day) = day_of(latest_time) else { continue };
            match days.last_mut() {
                Some(last) if last.day == day => *last = DayCommit { day, commit: oid, time: latest_time },
                _ => days.push(DayCommit { day, commit: oid, time: latest_time }),
            }
        }
        days.retain(|d| until.is_none_or(|u| d.day <= u));
        Ok(days)
    }

    /// Every tag that names a commit, newest first: its name, commit and
    /// time (the tagger's for an annotated tag, else the commit's).
    pub fn tags(&self) -> Result<Vec<GitTag>, GitError> {
        let context = |e| GitError::at(&self.path, "reading the tags", e);
        let mut tags = Vec::new();
        for name in self.repo.tag_names(None).map_err(context)?.iter().flatten() {
            let Ok(object) = self.repo.revparse_single(&format!("refs/tags/{name}")) else { continue };
            let tagged_at = object.as_tag().and_then(|t| t.tagger()).map(|s| s.when().seconds());
            let Ok(commit) = object.peel_to_commit() else { continue };
            let time = tagged_at.unwrap_or_else(|| commit.time().seconds());
            tags.push(GitTag { name: name.to_string(), commit: commit.id(), time });
        }
        tags.sort_by(|a, b| b.time.cmp(&a.time).then_with(|| a.name.cmp(&b.name)));
        Ok(tags)
    }

    /// The files of `commit`'s tree that `wanted` accepts; folders `skip`
    /// accepts (vendored code) are not entered.
    pub fn files(
        &mut self,
        commit: Oid,
        wanted: &dyn Fn(&str) -> bool,
        skip: &dyn Fn(&str) -> bool,
    ) -> Result<Vec<TreeFile>, GitError> {
        let context = |e| GitError::at(&self.path, "reading a tree", e);
        let tree = self.repo.find_commit(commit).map_err(context)?.tree_id();
        let listing = self.list(tree, String::new(), wanted, skip)?;
        Ok(listing.as_ref().clone())
    }

    fn list(
        &mut self,
        tree: Oid,
        prefix: String,
        wanted: &dyn Fn(&str) -> bool,
        skip: &dyn Fn(&str) -> bool,
    ) -> Result<Arc<Vec<TreeFile>>, GitError> {
        if let Some(listing) = self.listings.get(&(tree, prefix.clone())) {
            return Ok(listing.clone());
        }
        let path_of_repo = self.path.clone();
        let context = |e| GitError::at(&path_of_repo, "reading a tree", e);
        let mut entries: Vec<(String, Oid, Option<ObjectType>)> = Vec::new();
        {
            let object = self.repo.find_tree(tree).map_err(context)?;
            for entry in object.iter() {
                let Some(name) = entry.name() else { continue };
                entries.push((format!("{prefix}{name}"), entry.id(), entry.kind()));
            }
        }
        let mut files = Vec::new();
        for (path, id, kind) in entries {
            match kind {
                Some(ObjectType::Tree) if !skip(&format!("{path}/")) => {
                    files.extend(self.list(id, format!("{path}/"), wanted, skip)?.iter().cloned());
                }
                Some(ObjectType::Blob) if wanted(&path) => {
                    // The header alone: no need to inflate a blob to learn its size.
                    let (size, _) = self.repo.odb().and_then(|odb| odb.read_header(id)).map_err(context)?;
                    files.push(TreeFile { path, blob: id, size });
                }
                _ => {}
            }
        }
        let listing = Arc::new(files);
        self.listings.insert((tree, prefix), listing.clone());
        Ok(listing)
    }

    /// A blob's bytes.
    pub fn blob(&self, id: Oid) -> Result<Vec<u8>, GitError> {
        let blob = self.repo.find_blob(id).map_err(|e| GitError::at(&self.path, "reading a blob", e))?;
        Ok(blob.content().to_vec())
    }
}

/// `refs/remotes/origin/HEAD`'s target (a clone's default branch), else
/// the branch `HEAD` names.
fn default_branch(repo: &Repository) -> Result<String, git2::Error> {
    if let Ok(reference) = repo.find_reference("refs/remotes/origin/HEAD") {
        if let Some(target) = reference.symbolic_target() {
            return Ok(target.to_string());
        }
    }
    let head = repo.find_reference("HEAD")?;
    Ok(head.symbolic_target().unwrap_or("HEAD").to_string())
}

fn day_of(seconds: i64) -> Option<Day> {
    DateTime::from_timestamp(seconds, 0).map(|t| Day::from_date(t.date_naive()))
}

/// The repository's folder name (`.` resolved), for identities without a
/// remote.
fn canonical_folder(path: &Path) -> PathBuf {
    let path = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    match path.file_name().and_then(|n| n.to_str()) {
        Some(".git") => path.parent().map(Path::to_path_buf).unwrap_or(path),
        _ => path,
    }
}
