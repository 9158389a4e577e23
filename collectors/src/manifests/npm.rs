//! npm: `package.json`, `package-lock.json` (v1–v3), `yarn.lock` (v1, and
//! berry's YAML), `pnpm-lock.yaml` (v5–v9) and `pnpm-workspace.yaml`.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};

use super::{
    declared, dedup_locked, locked, read_json, read_yaml, DepScope, Dependency, Ecosystem, Manifest, ParseError,
    Published,
};

const NPM: Ecosystem = Ecosystem::Npm;

/// The sections of `package.json` that declare dependencies.
const SECTIONS: [(&str, DepScope); 4] = [
    ("dependencies", DepScope::Runtime),
    ("devDependencies", DepScope::Dev),
    ("optionalDependencies", DepScope::Optional),
    // A peer is what the host must provide at run time.
    ("peerDependencies", DepScope::Runtime),
];

pub(super) fn package_json(path: &str, content: &str) -> Result<Manifest, ParseError> {
    let root = read_json(path, content)?;
    let obj = root.as_object().ok_or_else(|| ParseError::new(path, "the top level is not an object"))?;
    let mut manifest = Manifest::default();
    let optional_peers = optional_peers(obj);
    for (field, scope) in SECTIONS {
        for (name, spec) in string_map(path, obj, field)? {
            let scope =
                if field == "peerDependencies" && optional_peers.contains(name) { DepScope::Optional } else { scope };
            manifest.dependencies.push(npm_dependency(name, spec, scope, path));
        }
    }
    manifest.members = workspaces(path, obj.get("workspaces"))?;
    let private = obj.get("private").and_then(Value::as_bool).unwrap_or(false);
    if let (Some(name), false) = (obj.get("name").and_then(Value::as_str), private) {
        if !name.trim().is_empty() {
            manifest.publishes.push(Published {
                ecosystem: NPM,
                name: name.trim().to_string(),
                version: obj.get("version").and_then(Value::as_str).map(str::to_string),
                manifest: path.to_string(),
                distributed: true,
                group_of_parent: None,
            });
        }
    }
    Ok(manifest)
}

fn optional_peers(obj: &Map<String, Value>) -> HashSet<&str> {
    let Some(meta) = obj.get("peerDependenciesMeta").and_then(Value::as_object) else { return HashSet::new() };
    meta.iter()
        .filter(|(_, m)| m.get("optional").and_then(Value::as_bool) == Some(true))
        .map(|(n, _)| n.as_str())
        .collect()
}

/// A `{name: spec}` section; absent or null is empty, anything else not a
/// map of strings is an error naming the field.
fn string_map<'a>(path: &str, obj: &'a Map<String, Value>, field: &str) -> Result<Vec<(&'a str, &'a str)>, ParseError> {
    match obj.get(field) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Object(map)) => map
            .iter()
            .map(|(name, spec)| match spec.as_str() {
                Some(spec) => Ok((name.as_str(), spec)),
                None => Err(ParseError::new(path, format!("`{field}.{name}` is not a string"))),
            })
            .collect(),
        Some(_) => Err(ParseError::new(path, format!("`{field}` is not an object"))),
    }
}

/// `workspaces: ["packages/*"]` or yarn's `workspaces: {packages: [...]}`.
fn workspaces(path: &str, value: Option<&Value>) -> Result<Vec<String>, ParseError> {
    let list = match value {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Object(obj)) => match obj.get("packages") {
            None => return Ok(Vec::new()),
            Some(list) => list,
        },
        Some(list) => list,
    };
    let bad = || ParseError::new(path, "`workspaces` is not a list of folders");
    list.as_array().ok_or_else(bad)?.iter().map(|m| m.as_str().map(str::to_string).ok_or_else(bad)).collect()
}

/// A declared dependency; an alias (`"str": "npm:string-width@^4"`) uses
/// the package it names.
fn npm_dependency(name: &str, spec: &str, scope: DepScope, path: &str) -> Dependency {
    let (name, spec) = match spec.strip_prefix("npm:").and_then(split_selector) {
        Some((real, range)) => (real, range),
        None => (name, spec),
    };
    let mut dep = declared(NPM, name, Some(spec.to_string()), scope, path);
    dep.resolved = exact_version(spec);
    dep
}

/// An npm spec that allows one version only (`1.2.3`, `=1.2.3`).
fn exact_version(spec: &str) -> Option<String> {
    let v = spec.trim().trim_start_matches('=').trim_start_matches('v');
    semver::Version::parse(v).ok().map(|_| v.to_string())
}

