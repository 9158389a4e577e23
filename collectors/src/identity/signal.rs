//! The signals that find and name a service, and how strong each is.

use std::fmt;

/// What said a folder builds a service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Signal {
    /// An `[identity]` pin in SPoT's config.
    IdentityPin,
    /// A Backstage `catalog-info.yaml` component.
    CatalogInfo,
    /// SPoT's `.spot.yaml`.
    SpotYaml,
    /// A `skaffold.yaml` artifact built by Docker (its default builder).
    Skaffold,
    /// Jib: a skaffold artifact, or the plugin in `pom.xml` / `build.gradle`.
    Jib,
    /// ko: `.ko.yaml`, a skaffold artifact, or a `ko://` image reference.
    Ko,
    /// Cloud Native Buildpacks: `project.toml` or a skaffold artifact.
    Buildpacks,
    /// A `docker-compose` service with a `build` context.
    Compose,
    /// A .NET Aspire app host's `AddProject<Projects.X>("name")`.
    Aspire,
    /// A Dockerfile or Containerfile.
    Dockerfile,
    /// A Helm chart of the repository deploying an image built from it.
    Helm,
    /// A Kubernetes or kustomize manifest of the repository deploying an
    /// image built from it.
    Kubernetes,
    /// Nothing deployable: the repository says it is a service (its
    /// catalog type or a topic) and no folder builds one.
    Repository,
}

/// How much a signal is worth, strongest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Strength {
    /// Someone said so: a catalog file or a pin.
    Explicit,
    /// A build descriptor produces an image from the folder.
    Build,
    /// The repository's own manifests deploy an image built from it.
    Deploy,
    /// Only the repository's type or topic.
    Weak,
}

impl Signal {
    pub fn as_str(self) -> &'static str {
        match self {
            Signal::IdentityPin => "identity-pin",
            Signal::CatalogInfo => "catalog-info",
            Signal::SpotYaml => "spot-yaml",
            Signal::Skaffold => "skaffold",
            Signal::Jib => "jib",
            Signal::Ko => "ko",
            Signal::Buildpacks => "buildpacks",
            Signal::Compose => "compose",
            Signal::Aspire => "aspire",
            Signal::Dockerfile => "dockerfile",
            Signal::Helm => "helm",
            Signal::Kubernetes => "kubernetes",
            Signal::Repository => "repository",
        }
    }

    pub fn strength(self) -> Strength {
        match self {
            Signal::IdentityPin | Signal::CatalogInfo | Signal::SpotYaml => Strength::Explicit,
            Signal::Skaffold
            | Signal::Jib
            | Signal::Ko
            | Signal::Buildpacks
            | Signal::Compose
            | Signal::Aspire
            | Signal::Dockerfile => Strength::Build,
            Signal::Helm | Signal::Kubernetes => Strength::Deploy,
            Signal::Repository => Strength::Weak,
        }
    }
}

impl Strength {
    pub fn as_str(self) -> &'static str {
        match self {
            Strength::Explicit => "explicit",
            Strength::Build => "build",
            Strength::Deploy => "deploy",
            Strength::Weak => "weak",
        }
    }
}

/// What gave a service its name, strongest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NamedBy {
    IdentityPin,
    CatalogInfo,
    SpotYaml,
    /// The image its build descriptors produce.
    Image,
    /// The Deployment / StatefulSet (or compose service) deploying it.
    Workload,
    /// Its folder, past generic names.
    Folder,
    /// The repository: the service is the whole repository.
    Repository,
}

impl NamedBy {
    pub fn as_str(self) -> &'static str {
        match self {
            NamedBy::IdentityPin => "identity-pin",
            NamedBy::CatalogInfo => "catalog-info",
            NamedBy::SpotYaml => "spot-yaml",
            NamedBy::Image => "image",
            NamedBy::Workload => "workload",
            NamedBy::Folder => "folder",
            NamedBy::Repository => "repository",
        }
    }

    /// Whether someone chose the name (as opposed to a convention).
    pub fn is_explicit(self) -> bool {
        matches!(self, NamedBy::IdentityPin | NamedBy::CatalogInfo | NamedBy::SpotYaml)
    }
}

impl fmt::Display for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for NamedBy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
