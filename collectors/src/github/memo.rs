//! Parses remembered by file path and content, so a file read on many days
//! (a backfill replays years of history) is parsed once. The content's
//! hash, not a blob id, keys it: the live collector and a git backfill
//! share it, and a hash costs far less than any parse.

use std::collections::{BTreeMap, HashMap};

use xxhash_rust::xxh3::xxh3_64;

use crate::manifests::{self, catalog::CatalogEntry, declared::DeclaredWorkload, Manifest, ParseError};

#[derive(Default)]
pub struct ParseMemo {
    manifests: HashMap<(String, u64), Result<Manifest, ParseError>>,
    catalogs: HashMap<(String, u64), Result<Vec<CatalogEntry>, ParseError>>,
    /// Declared workloads depend on every YAML file of a tree together:
    /// keyed by the hash of all their paths and contents.
    declared: HashMap<u64, (Vec<DeclaredWorkload>, Vec<String>)>,
}

impl ParseMemo {
    pub fn manifest(&mut self, path: &str, content: &str) -> &Result<Manifest, ParseError> {
        self.manifests
            .entry((path.to_string(), xxh3_64(content.as_bytes())))
            .or_insert_with(|| manifests::parse(path, content))
    }

    pub fn catalog(&mut self, path: &str, content: &str) -> &Result<Vec<CatalogEntry>, ParseError> {
        self.catalogs
            .entry((path.to_string(), xxh3_64(content.as_bytes())))
            .or_insert_with(|| manifests::catalog::parse_catalog(path, content))
    }

    /// The workloads a tree's YAML files declare, and the warnings reading
    /// them gave.
    pub fn declared(&mut self, files: &BTreeMap<String, String>) -> &(Vec<DeclaredWorkload>, Vec<String>) {
        let mut key = Vec::new();
        for (path, content) in files.iter().filter(|(path, _)| manifests::declared::is_candidate(path)) {
            key.extend_from_slice(path.as_bytes());
            key.push(0);
            key.extend_from_slice(&xxh3_64(content.as_bytes()).to_le_bytes());
        }
        self.declared.entry(xxh3_64(&key)).or_insert_with(|| {
            let mut warnings = Vec::new();
            let found = manifests::declared::declared_workloads(files, &mut warnings);
            (found, warnings)
        })
    }
}
