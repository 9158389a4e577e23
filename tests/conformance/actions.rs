//! Actions on workloads and the Kubernetes watch's memory: append-only,
//! each action once by (cluster, key), warnings adding up in their window,
//! memory written with the actions it explains.

use chrono::{DateTime, TimeZone, Utc};
use serde_json::{json, Map, Value};
use spot::model::{Action, ActionBatch, ActionFilter, ActionKind, ActionsRecorded, Remembered};

use super::Harness;

fn at(minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 3, 14, minute, 0).unwrap()
}

fn action(cluster: &str, key: &str, kind: ActionKind, minute: u32) -> Action {
    Action {
        key: key.into(),
        cluster: cluster.into(),
        namespace: "shop".into(),
        workload: format!("workload:{cluster}/shop/Deployment/checkout"),
        service: Some("service:checkout".into()),
        kind,
        at: at(minute),
        last_at: at(minute),
        count: 1,
        actor: Some("kubectl-rollout".into()),
        details: details(json!({ "revision": 7 })),
    }
}

fn details(value: Value) -> Map<String, Value> {
    value.as_object().unwrap().clone()
}

fn batch(actions: Vec<Action>) -> ActionBatch {
    ActionBatch { actions, ..ActionBatch::default() }
}

fn window() -> ActionFilter {
    ActionFilter::between(at(0), at(59), 100)
}

fn keys(actions: &[Action]) -> Vec<&str> {
    actions.iter().map(|a| a.key.as_str()).collect()
}

pub async fn actions_are_recorded_once_and_read_newest_first(h: &impl Harness) {
    let fixture = h.fresh();
    let store = &fixture.store;
    let first = batch(vec![
        action("dc1", "u1/rev7/rollout_started", ActionKind::RolloutStarted, 2),
        action("dc1", "u1/901/scale", ActionKind::Scale, 5),
        action("dc2", "u1/rev7/rollout_started", ActionKind::RolloutStarted, 3),
    ]);
    let recorded = store.record_actions(&first).await.unwrap();
    assert_eq!(recorded, ActionsRecorded { inserted: 3, counted: 0, already: 0 });

    // Read again after a restart or a re-list: the same facts, not new ones.
    let mut again = first.clone();
    again.actions[1].details = details(json!({ "from": 1, "to": 9 }));
    let recorded = store.record_actions(&again).await.unwrap();
    assert_eq!(recorded, ActionsRecorded { inserted: 0, counted: 0, already: 3 });

    let all = store.actions(&window()).await.unwrap();
    assert_eq!(keys(&all), ["u1/901/scale", "u1/rev7/rollout_started", "u1/rev7/rollout_started"], "newest first");
    assert_eq!(all[0], first.actions[1], "the first record stays as it was, every field");
    assert_eq!((all[1].cluster.as_str(), all[2].cluster.as_str()), ("dc2", "dc1"));
}

pub async fn actions_filter_by_service_workload_cluster_kind_and_time(h: &impl Harness) {
    let fixture = h.fresh();
    let store = &fixture.store;
    let mut other = action("dc1", "u2/1/scale", ActionKind::Scale, 10);
    other.workload = "workload:dc1/shop/Deployment/cart".into();
    other.service = None;
    store
        .record_actions(&batch(vec![
            action("dc1", "u1/rev7/rollout_started", ActionKind::RolloutStarted, 2),
            action("dc1", "u1/rev7/rollout_completed", ActionKind::RolloutCompleted, 9),
            action("dc2", "u1/rev7/rollout_started", ActionKind::RolloutStarted, 3),
            other,
        ]))
        .await
        .unwrap();

    let of_service = store.actions(&ActionFilter { service: Some("service:checkout".into()), ..window() }).await;
    assert_eq!(of_service.unwrap().len(), 3, "the unattributed workload is not the service's");
    let of_workload =
        store.actions(&ActionFilter { workload: Some("workload:dc1/shop/Deployment/cart".into()), ..window() }).await;
    assert_eq!(keys(&of_workload.unwrap()), ["u2/1/scale"]);
    let in_dc2 = store.actions(&ActionFilter { cluster: Some("dc2".into()), ..window() }).await.unwrap();
    assert_eq!(in_dc2.len(), 1);
    let started = ActionFilter { kinds: vec![ActionKind::RolloutStarted, ActionKind::Scale], ..window() };
    assert_eq!(store.actions(&started).await.unwrap().len(), 3);
    let half_open = ActionFilter::between(at(3), at(9), 100);
    let between = store.actions(&half_open).await.unwrap();
    assert_eq!(keys(&between), ["u1/rev7/rollout_started"], "[3, 9): minute 3 in, minute 9 out");
    let newest = store.actions(&ActionFilter { limit: 2, ..window() }).await.unwrap();
    assert_eq!(keys(&newest), ["u2/1/scale", "u1/rev7/rollout_completed"], "the limit keeps the newest");
}

