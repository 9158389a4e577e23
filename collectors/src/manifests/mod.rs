//! What a repository's files say about it: the packages it uses and
//! publishes (dependency manifests and lockfiles), the services it declares
//! (catalog files) and who owns which path (CODEOWNERS).
//!
//! Pure functions over file contents: the GitHub collector and the
//! git-history backfill read the files, these read what is in them. None of
//! them reads the network or the disk, and none panics on hostile input: a
//! file that cannot be read as its format gives a [`ParseError`] that names
//! the path and what is wrong.
//!
//! - [`detect`] says which format a path holds, [`is_vendored`] which paths
//!   to skip, [`parse`] reads one file, [`merge_folder`] combines a folder's
//!   manifest and lockfile.
//! - [`versions`]: each ecosystem's version ordering, and how far behind a
//!   version is.
//! - [`catalog`]: Backstage `catalog-info.yaml` and SPoT's `.spot.yaml`.
//! - [`codeowners`]: CODEOWNERS rules and who owns a path.
//!
//! Formats: npm (`package.json`, `package-lock.json` v1–v3 and
//! `npm-shrinkwrap.json`, `yarn.lock` v1 and berry, `pnpm-lock.yaml` v5–v9,
//! `pnpm-workspace.yaml`), Go (`go.mod`), Python (`requirements*.txt` and
//! `.in`, `pyproject.toml` with PEP 621, PEP 735 groups and Poetry,
//! `Pipfile`, and the lockfiles `Pipfile.lock`, `poetry.lock`, `uv.lock`), Maven
//! (`pom.xml`), Gradle (`build.gradle`, `build.gradle.kts`: best effort, see
//! [`gradle`]), NuGet (`*.csproj`/`*.fsproj`/`*.vbproj`, `packages.config`,
//! `packages.lock.json`), Cargo (`Cargo.toml`, `Cargo.lock`), Composer
//! (`composer.json`, `composer.lock`) and Bundler (`Gemfile.lock`).

use std::fmt;

mod cargo;
pub mod catalog;
mod chart_name;
pub mod codeowners;
mod composer;
pub mod declared;
mod go;
pub mod gradle;
mod maven;
mod merge;
mod npm;
mod nuget;
pub mod purpose;
mod python;
mod ruby;
pub mod versions;
mod xml;

pub use merge::merge_folder;

/// A package registry: the namespace a package name lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Ecosystem {
    Npm,
    Go,
    Pypi,
    Maven,
    Nuget,
    Cargo,
    Composer,
    Rubygems,
}

impl Ecosystem {
    pub const ALL: [Ecosystem; 8] = [
        Ecosystem::Npm,
        Ecosystem::Go,
        Ecosystem::Pypi,
        Ecosystem::Maven,
        Ecosystem::Nuget,
        Ecosystem::Cargo,
        Ecosystem::Composer,
        Ecosystem::Rubygems,
    ];

    /// The name in package keys (`package:<ecosystem>/<name>`), the same the
    /// synthetic organisation uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Ecosystem::Npm => "npm",
            Ecosystem::Go => "go",
            Ecosystem::Pypi => "pypi",
            Ecosystem::Maven => "maven",
            Ecosystem::Nuget => "nuget",
            Ecosystem::Cargo => "cargo",
            Ecosystem::Composer => "composer",
            Ecosystem::Rubygems => "rubygems",
        }
    }

    /// The ecosystem [`Ecosystem::as_str`] names.
    pub fn from_id(id: &str) -> Option<Ecosystem> {
        Ecosystem::ALL.into_iter().find(|e| e.as_str() == id)
    }
}

impl fmt::Display for Ecosystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A package's name as its registry compares names, so that one package
/// read from two files gets one key: PyPI folds case and runs of `-`, `_`
/// and `.` into `-` (PEP 503); Composer names are lower case by rule. Every
/// other registry's names are kept as written (NuGet ids compare without
/// case, but their canonical spelling is the one people search for).
pub fn normalise_name(ecosystem: Ecosystem, name: &str) -> String {
    match ecosystem {
        Ecosystem::Pypi => {
            let mut out = String::with_capacity(name.len());
            let mut separator = false;
            for c in name.trim().chars() {
                if matches!(c, '-' | '_' | '.') {
                    separator = true;
                    continue;
                }
                if separator && !out.is_empty() {
                    out.push('-');
                }
                separator = false;
                out.extend(c.to_lowercase());
            }
            out
        }
        Ecosystem::Composer => name.trim().to_lowercase(),
        _ => name.trim().to_string(),
    }
}

