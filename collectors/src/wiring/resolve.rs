//! From the hosts units name to `depends_on` edges: a host is, in order, a
//! Kubernetes Service (→ the workloads its selector picks), a unit's name
//! or alias (a workload, a compose service, a chart), a service of the
//! organisation by its exact name, or one by its name without the prefix
//! or suffix all the repository's services share (`rs-cart` for `cart`),
//! when only one fits. Each unit reached belongs to a service (the caller
//! says which) or is a backing resource (its image says so). A host that
//! reaches nothing is not an edge, nor is a unit reaching itself.

use std::collections::{BTreeMap, BTreeSet};

use super::{address, backing, ConfigMap, Reference, Unit, Via, Wiring};

/// What the caller knows of the organisation's services.
pub trait Services {
    /// The key of the service whose code `unit` runs, if any.
    fn owner(&self, unit: &Unit) -> Option<String>;
    /// The key of the service called `name`, if there is one.
    fn named(&self, name: &str) -> Option<String>;
    /// The names of the services in scope, for their common prefix.
    fn names(&self) -> Vec<String>;
}

/// A `depends_on` edge and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edge {
    pub from: String,
    pub to: String,
    pub via: Via,
    /// The file whose declaration makes the edge.
    pub file: String,
    /// The env variable, ConfigMap key, values path or compose key.
    pub variable: String,
}

/// A backing service a unit runs from a third-party image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    /// `resource:<name>`.
    pub key: String,
    pub name: String,
    pub kind: &'static str,
    pub engine: &'static str,
    pub image: String,
    pub file: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resolved {
    pub edges: Vec<Edge>,
    pub resources: Vec<Resource>,
}

pub fn resource_key(name: &str) -> String {
    crate::keys::resource(name)
}

/// Every edge `wiring` declares, and the resources they reach.
pub fn resolve(wiring: &Wiring, services: &dyn Services) -> Resolved {
    let mut resolved = Resolved::default();
    let owners: Vec<Option<Owner>> = wiring.units.iter().map(|unit| owner_of(unit, services)).collect();
    let index = Index::new(wiring);
    let affixes = Affixes::of(&services.names());
    let mut seen = BTreeSet::new();
    for (at, unit) in wiring.units.iter().enumerate() {
        let Some(Owner::Service(from)) = &owners[at] else { continue };
        for reference in references_of(unit, wiring) {
            for host in hosts_of(&reference) {
                for to in targets(&host, unit, &index, &owners, services, &affixes) {
                    if to == *from || !seen.insert((from.clone(), to.clone())) {
                        continue;
                    }
                    resolved.edges.push(Edge {
                        from: from.clone(),
                        to,
                        via: reference.via,
                        file: reference.file.clone(),
                        variable: reference.variable.clone(),
                    });
                }
            }
        }
    }
    // A resource is known by what depends on it: a database nothing names
    // stays a workload only, and no resource is left without an edge.
    for owner in owners.iter().flatten() {
        if let Owner::Resource(resource) = owner {
            let reached = resolved.edges.iter().any(|e| e.to == resource.key);
            if reached && !resolved.resources.iter().any(|r| r.key == resource.key) {
                resolved.resources.push(resource.clone());
            }
        }
    }
    resolved
}

#[derive(Debug, Clone)]
enum Owner {
    Service(String),
    Resource(Resource),
}

impl Owner {
    fn key(&self) -> &str {
        match self {
            Owner::Service(key) => key,
            Owner::Resource(resource) => &resource.key,
        }
    }
}

/// A third-party image makes a resource, whatever names the unit; else the
/// caller's service.
fn owner_of(unit: &Unit, services: &dyn Services) -> Option<Owner> {
    if let Some(image) = &unit.image {
        if let Some(found) = backing::classify(image) {
            return Some(Owner::Resource(Resource {
                key: resource_key(&unit.name),
                name: unit.name.clone(),
                kind: found.kind,
                engine: found.engine,
                image: image.clone(),
                file: unit.file.clone(),
            }));
        }
    }
    services.owner(unit).map(Owner::Service)
}

/// The unit's own references, then what its ConfigMaps hold.
fn references_of(unit: &Unit, wiring: &Wiring) -> Vec<Reference> {
    let mut references = unit.references.clone();
    for used in &unit.config_maps {
        let same_name: Vec<&ConfigMap> = wiring.config_maps.iter().filter(|m| m.name == used.name).collect();
        let Some(map) = nearest(&same_name, unit, |m| (m.namespace.as_deref(), &m.file)) else { continue };
        for (key, value) in &map.data {
            let variable = match &used.key {
                Some((wanted, variable)) if wanted == key => variable.clone(),
                Some(_) => continue,
                None => key.clone(),
            };
            references.push(Reference {
                via: Via::ConfigMap,
                variable: format!("{variable} (ConfigMap {})", map.name),
                value: value.clone(),
                file: map.file.clone(),
                is_name: false,
            });
        }
    }
    references
}

/// Of several same-named objects (a repository often declares one per
/// environment or overlay), the one in the unit's namespace, else one
/// declared in the unit's folder, else the first.
fn nearest<'a, T>(found: &[&'a T], unit: &Unit, place: impl Fn(&T) -> (Option<&str>, &String)) -> Option<&'a T> {
    let folder = crate::manifests::folder_of(&unit.file);
    let in_namespace = found.iter().find(|item| unit.namespace.is_some() && place(item).0 == unit.namespace.as_deref());
    let in_folder = found.iter().find(|item| crate::manifests::folder_of(place(item).1) == folder);
    in_namespace.or(in_folder).or(found.first()).copied()
}

