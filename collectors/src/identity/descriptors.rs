//! Build descriptors that say which folder an image is built from:
//! `skaffold.yaml`, `docker-compose` files, `.ko.yaml` and `ko://`
//! references, and Buildpacks' `project.toml`. Each is read with the YAML
//! or TOML parser the manifests use; a file that does not parse is a
//! warning naming it, and finds nothing.

use serde::Deserialize;
use yaml_serde::Value;

use super::naming::image_name;
use super::{Artefact, Signal};
use crate::manifests::{check_yaml_nesting, file_name, folder_of, join_path, read_toml, yaml_error, ParseError};

/// Whether a path is a build descriptor this module reads.
pub fn is_descriptor(path: &str) -> bool {
    is_skaffold(path) || is_compose(path) || is_ko_config(path) || file_name(path) == "project.toml"
}

fn is_skaffold(path: &str) -> bool {
    matches!(file_name(path), "skaffold.yaml" | "skaffold.yml")
}

/// `docker-compose.yml`, `docker-compose.prod.yaml`, `compose.yaml`, …
fn is_compose(path: &str) -> bool {
    let name = file_name(path);
    (name.starts_with("docker-compose") || name.starts_with("compose."))
        && (name.ends_with(".yml") || name.ends_with(".yaml"))
}

/// `compose.tests.yaml`, `docker-compose.e2e.yml`, or any compose file in
/// a tooling folder: it runs test harnesses, not the services.
fn is_test_harness(path: &str) -> bool {
    let name = file_name(path).to_ascii_lowercase();
    ["test", "e2e", "integration"].iter().any(|t| name.contains(t)) || super::naming::is_tooling(folder_of(path))
}

fn is_ko_config(path: &str) -> bool {
    matches!(file_name(path), ".ko.yaml" | ".ko.yml")
}

/// The artefacts one descriptor declares.
pub fn read(path: &str, content: &str) -> Result<Vec<Artefact>, ParseError> {
    if is_skaffold(path) {
        skaffold(path, content)
    } else if is_compose(path) {
        if is_test_harness(path) {
            return Ok(Vec::new());
        }
        compose(path, content)
    } else if is_ko_config(path) {
        ko_config(path, content)
    } else if file_name(path) == "project.toml" {
        buildpacks_project(path, content)
    } else {
        Ok(Vec::new())
    }
}

/// Every YAML document of a file (skaffold files hold several).
fn documents(path: &str, content: &str) -> Result<Vec<Value>, ParseError> {
    check_yaml_nesting(path, content)?;
    let mut out = Vec::new();
    for document in yaml_serde::Deserializer::from_str(content) {
        let value = Value::deserialize(document).map_err(|e| yaml_error(path, &e))?;
        if !value.is_null() {
            out.push(value);
        }
    }
    Ok(out)
}

fn text<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value.get(key).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty())
}

/// `build.artifacts` of every document and profile: each has an `image`
/// and a `context` (the skaffold file's folder by default) and one
/// builder (`docker` when none is named).
fn skaffold(path: &str, content: &str) -> Result<Vec<Artefact>, ParseError> {
    let base = folder_of(path);
    let mut found = Vec::new();
    for document in documents(path, content)? {
        let builds = std::iter::once(document.get("build")).chain(
            document
                .get("profiles")
                .and_then(Value::as_sequence)
                .into_iter()
                .flatten()
                .map(|profile| profile.get("build")),
        );
        for artifacts in builds.flatten().filter_map(|b| b.get("artifacts")).filter_map(Value::as_sequence) {
            found.extend(artifacts.iter().filter_map(|a| skaffold_artifact(path, base, a)));
        }
    }
    Ok(found)
}

fn skaffold_artifact(path: &str, base: &str, artifact: &Value) -> Option<Artefact> {
    let image = text(artifact, "image")?;
    let context = join_path(base, text(artifact, "context").unwrap_or("."))?;
    let (signal, folder) = if let Some(jib) = artifact.get("jib") {
        // A multi-module build names its module: a path, or Gradle's `:a:b`.
        let module = jib.get("project").and_then(Value::as_str).map(|p| p.trim_start_matches(':').replace(':', "/"));
        (Signal::Jib, module.and_then(|m| join_path(&context, &m)).unwrap_or(context))
    } else if let Some(ko) = artifact.get("ko") {
        let main = text(ko, "main").unwrap_or(".");
        (Signal::Ko, join_path(&context, main).unwrap_or(context))
    } else if artifact.get("buildpacks").is_some() {
        (Signal::Buildpacks, context)
    } else {
        (Signal::Skaffold, context)
    };
    Some(Artefact::new(folder, signal, path).image(image_name(image)))
}

