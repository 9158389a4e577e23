//! Observes the synthetic organisation as the real collectors would: GitHub
//! (one organisation), Kubernetes and Consul (one scope per datacenter),
//! SonarQube (one server) and Confluence (one space).

use std::collections::BTreeSet;

use rand::Rng;
use serde_json::{json, Map, Value};

use super::model::*;
use super::{hygiene, Org, SyntheticRun};
use crate::day::Day;
use crate::observation::{Observation, ObservedEntity, ObservedRelation};

pub const GITHUB_SCOPE: &str = "acme";
pub const SONAR_SCOPE: &str = "sonarqube.acme.internal";
pub const CONFLUENCE_SCOPE: &str = "acme.atlassian.net/ENG";

pub fn all(org: &mut Org) -> Vec<SyntheticRun> {
    let mut observations = vec![github(org)];
    for cluster in 0..org.clusters.len() {
        observations.push(kubernetes(org, cluster));
    }
    observations.push(sonarqube(org));
    for cluster in 0..org.clusters.len() {
        observations.push(consul(org, cluster));
    }
    observations.push(confluence(org));
    observations.into_iter().map(|obs| with_mishaps(org, obs)).collect()
}

/// Now and then a collector fails outright, or sees only part of its scope.
fn with_mishaps(org: &mut Org, mut obs: Observation) -> SyntheticRun {
    let roll = org.rng.random_range(0..1000);
    let rate = org.failure_per_mille;
    if roll < rate {
        return SyntheticRun::Failed {
            error: format!("synthetic outage: {} answered HTTP 503 for scope {}", obs.source, obs.scope),
            source: obs.source,
            scope: obs.scope,
            day: obs.day,
        };
    }
    if roll < rate + rate / 2 {
        // Partial: the last tenth of the listing never arrived.
        obs.complete = false;
        obs.entities.truncate(obs.entities.len() * 9 / 10);
        obs.relations.truncate(obs.relations.len() * 9 / 10);
    } else if roll < 2 * rate && obs.source == "github" {
        drop_repositories(org, &mut obs);
    }
    SyntheticRun::Observed(obs)
}

/// Three repositories could not be read (rate limit, timeout): the run is
/// complete for the rest and names what it could not observe.
fn drop_repositories(org: &mut Org, obs: &mut Observation) {
    let missing: BTreeSet<String> =
        (0..3).map(|_| org.repos[org.rng.random_range(0..org.repos.len())].key.clone()).collect();
    obs.entities.retain(|e| !missing.contains(&e.key));
    obs.relations.retain(|r| !missing.contains(&r.from));
    obs.unobserved = missing.into_iter().collect();
}

pub(super) fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => unreachable!("attrs are always built with json!({{...}})"),
    }
}

pub(super) fn entity(key: &str, kind: &str, name: &str, attrs: Value) -> ObservedEntity {
    ObservedEntity { key: key.to_string(), kind: kind.to_string(), name: name.to_string(), attrs: object(attrs) }
}

pub(super) fn relation(from: &str, to: &str, kind: &str, attrs: Value) -> ObservedRelation {
    ObservedRelation { from: from.to_string(), to: to.to_string(), kind: kind.to_string(), attrs: object(attrs) }
}

fn date(day: i32) -> String {
    Day(day).to_string()
}

fn github(org: &Org) -> Observation {
    let mut obs = Observation::new("github", GITHUB_SCOPE, org.day);
    for team in &org.teams {
        obs.entities.push(entity(
            &team.key,
            "team",
            &team.name,
            json!({ "slack": team.slack, "members": team.members }),
        ));
    }
    let mut used = BTreeSet::new();
    for repo in &org.repos {
        obs.entities.push(entity(&repo.key, "repo", &repo.name, repo_attrs(repo)));
        obs.relations.push(relation(&org.teams[repo.team].key, &repo.key, "owns", json!({ "via": "codeowners" })));
        for uses in &repo.uses {
            used.insert(uses.package);
            let from = uses.service.map_or(&repo.key, |s| &org.services[s].key);
            obs.relations.push(relation(from, &org.packages[uses.package].key, "uses", use_attrs(repo, uses)));
        }
        if let Some(package) = repo.publishes {
            used.insert(package);
            obs.relations.push(relation(&repo.key, &org.packages[package].key, "publishes", json!({})));
        }
    }
    for (index, service) in org.services.iter().enumerate().filter(|(_, s)| !s.retired) {
        let identity = hygiene::identity(org, index);
        let mut attrs = object(json!({ "type": "service", "lifecycle": "production", "tier": service.tier }));
        attrs.extend(identity.clone());
        obs.entities.push(entity(&service.key, "service", &service.name, Value::Object(attrs)));
        let repo = &org.repos[service.repo];
        obs.relations.push(relation(&repo.key, &service.key, "builds", hygiene::builds(&identity)));
        if org.day.0 >= service.owner_from {
            obs.relations.push(relation(
                &org.teams[service.team].key,
                &service.key,
                "owns",
                json!({ "via": "catalog-info" }),
            ));
        }
        for dep in service.depends_on.iter().filter(|d| d.declared && !org.services[d.service].retired) {
            obs.relations.push(relation(
                &service.key,
                &org.services[dep.service].key,
                "depends_on",
                json!({ "via": "declared" }),
            ));
        }
    }
    for &index in &used {
        let package = &org.packages[index];
        let attrs = json!({
            "ecosystem": package.ecosystem.id(),
            "internal": package.internal,
            "latest": package.latest.to_string(),
        });
        obs.entities.push(entity(&package.key, "package", &package.name, attrs));
    }
    hygiene::github(org, &mut obs);
    super::catalog::github(org, &mut obs);
    obs
}

