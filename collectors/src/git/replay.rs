//! Replaying an organisation's repositories day by day. Each day with a
//! commit in any of them is observed as the live GitHub collector would
//! have seen the organisation that day: every repository that existed, at
//! its last commit of that day or before. Same source (`github`), same
//! scope (the organisation), same keys — so the live collector carries on
//! where a backfill stops.

use std::collections::hash_map::Entry;
use std::collections::{BTreeSet, HashMap};

use chrono::DateTime;
use git2::Oid;

use super::identity::RepoIdentity;
use super::renames::{FinalKeys, Rename};
use super::repo::{DayCommit, GitRepo};
use super::GitError;
use crate::github::api::Repo;
use crate::github::cache::{ReleaseRef, RepoSnapshot};
use crate::github::map::{self, OrgContext};
use crate::github::memo::ParseMemo;
use crate::github::sync::RepoFiles;
use crate::github::unparsed::LastParsed;
use crate::identity::IdentityConfig;
use crate::{manifests, Day, Observation};

/// What the live collector calls itself: a backfill writes as it.
pub const SOURCE: &str = "github";

/// One organisation's repositories, replayed together.
pub struct OrgReplay {
    pub host: String,
    pub org: String,
    repos: Vec<RepoReplay>,
    days: Vec<Day>,
    /// A warning for each commit skipped for its date.
    misdated: Vec<String>,
    memo: ParseMemo,
    max_file_bytes: usize,
    identity: IdentityConfig,
    /// The service keys of the last day, read on the first day observed:
    /// renamed services keep one history ([`super::renames`]).
    final_keys: Option<FinalKeys>,
    renames: BTreeSet<Rename>,
}

struct RepoReplay {
    git: GitRepo,
    /// Its tags, newest first: the releases of each day are those before it.
    tags: Vec<super::repo::GitTag>,
    history: Vec<DayCommit>,
    /// How many of `history`'s days have been applied.
    done: usize,
    current: Option<RepoFiles>,
    /// Blob contents by id: `None` for a blob that is not UTF-8 text.
    blobs: HashMap<Oid, Option<String>>,
    /// Each file's last content that parsed: a file that stops parsing is
    /// read as it was, not as the whole repository unobserved.
    last_parsed: LastParsed,
}

/// What a replay read from the object databases.
#[derive(Debug, Clone, Default)]
pub struct ReadStats {
    /// Distinct blobs read (each once), and their bytes.
    pub blobs: usize,
    pub bytes: u64,
    /// The blobs, per repository folder: for comparisons with `git cat-file`.
    pub blob_ids: Vec<(std::path::PathBuf, Vec<String>)>,
}

/// One day's observation, and how far each repository got.
pub struct ReplayDay {
    pub observation: Observation,
    /// (repository index, days of its history done) for each repository
    /// that moved on this day.
    pub advanced: Vec<(usize, usize)>,
}

impl OrgReplay {
    /// `repos` must share host and organisation. With `since`, the first
    /// day is `since` itself, showing each repository as its last commit
    /// before then left it. Commits dated after `horizon` (the last day
    /// ingest accepts) are skipped, each with a warning ([`OrgReplay::misdated`]).
    pub fn new(
        repos: Vec<GitRepo>,
        since: Option<Day>,
        until: Option<Day>,
        horizon: Day,
        max_file_bytes: usize,
    ) -> Result<OrgReplay, GitError> {
        let (host, org) = repos.first().map(|r| (r.identity.host.clone(), r.identity.org.clone())).unwrap_or_default();
        let mut replays = Vec::new();
        let mut days = BTreeSet::new();
        let mut misdated = Vec::new();
        for git in repos {
            let mut skipped = Vec::new();
            let history = starting_at(git.days(until, horizon, &mut skipped)?, since);
            misdated.extend(skipped.iter().map(|c| {
                format!(
                    "{}/{}: commit {} is dated {}, after {horizon} (today plus ingest.max_future_days): skipped; \
                     its changes show from the next commit on",
                    git.identity.org, git.identity.name, c.commit, c.day
                )
            }));
            days.extend(history.iter().map(|d| d.day));
            let tags = git.tags()?;
            replays.push(RepoReplay {
                git,
                tags,
                history,
                done: 0,
                current: None,
                blobs: HashMap::new(),
                last_parsed: LastParsed::default(),
            });
        }
        Ok(OrgReplay {
            host,
            org,
            repos: replays,
            days: days.into_iter().collect(),
            misdated,
            memo: ParseMemo::default(),
            max_file_bytes,
            identity: IdentityConfig::default(),
            final_keys: None,
            renames: BTreeSet::new(),
        })
    }

