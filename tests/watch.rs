//! The Kubernetes watch end to end: a stand-in API server that lists and
//! watches (`collectors::kubernetes::fake`), scripted through scales,
//! rollouts, restarts, stalls, rollbacks, pauses and crash loops; the watch
//! of `spot serve` committing into a real SQLite store; and the actions it
//! recorded, checked exactly — across a restart of SPoT and a `410 Gone`.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use collectors::kubernetes::fake::FakeApi;
use collectors::kubernetes::fake_objects::*;
use collectors::kubernetes::watch::watch_cluster;
use serde_json::{json, Value};
use spot::model::{Action, ActionFilter, ActionKind};
use spot::store::Store;
use spot::watch::{Feed, StoreSink};
use spot::SqliteStore;

struct Cluster {
    api: FakeApi,
    config: collectors::kubernetes::Config,
    store: Arc<dyn Store>,
    _dir: tempfile::TempDir,
}

async fn cluster() -> Cluster {
    let api = FakeApi::start_with(Duration::from_millis(200)).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = api.kubeconfig(dir.path());
    let text = format!(
        "clusters = [{{ name = \"dc1\", kubeconfig = \"{}\" }}]\n[watch]\ncommit_ms = 20\n",
        kubeconfig.display()
    );
    let config = toml::from_str(&text).unwrap();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(dir.path().join("spot.db")).unwrap());
    Cluster { api, config, store, _dir: dir }
}

