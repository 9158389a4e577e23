//! Files that stop parsing. A repository whose one file is malformed is
//! otherwise well observed: the file is read as it last parsed, so exactly
//! what it declared carries forward, and everything else in the repository
//! is observed as it is (issue: one Helm `values.yaml` with a duplicate key
//! froze a whole repository for years). A file that never parsed declares
//! nothing. Either way the file is listed on the repository
//! ([`RepoFiles::unparsed`]), with the day it broke, and the run warns.
//!
//! This needs each file's history: the git backfill keeps a [`LastParsed`]
//! per repository across the days it replays. The live collector, which
//! sees one day, keeps the older, coarser rule: the service or repository
//! a malformed file speaks for is unobserved that day.

use std::collections::{BTreeMap, HashMap};

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
    broken_since: Option<Day>,
}

impl LastParsed {
    /// Reads `files` as of `day`: every file that does not parse is put
    /// back as it last parsed (or kept, declaring nothing, when it never
    /// did) and listed in `files.unparsed`; every file that parses is
    /// remembered. Version catalogs and other files manifests are read
    /// with go first, so that the manifests are then checked with them.
    pub fn settle(&mut self, files: &mut RepoFiles, day: Day, memo: &mut ParseMemo) {
        files.unparsed.clear();
        self.files.retain(|path, _| files.contents.contains_key(path));
        for error in map::context_errors(files) {
            self.fail(files, error, day);
        }
        for error in map::parse_errors(files, memo) {
            if !files.unparsed.contains_key(&error.path) {
                self.fail(files, error, day);
            }
        }
        for (path, content) in &files.contents {
            if !files.unparsed.contains_key(path) {
                let kept = self.files.entry(path.clone()).or_default();
                match &mut kept.good {
                    Some((good, on)) if *good == *content => *on = day,
                    _ => kept.good = Some((content.clone(), day)),
                }
                kept.broken_since = None;
            }
        }
    }

    fn fail(&mut self, files: &mut RepoFiles, error: ParseError, day: Day) {
        if !files.contents.contains_key(&error.path) {
            return;
        }
        let kept = self.files.entry(error.path.clone()).or_default();
        let since = *kept.broken_since.get_or_insert(day);
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