/// `name@range` → (`name`, `range`); a scoped name's own `@` is not the
/// separator.
pub(super) fn split_selector(selector: &str) -> Option<(&str, &str)> {
    let at = selector.get(1..)?.find('@')? + 1;
    let (name, range) = (&selector[..at], &selector[at + 1..]);
    (!name.is_empty()).then_some((name, range))
}

/// Dependency specs that point into the repository, not at a registry.
fn is_local(range: &str) -> bool {
    ["file:", "link:", "workspace:", "portal:"].iter().any(|p| range.starts_with(p))
}

// ---------------------------------------------------------------- package-lock

pub(super) fn package_lock(path: &str, content: &str) -> Result<Manifest, ParseError> {
    let root = read_json(path, content)?;
    let obj = root.as_object().ok_or_else(|| ParseError::new(path, "the top level is not an object"))?;
    if !obj.contains_key("lockfileVersion") {
        return Err(ParseError::new(path, "no `lockfileVersion`: not an npm lockfile"));
    }
    match obj.get("packages") {
        Some(Value::Object(packages)) => lock_packages(path, packages),
        Some(_) => Err(ParseError::new(path, "`packages` is not an object")),
        None => lock_v1(path, obj),
    }
}

/// v2 and v3: `packages` keyed by install path (`node_modules/a`,
/// `node_modules/a/node_modules/b`); `""` is the project and keys outside
/// `node_modules` are workspace members.
fn lock_packages(path: &str, packages: &Map<String, Value>) -> Result<Manifest, ParseError> {
    let mut manifest = Manifest::default();
    // What the project and each workspace member declare: (owner, name) → spec.
    let mut declared_by: HashMap<(&str, &str), &str> = HashMap::new();
    for (key, entry) in packages.iter().filter(|(key, _)| !key.contains("node_modules/")) {
        let Some(entry) = entry.as_object() else { return Err(not_object(path, key)) };
        for (field, _) in SECTIONS {
            for (name, spec) in string_map(path, entry, field)? {
                declared_by.insert((key.as_str(), name), spec);
            }
        }
        if key.is_empty() {
            manifest.members = workspaces(path, entry.get("workspaces"))?;
        }
    }
    let members: Vec<&String> = packages.keys().filter(|k| !k.is_empty() && !k.contains("node_modules/")).collect();
    let mut deps = Vec::new();
    for (key, entry) in packages {
        let Some(at) = key.rfind("node_modules/") else { continue };
        let entry = entry.as_object().ok_or_else(|| not_object(path, key))?;
        if entry.get("link").and_then(Value::as_bool) == Some(true) {
            continue;
        }
        let installed_as = &key[at + "node_modules/".len()..];
        let name = entry.get("name").and_then(Value::as_str).unwrap_or(installed_as);
        let Some(version) = entry.get("version").and_then(Value::as_str) else { continue };
        let flag = |f: &str| entry.get(f).and_then(Value::as_bool) == Some(true);
        let scope = if flag("dev") || flag("devOptional") {
            DepScope::Dev
        } else if flag("optional") {
            DepScope::Optional
        } else {
            DepScope::Runtime
        };
        let owner = key[..at].trim_end_matches('/');
        let spec = if owner.contains("node_modules/") {
            None
        } else if owner.is_empty() {
            // Workspace members' packages are hoisted to the root's
            // node_modules, unless the member has its own copy.
            declared_by.get(&("", installed_as)).or_else(|| {
                members
                    .iter()
                    .filter(|m| !packages.contains_key(&format!("{m}/node_modules/{installed_as}")))
                    .find_map(|m| declared_by.get(&(m.as_str(), installed_as)))
            })
        } else {
            declared_by.get(&(owner, installed_as))
        };
        let mut dep = locked(NPM, name, version, scope, spec.is_some(), path);
        dep.spec = spec.map(|s| s.to_string());
        deps.push(dep);
    }
    manifest.dependencies = dedup_locked(deps);
    Ok(manifest)
}

