//! What a service may be called: names from images and folders, and the
//! generic folder names that never name a service.

use crate::image::ImageRef;

/// Folder names that say how code is laid out, not what it is: a service
/// in `src/cartservice/src` is `cartservice`, one in `cmd/server` takes
/// its name from further up. Compared without case.
const GENERIC: &[&str] = &[
    "src",
    "source",
    "sources",
    "app",
    "apps",
    "application",
    "service",
    "services",
    "server",
    "svc",
    "cmd",
    "main",
    "api",
    "web",
    "www",
    "docker",
    "dockerfiles",
    "container",
    "containers",
    "image",
    "images",
    "build",
    "deploy",
    "deployment",
    "deployments",
    "code",
    "project",
    "projects",
    "java",
    "kotlin",
    "go",
    "golang",
    "python",
    "node",
    "nodejs",
    "js",
    "ts",
    "dotnet",
    "csharp",
    "rust",
    "ruby",
    "php",
    "backend-src",
];

/// Folders of test harnesses, tools, examples and code generation: a
/// Dockerfile there, or a manifest deploying from there, is not a service
/// (a build descriptor naming it, or a catalog file, still makes one).
const NOT_SERVICES: &[&str] = &[
    "test",
    "tests",
    "testing",
    "e2e",
    "integration-test",
    "integration-tests",
    "it",
    "tools",
    "tooling",
    "scripts",
    "hack",
    "examples",
    "example",
    "docs",
    "doc",
    "ci",
    ".ci",
    ".devcontainer",
    ".circleci",
    ".github",
    "benchmark",
    "benchmarks",
    "bench",
    "mocks",
    "mock",
    "genproto",
    "proto",
    "protos",
];

/// Language names that may carry a version (`java17`, `node18`,
/// `python3.12`, `dotnet8`): the name of a build image's folder, never a
/// service's.
const LANGUAGES: &[&str] = &["java", "kotlin", "go", "golang", "python", "node", "nodejs", "dotnet", "ruby", "php"];

/// Whether a name says nothing about what a service is.
pub fn is_generic(name: &str) -> bool {
    let unversioned = name.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.' || c == '-');
    GENERIC.iter().any(|g| g.eq_ignore_ascii_case(name))
        || (unversioned.len() < name.len() && LANGUAGES.iter().any(|l| l.eq_ignore_ascii_case(unversioned)))
}

/// Whether a folder holds tests, tools or examples.
pub fn is_tooling(folder: &str) -> bool {
    folder.split('/').any(|segment| NOT_SERVICES.iter().any(|n| n.eq_ignore_ascii_case(segment)))
}

/// The folder that names the service built in `folder`: itself, or the
/// nearest ancestor whose name is not generic; `""` (the repository) when
/// every folder on the way is generic.
pub fn naming_folder(folder: &str) -> &str {
    let mut current = folder;
    while !current.is_empty() {
        let (parent, name) = current.rsplit_once('/').unwrap_or(("", current));
        if !is_generic(name) {
            return current;
        }
        current = parent;
    }
    ""
}

/// A name as SPoT keys services: lower case, trimmed, every character
/// other than a letter, digit, `.`, `_` or `-` replaced by `-`. `None`
/// when nothing is left.
pub fn normalise(name: &str) -> Option<String> {
    crate::keys::service_name(name)
}

/// The service name an image gives: its repository's last path segment
/// (`gcr.io/acme/cartservice:1.2` → `cartservice`). `None` when the image
/// is templated (`${REGISTRY}/x`, `{{ .Values.image }}`), or its name is
/// generic or empty.
pub fn image_name(image: &str) -> Option<String> {
    let image = image.trim();
    let image = image.strip_prefix("ko://").unwrap_or(image);
    let repository = match ImageRef::parse(image) {
        Some(reference) => reference.repository,
        None => image.split(['@', ':']).next().unwrap_or(image).to_string(),
    };
    let last = repository.rsplit('/').next().unwrap_or(&repository);
    if last.contains(['$', '{', '}', '<', '>']) {
        return None;
    }
    let name = normalise(last)?;
    (!is_generic(&name)).then_some(name)
}

/// The name a folder gives: its last segment, or `None` at the root.
pub fn folder_name(folder: &str) -> Option<String> {
    let last = folder.rsplit('/').next().filter(|s| !s.is_empty())?;
    normalise(last).filter(|n| !is_generic(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generic_folders_are_walked_up_to_the_one_that_names_the_service() {
        assert_eq!(naming_folder("src/cartservice/src"), "src/cartservice");
        assert_eq!(naming_folder("services/billing"), "services/billing");
        assert_eq!(naming_folder("cmd/server"), "");
        assert_eq!(naming_folder("App/Src"), "");
        assert_eq!(naming_folder(""), "");
    }

    #[test]
    fn an_image_names_a_service_by_its_last_segment() {
        assert_eq!(image_name("gcr.io/acme/cartservice:1.2").as_deref(), Some("cartservice"));
        assert_eq!(image_name("cartservice").as_deref(), Some("cartservice"));
        assert_eq!(image_name("registry:5000/acme/Billing@sha256:abc").as_deref(), Some("billing"));
        assert_eq!(image_name("ko://github.com/acme/shop/cmd/ledger").as_deref(), Some("ledger"));
        assert_eq!(image_name("${REGISTRY}/cart:${TAG}").as_deref(), Some("cart"));
        assert_eq!(image_name("acme/${SERVICE}:1"), None);
        assert_eq!(image_name("gcr.io/acme/app:1"), None, "generic");
        assert_eq!(image_name(""), None);
    }

    #[test]
    fn a_language_with_its_version_is_generic() {
        assert!(is_generic("java17") && is_generic("nodejs16") && is_generic("python3.12") && is_generic("go-1.22"));
        assert_eq!(naming_folder("images/java17"), "");
        assert!(!is_generic("cart2") && !is_generic("gopher"));
    }

    #[test]
    fn tooling_folders_are_recognised_by_any_segment() {
        assert!(is_tooling("tests/load"));
        assert!(is_tooling("services/billing/e2e"));
        assert!(!is_tooling("services/billing"));
    }
}
