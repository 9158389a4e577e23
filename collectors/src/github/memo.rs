//! Parses remembered by file path and content, so a file read on many days
//! (a backfill replays years of history) is parsed once. The content's
//! hash, not a blob id, keys it: the live collector and a git backfill
//! share it, and a hash costs far less than any parse.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use xxhash_rust::xxh3::xxh3_64;

use crate::identity::{self, Artefact};
use crate::manifests::{
    self, catalog::CatalogEntry, declared::DeclaredWorkload, Dependency, Manifest, ParseError, Published,
};

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

/// The workloads a tree's YAML files declare, and the warnings reading
/// them gave.
#[derive(Debug, Default)]
pub struct DeclaredRead {
    pub workloads: Vec<DeclaredWorkload>,
    pub warnings: Vec<String>,
}

#[derive(Default)]
pub struct ParseMemo {
    manifests: HashMap<(String, u64), Result<Manifest, ParseError>>,
    /// Folders by the hash of their manifests' paths and contents.
    folders: HashMap<u64, Arc<FolderRead>>,
    catalogs: HashMap<(String, u64), Result<Vec<CatalogEntry>, ParseError>>,
    /// Declared workloads depend on every YAML file of a tree together:
    /// keyed by the hash of all their paths and contents.
    declared: HashMap<u64, Arc<DeclaredRead>>,
    artefacts: HashMap<(String, u64), Result<Vec<Artefact>, ParseError>>,
}

impl ParseMemo {
    fn manifest(&mut self, path: &str, content: &str) -> &Result<Manifest, ParseError> {
        self.manifests
            .entry((path.to_string(), xxh3_64(content.as_bytes())))
            .or_insert_with(|| manifests::parse(path, content))
    }

    /// A folder's manifests (path, content), read together: parsed and
    /// merged once for each distinct state of the folder.
    pub fn folder(&mut self, files: &[(&str, &str)]) -> Arc<FolderRead> {
        let mut key = Vec::new();
        for (path, content) in files {
            key.extend_from_slice(path.as_bytes());
            key.push(0);
            key.extend_from_slice(&xxh3_64(content.as_bytes()).to_le_bytes());
        }
        let key = xxh3_64(&key);
        if let Some(read) = self.folders.get(&key) {
            return read.clone();
        }
        let mut read = FolderRead::default();
        let mut parsed = Vec::new();
        for (path, content) in files {
            match self.manifest(path, content) {
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

    pub fn catalog(&mut self, path: &str, content: &str) -> &Result<Vec<CatalogEntry>, ParseError> {
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
                let mut warnings = Vec::new();
                let workloads = manifests::declared::declared_workloads(files, &mut warnings);
                Arc::new(DeclaredRead { workloads, warnings })
            })
            .clone()
    }
}
