//! NuGet: SDK-style MSBuild projects (`*.csproj`, `*.fsproj`, `*.vbproj`)
//! with `<PackageReference>`, the older `packages.config`, and the
//! `packages.lock.json` lockfile.
//!
//! A plain version (`13.0.1`) means "at least", and NuGet picks the lowest
//! version that satisfies it, so it counts as resolved; ranges
//! (`[1.0,2.0)`) and floating versions (`6.*`) do not. A reference without
//! a version takes it from central package management: the
//! `<PackageVersion>` items of the nearest `Directory.Packages.props` at or
//! above the project ([`context_files`]), unless it says `VersionOverride`;
//! without that file its spec is `None`.
//!
//! Scopes: references with `PrivateAssets="all"` (analyzers, source
//! generators, build tools) are build; in a test project (one that sets
//! `IsTestProject` or references `Microsoft.NET.Test.Sdk`) everything is
//! test; `developmentDependency="true"` in `packages.config` is dev.

use serde_json::Value;

use super::xml::{self, Element};
use super::{
    declared, dedup_locked, file_name, locked, read_json, DepScope, Ecosystem, Manifest, ParseError, Published,
};

const NUGET: Ecosystem = Ecosystem::Nuget;

const CENTRAL: &str = "Directory.Packages.props";

/// Whether a file is central package management's `Directory.Packages.props`.
pub(super) fn is_context_file(path: &str) -> bool {
    file_name(path) == CENTRAL
}

/// The nearest `Directory.Packages.props` at or above `folder`, as MSBuild
/// finds it.
pub(super) fn context_files<'a>(folder: &str, paths: impl Iterator<Item = &'a str> + Clone) -> Vec<&'a str> {
    let mut current = folder;
    loop {
        let wanted = if current.is_empty() { CENTRAL.to_string() } else { format!("{current}/{CENTRAL}") };
        if let Some(found) = paths.clone().find(|p| *p == wanted) {
            return vec![found];
        }
        if current.is_empty() {
            return Vec::new();
        }
        current = super::folder_of(current);
    }
}

/// The versions a `Directory.Packages.props` sets, by lower-case id.
fn central_versions(path: &str, content: &str) -> Result<Vec<(String, String)>, ParseError> {
    let root = xml::parse(path, content)?;
    let items = root.children("ItemGroup").flat_map(|g| g.children("PackageVersion"));
    Ok(items
        .filter_map(|item| {
            let version = item.attr("Version").or_else(|| item.text_of("Version"))?;
            Some((item.attr("Include")?.to_ascii_lowercase(), version.to_string()))
        })
        .collect())
}

/// Whether a `Directory.Packages.props` reads as XML.
pub(super) fn check_context(path: &str, content: &str) -> Result<(), ParseError> {
    central_versions(path, content).map(|_| ())
}

pub(super) fn msbuild_project(path: &str, content: &str) -> Result<Manifest, ParseError> {
    msbuild_project_in(path, content, &[])
}

