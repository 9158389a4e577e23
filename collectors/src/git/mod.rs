//! History from local git repositories: the backfill replays the default
//! branch day by day through the same mapping as the live GitHub
//! collector, so its observations carry the same keys in the same scope.

pub mod identity;
pub mod renames;
pub mod replay;
pub mod repo;

use std::path::Path;

pub use identity::RepoIdentity;
pub use replay::{OrgReplay, ReadStats, ReplayDay};
pub use repo::{DayCommit, GitRepo, TreeFile};

/// A repository that cannot be read, with what was being done.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {doing}: {message}")]
pub struct GitError {
    pub path: String,
    pub doing: String,
    pub message: String,
}

impl GitError {
    fn open(path: &Path, e: git2::Error) -> GitError {
        GitError::at(path, "not a git repository (or unreadable)", e)
    }

    fn at(path: &Path, doing: &str, e: git2::Error) -> GitError {
        GitError { path: path.display().to_string(), doing: doing.into(), message: e.message().to_string() }
    }
}