/// The entity key of a package: `package:npm/@acme/ui`,
/// `package:maven/com.acme:lib`, `package:pypi/acme-utils`.
pub fn package_key(ecosystem: Ecosystem, name: &str) -> String {
    crate::keys::package(ecosystem.as_str(), &normalise_name(ecosystem, name))
}

/// The ecosystem a package key names (`package:npm/@acme/ui` → npm), the
/// inverse of [`package_key`]; `None` for a key of another shape.
pub fn package_ecosystem(key: &str) -> Option<Ecosystem> {
    let (ecosystem, _) = crate::keys::name_in(key, crate::keys::PACKAGE)?.split_once('/')?;
    Ecosystem::from_id(ecosystem)
}

/// What a dependency is needed for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DepScope {
    /// Shipped with, or needed by, the running code.
    Runtime,
    /// Development only: linters, type stubs, dev servers, debug tools.
    Dev,
    /// Tests only.
    Test,
    /// Building only: build plugins, compile-only APIs, analyzers, codegen.
    Build,
    /// A runtime dependency that is only there when a feature or extra asks
    /// for it.
    Optional,
}

impl DepScope {
    pub fn as_str(self) -> &'static str {
        match self {
            DepScope::Runtime => "runtime",
            DepScope::Dev => "dev",
            DepScope::Test => "test",
            DepScope::Build => "build",
            DepScope::Optional => "optional",
        }
    }

    /// When one folder declares a package twice (React as a peer and a dev
    /// dependency), the relation keeps the scope that matters most: what
    /// ships first, then what builds it, then what only developers see.
    pub(crate) fn strength(self) -> u8 {
        match self {
            DepScope::Runtime => 4,
            DepScope::Optional => 3,
            DepScope::Build => 2,
            DepScope::Dev => 1,
            DepScope::Test => 0,
        }
    }
}

impl fmt::Display for DepScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One package a manifest or lockfile says the code uses: a `uses` relation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dependency {
    pub ecosystem: Ecosystem,
    /// As the registry names it (see [`normalise_name`]); Maven's is
    /// `groupId:artifactId`, Go's the module path.
    pub name: String,
    /// What the manifest asks for (`^1.2.0`, `>=2,<3`, `[1.0,2.0)`), when it
    /// says; `None` for lockfile-only (transitive) packages and for
    /// path, git or workspace dependencies that name no version.
    pub spec: Option<String>,
    /// The version in use, when a file fixes it: a lockfile, or a manifest
    /// whose spec is an exact version (go.mod, Maven, NuGet's lowest
    /// applicable version, `==` pins, npm exact versions).
    pub resolved: Option<String>,
    pub scope: DepScope,
    /// Declared by the project itself, as opposed to pulled in by another
    /// package (found only in a lockfile, or marked `// indirect`).
    pub direct: bool,
    /// The path of the file that declares it (the lockfile's for
    /// lockfile-only packages).
    pub manifest: String,
    /// What the package is to the build when it is more than a library: a
    /// Maven `<parent>` or an imported BOM (Maven `<scope>import</scope>`,
    /// Gradle `platform(…)`), whose versions the build's other packages take.
    pub role: Option<DepRole>,
    /// The parent or BOM (its package name) that gives this dependency's
    /// version when the manifest names none.
    pub managed_by: Option<String>,
}

/// See [`Dependency::role`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DepRole {
    Parent,
    Bom,
}

impl DepRole {
    pub fn as_str(self) -> &'static str {
        match self {
            DepRole::Parent => "parent",
            DepRole::Bom => "bom",
        }
    }
}