    /// Names services with `[identity]`'s pins, as the live collector does.
    pub fn with_identity(mut self, identity: IdentityConfig) -> OrgReplay {
        self.identity = identity;
        self
    }

    /// The distinct blobs read so far.
    pub fn stats(&self) -> ReadStats {
        let mut stats = ReadStats::default();
        for repo in &self.repos {
            stats.blobs += repo.blobs.len();
            stats.bytes += repo.blobs.values().flatten().map(|t| t.len() as u64).sum::<u64>();
            stats.blob_ids.push((repo.git.path.clone(), repo.blobs.keys().map(|id| id.to_string()).collect()));
        }
        stats
    }

    /// A warning for each commit skipped for being dated after the horizon.
    pub fn misdated(&self) -> &[String] {
        &self.misdated
    }

    /// Every day to observe, oldest first.
    pub fn days(&self) -> &[Day] {
        &self.days
    }

    /// Each repository and how many days of its history will be replayed.
    pub fn repos(&self) -> Vec<(&RepoIdentity, usize)> {
        self.repos.iter().map(|r| (&r.git.identity, r.history.len())).collect()
    }

    /// Each service that had another name before, once: see [`super::renames`].
    pub fn renames(&self) -> impl Iterator<Item = &Rename> {
        self.renames.iter()
    }

    /// The services of the organisation as the last day replayed leaves it.
    fn keys_on_last_day(&mut self) -> Result<FinalKeys, GitError> {
        let Some(&last) = self.days.last() else { return Ok(FinalKeys::default()) };
        let mut files = Vec::new();
        for repo in &mut self.repos {
            if let Some(&commit) = repo.history.last() {
                files.push(repo.read(commit, self.max_file_bytes)?);
            }
        }
        let present: Vec<&RepoFiles> = files.iter().collect();
        let mut observation = Observation::new(SOURCE, &self.org, last);
        let context = OrgContext { host: &self.host, org: &self.org, day: last, identity: &self.identity };
        map::observe_with(&context, &present, &mut self.memo, &mut observation);
        Ok(FinalKeys::of(&observation))
    }

    /// The organisation on `day`. Days must be asked for in order.
    pub fn observe(&mut self, day: Day) -> Result<ReplayDay, GitError> {
        if self.final_keys.is_none() {
            self.final_keys = Some(self.keys_on_last_day()?);
        }
        let mut advanced = Vec::new();
        for (index, repo) in self.repos.iter_mut().enumerate() {
            let before = repo.done;
            while repo.done < repo.history.len() && repo.history[repo.done].day <= day {
                repo.done += 1;
            }
            if repo.done > before {
                let commit = repo.history[repo.done - 1];
                let mut files = repo.read(commit, self.max_file_bytes)?;
                repo.last_parsed.settle(&mut files, day, &mut self.memo, true);
                repo.current = Some(files);
                advanced.push((index, repo.done));
            }
        }
        let present: Vec<&RepoFiles> = self.repos.iter().filter_map(|r| r.current.as_ref()).collect();
        let mut observation = Observation::new(SOURCE, &self.org, day);
        let context = OrgContext { host: &self.host, org: &self.org, day, identity: &self.identity };
        map::observe_with(&context, &present, &mut self.memo, &mut observation);
        for rename in self.final_keys.as_ref().map(|keys| keys.carry(&mut observation)).unwrap_or_default() {
            if !self.renames.contains(&rename) {
                observation.warnings.push(rename.warning());
                self.renames.insert(rename);
            }
        }
        Ok(ReplayDay { observation, advanced })
    }
}

