//! One day of change, in the proportions of a busy organisation (per scale
//! unit): ~140 releases rolling out to ~350 workloads, 60 dependency bumps,
//! 40 package releases, 150 analyses, 150 pushes, 30 health flaps, 20 doc
//! edits, and the occasional new service, retirement, archive or reorg.

use rand::Rng;

use super::build::{add_service_repo, new_use, Popularity};
use super::model::*;
use super::Org;

pub fn one_day(org: &mut Org) {
    let scale = org.scale;
    land_pending_rollouts(org);
    repeat(org, 140 * scale, release);
    repeat(org, 60 * scale, bump_dependency);
    repeat(org, 40 * scale, release_package);
    repeat(org, 150 * scale, analyse);
    repeat(org, 150 * scale, push);
    repeat(org, 30 * scale, flap_health);
    repeat(org, 20 * scale, edit_doc);
    repeat(org, 10 * scale, add_package_use);
    repeat(org, 5 * scale, drop_package_use);
    repeat(org, 2 * scale, change_service_dependency);
    repeat(org, scale, move_ownership);
    for _ in 0..scale {
        if chance(org, 300) {
            create_service(org);
        }
        if chance(org, 200) {
            retire_service(org);
        }
        if chance(org, 100) {
            archive_repo(org);
        }
    }
}

fn repeat(org: &mut Org, times: usize, change: fn(&mut Org)) {
    for _ in 0..times {
        change(org);
    }
}

fn chance(org: &mut Org, per_mille: u32) -> bool {
    org.rng.random_range(0..1000) < per_mille
}

fn live_service(org: &mut Org) -> Option<usize> {
    (0..8).map(|_| org.rng.random_range(0..org.services.len())).find(|&s| !org.services[s].retired)
}

fn live_repo(org: &mut Org) -> Option<usize> {
    (0..8).map(|_| org.rng.random_range(0..org.repos.len())).find(|&r| !org.repos[r].archived)
}

fn land_pending_rollouts(org: &mut Org) {
    for index in 0..org.workloads.len() {
        let workload = &mut org.workloads[index];
        if workload.removed {
            continue;
        }
        if let Some(version) = workload.pending.take() {
            let from = std::mem::replace(&mut workload.version, version);
            rolled_out(org, index, from);
        }
    }
}

/// Notes a workload's rollout for the day's deploy events.
fn rolled_out(org: &mut Org, workload: usize, from: Version) {
    let w = &org.workloads[workload];
    org.rollouts.push(super::deliveries::Rollout {
        service: org.services[w.service].key.clone(),
        cluster: org.clusters[w.cluster].name.clone(),
        workload: w.key.clone(),
        service_index: w.service,
        from,
        to: w.version,
    });
}

/// A release rolls out to every cluster; one in seven clusters lags a day.
/// One release in twenty-five is a rollback to the previous version.
fn release(org: &mut Org) {
    let Some(service) = live_service(org) else { return };
    let current = org.services[service].version;
    let next = if chance(org, 40) {
        org.services[service].previous_version
    } else {
        match org.rng.random_range(0..100) {
            0..=79 => current.bump_patch(),
            80..=96 => current.bump_minor(),
            _ => current.bump_major(),
        }
    };
    org.services[service].previous_version = current;
    org.services[service].version = next;
    for i in 0..org.services[service].workloads.len() {
        let workload = org.services[service].workloads[i];
        let lags = chance(org, 150);
        let w = &mut org.workloads[workload];
        if w.removed {
            continue;
        }
        if lags {
            w.pending = Some(next);
        } else {
            let from = std::mem::replace(&mut w.version, next);
            w.pending = None;
            rolled_out(org, workload, from);
        }
    }
}

fn bump_dependency(org: &mut Org) {
    let Some(repo) = live_repo(org) else { return };
    let count = org.repos[repo].uses.len();
    if count == 0 {
        return;
    }
    let pick = org.rng.random_range(0..count);
    let package = org.repos[repo].uses[pick].package;
    let latest = org.packages[package].latest;
    let uses = &mut org.repos[repo].uses[pick];
    uses.resolved = latest;
    uses.spec = Version { patch: 0, ..latest };
}

fn release_package(org: &mut Org) {
    let eco = org.rng.random_range(0..Ecosystem::ALL.len());
    let package = if chance(org, 100) && !org.internal_by_ecosystem[eco].is_empty() {
        let internal = &org.internal_by_ecosystem[eco];
        internal[org.rng.random_range(0..internal.len())]
    } else {
        let rank = sample(&org.popularity[eco], &mut org.rng);
        org.external_by_ecosystem[eco][rank]
    };
    let latest = org.packages[package].latest;
    org.packages[package].latest = match org.rng.random_range(0..100) {
        0..=79 => latest.bump_patch(),
        80..=97 => latest.bump_minor(),
        _ => latest.bump_major(),
    };
}

fn sample(popularity: &Popularity, rng: &mut impl Rng) -> usize {
    popularity.sample(rng)
}

