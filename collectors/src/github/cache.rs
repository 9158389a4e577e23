//! What the GitHub collector remembers between runs, on disk, so that a
//! second sync of an unchanged organisation costs almost nothing:
//!
//! - `http/<hash>`: the ETag and body of each listing/tree/languages URL; a
//!   conditional request answered 304 reuses the body and costs no rate
//!   limit.
//! - `blobs/<sha>`: file contents by git blob SHA, which never change.
//! - `repos/<org>/<repo>.json`: what a repository held at its last
//!   `pushed_at`: languages and the SHAs of the files SPoT reads. A
//!   repository whose `pushed_at` did not move is not asked again.
//! - `parsed/<org>/<repo>.json`: the SHA of each file's last content that
//!   parsed, and since when it has not ([`super::unparsed`]).
//!
//! A cache that cannot be read is a miss, never an error; one that cannot
//! be written costs requests next time, and is logged.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::xxh3_64;

use super::unparsed::Saved;

/// Bumped when what a repository snapshot holds changes shape.
const SNAPSHOT_FORMAT: u32 = 2;

#[derive(Debug, Clone)]
pub struct Cache {
    dir: Option<PathBuf>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Cached {
    pub etag: String,
    pub body: String,
    /// The `Link` header of the answer: a 304 need not repeat it.
    #[serde(default)]
    pub link: Option<String>,
}

/// A repository as of one `pushed_at`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RepoSnapshot {
    pub format: u32,
    pub pushed_at: Option<String>,
    pub default_branch: String,
    /// Bytes of code per language, largest first.
    pub languages: Vec<(String, u64)>,
    /// The files SPoT reads: (path, blob SHA).
    pub files: Vec<(String, String)>,
    /// The tree listed more entries than the API returns at once.
    pub truncated: bool,
    /// The latest releases and tags, newest first.
    #[serde(default)]
    pub releases: Vec<ReleaseRef>,
}

/// A release or tag: its name, the commit it names and when it was
/// published (tags without a release have no date).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleaseRef {
    pub tag: String,
    pub commit: Option<String>,
    pub at: Option<String>,
}

impl RepoSnapshot {
    pub fn new(pushed_at: Option<String>, default_branch: String) -> RepoSnapshot {
        RepoSnapshot {
            format: SNAPSHOT_FORMAT,
            pushed_at,
            default_branch,
            languages: Vec::new(),
            files: Vec::new(),
            truncated: false,
            releases: Vec::new(),
        }
    }
}

impl Cache {
    /// A cache in `dir`, or none at all (every run reads everything).
    pub fn new(dir: Option<PathBuf>) -> Cache {
        Cache { dir }
    }

    fn path(&self, parts: &[&str]) -> Option<PathBuf> {
        let mut path = self.dir.clone()?;
        for part in parts {
            path.push(part);
        }
        Some(path)
    }

    fn response_path(&self, url: &str) -> Option<PathBuf> {
        self.path(&["http", &format!("{:016x}.json", xxh3_64(url.as_bytes()))])
    }

    /// Blobs by SHA, in folders by its first two characters; `None` for a
    /// name that is not a SHA (never a path outside the cache).
    fn blob_path(&self, sha: &str) -> Option<PathBuf> {
        is_sha(sha).then(|| self.path(&["blobs", &sha[..2], sha])).flatten()
    }

    fn parsed_path(&self, org: &str, repo: &str) -> Option<PathBuf> {
        self.path(&["parsed", &safe(org), &format!("{}.json", safe(repo))])
    }

    fn snapshot_path(&self, org: &str, repo: &str) -> Option<PathBuf> {
        self.path(&["repos", &safe(org), &format!("{}.json", safe(repo))])
    }

    pub fn response(&self, url: &str) -> Option<Cached> {
        serde_json::from_slice(&std::fs::read(self.response_path(url)?).ok()?).ok()
    }

