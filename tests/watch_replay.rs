//! A replay of a cluster's whole day through the watch, built from the
//! object shapes a real cluster returned (`collectors/tests/fixtures/
//! kubernetes`: a Deployment and its ReplicaSet, recorded by k9s) and the
//! Kubernetes API reference (`managedFields` as the API server writes them,
//! the kubelet's and the scheduler's event shapes):
//!
//! - twelve Deployments of a public multi-service release (Google's
//!   microservices-demo), rolled from v0.8.0 to v0.8.1 to v0.9.0 weeks ago,
//!   every old ReplicaSet kept; one rollout to v0.10.0 under way;
//! - lists read five objects a page, watches with bookmarks;
//! - a kubelet crash loop (`eventTime: null`, `deprecatedCount`) and a
//!   scheduler `FailedScheduling` (`eventTime`, `series`);
//! - live rollouts whose ReplicaSet comes before its Deployment, a `410
//!   Gone` with an autoscaler's scale in the gap, a `kubectl rollout undo`;
//! - SPoT stopped, a rollout and a deletion meanwhile, SPoT started again.
//!
//! Every action recorded is then checked exactly: kind, workload, time and
//! actor, each once.

#[path = "support/watch.rs"]
mod watch_support;

use std::time::Duration;

use chrono::{DateTime, DurationRound, Utc};
use collectors::kubernetes::fake_objects::*;
use serde_json::{json, Value};
use spot::model::{Action, ActionKind};
use watch_support::{cluster_with, Cluster};

const SERVICES: [&str; 12] = [
    "adservice",
    "cartservice",
    "checkoutservice",
    "currencyservice",
    "emailservice",
    "frontend",
    "loadgenerator",
    "paymentservice",
    "productcatalogservice",
    "recommendationservice",
    "shippingservice",
    "redis-cart",
];

const RELEASES: [&str; 3] = ["v0.8.0", "v0.8.1", "v0.9.0"];

