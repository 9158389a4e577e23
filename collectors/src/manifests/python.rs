//! Python: `requirements*.txt` and `requirements*.in` (pip's line format,
//! read by hand: PEP 508 requirements, comments, continuations and pip
//! options), `pyproject.toml` (PEP 621 `[project]`, PEP 735
//! `[dependency-groups]`, Poetry's `[tool.poetry]`, and `[build-system]`),
//! Pipenv's `Pipfile`, and the lockfiles `Pipfile.lock`, `poetry.lock` and
//! `uv.lock` (resolved versions only: none of them says what is direct).

use toml::{Table, Value};

use super::{
    declared, dedup_locked, file_name, locked, read_json, read_toml, DepScope, Dependency, Ecosystem, Manifest,
    ParseError, Published,
};

const PYPI: Ecosystem = Ecosystem::Pypi;

/// The scope a file or group name implies: `requirements-dev.txt`, the
/// `test` extra, Poetry's `docs` group.
fn scope_of_name(name: &str) -> Option<DepScope> {
    let name = name.to_ascii_lowercase();
    if name.contains("test") {
        Some(DepScope::Test)
    } else if ["dev", "lint", "doc", "typing", "style", "format"].iter().any(|w| name.contains(w)) {
        Some(DepScope::Dev)
    } else if name.contains("build") {
        Some(DepScope::Build)
    } else {
        None
    }
}

/// `requirements*.txt` and `requirements*.in`. A file compiled by
/// pip-compile or `uv pip compile` says under each pin what asked for it
/// (`# via -r requirements.in`, `# via requests`): then only the pins an
/// input file or the project itself asked for are direct, and the others
/// are transitive (`direct: false`), kept for their resolved versions.
pub(super) fn requirements(path: &str, content: &str) -> Result<Manifest, ParseError> {
    let scope = scope_of_name(file_name(path)).unwrap_or(DepScope::Runtime);
    let mut manifest = Manifest::default();
    let mut logical = String::new();
    let mut start = 0;
    // The `# via` entries of each requirement, by its index.
    let mut via: Vec<Vec<String>> = Vec::new();
    let mut in_via = false;
    for (i, raw) in content.lines().enumerate() {
        if logical.is_empty() {
            start = i + 1;
        }
        // A comment starts at a `#` at the line's start or after whitespace.
        let comment_at = raw.find(" #").or(raw.find("\t#")).or_else(|| raw.trim_start().starts_with('#').then_some(0));
        let line = match comment_at {
            Some(at) => &raw[..at],
            None => raw,
        };
        let comment = comment_at.map(|at| raw[at..].trim_start().trim_start_matches('#'));
        in_via = annotate(&mut via, manifest.dependencies.len(), raw, comment, in_via);
        match line.trim_end().strip_suffix('\\') {
            Some(continued) => {
                logical.push_str(continued);
                logical.push(' ');
                continue;
            }
            None => logical.push_str(line),
        }
        let text = std::mem::take(&mut logical);
        let text = text.trim();
        if text.is_empty() || text.starts_with('-') {
            continue; // options: -r, -c, -e, --index-url, --hash on its own line
        }
        let url_without_name = text.find("://").is_some_and(|at| !text[..at].contains('@'));
        if text.starts_with(['.', '/']) || url_without_name {
            continue; // a local folder, an archive or a VCS URL names no project
        }
        let requirement = text.split(" --").next().unwrap_or(text);
        let dep = pep508(path, requirement, scope).map_err(|e| ParseError::at(path, start, e))?;
        manifest.dependencies.push(dep);
        // A `# via` on the requirement's own line (older pip-compile).
        if let Some(entry) = comment.and_then(|c| c.trim().strip_prefix("via ")) {
            via.resize(manifest.dependencies.len(), Vec::new());
            via[manifest.dependencies.len() - 1].push(entry.trim().to_string());
        }
    }
    let compiled = via.iter().any(|v| !v.is_empty());
    if compiled {
        for (dep, via) in manifest.dependencies.iter_mut().zip(via.iter().chain(std::iter::repeat(&Vec::new()))) {
            dep.direct = via.is_empty() || via.iter().any(|entry| asked_for_directly(entry));
        }
    }
    Ok(manifest)
}

