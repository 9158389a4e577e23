//! Service identity: which folders of a repository build services, what
//! each service is called, and which of two claims on one name keeps it.
//!
//! - A folder builds a service when it has a deployable artefact
//!   ([`Signal`]): a catalog file or an `[identity]` pin (explicit), a
//!   build descriptor (Dockerfile, skaffold, Jib, ko, Buildpacks, compose),
//!   or the repository's own Kubernetes manifests or Helm charts deploying
//!   an image built from it. Dockerfiles in test, tool and example folders
//!   are not services on their own ([`naming::is_tooling`]).
//! - Its name is the strongest of: explicit > the image its build
//!   descriptors produce > the workload deploying it > its folder. Generic
//!   folder names (`src`, `app`, `cmd`, …) are walked up
//!   ([`naming::naming_folder`]): the service in `src/cartservice/src` is
//!   `cartservice`, in the folder `src/cartservice`.
//! - Two claims on one name are never merged ([`claims`]): the stronger
//!   (pinned > explicit > convention; on a tie, the older repository)
//!   keeps `service:<name>`, the other becomes `service:<repo>/<name>` and
//!   the conflict is reported.
//!
//! The GitHub collector and the git backfill both call [`find::services`]
//! and [`claims::assign`], through the one mapping in
//! [`crate::github::map`]: history and today get the same keys.

pub mod aliases;
pub mod claims;
pub mod config;
pub mod descriptors;
pub mod find;
pub mod jib;
pub mod naming;
mod signal;

pub use config::{IdentityConfig, Pin};
pub use signal::{NamedBy, Signal, Strength};

/// One thing in a repository that builds (or deploys) an image from a
/// folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artefact {
    /// The folder the image is built from, relative to the repository root.
    pub folder: String,
    pub signal: Signal,
    /// The service name the image gives ([`naming::image_name`]).
    pub image: Option<String>,
    /// The name of the workload or compose service that runs it.
    pub workload: Option<String>,
    /// The file that says so.
    pub declared_in: String,
    /// The descriptor runs the image without building it here (a compose
    /// service with only an `image`): it finds a service only through a
    /// folder of the repository named like the image, as a manifest does.
    pub pulled: bool,
    /// A shared Dockerfile outside the folder that this build uses as a
    /// recipe (compose's `dockerfile: ../../images/java17/Dockerfile`): not
    /// a service of its own.
    pub recipe: Option<String>,
}

impl Artefact {
    pub fn new(folder: String, signal: Signal, declared_in: &str) -> Artefact {
        Artefact {
            folder,
            signal,
            image: None,
            workload: None,
            declared_in: declared_in.to_string(),
            pulled: false,
            recipe: None,
        }
    }

    pub fn image(mut self, image: Option<String>) -> Artefact {
        self.image = image;
        self
    }

    pub fn workload(mut self, workload: Option<String>) -> Artefact {
        self.workload = workload;
        self
    }

    pub fn recipe(mut self, recipe: Option<String>) -> Artefact {
        self.recipe = recipe;
        self
    }

    pub fn pulled(mut self) -> Artefact {
        self.pulled = true;
        self
    }
}

/// Whether the collector must read a file for identity: build descriptors
/// (Dockerfiles, skaffold, compose, ko, Buildpacks) and the `sonar-project.properties`
/// that binds a folder to its SonarQube project. Dependency manifests (Jib
/// plugins, Go modules) and YAML are read for other reasons already.
pub fn is_read(path: &str) -> bool {
    find::is_dockerfile(crate::manifests::file_name(path))
        || find::is_aspire_host(path)
        || descriptors::is_descriptor(path)
        || crate::manifests::file_name(path) == "sonar-project.properties"
}

/// Whether a file may declare artefacts: build descriptors, and the Maven
/// and Gradle builds that may apply Jib.
pub fn is_artefact_source(path: &str) -> bool {
    descriptors::is_descriptor(path)
        || matches!(crate::manifests::file_name(path), "pom.xml" | "build.gradle" | "build.gradle.kts")
}

/// The artefacts one file declares.
pub fn artefacts_of(path: &str, content: &str) -> Result<Vec<Artefact>, crate::manifests::ParseError> {
    match crate::manifests::file_name(path) {
        "pom.xml" | "build.gradle" | "build.gradle.kts" => Ok(jib::read(path, content)),
        _ => descriptors::read(path, content),
    }
}
