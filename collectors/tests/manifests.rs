//! The manifest, lockfile, catalog and CODEOWNERS parsers on realistic
//! files (tests/fixtures/manifests/), generated lockfiles with hundreds of
//! entries, workspaces, and malformed or hostile input.

use collectors::manifests::catalog::{self, CatalogEntry, Link};
use collectors::manifests::codeowners::{self, Owner};
use collectors::manifests::versions::{self, Lag};
use collectors::manifests::{
    detect, merge_folder, package_key, parse, parse_as, parse_in, DepScope, Dependency, Ecosystem, Manifest,
    ManifestKind, Published,
};
use DepScope::*;

fn fixture(path: &str) -> String {
    let full = format!("{}/tests/fixtures/manifests/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{full}: {e}"))
}

/// Parses a fixture as if it were at `repo_path` in a repository.
fn read(fixture_path: &str, repo_path: &str) -> Manifest {
    parse(repo_path, &fixture(fixture_path)).unwrap_or_else(|e| panic!("{e}"))
}

/// (name, spec, resolved, scope, direct): what a test compares.
type Row = (String, Option<String>, Option<String>, DepScope, bool);

fn rows(deps: &[Dependency]) -> Vec<Row> {
    deps.iter().map(|d| (d.name.clone(), d.spec.clone(), d.resolved.clone(), d.scope, d.direct)).collect()
}

fn row(name: &str, spec: Option<&str>, resolved: Option<&str>, scope: DepScope, direct: bool) -> Row {
    (name.to_string(), spec.map(str::to_string), resolved.map(str::to_string), scope, direct)
}

fn sorted(mut rows: Vec<Row>) -> Vec<Row> {
    rows.sort_by(|a, b| (&a.0, &a.2).cmp(&(&b.0, &b.2)));
    rows
}

/// What a manifest publishes, as these fixtures declare it: npm packages
/// not `private` and packing NuGet projects say they are released; none of
/// them takes its group from a parent.
fn published(ecosystem: Ecosystem, name: &str, version: Option<&str>, manifest: &str) -> Published {
    Published {
        ecosystem,
        name: name.into(),
        version: version.map(str::to_string),
        manifest: manifest.into(),
        distributed: matches!(ecosystem, Ecosystem::Npm | Ecosystem::Nuget),
        group_of_parent: None,
    }
}

// ------------------------------------------------------------------ npm

#[test]
fn package_json_declares_every_section_with_aliases_and_optional_peers() {
    let m = read("npm/package.json", "web/package.json");
    assert_eq!(
        rows(&m.dependencies),
        vec![
            row("@acme/design-system", Some("^5.2.0"), None, Runtime, true),
            row("react", Some("^18.2.0"), None, Runtime, true),
            row("react-dom", Some("^18.2.0"), None, Runtime, true),
            row("react-router-dom", Some("6.22.3"), Some("6.22.3"), Runtime, true),
            row("string-width", Some("^4.2.0"), None, Runtime, true),
            row("zod", Some("~3.22.4"), None, Runtime, true),
            row("@types/react", Some("^18.2.66"), None, Dev, true),
            row("react", Some("^18.2.0"), None, Dev, true),
            row("typescript", Some("^5.4.2"), None, Dev, true),
            row("vite", Some("^5.1.6"), None, Dev, true),
            row("vitest", Some("^1.4.0"), None, Dev, true),
            row("fsevents", Some("^2.3.3"), None, Optional, true),
            row("prop-types", Some("*"), None, Optional, true),
            row("styled-components", Some(">=5"), None, Runtime, true),
        ]
    );
    assert!(m.dependencies.iter().all(|d| d.manifest == "web/package.json" && d.ecosystem == Ecosystem::Npm));
    // Sections in the order above; within one, names in order (JSON objects are read as sorted maps).
    assert_eq!(m.publishes, vec![], "a private package is not published");
}

#[test]
fn package_lock_v3_knows_direct_packages_scopes_and_nested_copies() {
    let m = read("npm/package-lock.json", "web/package-lock.json");
    assert_eq!(
        sorted(rows(&m.dependencies)),
        vec![
            row("@acme/design-system", Some("^5.2.0"), Some("5.3.0"), Runtime, true),
            row("@types/react", Some("^18.2.66"), Some("18.2.67"), Dev, true),
            row("clsx", None, Some("2.1.0"), Runtime, false),
            row("csstype", None, Some("3.1.3"), Dev, false),
            row("esbuild", None, Some("0.19.12"), Dev, false),
            row("esbuild", None, Some("0.20.2"), Dev, false),
            row("fsevents", Some("^2.3.3"), Some("2.3.3"), Optional, true),
            row("js-tokens", None, Some("4.0.0"), Runtime, false),
            row("loose-envify", None, Some("1.4.0"), Runtime, false),
            row("react", Some("^18.2.0"), Some("18.2.0"), Runtime, true),
            row("react-dom", Some("^18.2.0"), Some("18.2.0"), Runtime, true),
            row("react-router", None, Some("6.22.3"), Runtime, false),
            row("react-router-dom", Some("6.22.3"), Some("6.22.3"), Runtime, true),
            row("scheduler", None, Some("0.23.0"), Runtime, false),
            row("string-width", Some("npm:string-width@^4.2.0"), Some("4.2.3"), Runtime, true),
            row("typescript", Some("^5.4.2"), Some("5.4.2"), Dev, true),
            row("vite", Some("^5.1.6"), Some("5.1.6"), Dev, true),
            row("vitest", Some("^1.4.0"), Some("1.4.0"), Dev, true),
            row("zod", Some("~3.22.4"), Some("3.22.4"), Runtime, true),
        ]
    );
}

#[test]
fn package_lock_v1_reads_nested_dependencies_but_knows_nothing_direct() {
    let m = read("npm/package-lock-v1.json", "package-lock.json");
    assert_eq!(
        sorted(rows(&m.dependencies)),
        vec![
            row("debug", None, Some("2.6.9"), Runtime, false),
            row("debug", None, Some("4.3.1"), Runtime, false),
            row("express", None, Some("4.17.1"), Runtime, false),
            row("mocha", None, Some("8.2.1"), Dev, false),
            row("ms", None, Some("2.0.0"), Runtime, false),
            row("ms", None, Some("2.1.2"), Runtime, false),
            row("qs", None, Some("6.7.0"), Runtime, false),
            row("wrap-ansi", None, Some("7.0.0"), Runtime, false),
        ]
    );
}

#[test]
fn a_folder_merges_package_json_with_its_lockfile() {
    let merged = merge_folder(vec![
        ("web/package.json".into(), read("npm/package.json", "web/package.json")),
        ("web/package-lock.json".into(), read("npm/package-lock.json", "web/package-lock.json")),
    ]);
    assert_eq!(
        rows(&merged),
        vec![
            row("@acme/design-system", Some("^5.2.0"), Some("5.3.0"), Runtime, true),
            // Declared as a dependency and a dev dependency: runtime wins.
            row("react", Some("^18.2.0"), Some("18.2.0"), Runtime, true),
            row("react-dom", Some("^18.2.0"), Some("18.2.0"), Runtime, true),
            row("react-router-dom", Some("6.22.3"), Some("6.22.3"), Runtime, true),
            row("string-width", Some("^4.2.0"), Some("4.2.3"), Runtime, true),
            row("zod", Some("~3.22.4"), Some("3.22.4"), Runtime, true),
            row("@types/react", Some("^18.2.66"), Some("18.2.67"), Dev, true),
            row("typescript", Some("^5.4.2"), Some("5.4.2"), Dev, true),
            row("vite", Some("^5.1.6"), Some("5.1.6"), Dev, true),
            row("vitest", Some("^1.4.0"), Some("1.4.0"), Dev, true),
            row("fsevents", Some("^2.3.3"), Some("2.3.3"), Optional, true),
            // Peers the lockfile does not install stay unresolved.
            row("prop-types", Some("*"), None, Optional, true),
            row("styled-components", Some(">=5"), None, Runtime, true),
            // Lockfile only: one per package, the lowest version.
            row("clsx", None, Some("2.1.0"), Runtime, false),
            row("csstype", None, Some("3.1.3"), Dev, false),
            row("esbuild", None, Some("0.19.12"), Dev, false),
            row("js-tokens", None, Some("4.0.0"), Runtime, false),
            row("loose-envify", None, Some("1.4.0"), Runtime, false),
            row("react-router", None, Some("6.22.3"), Runtime, false),
            row("scheduler", None, Some("0.23.0"), Runtime, false),
        ]
    );
    let manifests: Vec<&str> = merged.iter().map(|d| d.manifest.as_str()).collect();
    assert_eq!(manifests[0], "web/package.json");
    assert_eq!(manifests[13], "web/package-lock.json");
}

#[test]
fn yarn_v1_lockfile_entries_with_aliases_and_local_packages() {
    let m = read("npm/yarn.lock", "yarn.lock");
    assert_eq!(
        rows(&m.dependencies),
        vec![
            row("@babel/code-frame", None, Some("7.23.5"), Runtime, false),
            row("@babel/highlight", None, Some("7.23.4"), Runtime, false),
            row("chalk", None, Some("2.4.2"), Runtime, false),
            row("chalk", None, Some("4.1.2"), Runtime, false),
            row("string-width", None, Some("4.2.3"), Runtime, false),
            row("lodash", None, Some("4.17.21"), Runtime, false),
        ]
    );
}

