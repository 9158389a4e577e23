//! From Consul's answers to SPoT's entities and relations. Pure functions:
//! the tests feed them recorded and generated responses.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Map, Value};

use super::api::{CheckStatus, ConnectEntry, HealthEntry, Intention, IntentionAction};
use crate::{ObservedEntity, ObservedRelation};

/// Consul names a sidecar `<service>-sidecar-proxy` when it registers one
/// for a service; the sidecar is part of its service, not a service.
pub const SIDECAR_SUFFIX: &str = "-sidecar-proxy";

/// How a Consul service attaches to a SPoT service: by its name, the
/// `matched_by` of its facts.
pub const MATCHED_BY: &str = "consul-name";

/// `service:<name>`, lower-cased as service keys are (Consul itself treats
/// service names without regard to case).
pub fn service_key(name: &str) -> String {
    crate::keys::service(&name.to_lowercase())
}

pub fn is_sidecar_name(name: &str) -> bool {
    name.ends_with(SIDECAR_SUFFIX)
}

/// Why a Consul service name cannot be a SPoT entity key, if it cannot.
/// Consul accepts names SPoT's keys do not (spaces, for one).
pub fn name_problem(name: &str) -> Option<String> {
    let problem = if name.is_empty() {
        "the name is empty"
    } else if name.chars().any(|c| c.is_whitespace() || c.is_control()) {
        "the name has whitespace or control characters"
    } else if service_key(name).len() > 512 {
        "the name is longer than 500 bytes"
    } else {
        return None;
    };
    Some(format!("service '{}': not observed: {problem}, so it cannot be an entity key", name.escape_debug()))
}

/// Everything read about one service from its health entries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceReading {
    pub name: String,
    pub instances: usize,
    pub passing: usize,
    pub warning: usize,
    pub critical: usize,
    pub tags: BTreeSet<String>,
    pub meta: BTreeMap<String, String>,
    pub nodes: BTreeSet<String>,
}

/// Sums up `/v1/health/service/:name`. `None` when every instance is a
/// connect proxy: a sidecar registered under a name without the usual
/// suffix, which is no service of its own. A service with no instances
/// left (deregistered since the listing) is kept with zero counts.
pub fn read_health(name: &str, entries: &[HealthEntry]) -> Option<ServiceReading> {
    let instances: Vec<&HealthEntry> = entries.iter().filter(|e| !e.service.is_connect_proxy()).collect();
    if instances.is_empty() && !entries.is_empty() {
        return None;
    }
    let mut reading = ServiceReading { name: name.to_string(), instances: instances.len(), ..Default::default() };
    for entry in &instances {
        match instance_status(entry) {
            CheckStatus::Passing => reading.passing += 1,
            CheckStatus::Warning => reading.warning += 1,
            CheckStatus::Critical => reading.critical += 1,
        }
        reading.tags.extend(entry.service.tags.iter().cloned());
        reading.nodes.insert(entry.node.node.clone());
    }
    reading.meta = merge_meta(instances.iter().map(|e| &e.service.meta));
    Some(reading)
}

/// An instance is as healthy as its worst check, node checks included (as
/// Consul's own `?passing` filter counts them). No checks is passing.
pub fn instance_status(entry: &HealthEntry) -> CheckStatus {
    entry.checks.iter().map(|c| c.status).max().unwrap_or(CheckStatus::Passing)
}

/// The instances' metadata in one map. Instances disagree during a rolling
/// deploy (`version = 1.4` on some, `1.5` on others): the value most
/// instances carry wins, ties going to the smallest value, so the result
/// does not depend on the order Consul lists instances in.
pub fn merge_meta<'a>(metas: impl Iterator<Item = &'a BTreeMap<String, String>>) -> BTreeMap<String, String> {
    let mut votes: BTreeMap<&str, BTreeMap<&str, usize>> = BTreeMap::new();
    for meta in metas {
        for (key, value) in meta {
            *votes.entry(key).or_default().entry(value).or_default() += 1;
        }
    }
    votes
        .into_iter()
        .filter_map(|(key, values)| {
            let (value, _) = values.into_iter().max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(a.0)))?;
            Some((key.to_string(), value.to_string()))
        })
        .collect()
}

