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
//! `test` is test. `<optional>` runtime dependencies are optional.
//! Profiles are not read.
//!
//! The `<parent>` (`spring-boot-starter-parent` 3.5.5) and each BOM that
//! `<dependencyManagement>` imports (`<scope>import</scope>`) are `uses` of
//! scope build with a [`DepRole`]; a dependency that names no version gets
//! the one that gives it as `managed_by` ([`managing`]). Its version is not
//! known without fetching the parent or BOM, so it stays unresolved.

use std::collections::HashMap;

use super::xml::{self, Element};
use super::{declared, DepRole, DepScope, Dependency, Ecosystem, Manifest, ParseError, Published};

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
    let parent_package = match parent {
        Some(parent) => coordinates(path, parent, &props, None)?,
        None => None,
    };
    if let (Some(group), Some(artifact)) = (group, artifact) {
        manifest.publishes.push(Published {
            ecosystem: MAVEN,
            name: format!("{}:{}", props(group), props(artifact)),
            version: version.map(props),
            manifest: path.to_string(),
            distributed: root.child("distributionManagement").is_some(),
            group_of_parent: parent_package.clone().filter(|_| root.text_of("groupId").is_none()),
        });
    }
    let mut governing: Vec<Dependency> = Vec::new();
    if let (Some(parent), Some(name)) = (parent, &parent_package) {
        let spec = parent.text_of("version").map(&props);
        governing.push(role(with_resolved(declared(MAVEN, name, spec, DepScope::Build, path)), DepRole::Parent));
    }
    if let Some(modules) = root.child("modules") {
        manifest.members = modules.children("module").map(|m| m.text.trim().to_string()).collect();
    }

    // groupId:artifactId → version, from dependencyManagement.
    let mut managed: HashMap<String, String> = HashMap::new();
    if let Some(list) = root.child("dependencyManagement").and_then(|m| m.child("dependencies")) {
        for d in list.children("dependency") {
            let Some(name) = coordinates(path, d, &props, None)? else { continue };
            let spec = d.text_of("version").map(&props);
            if d.text_of("scope") == Some("import") {
                let bom = with_resolved(declared(MAVEN, &name, spec, DepScope::Build, path));
                governing.push(role(bom, DepRole::Bom));
            } else if let Some(spec) = spec {
                managed.insert(name, spec);
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
            let mut dependency = with_resolved(declared(MAVEN, &name, spec, scope, path));
            if dependency.spec.is_none() {
                dependency.managed_by = managing(&name, &governing);
            }
            manifest.dependencies.push(dependency);
        }
    }
    if let Some(plugins) = root.child("build").and_then(|b| b.child("plugins")) {
        for p in plugins.children("plugin") {
            let Some(name) = coordinates(path, p, &props, Some("org.apache.maven.plugins"))? else { continue };
            let spec = p.text_of("version").map(&props);
            let mut plugin = with_resolved(declared(MAVEN, &name, spec, DepScope::Build, path));
            if plugin.spec.is_none() {
                plugin.managed_by = governing.iter().find(|g| g.role == Some(DepRole::Parent)).map(|g| g.name.clone());
            }
            manifest.dependencies.push(plugin);
        }
    }
    manifest.dependencies.extend(governing);
    Ok(manifest)
}

fn role(mut dependency: Dependency, role: DepRole) -> Dependency {
    dependency.role = Some(role);
    dependency
}

