//! The built-in figures: what a path and an attribute cannot say. Each is
//! one number per service on the view's day, read for every service at
//! once and kept in the view for the other rules that use it.

use collectors::manifests::versions::{package_lag, release, Lag};
use rustc_hash::FxHashMap;
use serde_json::Value;

use super::rule::Builtin;
use super::view::{ends, DayView};
use crate::delivery::{read, Bucket, Delivery};
use crate::model::{AttributeValueVersion, Day, Direction, EdgeRule, RelationValue};
use crate::store::StoreResult;

/// DORA built-ins look at the 30 days up to the day.
pub const DORA_WINDOW_DAYS: i32 = 30;

/// The figure of every service that has one, by service key.
pub async fn figures(
    view: &mut DayView<'_>,
    builtin: Builtin,
    delivery: &Delivery,
) -> StoreResult<FxHashMap<String, Value>> {
    let name = Builtin::ALL.iter().find(|(_, b)| *b == builtin).map_or("", |(name, _)| name);
    if let Some(known) = view.memo.get(name) {
        return Ok(known.clone());
    }
    let found = match builtin {
        Builtin::VersionsRunning => versions_running(view).await?,
        Builtin::Datacenters => datacenters(view).await?,
        Builtin::DocAgeDays => doc_age_days(view).await?,
        Builtin::MajorsBehind => majors_behind(view).await?,
        dora => dora_figure(view, dora, delivery).await?,
    };
    view.memo.insert(name, found.clone());
    Ok(found)
}

/// What a built-in reads in bulk, to read it all at once with the other
/// rules' reads ([`super::evaluate`]'s prefetch): relation kinds, (kind,
/// attribute) pairs, and (relation kind, attribute) pairs.
pub fn reads(builtin: Builtin) -> BulkReads<'static> {
    let (relations, attributes, relation_values) = match builtin {
        Builtin::VersionsRunning => (vec!["deploys"], vec![("workload", "version")], vec![]),
        Builtin::Datacenters => {
            (vec!["deploys", "runs_in"], vec![("cluster", "datacenter"), ("cluster", "region")], vec![])
        }
        Builtin::DocAgeDays => (vec!["documents"], vec![("doc", "updated")], vec![]),
        Builtin::MajorsBehind => (vec!["builds"], vec![("package", "latest")], vec![("uses", "resolved")]),
        _ => (vec![], vec![], vec![]),
    };
    BulkReads { relations, attributes, relation_values }
}

/// Reads a day's bulk view makes: relation kinds, (entity kind,
/// attribute), (relation kind, attribute).
#[derive(Default)]
pub struct BulkReads<'a> {
    pub relations: Vec<&'a str>,
    pub attributes: Vec<(&'a str, &'a str)>,
    pub relation_values: Vec<(&'a str, &'a str)>,
}

/// Distinct `version`s of the workloads it deploys that day (0 when it
/// runs nowhere).
async fn versions_running(view: &mut DayView<'_>) -> StoreResult<FxHashMap<String, Value>> {
    let mut workloads = view.reached(&[EdgeRule::new("deploys", Direction::Out)]).await?.clone();
    // What repositories declare does not run.
    for keys in workloads.values_mut() {
        keys.retain(|k| !crate::model::is_declared_workload(k));
    }
    let versions = view.attribute("workload", "version", &ends(&workloads)).await?;
    Ok(workloads
        .into_iter()
        .map(|(service, keys)| {
            let mut seen: Vec<&Value> = keys.iter().filter_map(|k| versions.get(k).map(|v| &v.value)).collect();
            seen.sort_by_key(|v| v.to_string());
            seen.dedup();
            (service, Value::from(seen.len()))
        })
        .collect())
}

