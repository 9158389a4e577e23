//! The state of the synthetic organisation on one day. Plain vectors indexed
//! by position, so that iteration order (and with it every observation) is
//! deterministic for a seed.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version {
    pub major: u16,
    pub minor: u16,
    pub patch: u16,
}

impl Version {
    pub fn new(major: u16, minor: u16, patch: u16) -> Version {
        Version { major, minor, patch }
    }

    pub fn bump_patch(self) -> Version {
        Version { patch: self.patch + 1, ..self }
    }

    pub fn bump_minor(self) -> Version {
        Version { minor: self.minor + 1, patch: 0, ..self }
    }

    pub fn bump_major(self) -> Version {
        Version { major: self.major + 1, minor: 0, patch: 0 }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ecosystem {
    Npm,
    Maven,
    Go,
    Pypi,
    Nuget,
    Cargo,
}

impl Ecosystem {
    pub const ALL: [Ecosystem; 6] =
        [Ecosystem::Npm, Ecosystem::Maven, Ecosystem::Go, Ecosystem::Pypi, Ecosystem::Nuget, Ecosystem::Cargo];

    /// Share of repositories (and of packages) per ecosystem, in per mille.
    pub fn weight(self) -> u32 {
        match self {
            Ecosystem::Npm => 380,
            Ecosystem::Maven => 250,
            Ecosystem::Go => 160,
            Ecosystem::Pypi => 130,
            Ecosystem::Nuget => 50,
            Ecosystem::Cargo => 30,
        }
    }

    pub fn id(self) -> &'static str {
        match self {
            Ecosystem::Npm => "npm",
            Ecosystem::Maven => "maven",
            Ecosystem::Go => "go",
            Ecosystem::Pypi => "pypi",
            Ecosystem::Nuget => "nuget",
            Ecosystem::Cargo => "cargo",
        }
    }

    pub fn language(self) -> &'static str {
        match self {
            Ecosystem::Npm => "TypeScript",
            Ecosystem::Maven => "Java",
            Ecosystem::Go => "Go",
            Ecosystem::Pypi => "Python",
            Ecosystem::Nuget => "C#",
            Ecosystem::Cargo => "Rust",
        }
    }

    pub fn manifest(self) -> &'static str {
        match self {
            Ecosystem::Npm => "package.json",
            Ecosystem::Maven => "pom.xml",
            Ecosystem::Go => "go.mod",
            Ecosystem::Pypi => "pyproject.toml",
            Ecosystem::Nuget => "Service.csproj",
            Ecosystem::Cargo => "Cargo.toml",
        }
    }

    /// How an internal package of the organisation is named in this ecosystem.
    pub fn internal_name(self, library: &str) -> String {
        match self {
            Ecosystem::Npm => format!("@acme/{library}"),
            Ecosystem::Maven => format!("com.acme:{library}"),
            Ecosystem::Go => format!("github.com/acme/{library}"),
            Ecosystem::Pypi => format!("acme-{library}"),
            Ecosystem::Nuget => format!("Acme.{library}"),
            Ecosystem::Cargo => format!("acme-{library}"),
        }
    }
}

pub struct Team {
    pub key: String,
    pub name: String,
    pub slack: String,
    pub members: u32,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum RepoType {
    Service,
    Library,
    Infrastructure,
    Other,
}

impl RepoType {
    pub fn id(self) -> &'static str {
        match self {
            RepoType::Service => "service",
            RepoType::Library => "library",
            RepoType::Infrastructure => "infrastructure",
            RepoType::Other => "other",
        }
    }
}

pub struct PackageUse {
    pub package: usize,
    pub spec: Version,
    pub resolved: Version,
    pub dev: bool,
    /// Folder of the manifest inside the repository ("" for the root).
    pub folder: String,
    /// In a monorepo, the service whose folder holds the manifest.
    pub service: Option<usize>,
}

pub struct Repo {
    pub key: String,
    pub name: String,
    pub ecosystem: Ecosystem,
    pub repo_type: RepoType,
    pub team: usize,
    pub archived: bool,
    pub last_push: i32,
    pub open_issues: u32,
    pub topics: Vec<&'static str>,
    pub uses: Vec<PackageUse>,
    /// The internal package this repository publishes, for libraries.
    pub publishes: Option<usize>,
}

pub struct Package {
    pub key: String,
    pub ecosystem: Ecosystem,
    pub name: String,
    pub latest: Version,
    pub internal: bool,
}

pub struct Dependency {
    pub service: usize,
    /// Declared in the catalog file (GitHub) as well as seen in the mesh.
    pub declared: bool,
}

pub struct Service {
    pub key: String,
    pub name: String,
    pub repo: usize,
    pub team: usize,
    pub tier: u8,
    pub retired: bool,
    /// The first day a team owns it (its catalog file named none before).
    pub owner_from: i32,
    pub version: Version,
    pub previous_version: Version,
    pub depends_on: Vec<Dependency>,
    /// Indexes into `workloads`.
    pub workloads: Vec<usize>,
    pub instances: u32,
}

pub struct Workload {
    pub key: String,
    pub service: usize,
    pub cluster: usize,
    pub namespace: String,
    pub version: Version,
    pub replicas: u32,
    pub ready: u32,
    /// A rollout still to reach this cluster (it lags a day or two).
    pub pending: Option<Version>,
    pub removed: bool,
    /// Health of its instances as the Consul datacenter sees them.
    pub health: Health,
}

pub struct Cluster {
    pub key: String,
    pub name: String,
    pub region: &'static str,
    pub k8s_version: &'static str,
}

pub struct SonarProject {
    pub key: String,
    pub project_key: String,
    pub repo: usize,
    pub coverage: f64,
    pub ncloc: u32,
    pub bugs: u32,
    pub vulnerabilities: u32,
    pub code_smells: u32,
    pub duplication: f64,
    pub hotspots: u32,
    pub last_analysis: i32,
}

pub struct Doc {
    pub key: String,
    pub title: String,
    pub service: usize,
    pub version: u32,
    pub editor: usize,
    pub updated: i32,
}

/// Health of a service in one Consul datacenter.
#[derive(Clone, Copy)]
pub struct Health {
    pub warning: u32,
    pub critical: u32,
}