/// Records a `# via` line for the last requirement read (`count` of them
/// so far): `# via X` gives one entry, `# via` alone opens a list whose
/// entries follow as indented `#   X` lines. Whether a list is open after
/// the line `raw`.
fn annotate(via: &mut Vec<Vec<String>>, count: usize, raw: &str, comment: Option<&str>, in_via: bool) -> bool {
    let comment_only = raw.trim_start().starts_with('#');
    let (Some(comment), true, Some(last)) = (comment, comment_only, count.checked_sub(1)) else {
        return false;
    };
    via.resize(count, Vec::new());
    let text = comment.trim();
    if text == "via" {
        return true;
    }
    if let Some(entry) = text.strip_prefix("via ") {
        via[last].push(entry.trim().to_string());
        return false;
    }
    // A list entry is indented, and so is its text past the `#`; a comment
    // of the file's own is not.
    let indented = raw.starts_with(char::is_whitespace) && comment.starts_with(char::is_whitespace);
    if in_via && indented && !text.is_empty() {
        via[last].push(text.to_string());
        return true;
    }
    false
}

/// A `# via` entry that makes a pin direct: an input file (`-r
/// requirements.in`) or the project itself (`acme-api (pyproject.toml)`);
/// a constraints file (`-c`) or another package is not.
fn asked_for_directly(entry: &str) -> bool {
    entry.starts_with("-r ") || entry.ends_with(')')
}

/// A PEP 508 requirement: `name[extras] (spec) ; markers` or `name @ url`.
/// `==` pins of one version are resolved versions (pip-compile's output).
fn pep508(path: &str, requirement: &str, scope: DepScope) -> Result<Dependency, String> {
    let requirement = requirement.split(';').next().unwrap_or("").trim();
    let end = requirement
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(requirement.len());
    let name = &requirement[..end];
    if name.is_empty() || !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return Err(format!("`{requirement}` does not start with a project name"));
    }
    let mut rest = requirement[end..].trim_start();
    if let Some(after) = rest.strip_prefix('[') {
        let close = after.find(']').ok_or_else(|| format!("unclosed extras in `{requirement}`"))?;
        rest = after[close + 1..].trim_start();
    }
    let spec = if rest.starts_with('@') {
        None // a direct URL: no version
    } else {
        let spec = rest.trim_start_matches('(').trim_end_matches(')').trim();
        let spec: String = spec.split_whitespace().collect::<Vec<_>>().join("");
        if !spec.is_empty() && !spec.starts_with(['=', '<', '>', '~', '!']) {
            return Err(format!("`{requirement}` has no valid version specifier"));
        }
        (!spec.is_empty()).then_some(spec)
    };
    let mut dep = declared(PYPI, name, spec, scope, path);
    dep.resolved = dep.spec.as_deref().and_then(pinned);
    Ok(dep)
}

/// `==1.2.3` or `===1.2.3` (one version, no wildcard, no other clause).
fn pinned(spec: &str) -> Option<String> {
    let version = spec.strip_prefix("===").or_else(|| spec.strip_prefix("=="))?;
    let exact = !version.is_empty() && !version.contains([',', '*', '<', '>', '=', '!', '~']);
    exact.then(|| version.to_string())
}

