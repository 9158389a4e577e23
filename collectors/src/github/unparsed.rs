//! Files that stop parsing. A repository whose one file is malformed is
//! otherwise well observed: the file is read as it last parsed, so exactly
//! what it declared carries forward, and everything else in the repository
//! is observed as it is (issue: one Helm `values.yaml` with a duplicate key
//! froze a whole repository for years). A file that never parsed declares
//! nothing. Either way the file is listed on the repository
//! ([`RepoFiles::unparsed`]), with the day it broke, and the run warns.
//!
//! This needs each file's history: the git backfill keeps a [`LastParsed`]
//! per repository across the days it replays, the live collector keeps it
//! in its cache between runs ([`Saved`]: the blob SHA of each file's last
//! content that parsed). Without a history (no cache, or a repository seen
//! for the first time) a file that does not parse keeps the older, coarser
//! rule: the service or repository it speaks for is unobserved that day,
//! since what it declared before is not known.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use super::map;
use super::memo::ParseMemo;
use super::sync::RepoFiles;
use crate::manifests::ParseError;
use crate::Day;

/// A file that does not parse, as the repository's files record it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unparsed {
    /// What is wrong, with the line when the parser says.
    pub error: String,
    /// The first day of the run of days it has not parsed.
    pub since: Day,
    /// The day of the content it is read as; `None` when it never parsed
    /// (it declares nothing).
    pub read_as_of: Option<Day>,
}

/// Per repository: each file's last content that parsed, and since when
/// a file has not.
#[derive(Debug, Default)]
pub struct LastParsed {
    files: HashMap<String, Kept>,
}

#[derive(Debug, Default)]
struct Kept {
    /// The last content that parsed, and the last day it did.
    good: Option<(String, Day)>,
    /// Its blob's SHA, when the files came with SHAs (the live collector's).
    good_sha: Option<String>,
    /// What it declared before is not known: it parsed, but the cache lost
    /// the blob, or it was first seen broken without a history.
    lost: bool,
    broken_since: Option<Day>,
}

/// A [`LastParsed`] as the live collector's cache keeps it: contents by
/// blob SHA (the cache holds the blobs).
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct Saved {
    files: BTreeMap<String, SavedFile>,
}

#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
struct SavedFile {
    #[serde(default)]
    sha: Option<String>,
    #[serde(default)]
    on: Option<Day>,
    #[serde(default)]
    broken_since: Option<Day>,
    /// What it declared before is not known (see `Kept::lost`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    unknown: bool,
}

impl Saved {
    /// The history back, each last good content read by its SHA; one the
    /// cache lost is no longer known.
    pub fn restore(self, blob: impl Fn(&str) -> Option<String>) -> LastParsed {
        let files = self
            .files
            .into_iter()
            .map(|(path, saved)| {
                let good = saved.sha.as_deref().and_then(&blob).zip(saved.on);
                let lost = saved.unknown || (good.is_none() && saved.sha.is_some());
                let good_sha = good.as_ref().and(saved.sha);
                (path, Kept { good, good_sha, lost, broken_since: saved.broken_since })
            })
            .collect();
        LastParsed { files }
    }
}

impl LastParsed {
    /// Reads `files` as of `day`: every file that does not parse is put
    /// back as it last parsed (or kept, declaring nothing, when it never
    /// did) and listed in `files.unparsed`; every file that parses is
    /// remembered. Version catalogs and other files manifests are read
    /// with go first, so that the manifests are then checked with them.
    ///
    /// `known_history`: this history saw the repository's files from their
    /// start (a backfill from the first commit, a cache that knew the
    /// repository); only then does a file with no good content declare
    /// nothing. Otherwise it is left for the coarser rule.
    pub fn settle(&mut self, files: &mut RepoFiles, day: Day, memo: &mut ParseMemo, known_history: bool) {
        files.unparsed.clear();
        self.files.retain(|path, _| files.contents.contains_key(path));
        let mut failed = std::collections::BTreeSet::new();
        for error in map::context_errors(files) {
            failed.insert(error.path.clone());
            self.fail(files, error, day, known_history);
        }
        for error in map::parse_errors(files, memo) {
            if failed.insert(error.path.clone()) {
                self.fail(files, error, day, known_history);
            }
        }
        let shas: HashMap<&str, &str> = files.snapshot.files.iter().map(|(p, s)| (p.as_str(), s.as_str())).collect();
        for (path, content) in &files.contents {
            if failed.contains(path) {
                continue;
            }
            let kept = self.files.entry(path.clone()).or_default();
            match &mut kept.good {
                Some((good, on)) if *good == *content => *on = day,
                _ => kept.good = Some((content.clone(), day)),
            }
            kept.good_sha = shas.get(path.as_str()).map(|s| s.to_string());
            kept.lost = false;
            kept.broken_since = None;
        }
    }

