//! Jib builds images straight from Maven or Gradle, with no Dockerfile:
//! a module whose `pom.xml` or `build.gradle(.kts)` applies the plugin
//! builds one. A Maven parent (`<packaging>pom</packaging>`) that applies
//! it in `<build><plugins>` gives it to each of its `<modules>`; one that
//! only declares it in `<pluginManagement>` gives it to nobody.
//!
//! The image comes from the plugin's `<to><image>` (Maven) or
//! `jib.to.image` / `to { image = … }` (Gradle). These are searched in the
//! text, not evaluated: a Gradle build script is a program.

use std::sync::OnceLock;

use regex::Regex;

use super::naming::image_name;
use super::{Artefact, Signal};
use crate::manifests::{file_name, folder_of, join_path};

fn pattern(cell: &'static OnceLock<Regex>, text: &str) -> &'static Regex {
    cell.get_or_init(|| Regex::new(text).expect("a valid pattern"))
}

fn plugin_management() -> &'static Regex {
    static CELL: OnceLock<Regex> = OnceLock::new();
    pattern(&CELL, r"(?s)<pluginManagement>.*?</pluginManagement>")
}

fn maven_image() -> &'static Regex {
    static CELL: OnceLock<Regex> = OnceLock::new();
    pattern(&CELL, r"(?s)<to>\s*<image>\s*([^<\s]+)\s*</image>")
}

fn maven_module() -> &'static Regex {
    static CELL: OnceLock<Regex> = OnceLock::new();
    pattern(&CELL, r"<module>\s*([^<\s]+)\s*</module>")
}

fn gradle_image() -> &'static Regex {
    static CELL: OnceLock<Regex> = OnceLock::new();
    pattern(&CELL, r#"(?s)(?:jib\.to\.image\s*=|to\s*\{[^}]*?image\s*=)\s*['"]([^'"]+)['"]"#)
}

/// The artefacts a build file declares through Jib.
pub fn read(path: &str, content: &str) -> Vec<Artefact> {
    match file_name(path) {
        "pom.xml" => maven(path, content),
        "build.gradle" | "build.gradle.kts" => gradle(path, content),
        _ => Vec::new(),
    }
}

fn maven(path: &str, content: &str) -> Vec<Artefact> {
    let applied = plugin_management().replace_all(content, "");
    if !applied.contains("jib-maven-plugin") {
        return Vec::new();
    }
    let image = maven_image().captures(&applied).and_then(|c| image_name(&c[1]));
    let folder = folder_of(path);
    if !applied.contains("<packaging>pom</packaging>") {
        return vec![Artefact::new(folder.to_string(), Signal::Jib, path).image(image)];
    }
    // A parent: the plugin is its modules'; the image, templated per
    // module (`${project.artifactId}`) or not, names none of them.
    maven_module()
        .captures_iter(&applied)
        .filter_map(|c| join_path(folder, &c[1]))
        .map(|module| Artefact::new(module, Signal::Jib, path))
        .collect()
}

fn gradle(path: &str, content: &str) -> Vec<Artefact> {
    if !content.contains("com.google.cloud.tools.jib") {
        return Vec::new();
    }
    let image = gradle_image().captures(content).and_then(|c| image_name(&c[1]));
    vec![Artefact::new(folder_of(path).to_string(), Signal::Jib, path).image(image)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pom_with_the_jib_plugin_builds_its_image() {
        let pom = "<project><artifactId>balancereader</artifactId><build><plugins><plugin>\
                   <groupId>com.google.cloud.tools</groupId><artifactId>jib-maven-plugin</artifactId>\
                   <configuration><to><image>gcr.io/acme/balancereader</image></to></configuration>\
                   </plugin></plugins></build></project>";
        let found = read("src/ledger/balancereader/pom.xml", pom);
        assert_eq!(found.len(), 1);
        assert_eq!(
            (found[0].folder.as_str(), found[0].image.as_deref()),
            ("src/ledger/balancereader", Some("balancereader"))
        );
    }

    #[test]
    fn a_parent_pom_gives_jib_to_its_modules_unless_only_managed() {
        let parent = "<project><packaging>pom</packaging><modules><module>orders</module><module>users</module></modules>\
                      <build><plugins><plugin><artifactId>jib-maven-plugin</artifactId></plugin></plugins></build></project>";
        let found: Vec<String> = read("pom.xml", parent).into_iter().map(|a| a.folder).collect();
        assert_eq!(found, ["orders", "users"]);
        let managed = "<project><packaging>pom</packaging><modules><module>orders</module></modules><build>\
                       <pluginManagement><plugins><plugin><artifactId>jib-maven-plugin</artifactId></plugin></plugins>\
                       </pluginManagement></build></project>";
        assert!(read("pom.xml", managed).is_empty());
    }

    #[test]
    fn a_gradle_build_applying_jib_builds_its_image() {
        let kts = "plugins { id(\"com.google.cloud.tools.jib\") version \"3.4.0\" }\njib {\n  to {\n    image = \"registry.acme.dev/shop/payments:latest\"\n  }\n}\n";
        let found = read("payments/build.gradle.kts", kts);
        assert_eq!((found[0].folder.as_str(), found[0].image.as_deref()), ("payments", Some("payments")));
        let groovy = "apply plugin: 'com.google.cloud.tools.jib'\njib.to.image = 'acme/orders'\n";
        assert_eq!(read("orders/build.gradle", groovy)[0].image.as_deref(), Some("orders"));
        assert!(read("lib/build.gradle", "apply plugin: 'java'").is_empty());
    }
}