#[test]
fn yarn_v1_versions_follow_the_spec_when_merged() {
    let mut package = Manifest::default();
    let declared = |name: &str, spec: &str| Dependency {
        ecosystem: Ecosystem::Npm,
        name: name.into(),
        spec: Some(spec.into()),
        resolved: None,
        scope: Runtime,
        direct: true,
        manifest: "package.json".into(),
        role: None,
        managed_by: None,
    };
    package.dependencies = vec![declared("chalk", "^2.4.0"), declared("@babel/code-frame", "^7.0.0")];
    let merged =
        merge_folder(vec![("package.json".into(), package), ("yarn.lock".into(), read("npm/yarn.lock", "yarn.lock"))]);
    assert_eq!(merged[0].resolved.as_deref(), Some("2.4.2"), "chalk ^2.4.0 is 2.4.2, not 4.1.2");
    assert_eq!(merged[1].resolved.as_deref(), Some("7.23.5"));
    let names: Vec<&str> = merged.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(
        names,
        ["chalk", "@babel/code-frame", "@babel/highlight", "string-width", "lodash"],
        "chalk 4.1.2 is another copy of a declared package, not listed again"
    );
}

#[test]
fn yarn_berry_lockfile_is_yaml_with_resolutions() {
    let m = read("npm/yarn-berry.lock", "yarn.lock");
    assert_eq!(
        rows(&m.dependencies),
        vec![
            row("js-tokens", None, Some("4.0.0"), Runtime, false),
            row("react", None, Some("18.2.0"), Runtime, false),
            row("resolve", None, Some("1.22.8"), Runtime, false),
            row("string-width", None, Some("4.2.3"), Runtime, false),
        ]
    );
}

#[test]
fn pnpm_lockfiles_of_each_version() {
    let v5 = read("npm/pnpm-lock-v5.yaml", "pnpm-lock.yaml");
    assert_eq!(
        sorted(rows(&v5.dependencies)),
        vec![
            row("@babel/core", Some("^7.12.3"), Some("7.12.3"), Dev, true),
            row("debug", None, Some("4.3.1"), Dev, false),
            row("lodash", Some("^4.17.20"), Some("4.17.21"), Runtime, true),
        ]
    );
    let v6 = read("npm/pnpm-lock-v6.yaml", "pnpm-lock.yaml");
    assert_eq!(
        sorted(rows(&v6.dependencies)),
        vec![
            row("js-tokens", None, Some("4.0.0"), Runtime, false),
            row("loose-envify", None, Some("1.4.0"), Runtime, false),
            row("react", Some("^18.2.0"), Some("18.2.0"), Runtime, true),
            row("react-dom", Some("^18.2.0"), Some("18.2.0"), Runtime, true),
            row("scheduler", None, Some("0.23.0"), Runtime, false),
            row("typescript", Some("~5.3.3"), Some("5.3.3"), Dev, true),
        ]
    );
}

#[test]
fn pnpm_v9_workspace_importers_are_members() {
    let m = read("npm/pnpm-lock-v9.yaml", "pnpm-lock.yaml");
    assert_eq!(m.members, vec!["apps/storefront", "packages/ui"]);
    assert_eq!(
        sorted(rows(&m.dependencies)),
        vec![
            row("@next/env", None, Some("14.1.3"), Runtime, false),
            row("clsx", None, Some("2.1.0"), Runtime, false),
            row("next", None, Some("14.1.3"), Runtime, false),
            // Declared by a member as a dependency and by another as a dev one.
            row("react", None, Some("18.2.0"), Runtime, false),
            row("turbo", Some("^1.12.5"), Some("1.12.5"), Dev, true),
        ]
    );
    let workspace = read("npm/pnpm-workspace.yaml", "pnpm-workspace.yaml");
    assert_eq!(workspace.members, vec!["apps/*", "packages/*", "!**/test/**"]);
    assert_eq!(workspace.dependencies, vec![]);
}

#[test]
fn npm_workspace_members_take_versions_from_the_root_lockfile() {
    let root = read("npm-workspace/package.json", "package.json");
    assert_eq!(root.members, vec!["packages/*"]);
    let lock = read("npm-workspace/package-lock.json", "package-lock.json");
    assert_eq!(lock.members, vec!["packages/*"]);
    assert_eq!(
        sorted(rows(&lock.dependencies)),
        vec![
            // Hoisted to the root, declared by a member.
            row("clsx", Some("^2.0.0"), Some("2.1.0"), Runtime, true),
            row("eslint", Some("^8.57.0"), Some("8.57.0"), Dev, true),
            row("lodash", Some("4.17.15"), Some("4.17.15"), Runtime, true),
            row("lodash", Some("^4.17.21"), Some("4.17.21"), Runtime, true),
            row("react", Some(">=17"), Some("18.2.0"), Runtime, true),
        ]
    );
    let web = read("npm-workspace/packages/web/package.json", "packages/web/package.json");
    assert_eq!(web.publishes, vec![]);
    let merged =
        merge_folder(vec![("packages/web/package.json".into(), web), ("package-lock.json".into(), lock.clone())]);
    assert_eq!(
        rows(&merged),
        vec![
            // A workspace link is not a registry version.
            row("@acme/ui", Some("*"), None, Runtime, true),
            row("lodash", Some("4.17.15"), Some("4.17.15"), Runtime, true),
            row("react", Some("^18.2.0"), Some("18.2.0"), Runtime, true),
        ],
        "the root lockfile gives versions only: the workspace's other packages are not the member's"
    );
    let ui = read("npm-workspace/packages/ui/package.json", "packages/ui/package.json");
    assert_eq!(ui.publishes, vec![published(Ecosystem::Npm, "@acme/ui", Some("2.1.0"), "packages/ui/package.json")]);
    let merged = merge_folder(vec![("packages/ui/package.json".into(), ui), ("package-lock.json".into(), lock)]);
    assert_eq!(rows(&merged)[1], row("lodash", Some("^4.17.21"), Some("4.17.21"), Runtime, true));
}

