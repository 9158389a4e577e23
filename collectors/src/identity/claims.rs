//! Two claims on one service name are never merged. Across an
//! organisation, the claims on each name are ranked: a pin beats a catalog
//! file, which beats every convention; on a tie, the claim of the older
//! repository (created earlier on GitHub; in a backfill, first committed
//! earlier) held the name first; then the shallower folder, then path
//! order, so the outcome never depends on listing order.
//!
//! The first keeps `service:<name>`. Every other gets a key that says
//! where it comes from, `service:<repo>/<name>` (or
//! `service:<repo>/<folder>` when its repository claims the name twice),
//! and a [`Conflict`] naming the holder.

use std::collections::{BTreeMap, BTreeSet};

use super::find::Candidate;

/// One repository's claim on a name.
pub struct Claim<'a> {
    pub repo: &'a str,
    pub repo_key: &'a str,
    /// When the repository came to be, in seconds; `None` sorts last.
    pub since: Option<i64>,
    pub candidate: &'a Candidate,
}

/// A claim that lost its name to another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// The name both claim.
    pub name: String,
    pub held_by: String,
    pub holder_repo: String,
    pub holder_path: String,
    /// Why the holder keeps it.
    pub reason: &'static str,
}

/// The key each claim gets, in the order given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assigned {
    pub key: String,
    pub conflict: Option<Conflict>,
}

pub fn service_key(name: &str) -> String {
    crate::keys::service(name)
}

/// Assigns every claim its key.
pub fn assign(claims: &[Claim]) -> Vec<Assigned> {
    let mut by_name: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, claim) in claims.iter().enumerate() {
        by_name.entry(claim.candidate.name.as_str()).or_default().push(i);
    }
    let mut assigned: Vec<Option<Assigned>> = vec![None; claims.len()];
    let mut taken: BTreeSet<String> = claims.iter().map(|c| service_key(&c.candidate.name)).collect();
    for (name, mut indexes) in by_name {
        indexes.sort_by_key(|i| rank(&claims[*i]));
        let holder = &claims[indexes[0]];
        let held_by = service_key(name);
        assigned[indexes[0]] = Some(Assigned { key: held_by.clone(), conflict: None });
        for &i in &indexes[1..] {
            let claim = &claims[i];
            let key = loser_key(claim, &mut taken);
            let conflict = Conflict {
                name: name.to_string(),
                held_by: held_by.clone(),
                holder_repo: holder.repo_key.to_string(),
                holder_path: holder.candidate.folder.clone(),
                reason: reason(holder, claim),
            };
            assigned[i] = Some(Assigned { key, conflict: Some(conflict) });
        }
    }
    assigned.into_iter().map(|a| a.expect("every claim is assigned")).collect()
}

/// Lower ranks first.
fn rank<'a>(claim: &Claim<'a>) -> (u8, i64, &'a str, usize, &'a str) {
    let candidate = claim.candidate;
    let strength = if candidate.pinned() {
        0
    } else if candidate.explicit() {
        1
    } else {
        2
    };
    let depth = candidate.folder.split('/').filter(|s| !s.is_empty()).count();
    (strength, claim.since.unwrap_or(i64::MAX), claim.repo, depth, candidate.folder.as_str())
}

fn reason(holder: &Claim, other: &Claim) -> &'static str {
    let (h, o) = (rank(holder), rank(other));
    if h.0 < o.0 {
        match h.0 {
            0 => "pinned in [identity]",
            _ => "explicit beats convention",
        }
    } else if h.1 < o.1 {
        "older repository"
    } else if holder.repo_key == other.repo_key {
        "shallower folder of the same repository"
    } else {
        "repository name order"
    }
}

fn loser_key(claim: &Claim, taken: &mut BTreeSet<String>) -> String {
    let by_name = service_key(&format!("{}/{}", claim.repo.to_ascii_lowercase(), claim.candidate.name));
    let key = if taken.contains(&by_name) {
        let folder = if claim.candidate.folder.is_empty() { "root" } else { &claim.candidate.folder };
        service_key(&format!("{}/{}", claim.repo.to_ascii_lowercase(), folder))
    } else {
        by_name
    };
    taken.insert(key.clone());
    key
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::{NamedBy, Signal};

    fn candidate(folder: &str, name: &str, named_by: NamedBy) -> Candidate {
        Candidate {
            folder: folder.into(),
            name: name.into(),
            named_by,
            found_by: [Signal::Dockerfile].into(),
            image: None,
            evidence: BTreeSet::new(),
        }
    }

    fn keys(assigned: &[Assigned]) -> Vec<&str> {
        assigned.iter().map(|a| a.key.as_str()).collect()
    }

    #[test]
    fn the_older_repository_keeps_a_name_both_claim_by_convention() {
        let (web, shop) =
            (candidate("frontend", "frontend", NamedBy::Folder), candidate("frontend", "frontend", NamedBy::Folder));
        let claims = [
            Claim { repo: "web", repo_key: "repo:github.com/acme/web", since: Some(200), candidate: &web },
            Claim { repo: "shop", repo_key: "repo:github.com/acme/shop", since: Some(100), candidate: &shop },
        ];
        let assigned = assign(&claims);
        assert_eq!(keys(&assigned), ["service:web/frontend", "service:frontend"]);
        let conflict = assigned[0].conflict.as_ref().unwrap();
        assert_eq!((conflict.holder_repo.as_str(), conflict.reason), ("repo:github.com/acme/shop", "older repository"));
    }

    #[test]
    fn explicit_beats_convention_and_a_pin_beats_both() {
        let (a, b, c) = (
            candidate("frontend", "frontend", NamedBy::Folder),
            candidate("", "frontend", NamedBy::CatalogInfo),
            candidate("ui", "frontend", NamedBy::IdentityPin),
        );
        let claims = [
            Claim { repo: "a", repo_key: "repo:a", since: Some(1), candidate: &a },
            Claim { repo: "b", repo_key: "repo:b", since: Some(2), candidate: &b },
            Claim { repo: "c", repo_key: "repo:c", since: Some(3), candidate: &c },
        ];
        let assigned = assign(&claims);
        assert_eq!(keys(&assigned), ["service:a/frontend", "service:b/frontend", "service:frontend"]);
        assert_eq!(assigned[1].conflict.as_ref().unwrap().reason, "pinned in [identity]");
    }

    #[test]
    fn one_repository_claiming_a_name_twice_keys_the_second_by_folder() {
        let (one, two) =
            (candidate("jobs/worker", "worker", NamedBy::Folder), candidate("api/worker", "worker", NamedBy::Folder));
        let claims = [
            Claim { repo: "platform", repo_key: "repo:p", since: None, candidate: &one },
            Claim { repo: "platform", repo_key: "repo:p", since: None, candidate: &two },
        ];
        // Same depth: path order; `api/worker` keeps the name.
        assert_eq!(keys(&assign(&claims)), ["service:platform/worker", "service:worker"]);
    }
}
