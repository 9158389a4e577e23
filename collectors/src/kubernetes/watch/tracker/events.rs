//! Autoscalers (so a scale inside its range is not an action) and Warning
//! events (crash loops and the like), each found its workload.

use super::*;

impl Tracker {
    pub(super) fn hpa(&mut self, hpa: &HorizontalPodAutoscaler) {
        if let Some(target) = hpa_target(hpa) {
            let desired = hpa.status.as_ref().map_or(0, |s| i64::from(s.desired_replicas));
            self.hpas.insert(target, desired);
        }
    }

    pub(super) fn event(&mut self, event: &Event, listed: bool) {
        let Some(uid) = event.metadata.uid.clone() else { return };
        if listed {
            if let Some(seen) = self.relisting.get_mut(&Resource::Events) {
                seen.insert(uid.clone());
            }
        }
        let Some(warning) = warnings::read(event) else { return };
        if !self.settings.namespaces.follows(&warning.namespace) {
            return;
        }
        let before = self.events.get(&uid).copied().unwrap_or(0);
        if warning.count <= before {
            return;
        }
        let Some(owner) = self.owner_of(&warning.namespace, &warning.regarding_kind, &warning.regarding_name) else {
            if self.unresolved.len() >= MAX_UNRESOLVED {
                self.unresolved.pop_front();
            }
            self.unresolved.push_back(event.clone());
            return;
        };
        let Some(about) = self.workloads.get(&owner).and_then(About::remembered) else { return };
        // First seen: what it counts began at its first occurrence. Seen
        // before: what it adds happened after the last count was taken, so
        // the latest occurrence is all that is known of it.
        let at = if before == 0 { warning.first } else { warning.last };
        let window = self.settings.warning_window.num_milliseconds().max(1);
        let start = at.timestamp_millis().div_euclid(window) * window;
        let key = format!("{owner}/{}/{start}", warning.kind);
        let details = object(&[
            ("reason", warning.reason.clone().into()),
            ("message", warning.message.clone().into()),
            ("object", format!("{}/{}", warning.regarding_kind, warning.regarding_name).into()),
        ]);
        let mut action = self.action(&about, key, warning.kind, at, warning.actor.clone(), details);
        action.count = warning.count - before;
        action.last_at = warning.last;
        self.out.actions.push(action);
        self.events.insert(uid.clone(), warning.count);
        self.out.remember.insert(
            event_uid(&uid),
            Memory::Event(crate::kubernetes::watch::memory::EventMemory { count: warning.count }),
        );
    }

    /// Tries again the warning events whose workload was not known, if
    /// ReplicaSets arrived since (the run loop calls it before each commit).
    pub fn retry_unresolved(&mut self, now: DateTime<Utc>) {
        if !std::mem::take(&mut self.new_replica_sets) {
            return;
        }
        for event in std::mem::take(&mut self.unresolved) {
            let recent = warnings::read(&event).is_some_and(|w| w.last > now - UNRESOLVED_FOR);
            if recent {
                self.event(&event, false);
            }
        }
    }

    /// The workload (uid) an event's object belongs to: a pod by its name
    /// (`<replicaset>-<suffix>`, `<statefulset>-<ordinal>`,
    /// `<daemonset>-<suffix>`), a ReplicaSet by its owner, a workload itself.
    fn owner_of(&self, namespace: &str, kind: &str, name: &str) -> Option<String> {
        let named = |kind: Kind, name: &str| self.names.get(&(namespace.to_string(), kind, name.to_string())).cloned();
        let replica_set_owner = |name: &str| {
            let uid = self.replica_set_names.get(&(namespace.to_string(), name.to_string()))?;
            self.replica_sets.get(uid).map(|rs| rs.owner.clone())
        };
        match kind {
            "Pod" => {
                let (prefix, _) = name.rsplit_once('-')?;
                replica_set_owner(prefix)
                    .or_else(|| named(Kind::StatefulSet, prefix))
                    .or_else(|| named(Kind::DaemonSet, prefix))
            }
            "ReplicaSet" => replica_set_owner(name),
            other => named(Kind::parse(other)?, name),
        }
    }
}

pub(super) fn hpa_target(hpa: &HorizontalPodAutoscaler) -> Option<(String, String, String)> {
    let namespace = hpa.metadata.namespace.clone()?;
    let target = &hpa.spec.as_ref()?.scale_target_ref;
    Some((namespace, target.kind.clone(), target.name.clone()))
}