impl RepoReplay {
    /// The repository's files as `commit` left them, read through the
    /// blob cache: a blob is read once however many days show it.
    fn read(&mut self, commit: DayCommit, max_file_bytes: usize) -> Result<RepoFiles, GitError> {
        let skip = |folder: &str| manifests::is_vendored(&format!("{folder}file"));
        let files = self.git.files(commit.commit, &map::is_read, &skip)?;
        let mut contents = std::collections::BTreeMap::new();
        let mut too_large = Vec::new();
        for file in files {
            if file.size > max_file_bytes {
                too_large.push(file.path);
                continue;
            }
            let text = match self.blobs.entry(file.blob) {
                Entry::Occupied(known) => known.into_mut(),
                Entry::Vacant(new) => new.insert(String::from_utf8(self.git.blob(file.blob)?).ok()),
            };
            match text {
                Some(text) => {
                    contents.insert(file.path, text.clone());
                }
                None => too_large.push(file.path),
            }
        }
        let pushed_at = DateTime::from_timestamp(commit.time, 0).map(|t| t.to_rfc3339());
        let identity = &self.git.identity;
        let branch = short_branch(&self.git.branch);
        let html_url = (identity.host != super::identity::LOCAL)
            .then(|| format!("https://{}/{}/{}", identity.host, identity.org, identity.name));
        // What git knows; GitHub's own fields (topics, visibility, issues)
        // come with the live collector's first run.
        let repo = Repo {
            name: identity.name.clone(),
            description: None,
            private: false,
            visibility: None,
            archived: false,
            disabled: false,
            fork: false,
            default_branch: Some(branch.to_string()),
            language: None,
            topics: Vec::new(),
            pushed_at: pushed_at.clone(),
            // The first commit stands for GitHub's creation time.
            created_at: self
                .history
                .first()
                .and_then(|first| DateTime::from_timestamp(first.time, 0))
                .map(|t| t.to_rfc3339()),
            open_issues_count: 0,
            html_url,
        };
        let mut snapshot = RepoSnapshot::new(pushed_at, branch.to_string());
        snapshot.releases = self.releases_until(commit.time);
        Ok(RepoFiles { repo, snapshot, contents, too_large, unparsed: std::collections::BTreeMap::new() })
    }

    /// The tags made by `time` (the day's commit), newest first, as many
    /// as the live collector keeps: what a deployed version was built from.
    fn releases_until(&self, time: i64) -> Vec<ReleaseRef> {
        self.tags
            .iter()
            .filter(|tag| tag.time <= time)
            .take(crate::github::api::RELEASES_KEPT as usize)
            .map(|tag| ReleaseRef {
                tag: tag.name.clone(),
                commit: Some(tag.commit.to_string()),
                at: DateTime::from_timestamp(tag.time, 0).map(|t| t.to_rfc3339()),
            })
            .collect()
    }
}

/// `refs/remotes/origin/main` and `refs/heads/main` → `main`.
fn short_branch(reference: &str) -> &str {
    reference
        .strip_prefix("refs/remotes/origin/")
        .or_else(|| reference.strip_prefix("refs/heads/"))
        .unwrap_or(reference)
}

/// The history from `since` on: what happened before is folded into one
/// day, `since`, unless `since` has commits of its own.
fn starting_at(history: Vec<DayCommit>, since: Option<Day>) -> Vec<DayCommit> {
    let Some(since) = since else { return history };
    let (before, mut after): (Vec<DayCommit>, Vec<DayCommit>) = history.into_iter().partition(|d| d.day < since);
    if let Some(last) = before.last() {
        if after.first().is_none_or(|first| first.day != since) {
            after.insert(0, DayCommit { day: since, ..*last });
        }
    }
    after
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(day: i32) -> DayCommit {
        DayCommit { day: Day(day), commit: Oid::zero(), time: i64::from(day) * 86_400 }
    }

    #[test]
    fn history_before_since_is_folded_into_the_first_day() {
        let days: Vec<Day> = starting_at(vec![at(1), at(3), at(7)], Some(Day(5))).iter().map(|d| d.day).collect();
        assert_eq!(days, [Day(5), Day(7)]);
        let days: Vec<Day> = starting_at(vec![at(1), at(5)], Some(Day(5))).iter().map(|d| d.day).collect();
        assert_eq!(days, [Day(5)]);
        assert!(starting_at(vec![at(9)], Some(Day(5))).iter().all(|d| d.day == Day(9)));
    }
}