pub(super) fn pyproject(path: &str, content: &str) -> Result<Manifest, ParseError> {
    let doc = read_toml(path, content)?;
    let mut manifest = Manifest::default();
    let list = |value: &Value, field: &str| -> Result<Vec<String>, ParseError> {
        let bad = || ParseError::new(path, format!("`{field}` is not a list of requirements"));
        value.as_array().ok_or_else(bad)?.iter().map(|r| r.as_str().map(str::to_string).ok_or_else(bad)).collect()
    };
    let mut add = |requirement: &str, scope: DepScope, field: &str| -> Result<(), ParseError> {
        let dep = pep508(path, requirement, scope).map_err(|e| ParseError::new(path, format!("`{field}`: {e}")))?;
        manifest.dependencies.push(dep);
        Ok(())
    };
    if let Some(project) = doc.get("project") {
        let project = table(path, project, "project")?;
        if let Some(deps) = project.get("dependencies") {
            for r in list(deps, "project.dependencies")? {
                add(&r, DepScope::Runtime, "project.dependencies")?;
            }
        }
        if let Some(extras) = project.get("optional-dependencies") {
            for (extra, deps) in table(path, extras, "project.optional-dependencies")? {
                let field = format!("project.optional-dependencies.{extra}");
                for r in list(deps, &field)? {
                    add(&r, scope_of_name(extra).unwrap_or(DepScope::Optional), &field)?;
                }
            }
        }
    }
    if let Some(groups) = doc.get("dependency-groups") {
        for (group, deps) in table(path, groups, "dependency-groups")? {
            let field = format!("dependency-groups.{group}");
            let bad = || ParseError::new(path, format!("`{field}` is not a list"));
            // Entries are requirements, or `{include-group = "..."}` tables.
            for r in deps.as_array().ok_or_else(bad)?.iter().filter_map(Value::as_str) {
                add(r, scope_of_name(group).unwrap_or(DepScope::Dev), &field)?;
            }
        }
    }
    if let Some(requires) = doc.get("build-system").and_then(|b| b.get("requires")) {
        for r in list(requires, "build-system.requires")? {
            add(&r, DepScope::Build, "build-system.requires")?;
        }
    }
    let poetry = doc.get("tool").and_then(|t| t.get("poetry"));
    if let Some(poetry) = poetry {
        let poetry = table(path, poetry, "tool.poetry")?;
        let mut sections: Vec<(String, &Value, DepScope)> = Vec::new();
        for (field, scope) in [("dependencies", DepScope::Runtime), ("dev-dependencies", DepScope::Dev)] {
            if let Some(deps) = poetry.get(field) {
                sections.push((format!("tool.poetry.{field}"), deps, scope));
            }
        }
        if let Some(groups) = poetry.get("group") {
            for (group, body) in table(path, groups, "tool.poetry.group")? {
                if let Some(deps) = body.get("dependencies") {
                    let scope = scope_of_name(group).unwrap_or(DepScope::Dev);
                    sections.push((format!("tool.poetry.group.{group}.dependencies"), deps, scope));
                }
            }
        }
        for (field, deps, scope) in sections {
            for (name, spec) in table(path, deps, &field)? {
                if name == "python" {
                    continue;
                }
                manifest.dependencies.push(poetry_dependency(path, &field, name, spec, scope)?);
            }
        }
    }
    manifest.publishes = published(path, &doc, poetry);
    Ok(manifest)
}

/// Pipenv's `Pipfile`: `[packages]` and `[dev-packages]`, in the shapes
/// Poetry uses too (`"*"`, `"==1.2"`, `{version = …, extras = …}`,
/// `{git = …}`).
pub(super) fn pipfile(path: &str, content: &str) -> Result<Manifest, ParseError> {
    let doc = read_toml(path, content)?;
    let mut manifest = Manifest::default();
    for (field, scope) in [("packages", DepScope::Runtime), ("dev-packages", DepScope::Dev)] {
        let Some(deps) = doc.get(field) else { continue };
        for (name, spec) in table(path, deps, field)? {
            manifest.dependencies.push(poetry_dependency(path, field, name, spec, scope)?);
        }
    }
    Ok(manifest)
}

/// `Pipfile.lock`: `default` and `develop`, each package pinned as
/// `"version": "==1.2.3"`; git and path entries have no version and are
/// left out.
pub(super) fn pipfile_lock(path: &str, content: &str) -> Result<Manifest, ParseError> {
    let doc = read_json(path, content)?;
    let mut deps = Vec::new();
    for (section, scope) in [("default", DepScope::Runtime), ("develop", DepScope::Dev)] {
        let Some(entries) = doc.get(section) else { continue };
        let entries =
            entries.as_object().ok_or_else(|| ParseError::new(path, format!("`{section}` is not an object")))?;
        for (name, entry) in entries {
            let version = entry.get("version").and_then(serde_json::Value::as_str).and_then(|v| v.strip_prefix("=="));
            if let Some(version) = version {
                deps.push(locked(PYPI, name, version, scope, false, path));
            }
        }
    }
    Ok(Manifest { dependencies: dedup_locked(deps), ..Manifest::default() })
}

/// `poetry.lock` and `uv.lock`: one `[[package]]` table per resolved
/// package, with `name` and `version`. The project itself and its
/// workspace members (uv's `editable` or `virtual` sources) are not
/// dependencies.
pub(super) fn python_lock(path: &str, content: &str) -> Result<Manifest, ParseError> {
    let doc = read_toml(path, content)?;
    let mut deps = Vec::new();
    let none = Vec::new();
    let packages = match doc.get("package") {
        None => &none,
        Some(Value::Array(packages)) => packages,
        Some(_) => return Err(ParseError::new(path, "`package` is not an array of tables")),
    };
    for package in packages {
        let field = |name: &str| package.get(name).and_then(Value::as_str);
        let (Some(name), Some(version)) = (field("name"), field("version")) else { continue };
        let source = package.get("source").and_then(Value::as_table);
        if source.is_some_and(|s| s.contains_key("editable") || s.contains_key("virtual")) {
            continue;
        }
        // Poetry before 1.2 says which group; later versions do not.
        let scope = if field("category") == Some("dev") { DepScope::Dev } else { DepScope::Runtime };
        deps.push(locked(PYPI, name, version, scope, false, path));
    }
    Ok(Manifest { dependencies: dedup_locked(deps), ..Manifest::default() })
}

