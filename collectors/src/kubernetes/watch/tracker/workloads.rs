//! Workload objects: first sight, scales, pauses, template changes that
//! begin a revision, how a rollout goes, deletions.

use super::events::hpa_target;
use super::*;

impl Tracker {
    pub(super) fn workload(&mut self, resource: Resource, seen: SeenWorkload, now: DateTime<Utc>, listed: bool) {
        if !self.settings.namespaces.follows(&seen.id.namespace) || seen.uid.is_empty() {
            return;
        }
        if let Some(seen_uids) = self.relisting.get_mut(&resource).filter(|_| listed) {
            seen_uids.insert(seen.uid.clone());
        }
        let memory = match self.workloads.remove(&seen.uid) {
            None => self.first_sight(&seen),
            Some(before) if before.resource_version == seen.resource_version => before,
            Some(before) => self.changed(before, &seen, now, listed),
        };
        self.names.insert((seen.id.namespace.clone(), seen.id.kind, seen.id.name.clone()), seen.uid.clone());
        self.out.remember.insert(workload_uid(&seen.uid), Memory::Workload(Box::new(memory.clone())));
        self.workloads.insert(seen.uid.clone(), memory);
        if seen.id.kind == Kind::Deployment {
            let copy = DeploymentCopy { revision: seen.revision, managers: seen.managers.clone() };
            self.deployments.insert(seen.uid.clone(), copy);
            self.release_waiting(|w| w.rs.owner.as_ref() == Some(&seen.uid) && w.rs.revision <= seen.revision, now);
        }
    }

    fn first_sight(&mut self, seen: &SeenWorkload) -> WorkloadMemory {
        if let Some(created) = seen.created.filter(|c| *c >= self.created_since) {
            let actor = seen.managers.spec.as_ref().map(|w| w.manager.clone());
            let details =
                object(&[("replicas", seen.replicas.into()), ("images", seen.template.images.clone().into())]);
            self.push(
                &About::seen(seen),
                format!("{}/created", seen.uid),
                ActionKind::Created,
                created,
                actor,
                details,
            );
        }
        let marker = seen.rollout_marker();
        WorkloadMemory {
            kind: seen.id.kind.as_str().into(),
            namespace: seen.id.namespace.clone(),
            name: seen.id.name.clone(),
            service: seen.service.clone(),
            resource_version: seen.resource_version.clone(),
            replicas: seen.replicas,
            paused: seen.paused,
            template: seen.template.clone(),
            history: Vec::new(),
            rs_revision: 0,
            updated: seen.updated,
            completed: (seen.rollout == Rollout::Complete).then(|| marker.clone()),
            stalled: (seen.rollout == Rollout::Stalled).then_some(marker),
        }
    }

    /// What changed since `before`: each difference one action.
    fn changed(
        &mut self,
        mut before: WorkloadMemory,
        seen: &SeenWorkload,
        now: DateTime<Utc>,
        listed: bool,
    ) -> WorkloadMemory {
        let rv = &seen.resource_version;
        // A live event happened now; a change found by a re-list happened
        // when its writer last wrote, as far as Kubernetes says.
        let when = |write: Option<&crate::kubernetes::watch::actor::Write>| match (listed, write.and_then(|w| w.at)) {
            (true, Some(at)) => at,
            _ => now,
        };
        if seen.replicas != before.replicas && seen.id.kind != Kind::DaemonSet {
            let scaler = seen.managers.scaler();
            let by_autoscaler = scaler
                .is_some_and(|w| w.manager == crate::kubernetes::watch::actor::CONTROLLER_MANAGER)
                || self.hpa_desired(seen) == Some(seen.replicas);
            let details = object(&[
                ("from", before.replicas.into()),
                ("to", seen.replicas.into()),
                ("by", if by_autoscaler { "autoscaler" } else { "person" }.into()),
            ]);
            let actor = scaler.map(|w| w.manager.clone());
            self.push(
                &About::seen(seen),
                format!("{}/{rv}/scale", seen.uid),
                ActionKind::Scale,
                when(scaler),
                actor,
                details,
            );
        }
        if seen.paused != before.paused {
            let kind = if seen.paused { ActionKind::Paused } else { ActionKind::Resumed };
            let actor = seen.managers.spec.as_ref().map(|w| w.manager.clone());
            self.push(
                &About::seen(seen),
                format!("{}/{rv}/{kind}", seen.uid),
                kind,
                when(seen.managers.spec.as_ref()),
                actor,
                object(&[]),
            );
        }
        let template_changed = seen.template.fingerprint != before.template.fingerprint
            || seen.template.restarted_at != before.template.restarted_at;
        // A Deployment's revisions come from its ReplicaSets.
        if seen.id.kind != Kind::Deployment && template_changed {
            let change = template_change(Some(&before.template), &seen.template);
            let writer = seen.managers.template_writer(change, None).or(seen.managers.spec.as_ref());
            self.new_template(&mut before, seen, when(writer), writer.map(|w| w.manager.clone()));
        }
        self.rollout(&mut before, seen, now);
        before.service = seen.service.clone().or(before.service);
        before.resource_version = seen.resource_version.clone();
        before.replicas = seen.replicas;
        before.paused = seen.paused;
        before.updated = seen.updated;
        before
    }

