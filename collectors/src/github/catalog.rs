//! Which catalog files each repository holds, read as Backstage reads a
//! catalog: from its entry points (`catalog-info.yaml`, `.spot.yaml`, and
//! any YAML file holding a `Location`), following every `Location`'s
//! targets, in the same repository or in another repository of the
//! organisation, whatever the files are called. Each file is read once.
//!
//! What cannot be read is a finding with its file and line, never the end
//! of a run: an entity Backstage would refuse, a target that names no
//! file, a URL outside the organisation, and a file of Backstage entities
//! that nothing reaches (a central catalog whose Locations are missing).

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use super::map::{CatalogService, OrgContext};
use super::memo::ParseMemo;
use super::sync::RepoFiles;
use crate::manifests::catalog::backstage::{self, Entity, Kind};
use crate::manifests::catalog::location::{self, Target};
use crate::manifests::catalog::{is_catalog_file, CatalogEntry};
use crate::manifests::{declared, ParseError};
use crate::untrusted::quote;

/// One repository's catalog.
#[derive(Debug, Default)]
pub(super) struct RepoCatalog {
    /// Its components (and `.spot.yaml` services), for service identity.
    pub entries: Vec<CatalogService>,
    /// Every Backstage entity its files declare.
    pub entities: Vec<Entity>,
    /// What was left out or not followed, each with its file and line.
    pub findings: Vec<ParseError>,
    /// A catalog file did not parse, and its history does not settle it.
    pub failed: bool,
    read: BTreeSet<String>,
}

/// A file to read, and the Location that points to it.
struct Pending {
    repo: usize,
    path: String,
    from: Option<Pointer>,
}

/// Where a Location names a target: its repository, file and line.
#[derive(Clone)]
struct Pointer {
    repo: usize,
    file: String,
    line: usize,
    target: String,
}

/// Every repository's catalog, Locations followed across the organisation.
pub(super) fn read(
    context: &OrgContext,
    repos: &[&RepoFiles],
    memo: &mut ParseMemo,
    warnings: &mut Vec<String>,
) -> Vec<RepoCatalog> {
    let mut reader = Reader {
        context,
        repos,
        by_name: repos.iter().enumerate().map(|(i, r)| (r.repo.name.to_lowercase(), i)).collect(),
        catalogs: repos.iter().map(|_| RepoCatalog::default()).collect(),
        queue: VecDeque::new(),
    };
    for (i, files) in repos.iter().enumerate() {
        for (path, _) in files.contents.iter().filter(|(p, c)| is_entry_point(p, c)) {
            reader.queue.push_back(Pending { repo: i, path: path.clone(), from: None });
        }
    }
    while let Some(pending) = reader.queue.pop_front() {
        reader.read_file(pending, memo, warnings);
    }
    for (files, catalog) in repos.iter().zip(&mut reader.catalogs) {
        catalog.findings.extend(unreached(files, &catalog.read));
    }
    reader.catalogs
}

struct Reader<'a> {
    context: &'a OrgContext<'a>,
    repos: &'a [&'a RepoFiles],
    by_name: BTreeMap<String, usize>,
    catalogs: Vec<RepoCatalog>,
    queue: VecDeque<Pending>,
}

impl Reader<'_> {
    /// Reads one file (once), and queues what its Locations point to.
    fn read_file(&mut self, Pending { repo, path, from }: Pending, memo: &mut ParseMemo, warnings: &mut Vec<String>) {
        if self.catalogs[repo].read.contains(&path) {
            return;
        }
        let files = self.repos[repo];
        let Some(content) = files.contents.get(&path) else {
            if let Some(from) = from {
                let problem = format!("names no YAML file in {}", files.repo.name);
                self.not_followed(&from, &problem);
            }
            return;
        };
        self.catalogs[repo].read.insert(path.clone());
        let read = match memo.catalog(&path, content) {
            Ok(read) => read.clone(),
            // It never parsed: it declares nothing, and says so once.
            Err(e) if files.unparsed.contains_key(&e.path) => return,
            Err(e) => {
                let repo_key = super::map::repo_key(self.context.host, self.context.org, &files.repo.name);
                warnings.push(format!("{repo_key}: {e}; skipped"));
                self.catalogs[repo].failed = true;
                return;
            }
        };
        for location in read.entities.iter().filter(|e| e.kind == Kind::Location) {
            for target in &location.targets {
                let from = Pointer { repo, file: location.file.clone(), line: location.line, target: target.clone() };
                self.follow(from);
            }
        }
        let catalog = &mut self.catalogs[repo];
        catalog.findings.extend(read.invalid);
        catalog.entries.extend(read.entries.into_iter().map(|entry| service_of(entry, self.context.host)));
        catalog.entities.extend(read.entities);
    }

    /// Queues the file a Location's target names, or says why not.
    fn follow(&mut self, from: Pointer) {
        let (host, org) = (self.context.host, self.context.org);
        match location::resolve(&from.file, &from.target, host, org) {
            Ok(Target::Here(path)) => self.queue.push_back(Pending { repo: from.repo, path, from: Some(from) }),
            Ok(Target::Repo { repo: name, path }) => match self.by_name.get(&name.to_lowercase()) {
                Some(&other) => self.queue.push_back(Pending { repo: other, path, from: Some(from) }),
                None => self.not_followed(&from, &format!("is in {}, a repository not observed", quote(&name))),
            },
            Err(problem) => self.not_followed(&from, &problem),
        }
    }

    fn not_followed(&mut self, from: &Pointer, problem: &str) {
        self.catalogs[from.repo].findings.push(ParseError {
            path: from.file.clone(),
            line: Some(from.line),
            message: format!("the Location's target {} {problem}: not followed", quote(&from.target)),
        });
    }
}

/// Where a repository's catalog starts: its catalog files, and any YAML
/// file holding a `Location` (a central catalog's `all.yaml`).
fn is_entry_point(path: &str, content: &str) -> bool {
    is_catalog_file(path) || (declared::is_candidate(path) && backstage::holds_location(content))
}

/// Files of Backstage entities that no entry point reaches: not read, and
/// said so, since a catalog that reads as empty would otherwise be silent.
/// Examples and test data (a Backstage app's own `examples/`) are not
/// meant to be read: nothing is said of them.
fn unreached(files: &RepoFiles, read: &BTreeSet<String>) -> Vec<ParseError> {
    files
        .contents
        .iter()
        .filter(|(path, content)| {
            !read.contains(*path)
                && declared::is_candidate(path)
                && !crate::identity::naming::is_tooling(crate::manifests::folder_of(path))
                && backstage::mentions_backstage(content)
        })
        .map(|(path, _)| {
            ParseError::new(
                path,
                "declares Backstage entities, but no catalog-info.yaml and no Location reaches it: not read \
                 (add it to a Location's targets)",
            )
        })
        .collect()
}

/// A catalog entry in the collector's terms; a component's links include
/// those its annotations imply (its repository, its TechDocs).
fn service_of(entry: CatalogEntry, host: &str) -> CatalogService {
    let mut links = entry.links;
    links.extend(super::backstage::annotation_links(&entry.annotations, host));
    CatalogService {
        name: entry.name,
        kind: entry.kind,
        owner: entry.owner,
        lifecycle: entry.lifecycle,
        system: entry.system,
        depends_on: entry.depends_on,
        aliases: entry.aliases,
        links,
        annotations: entry.annotations,
        folder: entry.folder,
        path: entry.file,
    }
}
