//! Typed changes between two days, from the store's version-level
//! changes and one read of each changed entity on each day.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::describe::{self, package_name, Described};
use super::diff::{self, Moved};
use super::owner::{services_of, ServicesOf};
use super::{name, one_service, RelationMove, TypedChange, NO_SERVICE};
use crate::model::{Change, Changes, Day, EntityChange, RelationChange, RelationValueVersion};
use crate::store::{Store, StoreResult};

/// Which changes to read: those of some services only (all when `None`).
#[derive(Debug, Clone, Default)]
pub struct Scope {
    pub services: Option<std::collections::BTreeSet<String>>,
}

impl Scope {
    fn keeps(&self, services: &[String]) -> bool {
        self.services.as_ref().is_none_or(|wanted| services.iter().any(|s| wanted.contains(s)))
    }
}

/// Every change between the graphs of `from` and `to` in words, ordered by
/// id: by service (those of no service last).
pub async fn read(store: &dyn Store, from: Day, to: Day, scope: &Scope) -> StoreResult<Vec<TypedChange>> {
    let outline = outline(store, from, to, scope).await?;
    finish(store, outline).await
}

/// A change whose id and services are known, and whose facts are read
/// only when it is shown ([`finish`]): so that a page of a week's changes
/// reads the facts of that page only.
pub enum Outlined {
    Ready(TypedChange),
    Entity { id: String, change: EntityChange, services: Vec<String>, from: Day, to: Day },
}

impl Outlined {
    pub fn id(&self) -> &str {
        match self {
            Outlined::Ready(change) => &change.id,
            Outlined::Entity { id, .. } => id,
        }
    }

    pub fn services(&self) -> &[String] {
        match self {
            Outlined::Ready(change) => &change.services,
            Outlined::Entity { services, .. } => services,
        }
    }
}

/// The changes of `scope` between two days, by id, without reading any
/// entity's facts.
pub async fn outline(store: &dyn Store, from: Day, to: Day, scope: &Scope) -> StoreResult<Vec<Outlined>> {
    outline_of(store, &store.changes(from, to).await?, scope).await
}

/// [`outline`] of changes already read.
pub async fn outline_of(store: &dyn Store, changes: &Changes, scope: &Scope) -> StoreResult<Vec<Outlined>> {
    let (from, to) = (changes.from, changes.to);
    let services = services(store, changes).await?;
    let mut outlined = Vec::with_capacity(changes.entities.len() + changes.relations.len());
    for change in changes.entities.iter() {
        let owners = services.get(&change.entity.key).cloned().unwrap_or_default();
        if scope.keeps(&owners) {
            let id = id(&owners, &format!("e:{}", change.entity.key));
            outlined.push(Outlined::Entity { id, change: change.clone(), services: owners, from, to });
        }
    }
    let versions = uses_versions(store, changes, scope, &services).await?;
    let typed = relations(changes.relations.clone(), to, &services, &versions);
    outlined.extend(typed.into_iter().filter(|c| scope.keeps(&c.services)).map(Outlined::Ready));
    outlined.sort_by(|a, b| a.id().cmp(b.id()));
    Ok(outlined)
}

/// The outlined changes in words, reading each changed entity on both days.
pub async fn finish(store: &dyn Store, outlined: Vec<Outlined>) -> StoreResult<Vec<TypedChange>> {
    let mut typed = Vec::with_capacity(outlined.len());
    for item in &outlined {
        typed.push(finish_one(store, item).await?);
    }
    Ok(typed)
}

/// One outlined change in words.
pub async fn finish_one(store: &dyn Store, item: &Outlined) -> StoreResult<TypedChange> {
    match item {
        Outlined::Ready(change) => Ok(change.clone()),
        Outlined::Entity { id, change, services, from, to } => {
            entity(store, id.clone(), change, services.clone(), *from, *to).await
        }
    }
}

/// The raw change keys (an entity's key, `from -kind-> to` for a
/// relation) an outlined change stands for.
pub fn members(item: &Outlined) -> Vec<String> {
    match item {
        Outlined::Ready(change) => change.members.clone(),
        Outlined::Entity { change, .. } => vec![change.entity.key.clone()],
    }
}

/// The services of every entity a change touches: as of the later day,
/// else (for what is gone by then) as of the earlier one.
async fn services(store: &dyn Store, changes: &Changes) -> StoreResult<ServicesOf> {
    let mut keys: Vec<String> = changes.entities.iter().map(|c| c.entity.key.clone()).collect();
    keys.extend(changes.relations.iter().flat_map(|r| [r.from.clone(), r.to.clone()]));
    keys.sort();
    keys.dedup();
    let mut found = services_of(store, &keys, changes.to).await?;
    let missing: Vec<String> = keys.into_iter().filter(|k| !found.contains_key(k)).collect();
    for (key, services) in services_of(store, &missing, changes.from).await? {
        found.insert(key, services);
    }
    Ok(found)
}

/// The id's first part groups a change under its service (those of none
/// last).
fn id(services: &[String], rest: &str) -> String {
    let group = one_service(services).unwrap_or(NO_SERVICE);
    format!("{group}|{rest}")
}