pub async fn warnings_add_up_in_their_window(h: &impl Harness) {
    let fixture = h.fresh();
    let store = &fixture.store;
    let mut first = action("dc1", "u1/crash_loop/0", ActionKind::CrashLoop, 1);
    first.count = 3;
    first.details = details(json!({ "reason": "BackOff", "message": "first" }));
    store.record_actions(&batch(vec![first.clone()])).await.unwrap();
    let mut later = first.clone();
    later.at = at(7);
    later.last_at = at(7);
    later.count = 2;
    later.details = details(json!({ "reason": "BackOff", "message": "latest" }));
    let recorded = store.record_actions(&batch(vec![later])).await.unwrap();
    assert_eq!(recorded, ActionsRecorded { inserted: 0, counted: 1, already: 0 });

    let read = store.actions(&window()).await.unwrap();
    assert_eq!(read.len(), 1, "one row per workload and window");
    assert_eq!((read[0].count, read[0].at, read[0].last_at), (5, at(1), at(7)));
    assert_eq!(read[0].details["message"], "latest");
}

pub async fn the_watch_memory_is_kept_per_cluster_with_its_actions(h: &impl Harness) {
    let fixture = h.fresh();
    let store = &fixture.store;
    let memory = |cluster: &str, uid: &str, replicas: u32| Remembered {
        cluster: cluster.into(),
        uid: uid.into(),
        state: json!({ "replicas": replicas, "images": ["shop/checkout:1.4.2"] }),
    };
    let first = ActionBatch {
        actions: vec![action("dc1", "u1/1/scale", ActionKind::Scale, 1)],
        remember: vec![memory("dc1", "u1", 4), memory("dc1", "u2", 1), memory("dc2", "u1", 6)],
        forget: vec![],
    };
    store.record_actions(&first).await.unwrap();
    let second = ActionBatch {
        actions: vec![],
        remember: vec![memory("dc1", "u1", 12)],
        forget: vec![("dc1".into(), "u2".into()), ("dc1".into(), "never-seen".into())],
    };
    store.record_actions(&second).await.unwrap();

    assert_eq!(store.remembered("dc1").await.unwrap(), vec![memory("dc1", "u1", 12)], "replaced, and forgotten");
    assert_eq!(store.remembered("dc2").await.unwrap(), vec![memory("dc2", "u1", 6)], "another cluster's own");
    assert!(store.remembered("dc9").await.unwrap().is_empty());
}

pub async fn retention_drops_actions_by_their_last_occurrence(h: &impl Harness) {
    let fixture = h.fresh();
    let store = &fixture.store;
    let mut warning = action("dc1", "u1/crash_loop/0", ActionKind::CrashLoop, 1);
    warning.last_at = at(30);
    store.record_actions(&batch(vec![action("dc1", "u1/1/scale", ActionKind::Scale, 2), warning])).await.unwrap();
    assert_eq!(store.prune_actions(at(10)).await.unwrap(), 1);
    assert_eq!(keys(&store.actions(&window()).await.unwrap()), ["u1/crash_loop/0"], "still occurring at minute 30");
}

pub async fn a_bad_window_of_actions_is_refused(h: &impl Harness) {
    let fixture = h.fresh();
    let backwards = store_error(fixture.store.actions(&ActionFilter::between(at(9), at(1), 10)).await);
    assert!(backwards.contains("ends") && backwards.contains("before it starts"), "{backwards}");
    let huge = store_error(fixture.store.actions(&ActionFilter::between(at(1), at(9), 1_000_000)).await);
    assert!(huge.contains("at most 10000 actions"), "{huge}");
}

fn store_error<T: std::fmt::Debug>(result: Result<T, spot::StoreError>) -> String {
    result.unwrap_err().to_string()
}

pub async fn actions_and_the_watch_memory_move_with_an_export(h: &impl Harness) {
    let (from, to) = (h.fresh(), h.fresh());
    let mut warning = action("dc1", "u1/crash_loop/0", ActionKind::CrashLoop, 1);
    warning.count = 7;
    let memory =
        Remembered { cluster: "dc1".into(), uid: "w/u1".into(), state: json!({ "of": "workload", "replicas": 4 }) };
    let batch = ActionBatch {
        actions: vec![action("dc1", "u1/1/scale", ActionKind::Scale, 2), warning],
        remember: vec![memory.clone()],
        forget: vec![],
    };
    from.store.record_actions(&batch).await.unwrap();

    let (sink, mut records) = tokio::sync::mpsc::channel(64);
    from.store.export(sink).await.unwrap();
    let (feed, incoming) = tokio::sync::mpsc::channel(64);
    let forward = tokio::spawn(async move {
        while let Some(record) = records.recv().await {
            feed.send(Ok(record)).await.unwrap();
        }
    });
    let imported = to.store.import(incoming).await.unwrap();
    forward.await.unwrap();
    assert_eq!((imported.actions, imported.watch_memory), (2, 1));
    assert_eq!(to.store.actions(&window()).await.unwrap(), from.store.actions(&window()).await.unwrap());
    assert_eq!(to.store.remembered("dc1").await.unwrap(), vec![memory]);
}
