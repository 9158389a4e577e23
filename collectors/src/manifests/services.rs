//! Which folders of a repository's tree are services, from its file paths
//! alone.
//!
//! A folder is a service when it holds
//!
//! - a catalog file (`catalog-info.yaml`, `.spot.yaml`): the repository
//!   says so; or
//! - a dependency manifest and a `Dockerfile` (or `Containerfile`): code
//!   with its own dependencies that is built into an image.
//!
//! A folder with only a manifest is a library or a workspace member, and
//! one with only a Dockerfile is tooling; neither is a service by itself.
//! When no folder qualifies, the repository is one service at its root
//! (named after the repository by convention; the caller names it), using
//! every manifest in the tree.
//!
//! Each service lists the manifests and lockfiles of its own folder. A
//! service folder without manifests of its own (a Go monorepo's
//! `cmd/billing` with one `go.mod` at the root) uses the nearest
//! ancestor's; one whose manifests have no lockfile of their ecosystem
//! beside them (a workspace member) also gets the nearest ancestor's
//! lockfile of that ecosystem, which [`merge_folder`](super::merge_folder)
//! uses for versions only. Vendored paths ([`is_vendored`]) are ignored.
//!
//! A catalog file may describe several services, or none (a Backstage file
//! holding only a `System`); reading it is the caller's, with
//! [`parse_catalog`](super::catalog::parse_catalog), whose entries name
//! their own folders.

use std::collections::{BTreeMap, BTreeSet};

use super::catalog::is_catalog_file;
use super::{detect, file_name, folder_of, is_vendored, Ecosystem};

/// A folder that is a service, and the files that describe it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceFolder {
    /// Relative to the repository root; `""` is the root.
    pub folder: String,
    /// Manifests and lockfiles to parse and merge for its dependencies.
    pub manifests: Vec<String>,
    pub catalog: Option<String>,
    pub dockerfile: Option<String>,
}

#[derive(Default)]
struct Folder {
    manifests: Vec<String>,
    lockfiles: Vec<(Ecosystem, String)>,
    catalog: Option<String>,
    dockerfile: Option<String>,
}

fn is_dockerfile(name: &str) -> bool {
    name == "Dockerfile" || name == "Containerfile"
}

/// The service folders of a tree, given every file path in it.
pub fn service_folders(paths: &[String]) -> Vec<ServiceFolder> {
    let mut folders: BTreeMap<&str, Folder> = BTreeMap::new();
    for path in paths.iter().filter(|p| !is_vendored(p)) {
        let name = file_name(path);
        let folder = folders.entry(folder_of(path)).or_default();
        if let Some(kind) = detect(path) {
            if kind.is_lockfile() {
                folder.lockfiles.push((kind.ecosystem(), path.clone()));
            } else {
                folder.manifests.push(path.clone());
            }
        } else if is_catalog_file(path) {
            // Two catalog files in one folder: the first in path order.
            if folder.catalog.as_ref().is_none_or(|c| path < c) {
                folder.catalog = Some(path.clone());
            }
        } else if is_dockerfile(name) {
            folder.dockerfile = Some(path.clone());
        }
    }
    let qualifies = |f: &Folder| f.catalog.is_some() || (!f.manifests.is_empty() && f.dockerfile.is_some());
    let chosen: Vec<&str> = folders.iter().filter(|(_, f)| qualifies(f)).map(|(name, _)| *name).collect();
    if chosen.is_empty() {
        let mut manifests: Vec<String> = folders
            .values()
            .flat_map(|f| f.manifests.iter().cloned().chain(f.lockfiles.iter().map(|(_, p)| p.clone())))
            .collect();
        if manifests.is_empty() {
            return Vec::new();
        }
        manifests.sort();
        let root = folders.get("");
        return vec![ServiceFolder {
            folder: String::new(),
            manifests,
            catalog: root.and_then(|f| f.catalog.clone()),
            dockerfile: root.and_then(|f| f.dockerfile.clone()),
        }];
    }
    chosen.into_iter().map(|name| service(&folders, name)).collect()
}

fn service(folders: &BTreeMap<&str, Folder>, name: &str) -> ServiceFolder {
    let own = &folders[name];
    let mut files: BTreeSet<String> = own.manifests.iter().cloned().collect();
    files.extend(own.lockfiles.iter().map(|(_, p)| p.clone()));
    if files.is_empty() {
        // No manifests here: the nearest ancestor's, lockfiles included.
        if let Some(ancestor) = ancestors(name).filter_map(|a| folders.get(a)).find(|f| !f.manifests.is_empty()) {
            files.extend(ancestor.manifests.iter().cloned());
            files.extend(ancestor.lockfiles.iter().map(|(_, p)| p.clone()));
        }
    } else {
        let ecosystems: BTreeSet<Ecosystem> =
            own.manifests.iter().filter_map(|m| detect(m)).map(|k| k.ecosystem()).collect();
        for ecosystem in ecosystems {
            if own.lockfiles.iter().any(|(e, _)| *e == ecosystem) {
                continue;
            }
            let nearest = ancestors(name)
                .filter_map(|a| folders.get(a))
                .map(|f| {
                    f.lockfiles.iter().filter(|(e, _)| *e == ecosystem).map(|(_, p)| p.clone()).collect::<Vec<_>>()
                })
                .find(|found| !found.is_empty());
            files.extend(nearest.unwrap_or_default());
        }
    }
    ServiceFolder {
        folder: name.to_string(),
        manifests: files.into_iter().collect(),
        catalog: own.catalog.clone(),
        dockerfile: own.dockerfile.clone(),
    }
}

/// The folders above `folder`, nearest first, ending with the root `""`.
fn ancestors(folder: &str) -> impl Iterator<Item = &str> {
    let mut current = Some(folder);
    std::iter::from_fn(move || {
        let here = current?;
        if here.is_empty() {
            current = None;
            return None;
        }
        let parent = folder_of(here);
        current = Some(parent);
        Some(parent)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ancestors_nearest_first() {
        assert_eq!(ancestors("a/b/c").collect::<Vec<_>>(), ["a/b", "a", ""]);
        assert_eq!(ancestors("").count(), 0);
    }
}
