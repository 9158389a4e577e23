//! The Kubernetes watch end to end: a stand-in API server that lists and
//! watches (`collectors::kubernetes::fake`), scripted through scales,
//! rollouts, restarts, stalls, rollbacks, pauses and crash loops; the watch
//! of `spot serve` committing into a real SQLite store; and the actions it
//! recorded, checked exactly — across a restart of SPoT and a `410 Gone`.

#[path = "support/watch.rs"]
mod watch_support;

#[path = "support/graphql.rs"]
#[allow(dead_code)] // each test binary uses its part
mod graphql;

use std::time::Duration;

use chrono::{DateTime, Utc};
use collectors::kubernetes::fake::FakeApi;
use collectors::kubernetes::fake_objects::*;
use serde_json::{json, Value};
use spot::model::{Action, ActionKind};
use watch_support::{cluster, kinds};

fn yesterday() -> DateTime<Utc> {
    Utc::now() - chrono::Duration::days(1) - chrono::Duration::hours(1)
}

/// `checkout` with 4 replicas of 1.4.2 since yesterday, and its ReplicaSet.
fn checkout(api: &FakeApi) -> (Value, Value) {
    let deployment =
        deployment("shop", "checkout", "d-checkout", "registry.example.com/shop/checkout:1.4.2", 4, yesterday());
    let first = replica_set(&deployment, "rs-1", 1, yesterday());
    api.apply(DEPLOYMENTS, deployment.clone());
    api.apply(REPLICASETS, first.clone());
    (deployment, first)
}