/// A package a manifest says this code is published as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    pub ecosystem: Ecosystem,
    /// npm package name, Go module path, Maven `groupId:artifactId`, crate
    /// name, PyPI project name (normalised), NuGet PackageId, Composer name,
    /// gem name (from a `Gemfile.lock`'s `PATH` of the repository itself).
    pub name: String,
    pub version: Option<String>,
    pub manifest: String,
    /// The manifest says the package is released for others to use, beyond
    /// having a name: an npm package not `private`, a Maven project with
    /// `<distributionManagement>`, a NuGet project that packs, a crate with
    /// an explicit `publish`, a Composer `library`. A service's own manifest
    /// without it is the service's, not a package (see
    /// `github::own_packages`).
    pub distributed: bool,
    /// A Maven project that names no groupId takes its parent's: the
    /// parent's `groupId:artifactId`, so that a third-party parent's group
    /// (`org.springframework.boot`) is not taken for the organisation's.
    pub group_of_parent: Option<String>,
}

/// Everything one file says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Manifest {
    pub dependencies: Vec<Dependency>,
    pub publishes: Vec<Published>,
    /// Workspace members (folders or globs, relative to the file's folder):
    /// npm/yarn `workspaces`, `pnpm-workspace.yaml` packages and pnpm
    /// importers, Cargo `workspace.members`, Maven `modules`.
    pub members: Vec<String>,
}

/// The formats [`parse`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ManifestKind {
    PackageJson,
    /// `package-lock.json` or `npm-shrinkwrap.json`.
    PackageLock,
    YarnLock,
    PnpmLock,
    PnpmWorkspace,
    GoMod,
    /// `requirements*.txt`, `*requirements.txt`, `requirements/*.txt`, and
    /// the inputs pip-compile and uv compile them from (`requirements*.in`).
    Requirements,
    Pyproject,
    /// Pipenv's `Pipfile`.
    Pipfile,
    PipfileLock,
    /// `poetry.lock` and `uv.lock`.
    PythonLock,
    Pom,
    /// `build.gradle` and `build.gradle.kts`.
    Gradle,
    /// `*.csproj`, `*.fsproj`, `*.vbproj`.
    MsBuildProject,
    PackagesConfig,
    NugetLock,
    CargoToml,
    CargoLock,
    ComposerJson,
    ComposerLock,
    GemfileLock,
}

impl ManifestKind {
    pub fn ecosystem(self) -> Ecosystem {
        use ManifestKind::*;
        match self {
            PackageJson | PackageLock | YarnLock | PnpmLock | PnpmWorkspace => Ecosystem::Npm,
            GoMod => Ecosystem::Go,
            Requirements | Pyproject | Pipfile | PipfileLock | PythonLock => Ecosystem::Pypi,
            Pom | Gradle => Ecosystem::Maven,
            MsBuildProject | PackagesConfig | NugetLock => Ecosystem::Nuget,
            CargoToml | CargoLock => Ecosystem::Cargo,
            ComposerJson | ComposerLock => Ecosystem::Composer,
            GemfileLock => Ecosystem::Rubygems,
        }
    }

    /// Lockfiles record what was resolved; [`merge_folder`] gives their
    /// versions to the dependencies the other files declare.
    pub fn is_lockfile(self) -> bool {
        use ManifestKind::*;
        matches!(
            self,
            PackageLock
                | YarnLock
                | PnpmLock
                | NugetLock
                | CargoLock
                | ComposerLock
                | GemfileLock
                | PipfileLock
                | PythonLock
        )
    }
}

/// Why a file could not be read as its format: `path:line: message`, or
/// `path: message` when the parser does not say where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}{}: {message}", .line.map(|n| format!(":{n}")).unwrap_or_default())]
pub struct ParseError {
    pub path: String,
    /// 1-based, when the format's parser says where.
    pub line: Option<usize>,
    pub message: String,
}

impl ParseError {
    pub(crate) fn new(path: &str, message: impl Into<String>) -> ParseError {
        ParseError { path: path.to_string(), line: None, message: message.into() }
    }

    pub(crate) fn at(path: &str, line: usize, message: impl Into<String>) -> ParseError {
        ParseError { path: path.to_string(), line: Some(line), message: message.into() }
    }
}