fn recorded(name: &str) -> Value {
    let path = format!("{}/collectors/tests/fixtures/kubernetes/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn image(service: &str, release: &str) -> String {
    if service == "redis-cart" {
        return "redis:alpine".into(); // the same in every release
    }
    format!("us-central1-docker.pkg.dev/google-samples/microservices-demo/{service}:{release}")
}

/// `managedFields` as the API server keeps them for a Deployment helm
/// installed: helm's write of the spec, the controller's of the revision
/// annotation and the status (through the status subresource).
fn managed_by_helm(at: DateTime<Utc>) -> Value {
    json!([
        managed_fields(
            "helm",
            None,
            at,
            json!({
                "f:metadata": { "f:labels": { ".": {}, "f:app": {} } },
                "f:spec": { "f:progressDeadlineSeconds": {}, "f:replicas": {}, "f:revisionHistoryLimit": {},
                            "f:selector": {}, "f:strategy": { "f:rollingUpdate": { ".": {}, "f:maxSurge": {}, "f:maxUnavailable": {} }, "f:type": {} },
                            "f:template": { "f:metadata": { "f:labels": { ".": {}, "f:app": {} } },
                                            "f:spec": { "f:containers": { "k:{\"name\":\"server\"}": { ".": {}, "f:image": {}, "f:name": {}, "f:env": {} } } } } }
            })
        ),
        managed_fields(
            "kube-controller-manager",
            Some("status"),
            at,
            json!({
                "f:metadata": { "f:annotations": { ".": {}, "f:deployment.kubernetes.io/revision": {} } },
                "f:status": { "f:availableReplicas": {}, "f:conditions": {}, "f:observedGeneration": {}, "f:readyReplicas": {}, "f:replicas": {}, "f:updatedReplicas": {} }
            })
        ),
    ])
}

/// The recorded Deployment as `service`, installed by helm at `at`.
fn release_deployment(service: &str, at: DateTime<Utc>) -> Value {
    let mut d = recorded("dp.json");
    let meta = d["metadata"].as_object_mut().unwrap();
    meta.remove("selfLink");
    meta.remove("resourceVersion");
    d["metadata"]["name"] = json!(service);
    d["metadata"]["namespace"] = json!("boutique");
    d["metadata"]["uid"] = json!(format!("d-{service}"));
    d["metadata"]["labels"] = json!({ "app": service });
    d["metadata"]["creationTimestamp"] = json!(time(at));
    d["metadata"]["managedFields"] = managed_by_helm(at);
    d["spec"]["replicas"] = json!(2);
    d["spec"]["selector"] = json!({ "matchLabels": { "app": service } });
    d["spec"]["template"]["metadata"]["labels"] = json!({ "app": service });
    let container = &mut d["spec"]["template"]["spec"]["containers"][0];
    container["name"] = json!("server");
    container["image"] = json!(image(service, RELEASES[0]));
    container["env"] = json!([{ "name": "PORT", "value": "8080" }]);
    completed(&mut d);
    d
}

/// The recorded ReplicaSet as `deployment`'s current template at
/// `revision`, made by the Deployment controller at `at`.
fn release_replica_set(deployment: &Value, revision: u64, at: DateTime<Utc>) -> Value {
    let name = deployment["metadata"]["name"].as_str().unwrap();
    let hash = format!("{:x}", 0x5f00_0000_u64 + revision * 7919 + name.len() as u64);
    let mut rs = recorded("rs.json");
    rs["apiVersion"] = json!("apps/v1"); // recorded as networking.k8s.io/v1 by k9s's test data
    let meta = rs["metadata"].as_object_mut().unwrap();
    meta.remove("selfLink");
    meta.remove("resourceVersion");
    rs["metadata"]["name"] = json!(format!("{name}-{hash}"));
    rs["metadata"]["namespace"] = deployment["metadata"]["namespace"].clone();
    rs["metadata"]["uid"] = json!(format!("rs-{name}-{revision}"));
    rs["metadata"]["creationTimestamp"] = json!(time(at));
    rs["metadata"]["labels"] = json!({ "app": name, "pod-template-hash": hash });
    rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"] = json!(revision.to_string());
    rs["metadata"]["ownerReferences"][0]["name"] = json!(name);
    rs["metadata"]["ownerReferences"][0]["uid"] = deployment["metadata"]["uid"].clone();
    rs["metadata"]["managedFields"] = json!([managed_fields(
        "kube-controller-manager",
        None,
        at,
        json!({
            "f:metadata": { "f:annotations": {}, "f:labels": {}, "f:ownerReferences": {} }, "f:spec": { "f:replicas": {}, "f:selector": {}, "f:template": {} }
        })
    )]);
    let mut template = deployment["spec"]["template"].clone();
    template["metadata"]["labels"]["pod-template-hash"] = json!(hash);
    rs["spec"]["template"] = template;
    rs["spec"]["replicas"] = deployment["spec"]["replicas"].clone();
    rs["spec"]["selector"] = json!({ "matchLabels": { "app": name, "pod-template-hash": hash } });
    rs
}

/// One service of the cluster: its Deployment and its ReplicaSets, oldest first.
struct Service {
    deployment: Value,
    sets: Vec<Value>,
}

impl Service {
    fn pod(&self) -> String {
        format!("{}-x2k4q", self.sets.last().unwrap()["metadata"]["name"].as_str().unwrap())
    }

    /// A new revision of `image`, written by `manager` at `at`; its
    /// ReplicaSet is applied before its Deployment, as the two watches may
    /// deliver them.
    fn roll_out(&mut self, cluster: &Cluster, image: &str, manager: &str, at: DateTime<Utc>) {
        let revision = self.sets.len() as u64 + 1;
        new_template(&mut self.deployment, image, None, revision, manager, at);
        let rs = release_replica_set(&self.deployment, revision, at);
        cluster.api.apply(REPLICASETS, rs.clone());
        cluster.api.apply(DEPLOYMENTS, self.deployment.clone());
        self.sets.push(rs);
    }
}

/// The release history: v0.8.0 six weeks ago, v0.8.1 five, v0.9.0 three,
/// each a rollout by helm that scaled the one before to zero; redis-cart's
/// image never changed, so it has one revision.
fn released(cluster: &Cluster, service: &str) -> Service {
    let week = |n: i64| Utc::now() - chrono::Duration::weeks(n);
    let mut d = release_deployment(service, week(6));
    let mut sets = vec![release_replica_set(&d, 1, week(6))];
    if service != "redis-cart" {
        for (n, release) in RELEASES.iter().enumerate().skip(1) {
            let at = week(6 - 1 - n as i64);
            new_template(&mut d, &image(service, release), None, n as u64 + 1, "helm", at);
            completed(&mut d);
            sets.iter_mut().for_each(scaled_down);
            sets.push(release_replica_set(&d, n as u64 + 1, at));
        }
    }
    for rs in &sets {
        cluster.api.apply(REPLICASETS, rs.clone());
    }
    cluster.api.apply(DEPLOYMENTS, d.clone());
    Service { deployment: d, sets }
}

fn summary(action: &Action) -> (ActionKind, String, Option<String>) {
    let workload = action.workload.rsplit('/').next().unwrap_or_default().to_string();
    (action.kind, workload, action.actor.clone())
}

fn expect(kind: ActionKind, workload: &str, actor: Option<&str>) -> (ActionKind, String, Option<String>) {
    (kind, workload.to_string(), actor.map(str::to_string))
}

fn millis(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_realistic_day_of_a_release_s_cluster_is_recorded_exactly() {
    let cluster = cluster_with("page_size = 5").await;
    let mut services: Vec<Service> = SERVICES.iter().map(|name| released(&cluster, name)).collect();
    let index = |name: &str| SERVICES.iter().position(|s| *s == name).unwrap();

    // Under way at connection: checkoutservice to v0.10.0, two minutes ago.
    let checkout_at = Utc::now() - chrono::Duration::minutes(2);
    services[index("checkoutservice")].roll_out(&cluster, &image("checkoutservice", "v0.10.0"), "helm", checkout_at);

    // Warnings the cluster holds, all in the last whole 15-minute window:
    // cartservice crash-looping (the kubelet's shape), a checkoutservice pod
    // that cannot be scheduled (the scheduler's), a failing probe (no action).
    let window = Utc::now().duration_trunc(chrono::Duration::minutes(15)).unwrap() - chrono::Duration::minutes(15);
    let crash = ("BackOff", "Back-off restarting failed container server in pod");
    let cart_pod = services[index("cartservice")].pod();
    let crash_first = window + chrono::Duration::minutes(1);
    cluster.api.apply(
        EVENTS,
        kubelet_warning(
            "boutique",
            "ev-crash",
            &cart_pod,
            crash,
            5,
            crash_first,
            window + chrono::Duration::minutes(4),
        ),
    );
    let checkout_pod = services[index("checkoutservice")].pod();
    let unscheduled = "0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available";
    let scheduling_first = window + chrono::Duration::minutes(2);
    cluster.api.apply(
        EVENTS,
        scheduler_warning(
            "boutique",
            "ev-sched",
            &checkout_pod,
            unscheduled,
            3,
            scheduling_first,
            window + chrono::Duration::minutes(6),
        ),
    );
    let probe = ("Unhealthy", "Readiness probe failed: HTTP probe failed with statuscode: 503");
    cluster.api.apply(EVENTS, kubelet_warning("boutique", "ev-probe", &cart_pod, probe, 12, crash_first, crash_first));

    let watching = cluster.watch();
    cluster.listed(12).await;
    cluster.remembers("the crash loop counted", |memory| memory.iter().any(|m| m.uid == "e/ev-crash")).await;

    // Live: helm rolls frontend out to v0.10.0 and it completes.
    let frontend_at = Utc::now();
    let frontend = &mut services[index("frontend")];
    frontend.roll_out(&cluster, &image("frontend", "v0.10.0"), "helm", frontend_at);
    completed(&mut frontend.deployment);
    cluster.api.apply(DEPLOYMENTS, frontend.deployment.clone());
    cluster.caught_up("d-frontend").await;

    // The crash loop goes on (same event, counted on); checkoutservice's
    // rollout completes.
    cluster.api.apply(
        EVENTS,
        kubelet_warning(
            "boutique",
            "ev-crash",
            &cart_pod,
            crash,
            9,
            crash_first,
            window + chrono::Duration::minutes(9),
        ),
    );
    let checkout = &mut services[index("checkoutservice")];
    completed(&mut checkout.deployment);
    cluster.api.apply(DEPLOYMENTS, checkout.deployment.clone());
    cluster.caught_up("d-checkoutservice").await;
    cluster
        .remembers("the crash loop counted on", |memory| {
            memory.iter().any(|m| m.uid == "e/ev-crash" && m.state["count"] == 9)
        })
        .await;

    // etcd compacts: every watch's resume is refused with 410 Gone; the
    // autoscaler scales productcatalogservice meanwhile.
    cluster.api.compact();
    let catalog = &mut services[index("productcatalogservice")];
    cluster.api.apply(HPAS, hpa(&catalog.deployment, "hpa-catalog", 5));
    scaled(&mut catalog.deployment, 5, "kube-controller-manager", Utc::now());
    cluster.api.apply(DEPLOYMENTS, catalog.deployment.clone());
    cluster.caught_up("d-productcatalogservice").await;

    // Someone undoes frontend's rollout: back to v0.9.0's ReplicaSet.
    let frontend = &mut services[index("frontend")];
    let mut old = frontend.sets[2].clone();
    undo(&mut frontend.deployment, &mut old, 5, "kubectl-rollout", Utc::now());
    cluster.api.apply(REPLICASETS, old);
    cluster.api.apply(DEPLOYMENTS, frontend.deployment.clone());
    cluster.until(8).await;
    watching.stop().await;

    // SPoT is down: helm rolls emailservice out; loadgenerator is deleted.
    let email_at = Utc::now();
    let email = &mut services[index("emailservice")];
    email.roll_out(&cluster, &image("emailservice", "v0.10.0"), "helm", email_at);
    completed(&mut email.deployment);
    cluster.api.apply(DEPLOYMENTS, email.deployment.clone());
    cluster.api.delete(DEPLOYMENTS, "d-loadgenerator");
    cluster.api.slow_lists(REPLICASETS, Duration::from_millis(300));
    let watching = cluster.watch();
    cluster.remembers("loadgenerator gone", |memory| memory.iter().all(|m| m.uid != "w/d-loadgenerator")).await;
    cluster
        .remembers("emailservice at revision 4", |memory| {
            memory.iter().any(|m| m.uid == "w/d-emailservice" && m.state["rs_revision"] == 4)
        })
        .await;
    let actions = cluster.actions().await;
    watching.stop().await;

    let mut found: Vec<_> = actions.iter().map(summary).collect();
    found.sort();
    let mut expected = vec![
        expect(ActionKind::RolloutStarted, "checkoutservice", Some("helm")),
        expect(ActionKind::CrashLoop, "cartservice", Some("kubelet")),
        expect(ActionKind::FailedScheduling, "checkoutservice", Some("default-scheduler")),
        expect(ActionKind::RolloutStarted, "frontend", Some("helm")),
        expect(ActionKind::RolloutCompleted, "frontend", None),
        expect(ActionKind::RolloutCompleted, "checkoutservice", None),
        expect(ActionKind::Scale, "productcatalogservice", Some("kube-controller-manager")),
        expect(ActionKind::Rollback, "frontend", Some("kubectl-rollout")),
        expect(ActionKind::RolloutStarted, "emailservice", Some("helm")),
        expect(ActionKind::RolloutCompleted, "emailservice", None),
        expect(ActionKind::Deleted, "loadgenerator", None),
    ];
    expected.sort();
    assert_eq!(found, expected, "{actions:#?}");

    let find = |kind: ActionKind, workload: &str| {
        actions.iter().find(|a| a.kind == kind && a.workload.ends_with(&format!("/{workload}"))).unwrap()
    };
    let at = |kind, workload| millis(find(kind, workload).at);
    assert_eq!(at(ActionKind::RolloutStarted, "checkoutservice"), millis(checkout_at), "its ReplicaSet's creation");
    assert_eq!(at(ActionKind::RolloutStarted, "frontend"), millis(frontend_at));
    assert_eq!(at(ActionKind::RolloutStarted, "emailservice"), millis(email_at), "made while SPoT was down");
    let crash_loop = find(ActionKind::CrashLoop, "cartservice");
    assert_eq!(
        (millis(crash_loop.at), millis(crash_loop.last_at), crash_loop.count),
        (millis(crash_first), millis(window + chrono::Duration::minutes(9)), 9),
        "one row: from the first occurrence (deprecatedFirstTimestamp) to the last, 9 in all"
    );
    let scheduling = find(ActionKind::FailedScheduling, "checkoutservice");
    assert_eq!((millis(scheduling.at), scheduling.count), (millis(scheduling_first), 3), "eventTime and series");
    let scale = find(ActionKind::Scale, "productcatalogservice");
    assert_eq!(
        (&scale.details["from"], &scale.details["to"], &scale.details["by"]),
        (&json!(2), &json!(5), &json!("autoscaler"))
    );
    assert_eq!(find(ActionKind::Rollback, "frontend").details["version"], "v0.9.0");
    let (_, watches) = cluster.api.counts();
    assert!(watches > 12, "the watches were opened again after the 410 and the restart ({watches})");
}