fn detail<'a>(action: &'a Action, name: &str) -> &'a Value {
    action.details.get(name).unwrap_or(&Value::Null)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kind_of_action_is_recorded_from_the_watch_exactly() {
    let cluster = cluster().await;
    let api = &cluster.api;
    let (mut d, first) = checkout(api);
    let watching = cluster.watch();
    cluster.at_revision("d-checkout", 1).await;
    assert!(cluster.actions().await.is_empty(), "yesterday's state is no action");

    // The autoscaler scales it from 4 to 6.
    api.apply(HPAS, hpa(&d, "hpa-1", 6));
    scaled(&mut d, 6, "kube-controller-manager", Utc::now());
    api.apply(DEPLOYMENTS, d.clone());
    let actions = cluster.until(1).await;
    assert_eq!(kinds(&actions), [ActionKind::Scale]);
    assert_eq!(
        (detail(&actions[0], "from"), detail(&actions[0], "to"), detail(&actions[0], "by")),
        (&json!(4), &json!(6), &json!("autoscaler"))
    );
    assert_eq!(actions[0].actor.as_deref(), Some("kube-controller-manager"));
    assert_eq!(actions[0].workload, "workload:dc1/shop/Deployment/checkout");
    assert_eq!(actions[0].service.as_deref(), Some("service:checkout"));

    // A person rolls out 1.5.0: a new ReplicaSet at 14:02, two replicas up, all up.
    let rollout_at = Utc::now();
    new_template(&mut d, "registry.example.com/shop/checkout:1.5.0", None, 2, "kubectl-set", rollout_at);
    api.apply(DEPLOYMENTS, d.clone());
    let second = replica_set(&d, "rs-2", 2, rollout_at);
    api.apply(REPLICASETS, second.clone());
    let generation = d["metadata"]["generation"].as_i64().unwrap();
    progressing(&mut d, 2, generation);
    api.apply(DEPLOYMENTS, d.clone());
    completed(&mut d);
    api.apply(DEPLOYMENTS, d.clone());
    let actions = cluster.until(4).await;
    assert_eq!(
        kinds(&actions[1..]),
        [ActionKind::RolloutStarted, ActionKind::RolloutProgressed, ActionKind::RolloutCompleted]
    );
    let started = &actions[1];
    assert_eq!(started.at.timestamp_millis(), rollout_at.timestamp_millis(), "the ReplicaSet's creation time");
    assert_eq!(started.key, "rs-2/started");
    assert_eq!((detail(started, "version"), detail(started, "previous_version")), (&json!("1.5.0"), &json!("1.4.2")));
    assert_eq!(detail(started, "revision"), &json!(2));
    assert_eq!(started.actor.as_deref(), Some("kubectl-set"), "the manager that wrote the new image");

    // `kubectl rollout restart`: same image, restartedAt.
    let restart_at = Utc::now();
    new_template(
        &mut d,
        "registry.example.com/shop/checkout:1.5.0",
        Some(restart_at),
        3,
        "kubectl-rollout",
        restart_at,
    );
    api.apply(DEPLOYMENTS, d.clone());
    let third = replica_set(&d, "rs-3", 3, restart_at);
    api.apply(REPLICASETS, third.clone());
    completed(&mut d);
    api.apply(DEPLOYMENTS, d.clone());
    let actions = cluster.until(6).await;
    assert_eq!(kinds(&actions[4..]), [ActionKind::Restart, ActionKind::RolloutCompleted]);
    assert_eq!(actions[4].actor.as_deref(), Some("kubectl-rollout"));

    // 1.6.0 stalls at its deadline, and is undone back to revision 3's
    // ReplicaSet, whose update comes before the Deployment's.
    new_template(&mut d, "registry.example.com/shop/checkout:1.6.0", None, 4, "argocd-controller", Utc::now());
    api.apply(DEPLOYMENTS, d.clone());
    let fourth = replica_set(&d, "rs-4", 4, Utc::now());
    api.apply(REPLICASETS, fourth.clone());
    stalled(&mut d);
    api.apply(DEPLOYMENTS, d.clone());
    let actions = cluster.until(8).await;
    assert_eq!(kinds(&actions[6..]), [ActionKind::RolloutStarted, ActionKind::RolloutStalled]);
    assert_eq!(actions[6].actor.as_deref(), Some("argocd-controller"));
    let mut undone = third.clone();
    undo(&mut d, &mut undone, 5, "kubectl-rollout", Utc::now());
    api.apply(REPLICASETS, undone);
    api.apply(DEPLOYMENTS, d.clone());
    let actions = cluster.until(9).await;
    assert_eq!(actions[8].kind, ActionKind::Rollback);
    assert_eq!((detail(&actions[8], "revision"), detail(&actions[8], "version")), (&json!(5), &json!("1.5.0")));
    assert_eq!(actions[8].actor.as_deref(), Some("kubectl-rollout"));

    // Helm changes an environment variable, same image: revision 6.
    d["spec"]["template"]["spec"]["containers"][0]["env"] = json!([{ "name": "LOG_LEVEL", "value": "debug" }]);
    d["metadata"]["annotations"]["deployment.kubernetes.io/revision"] = json!("6");
    written_by(&mut d, "helm", None, Utc::now());
    let generation = d["metadata"]["generation"].as_i64().unwrap() + 1;
    d["metadata"]["generation"] = json!(generation);
    progressing(&mut d, 0, generation);
    api.apply(DEPLOYMENTS, d.clone());
    api.apply(REPLICASETS, replica_set(&d, "rs-6", 6, Utc::now()));
    let actions = cluster.until(10).await;
    assert_eq!(actions.len(), 10, "{:#?}", kinds(&actions));
    assert_eq!((actions[9].kind, actions[9].actor.as_deref()), (ActionKind::ConfigChanged, Some("helm")));

    // Its pods crash-loop: one event counted up to 10, one row; a probe
    // fails (no action); an image pull fails and a container is killed for
    // memory: a row each. The events' watch is one ordered stream, so once
    // the pull failure is recorded the two before it were read too.
    let pod = format!("{}-x2k4q", fourth["metadata"]["name"].as_str().unwrap());
    let note = "Back-off restarting failed container checkout in pod";
    let crashed_at = Utc::now(); // one window for both counts
    api.apply(EVENTS, warning("shop", "ev-1", &pod, "BackOff", note, 3, crashed_at));
    let actions = cluster.until(11).await;
    assert_eq!((actions[10].kind, actions[10].count), (ActionKind::CrashLoop, 3));
    api.apply(EVENTS, warning("shop", "ev-1", &pod, "BackOff", note, 10, crashed_at));
    api.apply(EVENTS, warning("shop", "ev-2", &pod, "Unhealthy", "Readiness probe failed", 4, Utc::now()));
    let pull = "Failed to pull image \"shop/checkout:1.6.0\": not found";
    api.apply(EVENTS, warning("shop", "ev-3", &pod, "Failed", pull, 1, Utc::now()));
    let actions = cluster.until(12).await;
    assert_eq!(actions.len(), 12, "the same window: counted, not another row; a probe is no action");
    assert_eq!((actions[10].count, actions[11].kind), (10, ActionKind::ImagePullFailed));
    let oom = "Memory cgroup out of memory: Killed process 4242";
    api.apply(EVENTS, warning("shop", "ev-4", &pod, "OOMKilling", oom, 1, Utc::now()));
    let actions = cluster.until(13).await;
    assert_eq!(actions[12].kind, ActionKind::OomKilled);

    // Paused, resumed by a person; then deleted.
    paused(&mut d, true, "kubectl-patch", Utc::now());
    api.apply(DEPLOYMENTS, d.clone());
    paused(&mut d, false, "kubectl-patch", Utc::now());
    api.apply(DEPLOYMENTS, d.clone());
    api.delete(DEPLOYMENTS, "d-checkout");
    let actions = cluster.until(16).await;
    assert_eq!(kinds(&actions[13..]), [ActionKind::Paused, ActionKind::Resumed, ActionKind::Deleted]);
    assert_eq!(actions[13].actor.as_deref(), Some("kubectl-patch"));
    assert_eq!(actions.len(), 16, "nothing else, nothing twice: {:#?}", kinds(&actions));
    let _ = first;
    watching.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_of_spot_and_a_410_lose_nothing_and_repeat_nothing() {
    let cluster = cluster().await;
    let api = &cluster.api;
    let (mut d, _) = checkout(api);
    let watching = cluster.watch();
    cluster.at_revision("d-checkout", 1).await;
    scaled(&mut d, 5, "kubectl", Utc::now());
    api.apply(DEPLOYMENTS, d.clone());
    cluster.until(1).await;
    watching.stop().await;

    // While SPoT is down: a person scales to 8, and helm rolls out 1.5.0.
    let scaled_at = Utc::now();
    scaled(&mut d, 8, "kubectl", scaled_at);
    let rolled_at = Utc::now();
    new_template(&mut d, "registry.example.com/shop/checkout:1.5.0", None, 2, "helm", rolled_at);
    completed(&mut d);
    api.apply(DEPLOYMENTS, d.clone());
    api.apply(REPLICASETS, replica_set(&d, "rs-2", 2, rolled_at));
    // A big cluster: its ReplicaSets come a few commits after its workloads.
    api.slow_lists(REPLICASETS, Duration::from_millis(300));
    let watching = cluster.watch();
    let actions = cluster.until(4).await;
    assert_eq!(
        kinds(&actions),
        [ActionKind::Scale, ActionKind::Scale, ActionKind::RolloutStarted, ActionKind::RolloutCompleted],
        "each change once, as what it was, none of the earlier ones again"
    );
    assert_eq!(
        actions[1].at.timestamp_millis(),
        scaled_at.timestamp_millis(),
        "when its writer wrote it, not when SPoT came back"
    );
    assert_eq!((detail(&actions[1], "from"), detail(&actions[1], "to")), (&json!(5), &json!(8)));
    let rollout = &actions[2];
    assert_eq!(rollout.at.timestamp_millis(), rolled_at.timestamp_millis(), "the ReplicaSet's creation");
    assert_eq!((rollout.key.as_str(), rollout.actor.as_deref()), ("rs-2/started", Some("helm")));

    // The API server compacts its history: the watch's resume is refused
    // with 410 and it lists again; a change made meanwhile comes once.
    api.compact();
    scaled(&mut d, 3, "kubectl", Utc::now());
    api.apply(DEPLOYMENTS, d.clone());
    let actions = cluster.until(5).await;
    assert_eq!(actions.len(), 5, "{:#?}", kinds(&actions));
    assert_eq!((actions[4].kind, detail(&actions[4], "to")), (ActionKind::Scale, &json!(3)));
    let (_, watches) = api.counts();
    assert!(watches > 6, "the watches were opened again ({watches})");

    // A dropped connection: the watch resumes from its resourceVersion and
    // the change made meanwhile comes once.
    api.drop_watches();
    scaled(&mut d, 7, "kubectl", Utc::now());
    api.apply(DEPLOYMENTS, d.clone());
    let actions = cluster.until(6).await;
    assert_eq!(actions.len(), 6, "{:#?}", kinds(&actions));
    assert_eq!((actions[5].kind, detail(&actions[5], "to")), (ActionKind::Scale, &json!(7)));
    watching.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_watch_of_a_cluster_backfills_today_s_new_workloads_and_warnings_but_no_revision() {
    let cluster = cluster().await;
    let api = &cluster.api;
    checkout(api);
    let morning = Utc::now() - chrono::Duration::seconds(30);
    let cart = deployment("shop", "cart", "d-cart", "registry.example.com/shop/cart:2.0.0", 2, morning);
    let cart_rs = replica_set(&cart, "rs-cart", 1, morning);
    api.apply(DEPLOYMENTS, cart);
    api.apply(REPLICASETS, cart_rs.clone());
    let pod = format!("{}-abcde", cart_rs["metadata"]["name"].as_str().unwrap());
    let later = morning + chrono::Duration::seconds(20);
    api.apply(EVENTS, scheduler_warning("shop", "ev-9", &pod, "0/3 nodes are available", 2, morning, later));
    let watching = cluster.watch();
    cluster
        .remembers("both Deployments' ReplicaSets and the event", |memory| {
            let adopted = memory.iter().filter(|m| m.uid.starts_with("w/") && m.state["rs_revision"] == 1).count();
            adopted == 2 && memory.iter().any(|m| m.uid == "e/ev-9")
        })
        .await;
    let actions = cluster.actions().await;
    assert_eq!(kinds(&actions), [ActionKind::Created, ActionKind::FailedScheduling], "cart's revision 1 is history");
    assert!(actions.iter().all(|a| a.workload.ends_with("/cart")), "yesterday's checkout is no news");
    let scheduling = &actions[1];
    assert_eq!(
        (scheduling.at.timestamp_millis(), scheduling.last_at.timestamp_millis(), scheduling.count),
        (morning.timestamp_millis(), later.timestamp_millis(), 2),
        "from its first occurrence (eventTime) to its last (series)"
    );
    watching.stop().await;
}

/// A Deployment `name` rolled out `revisions` times, a day apart, ending
/// `days` days ago, with every ReplicaSet kept (`revisionHistoryLimit`),
/// the older ones scaled to zero.
fn revised(api: &FakeApi, name: &str, revisions: u64, days: i64) {
    let day = |revision: u64| Utc::now() - chrono::Duration::days(days + (revisions - revision) as i64);
    let image = |revision: u64| format!("registry.example.com/shop/{name}:1.{revision}.0");
    let mut d = deployment("shop", name, &format!("d-{name}"), &image(1), 3, day(1));
    let mut sets = vec![replica_set(&d, &format!("rs-{name}-1"), 1, day(1))];
    for revision in 2..=revisions {
        new_template(&mut d, &image(revision), None, revision, "helm", day(revision));
        completed(&mut d);
        sets.iter_mut().for_each(scaled_down);
        sets.push(replica_set(&d, &format!("rs-{name}-{revision}"), revision, day(revision)));
    }
    for rs in sets {
        api.apply(REPLICASETS, rs);
    }
    api.apply(DEPLOYMENTS, d);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_connection_to_ten_deployments_of_five_revisions_each_records_nothing() {
    let cluster = cluster().await;
    for n in 0..10 {
        revised(&cluster.api, &format!("svc-{n}"), 5, 2);
    }
    let watching = cluster.watch();
    cluster
        .remembers("every Deployment at its fifth revision", |memory| {
            memory.iter().filter(|m| m.uid.starts_with("w/") && m.state["rs_revision"] == 5).count() == 10
        })
        .await;
    let actions = cluster.actions().await;
    assert!(actions.is_empty(), "old ReplicaSets are history, no deploy and no rollback: {actions:#?}");
    watching.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spot_serve_watches_its_clusters_and_streams_each_action_to_subscribers() {
    use futures_util::SinkExt;
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;

    let cluster = cluster().await;
    let (mut d, _) = checkout(&cluster.api);
    let mut config = spot::config::Config::default();
    config.collectors.kubernetes = Some(cluster.config.clone());
    let server = spot::server::Server::new(&config, cluster.store.clone()).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(server.serve_on(listener, async move {
        let _ = stopped.await;
    }));
    cluster.listed(1).await;

    let mut request = format!("ws://{address}/graphql/ws").into_client_request().unwrap();
    request.headers_mut().insert("sec-websocket-protocol", "graphql-transport-ws".parse().unwrap());
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let send = |value: Value| tokio_tungstenite::tungstenite::Message::text(value.to_string());
    socket.send(send(json!({ "type": "connection_init", "payload": {} }))).await.unwrap();
    let query = "subscription { actions(service: \"checkout\", kinds: [SCALE]) { kind cluster workload details } }";
    socket.send(send(json!({ "id": "1", "type": "subscribe", "payload": { "query": query } }))).await.unwrap();

    // The protocol does not say when a subscription is in place; the
    // server's live-subscriber gauge does. Then one scale is streamed.
    graphql::wait_for_metric(&reqwest::Client::new(), &format!("http://{address}"), "spot_live_subscribers 1").await;
    scaled(&mut d, 9, "kubectl", Utc::now());
    cluster.api.apply(DEPLOYMENTS, d.clone());
    let message = next_message(&mut socket, Duration::from_secs(30)).await.expect("the scale is streamed within 30 s");
    assert_eq!(message["type"], "next", "{message}");
    assert_eq!(
        message["payload"]["data"]["actions"],
        json!({ "kind": "SCALE", "cluster": "dc1", "workload": "workload:dc1/shop/Deployment/checkout",
                "details": { "from": 4, "to": 9, "by": "person" } })
    );
    let _ = stop.send(());
    serving.await.unwrap();
}

/// The next message of the socket other than the connection's ack, if one
/// comes within `wait`.
async fn next_message<S>(socket: &mut S, wait: Duration) -> Option<Value>
where
    S: futures_util::Stream<
            Item = Result<tokio_tungstenite::tungstenite::Message, tokio_tungstenite::tungstenite::Error>,
        > + Unpin,
{
    use futures_util::StreamExt;
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let message =
            tokio::time::timeout_at(deadline, socket.next()).await.ok()?.expect("the socket is open").unwrap();
        if let tokio_tungstenite::tungstenite::Message::Text(text) = message {
            let value: Value = serde_json::from_str(&text).unwrap();
            if value["type"] != "connection_ack" {
                return Some(value);
            }
        }
    }
}
