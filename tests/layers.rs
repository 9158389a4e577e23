//! The crates and modules of SPoT depend one way, as docs/architecture.md
//! lists them ("Crates", "Layers").
//!
//! Crates: each one's normal dependencies (Cargo.toml) name only crates
//! below it, and what the store crate links (Cargo.lock, transitively)
//! holds no Kubernetes client and no libgit2.
//!
//! Modules: the check reads the real module trees from `src/lib.rs` and
//! `store/src/lib.rs` (`mod` items, test modules left out) and parses each
//! file as Rust, so what counts is every path in code — `use` items, paths
//! in expressions, types and patterns, and `crate::…` inside macro calls —
//! never doc comments or text after a `#[cfg(test)]`. The store crate's
//! modules keep their paths in `spot` (`crate::store`), so the layers are
//! one list over both crates.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use proc_macro2::{TokenStream, TokenTree};
use syn::visit::Visit;

/// Module → the other top-level modules it names → the files naming them.
type References = BTreeMap<String, BTreeMap<String, BTreeSet<String>>>;

/// One module of the tree: its path below the crate (`["api", "hygiene"]`),
/// the file it is written in, and that file read as Rust.
struct Module {
    path: Vec<String>,
    file: PathBuf,
    syntax: syn::File,
}

/// Every module file reachable from `src/lib.rs` through `mod` items that
/// are not `#[cfg(test)]`; inline modules are read with their file.
fn module_files(src: &Path) -> Vec<Module> {
    let mut found = Vec::new();
    let mut pending = vec![(Vec::new(), src.join("lib.rs"))];
    while let Some((path, file)) = pending.pop() {
        let module = Module { syntax: parse(&file), path, file };
        // Children of lib.rs and mod.rs sit beside them; of foo.rs, in foo/.
        let dir = match module.file.file_name().and_then(|n| n.to_str()) {
            Some("lib.rs") | Some("mod.rs") => module.file.parent().unwrap().to_path_buf(),
            _ => module.file.with_extension(""),
        };
        for item in &module.syntax.items {
            let syn::Item::Mod(child) = item else { continue };
            if is_test_only(&child.attrs) || child.content.is_some() {
                continue;
            }
            let name = child.ident.to_string();
            let flat = dir.join(format!("{name}.rs"));
            let file = if flat.exists() { flat } else { dir.join(&name).join("mod.rs") };
            assert!(file.exists(), "module {name} of {} has no file", module.file.display());
            let mut path = module.path.clone();
            path.push(name);
            pending.push((path, file));
        }
        found.push(module);
    }
    found
}

fn parse(file: &Path) -> syn::File {
    let text = std::fs::read_to_string(file).unwrap();
    syn::parse_file(&text).unwrap_or_else(|e| panic!("{} does not parse: {e}", file.display()))
}

/// `#[cfg(test)]`, alone or as `all(test, …)`.
fn is_test_only(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|attr| {
        attr.path().is_ident("cfg") && {
            let text = attr.meta.require_list().map(|l| l.tokens.to_string()).unwrap_or_default();
            text == "test" || text.starts_with("all (test")
        }
    })
}

/// Collects the top-level module each path names, resolving `crate::`
/// and `super::` against the module the code is in.
struct Names<'a> {
    /// The module the code is in (inline modules pushed and popped).
    module: Vec<String>,
    named: &'a mut BTreeSet<String>,
}

impl Names<'_> {
    fn note(&mut self, segments: &[String]) {
        let mut at = self.module.clone();
        let mut rest = segments;
        match rest.first().map(String::as_str) {
            Some("crate") => {
                at.clear();
                rest = &rest[1..];
            }
            Some("super") => {
                while rest.first().map(String::as_str) == Some("super") {
                    at.pop();
                    rest = &rest[1..];
                }
            }
            // The store crate's modules, named from `spot` by the crate's name.
            Some("spot_store") => {
                at.clear();
                rest = &rest[1..];
            }
            _ => return, // a name in scope, or another crate
        }
        match (at.first(), rest.first()) {
            (Some(top), _) => {
                self.named.insert(top.clone());
            }
            (None, Some(top)) => {
                self.named.insert(top.clone());
            }
            (None, None) => {}
        }
    }

    /// `crate :: name` (and `super ::` chains) in a macro's tokens.
    fn scan(&mut self, tokens: TokenStream) {
        let trees: Vec<TokenTree> = tokens.into_iter().collect();
        for (i, tree) in trees.iter().enumerate() {
            match tree {
                TokenTree::Group(group) => self.scan(group.stream()),
                TokenTree::Ident(ident) if ident == "crate" || ident == "super" => {
                    let mut segments = vec![ident.to_string()];
                    let mut j = i + 1;
                    while let (Some(TokenTree::Punct(a)), Some(TokenTree::Punct(b)), Some(TokenTree::Ident(next))) =
                        (trees.get(j), trees.get(j + 1), trees.get(j + 2))
                    {
                        if a.as_char() != ':' || b.as_char() != ':' {
                            break;
                        }
                        segments.push(next.to_string());
                        j += 3;
                    }
                    self.note(&segments);
                }
                _ => {}
            }
        }
    }
}