/// A project with the `Directory.Packages.props` [`context_files`] names.
pub(super) fn msbuild_project_in(path: &str, content: &str, context: &[(&str, &str)]) -> Result<Manifest, ParseError> {
    let mut central = std::collections::HashMap::new();
    for (props, text) in context.iter().filter(|(p, _)| is_context_file(p)) {
        let versions = central_versions(props, text)
            .map_err(|e| ParseError::new(path, format!("its {props} cannot be read: {}", e.message)))?;
        central.extend(versions);
    }
    let root = xml::parse(path, content)?;
    if !root.name.eq_ignore_ascii_case("Project") {
        return Err(ParseError::new(path, format!("the root element is `<{}>`, not `<Project>`", root.name)));
    }
    let property = |name: &str| root.children("PropertyGroup").find_map(|g| g.text_of(name));
    let references: Vec<&Element> = root
        .children("ItemGroup")
        .flat_map(|g| g.children("PackageReference"))
        .filter(|r| r.attr("Update").is_none())
        .collect();
    let test_project = property("IsTestProject").is_some_and(|v| v.eq_ignore_ascii_case("true"))
        || references
            .iter()
            .any(|r| r.attr("Include").is_some_and(|i| i.eq_ignore_ascii_case("Microsoft.NET.Test.Sdk")));
    let mut manifest = Manifest::default();
    for reference in references {
        let Some(name) = reference.attr("Include") else {
            return Err(ParseError::new(path, "a `<PackageReference>` has no `Include`"));
        };
        let version = reference
            .attr("VersionOverride")
            .or_else(|| reference.attr("Version"))
            .or_else(|| reference.text_of("Version"))
            .or_else(|| central.get(&name.to_ascii_lowercase()).map(String::as_str));
        let private = reference
            .attr("PrivateAssets")
            .or_else(|| reference.text_of("PrivateAssets"))
            .is_some_and(|p| p.eq_ignore_ascii_case("all"));
        let scope = if test_project {
            DepScope::Test
        } else if private {
            DepScope::Build
        } else {
            DepScope::Runtime
        };
        manifest.dependencies.push(with_resolved(declared(NUGET, name, version.map(str::to_string), scope, path)));
    }
    // A project is a package when it names one, or asks to be packed.
    let packs = ["GeneratePackageOnBuild", "IsPackable"]
        .iter()
        .any(|p| property(p).is_some_and(|v| v.eq_ignore_ascii_case("true")));
    let stem = file_name(path).rsplit_once('.').map_or(file_name(path), |(stem, _)| stem);
    let id = property("PackageId").or_else(|| packs.then(|| property("AssemblyName").unwrap_or(stem)));
    if let Some(id) = id.filter(|_| !test_project) {
        manifest.publishes.push(Published {
            ecosystem: NUGET,
            name: id.to_string(),
            version: property("PackageVersion").or_else(|| property("Version")).map(str::to_string),
            manifest: path.to_string(),
            distributed: true,
            group_of_parent: None,
        });
    }
    Ok(manifest)
}

pub(super) fn packages_config(path: &str, content: &str) -> Result<Manifest, ParseError> {
    let root = xml::parse(path, content)?;
    if !root.name.eq_ignore_ascii_case("packages") {
        return Err(ParseError::new(path, format!("the root element is `<{}>`, not `<packages>`", root.name)));
    }
    let mut manifest = Manifest::default();
    for package in root.children("package") {
        let (Some(id), Some(version)) = (package.attr("id"), package.attr("version")) else {
            return Err(ParseError::new(path, "a `<package>` lacks `id` or `version`"));
        };
        let dev = package.attr("developmentDependency").is_some_and(|d| d.eq_ignore_ascii_case("true"));
        let scope = if dev { DepScope::Dev } else { DepScope::Runtime };
        // packages.config lists every installed package, at its exact version.
        let mut dep = declared(NUGET, id, Some(version.to_string()), scope, path);
        dep.resolved = Some(version.to_string());
        manifest.dependencies.push(dep);
    }
    Ok(manifest)
}

/// `packages.lock.json`: per target framework, each package's `type`
/// (`Direct`, `Transitive`, `CentralTransitive`, `Project`), `requested`
/// range and `resolved` version.
pub(super) fn packages_lock(path: &str, content: &str) -> Result<Manifest, ParseError> {
    let root = read_json(path, content)?;
    let Some(frameworks) = root.get("dependencies").and_then(Value::as_object) else {
        return Err(ParseError::new(path, "no `dependencies` object: not a NuGet lockfile"));
    };
    let mut deps = Vec::new();
    for (framework, packages) in frameworks {
        let packages = packages
            .as_object()
            .ok_or_else(|| ParseError::new(path, format!("`dependencies.{framework}` is not an object")))?;
        for (name, entry) in packages {
            let field = |f: &str| entry.get(f).and_then(Value::as_str);
            if field("type") == Some("Project") {
                continue;
            }
            let Some(version) = field("resolved") else {
                return Err(ParseError::new(
                    path,
                    format!("`dependencies.{framework}.{name}` has no `resolved` version"),
                ));
            };
            let direct = field("type") == Some("Direct");
            let mut dep = locked(NUGET, name, version, DepScope::Runtime, direct, path);
            dep.spec = field("requested").filter(|_| direct).map(str::to_string);
            deps.push(dep);
        }
    }
    Ok(Manifest { dependencies: dedup_locked(deps), ..Manifest::default() })
}

fn with_resolved(mut dep: super::Dependency) -> super::Dependency {
    dep.resolved = dep.spec.clone().filter(|s| !s.is_empty() && !s.contains(['[', '(', ',', '*', '$']));
    dep
}