/// Every fact's attributes of an entity on a day in one object, as a
/// person names them (`version`, not `kubernetes.version`): the first
/// source (by name, then scope) wins an attribute several sources have.
async fn merged(store: &dyn Store, key: &str, day: Day) -> StoreResult<Map<String, Value>> {
    let Some(mut state) = store.entity(key, day).await? else {
        return Ok(Map::new());
    };
    state.facts.sort_by(|a, b| (&a.source, &a.scope).cmp(&(&b.source, &b.scope)));
    let mut attrs = Map::new();
    for fact in state.facts {
        for (name, value) in fact.attrs {
            attrs.entry(name).or_insert(value);
        }
    }
    Ok(attrs)
}

async fn entity(
    store: &dyn Store,
    id: String,
    change: &EntityChange,
    services: Vec<String>,
    from: Day,
    to: Day,
) -> StoreResult<TypedChange> {
    let key = &change.entity.key;
    let (moved, after) = if change.change == Change::Changed {
        let after = merged(store, key, to).await?;
        (diff::moved(&merged(store, key, from).await?, &after), after)
    } else {
        (Vec::new(), Map::new())
    };
    let Described { kind, title, significance } =
        describe::entity(change.change, key, &change.entity.kind, &services, &moved, &after);
    Ok(TypedChange {
        id,
        day: to,
        change: change.change,
        subject: key.clone(),
        subject_kind: change.entity.kind.clone(),
        kind,
        services,
        moved,
        relations: Vec::new(),
        title,
        significance,
        sources: change.sources.clone(),
        members: vec![key.clone()],
    })
}

/// The `resolved` version of every `uses` whose attributes changed, on
/// each of the two days: `(from, to)` → (before, after).
type UsesVersions = BTreeMap<(String, String), (Option<Value>, Option<Value>)>;

/// [`UsesVersions`], read only when `scope` keeps some `uses` whose
/// attributes changed: the versions only ever type such a change (as a
/// package upgrade, whose services are those of its relations), so when
/// the scope keeps none of them, none of what they would type is kept.
async fn uses_versions(
    store: &dyn Store,
    changes: &Changes,
    scope: &Scope,
    services: &ServicesOf,
) -> StoreResult<UsesVersions> {
    let kept = |r: &RelationChange| scope.services.is_none() || scope.keeps(&services_of_relation(r, services));
    let changed_uses = changes.relations.iter().any(|r| r.kind == "uses" && r.change == Change::Changed && kept(r));
    if !changed_uses {
        return Ok(UsesVersions::new());
    }
    let (from, to) = (changes.from, changes.to);
    // Only the changed `uses` are ever looked up: their versions alone,
    // not every `uses` of the organisation.
    let pairs: Vec<(String, String)> = changes
        .relations
        .iter()
        .filter(|r| r.kind == "uses" && r.change == Change::Changed)
        .map(|r| (r.from.clone(), r.to.clone()))
        .collect();
    let versions = store.relation_value_versions_between("uses", "resolved", &pairs, from, to).await?;
    let mut found = UsesVersions::new();
    for (day, before) in [(from, true), (to, false)] {
        for version in RelationValueVersion::on(&versions, day) {
            let entry = found.entry((version.from.clone(), version.to.clone())).or_default();
            let slot = if before { &mut entry.0 } else { &mut entry.1 };
            *slot = Some(version.value.clone());
        }
    }
    Ok(found)
}

/// A relation's services: its service end, else those of its ends.
fn services_of_relation(relation: &RelationChange, services: &ServicesOf) -> Vec<String> {
    for end in [&relation.from, &relation.to] {
        if collectors::keys::is_kind(end, "service") {
            return vec![end.clone()];
        }
    }
    let mut found: Vec<String> = [&relation.from, &relation.to]
        .into_iter()
        .flat_map(|end| services.get(end).cloned().unwrap_or_default())
        .collect();
    found.sort();
    found.dedup();
    found
}

/// (package, version before, version after).
type Upgrade = (String, String, String);

fn relations(
    relations: Vec<RelationChange>,
    day: Day,
    services: &ServicesOf,
    versions: &UsesVersions,
) -> Vec<TypedChange> {
    let mut typed = Vec::new();
    let mut owners: BTreeMap<String, Vec<RelationChange>> = BTreeMap::new();
    let mut upgrades: BTreeMap<Upgrade, (Vec<String>, Vec<String>)> = BTreeMap::new();
    for relation in relations {
        if relation.kind == "owns" && relation.change != Change::Changed {
            owners.entry(relation.to.clone()).or_default().push(relation);
            continue;
        }
        if relation.kind == "uses" && relation.change == Change::Changed {
            if let Some((before, after)) = versions.get(&(relation.from.clone(), relation.to.clone())) {
                if before != after {
                    let shown = |v: &Option<Value>| diff::shown(v.as_ref());
                    let package = (relation.to.clone(), shown(before), shown(after));
                    let entry = upgrades.entry(package).or_default();
                    entry.0.extend(services_of_relation(&relation, services));
                    entry.1.push(relation_key(&relation.from, &relation.kind, &relation.to));
                    continue;
                }
            }
        }
        typed.push(one_relation(relation, day, services));
    }
    typed.extend(owners.into_iter().map(|(owned, moves)| owner_move(owned, moves, day, services)));
    typed.extend(upgrades.into_iter().map(|(package, (users, members))| upgrade(package, users, members, day)));
    typed
}