/// The `service` entity, with the attribute names the rest of SPoT uses
/// for Consul facts.
pub fn service_entity(reading: &ServiceReading) -> ObservedEntity {
    let mut attrs = Map::new();
    attrs.insert("instances".into(), json!(reading.instances));
    attrs.insert("passing".into(), json!(reading.passing));
    attrs.insert("warning".into(), json!(reading.warning));
    attrs.insert("critical".into(), json!(reading.critical));
    attrs.insert("tags".into(), json!(reading.tags));
    attrs.insert("meta".into(), json!(reading.meta));
    attrs.insert("nodes".into(), json!(reading.nodes));
    attrs.insert("matched_by".into(), json!(MATCHED_BY));
    ObservedEntity { key: service_key(&reading.name), kind: "service".into(), name: reading.name.clone(), attrs }
}

/// The services a service's proxies list as upstreams, each once. Prepared
/// query upstreams name no service and are left out.
pub fn upstream_names(entries: &[ConnectEntry]) -> BTreeSet<String> {
    entries
        .iter()
        .filter_map(|e| e.proxy.as_ref())
        .flat_map(|p| p.upstreams.iter())
        .filter(|u| u.is_service())
        .map(|u| u.destination_name.clone())
        .collect()
}

/// What an intention says about one source → destination pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Allow,
    Deny,
    /// Decided per request by L7 `Permissions` (paths, methods, headers).
    L7,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Allow => "allow",
            Verdict::Deny => "deny",
            Verdict::L7 => "l7",
        }
    }
}

/// The datacenter's intentions between two named services. Wildcard
/// intentions (`*` on either side) describe no one pair, so they are
/// counted but attached to no relation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Intentions {
    /// Source → destination → verdict.
    pub exact: BTreeMap<String, BTreeMap<String, Verdict>>,
    pub wildcards: usize,
}

impl Intentions {
    /// Indexes a listing; intentions that cannot be read as a verdict
    /// between two services are named in `warnings`.
    pub fn index(mut list: Vec<Intention>, warnings: &mut Vec<String>) -> Intentions {
        // Highest precedence first, so it is the one kept for a pair
        // (Enterprise namespaces can repeat a pair of names).
        list.sort_by_key(|i| std::cmp::Reverse(i.precedence));
        let mut index = Intentions::default();
        for intention in list {
            if intention.source_type.as_deref().is_some_and(|t| t != "consul") {
                continue; // not a Consul service, e.g. an external URI
            }
            if intention.source_name == "*" || intention.destination_name == "*" {
                index.wildcards += 1;
                continue;
            }
            let verdict = match intention.action {
                Some(IntentionAction::Allow) => Verdict::Allow,
                Some(IntentionAction::Deny) => Verdict::Deny,
                _ if !intention.permissions.is_empty() => Verdict::L7,
                _ => {
                    warnings.push(format!(
                        "intention {} → {}: neither Action nor Permissions is set; ignored",
                        intention.source_name, intention.destination_name
                    ));
                    continue;
                }
            };
            index.exact.entry(intention.source_name).or_default().entry(intention.destination_name).or_insert(verdict);
        }
        index
    }

    pub fn verdict(&self, source: &str, destination: &str) -> Option<Verdict> {
        self.exact.get(source)?.get(destination).copied()
    }

    /// Every (source, destination, verdict), sorted.
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str, Verdict)> {
        self.exact.iter().flat_map(|(s, ds)| ds.iter().map(move |(d, v)| (s.as_str(), d.as_str(), *v)))
    }
}

