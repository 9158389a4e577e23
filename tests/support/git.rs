//! Real git repositories for backfill tests and the backfill benchmark:
//! files written, committed with the dates a test chooses.

use std::path::{Path, PathBuf};

use git2::{IndexAddOption, Repository, Signature, Time};

pub struct TestRepo {
    pub path: PathBuf,
    repo: Repository,
}

impl TestRepo {
    /// A new repository in `parent/name` whose `origin` is
    /// `https://github.com/<org>/<name>.git` (never fetched).
    pub fn new(parent: &Path, org: &str, name: &str) -> TestRepo {
        TestRepo::with_origin(parent, name, &format!("https://github.com/{org}/{name}.git"))
    }

    pub fn with_origin(parent: &Path, name: &str, origin: &str) -> TestRepo {
        let path = parent.join(name);
        let repo = Repository::init(&path).unwrap();
        repo.remote("origin", origin).unwrap();
        TestRepo { path, repo }
    }

    /// Writes (`Some`) or deletes (`None`) files, then commits them all at
    /// `date` (`YYYY-MM-DD`) plus `hour`.
    pub fn commit(&self, date: &str, hour: u32, files: &[(&str, Option<&str>)]) {
        for (path, content) in files {
            let full = self.path.join(path);
            match content {
                Some(content) => {
                    std::fs::create_dir_all(full.parent().unwrap()).unwrap();
                    std::fs::write(&full, content).unwrap();
                }
                None => std::fs::remove_file(&full).unwrap(),
            }
        }
        let mut index = self.repo.index().unwrap();
        index.add_all(["*"], IndexAddOption::DEFAULT, None).unwrap();
        index.update_all(["*"], None).unwrap();
        index.write().unwrap();
        let tree = self.repo.find_tree(index.write_tree().unwrap()).unwrap();
        let day = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap();
        let seconds = day.and_hms_opt(hour, 0, 0).unwrap().and_utc().timestamp();
        let who = Signature::new("Dev", "dev@example.com", &Time::new(seconds, 0)).unwrap();
        let parent = self.repo.head().ok().and_then(|h| h.peel_to_commit().ok());
        let parents: Vec<&git2::Commit> = parent.iter().collect();
        self.repo.commit(Some("HEAD"), &who, &who, &format!("change on {date}"), &tree, &parents).unwrap();
    }

    /// Tags the last commit `name` (a lightweight tag); its commit id.
    pub fn tag(&self, name: &str) -> String {
        let head = self.repo.head().unwrap().peel_to_commit().unwrap();
        self.repo.tag_lightweight(name, head.as_object(), false).unwrap();
        head.id().to_string()
    }

    /// Moves a file or folder, as `git mv` would, without committing.
    pub fn rename(&self, from: &str, to: &str) {
        let target = self.path.join(to);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::rename(self.path.join(from), target).unwrap();
    }
}