/// The file name: what follows the last `/`.
pub(crate) fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// `base` joined with a relative path, normalised (`./`, `//`, trailing
/// `/`); `None` when it climbs out of the repository.
pub(crate) fn join_path(base: &str, relative: &str) -> Option<String> {
    if relative.starts_with('/') {
        return None;
    }
    let mut parts: Vec<&str> = base.split('/').filter(|p| !p.is_empty()).collect();
    for part in relative.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            part => parts.push(part),
        }
    }
    Some(parts.join("/"))
}

/// The folder a path is in, `""` at the root.
pub(crate) fn folder_of(path: &str) -> &str {
    path.rfind('/').map_or("", |i| &path[..i])
}

/// Which format a path holds, by its file name; `None` for everything else.
pub fn detect(path: &str) -> Option<ManifestKind> {
    use ManifestKind::*;
    let name = file_name(path);
    let kind = match name {
        "package.json" => PackageJson,
        "package-lock.json" | "npm-shrinkwrap.json" => PackageLock,
        "yarn.lock" => YarnLock,
        "pnpm-lock.yaml" => PnpmLock,
        "pnpm-workspace.yaml" => PnpmWorkspace,
        "go.mod" => GoMod,
        "pyproject.toml" => Pyproject,
        "Pipfile" => Pipfile,
        "Pipfile.lock" => PipfileLock,
        "poetry.lock" | "uv.lock" => PythonLock,
        "pom.xml" => Pom,
        "build.gradle" | "build.gradle.kts" => Gradle,
        "packages.config" => PackagesConfig,
        "packages.lock.json" => NugetLock,
        "Cargo.toml" => CargoToml,
        "Cargo.lock" => CargoLock,
        "composer.json" => ComposerJson,
        "composer.lock" => ComposerLock,
        "Gemfile.lock" => GemfileLock,
        _ => {
            let lower = name.to_ascii_lowercase();
            let in_requirements_folder = file_name(folder_of(path)) == "requirements";
            let requirements_like = lower.ends_with(".txt") || lower.ends_with(".in");
            if requirements_like && (lower.contains("requirements") || in_requirements_folder) {
                Requirements
            } else if [".csproj", ".fsproj", ".vbproj"].iter().any(|ext| lower.ends_with(ext)) && lower.len() > 7 {
                MsBuildProject
            } else {
                return None;
            }
        }
    };
    Some(kind)
}

/// The folder names [`is_vendored`] skips.
const VENDORED: &[&str] = &[
    "node_modules",
    "vendor",
    "third_party",
    "third-party",
    "bower_components",
    "jspm_packages",
    "Pods",
    "Carthage",
    "site-packages",
    ".venv",
    "venv",
    ".tox",
    ".nox",
    "__pycache__",
    ".bundle",
    ".yarn",
    ".pnpm-store",
    ".gradle",
    ".m2",
    ".git",
    ".hg",
    ".svn",
    "dist",
    "testdata",
    "fixtures",
    "__fixtures__",
];

/// Whether a path lies in a folder whose files are not the repository's own
/// code, so that its manifests are skipped: installed
/// or vendored dependencies (`node_modules`, `vendor`, `third_party`,
/// `bower_components`, `jspm_packages`, `Pods`, `Carthage`,
/// `site-packages`), virtual environments and tool caches (`.venv`, `venv`,
/// `.tox`, `.nox`, `__pycache__`, `.bundle`, `.yarn`, `.pnpm-store`,
/// `.gradle`, `.m2`), version control (`.git`, `.hg`, `.svn`), build output
/// that is sometimes committed with a copy of the manifest (`dist`), and test
/// fixtures, whose manifests are samples, not the code's (`testdata`, which
/// the Go tool ignores too, `fixtures`, `__fixtures__`).
///
/// `build`, `target` and `out` are not skipped: they are build output in
/// Gradle, Cargo and Maven, but real source folders in many repositories
/// (`build/` of Go projects, `tools/build`), and build output is rarely
/// committed.
pub fn is_vendored(path: &str) -> bool {
    let mut segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    segments.pop(); // the file itself may be named anything
    segments.iter().any(|segment| VENDORED.contains(segment))
}