/// The parent or BOM that most likely gives `name` its version, without
/// fetching them: the one whose groupId shares the most leading segments
/// (at least two) with the dependency's (`org.springframework.cloud:x` →
/// `spring-cloud-dependencies`), else the parent (Spring Boot's manages
/// most common libraries), else the first BOM.
pub(super) fn managing(name: &str, governing: &[Dependency]) -> Option<String> {
    let group = |coordinates: &str| coordinates.split(':').next().unwrap_or_default().to_string();
    let shared = |a: &str, b: &str| a.split('.').zip(b.split('.')).take_while(|(x, y)| x == y).count();
    let wanted = group(name);
    let by_group = governing
        .iter()
        .map(|g| (shared(&wanted, &group(&g.name)), g))
        .filter(|(segments, _)| *segments >= 2)
        .max_by_key(|(segments, g)| (*segments, g.role == Some(DepRole::Parent)))
        .map(|(_, g)| g);
    let parent = || governing.iter().find(|g| g.role == Some(DepRole::Parent));
    by_group.or_else(parent).or_else(|| governing.first()).map(|g| g.name.clone())
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

    const SPRING_SERVICE: &str = r#"<project>
  <artifactId>balancereader</artifactId>
  <version>1.0</version>
  <parent>
    <groupId>org.springframework.boot</groupId>
    <artifactId>spring-boot-starter-parent</artifactId>
    <version>3.5.5</version>
  </parent>
  <properties><spring-cloud.version>2025.0.0</spring-cloud.version></properties>
  <dependencyManagement><dependencies>
    <dependency>
      <groupId>org.springframework.cloud</groupId><artifactId>spring-cloud-dependencies</artifactId>
      <version>${spring-cloud.version}</version><type>pom</type><scope>import</scope>
    </dependency>
    <dependency><groupId>com.acme</groupId><artifactId>pinned</artifactId><version>2.1</version></dependency>
  </dependencies></dependencyManagement>
  <dependencies>
    <dependency><groupId>org.springframework.boot</groupId><artifactId>spring-boot-starter-web</artifactId></dependency>
    <dependency><groupId>org.springframework.cloud</groupId><artifactId>spring-cloud-starter-config</artifactId></dependency>
    <dependency><groupId>com.fasterxml.jackson.core</groupId><artifactId>jackson-databind</artifactId></dependency>
    <dependency><groupId>com.acme</groupId><artifactId>pinned</artifactId></dependency>
  </dependencies>
</project>"#;

    /// (name, resolved, role, managed_by) of each use.
    type Use<'a> = (&'a str, Option<&'a str>, Option<&'a str>, Option<&'a str>);

    fn uses(manifest: &Manifest) -> Vec<Use<'_>> {
        manifest
            .dependencies
            .iter()
            .map(|d| (d.name.as_str(), d.resolved.as_deref(), d.role.map(DepRole::as_str), d.managed_by.as_deref()))
            .collect()
    }

    #[test]
    fn a_parent_and_an_imported_bom_are_recorded_with_the_versions_they_manage() {
        let manifest = pom("svc/pom.xml", SPRING_SERVICE).unwrap();
        let boot = "org.springframework.boot:spring-boot-starter-parent";
        let cloud = "org.springframework.cloud:spring-cloud-dependencies";
        assert_eq!(
            uses(&manifest),
            [
                ("org.springframework.boot:spring-boot-starter-web", None, None, Some(boot)),
                ("org.springframework.cloud:spring-cloud-starter-config", None, None, Some(cloud)),
                ("com.fasterxml.jackson.core:jackson-databind", None, None, Some(boot)),
                ("com.acme:pinned", Some("2.1"), None, None),
                (boot, Some("3.5.5"), Some("parent"), None),
                (cloud, Some("2025.0.0"), Some("bom"), None),
            ]
        );
        assert!(manifest.dependencies.iter().filter(|d| d.role.is_some()).all(|d| d.scope == DepScope::Build));
    }

    #[test]
    fn a_group_inherited_from_a_parent_is_marked_as_such() {
        let published = &pom("svc/pom.xml", SPRING_SERVICE).unwrap().publishes[0];
        assert_eq!(published.name, "org.springframework.boot:balancereader");
        assert_eq!(published.group_of_parent.as_deref(), Some("org.springframework.boot:spring-boot-starter-parent"));
        assert!(!published.distributed);
        let own_group =
            SPRING_SERVICE.replace("<artifactId>balancereader", "<groupId>com.acme</groupId><artifactId>balancereader");
        let published = &pom("svc/pom.xml", &own_group).unwrap().publishes[0];
        assert_eq!((published.name.as_str(), published.group_of_parent.as_deref()), ("com.acme:balancereader", None));
    }

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
