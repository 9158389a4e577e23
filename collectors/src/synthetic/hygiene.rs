//! What a real catalog gets wrong, on a fixed schedule (no randomness, so
//! the rest of the organisation is the same for a seed): how each service
//! was found and named, name conflicts that appear and are later pinned
//! away, services whose catalog file names no owner yet, tooling
//! repositories taken for services by their topic alone, debug workloads
//! nobody deploys, and a legacy gateway no repository builds.

use serde_json::{json, Map, Value};

use super::build::SERVICES;
use super::model::*;
use super::observe::{entity, object, relation};
use super::Org;
use crate::observation::Observation;

/// Conflict `k` appears on day `FIRST + EVERY·k` of the history and is
/// pinned away (`.spot.yaml`) `LASTS` days later.
const FIRST_CONFLICT: i32 = 6;
const CONFLICT_EVERY: i32 = 20;
const CONFLICT_LASTS: i32 = 15;

const LEGACY_GATEWAY: &str = "service:legacy-gateway";

/// Days since the first observed day.
fn age(org: &Org) -> i32 {
    org.day.0 - org.start.0
}

/// How the GitHub collector found and named a service (its `path`,
/// `found_by`, `named_by` and `signal`), varied over the services.
pub fn identity(org: &Org, index: usize) -> Map<String, Value> {
    let service = &org.services[index];
    let monorepo = org.repos[service.repo].name != service.name;
    let path = if monorepo { format!("services/{}", service.name) } else { "/".to_string() };
    let (found_by, named_by, signal): (&[&str], &str, &str) = match index % 4 {
        0 => (&["catalog-info", "dockerfile"], "catalog-info", "explicit"),
        1 => (&["dockerfile", "kubernetes"], "image", "build"),
        2 => (&["skaffold", "jib", "kubernetes"], "workload", "build"),
        _ => (&["dockerfile", "helm"], if monorepo { "folder" } else { "repository" }, "build"),
    };
    object(json!({ "path": path, "found_by": found_by, "named_by": named_by, "signal": signal }))
}

/// The `builds` attributes that go with an identity.
pub fn builds(identity: &Map<String, Value>) -> Value {
    json!({ "path": identity["path"], "found_by": identity["found_by"], "named_by": identity["named_by"] })
}

/// One in fifty services starts with a catalog file that names no owner;
/// a team claims it five to sixty-five days later.
pub fn owner_from(index: usize, created: i32) -> i32 {
    if index % 50 == 7 {
        created + 5 + (index % 60) as i32
    } else {
        created
    }
}

/// Conflicts and their pins, and tooling repositories found only by topic.
pub fn github(org: &Org, obs: &mut Observation) {
    for k in 0.. {
        let appears = FIRST_CONFLICT + CONFLICT_EVERY * k;
        if appears > age(org) {
            break;
        }
        let Some((victim, monorepo)) = conflict_pair(org, k as usize) else { break };
        let (victim, monorepo) = (&org.services[victim], &org.repos[monorepo]);
        if victim.retired || monorepo.archived {
            continue;
        }
        let path = format!("services/{}", victim.name);
        let (key, name, mut attrs) = if age(org) < appears + CONFLICT_LASTS {
            let name = format!("{}/{}", monorepo.name, victim.name);
            let attrs = json!({ "path": path, "found_by": ["dockerfile"], "named_by": "folder", "signal": "build",
                "conflict": { "name": victim.name, "held_by": victim.key, "holder_repo": org.repos[victim.repo].key,
                              "holder_path": "/", "repo": monorepo.key, "path": path,
                              "reason": "older repository" } });
            obs.warnings.push(format!(
                "{} and {} both claim the service name '{}': {} keeps it, {path} becomes service:{name}",
                org.repos[victim.repo].key, monorepo.key, victim.name, victim.key
            ));
            (crate::keys::service(&name), name, attrs)
        } else {
            let name = format!("{}-{}", monorepo.name, victim.name);
            let attrs = json!({ "path": path, "found_by": ["spot-yaml", "dockerfile"], "named_by": "spot-yaml",
                                "signal": "explicit" });
            (crate::keys::service(&name), name, attrs)
        };
        attrs["type"] = json!("service");
        let attrs = object(attrs);
        obs.relations.push(relation(&monorepo.key, &key, "builds", builds(&attrs)));
        obs.relations.push(relation(&org.teams[monorepo.team].key, &key, "owns", json!({ "via": "codeowners" })));
        obs.entities.push(entity(&key, "service", &name, Value::Object(attrs)));
    }
    for (index, repo) in org.repos.iter().enumerate() {
        if repo.repo_type != RepoType::Other || index % 9 != 0 || repo.archived {
            continue;
        }
        let key = crate::keys::service(&repo.name);
        let attrs =
            object(json!({ "path": "/", "found_by": ["repository"], "named_by": "repository", "signal": "weak" }));
        obs.relations.push(relation(&repo.key, &key, "builds", builds(&attrs)));
        obs.relations.push(relation(&org.teams[repo.team].key, &key, "owns", json!({ "via": "codeowners" })));
        obs.entities.push(entity(&key, "service", &repo.name, Value::Object(attrs)));
    }
}