/// Reads one file as the format its path names.
pub fn parse(path: &str, content: &str) -> Result<Manifest, ParseError> {
    let Some(kind) = detect(path) else {
        return Err(ParseError::new(path, "not a dependency manifest this parser knows"));
    };
    parse_as(kind, path, content)
}

/// Reads one file as the format its path names, with the other files its
/// reading depends on ([`context_files`]) as (path, content).
pub fn parse_in(path: &str, content: &str, context: &[(&str, &str)]) -> Result<Manifest, ParseError> {
    let content_without_bom = content.strip_prefix('\u{feff}').unwrap_or(content);
    match detect(path) {
        Some(ManifestKind::Gradle) if !context.is_empty() => {
            gradle::build_gradle_in(path, content_without_bom, context)
        }
        Some(ManifestKind::MsBuildProject) if !context.is_empty() => {
            nuget::msbuild_project_in(path, content_without_bom, context)
        }
        _ => parse(path, content),
    }
}

/// The files among `paths` that the manifests of `folder` are read with
/// ([`parse_in`]): for a Gradle build, the version catalogs and
/// `gradle.properties` above it; for an MSBuild project, the nearest
/// `Directory.Packages.props`. Empty for every other format.
pub fn context_files<'a>(
    folder: &str,
    manifests: &[&str],
    paths: impl Iterator<Item = &'a str> + Clone,
) -> Vec<&'a str> {
    let has = |kind| manifests.iter().any(|m| detect(m) == Some(kind));
    let mut out = Vec::new();
    if has(ManifestKind::Gradle) {
        out.extend(gradle::context_files(folder, paths.clone()));
    }
    if has(ManifestKind::MsBuildProject) {
        out.extend(nuget::context_files(folder, paths));
    }
    out
}

/// Whether a file is one some manifest is read with ([`context_files`]),
/// though it declares nothing itself: a Gradle version catalog,
/// `gradle.properties`, `Directory.Packages.props`.
pub fn is_context_file(path: &str) -> bool {
    gradle::is_context_file(path) || nuget::is_context_file(path)
}

/// Whether a context file ([`is_context_file`]) reads as its format: a
/// version catalog that is not valid TOML, or names a library without a
/// module, or a `Directory.Packages.props` that is not XML, is an error
/// naming it.
pub fn check_context(path: &str, content: &str) -> Result<(), ParseError> {
    if nuget::is_context_file(path) {
        nuget::check_context(path, content.strip_prefix('\u{feff}').unwrap_or(content))
    } else {
        gradle::check_context(path, content)
    }
}

/// Reads one file as the given format, whatever its name.
pub fn parse_as(kind: ManifestKind, path: &str, content: &str) -> Result<Manifest, ParseError> {
    use ManifestKind::*;
    // A byte-order mark is common in files written on Windows (csproj,
    // packages.config, JSON); no parser wants it.
    let content = content.strip_prefix('\u{feff}').unwrap_or(content);
    match kind {
        PackageJson => npm::package_json(path, content),
        PackageLock => npm::package_lock(path, content),
        YarnLock => npm::yarn_lock(path, content),
        PnpmLock => npm::pnpm_lock(path, content),
        PnpmWorkspace => npm::pnpm_workspace(path, content),
        GoMod => go::go_mod(path, content),
        Requirements => python::requirements(path, content),
        Pyproject => python::pyproject(path, content),
        Pipfile => python::pipfile(path, content),
        PipfileLock => python::pipfile_lock(path, content),
        PythonLock => python::python_lock(path, content),
        Pom => maven::pom(path, content),
        Gradle => gradle::build_gradle(path, content),
        MsBuildProject => nuget::msbuild_project(path, content),
        PackagesConfig => nuget::packages_config(path, content),
        NugetLock => nuget::packages_lock(path, content),
        CargoToml => cargo::cargo_toml(path, content),
        CargoLock => cargo::cargo_lock(path, content),
        ComposerJson => composer::composer_json(path, content),
        ComposerLock => composer::composer_lock(path, content),
        GemfileLock => ruby::gemfile_lock(path, content),
    }
}

