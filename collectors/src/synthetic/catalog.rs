//! What the synthetic organisation declares beyond its services, so the
//! demo shows them as a real organisation would (docs/graph.md,
//! docs/backstage.md): the backing services (databases, caches, queues)
//! a third of the services reach through an address in their deployment's
//! env, and one system per team, owned by it, that its services are part
//! of. On a fixed pattern over the services' indexes, without randomness,
//! so the rest of the organisation is the same for a seed.

use serde_json::json;

use super::model::Service;
use super::observe::{entity, relation};
use super::Org;
use crate::keys;
use crate::observation::Observation;

/// A backing service's engine, its `type`, the image it runs and the env
/// variable that gives a service its address.
struct Engine {
    engine: &'static str,
    kind: &'static str,
    image: &'static str,
    variable: &'static str,
}

const ENGINES: [Engine; 4] = [
    Engine { engine: "postgres", kind: "database", image: "postgres:16.4", variable: "DATABASE_URL" },
    Engine { engine: "redis", kind: "cache", image: "redis:7.2-alpine", variable: "REDIS_ADDR" },
    Engine { engine: "mysql", kind: "database", image: "mysql:8.0", variable: "MYSQL_URL" },
    Engine { engine: "rabbitmq", kind: "queue", image: "rabbitmq:3.13", variable: "AMQP_URL" },
];

/// Adds the backing services and the systems to the GitHub observation.
pub fn github(org: &Org, obs: &mut Observation) {
    let live = || org.services.iter().enumerate().filter(|(_, s)| !s.retired);
    for (index, service) in live().filter(|(index, _)| index % 3 == 0) {
        backing_service(service, &ENGINES[(index / 3) % ENGINES.len()], obs);
    }
    for (team_index, team) in org.teams.iter().enumerate() {
        let parts: Vec<&Service> =
            live().map(|(_, s)| s).filter(|s| s.team == team_index && org.day.0 >= s.owner_from).collect();
        if parts.is_empty() {
            continue;
        }
        let key = system_key(&team.name);
        let name = keys::name_of(&key).unwrap_or(&key);
        let description = format!("Every service {} runs, as one product", team.name);
        obs.entities.push(entity(&key, "system", name, json!({ "description": description })));
        obs.relations.push(relation(&team.key, &key, "owns", json!({ "via": "catalog-info" })));
        for service in parts {
            obs.relations.push(relation(
                &service.key,
                &key,
                "part_of",
                json!({ "via": "catalog-info", "field": "system" }),
            ));
        }
    }
}

/// `system:<team>-suite`: named apart from the team, so a search for the
/// team's name finds the team first.
fn system_key(team: &str) -> String {
    keys::key("system", &format!("{team}-suite"))
}

/// `resource:<service>-<engine>`, reached through the address its
/// deployment's env gives it, as the wiring reads it from manifests.
fn backing_service(service: &Service, engine: &Engine, obs: &mut Observation) {
    let name = format!("{}-{}", service.name, engine.engine);
    let key = keys::resource(&name);
    obs.entities.push(entity(
        &key,
        "resource",
        &name,
        json!({ "type": engine.kind, "engine": engine.engine, "image": engine.image }),
    ));
    obs.relations.push(relation(
        &service.key,
        &key,
        "depends_on",
        json!({
            "via": "env",
            "file": format!("deploy/{}.yaml", service.name),
            "variable": engine.variable,
        }),
    ));
}

#[cfg(test)]
mod tests {
    use crate::day::Day;
    use crate::synthetic::{Org, SyntheticConfig};

    fn github_observation() -> crate::observation::Observation {
        // No mishaps: the GitHub run is observed, whole.
        let config = SyntheticConfig { failure_per_mille: 0, ..SyntheticConfig::new(1, 7, Day(20_000)) };
        let mut org = Org::new(&config);
        let runs = org.observe();
        runs.into_iter()
            .find_map(|run| match run {
                crate::synthetic::SyntheticRun::Observed(obs) if obs.source == "github" => Some(obs),
                _ => None,
            })
            .expect("a GitHub observation")
    }

    #[test]
    fn a_third_of_the_services_depend_on_a_backing_service_that_exists() {
        let obs = github_observation();
        let resources: Vec<_> = obs.entities.iter().filter(|e| e.kind == "resource").collect();
        let services = obs.entities.iter().filter(|e| e.kind == "service").count();
        assert!(resources.len() * 4 > services / 2, "{} resources for {services} services", resources.len());
        for resource in &resources {
            let edge = obs
                .relations
                .iter()
                .find(|r| r.kind == "depends_on" && r.to == resource.key)
                .unwrap_or_else(|| panic!("nothing depends on {}", resource.key));
            assert_eq!(edge.attrs["via"], "env");
            assert!(edge.attrs["file"].as_str().unwrap().starts_with("deploy/"));
            assert!(["database", "cache", "queue"].contains(&resource.attrs["type"].as_str().unwrap()));
        }
        assert_eq!(obs.validate(), Ok(()));
    }

    #[test]
    fn each_team_owns_one_system_its_services_are_part_of() {
        let obs = github_observation();
        for system in obs.entities.iter().filter(|e| e.kind == "system") {
            let owners: Vec<_> = obs.relations.iter().filter(|r| r.kind == "owns" && r.to == system.key).collect();
            assert_eq!(owners.len(), 1, "{} has one owner", system.key);
            let parts = obs.relations.iter().filter(|r| r.kind == "part_of" && r.to == system.key).count();
            assert!(parts > 0, "{} has parts", system.key);
        }
        assert!(obs.entities.iter().any(|e| e.kind == "system"));
    }
}
