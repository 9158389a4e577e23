//! Parses remembered by file path and content, so a file read on many days
//! (a backfill replays years of history) is parsed once. The content's
//! hash, not a blob id, keys it: the live collector and a git backfill
//! share it, and a hash costs far less than any parse.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use xxhash_rust::xxh3::xxh3_64;

use crate::identity::{self, Artefact};
use crate::manifests::{
    self, catalog::CatalogRead, declared::DeclaredWorkload, Dependency, Manifest, ParseError, Published,
};
use crate::wiring::{self, Wiring};

/// What one folder's manifests say together.
#[derive(Debug, Default)]
pub struct FolderRead {
    /// (manifest path, package)
    pub publishes: Vec<(String, Published)>,
    /// The direct dependencies, lockfiles' resolutions merged in.
    pub direct: Vec<Dependency>,
    /// Files that did not parse.
    pub errors: Vec<ParseError>,
}

/// The workloads a tree's YAML files declare, and the files that did not
/// parse.
#[derive(Debug, Default)]
pub struct DeclaredRead {
    pub workloads: Vec<DeclaredWorkload>,
    pub errors: Vec<ParseError>,
}

#[derive(Default)]
pub struct ParseMemo {
    manifests: HashMap<(String, u64), Result<Manifest, ParseError>>,
    /// Folders by the hash of their manifests' paths and contents.
    folders: HashMap<u64, Arc<FolderRead>>,
    catalogs: HashMap<(String, u64), Result<CatalogRead, ParseError>>,
    /// Declared workloads depend on every YAML file of a tree together:
    /// keyed by the hash of all their paths and contents.
    declared: HashMap<u64, Arc<DeclaredRead>>,
    artefacts: HashMap<(String, u64), Result<Vec<Artefact>, ParseError>>,
    /// Wiring reads a tree's YAML and `.env` files together.
    wiring: HashMap<u64, Arc<Wiring>>,
}

/// One hash of the paths and contents of the files wiring reads.
fn wiring_key(files: &BTreeMap<String, String>) -> u64 {
    let mut key = Vec::new();
    for (path, content) in files.iter().filter(|(path, _)| wiring::repository::is_wiring_file(path)) {
        key.extend_from_slice(path.as_bytes());
        key.push(0);
        key.extend_from_slice(&xxh3_64(content.as_bytes()).to_le_bytes());
    }
    xxh3_64(&key)
}

/// One hash of files' paths and contents, and of the context files they
/// are read with.
fn files_key(files: &[(&str, &str)], context: &[(&str, &str)]) -> u64 {
    let mut key = Vec::new();
    for (path, content) in files.iter().chain([("", "")].iter()).chain(context) {
        key.extend_from_slice(path.as_bytes());
        key.push(0);
        key.extend_from_slice(&xxh3_64(content.as_bytes()).to_le_bytes());
    }
    xxh3_64(&key)
}

impl ParseMemo {
    /// One manifest, read with its context files (see [`files_key`]).
    fn manifest(&mut self, path: &str, content: &str, context: &[(&str, &str)]) -> &Result<Manifest, ParseError> {
        let key = if context.is_empty() { xxh3_64(content.as_bytes()) } else { files_key(&[(path, content)], context) };
        self.manifests.entry((path.to_string(), key)).or_insert_with(|| manifests::parse_in(path, content, context))
    }

    /// A folder's manifests (path, content), read together, with the files
    /// they are read with ([`manifests::context_files`]): parsed and merged
    /// once for each distinct state of those files.
    pub fn folder(&mut self, files: &[(&str, &str)], context: &[(&str, &str)]) -> Arc<FolderRead> {
        let key = files_key(files, context);
        if let Some(read) = self.folders.get(&key) {
            return read.clone();
        }
        let mut read = FolderRead::default();
        let mut parsed = Vec::new();
        for (path, content) in files {
            match self.manifest(path, content, context) {
                Ok(manifest) => {
                    read.publishes.extend(manifest.publishes.iter().map(|p| (path.to_string(), p.clone())));
                    parsed.push((path.to_string(), manifest.clone()));
                }
                Err(e) => read.errors.push(e.clone()),
            }
        }
        read.direct = manifests::merge_folder(parsed).into_iter().filter(|d| d.direct).collect();
        let read = Arc::new(read);
        self.folders.insert(key, read.clone());
        read
    }

    /// A catalog file, as [`manifests::catalog::parse_catalog`] reads it.
    pub fn catalog(&mut self, path: &str, content: &str) -> &Result<CatalogRead, ParseError> {
        self.catalogs
            .entry((path.to_string(), xxh3_64(content.as_bytes())))
            .or_insert_with(|| manifests::catalog::parse_catalog(path, content))
    }

    /// The artefacts a build descriptor declares ([`identity::artefacts_of`]).
    pub fn artefacts(&mut self, path: &str, content: &str) -> &Result<Vec<Artefact>, ParseError> {
        self.artefacts
            .entry((path.to_string(), xxh3_64(content.as_bytes())))
            .or_insert_with(|| identity::artefacts_of(path, content))
    }

    /// What a tree's YAML files declare, read once per distinct set of them.
    pub fn declared(&mut self, files: &BTreeMap<String, String>) -> Arc<DeclaredRead> {
        let mut key = Vec::new();
        for (path, content) in files.iter().filter(|(path, _)| manifests::declared::is_candidate(path)) {
            key.extend_from_slice(path.as_bytes());
            key.push(0);
            key.extend_from_slice(&xxh3_64(content.as_bytes()).to_le_bytes());
        }
        self.declared
            .entry(xxh3_64(&key))
            .or_insert_with(|| {
                let mut errors = Vec::new();
                let workloads = manifests::declared::declared_workloads(files, &mut errors);
                Arc::new(DeclaredRead { workloads, errors })
            })
            .clone()
    }

    /// What a tree's YAML files wire together ([`wiring::repository::read`]).
    pub fn wiring(&mut self, files: &BTreeMap<String, String>) -> Arc<Wiring> {
        self.wiring.entry(wiring_key(files)).or_insert_with(|| Arc::new(wiring::repository::read(files))).clone()
    }
}