/// How a relation change is named (`from -kind-> to`): the `key` of the
/// API's `Change`, and what [`members`] gives, which the API matches on.
pub fn relation_key(from: &str, kind: &str, to: &str) -> String {
    format!("{from} -{kind}-> {to}")
}

fn one_relation(relation: RelationChange, day: Day, services: &ServicesOf) -> TypedChange {
    let members = vec![relation_key(&relation.from, &relation.kind, &relation.to)];
    let services = services_of_relation(&relation, services);
    let rest = format!("r:{}|{}|{}|{}|{}", relation.from, relation.kind, relation.to, relation.source, relation.scope);
    let (kind, title, significance, relations) = if relation.change == Change::Changed {
        let title = format!("{} {} {}: attributes changed", name(&relation.from), relation.kind, name(&relation.to));
        (super::ChangeKind::Relation, title, super::Significance::Minor, Vec::new())
    } else {
        let d = describe::relation(relation.change, &relation.kind, &relation.from, &relation.to, &services);
        let moved = RelationMove {
            kind: relation.kind.clone(),
            from: relation.from.clone(),
            to: relation.to.clone(),
            change: relation.change,
        };
        (d.kind, d.title, d.significance, vec![moved])
    };
    TypedChange {
        id: id(&services, &rest),
        day,
        change: relation.change,
        subject: relation.from,
        subject_kind: relation.kind,
        kind,
        services,
        moved: Vec::new(),
        relations,
        title,
        significance,
        sources: vec![relation.source],
        members,
    }
}

/// The teams that stopped and started owning one entity, as one change:
/// "payments: owner team-core → team-billing".
fn owner_move(owned: String, moves: Vec<RelationChange>, day: Day, services: &ServicesOf) -> TypedChange {
    let teams = |change: Change| -> Vec<String> {
        let mut found: Vec<String> =
            moves.iter().filter(|m| m.change == change).map(|m| name(&m.from).to_string()).collect();
        found.dedup();
        found
    };
    let (gone, new) = (teams(Change::Removed), teams(Change::Added));
    let relation_services = services_of_relation(&moves[0], services);
    let who = describe::who(&owned, &relation_services).to_string();
    let change = match (gone.is_empty(), new.is_empty()) {
        (true, _) => Change::Added,
        (_, true) => Change::Removed,
        _ => Change::Changed,
    };
    let title = match change {
        Change::Changed => format!("{who}: owner {} → {}", gone.join(", "), new.join(", ")),
        Change::Added => format!("{who}: owner now {}", new.join(", ")),
        Change::Removed => format!("{who}: no longer owned by {}", gone.join(", ")),
    };
    let moved = Moved {
        path: "owner".into(),
        before: (!gone.is_empty()).then(|| Value::String(gone.join(", "))),
        after: (!new.is_empty()).then(|| Value::String(new.join(", "))),
    };
    let mut sources: Vec<String> = moves.iter().map(|m| m.source.clone()).collect();
    sources.sort();
    sources.dedup();
    let members = moves.iter().map(|m| relation_key(&m.from, &m.kind, &m.to)).collect();
    let relations = moves
        .iter()
        .map(|m| RelationMove { kind: m.kind.clone(), from: m.from.clone(), to: m.to.clone(), change: m.change })
        .collect();
    TypedChange {
        id: id(&relation_services, &format!("o:{owned}")),
        day,
        change,
        subject: owned,
        subject_kind: "owns".into(),
        kind: super::ChangeKind::Owner,
        services: relation_services,
        moved: vec![moved],
        relations,
        title,
        significance: super::Significance::Significant,
        sources,
        members,
    }
}

/// One package moved from one version to another wherever it moved so:
/// "left-pad 1.1 → 1.3 in 12 services".
fn upgrade((package, before, after): Upgrade, mut users: Vec<String>, members: Vec<String>, day: Day) -> TypedChange {
    users.sort();
    users.dedup();
    let place = match users.as_slice() {
        [] => String::new(),
        [one] => format!(" in {}", name(one)),
        many => format!(" in {} services", many.len()),
    };
    let title = format!("{} {before} → {after}{place}", package_name(&package));
    let moved = Moved {
        path: "resolved".into(),
        before: Some(Value::String(before.clone())),
        after: Some(Value::String(after.clone())),
    };
    TypedChange {
        id: id(&users, &format!("u:{package}|{before}|{after}")),
        day,
        change: Change::Changed,
        subject: package,
        subject_kind: "uses".into(),
        kind: super::ChangeKind::Version,
        services: users,
        moved: vec![moved],
        relations: Vec::new(),
        title,
        significance: super::Significance::Significant,
        sources: Vec::new(),
        members,
    }
}
