use super::*;

fn org() -> Org {
    Org::new(&SyntheticConfig::new(1, 7, Day(19_000)))
}

fn observed(runs: &[SyntheticRun]) -> impl Iterator<Item = &Observation> {
    runs.iter().filter_map(|run| match run {
        SyntheticRun::Observed(obs) => Some(obs),
        SyntheticRun::Failed { .. } => None,
    })
}

#[test]
fn scale_one_has_the_size_of_the_organisation_we_model() {
    let size = org().size();
    assert_eq!(size.teams, 60);
    assert!(size.repositories >= 1_000, "{size:?}");
    assert!((500..=504).contains(&size.services), "{size:?}");
    assert_eq!(size.clusters, 4);
    assert!(size.packages >= 8_000, "{size:?}");
    assert!(size.workloads > 1_200, "{size:?}");
}

#[test]
fn every_observation_is_valid_and_one_per_source_scope() {
    let mut org = org();
    let runs = org.observe();
    assert_eq!(runs.len(), 1 + 4 + 1 + 4 + 1);
    for obs in observed(&runs) {
        assert_eq!(obs.validate(), Ok(()), "{} {}", obs.source, obs.scope);
    }
}

#[test]
fn the_same_seed_gives_the_same_history() {
    let (mut a, mut b) = (org(), org());
    for _ in 0..3 {
        a.advance();
        b.advance();
    }
    let (runs_a, runs_b) = (a.observe(), b.observe());
    let a: Vec<_> = observed(&runs_a).collect();
    let b: Vec<_> = observed(&runs_b).collect();
    assert_eq!(a, b);
}

#[test]
fn a_day_brings_about_350_deploys() {
    let mut org = org();
    org.advance(); // the first day has no lagging rollouts to land yet
    let before: Vec<_> = org.workloads.iter().map(|w| w.version).collect();
    org.advance();
    let deploys = org.workloads.iter().zip(&before).filter(|(w, v)| w.version != **v).count();
    assert!((250..=450).contains(&deploys), "{deploys} deploys");
}

#[test]
fn the_most_used_package_is_used_by_hundreds_of_repositories() {
    let org = org();
    let mut counts = vec![0usize; org.packages.len()];
    for repo in &org.repos {
        for uses in &repo.uses {
            counts[uses.package] += 1;
        }
    }
    let top = counts.iter().max().copied().unwrap_or(0);
    let used = counts.iter().filter(|&&c| c > 0).count();
    assert!(top > 250, "top package used {top} times");
    assert!(used > 3_000, "only {used} packages in use: popularity is too skewed");
    let per_repo = counts.iter().sum::<usize>() / org.repos.len();
    assert!((35..=45).contains(&per_repo), "{per_repo} uses per repository");
}

/// The keys of the services GitHub sees today with a `conflict`, the number
/// of services it sees without an owner, and the debug shells running.
fn hygiene_today(org: &mut Org) -> (Vec<String>, usize, usize) {
    let runs = org.observe();
    let mut conflicts = Vec::new();
    let mut unowned = 0;
    let mut shells = 0;
    for obs in observed(&runs) {
        if obs.source == "github" && obs.complete {
            let owned: std::collections::BTreeSet<&str> =
                obs.relations.iter().filter(|r| r.kind == "owns").map(|r| r.to.as_str()).collect();
            for service in obs.entities.iter().filter(|e| e.kind == "service") {
                if service.attrs.contains_key("conflict") {
                    conflicts.push(service.key.clone());
                }
                unowned += usize::from(!owned.contains(service.key.as_str()));
            }
        }
        shells += obs.entities.iter().filter(|e| e.key.ends_with("/Deployment/debug-shell")).count();
    }
    (conflicts, unowned, shells)
}

#[test]
fn hygiene_findings_come_and_go_on_a_schedule() {
    let mut org = org();
    let mut days = Vec::new();
    for _ in 0..=26 {
        days.push(hygiene_today(&mut org));
        org.advance();
    }
    assert!(days[5].0.is_empty() && days[6].0.len() == 1, "the first conflict appears on day 6");
    assert_eq!(days[20].0, days[6].0, "and lasts until it is pinned");
    assert!(days[21].0.is_empty(), "pinned on day 21");
    assert_eq!(days[26].0.len(), 1, "the second conflict appears on day 26");
    assert!(days[26].0[0].contains('/'), "a loser's key says where it comes from: {:?}", days[26].0);
    assert!(days[0].1 >= 8, "a few services start without an owner: {}", days[0].1);
    assert!(days[26].1 < days[0].1, "teams claim them over time: {} then {}", days[0].1, days[26].1);
    assert!(days.iter().any(|d| d.2 == 0) && days.iter().any(|d| d.2 > 0), "debug shells come and go");
}