/// v1: `dependencies` nested by install path; no record of what the
/// project declared, so nothing is known to be direct.
fn lock_v1(path: &str, obj: &Map<String, Value>) -> Result<Manifest, ParseError> {
    let mut deps = Vec::new();
    let mut stack: Vec<&Map<String, Value>> = Vec::new();
    match obj.get("dependencies") {
        None | Some(Value::Null) => {}
        Some(Value::Object(top)) => stack.push(top),
        Some(_) => return Err(ParseError::new(path, "`dependencies` is not an object")),
    }
    while let Some(level) = stack.pop() {
        for (name, entry) in level {
            let entry = entry.as_object().ok_or_else(|| not_object(path, name))?;
            if let Some(Value::Object(nested)) = entry.get("dependencies") {
                stack.push(nested);
            }
            let Some(version) = entry.get("version").and_then(Value::as_str) else { continue };
            let (name, version) = match version.strip_prefix("npm:").and_then(split_selector) {
                Some((real, version)) => (real, version),
                None => (name.as_str(), version),
            };
            if version.contains(':') {
                continue; // file:, git and tarball installs
            }
            let flag = |f: &str| entry.get(f).and_then(Value::as_bool) == Some(true);
            let scope = locked_scope(flag("dev"), flag("optional"));
            deps.push(locked(NPM, name, version, scope, false, path));
        }
    }
    Ok(Manifest { dependencies: dedup_locked(deps), ..Manifest::default() })
}

fn not_object(path: &str, key: &str) -> ParseError {
    ParseError::new(path, format!("the entry `{key}` is not an object"))
}

// ---------------------------------------------------------------- yarn.lock

/// Yarn v1's own format, or berry's YAML (which starts with `__metadata`).
/// Neither records which packages the project declared, nor scopes.
pub(super) fn yarn_lock(path: &str, content: &str) -> Result<Manifest, ParseError> {
    let deps = if content.lines().any(|l| l.starts_with("__metadata:")) {
        yarn_berry(path, content)?
    } else {
        yarn_v1(path, content)?
    };
    Ok(Manifest { dependencies: dedup_locked(deps), ..Manifest::default() })
}

/// Yarn v1: unindented entry headers (`"a@^1.0.0", a@^1.1.0:`) followed by
/// two-space fields (`version "1.2.0"`) and deeper nested maps.
fn yarn_v1(path: &str, content: &str) -> Result<Vec<Dependency>, ParseError> {
    struct Entry<'a> {
        line: usize,
        name: &'a str,
        local: bool,
        version: Option<&'a str>,
    }
    let finish = |entry: Option<Entry<'_>>, deps: &mut Vec<Dependency>| match entry {
        None => Ok(()),
        Some(Entry { local: true, .. }) => Ok(()),
        Some(Entry { version: Some(version), name, .. }) => {
            deps.push(locked(NPM, name, version, DepScope::Runtime, false, path));
            Ok(())
        }
        Some(Entry { line, name, .. }) => {
            Err(ParseError::at(path, line, format!("the entry for `{name}` has no version")))
        }
    };
    let mut deps = Vec::new();
    let mut current: Option<Entry<'_>> = None;
    for (i, raw) in content.lines().enumerate() {
        let line = raw.trim_end();
        let body = line.trim_start();
        if body.is_empty() || body.starts_with('#') {
            continue;
        }
        let indent = line.len() - body.len();
        if indent == 0 {
            finish(current.take(), &mut deps)?;
            let Some(header) = line.strip_suffix(':') else {
                return Err(ParseError::at(path, i + 1, "expected an entry header ending in `:`"));
            };
            let first = header.split(',').next().unwrap_or("").trim().trim_matches('"');
            let Some((name, range)) = split_selector(first) else {
                return Err(ParseError::at(path, i + 1, format!("`{first}` is not `name@range`")));
            };
            let name = match range.strip_prefix("npm:").and_then(split_selector) {
                Some((real, _)) => real,
                None => name,
            };
            current = Some(Entry { line: i + 1, name, local: is_local(range), version: None });
        } else {
            let Some(entry) = current.as_mut() else {
                return Err(ParseError::at(path, i + 1, "an indented line outside any entry"));
            };
            if indent == 2 {
                if let Some(version) = body.strip_prefix("version ") {
                    entry.version = Some(version.trim().trim_matches('"'));
                }
            }
        }
    }
    finish(current, &mut deps)?;
    Ok(deps)
}