/// The mesh as relations:
/// - `depends_on` (attrs `via: consul`, plus `intention` when an exact
///   intention covers the pair) for every upstream of every observed service;
/// - `intention` (attrs `action`) for every exact intention between two
///   services where no upstream connects them.
///
/// `upstreams` holds the observed services' upstream names; `unobserved`
/// the services that could not be read, whose relations carry forward
/// from their last observation and so are not guessed at from intentions.
pub fn mesh_relations(
    upstreams: &BTreeMap<String, BTreeSet<String>>,
    intentions: &Intentions,
    unobserved: &BTreeSet<String>,
    warnings: &mut Vec<String>,
) -> Vec<ObservedRelation> {
    let mut relations: Vec<ObservedRelation> = Vec::new();
    // Names differing only in case are one key: the first relation per
    // (from, kind, to) is kept.
    let mut seen = BTreeSet::new();
    let mut push = |relation: ObservedRelation| {
        if seen.insert((relation.from.clone(), relation.kind.clone(), relation.to.clone())) {
            relations.push(relation);
        }
    };
    for (source, destinations) in upstreams {
        for destination in destinations {
            if let Some(problem) = name_problem(destination) {
                warnings.push(format!("upstream of service:{source}: {problem}"));
                continue;
            }
            let mut attrs = Map::new();
            attrs.insert("via".into(), json!("consul"));
            if let Some(verdict) = intentions.verdict(source, destination) {
                attrs.insert("intention".into(), json!(verdict.as_str()));
            }
            push(relation(source, destination, "depends_on", attrs));
        }
    }
    for (source, destination, verdict) in intentions.pairs() {
        let connected = upstreams.get(source).is_some_and(|d| d.contains(destination));
        if connected || unobserved.contains(source) {
            continue;
        }
        if let Some(problem) = name_problem(source).or_else(|| name_problem(destination)) {
            warnings.push(format!("intention {source} → {destination}: {problem}"));
            continue;
        }
        let mut attrs = Map::new();
        attrs.insert("action".into(), json!(verdict.as_str()));
        push(relation(source, destination, "intention", attrs));
    }
    relations
}

