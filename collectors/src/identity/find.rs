//! The services one repository builds, from its files: every artefact is
//! grouped under the folder that names it, explicit claims (catalog files,
//! pins) are laid over them, and each group gets the strongest name.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use regex::Regex;

use super::naming::{folder_name, image_name, is_generic, is_tooling, naming_folder, normalise};
use super::{descriptors, Artefact, NamedBy, Signal, Strength};
use crate::manifests::declared::{DeclaredVia, DeclaredWorkload};
use crate::manifests::{detect, file_name, folder_of, is_vendored};

/// `Dockerfile`, `Containerfile`, `Dockerfile.prod`, `api.Dockerfile`.
pub fn is_dockerfile(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    ["dockerfile", "containerfile"].iter().any(|d| lower == *d || lower.starts_with(&format!("{d}.")))
        || lower.ends_with(".dockerfile")
}

/// A .NET Aspire app host's code: `Program.cs` or `AppHost.cs` in a
/// folder whose name ends with `AppHost`.
pub fn is_aspire_host(path: &str) -> bool {
    matches!(file_name(path), "Program.cs" | "AppHost.cs")
        && file_name(folder_of(path)).to_ascii_lowercase().ends_with("apphost")
}

/// A service's explicit claim: a catalog entry or a pin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explicit {
    pub folder: String,
    pub name: String,
    /// [`Signal::CatalogInfo`], [`Signal::SpotYaml`] or [`Signal::IdentityPin`].
    pub signal: Signal,
    /// A catalog entry of another type (library, …) says the folder is not
    /// a service, over any artefact in it.
    pub is_service: bool,
}

/// One service a repository builds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// The folder it lives in (`""` is the root).
    pub folder: String,
    pub name: String,
    pub named_by: NamedBy,
    pub found_by: BTreeSet<Signal>,
    /// The image name its build produces, when known.
    pub image: Option<String>,
    /// The files that found it.
    pub evidence: BTreeSet<String>,
}

impl Candidate {
    /// The strength of its strongest signal.
    pub fn strength(&self) -> Strength {
        self.found_by.iter().map(|s| s.strength()).min().unwrap_or(Strength::Weak)
    }

    pub fn pinned(&self) -> bool {
        self.named_by == NamedBy::IdentityPin
    }

    pub fn explicit(&self) -> bool {
        self.named_by.is_explicit()
    }
}

/// What one repository holds, for [`services`].
pub struct RepoFacts<'a> {
    pub name: &'a str,
    pub files: &'a BTreeMap<String, String>,
    /// Artefacts of its build descriptors, read (and remembered) by the caller.
    pub artefacts: Vec<Artefact>,
    pub explicit: Vec<Explicit>,
    pub workloads: &'a [DeclaredWorkload],
    /// The repository's type or topics say it is a service.
    pub is_service_repo: bool,
}

#[derive(Default)]
struct Group {
    found_by: BTreeSet<Signal>,
    /// (signal, image name), in the order found.
    images: Vec<(Signal, String)>,
    workloads: Vec<String>,
    evidence: BTreeSet<String>,
    explicit: Option<(Signal, String)>,
}

/// The services of one repository, by folder.
pub fn services(repo: &RepoFacts) -> Vec<Candidate> {
    let mut groups: BTreeMap<String, Group> = BTreeMap::new();
    for artefact in build_artefacts(repo) {
        add(&mut groups, artefact);
    }
    for artefact in deploy_artefacts(repo, &groups) {
        add(&mut groups, artefact);
    }
    drop_shared_dockerfiles(&mut groups);
    let mut candidates = Vec::new();
    for claim in &repo.explicit {
        let at = [claim.folder.as_str(), group_folder(&claim.folder)].into_iter().find(|f| groups.contains_key(*f));
        if !claim.is_service {
            if let Some(at) = at.map(str::to_string) {
                groups.remove(&at);
            }
            continue;
        }
        let mut group = at.map(str::to_string).and_then(|at| groups.remove(&at)).unwrap_or_default();
        group.found_by.insert(claim.signal);
        group.explicit = Some((claim.signal, claim.name.clone()));
        candidates.push(candidate(repo.name, claim.folder.clone(), group));
    }
    candidates.extend(groups.into_iter().map(|(folder, group)| candidate(repo.name, folder, group)));
    if candidates.is_empty() && repo.is_service_repo {
        let mut group = Group::default();
        group.found_by.insert(Signal::Repository);
        candidates.push(candidate(repo.name, String::new(), group));
    }
    candidates.sort_by(|a, b| (&a.folder, &a.name).cmp(&(&b.folder, &b.name)));
    candidates
}

