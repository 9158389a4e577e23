//! Other names of a service: what a Kubernetes label, a SonarQube key, a
//! Consul name or a Confluence label calls it when that is not its name.
//! An observation's `service:<alias>` becomes `service:<name>` before it is
//! stored, and every relation rewritten says which alias made the link
//! (`attrs.alias`).
//!
//! A name some repository builds in the same observation is that
//! service's, never an alias: such an alias is reported and not applied.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::json;

use crate::{keys, Observation};

/// alias → service name. `[identity] aliases` of the config, then the
/// aliases catalog files declare (the config wins on the same alias).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Aliases(BTreeMap<String, String>);

impl Aliases {
    pub fn new(config: &BTreeMap<String, String>) -> Aliases {
        Aliases(config.clone())
    }

    /// Adds `alias` for `name` unless the alias is taken already.
    pub fn declare(&mut self, alias: &str, name: &str) {
        if alias != name {
            self.0.entry(alias.to_string()).or_insert_with(|| name.to_string());
        }
    }

    /// Adds the aliases the observation's own services declare (their
    /// `aliases` attribute, from catalog files).
    pub fn declare_from(&mut self, observation: &Observation) {
        for entity in observation.entities.iter().filter(|e| e.kind == "service") {
            let Some(name) = keys::name_in(&entity.key, keys::SERVICE) else { continue };
            for alias in entity.attrs.get("aliases").and_then(|a| a.as_array()).into_iter().flatten() {
                if let Some(alias) = alias.as_str() {
                    self.declare(alias, name);
                }
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Rewrites the observation's service keys that are aliases. Returns
    /// how many keys were rewritten.
    pub fn apply(&self, observation: &mut Observation) -> usize {
        if self.0.is_empty() {
            return 0;
        }
        let built: BTreeSet<String> =
            observation.relations.iter().filter(|r| r.kind == "builds").map(|r| r.to.clone()).collect();
        let mut rewritten = 0;
        let mut refused = BTreeSet::new();
        let mut target = |key: &str| -> Option<(String, String)> {
            let alias = keys::name_in(key, keys::SERVICE)?;
            let name = self.0.get(alias)?;
            if built.contains(key) {
                refused.insert(alias.to_string());
                return None;
            }
            Some((keys::service(name), alias.to_string()))
        };
        let mut seen = BTreeSet::new();
        let mut entities = Vec::with_capacity(observation.entities.len());
        for mut entity in std::mem::take(&mut observation.entities) {
            if let Some((key, alias)) = target(&entity.key) {
                entity.name = key.trim_start_matches("service:").to_string();
                entity.key = key;
                entity.attrs.insert("alias".into(), json!(alias));
                rewritten += 1;
            }
            // An alias and its service seen together are one entity: the first kept.
            if seen.insert(entity.key.clone()) {
                entities.push(entity);
            }
        }
        observation.entities = entities;
        let mut links = BTreeSet::new();
        let mut relations = Vec::with_capacity(observation.relations.len());
        for mut relation in std::mem::take(&mut observation.relations) {
            for end in [&mut relation.from, &mut relation.to] {
                if let Some((key, alias)) = target(end) {
                    *end = key;
                    relation.attrs.insert("alias".into(), json!(alias));
                    rewritten += 1;
                }
            }
            if links.insert((relation.from.clone(), relation.to.clone(), relation.kind.clone())) {
                relations.push(relation);
            }
        }
        observation.relations = relations;
        for key in observation.unobserved.iter_mut() {
            if let Some((to, _)) = target(key) {
                *key = to;
            }
        }
        for alias in refused {
            observation.warnings.push(format!(
                "alias '{alias}' (for service:{}) names a service a repository builds; not applied",
                self.0[&alias]
            ));
        }
        rewritten
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Day, ObservedEntity, ObservedRelation};

    fn entity(key: &str) -> ObservedEntity {
        ObservedEntity { key: key.into(), kind: "service".into(), name: key[8..].into(), attrs: Default::default() }
    }

    fn relation(from: &str, kind: &str, to: &str) -> ObservedRelation {
        ObservedRelation { from: from.into(), to: to.into(), kind: kind.into(), attrs: Default::default() }
    }

    #[test]
    fn a_label_spelt_as_an_alias_deploys_the_service_it_names() {
        let mut aliases = Aliases::new(&BTreeMap::from([("storefront".into(), "frontend".into())]));
        aliases.declare("cart", "cartservice");
        let mut obs = Observation::new("kubernetes", "dc1", Day(20_000));
        obs.entities = vec![entity("service:storefront"), entity("service:cart"), entity("service:cartservice")];
        obs.relations = vec![
            relation("service:storefront", "deploys", "workload:dc1/shop/Deployment/storefront"),
            relation("service:cart", "deploys", "workload:dc1/shop/Deployment/cart"),
        ];
        assert_eq!(aliases.apply(&mut obs), 4);
        let keys: Vec<&str> = obs.entities.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(keys, ["service:frontend", "service:cartservice"]);
        assert_eq!(obs.entities[0].attrs["alias"], "storefront");
        assert_eq!(
            (obs.relations[0].from.as_str(), &obs.relations[0].attrs["alias"]),
            ("service:frontend", &json!("storefront"))
        );
        assert_eq!(obs.relations[1].from, "service:cartservice");
        assert_eq!(obs.validate(), Ok(()));
    }

    #[test]
    fn an_alias_that_names_a_built_service_is_reported_and_not_applied() {
        let aliases = Aliases::new(&BTreeMap::from([("web".into(), "frontend".into())]));
        let mut obs = Observation::new("github", "acme", Day(20_000));
        obs.entities = vec![entity("service:web")];
        obs.relations = vec![relation("repo:github.com/acme/web", "builds", "service:web")];
        assert_eq!(aliases.apply(&mut obs), 0);
        assert_eq!(obs.entities[0].key, "service:web");
        assert_eq!(
            obs.warnings,
            ["alias 'web' (for service:frontend) names a service a repository builds; not applied"]
        );
    }
}