fn repo_attrs(repo: &Repo) -> Value {
    json!({
        "type": repo.repo_type.id(),
        "status": if repo.archived { "archived" } else { "active" },
        "visibility": "internal",
        "default_branch": "main",
        "language": repo.ecosystem.language(),
        "topics": repo.topics,
        "last_push": date(repo.last_push),
        "open_issues": repo.open_issues,
    })
}

fn use_attrs(repo: &Repo, uses: &PackageUse) -> Value {
    let manifest = repo.ecosystem.manifest();
    let path = if uses.folder.is_empty() { manifest.to_string() } else { format!("{}/{manifest}", uses.folder) };
    json!({
        "spec": format!("^{}", uses.spec),
        "resolved": uses.resolved.to_string(),
        "scope": if uses.dev { "dev" } else { "runtime" },
        "manifest": path,
    })
}

fn kubernetes(org: &Org, cluster: usize) -> Observation {
    let c = &org.clusters[cluster];
    let mut obs = Observation::new("kubernetes", &c.name, org.day);
    obs.entities.push(entity(&c.key, "cluster", &c.name, json!({ "region": c.region, "version": c.k8s_version })));
    for workload in org.workloads.iter().filter(|w| w.cluster == cluster && !w.removed) {
        let service = &org.services[workload.service];
        let attrs = json!({
            "kind": "Deployment",
            "namespace": workload.namespace,
            "image": format!("registry.acme.internal/{}:{}", service.name, workload.version),
            "version": workload.version.to_string(),
            "replicas": { "desired": workload.replicas, "ready": workload.ready },
            "labels": { "app.kubernetes.io/name": service.name },
        });
        obs.entities.push(entity(&workload.key, "workload", &service.name, attrs));
        obs.relations.push(relation(&workload.key, &c.key, "runs_in", json!({})));
        obs.relations.push(relation(&service.key, &workload.key, "deploys", json!({})));
    }
    hygiene::kubernetes(org, cluster, &mut obs);
    obs
}

fn sonarqube(org: &Org) -> Observation {
    let mut obs = Observation::new("sonarqube", SONAR_SCOPE, org.day);
    let own_service: std::collections::HashMap<usize, &str> = org
        .services
        .iter()
        .filter(|s| !s.retired && org.repos[s.repo].name == s.name)
        .map(|s| (s.repo, s.key.as_str()))
        .collect();
    for project in &org.sonar {
        let gate = if project.coverage < 50.0 || project.vulnerabilities > 6 { "ERROR" } else { "OK" };
        let attrs = json!({
            "coverage": (project.coverage * 10.0).round() / 10.0,
            "ncloc": project.ncloc,
            "bugs": project.bugs,
            "vulnerabilities": project.vulnerabilities,
            "code_smells": project.code_smells,
            "duplicated_lines_density": (project.duplication * 10.0).round() / 10.0,
            "security_hotspots": project.hotspots,
            "quality_gate": gate,
            "last_analysis": date(project.last_analysis),
        });
        obs.entities.push(entity(&project.key, "sonar_project", &project.project_key, attrs));
        obs.relations.push(relation(
            &project.key,
            &org.repos[project.repo].key,
            "measures",
            json!({ "by": "project_key" }),
        ));
        // A repository that builds one service of its own name: its project
        // measures that service too. Libraries' and monorepos' projects
        // measure only the repository (SonarQube projects no service claims).
        if let Some(service) = own_service.get(&project.repo) {
            obs.relations.push(relation(&project.key, service, "measures", json!({ "via": "project_key" })));
        }
    }
    obs
}

fn consul(org: &Org, cluster: usize) -> Observation {
    let c = &org.clusters[cluster];
    let mut obs = Observation::new("consul", &c.name, org.day);
    for workload in org.workloads.iter().filter(|w| w.cluster == cluster && !w.removed) {
        let service = &org.services[workload.service];
        let instances = service.instances;
        let attrs = json!({
            "instances": instances,
            "passing": instances - workload.health.warning.min(instances) - workload.health.critical.min(instances),
            "warning": workload.health.warning,
            "critical": workload.health.critical,
            "tags": [format!("tier{}", service.tier)],
        });
        obs.entities.push(entity(&service.key, "service", &service.name, attrs));
        for dep in service.depends_on.iter().filter(|d| !org.services[d.service].retired) {
            obs.relations.push(relation(
                &service.key,
                &org.services[dep.service].key,
                "depends_on",
                json!({ "via": "consul" }),
            ));
        }
    }
    hygiene::consul(org, cluster, &mut obs);
    obs
}

fn confluence(org: &Org) -> Observation {
    let mut obs = Observation::new("confluence", CONFLUENCE_SCOPE, org.day);
    for doc in &org.docs {
        let service = &org.services[doc.service];
        let attrs = json!({
            "title": doc.title,
            "space": "ENG",
            "labels": [format!("service-{}", service.name)],
            "version": doc.version,
            "last_editor": format!("user{}", doc.editor),
            "updated": date(doc.updated),
            "url": format!("https://acme.atlassian.net/wiki/spaces/ENG/pages/{}", &doc.key["doc:confluence/".len()..]),
        });
        obs.entities.push(entity(&doc.key, "doc", &doc.title, attrs));
        obs.relations.push(relation(&doc.key, &service.key, "documents", json!({ "via": "label" })));
    }
    obs
}
