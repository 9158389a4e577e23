//! Renamed services keep one history in a backfill.
//!
//! A service is keyed by its name, and names change: retail-store's compose
//! service `carts` in `src/cart` became `cart` in 2025. Replayed day by
//! day, that is two services, `service:carts` until the rename and
//! `service:cart` from then on, and a newcomer reading `cart` sees it born
//! in 2025. A backfill knows how the story ends, so it keys each service by
//! the name it has **on the last day replayed**: every earlier day's service
//! built from the same folder of the same repository takes that key, and
//! records the name it had then (`name_then`). The last day's keys are the
//! live collector's, so it carries on the same history.
//!
//! A day on which another service holds that name (a folder that took over
//! a name another folder gave up) keeps its own key: two services are never
//! merged.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::json;

use crate::Observation;

/// (repository key, service folder) → the service key on the last day.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FinalKeys(BTreeMap<(String, String), String>);

/// One service that was called something else, for the backfill's report.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Rename {
    pub repo: String,
    pub folder: String,
    pub from: String,
    pub to: String,
}

impl Rename {
    pub fn warning(&self) -> String {
        format!(
            "{}: the service in {} was {} before it was {}: its whole history is kept under {} \
             (`name_then` says what it was called on each day); add `[identity] aliases = {{ {} = \"{}\" }}` \
             if other sources still say {}",
            self.repo,
            if self.folder.is_empty() { "the repository's root" } else { &self.folder },
            self.from,
            self.to,
            self.to,
            self.from.trim_start_matches("service:"),
            self.to.trim_start_matches("service:"),
            self.from.trim_start_matches("service:"),
        )
    }
}

impl FinalKeys {
    /// The services built in an observation, by repository and folder.
    pub fn of(observation: &Observation) -> FinalKeys {
        FinalKeys(builds(observation).into_iter().map(|(repo, folder, key)| ((repo, folder), key)).collect())
    }

    /// Gives each service of `observation` its key of the last day, unless
    /// another service of the day holds that key. Returns the renames made.
    pub fn carry(&self, observation: &mut Observation) -> Vec<Rename> {
        let built = builds(observation);
        let held: BTreeSet<&str> = built.iter().map(|(_, _, key)| key.as_str()).collect();
        let mut renames = Vec::new();
        for (repo, folder, key) in &built {
            let Some(last) = self.0.get(&(repo.clone(), folder.clone())) else { continue };
            if last != key && !held.contains(last.as_str()) {
                renames.push(Rename {
                    repo: repo.clone(),
                    folder: folder.clone(),
                    from: key.clone(),
                    to: last.clone(),
                });
            }
        }
        let to: BTreeMap<&str, &str> = renames.iter().map(|r| (r.from.as_str(), r.to.as_str())).collect();
        if !to.is_empty() {
            rekey(observation, &to);
        }
        renames
    }
}

/// (repository, folder, service key) of every `builds`.
fn builds(observation: &Observation) -> Vec<(String, String, String)> {
    observation
        .relations
        .iter()
        .filter(|r| r.kind == "builds")
        .map(|r| {
            let folder = r.attrs.get("path").and_then(|p| p.as_str()).unwrap_or_default();
            (r.from.clone(), folder.to_string(), r.to.clone())
        })
        .collect()
}

fn rekey(observation: &mut Observation, to: &BTreeMap<&str, &str>) {
    for entity in &mut observation.entities {
        let Some(new) = to.get(entity.key.as_str()) else { continue };
        entity.attrs.insert("name_then".into(), json!(entity.name));
        entity.key = new.to_string();
        entity.name = new.trim_start_matches("service:").to_string();
    }
    for relation in &mut observation.relations {
        for end in [&mut relation.from, &mut relation.to] {
            if let Some(new) = to.get(end.as_str()) {
                *end = new.to_string();
            }
        }
    }
    for key in &mut observation.unobserved {
        if let Some(new) = to.get(key.as_str()) {
            *key = new.to_string();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Day, ObservedEntity, ObservedRelation};

    fn day(services: &[(&str, &str)]) -> Observation {
        let mut observation = Observation::new("github", "acme", Day(20_000));
        for (folder, name) in services {
            let key = crate::keys::service(name);
            let attrs = json!({ "type": "service" }).as_object().cloned().unwrap_or_default();
            observation.entities.push(ObservedEntity {
                key: key.clone(),
                kind: "service".into(),
                name: name.to_string(),
                attrs,
            });
            let attrs = json!({ "path": folder }).as_object().cloned().unwrap_or_default();
            observation.relations.push(ObservedRelation {
                from: "repo:github.com/acme/shop".into(),
                to: key.clone(),
                kind: "builds".into(),
                attrs,
            });
            observation.relations.push(ObservedRelation {
                from: key,
                to: "package:maven/x:y".into(),
                kind: "uses".into(),
                attrs: Default::default(),
            });
        }
        observation
    }

    #[test]
    fn a_service_renamed_in_its_folder_takes_its_last_name_for_its_whole_history() {
        let last = FinalKeys::of(&day(&[("src/cart", "cart")]));
        let mut before = day(&[("src/cart", "carts")]);
        let renames = last.carry(&mut before);
        assert_eq!(renames.len(), 1);
        assert_eq!((before.entities[0].key.as_str(), before.entities[0].name.as_str()), ("service:cart", "cart"));
        assert_eq!(before.entities[0].attrs["name_then"], "carts");
        assert!(before.relations.iter().all(|r| !r.from.contains("carts") && !r.to.contains("carts")));
        assert!(renames[0].warning().contains("[identity] aliases = { carts = \"cart\" }"), "{}", renames[0].warning());
        assert_eq!(before.validate(), Ok(()));
    }

    #[test]
    fn a_name_another_service_holds_that_day_is_not_taken() {
        let last = FinalKeys::of(&day(&[("src/cart", "cart")]));
        let mut before = day(&[("src/cart", "carts"), ("legacy/cart", "cart")]);
        assert!(last.carry(&mut before).is_empty());
        assert_eq!(before.entities[0].key, "service:carts");
    }
}