impl<'ast> Visit<'ast> for Names<'_> {
    fn visit_item(&mut self, item: &'ast syn::Item) {
        let attrs: &[syn::Attribute] = match item {
            syn::Item::Mod(m) => &m.attrs,
            syn::Item::Fn(f) => &f.attrs,
            syn::Item::Impl(i) => &i.attrs,
            syn::Item::Use(u) => &u.attrs,
            syn::Item::Const(c) => &c.attrs,
            syn::Item::Static(s) => &s.attrs,
            syn::Item::Struct(s) => &s.attrs,
            syn::Item::Enum(e) => &e.attrs,
            syn::Item::Trait(t) => &t.attrs,
            syn::Item::Type(t) => &t.attrs,
            syn::Item::Macro(m) => &m.attrs,
            _ => &[],
        };
        if is_test_only(attrs) {
            return;
        }
        if let syn::Item::Mod(inline) = item {
            if inline.content.is_some() {
                self.module.push(inline.ident.to_string());
                syn::visit::visit_item(self, item);
                self.module.pop();
                return;
            }
        }
        syn::visit::visit_item(self, item);
    }

    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        let mut paths = Vec::new();
        use_paths(&item.tree, &mut Vec::new(), &mut paths);
        for path in paths {
            self.note(&path);
        }
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        self.note(&segments);
        syn::visit::visit_path(self, path);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        self.scan(mac.tokens.clone());
        syn::visit::visit_macro(self, mac);
    }
}

/// What a crate's lib.rs re-exports from modules (`SqliteStore` →
/// `store`), so `crate::SqliteStore` counts as naming `store`.
fn reexports(lib: &syn::File) -> BTreeMap<String, String> {
    let mut found = BTreeMap::new();
    for item in &lib.items {
        let syn::Item::Use(item) = item else { continue };
        let mut paths = Vec::new();
        use_paths(&item.tree, &mut Vec::new(), &mut paths);
        for path in paths {
            if let (Some(module), Some(name)) = (path.first(), path.last()) {
                found.insert(name.clone(), module.clone());
            }
        }
    }
    found
}

/// Every path a `use` tree brings in, whole (`a::{b, c::d}`: `a::b`, `a::c::d`).
fn use_paths(tree: &syn::UseTree, prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    match tree {
        syn::UseTree::Path(p) => {
            prefix.push(p.ident.to_string());
            use_paths(&p.tree, prefix, out);
            prefix.pop();
        }
        syn::UseTree::Name(n) => out.push([prefix.clone(), vec![n.ident.to_string()]].concat()),
        syn::UseTree::Rename(r) => out.push([prefix.clone(), vec![r.ident.to_string()]].concat()),
        syn::UseTree::Glob(_) => out.push(prefix.clone()),
        syn::UseTree::Group(g) => g.items.iter().for_each(|t| use_paths(t, prefix, out)),
    }
}

/// For each top-level module of the crates whose `src` folders are given,
/// the other top-level modules its code names.
fn module_references(crates: &[PathBuf]) -> References {
    let modules: Vec<Module> = crates.iter().flat_map(|src| module_files(src)).collect();
    let tops: BTreeSet<String> = modules.iter().filter_map(|m| m.path.first().cloned()).collect();
    let mut reexported = BTreeMap::new();
    for lib in modules.iter().filter(|m| m.path.is_empty()) {
        reexported.extend(reexports(&lib.syntax));
    }
    let mut references = References::new();
    for module in &modules {
        let Some(top) = module.path.first().cloned() else { continue }; // lib.rs: the crate's front door
        let mut named = BTreeSet::new();
        let mut names = Names { module: module.path.clone(), named: &mut named };
        names.visit_file(&module.syntax);
        let relative = module.file.strip_prefix(root()).unwrap().to_string_lossy().replace('\\', "/");
        let named = named.into_iter().filter_map(|name| match tops.contains(&name) {
            true => Some(name),
            false => reexported.get(&name).filter(|m| tops.contains(*m)).cloned(),
        });
        for other in named.filter(|m| *m != top) {
            references.entry(top.clone()).or_default().entry(other).or_default().insert(relative.clone());
        }
        references.entry(top).or_default();
    }
    references
}

