//! Builds the organisation as it stands on the first day.

use rand::Rng;

use super::model::*;
use super::names::{NameBook, REGIONS, TOPICS};
use super::Org;

const K8S_VERSIONS: &[&str] = &["1.29.4", "1.30.2", "1.31.1"];

/// Per-scale-unit sizes of the organisation.
pub const TEAMS: usize = 60;
pub const SERVICES: usize = 500;
pub const SERVICE_REPOS: usize = 450;
pub const LIBRARY_REPOS: usize = 350;
pub const INFRA_REPOS: usize = 100;
pub const OTHER_REPOS: usize = 90;
pub const CLUSTERS: usize = 4;
pub const EXTERNAL_PACKAGES: usize = 7_660;

/// Samples package ranks with a Zipf-like skew: a few packages are used
/// everywhere, most by a handful of repositories, as in real ecosystems.
pub struct Popularity {
    cumulative: Vec<f64>,
}

impl Popularity {
    pub fn new(len: usize) -> Popularity {
        let mut total = 0.0;
        let cumulative = (0..len)
            .map(|rank| {
                total += 1.0 / ((rank + 1) as f64).powf(1.07);
                total
            })
            .collect();
        Popularity { cumulative }
    }

    pub fn sample(&self, rng: &mut impl Rng) -> usize {
        let total = *self.cumulative.last().expect("a popularity over at least one package");
        let target = rng.random::<f64>() * total;
        self.cumulative.partition_point(|&c| c < target).min(self.cumulative.len() - 1)
    }
}

pub fn build(org: &mut Org) {
    let scale = org.scale;
    let mut names = NameBook::new();
    build_teams(org, &mut names, TEAMS * scale);
    build_clusters(org, CLUSTERS * scale);
    build_external_packages(org, &mut names, EXTERNAL_PACKAGES * scale);
    for _ in 0..LIBRARY_REPOS * scale {
        add_library_repo(org, &mut names);
    }
    for _ in 0..SERVICE_REPOS * scale {
        add_service_repo(org, &mut names);
    }
    // Monorepos make up the rest of the services, two to four each.
    while org.services.len() < SERVICES * scale {
        add_monorepo(org, &mut names);
    }
    for (flavour, count) in [(RepoType::Infrastructure, INFRA_REPOS), (RepoType::Other, OTHER_REPOS)] {
        for _ in 0..count * scale {
            add_plain_repo(org, &mut names, flavour);
        }
    }
    // A few dependency cycles, as every real organisation has.
    for _ in 0..5 * scale {
        let from = org.rng.random_range(0..org.services.len() / 2);
        let to = org.rng.random_range(org.services.len() / 2..org.services.len());
        org.services[from].depends_on.push(Dependency { service: to, declared: false });
    }
    org.names = names;
}

fn build_teams(org: &mut Org, names: &mut NameBook, count: usize) {
    for i in 0..count {
        let name = names.team(i);
        let members = org.rng.random_range(3..15);
        org.teams.push(Team { key: crate::keys::team_named(&name), slack: format!("#team-{name}"), name, members });
    }
}

fn build_clusters(org: &mut Org, count: usize) {
    for i in 0..count {
        let name = format!("dc{}", i + 1);
        org.clusters.push(Cluster {
            key: crate::keys::cluster(&name),
            region: REGIONS[i % REGIONS.len()],
            k8s_version: K8S_VERSIONS[i % K8S_VERSIONS.len()],
            name,
        });
    }
}

fn build_external_packages(org: &mut Org, names: &mut NameBook, count: usize) {
    for ecosystem in Ecosystem::ALL {
        let share = count * ecosystem.weight() as usize / 1000;
        let mut ranked = Vec::with_capacity(share);
        for _ in 0..share {
            let name = names.package(&mut org.rng);
            let latest = random_version(&mut org.rng);
            ranked.push(org.packages.len());
            org.packages.push(Package {
                key: crate::keys::package(ecosystem.id(), &name),
                ecosystem,
                name,
                latest,
                internal: false,
            });
        }
        org.popularity.push(Popularity::new(ranked.len()));
        org.external_by_ecosystem.push(ranked);
    }
}

pub fn random_version(rng: &mut impl Rng) -> Version {
    Version::new(rng.random_range(0..6), rng.random_range(0..20), rng.random_range(0..30))
}

pub fn random_ecosystem(rng: &mut impl Rng) -> Ecosystem {
    let mut pick = rng.random_range(0..1000);
    for ecosystem in Ecosystem::ALL {
        if pick < ecosystem.weight() {
            return ecosystem;
        }
        pick -= ecosystem.weight();
    }
    Ecosystem::Npm
}

