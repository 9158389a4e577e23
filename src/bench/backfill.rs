//! `spot bench backfill`: `spot backfill git` on a repository's whole
//! history into a fresh SQLite store, timed end to end (git reads, parses,
//! ingest). Without `--repo`, on a generated microservices repository the
//! size of the target's (see `git_history`).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;

use super::git_history::{self, Shape};
use super::round3;
use crate::backfill::{self, Quiet};
use crate::store::Store;
use crate::SqliteStore;

const TARGET_BACKFILL_S: f64 = 20.0;

pub struct Options {
    /// A real repository to replay; a generated one when `None`.
    pub repo: Option<PathBuf>,
    pub shape: Shape,
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub repository: String,
    /// Commits and years of the generated repository (0 for a given one).
    pub commits: usize,
    pub years: u32,
    pub generate_s: f64,
    pub days_replayed: usize,
    pub backfill_s: f64,
    pub versions_written: u64,
    pub versions_closed: u64,
    pub db_bytes: u64,
    pub warnings: usize,
    /// Distinct blobs the backfill read (each once), and their size.
    pub distinct_blobs_read: usize,
    pub blob_mb: f64,
    /// The same blobs read by `git cat-file --batch`: the floor for any
    /// reader on this machine (`None` without a `git` on the PATH).
    pub git_cat_file_s: Option<f64>,
    pub target_backfill_s: f64,
}

pub async fn run(options: &Options) -> anyhow::Result<Report> {
    let dir = tempfile::TempDir::with_prefix("spot-bench-backfill-")?;
    let generated = Instant::now();
    let (repo, commits, years) = match &options.repo {
        Some(path) => (path.clone(), 0, 0),
        None => {
            let path = dir.path().join("boutique");
            let shape = options.shape;
            let path_for_thread = path.clone();
            tokio::task::spawn_blocking(move || git_history::generate(&path_for_thread, shape)).await??;
            // A clone's objects are packed, with deltas: read like one.
            let _ = std::process::Command::new("git").arg("-C").arg(&path).args(["gc", "--quiet"]).status();
            (path, shape.commits, shape.years)
        }
    };
    let generate_s = generated.elapsed().as_secs_f64();
    let db = dir.path().join("spot.db");
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&db)?);
    let backfill_options = backfill::Options {
        paths: vec![repo.clone()],
        since: None,
        until: None,
        max_file_bytes: 5 << 20,
        identity: Default::default(),
        ingest: Default::default(),
    };
    let started = Instant::now();
    let summaries = backfill::backfill(store.clone(), &backfill_options, &Quiet).await?;
    let backfill_s = started.elapsed().as_secs_f64();
    drop(store);
    let summary = summaries.first().ok_or_else(|| anyhow::anyhow!("nothing was replayed"))?;
    Ok(Report {
        repository: options.repo.as_ref().map_or_else(|| "generated".into(), |p| p.display().to_string()),
        commits,
        years,
        generate_s: round3(generate_s),
        days_replayed: summary.days,
        backfill_s: round3(backfill_s),
        versions_written: summary.versions_written(),
        versions_closed: summary.counts.closed,
        db_bytes: file_bytes(&db),
        warnings: summary.warnings.len(),
        distinct_blobs_read: summary.read.blobs,
        blob_mb: round3(summary.read.bytes as f64 / 1e6),
        git_cat_file_s: cat_file_seconds(&summary.read.blob_ids).map(round3),
        target_backfill_s: TARGET_BACKFILL_S,
    })
}

/// Times `git cat-file --batch` reading `blobs` of each repository.
fn cat_file_seconds(blobs: &[(PathBuf, Vec<String>)]) -> Option<f64> {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let started = Instant::now();
    for (repo, ids) in blobs {
        let mut child = Command::new("git")
            .arg("-C")
            .arg(repo)
            .args(["cat-file", "--batch"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .ok()?;
        let mut stdin = child.stdin.take()?;
        let input = ids.join("\n") + "\n";
        let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
        let output = child.wait_with_output().ok()?;
        writer.join().ok()?.ok()?;
        if !output.status.success() {
            return None;
        }
    }
    Some(started.elapsed().as_secs_f64())
}

/// The store's bytes, its write-ahead log included.
fn file_bytes(db: &std::path::Path) -> u64 {
    let wal = db.with_extension("db-wal");
    [db.to_path_buf(), wal].iter().filter_map(|p| std::fs::metadata(p).ok()).map(|m| m.len()).sum()
}
