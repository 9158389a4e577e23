//! Cargo: `Cargo.toml` (with the `toml` crate) and `Cargo.lock` (with
//! RustSec's `cargo-lock`, which reads every lockfile version).
//!
//! `Cargo.toml`: `[dependencies]` (optional ones are optional),
//! `[dev-dependencies]`, `[build-dependencies]`, and the same under
//! `[target.'cfg(..)']`; a renamed dependency (`package = "..."`) uses the
//! package it names. Path, git and `workspace = true` dependencies name no
//! version here: their spec is `None`. `[workspace.dependencies]` only sets
//! versions for members and is not a use. The crate is published unless
//! `publish = false`.
//!
//! `Cargo.lock` resolves every package; those without a source are the
//! workspace's own crates and are not uses. A package is direct when one of
//! the workspace's crates depends on it.

use std::collections::HashSet;

use cargo_lock::Lockfile;
use toml::{Table, Value};

use super::{
    declared, dedup_locked, locked, read_toml, DepScope, Dependency, Ecosystem, Manifest, ParseError, Published,
};

const CARGO: Ecosystem = Ecosystem::Cargo;

const SECTIONS: [(&str, DepScope); 4] = [
    ("dependencies", DepScope::Runtime),
    ("dev-dependencies", DepScope::Dev),
    ("dev_dependencies", DepScope::Dev),
    ("build-dependencies", DepScope::Build),
];

pub(super) fn cargo_toml(path: &str, content: &str) -> Result<Manifest, ParseError> {
    let doc = read_toml(path, content)?;
    let mut manifest = Manifest::default();
    sections(path, &doc, "", &mut manifest.dependencies)?;
    if let Some(targets) = doc.get("target") {
        let targets = table(path, targets, "target")?;
        for (target, body) in targets {
            let body = table(path, body, &format!("target.{target}"))?;
            sections(path, body, &format!("target.{target}."), &mut manifest.dependencies)?;
        }
    }
    if let Some(workspace) = doc.get("workspace") {
        let workspace = table(path, workspace, "workspace")?;
        if let Some(members) = workspace.get("members") {
            let bad = || ParseError::new(path, "`workspace.members` is not a list of folders");
            for m in members.as_array().ok_or_else(bad)? {
                manifest.members.push(m.as_str().ok_or_else(bad)?.to_string());
            }
        }
    }
    if let Some(package) = doc.get("package") {
        let package = table(path, package, "package")?;
        let name = package.get("name").and_then(Value::as_str);
        let (publish, distributed) = match package.get("publish") {
            Some(Value::Boolean(publish)) => (*publish, *publish),
            Some(Value::Array(registries)) => (!registries.is_empty(), !registries.is_empty()),
            _ => (true, false),
        };
        if let (Some(name), true) = (name, publish) {
            manifest.publishes.push(Published {
                ecosystem: CARGO,
                name: name.to_string(),
                version: package.get("version").and_then(Value::as_str).map(str::to_string),
                manifest: path.to_string(),
                distributed,
                group_of_parent: None,
            });
        }
    }
    Ok(manifest)
}

fn sections(path: &str, doc: &Table, prefix: &str, out: &mut Vec<Dependency>) -> Result<(), ParseError> {
    for (section, scope) in SECTIONS {
        let Some(deps) = doc.get(section) else { continue };
        let field = format!("{prefix}{section}");
        for (key, spec) in table(path, deps, &field)? {
            let (name, version, optional) = match spec {
                Value::String(version) => (key.as_str(), Some(version.as_str()), false),
                Value::Table(t) => (
                    t.get("package").and_then(Value::as_str).unwrap_or(key),
                    t.get("version").and_then(Value::as_str),
                    t.get("optional").and_then(Value::as_bool).unwrap_or(false),
                ),
                _ => return Err(ParseError::new(path, format!("`{field}.{key}` is neither a version nor a table"))),
            };
            let scope = if optional && scope == DepScope::Runtime { DepScope::Optional } else { scope };
            let mut dep = declared(CARGO, name, version.map(str::to_string), scope, path);
            // `=1.2.3` is the only spec that allows one version.
            dep.resolved = version
                .and_then(|v| v.trim().strip_prefix('='))
                .map(str::trim)
                .filter(|v| semver::Version::parse(v).is_ok())
                .map(str::to_string);
            out.push(dep);
        }
    }
    Ok(())
}

fn table<'a>(path: &str, value: &'a Value, field: &str) -> Result<&'a Table, ParseError> {
    value.as_table().ok_or_else(|| ParseError::new(path, format!("`{field}` is not a table")))
}

pub(super) fn cargo_lock(path: &str, content: &str) -> Result<Manifest, ParseError> {
    // cargo-lock's error names the TOML problem; the line comes from a
    // plain TOML read, which fails the same way on the same input.
    let lockfile: Lockfile = content.parse().map_err(|e: cargo_lock::Error| match read_toml(path, content) {
        Err(toml_error) => toml_error,
        Ok(_) => ParseError::new(path, format!("not a Cargo lockfile: {e}")),
    })?;
    let mut direct: HashSet<(&str, String)> = HashSet::new();
    for member in lockfile.packages.iter().filter(|p| p.source.is_none()) {
        for d in &member.dependencies {
            direct.insert((d.name.as_str(), d.version.to_string()));
        }
    }
    let deps = lockfile
        .packages
        .iter()
        .filter(|p| p.source.is_some())
        .map(|p| {
            let version = p.version.to_string();
            let is_direct = direct.contains(&(p.name.as_str(), version.clone()));
            locked(CARGO, p.name.as_str(), &version, DepScope::Runtime, is_direct, path)
        })
        .collect();
    Ok(Manifest { dependencies: dedup_locked(deps), ..Manifest::default() })
}