/// Distinct datacenters of the clusters its workloads run in (0 when it
/// runs nowhere): a cluster's `datacenter` (the Kubernetes collector's
/// config), else its `region`, else the cluster's own key.
async fn datacenters(view: &mut DayView<'_>) -> StoreResult<FxHashMap<String, Value>> {
    let path = [EdgeRule::new("deploys", Direction::Out), EdgeRule::new("runs_in", Direction::Out)];
    let clusters = view.reached(&path).await?.clone();
    let keys = ends(&clusters);
    let datacenter = view.attribute("cluster", "datacenter", &keys).await?;
    let region = view.attribute("cluster", "region", &keys).await?;
    Ok(clusters
        .into_iter()
        .map(|(service, keys)| {
            let mut places: Vec<String> = keys
                .iter()
                .map(|k| match datacenter.get(k).or_else(|| region.get(k)) {
                    Some(found) => found.value.to_string(),
                    None => k.clone(),
                })
                .collect();
            places.sort_unstable();
            places.dedup();
            (service, Value::from(places.len()))
        })
        .collect())
}

/// Days from its newest doc's `updated` date to the view's day; services
/// without a dated doc have no figure.
async fn doc_age_days(view: &mut DayView<'_>) -> StoreResult<FxHashMap<String, Value>> {
    let docs = view.reached(&[EdgeRule::new("documents", Direction::In)]).await?.clone();
    let updated = view.attribute("doc", "updated", &ends(&docs)).await?;
    let day = view.day;
    Ok(docs
        .into_iter()
        .filter_map(|(service, keys)| {
            let newest = keys.iter().filter_map(|k| updated.get(k)?.value.as_str().and_then(date_of)).max()?;
            Some((service, Value::from((day.0 - newest.0).max(0))))
        })
        .collect())
}

/// An ISO date or date-time's day.
fn date_of(text: &str) -> Option<Day> {
    text.get(..10)?.parse::<Day>().ok()
}

/// The most major versions any package it uses (itself, or through the
/// repository that builds it) is behind the package's latest; 0 when none
/// is behind by a major or nothing is known.
async fn majors_behind(view: &mut DayView<'_>) -> StoreResult<FxHashMap<String, Value>> {
    let repos = view.reached(&[EdgeRule::new("builds", Direction::In)]).await?.clone();
    let worst_by_user = match view.is_narrow() {
        true => worst_of_few(view, &repos).await?,
        false => worst_in_range(view).await?,
    };
    Ok(view
        .services
        .iter()
        .map(|service| {
            let own = worst_by_user.get(service.as_str()).copied().unwrap_or(0);
            let through_repos = repos
                .get(service)
                .into_iter()
                .flatten()
                .filter_map(|repo| worst_by_user.get(repo.as_str()).copied())
                .max()
                .unwrap_or(0);
            (service.clone(), Value::from(own.max(through_repos)))
        })
        .collect())
}

/// The most majors behind of each user (a service or a repository) of a
/// few services, from their `uses` read one by one.
async fn worst_of_few(
    view: &mut DayView<'_>,
    repos: &FxHashMap<String, Vec<String>>,
) -> StoreResult<FxHashMap<String, u64>> {
    let uses = uses(view, repos).await?;
    let mut packages: Vec<String> = uses.iter().map(|u| u.to.clone()).collect();
    packages.sort_unstable();
    packages.dedup();
    let latest = view.attribute("package", "latest", &packages).await?;
    let mut worst_by_user: FxHashMap<String, u64> = FxHashMap::default();
    for used in &uses {
        let latest = latest.get(&used.to).and_then(|l| l.value.as_str());
        let majors = majors_between(&used.to, used.value.as_str(), latest);
        let worst = worst_by_user.entry(used.from.clone()).or_default();
        *worst = (*worst).max(majors);
    }
    Ok(worst_by_user)
}

