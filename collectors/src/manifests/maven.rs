//! Maven: `pom.xml`. The project's coordinates (inheriting its parent's
//! groupId and version), its dependencies with versions from
//! `dependencyManagement` when they give none, its build plugins, and its
//! `modules`. `${...}` properties are filled in from `<properties>` and the
//! project's own coordinates; a version that names a property defined
//! elsewhere (a parent POM) stays as written, and is not a resolved version.
//!
//! Maven has no lockfile; a plain version (not a range like `[1.0,2.0)`) is
//! the version Maven uses unless another path to the same artifact wins
//! conflict mediation, so it counts as resolved.
//!
//! Scopes: `compile`, `runtime` and `system` are runtime; `provided`
//! (compile against, supplied by the container) is build, like plugins;
//! `test` is test; `import` (a BOM) is not a use. `<optional>` runtime
//! dependencies are optional. Profiles are not read.

use std::collections::HashMap;

use super::xml::{self, Element};
use super::{declared, DepScope, Dependency, Ecosystem, Manifest, ParseError, Published};

const MAVEN: Ecosystem = Ecosystem::Maven;

pub(super) fn pom(path: &str, content: &str) -> Result<Manifest, ParseError> {
    let root = xml::parse(path, content)?;
    if !root.name.eq_ignore_ascii_case("project") {
        return Err(ParseError::new(path, format!("the root element is `<{}>`, not `<project>`", root.name)));
    }
    let parent = root.child("parent");
    let group = root.text_of("groupId").or_else(|| parent.and_then(|p| p.text_of("groupId")));
    let version = root.text_of("version").or_else(|| parent.and_then(|p| p.text_of("version")));
    let artifact = root.text_of("artifactId");
    let mut properties: HashMap<String, String> = HashMap::new();
    if let Some(props) = root.child("properties") {
        for p in &props.children {
            properties.insert(p.name.clone(), p.text.trim().to_string());
        }
    }
    for (key, value) in [
        ("project.groupId", group),
        ("project.artifactId", artifact),
        ("project.version", version),
        ("project.parent.groupId", parent.and_then(|p| p.text_of("groupId"))),
        ("project.parent.version", parent.and_then(|p| p.text_of("version"))),
    ] {
        if let Some(value) = value {
            properties.insert(key.to_string(), value.to_string());
            properties.insert(key.trim_start_matches("project.").to_string(), value.to_string());
        }
    }
    let props = |s: &str| interpolate(s, &properties);

    let mut manifest = Manifest::default();
    if let (Some(group), Some(artifact)) = (group, artifact) {
        manifest.publishes.push(Published {
            ecosystem: MAVEN,
            name: format!("{}:{}", props(group), props(artifact)),
            version: version.map(props),
            manifest: path.to_string(),
        });
    }
    if let Some(modules) = root.child("modules") {
        manifest.members = modules.children("module").map(|m| m.text.trim().to_string()).collect();
    }

    // groupId:artifactId → version, from dependencyManagement.
    let mut managed: HashMap<String, String> = HashMap::new();
    if let Some(list) = root.child("dependencyManagement").and_then(|m| m.child("dependencies")) {
        for d in list.children("dependency") {
            if let (Some(name), Some(version)) = (coordinates(path, d, &props, None)?, d.text_of("version")) {
                managed.insert(name, props(version));
            }
        }
    }
    if let Some(list) = root.child("dependencies") {
        for d in list.children("dependency") {
            let Some(name) = coordinates(path, d, &props, None)? else { continue };
            let scope = match d.text_of("scope").unwrap_or("compile") {
                "test" => DepScope::Test,
                "provided" => DepScope::Build,
                "import" => continue,
                _ if d.text_of("optional") == Some("true") => DepScope::Optional,
                _ => DepScope::Runtime,
            };
            let spec = d.text_of("version").map(&props).or_else(|| managed.get(&name).cloned());
            manifest.dependencies.push(with_resolved(declared(MAVEN, &name, spec, scope, path)));
        }
    }
    if let Some(plugins) = root.child("build").and_then(|b| b.child("plugins")) {
        for p in plugins.children("plugin") {
            let Some(name) = coordinates(path, p, &props, Some("org.apache.maven.plugins"))? else { continue };
            let spec = p.text_of("version").map(&props);
            manifest.dependencies.push(with_resolved(declared(MAVEN, &name, spec, DepScope::Build, path)));
        }
    }
    Ok(manifest)
}

/// `groupId:artifactId` of a dependency or plugin. A dependency with no
/// artifactId is an error; one whose coordinates are unresolved properties
/// is skipped (`None`), since its name is not known.
fn coordinates(
    path: &str,
    element: &Element,
    props: &impl Fn(&str) -> String,
    default_group: Option<&str>,
) -> Result<Option<String>, ParseError> {
    let Some(artifact) = element.text_of("artifactId") else {
        return Err(ParseError::new(path, format!("a `<{}>` has no `<artifactId>`", element.name)));
    };
    let Some(group) = element.text_of("groupId").or(default_group) else {
        return Err(ParseError::new(path, format!("the {} `{artifact}` has no `<groupId>`", element.name)));
    };
    let name = format!("{}:{}", props(group), props(artifact));
    Ok((!name.contains("${")).then_some(name))
}

fn with_resolved(mut dep: Dependency) -> Dependency {
    dep.resolved = dep.spec.clone().filter(|s| !s.contains(['[', '(', ',', '$']) && !s.is_empty());
    dep
}

/// `${name}` replaced by its property, repeatedly (properties may name
/// properties), at most a few rounds so that a cycle ends.
fn interpolate(text: &str, properties: &HashMap<String, String>) -> String {
    let mut out = text.to_string();
    for _ in 0..8 {
        if !out.contains("${") {
            break;
        }
        let mut next = String::with_capacity(out.len());
        let mut rest = &out[..];
        let mut changed = false;
        while let Some(at) = rest.find("${") {
            let Some(end) = rest[at..].find('}') else { break };
            let key = &rest[at + 2..at + end];
            next.push_str(&rest[..at]);
            match properties.get(key) {
                Some(value) => {
                    next.push_str(value);
                    changed = true;
                }
                None => next.push_str(&rest[at..at + end + 1]),
            }
            rest = &rest[at + end + 1..];
        }
        next.push_str(rest);
        out = next;
        if !changed {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn properties_are_filled_in_and_cycles_end() {
        let props: HashMap<String, String> = [("a", "${b}"), ("b", "1.2"), ("loop", "${loop}")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert_eq!(interpolate("v${a}-x", &props), "v1.2-x");
        assert_eq!(interpolate("${missing}", &props), "${missing}");
        assert_eq!(interpolate("${loop}", &props), "${loop}");
        assert_eq!(interpolate("${unclosed", &props), "${unclosed");
    }
}