/// A dependency a manifest declares.
pub(crate) fn declared(
    ecosystem: Ecosystem,
    name: &str,
    spec: Option<String>,
    scope: DepScope,
    manifest: &str,
) -> Dependency {
    Dependency {
        ecosystem,
        name: normalise_name(ecosystem, name),
        spec,
        resolved: None,
        scope,
        direct: true,
        manifest: manifest.to_string(),
        role: None,
        managed_by: None,
    }
}

/// A package a lockfile resolved.
pub(crate) fn locked(
    ecosystem: Ecosystem,
    name: &str,
    version: &str,
    scope: DepScope,
    direct: bool,
    manifest: &str,
) -> Dependency {
    Dependency {
        ecosystem,
        name: normalise_name(ecosystem, name),
        spec: None,
        resolved: Some(version.to_string()),
        scope,
        direct,
        manifest: manifest.to_string(),
        role: None,
        managed_by: None,
    }
}

/// Lockfiles list a package once per place it is installed; one entry per
/// (name, version) is enough, with the strongest scope any copy has and
/// direct if any copy is.
pub(crate) fn dedup_locked(deps: Vec<Dependency>) -> Vec<Dependency> {
    let mut out: Vec<Dependency> = Vec::with_capacity(deps.len());
    let mut index: std::collections::HashMap<(String, Option<String>), usize> = std::collections::HashMap::new();
    for dep in deps {
        match index.get(&(dep.name.clone(), dep.resolved.clone())) {
            Some(&i) => {
                let kept = &mut out[i];
                if dep.scope.strength() > kept.scope.strength() {
                    kept.scope = dep.scope;
                }
                if dep.direct && !kept.direct {
                    kept.direct = true;
                    kept.spec = dep.spec.or(kept.spec.take());
                }
            }
            None => {
                index.insert((dep.name.clone(), dep.resolved.clone()), out.len());
                out.push(dep);
            }
        }
    }
    out
}

/// The file as JSON; the error names the line.
pub(crate) fn read_json(path: &str, content: &str) -> Result<serde_json::Value, ParseError> {
    serde_json::from_str(content).map_err(|e| ParseError::at(path, e.line(), format!("not valid JSON: {e}")))
}

/// The file as one YAML document; the error names the line.
pub(crate) fn read_yaml(path: &str, content: &str) -> Result<yaml_serde::Value, ParseError> {
    check_yaml_nesting(path, content)?;
    yaml_serde::from_str(content).map_err(|e| yaml_error(path, &e))
}

