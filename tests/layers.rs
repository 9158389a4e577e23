//! The modules of `src/` point one way: no module reaches, through any
//! chain of `crate::…` paths, back to itself (docs/architecture.md draws
//! the layers). A cycle is reported with the files that make each step.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// For each top-level module, the other top-level modules it names, and
/// the files that name them. Test modules (`#[cfg(test)]` to the end of a
/// file) are left out: a test may use anything.
fn module_references(src: &Path) -> BTreeMap<String, BTreeMap<String, BTreeSet<String>>> {
    let mut references: BTreeMap<String, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for file in rust_files(src) {
        let relative = file.strip_prefix(src).unwrap().to_string_lossy().replace('\\', "/");
        let module = relative.split('/').next().unwrap().trim_end_matches(".rs").to_string();
        if module == "main" || module == "lib" {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        let code = text.split("#[cfg(test)]").next().unwrap();
        for (at, _) in code.match_indices("crate::") {
            let named: String =
                code[at + "crate::".len()..].chars().take_while(|c| c.is_ascii_lowercase() || *c == '_').collect();
            if !named.is_empty() && named != module {
                references.entry(module.clone()).or_default().entry(named).or_default().insert(relative.clone());
            }
        }
    }
    references
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}

/// A path from `from` back to itself, if there is one.
fn cycle_through(from: &str, graph: &BTreeMap<String, BTreeMap<String, BTreeSet<String>>>) -> Option<Vec<String>> {
    let mut stack = vec![vec![from.to_string()]];
    let mut seen = BTreeSet::new();
    while let Some(path) = stack.pop() {
        let last = path.last().unwrap();
        for next in graph.get(last).map(|m| m.keys()).into_iter().flatten() {
            if next == from {
                let mut cycle = path.clone();
                cycle.push(from.to_string());
                return Some(cycle);
            }
            if seen.insert(next.clone()) {
                let mut longer = path.clone();
                longer.push(next.clone());
                stack.push(longer);
            }
        }
    }
    None
}

#[test]
fn no_module_of_src_depends_on_itself_through_others() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let graph = module_references(&src);
    assert!(graph.contains_key("store") && graph.contains_key("api"), "the scan found the modules: {graph:?}");
    let mut cycles = Vec::new();
    for module in graph.keys() {
        if let Some(cycle) = cycle_through(module, &graph) {
            let steps: Vec<String> = cycle
                .windows(2)
                .map(|pair| format!("{} -> {} ({:?})", pair[0], pair[1], graph[&pair[0]][&pair[1]]))
                .collect();
            cycles.push(steps.join("\n  "));
        }
    }
    assert!(cycles.is_empty(), "import cycles among src/ modules:\n  {}", cycles.join("\n\n  "));
}

#[test]
fn the_check_sees_a_cycle_when_there_is_one() {
    let mut graph: BTreeMap<String, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for (from, to) in [("store", "config"), ("config", "api"), ("api", "store"), ("model", "store")] {
        graph.entry(from.into()).or_default().entry(to.into()).or_default().insert(format!("{from}.rs"));
    }
    assert_eq!(cycle_through("store", &graph).unwrap(), ["store", "config", "api", "store"]);
    assert_eq!(cycle_through("model", &graph), None);
}
