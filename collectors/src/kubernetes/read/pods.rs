//! Pods summed up per workload: which workload a pod belongs to (its
//! controller; a CronJob's pods through their Job's name), its phase,
//! readiness, restarts and node, and the digests its containers run; and
//! the zone of each node.

use k8s_openapi::api::core::v1::{Node, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;

use super::meta::named;
use super::ReadError;
use crate::image::{running_digest, ImageRef};
use crate::kubernetes::model::{Container, PodStats};

/// The zone label every cloud provider sets on nodes.
pub const ZONE_LABEL: &str = "topology.kubernetes.io/zone";

/// The controller that owns an object (`controller: true`), as (kind, name).
pub fn controller_of(owners: Option<&Vec<OwnerReference>>) -> Option<(&str, &str)> {
    owners?.iter().find(|o| o.controller == Some(true)).map(|o| (o.kind.as_str(), o.name.as_str()))
}

/// What one pod adds to its workload's stats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodReading {
    pub namespace: String,
    /// The controller: (kind, name).
    pub owner: Option<(String, String)>,
    pub node: Option<String>,
    pub phase: String,
    pub ready: bool,
    pub restarts: u64,
    /// Container name → (tag it reports, digest it runs).
    pub running: Vec<(String, Option<String>, String)>,
}

pub fn read_pod(pod: &Pod) -> Result<PodReading, ReadError> {
    let (namespace, _) = named(&pod.metadata, "Pod")?;
    let status = pod.status.as_ref();
    let ready = status
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"));
    let statuses =
        status.map(|s| s.container_statuses.iter().flatten().chain(s.init_container_statuses.iter().flatten()));
    let restarts = statuses.map(|all| all.map(|c| u64::try_from(c.restart_count).unwrap_or(0)).sum()).unwrap_or(0);
    let running = status
        .and_then(|s| s.container_statuses.as_ref())
        .map(|cs| {
            cs.iter()
                .filter_map(|c| {
                    let digest = running_digest(&c.image_id)?;
                    let tag = ImageRef::parse(&c.image).and_then(|r| r.tag);
                    Some((c.name.clone(), tag, digest))
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(PodReading {
        namespace,
        owner: controller_of(pod.metadata.owner_references.as_ref()).map(|(k, n)| (k.to_string(), n.to_string())),
        node: pod.spec.as_ref().and_then(|s| s.node_name.clone()).filter(|n| !n.is_empty()),
        phase: status.and_then(|s| s.phase.clone()).unwrap_or_else(|| "Unknown".into()),
        ready,
        restarts,
        running,
    })
}

/// The CronJob a Job belongs to, by the name the CronJob controller gives
/// its Jobs: `<cronjob>-<scheduled time in minutes>`.
pub fn cron_job_of_job(job: &str) -> Option<&str> {
    let (prefix, suffix) = job.rsplit_once('-')?;
    (!prefix.is_empty() && !suffix.is_empty() && suffix.bytes().all(|b| b.is_ascii_digit())).then_some(prefix)
}

impl PodStats {
    /// Adds one pod. `zone` is its node's zone, when nodes could be read;
    /// `containers` are the workload's, so that only digests of pods
    /// running the spec's tag count.
    pub fn add(&mut self, pod: &PodReading, zone: Option<&str>, containers: &[Container]) {
        self.total += 1;
        match pod.phase.as_str() {
            "Running" => self.running += 1,
            "Pending" => self.pending += 1,
            "Succeeded" => self.succeeded += 1,
            "Failed" => self.failed += 1,
            _ => self.unknown += 1,
        }
        self.ready += u64::from(pod.ready);
        self.restarts += pod.restarts;
        if let Some(node) = &pod.node {
            self.nodes.insert(node.clone());
        }
        if let Some(zone) = zone {
            self.zones.insert(zone.to_string());
        }
        for (name, tag, digest) in &pod.running {
            let Some(spec) = containers.iter().find(|c| &c.name == name) else { continue };
            if spec.digest().is_some() || spec.tag() != tag.as_deref() {
                continue; // pinned already, or an older image mid-rollout
            }
            *self.digests.entry(name.clone()).or_default().entry(digest.clone()).or_default() += 1;
        }
    }
}

/// A node's zone label.
pub fn zone_of(node: &Node) -> Option<(String, Option<String>)> {
    let name = node.metadata.name.clone()?;
    let zone = node.metadata.labels.as_ref().and_then(|l| l.get(ZONE_LABEL)).cloned();
    Some((name, zone))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kubernetes::testing::recorded;

    #[test]
    fn cron_jobs_are_found_from_their_jobs_names() {
        assert_eq!(cron_job_of_job("backup-28934470"), Some("backup"));
        assert_eq!(cron_job_of_job("nightly-report-28934470"), Some("nightly-report"));
        assert_eq!(cron_job_of_job("migrate-v2"), None);
        assert_eq!(cron_job_of_job("28934470"), None);
    }

    #[test]
    fn pod_digests_count_only_for_the_spec_tag() {
        let containers = [
            Container::new("web", "nginx:1.25"),
            Container::new("pinned", "redis@sha256:0000000000000000000000000000000000000000000000000000000000000000"),
        ];
        let pod = |tag: &str| PodReading {
            namespace: "ns".into(),
            owner: None,
            node: Some("n1".into()),
            phase: "Running".into(),
            ready: true,
            restarts: 2,
            running: vec![
                (
                    "web".into(),
                    Some(tag.into()),
                    "sha256:1111111111111111111111111111111111111111111111111111111111111111".into(),
                ),
                (
                    "pinned".into(),
                    None,
                    "sha256:2222222222222222222222222222222222222222222222222222222222222222".into(),
                ),
            ],
        };
        let mut stats = PodStats::default();
        stats.add(&pod("1.25"), Some("z1"), &containers);
        stats.add(&pod("1.24"), None, &containers);
        assert_eq!((stats.total, stats.running, stats.ready, stats.restarts), (2, 2, 2, 4));
        assert_eq!(stats.digests.len(), 1, "the pinned container needs no running digest");
        assert_eq!(stats.digests["web"].values().sum::<u64>(), 1, "the pod on the old tag is not counted");
        assert_eq!(stats.zones.iter().collect::<Vec<_>>(), ["z1"]);
    }

    #[test]
    fn a_recorded_pod_with_a_native_sidecar_counts_every_restart_and_its_digest() {
        let pod: Pod = recorded(include_str!("../../../tests/fixtures/kubernetes/po_sidecar.json"));
        let reading = read_pod(&pod).unwrap();
        assert_eq!(
            (
                reading.namespace.as_str(),
                reading.node.as_deref(),
                reading.phase.as_str(),
                reading.ready,
                reading.restarts
            ),
            ("default", Some("kind-control-plane"), "Running", true, 0)
        );
        assert_eq!(reading.owner, None, "a bare pod");
        assert_eq!(
            reading.running,
            [(
                "sleep".to_string(),
                Some("latest".to_string()),
                "sha256:61673929bc39a86dca7d978b27fc632d3e590bc59cd8b2f386408751d007c91e".to_string()
            )],
            "init containers' digests are not the workload's"
        );
    }
}