    pub fn store_response(&self, url: &str, cached: &Cached) {
        if let Some(path) = self.response_path(url) {
            write(&path, &serde_json::to_vec(cached).unwrap_or_default());
        }
    }

    pub fn blob(&self, sha: &str) -> Option<String> {
        std::fs::read_to_string(self.blob_path(sha)?).ok()
    }

    pub fn store_blob(&self, sha: &str, content: &str) {
        if let Some(path) = self.blob_path(sha) {
            write(&path, content.as_bytes());
        }
    }

    pub fn snapshot(&self, org: &str, repo: &str) -> Option<RepoSnapshot> {
        let snapshot: RepoSnapshot =
            serde_json::from_slice(&std::fs::read(self.snapshot_path(org, repo)?).ok()?).ok()?;
        (snapshot.format == SNAPSHOT_FORMAT).then_some(snapshot)
    }

    /// Each file's last content that parsed, by blob SHA
    /// ([`super::unparsed`]); `None` for a repository not seen before.
    pub fn last_parsed(&self, org: &str, repo: &str) -> Option<Saved> {
        serde_json::from_slice(&std::fs::read(self.parsed_path(org, repo)?).ok()?).ok()
    }

    pub fn store_last_parsed(&self, org: &str, repo: &str, saved: &Saved) {
        if let Some(path) = self.parsed_path(org, repo) {
            write(&path, &serde_json::to_vec(saved).unwrap_or_default());
        }
    }

    pub fn store_snapshot(&self, org: &str, repo: &str, snapshot: &RepoSnapshot) {
        if let Some(path) = self.snapshot_path(org, repo) {
            write(&path, &serde_json::to_vec(snapshot).unwrap_or_default());
        }
    }
}

fn is_sha(sha: &str) -> bool {
    sha.len() >= 4 && sha.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A name as one path component: no separators, no `..`.
fn safe(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_ascii_alphanumeric() || "-_.".contains(c) { c } else { '_' })
        .collect::<String>()
        .replace("..", "__")
}

/// Writes through a temporary file and a rename, so a reader never sees half
/// a file.
fn write(path: &Path, bytes: &[u8]) {
    let result = (|| {
        std::fs::create_dir_all(path.parent().unwrap_or(Path::new(".")))?;
        let partial = path.with_extension(format!("partial-{}", std::process::id()));
        std::fs::write(&partial, bytes)?;
        std::fs::rename(&partial, path)
    })();
    if let Err(e) = result {
        tracing::warn!(cache.path = %path.display(), error = %e, "could not write the GitHub cache");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_survive_a_new_cache_on_the_same_folder() {
        let dir = std::env::temp_dir().join(format!("spot-gh-cache-{}", std::process::id()));
        let cache = Cache::new(Some(dir.clone()));
        cache.store_response(
            "https://x/orgs/acme/repos?page=1",
            &Cached { etag: "\"e1\"".into(), body: "[]".into(), link: None },
        );
        cache.store_blob("abcdef012345", "{\"name\":\"x\"}");
        let mut snapshot = RepoSnapshot::new(Some("2026-11-01T00:00:00Z".into()), "main".into());
        snapshot.files.push(("package.json".into(), "abcdef012345".into()));
        cache.store_snapshot("acme", "billing", &snapshot);

        let again = Cache::new(Some(dir.clone()));
        assert_eq!(again.response("https://x/orgs/acme/repos?page=1").unwrap().etag, "\"e1\"");
        assert!(again.response("https://x/orgs/acme/repos?page=2").is_none());
        assert_eq!(again.blob("abcdef012345").as_deref(), Some("{\"name\":\"x\"}"));
        assert_eq!(again.blob("../../etc/passwd"), None);
        assert_eq!(again.snapshot("acme", "billing"), Some(snapshot));
        assert_eq!(again.snapshot("acme", "../billing"), None);
        std::fs::remove_dir_all(dir).unwrap();
        assert!(Cache::new(None).blob("abcdef012345").is_none());
    }
}