/// A package-lock.json v3 with `count` top-level packages, each also
/// nested once under the previous one at an older version.
fn generated_package_lock(count: usize) -> String {
    let mut packages = vec![format!(
        r#""": {{"name": "big", "dependencies": {{{}}}}}"#,
        (0..count / 10).map(|i| format!(r#""pkg-{i}": "^{}.0.0""#, i % 7 + 1)).collect::<Vec<_>>().join(", ")
    )];
    for i in 0..count {
        let dev = if i % 3 == 0 { r#", "dev": true"# } else { "" };
        packages.push(format!(r#""node_modules/pkg-{i}": {{"version": "{}.{}.{}"{dev}}}"#, i % 7 + 1, i % 13, i % 5));
        if i > 0 {
            packages.push(format!(r#""node_modules/pkg-{}/node_modules/pkg-{i}": {{"version": "0.{i}.0"}}"#, i - 1));
        }
    }
    format!(r#"{{"lockfileVersion": 3, "packages": {{{}}}}}"#, packages.join(",\n"))
}

#[test]
fn a_package_lock_with_hundreds_of_packages() {
    let m = parse("package-lock.json", &generated_package_lock(600)).unwrap();
    assert_eq!(m.dependencies.len(), 600 + 599);
    let direct: Vec<&Dependency> = m.dependencies.iter().filter(|d| d.direct).collect();
    assert_eq!(direct.len(), 60);
    let pkg_42 = m.dependencies.iter().find(|d| d.name == "pkg-42" && d.direct).unwrap();
    assert_eq!(
        (pkg_42.spec.as_deref(), pkg_42.resolved.as_deref(), pkg_42.scope),
        (Some("^1.0.0"), Some("1.3.2"), Dev)
    );
    let merged = merge_folder(vec![("package-lock.json".into(), m)]);
    assert_eq!(merged.len(), 600, "one per package");
    let pkg_43 = merged.iter().find(|d| d.name == "pkg-43").unwrap();
    assert_eq!((pkg_43.resolved.as_deref(), pkg_43.direct), (Some("2.4.3"), true), "the copy the project declared");
    let pkg_143 = merged.iter().find(|d| d.name == "pkg-143").unwrap();
    assert_eq!((pkg_143.resolved.as_deref(), pkg_143.direct), (Some("0.143.0"), false), "the lowest copy");
}

#[test]
fn a_yarn_lock_and_a_pnpm_lock_with_hundreds_of_entries() {
    let mut yarn = String::from("# yarn lockfile v1\n\n");
    let mut pnpm = String::from("lockfileVersion: '9.0'\n\nimporters:\n  .:\n    dependencies:\n");
    for i in 0..400 {
        yarn.push_str(&format!("\"@scope/pkg-{i}@^{i}.0.0\", \"@scope/pkg-{i}@^{i}.1.0\":\n  version \"{i}.2.{}\"\n  resolved \"https://registry.yarnpkg.com/x.tgz\"\n  dependencies:\n    other \"^1\"\n\n", i % 9));
        if i < 40 {
            pnpm.push_str(&format!("      pkg-{i}:\n        specifier: ^{i}.0.0\n        version: {i}.2.0\n"));
        }
    }
    pnpm.push_str("\npackages:\n\n");
    for i in 0..400 {
        pnpm.push_str(&format!("  pkg-{i}@{i}.2.0:\n    resolution: {{integrity: sha512-x}}\n\n"));
    }
    let yarn = parse("yarn.lock", &yarn).unwrap();
    assert_eq!(yarn.dependencies.len(), 400);
    assert_eq!(rows(&yarn.dependencies)[399], row("@scope/pkg-399", None, Some("399.2.3"), Runtime, false));
    let pnpm = parse("pnpm-lock.yaml", &pnpm).unwrap();
    assert_eq!(pnpm.dependencies.len(), 400);
    assert_eq!(pnpm.dependencies.iter().filter(|d| d.direct).count(), 40);
    assert_eq!(rows(&pnpm.dependencies)[7], row("pkg-7", Some("^7.0.0"), Some("7.2.0"), Runtime, true));
}

// ------------------------------------------------------------------ Go

#[test]
fn go_mod_requirements_indirect_marks_and_replacements() {
    let m = read("go/go.mod", "services/billing/go.mod");
    assert_eq!(m.publishes, vec![published(Ecosystem::Go, "github.com/acme/billing", None, "services/billing/go.mod")]);
    assert_eq!(
        rows(&m.dependencies),
        vec![
            row("github.com/google/uuid", Some("v1.6.0"), Some("v1.6.0"), Runtime, true),
            row("github.com/jackc/pgx/v5", Some("v5.5.5"), Some("v5.5.5"), Runtime, true),
            row("github.com/prometheus/client_golang", Some("v1.19.0"), Some("v1.19.0"), Runtime, true),
            row("go.uber.org/zap", Some("v1.27.0"), Some("v1.27.0"), Runtime, true),
            row("golang.org/x/sync", Some("v0.6.0"), Some("v0.6.0"), Runtime, true),
            row("github.com/acme/quoted-path", Some("v0.3.0"), Some("v0.3.0"), Runtime, true),
            row("github.com/beorn7/perks", Some("v1.0.1"), Some("v1.0.1"), Runtime, false),
            row("github.com/cespare/xxhash/v2", Some("v2.2.0"), Some("v2.2.0"), Runtime, false),
            row("github.com/jackc/pgpassfile", Some("v1.0.0"), Some("v1.0.0"), Runtime, false),
            row(
                "github.com/jackc/pgservicefile",
                Some("v0.0.0-20221227161230-091c0ba34f0a"),
                Some("v0.0.0-20221227161230-091c0ba34f0a"),
                Runtime,
                false
            ),
            row("github.com/docker/docker", Some("v24.0.9+incompatible"), Some("v24.0.9+incompatible"), Runtime, false),
            row("go.uber.org/multierr", Some("v1.10.0"), Some("v1.10.0"), Runtime, false),
            // Replaced by a newer version of itself.
            row("golang.org/x/crypto", Some("v0.17.0"), Some("v0.21.0"), Runtime, false),
            // Replaced by a local folder: no registry version is built.
            row("github.com/acme/ledger-client", Some("v1.4.0"), None, Runtime, true),
        ]
    );
}

#[test]
fn a_go_mod_with_hundreds_of_requirements() {
    let mut text = String::from("module example.com/big\n\ngo 1.21\n\nrequire (\n");
    for i in 0..300 {
        text.push_str(&format!("\texample.com/dep{i} v1.{i}.0{}\n", if i % 2 == 0 { " // indirect" } else { "" }));
    }
    text.push_str(")\n");
    let m = parse("go.mod", &text).unwrap();
    assert_eq!(m.dependencies.len(), 300);
    assert_eq!(m.dependencies.iter().filter(|d| d.direct).count(), 150);
    assert_eq!(package_key(Ecosystem::Go, &m.dependencies[299].name), "package:go/example.com/dep299");
}

// ------------------------------------------------------------------ Python

#[test]
fn requirements_txt_from_pip_compile_with_options_urls_and_markers() {
    let m = read("python/requirements.txt", "requirements.txt");
    assert_eq!(
        rows(&m.dependencies),
        vec![
            row("certifi", Some("==2024.2.2"), Some("2024.2.2"), Runtime, false),
            row("charset-normalizer", Some("==3.3.2"), Some("3.3.2"), Runtime, false),
            row("django", Some(">=4.2,<5.0"), None, Runtime, true),
            row("requests", Some("==2.31.0"), Some("2.31.0"), Runtime, true),
            row("urllib3", Some("==2.2.1"), Some("2.2.1"), Runtime, true),
            row("gunicorn", None, None, Runtime, true),
            row("acme-auth", None, None, Runtime, true),
        ]
    );
    let dev = read("python/requirements-dev.txt", "requirements-dev.txt");
    assert_eq!(
        rows(&dev.dependencies),
        vec![
            row("pytest", Some(">=8.0"), None, Dev, true),
            row("ruff", Some("~=0.3.0"), None, Dev, true),
            row("mypy", Some("==1.9.0"), Some("1.9.0"), Dev, true),
        ]
    );
}

/// uv's output, as Online Boutique's Python services keep it: only what
/// `requirements.in` asks for (`# via -r requirements.in`) is direct.
#[test]
fn a_compiled_requirements_file_makes_direct_only_what_its_input_asks_for() {
    let m = read("python/compiled/requirements.txt", "notify/requirements.txt");
    let direct: Vec<&str> = m.dependencies.iter().filter(|d| d.direct).map(|d| d.name.as_str()).collect();
    assert_eq!(direct, ["flask", "google-cloud-pubsub", "structlog"]);
    let werkzeug = m.dependencies.iter().find(|d| d.name == "werkzeug").unwrap();
    assert_eq!((werkzeug.resolved.as_deref(), werkzeug.direct), (Some("3.0.3"), false), "transitive, with its version");
    assert_eq!(m.dependencies.len(), 12);
}

/// pip-compile's older and newer annotations: a list under `# via`, one on
/// the pin's own line; a pin with no annotation was added by hand.
#[test]
fn pip_compile_annotations_of_every_shape() {
    let m = read("python/compiled/requirements-dev.txt", "requirements-dev.txt");
    let direct: Vec<&str> = m.dependencies.iter().filter(|d| d.direct).map(|d| d.name.as_str()).collect();
    assert_eq!(direct, ["pytest", "pytest-cov", "mypy"]);
    let transitive: Vec<&str> = m.dependencies.iter().filter(|d| !d.direct).map(|d| d.name.as_str()).collect();
    assert_eq!(transitive, ["iniconfig", "packaging", "pluggy", "coverage"]);
}

/// Beside its `.in`, a compiled `.txt` is the lockfile: the input declares
/// (its specs kept), the output resolves, and nothing else is a `uses`.
#[test]
fn requirements_in_declares_and_the_compiled_txt_resolves() {
    let input = read("python/compiled/requirements.in", "notify/requirements.in");
    let output = read("python/compiled/requirements.txt", "notify/requirements.txt");
    let merged = merge_folder(vec![
        ("notify/requirements.in".into(), input),
        ("notify/requirements.txt".into(), output.clone()),
    ]);
    let direct: Vec<Row> = rows(&merged).into_iter().filter(|r| r.4).collect();
    assert_eq!(
        direct,
        vec![
            row("flask", Some(">=3.0"), Some("3.0.3"), Runtime, true),
            row("google-cloud-pubsub", Some("==2.21.1"), Some("2.21.1"), Runtime, true),
            row("structlog", None, Some("24.1.0"), Runtime, true),
        ]
    );
    assert_eq!(merged.len(), 12, "the transitive pins stay, not direct");
    let without_annotations = Manifest {
        dependencies: output.dependencies.into_iter().map(|d| Dependency { direct: true, ..d }).collect(),
        ..Manifest::default()
    };
    let merged = merge_folder(vec![
        ("requirements.in".into(), read("python/compiled/requirements.in", "requirements.in")),
        ("requirements.txt".into(), without_annotations),
    ]);
    assert_eq!(merged.iter().filter(|d| d.direct).count(), 3, "`--no-annotate` output: the .in alone decides");
}

/// Pipenv: the `Pipfile` declares, `Pipfile.lock` resolves (git entries
/// have no version), and what only the lockfile has is transitive.
#[test]
fn pipfile_declares_and_pipfile_lock_resolves() {
    let merged = merge_folder(vec![
        ("Pipfile".into(), read("python/pipenv/Pipfile", "Pipfile")),
        ("Pipfile.lock".into(), read("python/pipenv/Pipfile.lock", "Pipfile.lock")),
    ]);
    let (direct, transitive): (Vec<Row>, Vec<Row>) = rows(&merged).into_iter().partition(|r| r.4);
    assert_eq!(
        sorted(direct),
        vec![
            row("acme-auth", None, None, Runtime, true),
            row("django", Some(">=4.2,<5.0"), Some("4.2.13"), Runtime, true),
            row("gunicorn", Some("==22.0.0"), Some("22.0.0"), Runtime, true),
            row("pytest", None, Some("8.2.0"), Dev, true),
            row("requests", None, Some("2.31.0"), Runtime, true),
        ]
    );
    let transitive: Vec<&str> = transitive.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(transitive, ["asgiref", "certifi", "pluggy"]);
}

/// Poetry and uv lockfiles give `pyproject.toml`'s dependencies their
/// versions; the project itself (uv's editable root) is no dependency.
#[test]
fn poetry_lock_and_uv_lock_resolve_the_pyproject() {
    let poetry = merge_folder(vec![
        ("pyproject.toml".into(), read("python/poetry-pyproject.toml", "pyproject.toml")),
        ("poetry.lock".into(), read("python/poetry.lock", "poetry.lock")),
    ]);
    let resolved = |merged: &[Dependency], name: &str| {
        let dep = merged.iter().find(|d| d.name == name).unwrap_or_else(|| panic!("{name} in {merged:?}"));
        (dep.resolved.clone(), dep.direct)
    };
    assert_eq!(resolved(&poetry, "pandas"), (Some("2.2.2".into()), true));
    assert_eq!(resolved(&poetry, "numpy"), (Some("1.26.4".into()), true));
    assert_eq!(resolved(&poetry, "sqlalchemy"), (Some("2.0.28".into()), true));
    assert_eq!(resolved(&poetry, "black"), (Some("24.4.2".into()), true));
    assert_eq!(resolved(&poetry, "boto3"), (None, true), "not locked: no version");
    assert_eq!(resolved(&poetry, "python-dateutil"), (Some("2.9.0.post0".into()), false));
    assert_eq!(poetry.iter().filter(|d| d.direct).count(), 9, "the pyproject's nine, no more");

    let uv = merge_folder(vec![
        ("pyproject.toml".into(), read("python/uv/pyproject.toml", "pyproject.toml")),
        ("uv.lock".into(), read("python/uv/uv.lock", "uv.lock")),
    ]);
    let direct: Vec<Row> = rows(&uv).into_iter().filter(|r| r.4).collect();
    assert_eq!(
        direct,
        vec![
            row("fastapi", Some(">=0.110"), Some("0.111.0"), Runtime, true),
            row("httpx", Some(">=0.27"), Some("0.27.0"), Runtime, true),
            row("pytest", Some(">=8"), Some("8.2.2"), Dev, true),
        ]
    );
    assert!(uv.iter().all(|d| d.name != "acme-search"), "the project is not its own dependency");
    assert_eq!(uv.len(), 5, "anyio and starlette are transitive");
}

#[test]
fn pyproject_pep_621_with_extras_groups_and_build_requirements() {
    let m = read("python/pyproject.toml", "clients/billing/pyproject.toml");
    assert_eq!(
        rows(&m.dependencies),
        vec![
            row("httpx", Some(">=0.27,<1"), None, Runtime, true),
            row("pydantic", Some("~=2.6"), None, Runtime, true),
            row("tenacity", Some("==8.2.3"), Some("8.2.3"), Runtime, true),
            row("typing-extensions", Some(">=4.8"), None, Runtime, true),
            row("typer", Some(">=0.9"), None, Optional, true),
            row("mkdocs-material", None, None, Dev, true),
            row("pytest", Some(">=8"), None, Test, true),
            row("respx", Some("==0.21.0"), Some("0.21.0"), Test, true),
            row("ruff", Some(">=0.3"), None, Dev, true),
            row("hatchling", Some(">=1.21"), None, Build, true),
            row("hatch-vcs", None, None, Build, true),
        ]
    );
    assert_eq!(
        m.publishes,
        vec![published(Ecosystem::Pypi, "acme-billing-client", Some("2.3.0"), "clients/billing/pyproject.toml")]
    );
}

#[test]
fn pyproject_poetry_dependencies_groups_and_markers() {
    let m = parse("reports/pyproject.toml", &fixture("python/poetry-pyproject.toml")).unwrap();
    assert_eq!(
        rows(&m.dependencies),
        vec![
            row("poetry-core", Some(">=1.0.0"), None, Build, true),
            row("sqlalchemy", Some("2.0.28"), Some("2.0.28"), Runtime, true),
            row("acme-common", None, None, Runtime, true),
            row("boto3", Some(">=1.34"), None, Optional, true),
            // Several alternatives by marker: the first one's spec.
            row("numpy", Some("^1.26"), None, Runtime, true),
            row("pandas", Some("^2.2.1"), None, Runtime, true),
            row("black", Some("^24.2"), None, Dev, true),
            row("moto", Some("5.0.3"), Some("5.0.3"), Test, true),
            row("pytest", None, None, Test, true),
        ]
    );
    assert_eq!(m.publishes, vec![published(Ecosystem::Pypi, "acme-reports", Some("0.9.1"), "reports/pyproject.toml")]);
}

// ------------------------------------------------------------------ Maven and Gradle

#[test]
fn maven_parent_pom_with_managed_versions_properties_plugins_and_modules() {
    let m = read("maven/pom.xml", "pom.xml");
    assert_eq!(m.members, vec!["billing-core", "billing-api"]);
    assert_eq!(
        m.publishes,
        vec![published(Ecosystem::Maven, "com.acme.billing:billing-parent", Some("4.7.0-SNAPSHOT"), "pom.xml")]
    );
    assert_eq!(
        rows(&m.dependencies),
        vec![
            row("org.mapstruct:mapstruct", Some("1.5.5.Final"), Some("1.5.5.Final"), Runtime, true),
            row("org.projectlombok:lombok", Some("1.18.32"), Some("1.18.32"), Build, true),
            // Managed by the Spring Boot parent, which is not in this file.
            row("org.springframework.boot:spring-boot-starter-test", None, None, Test, true),
            row("com.google.guava:guava", Some("[32.0,34.0)"), None, Optional, true),
            row("org.apache.maven.plugins:maven-compiler-plugin", Some("3.13.0"), Some("3.13.0"), Build, true),
            row("org.springframework.boot:spring-boot-maven-plugin", None, None, Build, true),
            // The parent and the imported BOM, with their versions.
            row("org.springframework.boot:spring-boot-starter-parent", Some("3.2.4"), Some("3.2.4"), Build, true),
            row("org.testcontainers:testcontainers-bom", Some("1.19.7"), Some("1.19.7"), Build, true),
        ]
    );
    let managed_by = |name: &str| m.dependencies.iter().find(|d| d.name == name).and_then(|d| d.managed_by.clone());
    let parent = "org.springframework.boot:spring-boot-starter-parent";
    assert_eq!(managed_by("org.springframework.boot:spring-boot-starter-test").as_deref(), Some(parent));
    assert_eq!(managed_by("org.springframework.boot:spring-boot-maven-plugin").as_deref(), Some(parent));
    assert_eq!(managed_by("org.mapstruct:mapstruct"), None, "its own dependencyManagement gives its version");
    assert_eq!(package_key(Ecosystem::Maven, &m.dependencies[0].name), "package:maven/org.mapstruct:mapstruct");
}

#[test]
fn maven_modules_inherit_the_parent_coordinates() {
    let api = read("maven/billing-api/pom.xml", "billing-api/pom.xml");
    assert_eq!(
        api.publishes,
        vec![Published {
            group_of_parent: Some("com.acme.billing:billing-parent".into()),
            ..published(Ecosystem::Maven, "com.acme.billing:billing-api", Some("4.7.0-SNAPSHOT"), "billing-api/pom.xml")
        }]
    );
    assert_eq!(
        rows(&api.dependencies),
        vec![
            row("com.acme.billing:billing-core", Some("4.7.0-SNAPSHOT"), Some("4.7.0-SNAPSHOT"), Runtime, true),
            row("org.springframework.boot:spring-boot-starter-web", None, None, Runtime, true),
            // The property lives in a parent: kept as written, not resolved.
            row("io.micrometer:micrometer-registry-prometheus", Some("${micrometer.version}"), None, Runtime, true),
            // The organisation's own parent, which manages the starter.
            row("com.acme.billing:billing-parent", Some("4.7.0-SNAPSHOT"), Some("4.7.0-SNAPSHOT"), Build, true),
        ]
    );
    assert_eq!(api.dependencies[1].managed_by.as_deref(), Some("com.acme.billing:billing-parent"));
    let core = read("maven/billing-core/pom.xml", "billing-core/pom.xml");
    assert_eq!(core.publishes[0].name, "com.acme.billing:billing-core");
    assert_eq!(
        rows(&core.dependencies),
        vec![
            row("org.postgresql:postgresql", Some("42.7.3"), Some("42.7.3"), Runtime, true),
            row("com.acme.billing:billing-parent", Some("4.7.0-SNAPSHOT"), Some("4.7.0-SNAPSHOT"), Build, true),
        ]
    );
}

#[test]
fn gradle_groovy_declarations_best_effort() {
    let m = read("gradle/build.gradle", "search/build.gradle");
    assert_eq!(
        rows(&m.dependencies),
        vec![
            row("org.springframework.boot:spring-boot-starter-web", None, None, Runtime, true),
            row("com.fasterxml.jackson.core:jackson-databind", Some("2.17.0"), Some("2.17.0"), Runtime, true),
            row("io.grpc:grpc-netty-shaded", Some("1.62.2"), Some("1.62.2"), Runtime, true),
            row("software.amazon.awssdk:bom", Some("2.25.16"), Some("2.25.16"), Runtime, true),
            row("org.apache.commons:commons-lang3", Some("3.14.0"), Some("3.14.0"), Runtime, true),
            row("org.projectlombok:lombok", Some("1.18.32"), Some("1.18.32"), Build, true),
            row("org.projectlombok:lombok", Some("1.18.32"), Some("1.18.32"), Build, true),
            row("org.postgresql:postgresql", Some("42.7.3"), Some("42.7.3"), Runtime, true),
            row("org.junit.jupiter:junit-jupiter", Some("5.10.2"), Some("5.10.2"), Test, true),
            row("org.testcontainers:postgresql", Some("1.19.+"), None, Test, true),
        ]
    );
    assert_eq!(m.publishes, vec![]);
}

#[test]
fn gradle_kotlin_declarations_best_effort() {
    let m = read("gradle/build.gradle.kts", "build.gradle.kts");
    assert_eq!(
        rows(&m.dependencies),
        vec![
            row("io.ktor:ktor-server-core", Some("2.3.9"), Some("2.3.9"), Runtime, true),
            row("io.ktor:ktor-server-netty", Some("2.3.9"), Some("2.3.9"), Runtime, true),
            row("org.jetbrains.kotlinx:kotlinx-coroutines-bom", Some("1.8.0"), Some("1.8.0"), Runtime, true),
            row("ch.qos.logback:logback-classic", Some("1.5.3"), Some("1.5.3"), Runtime, true),
            row("org.jetbrains.exposed:exposed-core", Some("0.48.0"), Some("0.48.0"), Runtime, true),
            row("org.jetbrains.kotlin:kotlin-test", None, None, Test, true),
            row("io.mockk:mockk", Some("1.13.10"), Some("1.13.10"), Test, true),
            row("com.google.dagger:dagger-compiler", Some("2.51"), Some("2.51"), Build, true),
        ]
    );
}

/// The shape of Online Boutique's adservice: one `implementation` naming
/// nine coordinates over nine lines, inside an `if`/`else`.
#[test]
fn gradle_lists_over_several_lines_keep_every_coordinate() {
    let m = read("gradle/lists/build.gradle", "quotes/build.gradle");
    let exact = |name: &str, version: &str, scope| row(name, Some(version), Some(version), scope, true);
    assert_eq!(
        rows(&m.dependencies),
        vec![
            exact("com.google.api.grpc:proto-google-common-protos", "2.39.1", Runtime),
            exact("javax.annotation:javax.annotation-api", "1.3.2", Runtime),
            exact("io.grpc:grpc-protobuf", "1.63.0", Runtime),
            exact("io.grpc:grpc-stub", "1.63.0", Runtime),
            exact("io.grpc:grpc-netty", "1.63.0", Runtime),
            exact("com.google.protobuf:protobuf-java", "3.25.3", Runtime),
            exact("com.fasterxml.jackson.core:jackson-core", "2.17.1", Runtime),
            exact("com.fasterxml.jackson.core:jackson-databind", "2.17.1", Runtime),
            exact("junit:junit", "4.13.2", Test),
            exact("org.mockito:mockito-core", "5.11.0", Test),
            exact("org.slf4j:slf4j-api", "2.0.13", Runtime),
            exact("io.grpc:grpc-bom", "1.63.0", Runtime),
        ],
        "constraints are not dependencies, and protoc's `artifact` is outside `dependencies`"
    );
}

/// A Kotlin DSL build on a version catalog, as Android and Kotlin samples
/// write it: accessors, `version.ref`, rich versions, bundles, BOMs through
/// `platform(...)`, a property from `gradle.properties`.
#[test]
fn gradle_kotlin_dsl_reads_its_version_catalog() {
    let catalog = fixture("gradle/catalog/gradle/libs.versions.toml");
    let properties = fixture("gradle/catalog/gradle.properties");
    let script = fixture("gradle/catalog/build.gradle.kts");
    let paths = ["gradle/libs.versions.toml", "gradle.properties", "app/build.gradle.kts", "app/src/main.kt"];
    let context = collectors::manifests::context_files("app", &["app/build.gradle.kts"], paths.iter().copied());
    assert_eq!(context, ["gradle/libs.versions.toml", "gradle.properties"]);
    let context = [("gradle/libs.versions.toml", catalog.as_str()), ("gradle.properties", properties.as_str())];
    let m = parse_in("app/build.gradle.kts", &script, &context).unwrap_or_else(|e| panic!("{e}"));
    let exact = |name: &str, version: &str, scope| row(name, Some(version), Some(version), scope, true);
    assert_eq!(
        rows(&m.dependencies),
        vec![
            exact("io.ktor:ktor-bom", "2.3.11", Runtime),
            exact("io.ktor:ktor-server-core", "2.3.11", Runtime),
            exact("io.ktor:ktor-server-netty", "2.3.11", Runtime),
            exact("org.jetbrains.kotlinx:kotlinx-coroutines-core", "1.8.0", Runtime),
            exact("ch.qos.logback:logback-classic", "1.5.6", Runtime),
            exact("androidx.core:core-ktx", "1.13.1", Runtime),
            row("org.jetbrains.exposed:exposed-core", Some("[0.50,0.51["), None, Runtime, true),
            exact("androidx.compose:compose-bom", "2024.05.00", Runtime),
            row("androidx.compose.material3:material3", None, None, Runtime, true),
            exact("org.slf4j:slf4j-api", "2.0.13", Runtime),
            exact("com.squareup.okio:okio", "3.9.0", Runtime),
            row("org.jetbrains.kotlin:kotlin-reflect", None, None, Runtime, true),
            exact("org.junit.jupiter:junit-jupiter", "5.10.2", Test),
            exact("io.mockk:mockk", "1.13.11", Test),
            row("org.jetbrains.kotlin:kotlin-test", None, None, Test, true),
        ],
        "project accessors and aliases the catalog lacks name nothing"
    );
    let alone = parse("app/build.gradle.kts", &script).unwrap();
    assert_eq!(alone.dependencies.len(), 4, "without its catalog only the literal coordinates are read");
}

#[test]
fn a_gradle_build_whose_catalog_does_not_parse_is_an_error_naming_the_catalog() {
    let script = "dependencies {\n    implementation(libs.okio)\n}\n";
    let broken = [("gradle/libs.versions.toml", "[libraries]\nokio = { module = \"com.squareup.okio:okio\"\n")];
    let e = parse_in("build.gradle.kts", script, &broken).unwrap_err();
    assert_eq!(e.path, "build.gradle.kts");
    assert!(e.message.contains("gradle/libs.versions.toml"), "{e}");
    let unused = parse_in("build.gradle.kts", "dependencies {\n implementation(\"a:b:1\")\n}", &broken).unwrap();
    assert_eq!(unused.dependencies.len(), 1, "a script that uses no catalog does not need it");
}

// ------------------------------------------------------------------ NuGet

#[test]
fn csproj_package_references_scopes_and_package_id() {
    let m = read("nuget/Acme.Orders.Api.csproj", "src/Api/Acme.Orders.Api.csproj");
    assert_eq!(
        rows(&m.dependencies),
        vec![
            row("Microsoft.EntityFrameworkCore", Some("8.0.3"), Some("8.0.3"), Runtime, true),
            row("Serilog.AspNetCore", Some("8.0.1"), Some("8.0.1"), Runtime, true),
            row("Polly", Some("[8.2.0, 9.0.0)"), None, Runtime, true),
            row("Acme.Common", Some("3.4.0"), Some("3.4.0"), Runtime, true),
            row("StyleCop.Analyzers", Some("1.2.0-beta.556"), Some("1.2.0-beta.556"), Build, true),
            row("Microsoft.SourceLink.GitHub", Some("8.0.0"), Some("8.0.0"), Build, true),
            row("Swashbuckle.AspNetCore", None, None, Runtime, true),
        ]
    );
    assert_eq!(
        m.publishes,
        vec![published(Ecosystem::Nuget, "Acme.Orders.Api", Some("5.1.0"), "src/Api/Acme.Orders.Api.csproj")]
    );
    let tests = read("nuget/Acme.Orders.Tests.csproj", "tests/Acme.Orders.Tests.csproj");
    assert!(tests.dependencies.iter().all(|d| d.scope == Test), "{:?}", tests.dependencies);
    assert_eq!(tests.dependencies.len(), 3);
    assert_eq!(tests.publishes, vec![]);
}

/// Central package management, as opentelemetry-demo's .NET services use
/// it: versions from the nearest `Directory.Packages.props`, a
/// `VersionOverride` winning, ids matched without case.
#[test]
fn csproj_versions_come_from_central_package_management() {
    let props = r#"<Project>
  <PropertyGroup><ManagePackageVersionsCentrally>true</ManagePackageVersionsCentrally></PropertyGroup>
  <ItemGroup>
    <PackageVersion Include="Grpc.AspNetCore" Version="2.62.0" />
    <PackageVersion Include="xunit" Version="2.9.0" />
  </ItemGroup>
</Project>"#;
    let project = r#"<Project Sdk="Microsoft.NET.Sdk.Web">
  <ItemGroup>
    <PackageReference Include="grpc.aspnetcore" />
    <PackageReference Include="xunit" VersionOverride="2.8.1" />
    <PackageReference Include="Serilog" />
  </ItemGroup>
</Project>"#;
    let paths = ["src/Directory.Packages.props", "Directory.Packages.props", "src/cart/src/cart.csproj"];
    let project_path = "src/cart/src/cart.csproj";
    let context = collectors::manifests::context_files("src/cart/src", &[project_path], paths.iter().copied());
    assert_eq!(context, ["src/Directory.Packages.props"], "the nearest one, as MSBuild finds it");
    let m = parse_in(project_path, project, &[("src/Directory.Packages.props", props)]).unwrap();
    assert_eq!(
        rows(&m.dependencies),
        vec![
            row("grpc.aspnetcore", Some("2.62.0"), Some("2.62.0"), Runtime, true),
            row("xunit", Some("2.8.1"), Some("2.8.1"), Runtime, true),
            row("Serilog", None, None, Runtime, true),
        ]
    );
    let broken = parse_in(project_path, project, &[("src/Directory.Packages.props", "<Project><ItemGroup>")]);
    assert!(broken.unwrap_err().message.contains("src/Directory.Packages.props"));
}

#[test]
fn packages_config_and_the_nuget_lockfile() {
    let m = read("nuget/packages.config", "legacy/packages.config");
    assert_eq!(
        rows(&m.dependencies),
        vec![
            row("Newtonsoft.Json", Some("12.0.3"), Some("12.0.3"), Runtime, true),
            row("log4net", Some("2.0.15"), Some("2.0.15"), Runtime, true),
            row("Microsoft.CodeAnalysis.NetAnalyzers", Some("7.0.4"), Some("7.0.4"), Dev, true),
        ]
    );
    let lock = read("nuget/packages.lock.json", "src/Api/packages.lock.json");
    assert_eq!(
        sorted(rows(&lock.dependencies)),
        vec![
            row("Microsoft.EntityFrameworkCore", Some("[8.0.3, )"), Some("8.0.3"), Runtime, true),
            row("Microsoft.EntityFrameworkCore.Abstractions", None, Some("6.0.28"), Runtime, false),
            row("Microsoft.EntityFrameworkCore.Abstractions", None, Some("8.0.3"), Runtime, false),
            row("Polly", Some("[8.2.0, 9.0.0)"), Some("8.3.1"), Runtime, true),
            row("Swashbuckle.AspNetCore", None, Some("6.5.0"), Runtime, false),
        ]
    );
    let csproj = read("nuget/Acme.Orders.Api.csproj", "src/Api/Acme.Orders.Api.csproj");
    let merged = merge_folder(vec![
        ("src/Api/Acme.Orders.Api.csproj".into(), csproj),
        ("src/Api/packages.lock.json".into(), lock),
    ]);
    let find = |name: &str| merged.iter().find(|d| d.name == name).unwrap();
    assert_eq!(find("Polly").resolved.as_deref(), Some("8.3.1"), "the range resolves through the lockfile");
    assert_eq!(find("Swashbuckle.AspNetCore").resolved.as_deref(), Some("6.5.0"), "a centrally managed version");
    assert_eq!(find("Microsoft.EntityFrameworkCore.Abstractions").resolved.as_deref(), Some("6.0.28"));
    assert_eq!(merged.len(), 8);
}

// ------------------------------------------------------------------ Cargo

#[test]
fn cargo_toml_sections_targets_renames_and_workspace() {
    let m = read("cargo/Cargo.toml", "Cargo.toml");
    assert_eq!(m.members, vec!["crates/*", "services/ingest"]);
    let crate_ =
        Published { distributed: true, ..published(Ecosystem::Cargo, "acme-ingest", Some("0.12.3"), "Cargo.toml") };
    assert_eq!(m.publishes, vec![crate_], "an explicit `publish` says it is released");
    assert_eq!(
        rows(&m.dependencies),
        vec![
            row("acme-core", None, None, Runtime, true),
            row("acme-proto", None, None, Runtime, true),
            row("anyhow", Some("1.0.81"), None, Runtime, true),
            // Renamed: `pinned = { package = "time" }`.
            row("time", Some("=0.3.34"), Some("0.3.34"), Runtime, true),
            row("reqwest", Some("0.12"), None, Optional, true),
            row("serde", None, None, Runtime, true),
            row("tokio", Some("1.36"), None, Runtime, true),
            row("proptest", Some("1.4"), None, Dev, true),
            row("tokio", Some("1.36"), None, Dev, true),
            row("prost-build", Some("0.12"), None, Build, true),
            row("nix", Some("0.28"), None, Runtime, true),
        ]
    );
}

#[test]
fn cargo_lock_and_the_merged_folder() {
    let lock = read("cargo/Cargo.lock", "Cargo.lock");
    assert_eq!(
        rows(&lock.dependencies),
        vec![
            row("anyhow", None, Some("1.0.81"), Runtime, true),
            row("pin-project-lite", None, Some("0.2.13"), Runtime, false),
            row("serde", None, Some("1.0.197"), Runtime, true),
            row("syn", None, Some("1.0.109"), Runtime, false),
            row("syn", None, Some("2.0.53"), Runtime, false),
            row("time", None, Some("0.3.34"), Runtime, true),
            row("tokio", None, Some("1.36.0"), Runtime, true),
        ]
    );
    let merged =
        merge_folder(vec![("Cargo.toml".into(), read("cargo/Cargo.toml", "Cargo.toml")), ("Cargo.lock".into(), lock)]);
    assert_eq!(
        rows(&merged),
        vec![
            // Path and git dependencies are not in the registry.
            row("acme-core", None, None, Runtime, true),
            row("acme-proto", None, None, Runtime, true),
            row("anyhow", Some("1.0.81"), Some("1.0.81"), Runtime, true),
            row("time", Some("=0.3.34"), Some("0.3.34"), Runtime, true),
            row("reqwest", Some("0.12"), None, Optional, true),
            row("serde", None, Some("1.0.197"), Runtime, true),
            // Also a dev dependency: one entry, runtime.
            row("tokio", Some("1.36"), Some("1.36.0"), Runtime, true),
            row("proptest", Some("1.4"), None, Dev, true),
            row("prost-build", Some("0.12"), None, Build, true),
            row("nix", Some("0.28"), None, Runtime, true),
            row("pin-project-lite", None, Some("0.2.13"), Runtime, false),
            row("syn", None, Some("1.0.109"), Runtime, false),
        ]
    );
}

#[test]
fn a_cargo_lock_v4_with_hundreds_of_packages() {
    let mut text = String::from("version = 4\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\n");
    for i in 0..20 {
        text.push_str(&format!(" \"crate-{i}\",\n"));
    }
    text.push_str("]\n");
    for i in 0..300 {
        text.push_str(&format!(
            "\n[[package]]\nname = \"crate-{i}\"\nversion = \"{}.{}.{}\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"{:064x}\"\n",
            i % 4,
            i % 11,
            i % 3,
            i
        ));
    }
    let m = parse("Cargo.lock", &text).unwrap();
    assert_eq!(m.dependencies.len(), 300);
    assert_eq!(m.dependencies.iter().filter(|d| d.direct).count(), 20);
    assert_eq!(rows(&m.dependencies)[250], row("crate-250", None, Some("2.8.1"), Runtime, false));
}

// ------------------------------------------------------------------ Composer and Bundler

#[test]
fn composer_json_lock_and_merge() {
    let m = read("composer/composer.json", "sdk/composer.json");
    assert_eq!(
        rows(&m.dependencies),
        vec![
            row("guzzlehttp/guzzle", Some("^7.8"), None, Runtime, true),
            row("psr/log", Some("^1.1 || ^2.0 || ^3.0"), None, Runtime, true),
            row("symfony/http-client", Some("~6.4.0"), None, Runtime, true),
            row("phpstan/phpstan", Some("1.10.62"), None, Dev, true),
            row("phpunit/phpunit", Some("^10.5"), None, Dev, true),
        ]
    );
    let library = Published {
        distributed: true,
        ..published(Ecosystem::Composer, "acme/payments-sdk", None, "sdk/composer.json")
    };
    assert_eq!(m.publishes, vec![library], "a declared library is released");
    let lock = read("composer/composer.lock", "sdk/composer.lock");
    let merged = merge_folder(vec![("sdk/composer.json".into(), m), ("sdk/composer.lock".into(), lock)]);
    assert_eq!(
        rows(&merged),
        vec![
            row("guzzlehttp/guzzle", Some("^7.8"), Some("7.8.1"), Runtime, true),
            row("psr/log", Some("^1.1 || ^2.0 || ^3.0"), Some("3.0.0"), Runtime, true),
            row("symfony/http-client", Some("~6.4.0"), Some("v6.4.5"), Runtime, true),
            row("phpstan/phpstan", Some("1.10.62"), Some("1.10.62"), Dev, true),
            row("phpunit/phpunit", Some("^10.5"), Some("10.5.13"), Dev, true),
            row("guzzlehttp/promises", None, Some("2.0.2"), Runtime, false),
        ]
    );
}

#[test]
fn gemfile_lock_sources_platforms_and_the_repositorys_own_gem() {
    let m = read("ruby/Gemfile.lock", "Gemfile.lock");
    assert_eq!(m.publishes, vec![published(Ecosystem::Rubygems, "acme-notifier", Some("1.3.0"), "Gemfile.lock")]);
    assert_eq!(
        rows(&m.dependencies),
        vec![
            row("acme-auth", None, Some("2.1.0"), Runtime, true),
            row("faraday", Some("~> 2.9"), Some("2.9.0"), Runtime, true),
            row("nokogiri", Some(">= 1.16, < 2"), Some("1.16.3"), Runtime, true),
            row("rspec", None, Some("3.13.0"), Runtime, true),
            row("faraday-net_http", None, Some("3.1.0"), Runtime, false),
            row("jwt", None, Some("2.8.1"), Runtime, false),
            row("base64", None, Some("0.2.0"), Runtime, false),
            row("net-http", None, Some("0.4.1"), Runtime, false),
            row("racc", None, Some("1.7.3"), Runtime, false),
            row("uri", None, Some("0.13.0"), Runtime, false),
        ]
    );
}

#[test]
fn a_gemfile_lock_with_hundreds_of_gems() {
    let mut text = String::from("GEM\n  remote: https://rubygems.org/\n  specs:\n");
    for i in 0..300 {
        text.push_str(&format!("    gem-{i} ({}.{}.0)\n      dep-{i} (>= 0)\n", i % 5, i % 17));
    }
    text.push_str("\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n");
    for i in (0..300).step_by(10) {
        text.push_str(&format!("  gem-{i} (~> {}.0)\n", i % 5));
    }
    let m = parse("Gemfile.lock", &text).unwrap();
    assert_eq!(m.dependencies.len(), 300);
    assert_eq!(m.dependencies.iter().filter(|d| d.direct).count(), 30);
    assert_eq!(rows(&m.dependencies)[1], row("gem-10", Some("~> 0.0"), Some("0.10.0"), Runtime, true));
}

// ------------------------------------------------------------------ detection and malformed files

#[test]
fn every_fixture_is_detected_as_its_format() {
    for (path, kind) in [
        ("web/package.json", ManifestKind::PackageJson),
        ("web/package-lock.json", ManifestKind::PackageLock),
        ("yarn.lock", ManifestKind::YarnLock),
        ("pnpm-lock.yaml", ManifestKind::PnpmLock),
        ("go.mod", ManifestKind::GoMod),
        ("requirements-dev.txt", ManifestKind::Requirements),
        ("pyproject.toml", ManifestKind::Pyproject),
        ("billing-api/pom.xml", ManifestKind::Pom),
        ("build.gradle.kts", ManifestKind::Gradle),
        ("src/Api/Acme.Orders.Api.csproj", ManifestKind::MsBuildProject),
        ("packages.config", ManifestKind::PackagesConfig),
        ("packages.lock.json", ManifestKind::NugetLock),
        ("Cargo.toml", ManifestKind::CargoToml),
        ("Cargo.lock", ManifestKind::CargoLock),
        ("composer.json", ManifestKind::ComposerJson),
        ("composer.lock", ManifestKind::ComposerLock),
        ("Gemfile.lock", ManifestKind::GemfileLock),
        ("svc/requirements.in", ManifestKind::Requirements),
        ("Pipfile", ManifestKind::Pipfile),
        ("Pipfile.lock", ManifestKind::PipfileLock),
        ("poetry.lock", ManifestKind::PythonLock),
        ("uv.lock", ManifestKind::PythonLock),
    ] {
        assert_eq!(detect(path), Some(kind), "{path}");
    }
}

#[test]
fn malformed_files_name_the_path_and_what_is_wrong() {
    let cases: &[(&str, &str, Option<usize>, &str)] = &[
        ("a/package.json", "{\n  \"dependencies\": {\n    \"react\": 18\n  }\n}", None, "`dependencies.react` is not a string"),
        ("a/package.json", "{\n  \"name\": \"x\",\n  oops\n}", Some(3), "not valid JSON"),
        ("a/package.json", "[1, 2]", None, "the top level is not an object"),
        ("package-lock.json", "{\"packages\": {}}", None, "no `lockfileVersion`"),
        ("package-lock.json", "{\"lockfileVersion\": 3, \"packages\": {\"node_modules/a\": 7}}", None, "`node_modules/a` is not an object"),
        ("yarn.lock", "# yarn lockfile v1\n\nlodash@^4:\n  resolved \"x\"\n", Some(3), "the entry for `lodash` has no version"),
        ("yarn.lock", "# yarn lockfile v1\n\nnot a header\n", Some(3), "expected an entry header"),
        ("yarn.lock", "  version \"1.0.0\"\n", Some(1), "an indented line outside any entry"),
        ("pnpm-lock.yaml", "packages:\n  /a@1.0.0: {}\n", None, "no `lockfileVersion`"),
        ("pnpm-lock.yaml", "lockfileVersion: '9.0'\nimporters: [1]\n", None, "`importers` is not a map"),
        ("pnpm-lock.yaml", "lockfileVersion: '9.0'\npackages:\n  a: [\n", Some(4), "not valid YAML"),
        ("svc/go.mod", "module x\n\nrequire (\n\tgithub.com/a/b\n)\n", Some(4), "takes a module path and a version"),
        ("svc/go.mod", "module x\nrequire (\n\ta.io/b v1.0.0\n", Some(2), "never closed"),
        ("svc/go.mod", "module x\nrequire a.io/b 1.0.0\n", Some(2), "not a Go module version"),
        ("svc/go.mod", "module \"x\nrequire a.io/b v1.0.0\n", Some(1), "unterminated quote"),
        ("requirements.txt", "requests==2.0\n\n$$$ nope\n", Some(3), "does not start with a project name"),
        ("requirements.txt", "flask 2.0\n", Some(1), "no valid version specifier"),
        ("pyproject.toml", "[project]\ndependencies = \"requests\"\n", None, "`project.dependencies` is not a list"),
        ("pyproject.toml", "[project\nname = \"x\"\n", Some(1), "not valid TOML"),
        ("pyproject.toml", "[tool.poetry.dependencies]\nrequests = 3\n", None, "`tool.poetry.dependencies.requests`"),
        ("pom.xml", "<project>\n  <dependencies>\n    <dependency><groupId>a</groupId></dependency>\n  </dependencies>\n</project>", None, "has no `<artifactId>`"),
        ("pom.xml", "<project>\n<dependencies>\n</dependency>\n</project>", Some(3), "not valid XML"),
        ("pom.xml", "<settings/>", None, "not `<project>`"),
        ("pom.xml", "<project><modules>", None, "never closed"),
        ("A.csproj", "<Project><ItemGroup><PackageReference Version=\"1\"/></ItemGroup></Project>", None, "has no `Include`"),
        ("packages.config", "<packages><package id=\"x\"/></packages>", None, "lacks `id` or `version`"),
        ("packages.lock.json", "{\"version\": 1}", None, "no `dependencies` object"),
        ("packages.lock.json", "{\"dependencies\": {\"net8.0\": {\"A\": {\"type\": \"Direct\"}}}}", None, "has no `resolved` version"),
        ("Cargo.toml", "[dependencies]\nserde = 1\n", None, "`dependencies.serde` is neither a version nor a table"),
        ("Cargo.toml", "[package]\nname = \"x\"\nname = \"y\"\n", Some(3), "not valid TOML"),
        ("Cargo.lock", "version = 3\n[[package]]\nname = \"x\"\n", None, "not a Cargo lockfile"),
        ("Cargo.lock", "[[package]\n", Some(1), "not valid TOML"),
        ("composer.json", "{\"require\": {\"a/b\": [\"^1\"]}}", None, "`require.a/b` is not a string"),
        ("composer.lock", "{\"packages\": [{\"name\": \"a/b\"}]}", None, "`packages[0]` lacks `name` or `version`"),
        ("composer.lock", "{}", None, "no `packages`"),
        ("Gemfile.lock", "GEM\n  remote: https://rubygems.org/\n  specs:\n    rails 7.1\n", Some(4), "expected `name (version)`"),
        ("Gemfile.lock", "hello\n", None, "not a Gemfile.lock"),
        ("Pipfile", "[packages]\nrequests = 3\n", None, "`packages.requests` is neither a version nor a table"),
        ("Pipfile.lock", "{\"default\": []}", None, "`default` is not an object"),
        ("uv.lock", "package = 1\n", None, "`package` is not an array of tables"),
        ("poetry.lock", "[[package]\n", Some(1), "not valid TOML"),
    ];
    for (path, content, line, message) in cases {
        let err = parse(path, content).expect_err(path);
        assert_eq!(&err.path, path);
        assert_eq!(err.line, *line, "{err}");
        assert!(err.message.contains(message), "{path}: expected `{message}` in `{err}`");
    }
}

#[test]
fn hostile_input_never_panics() {
    let deep_json = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let deep_yaml = format!("a: {}", "[".repeat(100_000));
    let deep_toml = format!("a = {}", "[".repeat(100_000));
    let deep_xml = "<a>".repeat(100_000);
    let bomb = "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\ng: [*f, *f, *f, *f, *f, *f, *f, *f, *f]\n".to_string();
    let binary: String = (0u32..4096).filter_map(|i| char::from_u32((i * 7919) % 0x2FFF)).collect();
    let inputs = [
        String::new(),
        "\u{feff}".into(),
        "\0\0\0".into(),
        deep_json,
        deep_yaml,
        deep_toml,
        deep_xml,
        bomb,
        binary,
        "(\n)\n(\n".into(),
        "GEM\n  specs:\n    (\n".into(),
    ];
    let kinds = [
        "package.json",
        "package-lock.json",
        "yarn.lock",
        "pnpm-lock.yaml",
        "pnpm-workspace.yaml",
        "go.mod",
        "requirements.txt",
        "pyproject.toml",
        "Pipfile",
        "Pipfile.lock",
        "poetry.lock",
        "pom.xml",
        "build.gradle",
        "build.gradle.kts",
        "App.csproj",
        "packages.config",
        "packages.lock.json",
        "Cargo.toml",
        "Cargo.lock",
        "composer.json",
        "composer.lock",
        "Gemfile.lock",
    ];
    for path in kinds {
        for input in &inputs {
            let _ = parse(path, input);
        }
    }
    // Deep brackets are refused before the YAML parser spends seconds on them.
    let err = parse("pnpm-lock.yaml", &inputs[4]).unwrap_err();
    assert_eq!((err.line, err.message.as_str()), (Some(1), "not valid YAML: brackets nested deeper than 128"));
    for input in &inputs {
        let _ = catalog::parse_catalog("catalog-info.yaml", input);
        let _ = catalog::parse_catalog(".spot.yaml", input);
        let _ = codeowners::parse_codeowners("CODEOWNERS", input);
    }
}

#[test]
fn a_file_can_be_read_as_a_format_whatever_its_name() {
    let m = parse_as(ManifestKind::Pyproject, "reports/poetry.toml", &fixture("python/poetry-pyproject.toml")).unwrap();
    assert_eq!(m.publishes[0].name, "acme-reports");
}

// ------------------------------------------------------------------ versions over parsed files

#[test]
fn lag_of_merged_dependencies_against_the_latest_releases() {
    let merged = merge_folder(vec![
        ("sdk/composer.json".into(), read("composer/composer.json", "sdk/composer.json")),
        ("sdk/composer.lock".into(), read("composer/composer.lock", "sdk/composer.lock")),
    ]);
    let latest = [("guzzlehttp/guzzle", "7.9.2"), ("psr/log", "3.0.2"), ("symfony/http-client", "v7.1.5")];
    let lags: Vec<(&str, Lag)> = latest
        .iter()
        .map(|(name, latest)| {
            let dep = merged.iter().find(|d| d.name == *name).unwrap();
            (*name, versions::lag(dep.ecosystem, dep.resolved.as_deref().unwrap(), latest))
        })
        .collect();
    assert_eq!(
        lags,
        vec![("guzzlehttp/guzzle", Lag::Minor), ("psr/log", Lag::Patch), ("symfony/http-client", Lag::Major)]
    );
}

// ------------------------------------------------------------------ catalog files

#[test]
fn backstage_catalog_components_from_several_documents() {
    let read =
        catalog::parse_catalog("services/billing/catalog-info.yaml", &fixture("catalog/catalog-info.yaml")).unwrap();
    let entries = &read.entries;
    let expected_first = CatalogEntry {
        name: "billing-api".into(),
        kind: Some("service".into()),
        owner: Some("team:payments".into()),
        // A Backstage entity's references are read as such (below) and
        // mapped across the organisation (docs/backstage.md).
        depends_on: vec![],
        links: vec![
            Link {
                url: "https://wiki.acme.dev/display/PAY/Billing".into(),
                title: Some("Billing in Confluence".into()),
                kind: Some("docs".into()),
            },
            Link { url: "https://grafana.acme.dev/d/billing".into(), title: None, kind: Some("dashboard".into()) },
        ],
        lifecycle: Some("production".into()),
        system: Some("payments".into()),
        description: Some("Issues invoices and runs payment batches".into()),
        tags: vec!["java".into(), "payments".into()],
        annotations: [
            ("a8r.io/runbook", "https://wiki.acme.dev/runbooks/billing"),
            ("backstage.io/techdocs-ref", "dir:."),
            ("github.com/project-slug", "acme/billing"),
            ("pagerduty.com/service-id", "PX12345"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect(),
        aliases: vec![],
        folder: "services/billing".into(),
        file: "services/billing/catalog-info.yaml".into(),
    };
    assert_eq!(entries.len(), 2, "the System and the API are not components");
    assert_eq!(entries[0], expected_first);
    assert_eq!(entries[1].name, "billing-worker");
    assert_eq!(entries[1].owner.as_deref(), Some("user:jdoe"));
    assert_eq!(entries[1].lifecycle.as_deref(), Some("experimental"));
    assert_eq!(entries[1].depends_on, Vec::<String>::new());
    let kinds: Vec<&str> = read.entities.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["system", "component", "component", "api"], "every entity, each of its kind");
    let depends_on: Vec<String> = read.entities[1]
        .refs_of(catalog::backstage::Field::DependsOn)
        .map(|r| format!("{}:{}", r.kind, r.qualified()))
        .collect();
    assert_eq!(depends_on, ["component:ledger", "component:users", "resource:billing-db"]);
    assert!(read.invalid.is_empty(), "{:?}", read.invalid);
}

#[test]
fn backstage_catalog_errors() {
    // An entity that is not one is left out on its own, with its line.
    let read = catalog::parse_catalog("catalog-info.yaml", "kind: Component\nmetadata:\n  title: x\n").unwrap();
    assert!(read.entries.is_empty());
    assert_eq!(
        read.invalid[0].to_string(),
        "catalog-info.yaml:1: the Component's `metadata.name` is missing; entity skipped"
    );
    let read =
        catalog::parse_catalog("catalog-info.yaml", "kind: System\nmetadata: {name: s}\n---\n- a list\n").unwrap();
    assert_eq!(read.entities.len(), 1);
    assert_eq!(read.invalid[0].to_string(), "catalog-info.yaml:4: the document is not a map; entity skipped");
    // YAML that does not parse fails the file.
    let err = catalog::parse_catalog("catalog-info.yaml", "kind: Component\nmetadata: {name: x\n").unwrap_err();
    assert!(err.message.starts_with("not valid YAML"), "{err}");
    assert_eq!(catalog::parse_catalog("catalog-info.yaml", "").unwrap(), catalog::CatalogRead::default());
}

#[test]
fn spot_yaml_for_one_service() {
    let entries = catalog::parse_catalog("ledger/.spot.yaml", &fixture("catalog/spot-single.yaml")).unwrap().entries;
    assert_eq!(
        entries,
        vec![CatalogEntry {
            name: "ledger".into(),
            kind: Some("service".into()),
            owner: Some("team:payments".into()),
            depends_on: vec!["users".into(), "billing-api".into()],
            links: vec![
                Link { url: "https://wiki.acme.dev/display/PAY/Ledger".into(), title: None, kind: Some("docs".into()) },
                Link { url: "https://ledger.acme.dev/docs".into(), title: None, kind: Some("docs".into()) },
            ],
            lifecycle: Some("production".into()),
            system: Some("payments".into()),
            description: Some("Double-entry ledger".into()),
            tags: vec![],
            annotations: Default::default(),
            aliases: vec![],
            folder: "ledger".into(),
            file: "ledger/.spot.yaml".into(),
        }]
    );
}

#[test]
fn spot_yaml_for_several_services_with_defaults() {
    let entries = catalog::parse_catalog(".spot.yaml", &fixture("catalog/spot-many.yaml")).unwrap().entries;
    type Summary<'a> = (&'a str, &'a str, Option<&'a str>, Option<&'a str>, Vec<String>, usize);
    let summary: Vec<Summary<'_>> = entries
        .iter()
        .map(|e| {
            (
                e.name.as_str(),
                e.folder.as_str(),
                e.owner.as_deref(),
                e.kind.as_deref(),
                e.depends_on.clone(),
                e.links.len(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            ("search-api", "services/search-api", Some("team:search"), Some("service"), vec!["catalog".to_string()], 1),
            ("search-indexer", "services/indexer", Some("user:jdoe"), Some("worker"), vec![], 0),
        ]
    );
    assert!(entries.iter().all(|e| e.lifecycle.as_deref() == Some("production")));
}

#[test]
fn spot_yaml_mistakes_are_errors() {
    let cases = [
        ("service: a\ndepend_on: [b]\n", "unknown field `depend_on`"),
        ("service: a\nservices:\n  - name: b\n", "either `service` or `services`, not both"),
        ("owner: payments\n", "no `service` and no `services`"),
        ("", "no `service` and no `services`"),
        ("service: a\ndocs: [wiki/page]\n", "the doc `wiki/page` of service `a` is not an http(s) URL"),
        ("services:\n  - name: a\n    path: ../../etc\n", "the path `../../etc` of service `a` leaves the repository"),
        ("service: a\nowner: system:x\n", "the owner `system:x` of service `a` is not a team or user"),
        ("services:\n  - name: a\ndepends_on: [b]\n", "belong to each of `services`"),
        ("services:\n  - path: x\n", "missing field `name`"),
    ];
    for (content, message) in cases {
        let err = catalog::parse_catalog("x/.spot.yaml", content).unwrap_err();
        assert_eq!(err.path, "x/.spot.yaml");
        assert!(err.message.contains(message), "expected `{message}` in `{err}`");
    }
}

// ------------------------------------------------------------------ CODEOWNERS

#[test]
fn codeowners_last_match_wins() {
    let file = codeowners::parse_codeowners(".github/CODEOWNERS", &fixture("CODEOWNERS"));
    let keys = |path: &str| codeowners::owners_of(&file.rules, path).iter().map(Owner::key).collect::<Vec<_>>();
    assert_eq!(keys("README.md"), ["team:platform", "user:octocat"]);
    assert_eq!(keys("web/src/app.js"), ["team:frontend"]);
    assert_eq!(keys("cmd/main.go"), ["user:docs@example.com"]);
    assert_eq!(keys("build/logs/today.log"), ["user:doctocat"]);
    assert_eq!(keys("docs/getting-started.md"), ["user:docs@example.com"]);
    assert_eq!(keys("docs/build-app/troubleshooting.md"), ["team:platform", "user:octocat"]);
    assert_eq!(keys("apps/checkout/index.ts"), ["team:apps"]);
    assert_eq!(keys("services/billing/src/main.rs"), ["team:payments", "user:jdoe"]);
    assert_eq!(keys("services/billing/migrations/001.sql"), Vec::<String>::new(), "no owners: unowned");
    assert_eq!(keys("/services/billing/README.md"), ["team:payments", "user:jdoe"]);
    assert_eq!(keys("my docs/intro.md"), ["team:writers"]);
    assert_eq!(
        codeowners::repo_owners(&file.rules),
        vec![Owner::Team { org: "acme".into(), name: "platform".into() }, Owner::User("octocat".into())]
    );
    let skipped: Vec<(Option<usize>, String)> = file.skipped.iter().map(|e| (e.line, e.message.clone())).collect();
    assert_eq!(
        skipped,
        vec![
            (Some(18), "`!/services/legacy/`: negation is not supported in CODEOWNERS".to_string()),
            (Some(19), "`not-an-owner` is not an owner (@org/team, @user or an email)".to_string()),
            (Some(20), "GitLab section headers are not read".to_string()),
        ]
    );
    assert!(file.skipped.iter().all(|e| e.path == ".github/CODEOWNERS"));
    assert_eq!(file.rules.len(), 9);
    assert_eq!((file.rules[0].pattern.as_str(), file.rules[0].line), ("*", 5));
}

#[test]
fn codeowners_without_a_root_rule_has_no_repository_owners() {
    let file = codeowners::parse_codeowners("CODEOWNERS", "/docs/ @acme/docs\n");
    assert_eq!(codeowners::repo_owners(&file.rules), vec![]);
    assert_eq!(codeowners::owners_of(&file.rules, "src/x.rs"), vec![]);
    let file = codeowners::parse_codeowners("CODEOWNERS", "/ @acme/root\n");
    assert_eq!(
        codeowners::owners_of(&file.rules, "deep/file"),
        vec![Owner::Team { org: "acme".into(), name: "root".into() }]
    );
}