fn hosts_of(reference: &Reference) -> Vec<String> {
    if reference.is_name {
        return vec![reference.value.to_ascii_lowercase()];
    }
    address::hosts(&reference.variable, &reference.value)
}

/// A Kubernetes Service's namespace and the units it selects.
type Selected = (Option<String>, Vec<usize>);

/// Names to the units they reach.
struct Index {
    /// Kubernetes Service name → (its namespace, the units it selects).
    kube_services: BTreeMap<String, Vec<Selected>>,
    /// Unit name or alias → units.
    units: BTreeMap<String, Vec<usize>>,
}

impl Index {
    fn new(wiring: &Wiring) -> Index {
        let mut units: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (at, unit) in wiring.units.iter().enumerate() {
            for name in std::iter::once(&unit.name).chain(&unit.aliases) {
                let entry = units.entry(name.to_ascii_lowercase()).or_default();
                if !entry.contains(&at) {
                    entry.push(at);
                }
            }
        }
        // A cluster has thousands of Services: each looks at its namespace's
        // units only (and those declared without one).
        let mut by_namespace: BTreeMap<Option<&str>, Vec<usize>> = BTreeMap::new();
        for (at, unit) in wiring.units.iter().enumerate() {
            by_namespace.entry(unit.namespace.as_deref()).or_default().push(at);
        }
        let mut kube_services: BTreeMap<String, Vec<Selected>> = BTreeMap::new();
        for service in wiring.services.iter().filter(|s| !s.selector.is_empty()) {
            let candidates: Vec<usize> = match service.namespace.as_deref() {
                Some(namespace) => {
                    [Some(namespace), None].iter().filter_map(|ns| by_namespace.get(ns)).flatten().copied().collect()
                }
                None => (0..wiring.units.len()).collect(),
            };
            let selected: Vec<usize> = candidates
                .into_iter()
                .filter(|at| service.selector.iter().all(|(k, v)| wiring.units[*at].labels.get(k) == Some(v)))
                .collect();
            kube_services
                .entry(service.name.to_ascii_lowercase())
                .or_default()
                .push((service.namespace.clone(), selected));
        }
        Index { kube_services, units }
    }

    /// The units `host` reaches from a unit in `namespace`.
    fn lookup(&self, host: &str, namespace: Option<&str>) -> Vec<usize> {
        if let Some(services) = self.kube_services.get(host) {
            // The Service in the caller's namespace, else every Service of
            // that name (overlays declaring one each select the same pods).
            let same = services.iter().find(|(ns, _)| namespace.is_some() && ns.as_deref() == namespace);
            let mut selected: Vec<usize> = match same {
                Some((_, units)) => units.clone(),
                None => services.iter().flat_map(|(_, units)| units.iter().copied()).collect(),
            };
            selected.sort();
            selected.dedup();
            if !selected.is_empty() {
                return selected;
            }
        }
        self.units.get(host).cloned().unwrap_or_default()
    }
}

/// The keys `host` reaches: its units' owners, else a service by name.
fn targets(
    host: &str,
    from: &Unit,
    index: &Index,
    owners: &[Option<Owner>],
    services: &dyn Services,
    affixes: &Affixes,
) -> Vec<String> {
    let units = index.lookup(host, from.namespace.as_deref());
    if !units.is_empty() {
        let mut keys: Vec<String> =
            units.iter().filter_map(|at| owners[*at].as_ref()).map(|owner| owner.key().to_string()).collect();
        keys.sort();
        keys.dedup();
        return keys;
    }
    services.named(host).or_else(|| affixes.expand(host).and_then(|name| services.named(&name))).into_iter().collect()
}

/// The prefix (`rs-`) and suffix (`-service`) every service name in scope
/// shares, when there are at least two of them.
struct Affixes {
    names: Vec<String>,
    prefix: String,
    suffix: String,
}

impl Affixes {
    fn of(names: &[String]) -> Affixes {
        let (prefix, suffix) =
            if names.len() < 2 { (String::new(), String::new()) } else { (common_prefix(names), common_suffix(names)) };
        Affixes { names: names.to_vec(), prefix, suffix }
    }

    /// The one service name that is `host` with the shared prefix and/or
    /// suffix; `None` when none or several fit.
    fn expand(&self, host: &str) -> Option<String> {
        if self.prefix.is_empty() && self.suffix.is_empty() {
            return None;
        }
        let forms = [
            format!("{}{host}{}", self.prefix, self.suffix),
            format!("{}{host}", self.prefix),
            format!("{host}{}", self.suffix),
        ];
        let fits: BTreeSet<&String> = self.names.iter().filter(|name| forms.contains(name)).collect();
        (fits.len() == 1).then(|| fits.into_iter().next().cloned()).flatten()
    }
}

/// The longest `-`-ended prefix all names share.
fn common_prefix(names: &[String]) -> String {
    let first = &names[0];
    let mut best = String::new();
    for (at, _) in first.match_indices('-') {
        let candidate = &first[..=at];
        if names.iter().all(|n| n.starts_with(candidate) && n.len() > candidate.len()) {
            best = candidate.to_string();
        }
    }
    best
}

/// The longest `-`-started suffix all names share.
fn common_suffix(names: &[String]) -> String {
    let first = &names[0];
    let mut best = String::new();
    for (at, _) in first.match_indices('-') {
        let candidate = &first[at..];
        if names.iter().all(|n| n.ends_with(candidate) && n.len() > candidate.len()) && candidate.len() > best.len() {
            best = candidate.to_string();
        }
    }
    best
}