/// A running watch; dropping the sender stops it.
struct Watching {
    stop: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Cluster {
    fn watch(&self) -> Watching {
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let sink = Arc::new(StoreSink::new(self.store.clone(), Feed::default()));
        let cluster = self.config.clusters[0].clone();
        let task = tokio::spawn(watch_cluster(cluster, self.config.clone(), sink, stopped));
        Watching { stop, task }
    }

    /// Every action recorded, oldest first.
    async fn actions(&self) -> Vec<Action> {
        let filter =
            ActionFilter::between(Utc.timestamp_opt(0, 0).unwrap(), Utc::now() + chrono::Duration::days(1), 10_000);
        let mut actions = self.store.actions(&filter).await.unwrap();
        actions.reverse();
        actions
    }

    /// Waits until `count` actions are recorded (or fails after 20 s), then
    /// a little longer, so that a duplicate would show.
    async fn until(&self, count: usize) -> Vec<Action> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let actions = self.actions().await;
            if actions.len() >= count {
                tokio::time::sleep(Duration::from_millis(300)).await;
                return self.actions().await;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "waited for {count} actions; recorded: {:#?}",
                kinds(&actions)
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Waits until the watch remembers `workloads` workloads (it has listed them).
    async fn listed(&self, workloads: usize) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let remembered = self.store.remembered("dc1").await.unwrap();
            if remembered.iter().filter(|m| m.uid.starts_with("w/")).count() >= workloads {
                return;
            }
            assert!(tokio::time::Instant::now() < deadline, "the watch never listed the cluster");
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

impl Watching {
    async fn stop(self) {
        self.stop.send(true).unwrap();
        self.task.await.unwrap();
    }
}

fn kinds(actions: &[Action]) -> Vec<ActionKind> {
    actions.iter().map(|a| a.kind).collect()
}

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
    cluster.listed(1).await;
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

    // 1.6.0 stalls at its deadline, and is undone back to revision 3's ReplicaSet.
    new_template(&mut d, "registry.example.com/shop/checkout:1.6.0", None, 4, "argocd-controller", Utc::now());
    api.apply(DEPLOYMENTS, d.clone());
    let fourth = replica_set(&d, "rs-4", 4, Utc::now());
    api.apply(REPLICASETS, fourth.clone());
    stalled(&mut d);
    api.apply(DEPLOYMENTS, d.clone());
    let actions = cluster.until(8).await;
    assert_eq!(kinds(&actions[6..]), [ActionKind::RolloutStarted, ActionKind::RolloutStalled]);
    let mut undone = third.clone();
    reused(&mut undone, 5);
    api.apply(REPLICASETS, undone);
    let actions = cluster.until(9).await;
    assert_eq!(actions[8].kind, ActionKind::Rollback);
    assert_eq!((detail(&actions[8], "revision"), detail(&actions[8], "version")), (&json!(5), &json!("1.5.0")));

    // A config change (an environment variable), same image: revision 6.
    d["spec"]["template"]["spec"]["containers"][0]["image"] = json!("registry.example.com/shop/checkout:1.5.0");
    d["spec"]["template"]["spec"]["containers"][0]["env"] = json!([{ "name": "LOG_LEVEL", "value": "debug" }]);
    d["metadata"]["annotations"]["deployment.kubernetes.io/revision"] = json!("6");
    let generation = d["metadata"]["generation"].as_i64().unwrap() + 1;
    d["metadata"]["generation"] = json!(generation);
    progressing(&mut d, 0, generation);
    api.apply(DEPLOYMENTS, d.clone());
    api.apply(REPLICASETS, replica_set(&d, "rs-6", 6, Utc::now()));
    let actions = cluster.until(10).await;
    assert_eq!(actions[9].kind, ActionKind::ConfigChanged, "{:#?}", kinds(&actions));

    // Its pods crash-loop: one event counted up to 10, one row; an image
    // pull fails and a container is killed for memory: a row each.
    let pod = format!("{}-x2k4q", fourth["metadata"]["name"].as_str().unwrap());
    let note = "Back-off restarting failed container checkout in pod";
    let crashed_at = Utc::now(); // one window for both counts
    api.apply(EVENTS, warning("shop", "ev-1", &pod, "BackOff", note, 3, crashed_at));
    let actions = cluster.until(11).await;
    assert_eq!((actions[10].kind, actions[10].count), (ActionKind::CrashLoop, 3));
    api.apply(EVENTS, warning("shop", "ev-1", &pod, "BackOff", note, 10, crashed_at));
    api.apply(EVENTS, warning("shop", "ev-2", &pod, "Unhealthy", "Readiness probe failed", 4, Utc::now()));
    tokio::time::sleep(Duration::from_millis(500)).await;
    let actions = cluster.actions().await;
    assert_eq!(actions.len(), 11, "the same window: counted, not another row; a probe is no action");
    assert_eq!(actions[10].count, 10);
    api.apply(
        EVENTS,
        warning(
            "shop",
            "ev-3",
            &pod,
            "Failed",
            "Failed to pull image \"shop/checkout:1.6.0\": not found",
            1,
            Utc::now(),
        ),
    );
    let actions = cluster.until(12).await;
    api.apply(
        EVENTS,
        warning("shop", "ev-4", &pod, "OOMKilling", "Memory cgroup out of memory: Killed process 4242", 1, Utc::now()),
    );
    let actions = cluster.until(13).await.into_iter().skip(actions.len() - 1).collect::<Vec<_>>();
    assert_eq!(kinds(&actions), [ActionKind::ImagePullFailed, ActionKind::OomKilled]);

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
    cluster.listed(1).await;
    scaled(&mut d, 5, "kubectl", Utc::now());
    api.apply(DEPLOYMENTS, d.clone());
    cluster.until(1).await;
    watching.stop().await;

    // While SPoT is down: a person scales to 8, and 1.5.0 rolls out.
    let scaled_at = Utc::now();
    scaled(&mut d, 8, "kubectl", scaled_at);
    new_template(&mut d, "registry.example.com/shop/checkout:1.5.0", None, 2, "helm", Utc::now());
    completed(&mut d);
    api.apply(DEPLOYMENTS, d.clone());
    api.apply(REPLICASETS, replica_set(&d, "rs-2", 2, Utc::now()));
    let watching = cluster.watch();
    let actions = cluster.until(4).await;
    assert_eq!(
        kinds(&actions),
        [ActionKind::Scale, ActionKind::Scale, ActionKind::RolloutStarted, ActionKind::RolloutCompleted],
        "each change once, none of the earlier ones again"
    );
    assert_eq!(
        actions[1].at.timestamp_millis(),
        scaled_at.timestamp_millis(),
        "when its writer wrote it, not when SPoT came back"
    );
    assert_eq!((detail(&actions[1], "from"), detail(&actions[1], "to")), (&json!(5), &json!(8)));

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
async fn the_first_watch_of_a_cluster_backfills_today() {
    let cluster = cluster().await;
    let api = &cluster.api;
    checkout(api);
    let morning = Utc::now() - chrono::Duration::seconds(30);
    let cart = deployment("shop", "cart", "d-cart", "registry.example.com/shop/cart:2.0.0", 2, morning);
    let cart_rs = replica_set(&cart, "rs-cart", 1, morning);
    api.apply(DEPLOYMENTS, cart);
    api.apply(REPLICASETS, cart_rs.clone());
    let pod = format!("{}-abcde", cart_rs["metadata"]["name"].as_str().unwrap());
    api.apply(EVENTS, warning("shop", "ev-9", &pod, "FailedScheduling", "0/3 nodes are available", 2, morning));
    let watching = cluster.watch();
    let actions = cluster.until(3).await;
    let mut found = kinds(&actions);
    found.sort();
    assert_eq!(found, [ActionKind::RolloutStarted, ActionKind::Created, ActionKind::FailedScheduling]);
    assert!(actions.iter().all(|a| a.workload.ends_with("/cart")), "yesterday's checkout is no news");
    watching.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spot_serve_watches_its_clusters_and_streams_each_action_to_subscribers() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    use tokio_tungstenite::tungstenite::Message;

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
    let send = |value: Value| Message::text(value.to_string());
    socket.send(send(json!({ "type": "connection_init", "payload": {} }))).await.unwrap();
    let query = "subscription { actions(service: \"checkout\", kinds: [SCALE]) { kind cluster workload details } }";
    socket.send(send(json!({ "id": "1", "type": "subscribe", "payload": { "query": query } }))).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;

    scaled(&mut d, 9, "kubectl", Utc::now());
    cluster.api.apply(DEPLOYMENTS, d.clone());
    let message = loop {
        let message =
            tokio::time::timeout(Duration::from_secs(20), socket.next()).await.expect("a message").unwrap().unwrap();
        if let Message::Text(text) = message {
            let value: Value = serde_json::from_str(&text).unwrap();
            if value["type"] != "connection_ack" {
                break value;
            }
        }
    };
    assert_eq!(message["type"], "next", "{message}");
    assert_eq!(
        message["payload"]["data"]["actions"],
        json!({ "kind": "SCALE", "cluster": "dc1", "workload": "workload:dc1/shop/Deployment/checkout",
                "details": { "from": 4, "to": 9, "by": "person" } })
    );
    let _ = stop.send(());
    serving.await.unwrap();
}