fn analyse(org: &mut Org) {
    let project = org.rng.random_range(0..org.sonar.len());
    if org.repos[org.sonar[project].repo].archived {
        return;
    }
    let day = org.day.0;
    let rng = &mut org.rng;
    let p = &mut org.sonar[project];
    p.coverage = (p.coverage + rng.random_range(-1.5..1.6)).clamp(0.0, 100.0);
    p.ncloc += rng.random_range(0..400);
    p.bugs = p.bugs.saturating_add_signed(rng.random_range(-2..3));
    p.vulnerabilities = p.vulnerabilities.saturating_add_signed(rng.random_range(-1..2));
    p.code_smells = p.code_smells.saturating_add_signed(rng.random_range(-10..12));
    p.duplication = (p.duplication + rng.random_range(-0.3..0.3)).clamp(0.0, 60.0);
    p.hotspots = p.hotspots.saturating_add_signed(rng.random_range(-1..2));
    p.last_analysis = day;
}

fn push(org: &mut Org) {
    let Some(repo) = live_repo(org) else { return };
    let delta = org.rng.random_range(-2..3);
    let r = &mut org.repos[repo];
    r.last_push = org.day.0;
    r.open_issues = r.open_issues.saturating_add_signed(delta);
}

fn flap_health(org: &mut Org) {
    let workload = org.rng.random_range(0..org.workloads.len());
    let critical = chance(org, 300);
    let w = &mut org.workloads[workload];
    if w.removed {
        return;
    }
    w.health = match (w.health.warning + w.health.critical, critical) {
        (0, true) => Health { warning: 0, critical: 1 },
        (0, false) => Health { warning: 1, critical: 0 },
        _ => Health { warning: 0, critical: 0 },
    };
    w.ready = if w.health.critical > 0 { w.replicas.saturating_sub(1) } else { w.replicas };
}

fn edit_doc(org: &mut Org) {
    let doc = org.rng.random_range(0..org.docs.len());
    let editor = org.rng.random_range(0..org.teams.len() * 8);
    let d = &mut org.docs[doc];
    d.version += 1;
    d.editor = editor;
    d.updated = org.day.0;
}

fn add_package_use(org: &mut Org) {
    let Some(repo) = live_repo(org) else { return };
    let eco = Ecosystem::ALL.iter().position(|e| *e == org.repos[repo].ecosystem).expect("a known ecosystem");
    let rank = sample(&org.popularity[eco], &mut org.rng);
    let package = org.external_by_ecosystem[eco][rank];
    let Some(template) = org.repos[repo].uses.first() else { return };
    let (folder, service) = (template.folder.clone(), template.service);
    let already = org.repos[repo].uses.iter().any(|u| u.package == package && u.folder == folder);
    if !already {
        let uses = new_use(org, package, &folder, service);
        org.repos[repo].uses.push(uses);
    }
}

fn drop_package_use(org: &mut Org) {
    let Some(repo) = live_repo(org) else { return };
    let count = org.repos[repo].uses.len();
    if count > 5 {
        let pick = org.rng.random_range(0..count);
        org.repos[repo].uses.swap_remove(pick);
    }
}

fn change_service_dependency(org: &mut Org) {
    let Some(service) = live_service(org) else { return };
    if chance(org, 500) && !org.services[service].depends_on.is_empty() {
        let pick = org.rng.random_range(0..org.services[service].depends_on.len());
        org.services[service].depends_on.swap_remove(pick);
        return;
    }
    if service == 0 {
        return;
    }
    let target = org.rng.random_range(0..service);
    let declared = chance(org, 400);
    let s = &mut org.services[service];
    if !s.depends_on.iter().any(|d| d.service == target) {
        s.depends_on.push(Dependency { service: target, declared });
    }
}

fn move_ownership(org: &mut Org) {
    let Some(repo) = live_repo(org) else { return };
    let team = org.rng.random_range(0..org.teams.len());
    org.repos[repo].team = team;
    for service in org.services.iter_mut().filter(|s| s.repo == repo) {
        service.team = team;
    }
}

fn create_service(org: &mut Org) {
    let mut names = std::mem::replace(&mut org.names, super::names::NameBook::new());
    add_service_repo(org, &mut names);
    org.names = names;
}

/// A retired service leaves its clusters, its dependents stop calling it,
/// and its repository is archived when nothing else is built from it.
fn retire_service(org: &mut Org) {
    let Some(service) = live_service(org) else { return };
    org.services[service].retired = true;
    for i in 0..org.services[service].workloads.len() {
        let workload = org.services[service].workloads[i];
        org.workloads[workload].removed = true;
    }
    for other in org.services.iter_mut() {
        other.depends_on.retain(|d| d.service != service);
    }
    let repo = org.services[service].repo;
    if org.services.iter().all(|s| s.repo != repo || s.retired) {
        org.repos[repo].archived = true;
    }
}

fn archive_repo(org: &mut Org) {
    let Some(repo) = live_repo(org) else { return };
    if org.repos[repo].repo_type != RepoType::Service {
        org.repos[repo].archived = true;
    }
}