    /// A StatefulSet's or DaemonSet's new revision.
    fn new_template(
        &mut self,
        before: &mut WorkloadMemory,
        seen: &SeenWorkload,
        at: DateTime<Utc>,
        actor: Option<String>,
    ) {
        let kind = if before.history.iter().any(|t| t.fingerprint == seen.template.fingerprint) {
            ActionKind::Rollback
        } else {
            revision_kind(Some(&before.template), &seen.template)
        };
        let mut details = revision_details(&seen.template, Some(&before.template));
        details.insert("generation".into(), seen.generation.into());
        self.push(&About::seen(seen), format!("{}/gen{}/{kind}", seen.uid, seen.generation), kind, at, actor, details);
        let earlier = std::mem::replace(&mut before.template, seen.template.clone());
        before.push_history(earlier);
    }

    /// Progress, completion and stalls of the current rollout.
    fn rollout(&mut self, before: &mut WorkloadMemory, seen: &SeenWorkload, now: DateTime<Utc>) {
        let marker = seen.rollout_marker();
        let open = before.completed.as_deref() != Some(marker.as_str());
        let progress = object(&[
            ("updated", seen.updated.into()),
            ("desired", seen.replicas.into()),
            ("rollout", marker.clone().into()),
        ]);
        match seen.rollout {
            Rollout::Progressing if open && seen.updated > before.updated => {
                let key = format!("{}/{}/progressed", seen.uid, seen.resource_version);
                self.push(&About::seen(seen), key, ActionKind::RolloutProgressed, now, None, progress);
            }
            Rollout::Complete if open => {
                let key = format!("{}/{marker}/completed", seen.uid);
                self.push(&About::seen(seen), key, ActionKind::RolloutCompleted, now, None, progress);
                before.completed = Some(marker);
            }
            Rollout::Stalled if before.stalled.as_deref() != Some(marker.as_str()) => {
                let key = format!("{}/{marker}/stalled", seen.uid);
                self.push(&About::seen(seen), key, ActionKind::RolloutStalled, now, None, progress);
                before.stalled = Some(marker);
            }
            _ => {}
        }
    }

    fn hpa_desired(&self, seen: &SeenWorkload) -> Option<i64> {
        let target = (seen.id.namespace.clone(), seen.id.kind.as_str().to_string(), seen.id.name.clone());
        self.hpas.get(&target).copied()
    }

    pub(super) fn deleted(&mut self, object: Object, now: DateTime<Utc>) {
        match object {
            Object::Deployment(d) => {
                self.workload_gone(d.metadata.uid.as_deref(), d.metadata.deletion_timestamp.map(|t| t.0), now)
            }
            Object::StatefulSet(s) => {
                self.workload_gone(s.metadata.uid.as_deref(), s.metadata.deletion_timestamp.map(|t| t.0), now)
            }
            Object::DaemonSet(d) => {
                self.workload_gone(d.metadata.uid.as_deref(), d.metadata.deletion_timestamp.map(|t| t.0), now)
            }
            Object::ReplicaSet(rs) => {
                if let Some(known) = rs.metadata.uid.as_ref().and_then(|uid| self.replica_sets.remove(uid)) {
                    self.replica_set_names.remove(&(known.namespace, known.name));
                }
            }
            Object::Hpa(hpa) => {
                if let Some(target) = hpa_target(&hpa) {
                    self.hpas.remove(&target);
                }
            }
            Object::Event(event) => {
                if let Some(uid) = event.metadata.uid.as_ref() {
                    if self.events.remove(uid).is_some() {
                        self.out.forget.insert(event_uid(uid));
                        self.out.remember.remove(&event_uid(uid));
                    }
                }
            }
        }
    }

    pub(super) fn workload_gone(&mut self, uid: Option<&str>, at: Option<DateTime<Utc>>, now: DateTime<Utc>) {
        let Some(uid) = uid else { return };
        let Some(memory) = self.workloads.remove(uid) else { return };
        self.deployments.remove(uid);
        self.waiting.retain(|w| w.rs.owner.as_deref() != Some(uid));
        let Some(about) = About::remembered(&memory) else { return };
        self.names.remove(&(about.id.namespace.clone(), about.id.kind, about.id.name.clone()));
        let details = object(&[("replicas", memory.replicas.into())]);
        self.push(&about, format!("{uid}/deleted"), ActionKind::Deleted, at.unwrap_or(now), None, details);
        self.out.remember.remove(&workload_uid(uid));
        self.out.forget.insert(workload_uid(uid));
    }
}
