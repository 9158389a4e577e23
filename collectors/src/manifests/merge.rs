//! One folder's manifests and lockfiles as one list of dependencies: one
//! per package, as a `uses` relation wants.

use std::cmp::Ordering;
use std::collections::HashMap;

use super::versions;
use super::{detect, folder_of, Dependency, Ecosystem, Manifest};

/// Combines what a folder's files say into one dependency per (ecosystem,
/// package):
///
/// - Each package a manifest declares keeps its declared spec and gains the
///   lockfile's resolved version: the lockfile entry that satisfies the
///   spec, preferring one the lockfile marks direct, then the highest (a
///   lockfile may hold several versions of one package). Other copies of a
///   declared package are not listed again.
/// - A package declared twice (a peer and a dev dependency, or in
///   `pyproject.toml` and `requirements.txt`) is listed once, with the
///   strongest scope (runtime, optional, build, dev, test) and the first
///   spec given.
/// - Packages only in a lockfile (transitive ones) are listed with the
///   lockfile's scope, `spec: None` and `direct: false` (unless the
///   lockfile itself records them as declared), one per package: the
///   lowest version present, the one most behind. They are listed only
///   when the lockfile sits in the folder of a manifest of its ecosystem,
///   or no manifest of that ecosystem was given: a workspace member's
///   folder may be merged with the root lockfile to learn its versions
///   without taking on the whole workspace's transitive packages.
///
/// Which files are lockfiles is known from their paths ([`detect`]); a
/// `requirements*.txt` beside the `.in` file of the same name is one too:
/// pip-compile's or uv's output, whose input declares what is direct.
pub fn merge_folder(manifests: Vec<(String, Manifest)>) -> Vec<Dependency> {
    let mut declared: Vec<Dependency> = Vec::new();
    let mut index: HashMap<(Ecosystem, String), usize> = HashMap::new();
    let mut locks: Vec<(String, Dependency)> = Vec::new();
    let paths: Vec<String> = manifests.iter().map(|(path, _)| path.clone()).collect();
    for (path, manifest) in manifests {
        let compiled = compiled_from_input(&path, &paths);
        let is_lock = compiled || detect(&path).is_some_and(|k| k.is_lockfile());
        for mut dep in manifest.dependencies {
            // The input declares (its spec is what was asked for); the
            // compiled output only resolved.
            if compiled {
                dep.direct = false;
                dep.spec = None;
            }
            if is_lock {
                locks.push((path.clone(), dep));
                continue;
            }
            let key = (dep.ecosystem, name_key(&dep));
            match index.get(&key) {
                Some(&i) => absorb(&mut declared[i], dep),
                None => {
                    index.insert(key, declared.len());
                    declared.push(dep);
                }
            }
        }
    }

    // Lockfile entries by package, in the order the lockfiles list them.
    let mut candidates: HashMap<(Ecosystem, String), Vec<usize>> = HashMap::new();
    for (i, (_, dep)) in locks.iter().enumerate() {
        candidates.entry((dep.ecosystem, name_key(dep))).or_default().push(i);
    }
    let mut consumed = vec![false; locks.len()];
    for dep in &mut declared {
        let Some(found) = candidates.get(&(dep.ecosystem, name_key(dep))) else { continue };
        for &i in found {
            consumed[i] = true;
        }
        if dep.resolved.is_some() {
            continue; // the manifest pins it already
        }
        let fitting: Vec<&Dependency> = found
            .iter()
            .map(|&i| &locks[i].1)
            .filter(|lock| {
                let (Some(spec), Some(version)) = (&dep.spec, &lock.resolved) else { return true };
                versions::satisfies(dep.ecosystem, spec, version) != Some(false)
            })
            .collect();
        let best = fitting.into_iter().max_by(|a, b| {
            a.direct.cmp(&b.direct).then_with(|| version_order(dep.ecosystem, &a.resolved, &b.resolved))
        });
        if let Some(best) = best {
            dep.resolved = best.resolved.clone();
            if dep.spec.is_none() {
                dep.spec = best.spec.clone();
            }
        }
    }

    // Lockfile-only packages: one per package, the lowest version.
    let manifest_folders: Vec<(Ecosystem, &str)> =
        declared.iter().map(|d| (d.ecosystem, folder_of(&d.manifest))).collect();
    let mut lock_only: Vec<Dependency> = Vec::new();
    let mut lock_index: HashMap<(Ecosystem, String), usize> = HashMap::new();
    for (i, (path, dep)) in locks.iter().enumerate() {
        if consumed[i] {
            continue;
        }
        let has_manifest = manifest_folders.iter().any(|(e, _)| *e == dep.ecosystem);
        let beside_manifest = manifest_folders.iter().any(|(e, f)| *e == dep.ecosystem && *f == folder_of(path));
        if has_manifest && !beside_manifest {
            continue;
        }
        let key = (dep.ecosystem, name_key(dep));
        match lock_index.get(&key) {
            Some(&j) => {
                let kept = &mut lock_only[j];
                let replace = (dep.direct && !kept.direct)
                    || (dep.direct == kept.direct
                        && version_order(dep.ecosystem, &dep.resolved, &kept.resolved) == Ordering::Less);
                if dep.scope.strength() > kept.scope.strength() {
                    kept.scope = dep.scope;
                }
                if replace {
                    let scope = kept.scope;
                    *kept = dep.clone();
                    kept.scope = scope;
                    if !kept.direct {
                        kept.spec = None;
                    }
                }
            }
            None => {
                lock_index.insert(key, lock_only.len());
                let mut dep = dep.clone();
                if !dep.direct {
                    dep.spec = None;
                }
                lock_only.push(dep);
            }
        }
    }
    declared.extend(lock_only);
    declared
}