fn relation(from: &str, to: &str, kind: &str, attrs: Map<String, Value>) -> ObservedRelation {
    ObservedRelation { from: service_key(from), to: service_key(to), kind: kind.into(), attrs }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(node: &str, kind: &str, statuses: &[&str], meta: &[(&str, &str)]) -> HealthEntry {
        let meta: BTreeMap<_, _> = meta.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let checks: Vec<Value> = statuses.iter().map(|s| json!({ "Status": s })).collect();
        serde_json::from_value(json!({
            "Node": { "Node": node },
            "Service": { "Kind": kind, "Tags": [node], "Meta": meta },
            "Checks": checks,
        }))
        .unwrap()
    }

    fn intention(source: &str, destination: &str, action: Option<&str>, precedence: i64) -> Intention {
        let mut value = json!({ "SourceName": source, "DestinationName": destination, "Precedence": precedence });
        match action {
            Some(action) => value["Action"] = json!(action),
            None => value["Permissions"] = json!([{ "Action": "allow", "HTTP": { "PathPrefix": "/v1" } }]),
        }
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn an_instance_is_as_healthy_as_its_worst_check() {
        let reading = read_health(
            "web",
            &[
                entry("n2", "", &["passing", "warning"], &[]),
                entry("n1", "", &["critical", "passing"], &[]),
                entry("n1", "", &[], &[]),
                entry("n3", "connect-proxy", &["critical"], &[]),
            ],
        )
        .unwrap();
        assert_eq!((reading.instances, reading.passing, reading.warning, reading.critical), (3, 1, 1, 1));
        assert_eq!(reading.nodes.iter().collect::<Vec<_>>(), ["n1", "n2"], "proxies are not instances");
        assert_eq!(reading.tags.iter().collect::<Vec<_>>(), ["n1", "n2"]);
    }

    #[test]
    fn a_service_made_only_of_proxies_is_none_and_an_empty_one_counts_zero() {
        assert_eq!(read_health("web-proxy", &[entry("n1", "connect-proxy", &["passing"], &[])]), None);
        let empty = read_health("gone", &[]).unwrap();
        assert_eq!((empty.instances, empty.passing), (0, 0));
    }

    #[test]
    fn metadata_follows_the_majority_then_the_smallest_value() {
        let metas = [
            BTreeMap::from([("version".to_string(), "1.5".to_string()), ("team".to_string(), "b".to_string())]),
            BTreeMap::from([("version".to_string(), "1.4".to_string()), ("team".to_string(), "a".to_string())]),
            BTreeMap::from([("version".to_string(), "1.5".to_string())]),
        ];
        let merged = merge_meta(metas.iter());
        assert_eq!(merged["version"], "1.5");
        assert_eq!(merged["team"], "a");
        let reversed = merge_meta(metas.iter().rev());
        assert_eq!(merged, reversed, "order of instances does not matter");
    }

    #[test]
    fn names_that_cannot_be_keys_are_explained() {
        assert_eq!(name_problem("billing-api_v2"), None);
        let problem = name_problem("my service").unwrap();
        assert_eq!(
            problem,
            "service 'my service': not observed: the name has whitespace or control characters, so it cannot be an entity key"
        );
        assert!(name_problem("").unwrap().contains("empty"));
        assert!(name_problem(&"x".repeat(600)).unwrap().contains("longer than"));
    }

    #[test]
    fn intentions_keep_the_highest_precedence_and_count_wildcards() {
        let mut warnings = vec![];
        let mut odd = intention("a", "b", Some("allow"), 1);
        odd.action = None;
        let index = Intentions::index(
            vec![
                intention("web", "db", Some("deny"), 5),
                intention("web", "db", Some("allow"), 9),
                intention("*", "db", Some("deny"), 8),
                intention("admin", "db", None, 9),
                odd,
            ],
            &mut warnings,
        );
        assert_eq!(index.verdict("web", "db"), Some(Verdict::Allow));
        assert_eq!(index.verdict("admin", "db"), Some(Verdict::L7));
        assert_eq!(index.verdict("db", "web"), None);
        assert_eq!(index.wildcards, 1);
        assert_eq!(warnings, ["intention a → b: neither Action nor Permissions is set; ignored"]);
    }

    #[test]
    fn upstreams_carry_intentions_and_other_intentions_stand_alone() {
        let mut warnings = vec![];
        let intentions = Intentions::index(
            vec![
                intention("web", "db", Some("allow"), 9),
                intention("web", "cache", Some("deny"), 9),
                intention("batch", "db", Some("allow"), 9),
            ],
            &mut warnings,
        );
        let upstreams = BTreeMap::from([("web".to_string(), BTreeSet::from(["db".to_string(), "auth".to_string()]))]);
        let unobserved = BTreeSet::from(["batch".to_string()]);
        let relations = mesh_relations(&upstreams, &intentions, &unobserved, &mut warnings);
        let got: Vec<_> = relations
            .iter()
            .map(|r| (r.from.as_str(), r.kind.as_str(), r.to.as_str(), Value::Object(r.attrs.clone())))
            .collect();
        assert_eq!(
            got,
            [
                ("service:web", "depends_on", "service:auth", json!({ "via": "consul" })),
                ("service:web", "depends_on", "service:db", json!({ "via": "consul", "intention": "allow" })),
                ("service:web", "intention", "service:cache", json!({ "action": "deny" })),
            ],
            "batch could not be read: its relations carry forward"
        );
        assert!(warnings.is_empty(), "{warnings:?}");
    }

    #[test]
    fn names_differing_only_in_case_make_one_relation_to_one_lower_case_key() {
        let upstreams = BTreeMap::from([("Web".to_string(), BTreeSet::from(["DB".to_string(), "db".to_string()]))]);
        let mut warnings = vec![];
        let relations = mesh_relations(&upstreams, &Intentions::default(), &BTreeSet::new(), &mut warnings);
        let got: Vec<_> = relations.iter().map(|r| (r.from.as_str(), r.to.as_str())).collect();
        assert_eq!(got, [("service:web", "service:db")]);
        assert_eq!(service_key("Billing-API"), "service:billing-api");
    }
}