fn new_repo(org: &mut Org, name: String, ecosystem: Ecosystem, repo_type: RepoType) -> usize {
    let rng = &mut org.rng;
    let topics = (0..rng.random_range(0..4)).map(|_| TOPICS[rng.random_range(0..TOPICS.len())]).collect();
    let repo = Repo {
        key: crate::keys::repo("github.com", "acme", &name),
        name,
        ecosystem,
        repo_type,
        team: rng.random_range(0..org.teams.len()),
        archived: false,
        last_push: org.day.0 - rng.random_range(0..400),
        open_issues: rng.random_range(0..40),
        topics,
        uses: Vec::new(),
        publishes: None,
    };
    org.repos.push(repo);
    org.repos.len() - 1
}

/// Gives a repository's manifest in `folder` its package uses.
pub fn add_uses(org: &mut Org, repo: usize, folder: &str, service: Option<usize>) {
    let ecosystem = org.repos[repo].ecosystem;
    let eco = Ecosystem::ALL.iter().position(|e| *e == ecosystem).expect("a known ecosystem");
    let wanted = org.rng.random_range(25..56);
    let mut chosen: Vec<usize> = Vec::with_capacity(wanted + 4);
    while chosen.len() < wanted {
        let rank = org.popularity[eco].sample(&mut org.rng);
        let package = org.external_by_ecosystem[eco][rank];
        if !chosen.contains(&package) {
            chosen.push(package);
        }
    }
    let internal: Vec<usize> = org.internal_by_ecosystem[eco].clone();
    if !internal.is_empty() {
        for _ in 0..org.rng.random_range(0..5) {
            let package = internal[org.rng.random_range(0..internal.len())];
            if !chosen.contains(&package) && org.repos[repo].publishes != Some(package) {
                chosen.push(package);
            }
        }
    }
    for package in chosen {
        let uses = new_use(org, package, folder, service);
        org.repos[repo].uses.push(uses);
    }
}

pub fn new_use(org: &mut Org, package: usize, folder: &str, service: Option<usize>) -> PackageUse {
    let latest = org.packages[package].latest;
    // Most repositories lag behind the latest release a little.
    let resolved = match org.rng.random_range(0..10) {
        0..=3 => latest,
        4..=7 => Version { patch: latest.patch.saturating_sub(org.rng.random_range(1..5)), ..latest },
        _ => Version { minor: latest.minor.saturating_sub(org.rng.random_range(1..4)), ..latest },
    };
    PackageUse {
        package,
        spec: Version { patch: 0, ..resolved },
        resolved,
        dev: org.rng.random_range(0..5) == 0,
        folder: folder.to_string(),
        service,
    }
}

fn add_library_repo(org: &mut Org, names: &mut NameBook) {
    let library = names.library(&mut org.rng);
    let ecosystem = random_ecosystem(&mut org.rng);
    let repo = new_repo(org, library.clone(), ecosystem, RepoType::Library);
    let name = ecosystem.internal_name(&library);
    org.packages.push(Package {
        key: crate::keys::package(ecosystem.id(), &name),
        ecosystem,
        name,
        latest: random_version(&mut org.rng),
        internal: true,
    });
    let package = org.packages.len() - 1;
    org.repos[repo].publishes = Some(package);
    add_uses(org, repo, "", None);
    let eco = Ecosystem::ALL.iter().position(|e| *e == ecosystem).expect("a known ecosystem");
    org.internal_by_ecosystem[eco].push(package);
    add_sonar_project(org, repo);
}

pub fn add_service_repo(org: &mut Org, names: &mut NameBook) -> usize {
    let name = names.service(&mut org.rng);
    let ecosystem = random_ecosystem(&mut org.rng);
    let repo = new_repo(org, name.clone(), ecosystem, RepoType::Service);
    let service = add_service(org, names, repo, Some(name));
    add_uses(org, repo, "", None);
    add_sonar_project(org, repo);
    service
}

fn add_monorepo(org: &mut Org, names: &mut NameBook) {
    let name = names.repo(&mut org.rng, "platform");
    let ecosystem = random_ecosystem(&mut org.rng);
    let repo = new_repo(org, name, ecosystem, RepoType::Service);
    for _ in 0..org.rng.random_range(2..5) {
        let service = add_service(org, names, repo, None);
        let folder = format!("services/{}", org.services[service].name);
        add_uses(org, repo, &folder, Some(service));
    }
    add_sonar_project(org, repo);
}