/// The most majors behind of every user in the organisation, from the
/// range's versions of every `uses` (tens of thousands): each use's lag is
/// worked out once per latest version its package has in the range, not
/// once a day.
async fn worst_in_range(view: &mut DayView<'_>) -> StoreResult<FxHashMap<String, u64>> {
    let uses = view.range.relation_values(view.store, "uses", "resolved").await?;
    let latest_versions = view.range.attribute(view.store, "package", "latest").await?;
    let latest: FxHashMap<&str, &str> = AttributeValueVersion::on(&latest_versions, view.day)
        .into_iter()
        .filter_map(|v| Some((v.key.as_str(), v.value.as_str()?)))
        .collect();
    let mut memo = view.range.majors.lock().unwrap_or_else(|p| p.into_inner());
    memo.resize(uses.len(), None);
    let mut worst_by_user: FxHashMap<&str, u64> = FxHashMap::default();
    let mut previous: Option<(&str, &str)> = None;
    for (index, used) in uses.iter().enumerate() {
        // As `RelationValueVersion::on`: the first source's version of each relation.
        if !(used.valid_from <= view.day && view.day < used.valid_to) || previous == Some((&used.from, &used.to)) {
            continue;
        }
        previous = Some((&used.from, &used.to));
        let latest = latest.get(used.to.as_str()).copied();
        let majors = match &memo[index] {
            Some((seen, majors)) if Some(seen.as_str()) == latest => *majors,
            _ => {
                let majors = majors_between(&used.to, used.value.as_str(), latest);
                memo[index] = latest.map(|l| (l.to_string(), majors));
                majors
            }
        };
        let worst = worst_by_user.entry(used.from.as_str()).or_default();
        *worst = (*worst).max(majors);
    }
    Ok(worst_by_user.into_iter().map(|(user, worst)| (user.to_string(), worst)).collect())
}

/// The `resolved` version of every `uses` from a few services or the
/// repositories that build them, their relations read one by one.
async fn uses(view: &DayView<'_>, repos: &FxHashMap<String, Vec<String>>) -> StoreResult<Vec<RelationValue>> {
    let mut users: Vec<&String> = view.services.iter().chain(repos.values().flatten()).collect();
    users.sort_unstable();
    users.dedup();
    let mut found = Vec::new();
    for user in users {
        for relation in view.store.relations(user, view.day, Direction::Out, &["uses".to_string()]).await? {
            if let Some(resolved) = relation.attrs.get("resolved").filter(|v| !v.is_null()) {
                found.push(RelationValue {
                    from: relation.from.clone(),
                    to: relation.to.clone(),
                    value: resolved.clone(),
                });
            }
        }
    }
    Ok(found)
}

/// How many majors `resolved` is behind `latest`, by the ecosystem's own
/// version rules (the same [`package_lag`] the API's `behind` uses).
fn majors_between(package: &str, resolved: Option<&str>, latest: Option<&str>) -> u64 {
    if package_lag(package, resolved, latest) != Lag::Major {
        return 0;
    }
    let ecosystem = collectors::manifests::package_ecosystem(package);
    match (ecosystem, resolved, latest) {
        (Some(ecosystem), Some(resolved), Some(latest)) => {
            match (release(ecosystem, resolved.trim()), release(ecosystem, latest.trim())) {
                (Some(r), Some(l)) => l[0].saturating_sub(r[0]).max(1),
                _ => 1,
            }
        }
        _ => 1,
    }
}

/// A DORA figure of each service over the 30 days up to the day, in the
/// production environment (docs/dora.md); services with nothing to measure
/// have no figure.
async fn dora_figure(
    view: &mut DayView<'_>,
    builtin: Builtin,
    delivery: &Delivery,
) -> StoreResult<FxHashMap<String, Value>> {
    let clusters = delivery.config.clusters_of("production").unwrap_or(None);
    let services = view.is_narrow().then(|| view.services.clone());
    let scope = read::Scope { services, clusters, ..read::Scope::default() };
    let window = (view.day.minus(DORA_WINDOW_DAYS - 1), view.day);
    let report = read::report(view.store, &scope, window, Bucket::Month, delivery.config.fix_forward(), true).await?;
    let hours = |seconds: Option<i64>| seconds.map(|s| Value::from((s as f64 / 3600.0 * 10.0).round() / 10.0));
    Ok(view
        .services
        .iter()
        .filter_map(|service| {
            let figures = report.services.get(service);
            let value = match builtin {
                Builtin::DeploysPerWeek => {
                    let deploys = figures.map_or(0, |f| f.deploys);
                    Some(Value::from((deploys as f64 * 7.0 / DORA_WINDOW_DAYS as f64 * 10.0).round() / 10.0))
                }
                Builtin::ChangeFailureRate => {
                    figures?.change_failure_rate.map(|r| Value::from((r * 1000.0).round() / 1000.0))
                }
                Builtin::LeadTimeHours => hours(figures?.lead_time_seconds),
                _ => hours(figures?.time_to_restore_seconds),
            };
            Some((service.clone(), value?))
        })
        .collect())
}