/// Services with a `build` (a context string, or a map with `context` and
/// maybe `dockerfile`) build the image, named by `image` when given, and
/// the compose service's name is the workload's. The service's folder is
/// [`build_folder`]'s. A Dockerfile or context from a variable, or a git
/// URL, is not a folder of this repository: skipped (the Dockerfile is
/// found on its own). Services with only an `image` are pulled artefacts.
fn compose(path: &str, content: &str) -> Result<Vec<Artefact>, ParseError> {
    let base = folder_of(path);
    let mut found = Vec::new();
    for document in documents(path, content)? {
        let Some(services) = document.get("services").and_then(Value::as_mapping) else { continue };
        for (name, service) in services {
            let image = text(service, "image").and_then(image_name);
            let workload = name.as_str().map(str::to_string);
            let Some(build) = service.get("build") else {
                if image.is_some() {
                    found.push(
                        Artefact::new(String::new(), Signal::Compose, path).image(image).workload(workload).pulled(),
                    );
                }
                continue;
            };
            let (context, dockerfile) = match build {
                Value::String(context) => (context.as_str(), None),
                _ => (text(build, "context").unwrap_or("."), text(build, "dockerfile")),
            };
            if context.contains(['$', ':']) || dockerfile.is_some_and(|d| d.contains('$')) {
                continue;
            }
            let Some(context) = join_path(base, context) else { continue };
            let Some((folder, recipe)) = build_folder(context, dockerfile) else { continue };
            found.push(Artefact::new(folder, Signal::Compose, path).image(image).workload(workload).recipe(recipe));
        }
    }
    Ok(found)
}

/// The folder a compose build makes a service of, and the shared
/// Dockerfile it builds with when that is outside it. A Dockerfile inside
/// the context is the service's own, and its folder the service's
/// (`context: ./`, `dockerfile: src/cart/Dockerfile` builds `src/cart`). A
/// Dockerfile outside the context is a recipe several services share
/// (retail-store's `context: .`, `dockerfile: ../../images/java17/Dockerfile`
/// in `src/ui`, `src/orders`, `src/cart`): the context, which holds the
/// code, is the service.
fn build_folder(context: String, dockerfile: Option<&str>) -> Option<(String, Option<String>)> {
    let Some(dockerfile) = dockerfile else { return Some((context, None)) };
    let file = join_path(&context, dockerfile)?;
    let inside = context.is_empty() || file.starts_with(&format!("{context}/"));
    if inside {
        Some((folder_of(&file).to_string(), None))
    } else {
        Some((context, Some(file)))
    }
}

/// `.ko.yaml`'s `builds`: each a Go main in `dir`/`main`.
fn ko_config(path: &str, content: &str) -> Result<Vec<Artefact>, ParseError> {
    let base = folder_of(path);
    let mut found = Vec::new();
    for document in documents(path, content)? {
        for build in document.get("builds").and_then(Value::as_sequence).into_iter().flatten() {
            let dir = text(build, "dir").unwrap_or(".");
            let main = text(build, "main").unwrap_or(".");
            let Some(folder) = join_path(base, dir).and_then(|d| join_path(&d, main)) else { continue };
            let id = text(build, "id").and_then(image_name);
            found.push(Artefact::new(folder, Signal::Ko, path).image(id));
        }
    }
    Ok(found)
}

/// A Buildpacks project descriptor builds the folder it is in.
fn buildpacks_project(path: &str, content: &str) -> Result<Vec<Artefact>, ParseError> {
    // Any table will do (`[_]`, `[io.buildpacks]`, `[build]`): the name is Buildpacks' alone.
    read_toml(path, content)?;
    Ok(vec![Artefact::new(folder_of(path).to_string(), Signal::Buildpacks, path)])
}