    /// What the live collector's cache keeps.
    pub fn saved(&self) -> Saved {
        let files = self
            .files
            .iter()
            .map(|(path, kept)| {
                let saved = SavedFile {
                    sha: kept.good_sha.clone(),
                    on: kept.good.as_ref().map(|(_, on)| *on),
                    broken_since: kept.broken_since,
                    unknown: kept.lost,
                };
                (path.clone(), saved)
            })
            .collect();
        Saved { files }
    }

    fn fail(&mut self, files: &mut RepoFiles, error: ParseError, day: Day, known_history: bool) {
        if !files.contents.contains_key(&error.path) {
            return;
        }
        let kept = self.files.entry(error.path.clone()).or_default();
        let since = *kept.broken_since.get_or_insert(day);
        if kept.good.is_none() && (kept.lost || !known_history) {
            kept.lost = true;
            return; // what it declared before is not known here
        }
        let read_as_of = kept.good.as_ref().map(|(content, good_on)| {
            files.contents.insert(error.path.clone(), content.clone());
            *good_on
        });
        let what = match error.line {
            Some(line) => format!("line {line}: {}", error.message),
            None => error.message,
        };
        files.unparsed.insert(error.path, Unparsed { error: what, since, read_as_of });
    }
}

/// The run warning for each unparsed file of a repository.
pub(super) fn warnings(repo_key: &str, unparsed: &BTreeMap<String, Unparsed>) -> Vec<String> {
    unparsed
        .iter()
        .map(|(path, u)| {
            let read = match u.read_as_of {
                Some(day) => format!("read as it last parsed, on {day}"),
                None => "it never parsed, so it declares nothing".to_string(),
            };
            format!("{repo_key}: {path} does not parse since {}: {}; {read}", u.since, u.error)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::github::api::Repo;
    use crate::github::cache::RepoSnapshot;

    fn files(package_json: &str) -> RepoFiles {
        let repo: Repo = serde_json::from_value(serde_json::json!({ "name": "billing" })).unwrap();
        let mut snapshot = RepoSnapshot::new(None, "main".into());
        snapshot.files = vec![("package.json".into(), "0a1b2c3d".into())];
        let contents = [("package.json".to_string(), package_json.to_string())].into();
        RepoFiles { repo, snapshot, contents, too_large: Vec::new(), unparsed: BTreeMap::new() }
    }

    const GOOD: &str = r#"{"name": "billing", "dependencies": {"lodash": "4.17.21"}}"#;

    #[test]
    fn a_file_that_stops_parsing_is_read_as_it_last_parsed_with_the_day_it_broke() {
        let (mut last, mut memo) = (LastParsed::default(), ParseMemo::default());
        last.settle(&mut files(GOOD), Day(100), &mut memo, true);
        for day in [Day(105), Day(106)] {
            let mut broken = files("{ not json");
            last.settle(&mut broken, day, &mut memo, true);
            assert_eq!(broken.contents["package.json"], GOOD);
            let unparsed = &broken.unparsed["package.json"];
            assert_eq!((unparsed.since, unparsed.read_as_of), (Day(105), Some(Day(100))), "on {day}");
        }
        let mut fixed = files(GOOD);
        last.settle(&mut fixed, Day(107), &mut memo, true);
        assert!(fixed.unparsed.is_empty());
    }

    /// The live collector's cache keeps SHAs; a blob it lost, or a file
    /// first seen broken, leaves what the file declared unknown.
    #[test]
    fn without_the_last_content_what_the_file_declared_is_unknown() {
        let (mut last, mut memo) = (LastParsed::default(), ParseMemo::default());
        last.settle(&mut files(GOOD), Day(100), &mut memo, true);
        let saved = last.saved();
        let mut restored = saved.clone().restore(|_| Some(GOOD.to_string()));
        let mut broken = files("{ not json");
        restored.settle(&mut broken, Day(101), &mut memo, true);
        assert_eq!(broken.unparsed["package.json"].read_as_of, Some(Day(100)), "the blob read back by its SHA");

        let mut lost = saved.restore(|_| None);
        let mut broken = files("{ not json");
        lost.settle(&mut broken, Day(101), &mut memo, true);
        assert!(broken.unparsed.is_empty(), "left for the coarser rule: {:?}", broken.unparsed);

        let mut first_sight = LastParsed::default();
        let mut broken = files("{ not json");
        first_sight.settle(&mut broken, Day(101), &mut memo, false);
        assert!(broken.unparsed.is_empty());
        let mut again = first_sight.saved().restore(|_| None);
        let mut broken = files("{ not json");
        again.settle(&mut broken, Day(102), &mut memo, true);
        assert!(broken.unparsed.is_empty(), "still unknown on the next run, though the history is known now");
    }
}