/// Berry: a YAML map from selectors to entries whose `resolution` names the
/// package (`string-width@npm:4.2.3`) and `version` its version.
fn yarn_berry(path: &str, content: &str) -> Result<Vec<Dependency>, ParseError> {
    let doc = read_yaml(path, content)?;
    let map = doc.as_mapping().ok_or_else(|| ParseError::new(path, "the top level is not a map"))?;
    let mut deps = Vec::new();
    for (key, entry) in map {
        let key = key.as_str().unwrap_or_default();
        if key == "__metadata" {
            continue;
        }
        let resolution = entry.get("resolution").and_then(|r| r.as_str()).unwrap_or(key);
        let Some((name, range)) = split_selector(resolution) else {
            return Err(ParseError::new(path, format!("the entry `{key}` does not resolve to `name@range`")));
        };
        if is_local(range) {
            continue;
        }
        let version = match entry.get("version") {
            Some(yaml_serde::Value::String(v)) => v.clone(),
            Some(yaml_serde::Value::Number(n)) => n.to_string(),
            _ => return Err(ParseError::new(path, format!("the entry `{key}` has no version"))),
        };
        deps.push(locked(NPM, name, &version, DepScope::Runtime, false, path));
    }
    Ok(deps)
}

// ---------------------------------------------------------------- pnpm

/// `pnpm-lock.yaml`: importers (the project `.` and workspace members) list
/// what each declares and the version it got; `packages` lists every
/// package, keyed `/name/1.0.0` (v5), `/name@1.0.0` (v6) or `name@1.0.0`
/// (v9), with a peer suffix (`_react@18.2.0`, `(react@18.2.0)`). v5 and v6
/// mark dev-only packages; v9 does not, so its transitive packages are all
/// runtime.
pub(super) fn pnpm_lock(path: &str, content: &str) -> Result<Manifest, ParseError> {
    use yaml_serde::Value as Y;
    let doc = read_yaml(path, content)?;
    if !doc.is_mapping() {
        return Err(ParseError::new(path, "the top level is not a map"));
    }
    let major = match doc.get("lockfileVersion") {
        Some(Y::String(v)) => v.split('.').next().and_then(|m| m.parse::<u32>().ok()),
        Some(Y::Number(n)) => n.as_f64().map(|v| v as u32),
        _ => None,
    }
    .ok_or_else(|| ParseError::new(path, "no `lockfileVersion`: not a pnpm lockfile"))?;
    let mut manifest = Manifest::default();
    let mut deps = Vec::new();
    let importers: Vec<(&str, &Y)> = match doc.get("importers") {
        Some(Y::Mapping(importers)) => importers.iter().map(|(k, v)| (k.as_str().unwrap_or_default(), v)).collect(),
        Some(_) => return Err(ParseError::new(path, "`importers` is not a map")),
        None => vec![(".", &doc)],
    };
    for (folder, importer) in importers {
        if folder != "." {
            manifest.members.push(folder.to_string());
        }
        for (field, scope) in SECTIONS.into_iter().take(3) {
            let Some(section) = importer.get(field) else { continue };
            let section = section
                .as_mapping()
                .ok_or_else(|| ParseError::new(path, format!("`{field}` of importer `{folder}` is not a map")))?;
            for (name, value) in section {
                let name = name.as_str().unwrap_or_default();
                let (spec, version) = match value {
                    Y::Mapping(_) => {
                        (value.get("specifier").and_then(Y::as_str), value.get("version").and_then(Y::as_str))
                    }
                    Y::String(version) => {
                        let spec = importer.get("specifiers").and_then(|s| s.get(name)).and_then(Y::as_str);
                        (spec, Some(version.as_str()))
                    }
                    _ => (None, None),
                };
                let Some(version) = version else {
                    return Err(ParseError::new(
                        path,
                        format!("`{field}.{name}` of importer `{folder}` has no version"),
                    ));
                };
                if is_local(version) {
                    continue;
                }
                let (name, version) = match version.strip_prefix('/') {
                    // An alias or a non-registry install names its package key.
                    Some(_) => match pnpm_key(version, major) {
                        Some(found) => found,
                        None => continue,
                    },
                    None => (name, strip_peers(version)),
                };
                let direct = folder == ".";
                let mut dep = locked(NPM, name, version, scope, direct, path);
                dep.spec = spec.filter(|_| direct).map(str::to_string);
                deps.push(dep);
            }
        }
    }
    let from_importers: HashSet<(String, String)> =
        deps.iter().map(|d| (d.name.clone(), d.resolved.clone().unwrap_or_default())).collect();
    match doc.get("packages") {
        None | Some(Y::Null) => {}
        Some(Y::Mapping(packages)) => {
            for (key, entry) in packages {
                let key = key.as_str().unwrap_or_default();
                let field = |f: &str| entry.get(f).and_then(Y::as_str);
                let found = match (field("name"), field("version")) {
                    (Some(name), Some(version)) => Some((name, version)),
                    _ => pnpm_key(key, major),
                };
                let Some((name, version)) = found else { continue };
                let flag = |f: &str| entry.get(f).and_then(Y::as_bool) == Some(true);
                // v9 has no flags: an importer's entry knows the scope better.
                let unflagged = entry.get("dev").is_none() && entry.get("optional").is_none();
                if unflagged && from_importers.contains(&(name.to_string(), version.to_string())) {
                    continue;
                }
                let scope = locked_scope(flag("dev"), flag("optional"));
                deps.push(locked(NPM, name, version, scope, false, path));
            }
        }
        Some(_) => return Err(ParseError::new(path, "`packages` is not a map")),
    }
    // Importers come first: a package both declared and listed keeps the
    // importer's scope and spec, and becomes dev only if the lock says so.
    manifest.dependencies = dedup_locked(deps);
    for dep in &mut manifest.dependencies {
        if dep.direct {
            continue;
        }
        dep.spec = None;
    }
    Ok(manifest)
}