/// The folder a service built in `folder` lives in: the one that names
/// it, or, when only generic folders lead there (`web/`, `cmd/server`),
/// the folder itself rather than the whole repository.
fn group_folder(folder: &str) -> &str {
    match naming_folder(folder) {
        "" => folder,
        named => named,
    }
}

fn add(groups: &mut BTreeMap<String, Group>, artefact: Artefact) {
    let folder = group_folder(&artefact.folder).to_string();
    let group = groups.entry(folder).or_default();
    group.found_by.insert(artefact.signal);
    if let Some(image) = artefact.image {
        group.images.push((artefact.signal, image));
    }
    group.workloads.extend(artefact.workload);
    group.evidence.insert(artefact.declared_in);
}

/// Name: explicit > image (of a build, then of a deploying manifest) >
/// workload > folder > repository.
fn candidate(repo: &str, folder: String, group: Group) -> Candidate {
    let image = group
        .images
        .iter()
        .filter(|(signal, _)| signal.strength() == Strength::Build)
        .chain(group.images.iter())
        .map(|(_, image)| image.clone())
        .next();
    let workload = group.workloads.iter().filter_map(|w| normalise(w)).find(|w| !is_generic(w));
    let (name, named_by) = if let Some((signal, name)) = &group.explicit {
        let by = match signal {
            Signal::IdentityPin => NamedBy::IdentityPin,
            Signal::SpotYaml => NamedBy::SpotYaml,
            _ => NamedBy::CatalogInfo,
        };
        (name.clone(), by)
    } else if let Some(image) = &image {
        (image.clone(), NamedBy::Image)
    } else if let Some(workload) = workload {
        (workload, NamedBy::Workload)
    } else if let Some(name) = folder_name(&folder) {
        (name, NamedBy::Folder)
    } else {
        (normalise(repo).unwrap_or_else(|| repo.to_string()), NamedBy::Repository)
    };
    Candidate { folder, name, named_by, found_by: group.found_by, image, evidence: group.evidence }
}

/// A Dockerfile alone in a folder with no name of its own (`docker/`,
/// `build/`), in a repository whose services are found elsewhere, is a
/// shared build recipe (spring-petclinic's `docker/Dockerfile` builds every
/// service with an `ARG`), not a service of its own.
fn drop_shared_dockerfiles(groups: &mut BTreeMap<String, Group>) {
    let unnamed = |folder: &str, group: &Group| {
        !folder.is_empty()
            && naming_folder(folder).is_empty()
            && group.found_by.iter().all(|s| *s == Signal::Dockerfile)
    };
    if groups.iter().any(|(folder, group)| !unnamed(folder, group)) {
        groups.retain(|folder, group| !unnamed(folder, group));
    }
}

/// Dockerfiles (outside tooling folders), build descriptors, Jib plugins
/// and `ko://` references, outside vendored folders. Dockerfiles that
/// compose builds use as shared recipes are not services of their own.
fn build_artefacts(repo: &RepoFacts) -> Vec<Artefact> {
    let recipes: BTreeSet<&str> = repo.artefacts.iter().filter_map(|a| a.recipe.as_deref()).collect();
    let mut found: Vec<Artefact> = Vec::new();
    for path in repo.files.keys().filter(|p| !is_vendored(p) && !recipes.contains(p.as_str())) {
        let folder = folder_of(path);
        if is_dockerfile(file_name(path)) && !is_tooling(folder) {
            found.push(Artefact::new(folder.to_string(), Signal::Dockerfile, path));
        }
    }
    found.extend(repo.artefacts.iter().filter(|a| !a.pulled && !is_vendored(&format!("{}/x", a.folder))).cloned());
    found.extend(ko_references(repo.files));
    found.extend(aspire_projects(repo.files));
    found
}

fn aspire_project() -> &'static Regex {
    static CELL: OnceLock<Regex> = OnceLock::new();
    CELL.get_or_init(|| {
        Regex::new(r#"AddProject<\s*Projects\.([A-Za-z0-9_]+)\s*>\s*\(\s*"([^"]+)""#).expect("a valid pattern")
    })
}

