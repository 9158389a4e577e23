//! The watch of one cluster: six kube watchers merged into one stream, fed
//! to a [`Tracker`], committed to an [`ActionSink`] every `commit_ms`. A
//! commit that fails is kept and tried again with the next, so nothing is
//! lost while the store is away; a cluster that is down is retried by each
//! watcher's back-off, and holds up no other cluster (each has its task).

use std::fmt::Debug;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use futures_util::stream::{select_all, BoxStream};
use futures_util::StreamExt;
use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::events::v1::Event as K8sEvent;
use kube::runtime::watcher::{self, Event};
use kube::runtime::WatchStreamExt;
use kube::Api;
use serde::de::DeserializeOwned;

use super::tracker::{Change, Namespaces, Object, Resource, Tracker, TrackerSettings};
use super::ActionSink;
use crate::action::ActionBatch;
use crate::kubernetes::client::watch_client;
use crate::kubernetes::model::Rules;
use crate::kubernetes::{ClusterConfig, Config};

/// The longest wait between two attempts to start a cluster's watch.
const MAX_RESTART_WAIT: Duration = Duration::from_secs(60);

/// Watches `cluster` until `stop` turns true, then commits what it holds.
pub async fn watch_cluster<S: ActionSink>(
    cluster: ClusterConfig,
    config: Config,
    sink: Arc<S>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut wait = Duration::from_secs(1);
    loop {
        if *stop.borrow() {
            return;
        }
        match start(&cluster, &config, sink.as_ref()).await {
            Ok((client, tracker)) => {
                tracing::info!(kubernetes.cluster = %cluster.name, "watching the cluster");
                follow(&cluster.name, &config, client, tracker, sink.as_ref(), &mut stop).await;
                return;
            }
            Err(problem) => {
                tracing::warn!(kubernetes.cluster = %cluster.name, error = %problem, retry_in_s = wait.as_secs(), "cannot start the watch");
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = stop.changed() => return,
                }
                wait = (wait * 2).min(MAX_RESTART_WAIT);
            }
        }
    }
}

/// The cluster's client and a tracker resuming from the store's memory.
async fn start<S: ActionSink>(
    cluster: &ClusterConfig,
    config: &Config,
    sink: &S,
) -> Result<(kube::Client, Tracker), String> {
    let client = watch_client(cluster, &config.http).await.map_err(|e| e.to_string())?;
    let remembered = sink.remembered(&cluster.name).await?;
    let first = remembered.is_empty();
    let tracker = Tracker::new(settings(cluster, config), remembered, Utc::now());
    if first {
        tracing::info!(kubernetes.cluster = %cluster.name, "first watch of the cluster: its ReplicaSets are adopted as history; today's new workloads and the events it holds are backfilled");
    }
    Ok((client, tracker))
}

fn settings(cluster: &ClusterConfig, config: &Config) -> TrackerSettings {
    TrackerSettings {
        cluster: cluster.name.clone(),
        rules: Rules {
            service_annotation: config.service_annotation.clone(),
            sidecars: config.sidecar_containers.iter().cloned().collect(),
            service_from_image: config.service_from_image,
        },
        namespaces: Namespaces {
            only: config.namespaces.iter().cloned().collect(),
            except: config.exclude_namespaces.iter().cloned().collect(),
        },
        warning_window: chrono::Duration::minutes(i64::from(config.watch.warning_window_minutes.max(1))),
    }
}

async fn follow<S: ActionSink>(
    cluster: &str,
    config: &Config,
    client: kube::Client,
    mut tracker: Tracker,
    sink: &S,
    stop: &mut tokio::sync::watch::Receiver<bool>,
) {
    let mut events = streams(client, config.page_size);
    let mut tick = tokio::time::interval(Duration::from_millis(config.watch.commit_ms.max(1)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut unsent = ActionBatch::default();
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            item = events.next() => match item {
                Some((resource, Ok(change))) => tracker.apply(resource, change, Utc::now()),
                Some((resource, Err(problem))) => {
                    tracing::warn!(kubernetes.cluster = %cluster, kubernetes.resource = resource.as_str(), error = %problem, "watch failed; retrying with back-off");
                }
                None => break,
            },
            _ = tick.tick() => commit(cluster, &mut tracker, &mut unsent, sink).await,
        }
    }
    commit(cluster, &mut tracker, &mut unsent, sink).await;
    if !unsent.is_empty() {
        tracing::error!(kubernetes.cluster = %cluster, actions = unsent.actions.len(), "stopping with actions the store did not take; the next start finds them again by comparing with its memory");
    }
}

/// Commits what the tracker holds, with whatever an earlier failed commit
/// left.
async fn commit<S: ActionSink>(cluster: &str, tracker: &mut Tracker, unsent: &mut ActionBatch, sink: &S) {
    tracker.retry_unresolved(Utc::now());
    tracker.release_overdue(Utc::now());
    if tracker.has_changes() {
        let batch = tracker.take(Utc::now());
        unsent.actions.extend(batch.actions);
        unsent.remember.extend(batch.remember);
        unsent.forget.extend(batch.forget);
    }
    if unsent.is_empty() {
        return;
    }
    match sink.record(unsent.clone()).await {
        Ok(recorded) => {
            tracing::debug!(kubernetes.cluster = %cluster, inserted = recorded.inserted, counted = recorded.counted, already = recorded.already, "committed actions");
            *unsent = ActionBatch::default();
        }
        Err(problem) => {
            tracing::warn!(kubernetes.cluster = %cluster, actions = unsent.actions.len(), error = %problem, "could not commit actions; trying again with the next commit");
        }
    }
}

type Events = BoxStream<'static, (Resource, Result<Change, String>)>;

/// Every watched resource's events, as they come.
fn streams(client: kube::Client, page_size: u32) -> Events {
    let config = watcher::Config::default().page_size(page_size.max(1));
    select_all([
        stream::<Deployment>(&client, &config, Resource::Deployments, |o| Object::Deployment(Box::new(o))),
        stream::<StatefulSet>(&client, &config, Resource::StatefulSets, |o| Object::StatefulSet(Box::new(o))),
        stream::<DaemonSet>(&client, &config, Resource::DaemonSets, |o| Object::DaemonSet(Box::new(o))),
        stream::<ReplicaSet>(&client, &config, Resource::ReplicaSets, |o| Object::ReplicaSet(Box::new(o))),
        stream::<HorizontalPodAutoscaler>(&client, &config, Resource::Hpas, |o| Object::Hpa(Box::new(o))),
        stream::<K8sEvent>(&client, &config, Resource::Events, |o| Object::Event(Box::new(o))),
    ])
    .boxed()
}

fn stream<K>(client: &kube::Client, config: &watcher::Config, resource: Resource, wrap: fn(K) -> Object) -> Events
where
    K: kube::Resource<DynamicType = ()> + Clone + DeserializeOwned + Debug + Send + 'static,
{
    watcher::watcher(Api::<K>::all(client.clone()), config.clone())
        .default_backoff()
        .map(move |item| {
            let change = item.map_err(|e| e.to_string()).map(|event| match event {
                Event::Init => Change::Init,
                Event::InitApply(o) => Change::Listed(wrap(o)),
                Event::InitDone => Change::InitDone,
                Event::Apply(o) => Change::Applied(wrap(o)),
                Event::Delete(o) => Change::Deleted(wrap(o)),
            });
            (resource, change)
        })
        .boxed()
}