fn add_plain_repo(org: &mut Org, names: &mut NameBook, repo_type: RepoType) {
    let flavour = if repo_type == RepoType::Infrastructure { "infra" } else { "tools" };
    let name = names.repo(&mut org.rng, flavour);
    let ecosystem = random_ecosystem(&mut org.rng);
    let repo = new_repo(org, name, ecosystem, repo_type);
    add_uses(org, repo, "", None);
}

/// A new service built by `repo`, with its dependencies, workloads and docs.
pub fn add_service(org: &mut Org, names: &mut NameBook, repo: usize, name: Option<String>) -> usize {
    let name = name.unwrap_or_else(|| names.service(&mut org.rng));
    let index = org.services.len();
    let depends_on = pick_dependencies(org, index);
    let version = random_version(&mut org.rng);
    let team = org.repos[repo].team;
    org.services.push(Service {
        key: crate::keys::service(&name),
        name,
        repo,
        team,
        tier: org.rng.random_range(1..4),
        retired: false,
        owner_from: super::hygiene::owner_from(index, org.day.0),
        version,
        previous_version: version,
        depends_on,
        workloads: Vec::new(),
        instances: org.rng.random_range(2..9),
    });
    add_workloads(org, index);
    for _ in 0..org.rng.random_range(1..3) {
        add_doc(org, index);
    }
    index
}

/// Mostly a DAG: a service depends on services created before it, with a
/// bias towards the oldest (platform) services.
fn pick_dependencies(org: &mut Org, index: usize) -> Vec<Dependency> {
    if index == 0 {
        return Vec::new();
    }
    let count = org.rng.random_range(0..7).min(index);
    let mut deps: Vec<Dependency> = Vec::with_capacity(count);
    for _ in 0..count {
        let u: f64 = org.rng.random();
        let target = ((u * u) * index as f64) as usize;
        if org.services[target].retired || deps.iter().any(|d| d.service == target) {
            continue;
        }
        deps.push(Dependency { service: target, declared: org.rng.random_range(0..10) < 4 });
    }
    deps
}

fn add_workloads(org: &mut Org, service: usize) {
    let clusters = org.clusters.len();
    let wanted = match org.rng.random_range(0..10) {
        0 => 1,
        1..=2 => 2.min(clusters),
        3..=5 => 3.min(clusters),
        _ => clusters,
    };
    let first = org.rng.random_range(0..clusters);
    let namespace = org.teams[org.services[service].team].name.clone();
    for offset in 0..wanted {
        let cluster = (first + offset) % clusters;
        let replicas = org.rng.random_range(2..10);
        let svc = &org.services[service];
        org.workloads.push(Workload {
            key: crate::keys::workload(&org.clusters[cluster].name, &namespace, "Deployment", &svc.name),
            service,
            cluster,
            namespace: namespace.clone(),
            version: svc.version,
            replicas,
            ready: replicas,
            pending: None,
            removed: false,
            health: Health { warning: 0, critical: 0 },
        });
        let workload = org.workloads.len() - 1;
        org.services[service].workloads.push(workload);
    }
}

pub fn add_sonar_project(org: &mut Org, repo: usize) {
    let project_key = format!("acme_{}", org.repos[repo].name);
    let rng = &mut org.rng;
    org.sonar.push(SonarProject {
        key: format!("sonar_project:{project_key}"),
        project_key,
        repo,
        coverage: rng.random_range(20.0..95.0),
        ncloc: rng.random_range(800..120_000),
        bugs: rng.random_range(0..40),
        vulnerabilities: rng.random_range(0..10),
        code_smells: rng.random_range(0..600),
        duplication: rng.random_range(0.0..15.0),
        hotspots: rng.random_range(0..12),
        last_analysis: org.day.0 - rng.random_range(0..30),
    });
}

pub fn add_doc(org: &mut Org, service: usize) {
    org.next_doc_id += 1;
    let id = org.next_doc_id;
    let name = &org.services[service].name;
    let title = match org.rng.random_range(0..3) {
        0 => format!("{name} runbook"),
        1 => format!("{name} architecture"),
        _ => format!("{name} onboarding guide"),
    };
    let editor = org.rng.random_range(0..org.teams.len() * 8);
    org.docs.push(Doc {
        key: crate::keys::confluence_doc(&id.to_string()),
        title,
        service,
        version: 1,
        editor,
        updated: org.day.0,
    });
}
