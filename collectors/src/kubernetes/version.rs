//! Which container is a workload's main one, and which version it runs:
//! the `version` the rest of SPoT reads (deploy history, deployed
//! versions), decided the same way for a workload and for each of its
//! rollouts.

use std::collections::{BTreeMap, BTreeSet};

use super::model::Container;

/// The version of an image with neither tag nor digest: what the runtime pulls.
pub const IMPLICIT_TAG: &str = "latest";

/// The main container: the one `kubectl.kubernetes.io/default-container`
/// names, else the one named like the service, else the first that is not
/// a known sidecar, else the first.
pub fn main_container(
    containers: &[Container],
    default_container: Option<&str>,
    service: Option<&str>,
    sidecars: &BTreeSet<String>,
) -> Option<usize> {
    let position = |name: &str| containers.iter().position(|c| c.name == name);
    default_container
        .and_then(position)
        .or_else(|| service.and_then(position))
        .or_else(|| containers.iter().position(|c| !sidecars.contains(&c.name)))
        .or(if containers.is_empty() { None } else { Some(0) })
}

/// The version an image runs: its tag, else its digest, else the digest
/// most pods run (ties to the smallest), else `latest`.
pub fn version_of(container: &Container, running: Option<&BTreeMap<String, u64>>) -> String {
    if let Some(tag) = container.tag() {
        return tag.to_string();
    }
    if let Some(digest) = container.digest() {
        return digest.to_string();
    }
    match running.and_then(majority) {
        Some(digest) => digest.to_string(),
        None => IMPLICIT_TAG.to_string(),
    }
}

/// The value with the most votes, ties to the smallest.
pub(super) fn majority(votes: &BTreeMap<String, u64>) -> Option<&str> {
    votes.iter().max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0))).map(|(v, _)| v.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kubernetes::testing::rules;

    #[test]
    fn the_main_container_skips_sidecars() {
        let sidecars = rules().sidecars;
        let cs = [
            Container::new("istio-proxy", "istio/proxyv2:1.20"),
            Container::new("api", "acme/api:2"),
            Container::new("billing", "acme/billing:3"),
        ];
        assert_eq!(main_container(&cs, None, None, &sidecars), Some(1), "first non-sidecar");
        assert_eq!(main_container(&cs, None, Some("billing"), &sidecars), Some(2), "named like the service");
        assert_eq!(
            main_container(&cs, Some("istio-proxy"), Some("billing"), &sidecars),
            Some(0),
            "the default container"
        );
        assert_eq!(main_container(&cs[..1], None, None, &sidecars), Some(0), "only sidecars: the first");
        assert_eq!(main_container(&[], None, None, &sidecars), None);
    }

    #[test]
    fn versions_are_tags_then_digests_then_what_pods_run() {
        let digest = "sha256:482ead44b2203fa32b3390abdaf97cbdc8ad15c07fb03a3e68d7c35a19ad7595";
        assert_eq!(version_of(&Container::new("a", "nginx:1.25"), None), "1.25");
        assert_eq!(version_of(&Container::new("a", &format!("nginx:1.25@{digest}")), None), "1.25");
        assert_eq!(version_of(&Container::new("a", &format!("nginx@{digest}")), None), digest);
        assert_eq!(version_of(&Container::new("a", "nginx"), None), "latest");
        let running = BTreeMap::from([
            ("sha256:bbbb".to_string(), 2),
            ("sha256:aaaa".to_string(), 2),
            ("sha256:cccc".to_string(), 1),
        ]);
        assert_eq!(
            version_of(&Container::new("a", "nginx"), Some(&running)),
            "sha256:aaaa",
            "most pods, ties to the smallest"
        );
    }
}