/// The layers docs/architecture.md lists under "Layers", highest first:
/// the first fenced block after the heading, one layer per line, modules
/// separated by commas.
fn documented_layers(doc: &str) -> Vec<Vec<String>> {
    documented_order(doc, "Layers")
}

/// The first fenced block after the `## {heading}` heading, one rank per
/// line, highest first, names separated by commas.
fn documented_order(doc: &str, heading: &str) -> Vec<Vec<String>> {
    let section = doc
        .split(&format!("\n## {heading}\n"))
        .nth(1)
        .unwrap_or_else(|| panic!("docs/architecture.md has a {heading} section"));
    let block =
        section.split("```").nth(1).unwrap_or_else(|| panic!("the {heading} section opens with a fenced block"));
    block
        .lines()
        .skip(1) // the fence's language tag
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(|line| line.split(',').map(|m| m.trim().to_string()).collect())
        .collect()
}

/// Each reference that does not go to a lower layer, with the files making it.
fn upward_references(references: &References, layers: &[Vec<String>]) -> Vec<String> {
    // Highest first: a lower layer has a larger index.
    let rank = |module: &str| layers.iter().position(|layer| layer.iter().any(|m| m == module));
    let mut wrong = Vec::new();
    for (module, named) in references {
        for (other, files) in named {
            match (rank(module), rank(other)) {
                (Some(a), Some(b)) if b > a => {}
                _ => wrong.push(format!("{module} -> {other} ({files:?})")),
            }
        }
    }
    wrong
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The `src` folders of the crates whose modules are layered: `spot` and
/// the store crate below it.
fn crates() -> Vec<PathBuf> {
    vec![root().join("src"), root().join("store/src")]
}

fn architecture() -> String {
    std::fs::read_to_string(root().join("docs/architecture.md")).unwrap()
}

fn layers() -> Vec<Vec<String>> {
    documented_layers(&architecture())
}

#[test]
fn every_module_of_src_names_only_modules_of_lower_layers() {
    let references = module_references(&crates());
    assert!(references["api"].contains_key("store"), "the reading found the modules: {references:?}");
    assert!(references["store"].contains_key("model"), "and the store crate's: {references:?}");
    let wrong = upward_references(&references, &layers());
    assert!(wrong.is_empty(), "references that do not go down the documented layers:\n  {}", wrong.join("\n  "));
}

#[test]
fn the_documented_layers_are_the_modules_of_both_crates_each_once() {
    let documented: Vec<String> = layers().concat();
    let unique: BTreeSet<&String> = documented.iter().collect();
    assert_eq!(unique.len(), documented.len(), "a module is listed twice: {documented:?}");
    let modules: BTreeSet<String> = module_references(&crates()).into_keys().collect();
    let listed: BTreeSet<String> = documented.into_iter().collect();
    assert_eq!(listed, modules, "docs/architecture.md's layers and the modules of src/ and store/src/ differ");
}

#[test]
fn the_reading_sees_paths_in_code_but_not_in_comments_or_tests() {
    let code = r#"
        //! Uses crate::api in a doc comment only.
        use crate::store::Store;
        use super::super::ingest::{self, Refusal};
        fn f() -> crate::model::Day { tracing::info!(x = %crate::delivery::UNCLASSIFIED); todo!() }
        fn h() -> spot_store::judging::Judged { todo!() }
        mod inner { fn g() { super::super::transfer::run(); } }
        #[cfg(test)]
        mod tests { use crate::server::Server; }
    "#;
    let mut named = BTreeSet::new();
    let mut names = Names { module: vec!["scorecards".into(), "view".into()], named: &mut named };
    names.visit_file(&syn::parse_file(code).unwrap());
    let named: Vec<&str> = named.iter().map(String::as_str).collect();
    // `super::super` from scorecards::view is the crate root; from
    // scorecards::view::inner it is scorecards.
    assert_eq!(named, ["delivery", "ingest", "judging", "model", "scorecards", "store"]);
}

#[test]
fn the_check_sees_a_reference_up_the_layers() {
    let layers =
        vec![vec!["api".to_string()], vec!["store".to_string(), "delivery".to_string()], vec!["model".to_string()]];
    let mut references = References::new();
    for (from, to) in
        [("api", "store"), ("store", "model"), ("model", "api"), ("store", "delivery"), ("store", "nowhere")]
    {
        references.entry(from.into()).or_default().entry(to.into()).or_default().insert(format!("{from}.rs"));
    }
    let wrong = upward_references(&references, &layers);
    assert_eq!(wrong.len(), 3, "{wrong:?}");
    assert!(wrong[0].starts_with("model -> api"), "{wrong:?}");
    assert!(wrong[1].starts_with("store -> delivery"), "same layer: {wrong:?}");
    assert!(wrong[2].starts_with("store -> nowhere"), "not listed: {wrong:?}");
}

/// A crate of the workspace: its package name and the packages its
/// `[dependencies]` name (dev-dependencies are not linked into it).
struct Member {
    name: String,
    dependencies: BTreeSet<String>,
}

fn read_toml(path: &Path) -> toml::Table {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.parse().unwrap_or_else(|e| panic!("{} does not parse: {e}", path.display()))
}

fn workspace_members() -> Vec<Member> {
    let manifest = read_toml(&root().join("Cargo.toml"));
    let members = manifest["workspace"]["members"].as_array().expect("workspace.members");
    members
        .iter()
        .map(|dir| {
            let crate_toml = read_toml(&root().join(dir.as_str().unwrap()).join("Cargo.toml"));
            let dependencies = crate_toml.get("dependencies").and_then(toml::Value::as_table);
            let package_of = |(key, spec): (&String, &toml::Value)| {
                // `alias = { package = "real-name", … }` names another package.
                spec.get("package").and_then(toml::Value::as_str).unwrap_or(key).to_string()
            };
            Member {
                name: crate_toml["package"]["name"].as_str().unwrap().to_string(),
                dependencies: dependencies.into_iter().flatten().map(package_of).collect(),
            }
        })
        .collect()
}

/// Every package `package` links, itself included, as Cargo.lock resolved
/// the workspace (features of the whole workspace unified: a superset).
fn linked_by(package: &str) -> BTreeSet<String> {
    let lock = read_toml(&root().join("Cargo.lock"));
    let packages = lock["package"].as_array().unwrap();
    // A lock entry names a dependency `name`, or `name version` when two
    // versions are in the tree.
    let entry = |named: &str| {
        let mut words = named.split(' ');
        let (name, version) = (words.next().unwrap(), words.next());
        packages
            .iter()
            .find(|p| p["name"].as_str() == Some(name) && version.is_none_or(|v| p["version"].as_str() == Some(v)))
            .unwrap_or_else(|| panic!("Cargo.lock has no package {named}"))
    };
    let members = workspace_members();
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut linked = BTreeSet::new();
    let mut pending = vec![package.to_string()];
    while let Some(named) = pending.pop() {
        match members.iter().find(|m| m.name == named) {
            // A workspace crate's lock entry lists its dev-dependencies too.
            Some(member) => {
                if linked.insert(named.clone()) {
                    pending.extend(member.dependencies.iter().cloned());
                }
            }
            None => {
                let found = entry(&named);
                let (name, version) = (found["name"].as_str().unwrap(), found["version"].as_str().unwrap());
                if !seen.insert(format!("{name} {version}")) {
                    continue;
                }
                linked.insert(name.to_string());
                let dependencies = found.get("dependencies").and_then(toml::Value::as_array);
                pending.extend(dependencies.into_iter().flatten().map(|d| d.as_str().unwrap().to_string()));
            }
        }
    }
    linked
}

#[test]
fn every_crate_depends_only_on_the_crates_below_it() {
    let crates = documented_order(&architecture(), "Crates");
    let rank = |name: &str| crates.iter().position(|rank| rank.iter().any(|c| c == name));
    let members = workspace_members();
    let names: BTreeSet<&str> = members.iter().map(|m| m.name.as_str()).collect();
    let documented: BTreeSet<&str> = crates.iter().flatten().map(String::as_str).collect();
    assert_eq!(names, documented, "docs/architecture.md's crates and the workspace's members differ");
    let mut wrong = Vec::new();
    for member in &members {
        for dependency in member.dependencies.iter().filter(|d| names.contains(d.as_str())) {
            if rank(dependency) <= rank(&member.name) {
                wrong.push(format!("{} -> {dependency}", member.name));
            }
        }
    }
    assert!(wrong.is_empty(), "crates that depend on a crate not below them: {wrong:?}");
}

#[test]
fn the_store_links_no_kubernetes_client_and_no_libgit2() {
    let collectors_only = ["kube", "kube-client", "k8s-openapi", "git2", "libgit2-sys"];
    let spot = linked_by("spot");
    assert!(collectors_only.iter().all(|c| spot.contains(*c)), "the reading sees what the binary links: {spot:?}");
    for below in ["spot-store", "spot-model"] {
        let linked = linked_by(below);
        assert!(linked.contains("serde"), "{below}'s dependencies were read: {linked:?}");
        let found: Vec<&str> = collectors_only.iter().copied().filter(|c| linked.contains(*c)).collect();
        assert!(found.is_empty(), "{below} links {found:?}, which only the collectors need");
    }
}