/// The projects an Aspire app host runs (and `aspire publish` builds into
/// images named after their resources): `AddProject<Projects.Catalog_API>("catalog-api")`
/// is the project `Catalog.API.csproj` (Aspire's type name replaces `.`
/// and `-` with `_`).
fn aspire_projects(files: &BTreeMap<String, String>) -> Vec<Artefact> {
    let projects: Vec<(&str, String)> = files
        .keys()
        .filter(|p| p.ends_with(".csproj") && !is_vendored(p))
        .map(|p| (folder_of(p), file_name(p).trim_end_matches(".csproj").replace(['.', '-'], "_")))
        .collect();
    let mut found = Vec::new();
    for (path, content) in files.iter().filter(|(p, _)| is_aspire_host(p)) {
        for call in aspire_project().captures_iter(content) {
            let Some((folder, _)) = projects.iter().find(|(_, name)| *name == call[1]) else { continue };
            found.push(
                Artefact::new(folder.to_string(), Signal::Aspire, path)
                    .image(image_name(&call[2]))
                    .workload(Some(call[2].to_string())),
            );
        }
    }
    found
}

fn ko_reference() -> &'static Regex {
    static CELL: OnceLock<Regex> = OnceLock::new();
    CELL.get_or_init(|| Regex::new(r"ko://([A-Za-z0-9._~/-]+)").expect("a valid pattern"))
}

fn go_module() -> &'static Regex {
    static CELL: OnceLock<Regex> = OnceLock::new();
    CELL.get_or_init(|| Regex::new(r"(?m)^\s*module\s+(\S+)").expect("a valid pattern"))
}

/// Go mains that manifests deploy as `ko://<import path>`.
fn ko_references(files: &BTreeMap<String, String>) -> Vec<Artefact> {
    let modules: Vec<(String, String)> = files
        .iter()
        .filter(|(p, _)| file_name(p) == "go.mod" && !is_vendored(p))
        .filter_map(|(p, c)| {
            Some((folder_of(p).to_string(), go_module().captures(c)?[1].trim_matches('"').to_string()))
        })
        .collect();
    if modules.is_empty() {
        return Vec::new();
    }
    let mut found = Vec::new();
    for (path, content) in
        files.iter().filter(|(p, c)| crate::manifests::declared::is_candidate(p) && c.contains("ko://"))
    {
        for import in ko_reference().captures_iter(content) {
            if let Some(folder) = descriptors::ko_folder(&import[1], &modules).filter(|f| !is_tooling(f)) {
                found.push(Artefact::new(folder, Signal::Ko, path).image(image_name(&import[1])));
            }
        }
    }
    found
}

/// Workloads the repository's own manifests and charts declare (outside
/// tooling folders), and images its compose files run, whose image is
/// built here: by a group already found (it names the image and the
/// workload), or by the one folder holding code named like the image.
fn deploy_artefacts(repo: &RepoFacts, groups: &BTreeMap<String, Group>) -> Vec<Artefact> {
    let code_folders: BTreeSet<&str> = repo
        .files
        .keys()
        .filter(|p| !is_vendored(p) && (detect(p).is_some() || is_dockerfile(file_name(p))))
        .map(|p| group_folder(folder_of(p)))
        .filter(|f| !f.is_empty() && !is_tooling(f))
        .collect();
    let declared = repo.workloads.iter().filter(|w| !is_tooling(folder_of(&w.declared_in))).filter_map(|w| {
        let signal = if w.via == DeclaredVia::Helm { Signal::Helm } else { Signal::Kubernetes };
        let name = Some(w.name.clone()).filter(|_| w.kind != "Helm");
        Some((w.image.as_deref().and_then(image_name)?, signal, name, w.declared_in.as_str()))
    });
    let pulled = repo
        .artefacts
        .iter()
        .filter(|a| a.pulled)
        .filter_map(|a| Some((a.image.clone()?, a.signal, a.workload.clone(), a.declared_in.as_str())));
    let mut found = Vec::new();
    for (image, signal, workload, declared_in) in declared.chain(pulled) {
        let named = |folder: &str| folder_name(folder).as_deref() == Some(image.as_str());
        let built = groups.iter().find(|(folder, g)| g.images.iter().any(|(_, i)| *i == image) || named(folder));
        let folder = match built {
            Some((folder, _)) => folder.clone(),
            None => {
                let mut matching = code_folders.iter().filter(|f| named(f));
                match (matching.next(), matching.next()) {
                    (Some(folder), None) => folder.to_string(),
                    _ => continue, // a third-party image, or two folders of that name
                }
            }
        };
        found.push(Artefact::new(folder, signal, declared_in).image(Some(image)).workload(workload));
    }
    found
}