fn strip_peers(version: &str) -> &str {
    version.split(['(', '_']).next().unwrap_or(version)
}

/// A `packages` key as (name, version); `None` for keys that name no
/// registry version (git, tarballs), whose entries carry `name` and
/// `version` fields instead.
fn pnpm_key(key: &str, major: u32) -> Option<(&str, &str)> {
    let key = key.strip_prefix('/').unwrap_or(key);
    let (name, version) = if major >= 6 {
        let key = key.split('(').next().unwrap_or(key);
        split_selector(key)?
    } else {
        let at = key.rfind('/')?;
        (&key[..at], strip_peers(&key[at + 1..]))
    };
    let valid = !name.is_empty() && version.starts_with(|c: char| c.is_ascii_digit());
    valid.then_some((name, version))
}

/// `pnpm-workspace.yaml`: `packages` lists the member folders.
pub(super) fn pnpm_workspace(path: &str, content: &str) -> Result<Manifest, ParseError> {
    let doc = read_yaml(path, content)?;
    let mut manifest = Manifest::default();
    match doc.get("packages") {
        None | Some(yaml_serde::Value::Null) => {}
        Some(yaml_serde::Value::Sequence(list)) => {
            for member in list {
                let member =
                    member.as_str().ok_or_else(|| ParseError::new(path, "`packages` is not a list of folders"))?;
                manifest.members.push(member.to_string());
            }
        }
        Some(_) => return Err(ParseError::new(path, "`packages` is not a list of folders")),
    }
    Ok(manifest)
}

/// The scope a lockfile's `dev` and `optional` flags give a package.
fn locked_scope(dev: bool, optional: bool) -> DepScope {
    if dev {
        DepScope::Dev
    } else if optional {
        DepScope::Optional
    } else {
        DepScope::Runtime
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_split_at_the_version_not_the_scope() {
        assert_eq!(split_selector("@babel/core@^7.0.0"), Some(("@babel/core", "^7.0.0")));
        assert_eq!(split_selector("lodash@4.17.21"), Some(("lodash", "4.17.21")));
        assert_eq!(split_selector("@babel/core"), None);
        assert_eq!(split_selector("@"), None);
        assert_eq!(split_selector(""), None);
    }

    #[test]
    fn pnpm_keys_of_each_version() {
        assert_eq!(pnpm_key("/@babel/core/7.12.3_supports-color@5.5.0", 5), Some(("@babel/core", "7.12.3")));
        assert_eq!(pnpm_key("/react-dom@18.2.0(react@18.2.0)", 6), Some(("react-dom", "18.2.0")));
        assert_eq!(pnpm_key("@types/node@20.1.0", 9), Some(("@types/node", "20.1.0")));
        assert_eq!(pnpm_key("github.com/acme/thing/abc123", 5), None);
    }

    #[test]
    fn exact_npm_versions_are_resolved() {
        assert_eq!(exact_version("1.2.3"), Some("1.2.3".into()));
        assert_eq!(exact_version("=1.2.3"), Some("1.2.3".into()));
        assert_eq!(exact_version("^1.2.3"), None);
        assert_eq!(exact_version("latest"), None);
    }
}