/// The folder a `ko://<import path>` builds, given the repository's Go
/// modules (folder, module path): the module whose path is the longest
/// prefix of the import path.
pub fn ko_folder(import_path: &str, modules: &[(String, String)]) -> Option<String> {
    modules
        .iter()
        .filter_map(|(folder, module)| {
            let rest = import_path.strip_prefix(module.as_str())?;
            (rest.is_empty() || rest.starts_with('/'))
                .then(|| (module.len(), join_path(folder, rest.trim_start_matches('/'))))
        })
        .max_by_key(|(length, _)| *length)
        .and_then(|(_, folder)| folder)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folders(found: &[Artefact]) -> Vec<(&str, Signal, Option<&str>)> {
        found.iter().map(|a| (a.folder.as_str(), a.signal, a.image.as_deref())).collect()
    }

    #[test]
    fn skaffold_artifacts_name_their_context_and_builder() {
        let file = "apiVersion: skaffold/v4beta6\nkind: Config\nbuild:\n  artifacts:\n  - image: cartservice\n    context: src/cartservice/src\n  - image: gcr.io/acme/ledgerwriter\n    context: src/ledger\n    jib:\n      project: ledgerwriter\n  - image: checkout\n    context: src/checkout\n    buildpacks:\n      builder: paketobuildpacks/builder:base\n---\napiVersion: skaffold/v4beta6\nkind: Config\nprofiles:\n- name: ko\n  build:\n    artifacts:\n    - image: ledger\n      ko:\n        main: ./cmd/ledger\n";
        let found = read("skaffold.yaml", file).unwrap();
        assert_eq!(
            folders(&found),
            [
                ("src/cartservice/src", Signal::Skaffold, Some("cartservice")),
                ("src/ledger/ledgerwriter", Signal::Jib, Some("ledgerwriter")),
                ("src/checkout", Signal::Buildpacks, Some("checkout")),
                ("cmd/ledger", Signal::Ko, Some("ledger")),
            ]
        );
    }

    #[test]
    fn compose_services_with_a_build_context_are_artefacts() {
        let file = "services:\n  web:\n    build: ./frontend\n    image: acme/storefront:1\n  worker:\n    build:\n      context: workers/email\n      dockerfile: Dockerfile.prod\n  cart:\n    build:\n      context: ./\n      dockerfile: ./src/cart/Dockerfile\n  ad:\n    build:\n      context: ./\n      dockerfile: ${AD_DOCKERFILE}\n  db:\n    image: postgres:16\n  remote:\n    build: https://github.com/acme/x.git\n";
        let found = read("deploy/docker-compose.yml", file).unwrap();
        let built: Vec<_> = found.iter().filter(|a| !a.pulled).collect();
        assert_eq!(
            built.iter().map(|a| (a.folder.as_str(), a.image.as_deref())).collect::<Vec<_>>(),
            [("deploy/frontend", Some("storefront")), ("deploy/workers/email", None), ("deploy/src/cart", None)]
        );
        assert_eq!(built[1].workload.as_deref(), Some("worker"));
        let pulled: Vec<_> = found.iter().filter(|a| a.pulled).map(|a| a.image.as_deref()).collect();
        assert_eq!(pulled, [Some("postgres")], "run, not built: found only through a folder of that name");
    }

    #[test]
    fn a_shared_dockerfile_outside_the_context_leaves_the_service_in_its_context() {
        let file = "services:\n  carts:\n    build:\n      context: .\n      dockerfile: ../../images/java17/Dockerfile\n    image: microservices-demo/carts\n";
        let found = read("src/cart/docker-compose.yml", file).unwrap();
        assert_eq!(folders(&found), [("src/cart", Signal::Compose, Some("carts"))]);
        assert_eq!(found[0].recipe.as_deref(), Some("images/java17/Dockerfile"), "the recipe is not a service");
        let own = read(
            "compose.yaml",
            "services:\n  cart:\n    build:\n      context: src\n      dockerfile: cart/Dockerfile\n",
        )
        .unwrap();
        assert_eq!((own[0].folder.as_str(), own[0].recipe.as_deref()), ("src/cart", None));
    }

    #[test]
    fn compose_files_of_tests_build_no_services() {
        let file = "services:\n  frontendTests:\n    build:\n      context: ./\n      dockerfile: ./src/frontend/Dockerfile.cypress\n";
        assert!(read("compose.tests.yaml", file).unwrap().is_empty());
        assert!(read("test/docker-compose.yml", file).unwrap().is_empty());
        assert_eq!(read("compose.yaml", file).unwrap().len(), 1);
    }

    #[test]
    fn ko_builds_and_import_paths_find_go_mains() {
        let found = read(".ko.yaml", "builds:\n- id: ledger\n  dir: .\n  main: ./cmd/ledger\n").unwrap();
        assert_eq!(folders(&found), [("cmd/ledger", Signal::Ko, Some("ledger"))]);
        let modules = vec![
            (String::new(), "github.com/acme/shop".to_string()),
            ("tools".into(), "github.com/acme/shop/tools".into()),
        ];
        assert_eq!(ko_folder("github.com/acme/shop/cmd/api", &modules).as_deref(), Some("cmd/api"));
        assert_eq!(ko_folder("github.com/acme/shop/tools/gen", &modules).as_deref(), Some("tools/gen"));
        assert_eq!(ko_folder("github.com/other/x", &modules), None);
    }

    #[test]
    fn a_descriptor_that_does_not_parse_names_itself() {
        let err = read("skaffold.yaml", "build: [unclosed").unwrap_err();
        assert!(err.to_string().starts_with("skaffold.yaml"), "{err}");
        assert!(read("project.toml", "[_]\nid = \"acme.checkout\"\n").unwrap().len() == 1);
    }
}