/// Poetry: `name = "^1.2"`, `name = {version = "^1.2", optional = true}`,
/// `name = {git = "..."}`, or a list of those for several markers.
fn poetry_dependency(
    path: &str,
    field: &str,
    name: &str,
    spec: &Value,
    scope: DepScope,
) -> Result<Dependency, ParseError> {
    let first = match spec {
        Value::Array(alternatives) => alternatives.first().unwrap_or(spec),
        _ => spec,
    };
    let (version, optional) = match first {
        Value::String(version) => (Some(version.as_str()), false),
        Value::Table(t) => {
            (t.get("version").and_then(Value::as_str), t.get("optional").and_then(Value::as_bool).unwrap_or(false))
        }
        _ => return Err(ParseError::new(path, format!("`{field}.{name}` is neither a version nor a table"))),
    };
    let scope = if optional && scope == DepScope::Runtime { DepScope::Optional } else { scope };
    let spec = version.filter(|v| *v != "*").map(str::to_string);
    let mut dep = declared(PYPI, name, spec, scope, path);
    dep.resolved = dep.spec.as_deref().and_then(|s| pinned(s).or_else(|| exact_poetry(s)));
    Ok(dep)
}

/// Poetry's bare `1.2.3` is an exact version.
fn exact_poetry(spec: &str) -> Option<String> {
    let exact =
        spec.starts_with(|c: char| c.is_ascii_digit()) && !spec.contains([',', '*', '<', '>', '=', '!', '~', '^', ' ']);
    exact.then(|| spec.to_string())
}

fn table<'a>(path: &str, value: &'a Value, field: &str) -> Result<&'a Table, ParseError> {
    value.as_table().ok_or_else(|| ParseError::new(path, format!("`{field}` is not a table")))
}

/// The project's name, unless it says it is not for upload (the
/// `Private :: Do Not Upload` classifier, or Poetry's `package-mode = false`).
fn published(path: &str, doc: &Table, poetry: Option<&Value>) -> Vec<Published> {
    let project = doc.get("project");
    let field = |t: Option<&Value>, f: &str| t.and_then(|t| t.get(f)).and_then(Value::as_str).map(str::to_string);
    let private = project
        .and_then(|p| p.get("classifiers"))
        .and_then(Value::as_array)
        .is_some_and(|c| c.iter().any(|c| c.as_str().is_some_and(|c| c.starts_with("Private ::"))))
        || poetry.and_then(|p| p.get("package-mode")).and_then(Value::as_bool) == Some(false);
    let name = field(project, "name").or_else(|| field(poetry, "name"));
    match name {
        Some(name) if !private && !name.trim().is_empty() => vec![Published {
            ecosystem: PYPI,
            name: super::normalise_name(PYPI, &name),
            version: field(project, "version").or_else(|| field(poetry, "version")),
            manifest: path.to_string(),
            distributed: false,
            group_of_parent: None,
        }],
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(text: &str) -> Dependency {
        pep508("r.txt", text, DepScope::Runtime).unwrap()
    }

    #[test]
    fn pep508_requirements() {
        let d = req("Django[argon2] >= 4.2, < 5.0 ; python_version >= '3.10'");
        assert_eq!((d.name.as_str(), d.spec.as_deref(), d.resolved.as_deref()), ("django", Some(">=4.2,<5.0"), None));
        let d = req("requests==2.31.0");
        assert_eq!((d.spec.as_deref(), d.resolved.as_deref()), (Some("==2.31.0"), Some("2.31.0")));
        assert_eq!(req("numpy (>=1.26)").spec.as_deref(), Some(">=1.26"));
        assert_eq!(req("urllib3==2.*").resolved, None);
        let d = req("pip @ https://example.com/pip-23.0.zip");
        assert_eq!((d.name.as_str(), d.spec), ("pip", None));
        assert!(pep508("r.txt", "requests 2.0", DepScope::Runtime).is_err());
        assert!(pep508("r.txt", "[extra]", DepScope::Runtime).is_err());
    }

    #[test]
    fn names_imply_scopes() {
        assert_eq!(scope_of_name("requirements-dev.txt"), Some(DepScope::Dev));
        assert_eq!(scope_of_name("test-requirements.txt"), Some(DepScope::Test));
        assert_eq!(scope_of_name("docs"), Some(DepScope::Dev));
        assert_eq!(scope_of_name("requirements.txt"), None);
    }
}