/// The YAML parser refuses documents nested deeper than 128 levels, but
/// only after scanning them, which takes seconds for a hostile file of a
/// few hundred kilobytes of `[`. Counting brackets first (quotes ignored,
/// so a bracket inside a string counts too) refuses those at once; no real
/// catalog or lockfile comes near the limit.
pub(crate) fn check_yaml_nesting(path: &str, content: &str) -> Result<(), ParseError> {
    const LIMIT: usize = 128;
    let mut depth = 0usize;
    for (offset, byte) in content.bytes().enumerate() {
        match byte {
            b'[' | b'{' => {
                depth += 1;
                if depth > LIMIT {
                    let message = format!("not valid YAML: brackets nested deeper than {LIMIT}");
                    return Err(ParseError::at(path, line_of(content, offset), message));
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

pub(crate) fn yaml_error(path: &str, e: &yaml_serde::Error) -> ParseError {
    match e.location() {
        Some(at) => ParseError::at(path, at.line(), format!("not valid YAML: {e}")),
        None => ParseError::new(path, format!("not valid YAML: {e}")),
    }
}

/// The file as a TOML table; the error names the line.
pub(crate) fn read_toml(path: &str, content: &str) -> Result<toml::Table, ParseError> {
    content.parse::<toml::Table>().map_err(|e| {
        let message = format!("not valid TOML: {}", e.message());
        match e.span() {
            Some(span) => ParseError::at(path, line_of(content, span.start), message),
            None => ParseError::new(path, message),
        }
    })
}

/// The 1-based line a byte offset is on.
pub(crate) fn line_of(content: &str, offset: usize) -> usize {
    content.as_bytes()[..offset.min(content.len())].iter().filter(|b| **b == b'\n').count() + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_keys_match_the_synthetic_organisation() {
        assert_eq!(package_key(Ecosystem::Pypi, "foo"), "package:pypi/foo");
        assert_eq!(package_key(Ecosystem::Maven, "com.acme:lib"), "package:maven/com.acme:lib");
        assert_eq!(package_key(Ecosystem::Npm, "@acme/ui"), "package:npm/@acme/ui");
        assert_eq!(package_key(Ecosystem::Go, "github.com/acme/lib"), "package:go/github.com/acme/lib");
        assert_eq!(package_key(Ecosystem::Nuget, "Acme.Lib"), "package:nuget/Acme.Lib");
    }

    #[test]
    fn a_package_key_names_its_ecosystem() {
        for ecosystem in Ecosystem::ALL {
            assert_eq!(package_ecosystem(&package_key(ecosystem, "@acme/a-lib")), Some(ecosystem));
        }
        assert_eq!(package_ecosystem("package:maven/com.acme:lib"), Some(Ecosystem::Maven));
        assert_eq!(package_ecosystem("package:left-pad"), None);
        assert_eq!(package_ecosystem("package:docker/nginx"), None);
        assert_eq!(package_ecosystem("repo:npm/left-pad"), None);
    }

    #[test]
    fn pypi_and_composer_names_are_normalised() {
        assert_eq!(normalise_name(Ecosystem::Pypi, "Django_REST.framework"), "django-rest-framework");
        assert_eq!(normalise_name(Ecosystem::Pypi, "zope..interface"), "zope-interface");
        assert_eq!(normalise_name(Ecosystem::Composer, "Symfony/Console"), "symfony/console");
        assert_eq!(normalise_name(Ecosystem::Npm, "React"), "React");
    }

    #[test]
    fn formats_are_known_by_file_name() {
        assert_eq!(detect("package.json"), Some(ManifestKind::PackageJson));
        assert_eq!(detect("web/npm-shrinkwrap.json"), Some(ManifestKind::PackageLock));
        assert_eq!(detect("svc/requirements-dev.txt"), Some(ManifestKind::Requirements));
        assert_eq!(detect("dev-requirements.txt"), Some(ManifestKind::Requirements));
        assert_eq!(detect("requirements/base.txt"), Some(ManifestKind::Requirements));
        assert_eq!(detect("svc/requirements.in"), Some(ManifestKind::Requirements));
        assert_eq!(detect("requirements/dev.in"), Some(ManifestKind::Requirements));
        assert_eq!(detect("Makefile.in"), None);
        assert_eq!(detect("src/Api/Api.csproj"), Some(ManifestKind::MsBuildProject));
        assert_eq!(detect("app/build.gradle.kts"), Some(ManifestKind::Gradle));
        assert_eq!(detect("notes.txt"), None);
        assert_eq!(detect("Package.json"), None);
        assert_eq!(detect(".csproj"), None);
        assert!(ManifestKind::GemfileLock.is_lockfile());
        assert!(!ManifestKind::GoMod.is_lockfile());
    }

    #[test]
    fn vendored_folders_are_skipped_but_not_files_named_like_them() {
        assert!(is_vendored("node_modules/react/package.json"));
        assert!(is_vendored("web/node_modules/@babel/core/package.json"));
        assert!(is_vendored("vendor/github.com/pkg/errors/go.mod"));
        assert!(is_vendored("cmd/tool/testdata/go.mod"));
        assert!(is_vendored(".venv/lib/python3.12/site-packages/x/pyproject.toml"));
        assert!(is_vendored("ios/Pods/Foo/package.json"));
        assert!(!is_vendored("package.json"));
        assert!(!is_vendored("services/vendor-portal/package.json"));
        assert!(!is_vendored("build/go.mod"));
        assert!(!is_vendored("tools/vendor"));
    }

    #[test]
    fn errors_name_the_path_and_line() {
        assert_eq!(ParseError::at("a/go.mod", 3, "no version").to_string(), "a/go.mod:3: no version");
        assert_eq!(ParseError::new("pom.xml", "not XML").to_string(), "pom.xml: not XML");
        assert_eq!(parse("README.md", "").unwrap_err().path, "README.md");
    }
}