/// Conflict `k`'s two claims: a service of its own repository (which holds
/// the name) and a monorepo that grows a folder of the same name. Both
/// come from the organisation as first built, so the pair never changes.
fn conflict_pair(org: &Org, k: usize) -> Option<(usize, usize)> {
    let first = &org.services[..org.services.len().min(SERVICES * org.scale)];
    let own_repo: Vec<usize> =
        first.iter().enumerate().filter(|(_, s)| org.repos[s.repo].name == s.name).map(|(i, _)| i).collect();
    let mut monorepos: Vec<usize> = first.iter().filter(|s| org.repos[s.repo].name != s.name).map(|s| s.repo).collect();
    monorepos.dedup();
    if own_repo.is_empty() || monorepos.is_empty() {
        return None;
    }
    Some((own_repo[(7 * k + 3) % own_repo.len()], monorepos[(5 * k + 1) % monorepos.len()]))
}

/// A debug shell comes and goes in each cluster (four days in sixteen);
/// the first cluster also runs the legacy gateway.
pub fn kubernetes(org: &Org, cluster: usize, obs: &mut Observation) {
    let c = &org.clusters[cluster];
    if (age(org) + 3 * cluster as i32) % 16 < 4 {
        let key = crate::keys::workload(&c.name, "ops", "Deployment", "debug-shell");
        obs.entities.push(workload(&key, "debug-shell", "ops", "latest"));
        obs.relations.push(relation(&key, &c.key, "runs_in", json!({})));
    }
    if cluster == 0 {
        let key = crate::keys::workload(&c.name, "edge", "Deployment", "legacy-gateway");
        obs.entities.push(workload(&key, "legacy-gateway", "edge", "2.3.1"));
        obs.relations.push(relation(&key, &c.key, "runs_in", json!({})));
        obs.relations.push(relation(LEGACY_GATEWAY, &key, "deploys", json!({ "via": "label" })));
    }
}

fn workload(key: &str, name: &str, namespace: &str, version: &str) -> crate::observation::ObservedEntity {
    let attrs = json!({
        "kind": "Deployment",
        "namespace": namespace,
        "image": format!("registry.acme.internal/{name}:{version}"),
        "version": version,
        "replicas": { "desired": 1, "ready": 1 },
        "labels": { "app": name },
    });
    entity(key, "workload", name, attrs)
}

/// Consul registers the legacy gateway in the first datacenter and, from
/// day 12, a mail relay in the second: no repository builds either.
pub fn consul(org: &Org, cluster: usize, obs: &mut Observation) {
    let health = json!({ "instances": 1, "passing": 1, "warning": 0, "critical": 0, "tags": ["legacy"] });
    if cluster == 0 {
        obs.entities.push(entity(LEGACY_GATEWAY, "service", "legacy-gateway", health.clone()));
    }
    if cluster == 1 && age(org) >= 12 {
        obs.entities.push(entity("service:mail-relay", "service", "mail-relay", health));
    }
}