/// Whether `path` is a `.txt` compiled from a `.in` of the same name among
/// `paths` (`requirements.in` → `requirements.txt`).
fn compiled_from_input(path: &str, paths: &[String]) -> bool {
    detect(path) == Some(super::ManifestKind::Requirements)
        && path.strip_suffix(".txt").is_some_and(|stem| paths.iter().any(|p| p.strip_suffix(".in") == Some(stem)))
}

/// NuGet ids compare without case; every other name is already normalised.
fn name_key(dep: &Dependency) -> String {
    match dep.ecosystem {
        Ecosystem::Nuget => dep.name.to_ascii_lowercase(),
        _ => dep.name.clone(),
    }
}

/// A second declaration of the same package.
fn absorb(kept: &mut Dependency, dep: Dependency) {
    if dep.scope.strength() > kept.scope.strength() {
        kept.scope = dep.scope;
    }
    if kept.spec.is_none() && dep.spec.is_some() {
        kept.spec = dep.spec;
    }
    if kept.resolved.is_none() && dep.resolved.is_some() {
        kept.resolved = dep.resolved;
    }
    kept.direct |= dep.direct;
}

/// Versions in their ecosystem's order; ones that do not parse order by
/// their text, after the ones that do.
fn version_order(ecosystem: Ecosystem, a: &Option<String>, b: &Option<String>) -> Ordering {
    match (a, b) {
        (Some(a), Some(b)) => versions::compare(ecosystem, a, b).unwrap_or_else(|| a.cmp(b)),
        (a, b) => a.is_some().cmp(&b.is_some()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifests::{DepScope, Manifest};

    fn dep(
        ecosystem: Ecosystem,
        name: &str,
        spec: Option<&str>,
        resolved: Option<&str>,
        direct: bool,
        path: &str,
    ) -> Dependency {
        Dependency {
            ecosystem,
            name: name.into(),
            spec: spec.map(str::to_string),
            resolved: resolved.map(str::to_string),
            scope: DepScope::Runtime,
            direct,
            manifest: path.into(),
            role: None,
            managed_by: None,
        }
    }

    fn file(path: &str, deps: Vec<Dependency>) -> (String, Manifest) {
        (path.to_string(), Manifest { dependencies: deps, ..Manifest::default() })
    }

    #[test]
    fn nuget_ids_match_without_case() {
        let merged = merge_folder(vec![
            file(
                "A.csproj",
                vec![dep(Ecosystem::Nuget, "Newtonsoft.Json", Some("[13.0,14.0)"), None, true, "A.csproj")],
            ),
            file(
                "packages.lock.json",
                vec![dep(Ecosystem::Nuget, "newtonsoft.json", None, Some("13.0.3"), true, "packages.lock.json")],
            ),
        ]);
        assert_eq!(merged.len(), 1);
        assert_eq!((merged[0].name.as_str(), merged[0].resolved.as_deref()), ("Newtonsoft.Json", Some("13.0.3")));
    }

    #[test]
    fn a_lockfile_elsewhere_gives_versions_but_not_its_other_packages() {
        let lock = vec![
            dep(Ecosystem::Cargo, "serde", None, Some("1.0.200"), true, "Cargo.lock"),
            dep(Ecosystem::Cargo, "itoa", None, Some("1.0.11"), false, "Cargo.lock"),
        ];
        let member = dep(Ecosystem::Cargo, "serde", Some("1"), None, true, "crates/a/Cargo.toml");
        let merged = merge_folder(vec![file("crates/a/Cargo.toml", vec![member]), file("Cargo.lock", lock.clone())]);
        assert_eq!(merged.len(), 1);
        assert_eq!(merged[0].resolved.as_deref(), Some("1.0.200"));
        let alone = merge_folder(vec![file("Cargo.lock", lock)]);
        assert_eq!(alone.len(), 2, "a lockfile alone lists everything");
    }

    #[test]
    fn a_stale_lockfile_resolves_nothing_it_does_not_satisfy() {
        let merged = merge_folder(vec![
            file("package.json", vec![dep(Ecosystem::Npm, "react", Some("^18.0.0"), None, true, "package.json")]),
            file("yarn.lock", vec![dep(Ecosystem::Npm, "react", None, Some("17.0.2"), false, "yarn.lock")]),
        ]);
        assert_eq!(merged.len(), 1);
        assert_eq!(merged[0].resolved, None);
    }
}
