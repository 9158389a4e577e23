//! Bundler: `Gemfile.lock`, read by hand (Bundler's own indented line
//! format; no Rust crate reads it). Sections start at column 0:
//!
//! - `GEM`, `GIT`, `PATH`: a `specs:` list of `name (version)` at four
//!   spaces, each followed by its own requirements at six (skipped). A
//!   version may carry a platform (`1.15.4-x86_64-linux`), dropped here.
//!   `PATH` gems with `remote: .` are the repository's own gem: published,
//!   not used; other `PATH` gems are local folders, not registry packages.
//! - `DEPENDENCIES`: what the Gemfile declares (`rails (~> 7.1)`, `debug`,
//!   `mygem!` for a git or path source): direct, with their specs.
//!
//! Gemfile groups are not in the lockfile: every gem is runtime.

use std::collections::HashMap;

use super::{dedup_locked, locked, DepScope, Ecosystem, Manifest, ParseError, Published};

const GEMS: Ecosystem = Ecosystem::Rubygems;

pub(super) fn gemfile_lock(path: &str, content: &str) -> Result<Manifest, ParseError> {
    let mut manifest = Manifest::default();
    let mut section = "";
    let mut remote = "";
    let mut in_specs = false;
    // name → (version, line, from the repository's own PATH)
    let mut specs: Vec<(String, String, bool)> = Vec::new();
    let mut declared: Vec<(String, Option<String>, usize)> = Vec::new();
    for (i, raw) in content.lines().enumerate() {
        let n = i + 1;
        let line = raw.trim_end();
        if line.is_empty() {
            continue;
        }
        let body = line.trim_start();
        let indent = line.len() - body.len();
        if indent == 0 {
            section = body;
            remote = "";
            in_specs = false;
            continue;
        }
        match section {
            "GEM" | "GIT" | "PATH" => {
                if indent == 2 {
                    in_specs = body == "specs:";
                    if let Some(r) = body.strip_prefix("remote:") {
                        remote = r.trim();
                    }
                } else if indent == 4 && in_specs {
                    let (name, version) = name_and_parenthesised(body).map_err(|e| ParseError::at(path, n, e))?;
                    let Some(version) = version else {
                        return Err(ParseError::at(path, n, format!("the gem `{name}` has no version")));
                    };
                    // A platform follows the version after a dash; gem
                    // versions themselves never hold one.
                    let version = version.split('-').next().unwrap_or(version);
                    let own = section == "PATH" && (remote == "." || remote == "./");
                    if section == "PATH" && !own {
                        continue;
                    }
                    specs.push((name.to_string(), version.to_string(), own));
                }
            }
            "DEPENDENCIES" if indent == 2 => {
                let (name, spec) = name_and_parenthesised(body).map_err(|e| ParseError::at(path, n, e))?;
                declared.push((name.trim_end_matches('!').to_string(), spec.map(str::to_string), n));
            }
            _ => {}
        }
    }
    if specs.is_empty() && declared.is_empty() {
        return Err(ParseError::new(path, "no `specs:` and no `DEPENDENCIES`: not a Gemfile.lock"));
    }
    let specs_by_name: HashMap<&str, (&str, bool)> =
        specs.iter().map(|(name, version, own)| (name.as_str(), (version.as_str(), *own))).collect();
    let mut deps = Vec::new();
    for (name, spec, _) in &declared {
        match specs_by_name.get(name.as_str()) {
            Some((_, true)) => {}
            Some((version, false)) => {
                let mut dep = locked(GEMS, name, version, DepScope::Runtime, true, path);
                dep.spec = spec.clone();
                deps.push(dep);
            }
            // Declared, but resolved from a local PATH: not a registry gem.
            None if spec.is_none() => {}
            None => {
                let mut dep = super::declared(GEMS, name, spec.clone(), DepScope::Runtime, path);
                dep.resolved = None;
                deps.push(dep);
            }
        }
    }
    for (name, version, own) in &specs {
        if *own {
            manifest.publishes.push(Published {
                ecosystem: GEMS,
                name: name.clone(),
                version: Some(version.clone()),
                manifest: path.to_string(),
                distributed: false,
                group_of_parent: None,
            });
        } else {
            deps.push(locked(GEMS, name, version, DepScope::Runtime, false, path));
        }
    }
    manifest.dependencies = dedup_locked(deps);
    Ok(manifest)
}

/// `name (text)` or `name`.
fn name_and_parenthesised(body: &str) -> Result<(&str, Option<&str>), String> {
    match body.split_once(' ') {
        None => Ok((body, None)),
        Some((name, rest)) => {
            let inner = rest
                .trim()
                .strip_prefix('(')
                .and_then(|r| r.strip_suffix(')'))
                .ok_or_else(|| format!("expected `name (version)`, found `{body}`"))?;
            Ok((name, Some(inner.trim())))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_versions() {
        assert_eq!(name_and_parenthesised("rails (~> 7.1, >= 7.1.2)"), Ok(("rails", Some("~> 7.1, >= 7.1.2"))));
        assert_eq!(name_and_parenthesised("debug"), Ok(("debug", None)));
        assert!(name_and_parenthesised("rails 7.1").is_err());
    }
}
