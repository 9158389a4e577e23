//! The Kubernetes collector against a local server that answers the
//! Kubernetes list endpoints like an API server (pagination with `limit` and
//! `continue`, per-namespace paths, bearer tokens, 403s as `Status`
//! objects), reached through a kubeconfig written to a temporary folder.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use collectors::kubernetes::{Config, Kubernetes};
use collectors::{CollectError, Collector, CollectorsConfig, Day, Observation, ObservedEntity};
use serde_json::{json, Value};
use support::{closed_port_url, fixture, Recorded, ReplayServer, Reply};

const DAY: Day = Day(20_000);
const TOKEN: &str = "test-bearer-token-7f3a";
const DIGEST_A: &str = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const DIGEST_B: &str = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

/// Where each resource is listed cluster-wide.
const DEPLOYMENTS: &str = "/apis/apps/v1/deployments";
const STATEFULSETS: &str = "/apis/apps/v1/statefulsets";
const DAEMONSETS: &str = "/apis/apps/v1/daemonsets";
const REPLICASETS: &str = "/apis/apps/v1/replicasets";
const CRONJOBS: &str = "/apis/batch/v1/cronjobs";
const PODS: &str = "/api/v1/pods";
const SERVICES: &str = "/api/v1/services";
const INGRESSES: &str = "/apis/networking.k8s.io/v1/ingresses";
const HPAS: &str = "/apis/autoscaling/v2/horizontalpodautoscalers";
const NODES: &str = "/api/v1/nodes";
const NAMESPACES: &str = "/api/v1/namespaces";
const CONFIGMAPS: &str = "/api/v1/configmaps";

/// An API server's objects and refusals, answered page by page.
#[derive(Default, Clone)]
struct FakeCluster {
    /// Cluster-wide list path → its items (as single objects are written:
    /// `apiVersion` and `kind` are dropped from list items, as a server does).
    objects: BTreeMap<&'static str, Vec<Value>>,
    /// Paths answered 403.
    forbidden: Vec<String>,
    /// Paths answered with this body instead of a list.
    raw: BTreeMap<String, Reply>,
}

impl FakeCluster {
    fn with(mut self, path: &'static str, items: Vec<Value>) -> FakeCluster {
        self.objects.entry(path).or_default().extend(items);
        self
    }

    fn forbid(mut self, path: &str) -> FakeCluster {
        self.forbidden.push(path.to_string());
        self
    }

    fn answer(&self, request: &Recorded) -> Reply {
        if request.header("authorization") != Some(&format!("Bearer {TOKEN}")) {
            return status(401, "Unauthorized", "Unauthorized");
        }
        let path = request.path.as_str();
        if let Some(reply) = self.raw.get(path) {
            return reply.clone();
        }
        if self.forbidden.iter().any(|f| f == path) {
            return status(
                403,
                "Forbidden",
                &format!("{path} is forbidden: User \"system:serviceaccount:spot:collector\" cannot list it"),
            );
        }
        if path == "/version" {
            return Reply::json(r#"{"major": "1", "minor": "30", "gitVersion": "v1.30.2", "platform": "linux/amd64"}"#);
        }
        let (all, namespace) = split_namespace(path);
        let items: Vec<Value> = if all == NAMESPACES && namespace.is_none() {
            self.namespaces()
        } else {
            match self.objects.get(all.as_str()) {
                Some(items) => items
                    .iter()
                    .filter(|i| namespace.as_deref().is_none_or(|n| i["metadata"]["namespace"] == n))
                    .cloned()
                    .collect(),
                None if KNOWN.contains(&all.as_str()) => Vec::new(),
                None => return status(404, "NotFound", "the server could not find the requested resource"),
            }
        };
        page(&items, request)
    }

    fn namespaces(&self) -> Vec<Value> {
        let mut names: Vec<String> = self
            .objects
            .values()
            .flatten()
            .filter_map(|i| i["metadata"]["namespace"].as_str().map(str::to_string))
            .collect();
        names.sort();
        names.dedup();
        names.into_iter().map(|n| json!({ "metadata": { "name": n } })).collect()
    }
}

const KNOWN: &[&str] = &[
    DEPLOYMENTS,
    STATEFULSETS,
    DAEMONSETS,
    REPLICASETS,
    CRONJOBS,
    PODS,
    SERVICES,
    INGRESSES,
    HPAS,
    NODES,
    NAMESPACES,
    CONFIGMAPS,
];

/// `/apis/apps/v1/namespaces/shop/deployments` → (`/apis/apps/v1/deployments`, `shop`).
fn split_namespace(path: &str) -> (String, Option<String>) {
    let parts: Vec<&str> = path.split('/').collect();
    match parts.iter().position(|p| *p == "namespaces") {
        Some(at) if at + 2 < parts.len() => {
            let mut rest = parts[..at].to_vec();
            rest.extend(&parts[at + 2..]);
            (rest.join("/"), Some(parts[at + 1].to_string()))
        }
        _ => (path.to_string(), None),
    }
}

/// One page of `items`, as `limit` and `continue` ask.
fn page(items: &[Value], request: &Recorded) -> Reply {
    let limit: usize = request.param("limit").and_then(|l| l.parse().ok()).unwrap_or(usize::MAX);
    let start: usize = request.param("continue").and_then(|c| c.strip_prefix("offset-")?.parse().ok()).unwrap_or(0);
    let end = start.saturating_add(limit).min(items.len());
    let slice: Vec<Value> = items[start.min(end)..end].iter().map(as_list_item).collect();
    let mut metadata = json!({ "resourceVersion": "4242" });
    if end < items.len() {
        metadata["continue"] = json!(format!("offset-{end}"));
        metadata["remainingItemCount"] = json!(items.len() - end);
    }
    Reply::json(json!({ "apiVersion": "v1", "kind": "List", "metadata": metadata, "items": slice }).to_string())
}

fn as_list_item(item: &Value) -> Value {
    let mut item = item.clone();
    if let Some(map) = item.as_object_mut() {
        map.remove("apiVersion");
        map.remove("kind");
    }
    item
}

fn status(code: u16, reason: &str, message: &str) -> Reply {
    let body = json!({ "kind": "Status", "apiVersion": "v1", "status": "Failure", "message": message, "reason": reason, "code": code });
    Reply { status: code, headers: vec![("content-type".into(), "application/json".into())], body: body.to_string() }
}

async fn serve(cluster: FakeCluster) -> ReplayServer {
    let cluster = Arc::new(cluster);
    ReplayServer::start(move |request| cluster.answer(request)).await
}

/// A kubeconfig for `server` with the test token, in a fresh folder.
fn kubeconfig(dir: &Path, server: &str) -> PathBuf {
    let path = dir.join("kubeconfig");
    let text = format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: replay\n  cluster:\n    server: {server}\n\
         contexts:\n- name: replay\n  context:\n    cluster: replay\n    user: collector\n    namespace: default\n\
         - name: other\n  context:\n    cluster: replay\n    user: nobody\n\
         current-context: replay\nusers:\n- name: collector\n  user:\n    token: {TOKEN}\n- name: nobody\n  user: {{}}\n"
    );
    std::fs::write(&path, text).unwrap();
    path
}

fn config(kubeconfig: &Path, extra: &str) -> Config {
    let text = format!(
        "clusters = [{{ name = \"dc1\", datacenter = \"eu-west-1\", kubeconfig = \"{}\" }}]\n{extra}\n\
         [http]\nretries = 2\nbackoff_ms = 1\nmax_backoff_ms = 5\ntimeout_ms = 5000\n",
        kubeconfig.display()
    );
    toml::from_str(&text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

async fn collect(config: &Config) -> Result<Observation, CollectError> {
    Kubernetes::new(config)?.collect("dc1", DAY).await
}

/// Runs the collector against `cluster` with `extra` config lines.
async fn observe(cluster: FakeCluster, extra: &str) -> (Result<Observation, CollectError>, ReplayServer) {
    let server = serve(cluster).await;
    let dir = tempfile_dir();
    let result = collect(&config(&kubeconfig(&dir, &server.url), extra)).await;
    (result, server)
}

fn tempfile_dir() -> PathBuf {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("spot-k8s-test-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn recorded(name: &str) -> Value {
    serde_json::from_str(&fixture(&format!("kubernetes/{name}.json"))).unwrap()
}

fn entity<'a>(obs: &'a Observation, key: &str) -> &'a ObservedEntity {
    obs.entities.iter().find(|e| e.key == key).unwrap_or_else(|| panic!("{key} not observed: {:?}", keys(obs)))
}

fn keys(obs: &Observation) -> Vec<&str> {
    obs.entities.iter().map(|e| e.key.as_str()).collect()
}

fn relations(obs: &Observation) -> Vec<(String, String, String, Value)> {
    obs.relations
        .iter()
        .map(|r| (r.from.clone(), r.kind.clone(), r.to.clone(), Value::Object(r.attrs.clone())))
        .collect()
}

fn rel(from: &str, kind: &str, to: &str, attrs: Value) -> (String, String, String, Value) {
    (from.into(), kind.into(), to.into(), attrs)
}

/// The recorded nginx pod, moved to run as a replica of `owner`.
fn pod_of(namespace: &str, name: &str, owner_kind: &str, owner: &str) -> Value {
    let mut pod = recorded("po");
    pod["metadata"]["namespace"] = json!(namespace);
    pod["metadata"]["name"] = json!(name);
    pod["metadata"]["ownerReferences"] =
        json!([{ "apiVersion": "apps/v1", "kind": owner_kind, "name": owner, "uid": "u", "controller": true }]);
    pod
}

// ---------------------------------------------------------------------------
// Mapping of the recorded objects.

fn recorded_cluster() -> FakeCluster {
    let mut zoned = recorded("no");
    zoned["metadata"]["name"] = json!("node-b");
    zoned["metadata"]["labels"]["topology.kubernetes.io/zone"] = json!("eu-west-1b");
    let mut sts_pod = pod_of("default", "nginx-sts-0", "StatefulSet", "nginx-sts");
    sts_pod["spec"]["nodeName"] = json!("node-b");
    sts_pod["status"]["phase"] = json!("Pending");
    sts_pod["status"]["conditions"] = json!([]);
    FakeCluster::default()
        .with(NODES, vec![recorded("no"), zoned])
        .with(DEPLOYMENTS, vec![recorded("dp")])
        .with(REPLICASETS, vec![recorded("rs")])
        .with(STATEFULSETS, vec![recorded("sts")])
        .with(DAEMONSETS, vec![recorded("ds")])
        .with(PODS, vec![pod_of("icx", "icx-db-7d4b578979-x2x9z", "ReplicaSet", "icx-db-7d4b578979"), sts_pod, recorded("po_sidecar")])
        .with(
            SERVICES,
            vec![
                recorded("svc"),
                json!({ "metadata": { "name": "icx-db", "namespace": "icx" }, "spec": { "selector": { "app": "icx-db" } } }),
            ],
        )
        .with(
            INGRESSES,
            vec![json!({ "metadata": { "name": "db", "namespace": "icx" }, "spec": { "rules": [
                { "host": "db.acme.test", "http": { "paths": [{ "path": "/", "pathType": "Prefix", "backend": { "service": { "name": "icx-db", "port": { "number": 5432 } } } }] } },
                { "host": "other.acme.test", "http": { "paths": [{ "path": "/", "pathType": "Prefix", "backend": { "service": { "name": "dictionary1", "port": { "number": 80 } } } }] } }
            ] } })],
        )
}

#[tokio::test]
async fn recorded_objects_become_workloads_with_versions_rollouts_pods_and_relations() {
    let (obs, server) = observe(recorded_cluster(), "").await;
    let obs = obs.unwrap();
    assert_eq!((obs.source.as_str(), obs.scope.as_str(), obs.complete), ("kubernetes", "dc1", true));
    assert_eq!(obs.validate(), Ok(()));
    assert_eq!(
        keys(&obs),
        ["cluster:dc1", "workload:dc1/default/StatefulSet/nginx-sts", "workload:dc1/icx/Deployment/icx-db"],
        "the DaemonSet is in kube-system, excluded by default"
    );
    assert!(obs.warnings.is_empty(), "{:?}", obs.warnings);
    assert!(obs.unobserved.is_empty());

    let cluster = entity(&obs, "cluster:dc1");
    assert_eq!((cluster.kind.as_str(), cluster.name.as_str()), ("cluster", "dc1"));
    assert_eq!(Value::Object(cluster.attrs.clone()), json!({ "datacenter": "eu-west-1", "version": "v1.30.2" }));

    let db = entity(&obs, "workload:dc1/icx/Deployment/icx-db");
    assert_eq!((db.kind.as_str(), db.name.as_str()), ("workload", "icx-db"));
    assert_eq!(
        Value::Object(db.attrs.clone()),
        json!({
            "kind": "Deployment",
            "namespace": "icx",
            "service": "icx-db",
            "service_via": "label:app",
            "container": "icx-db",
            "image": "postgres:9.2-alpine",
            "version": "9.2-alpine",
            "replicas": { "desired": 1, "ready": 1, "available": 1, "updated": 1 },
            "rollout_status": "complete",
            "revision": 1,
            "containers": [{
                "name": "icx-db", "image": "postgres:9.2-alpine", "tag": "9.2-alpine",
                "requests": { "cpu": "250m", "memory": "256Mi" }, "limits": { "cpu": "250m", "memory": "512Mi" }
            }],
            "rollouts": [{ "revision": 1, "version": "9.2-alpine", "image": "postgres:9.2-alpine", "created": "2019-07-14T04:54:17Z" }],
            "pods": { "running": 1, "pending": 0, "succeeded": 0, "failed": 0, "unknown": 0, "ready": 1, "restarts": 0,
                      "nodes": ["minikube"], "node_count": 1, "zones": [] },
            "services": ["icx-db"],
            "hosts": ["db.acme.test"],
            "labels": { "app": "icx-db" },
            "annotations": { "deployment.kubernetes.io/revision": "1" },
            "created": "2019-07-14T04:54:17Z",
        })
    );

    let sts = entity(&obs, "workload:dc1/default/StatefulSet/nginx-sts");
    assert_eq!(sts.attrs["version"], "0.8");
    assert_eq!(sts.attrs["replicas"], json!({ "desired": 4, "ready": 4, "available": 0, "updated": 4 }));
    assert_eq!(sts.attrs["rollout_status"], "complete");
    assert_eq!(sts.attrs["pods"]["pending"], 1);
    assert_eq!(sts.attrs["pods"]["ready"], 0);
    assert_eq!(sts.attrs["pods"]["zones"], json!(["eu-west-1b"]));
    assert_eq!(sts.attrs["annotations"], json!({}), "kubectl's last-applied-configuration is left out");
    assert!(sts.attrs.get("rollouts").is_none() && sts.attrs.get("hosts").is_none());

    assert_eq!(
        relations(&obs),
        [
            rel("workload:dc1/default/StatefulSet/nginx-sts", "runs_in", "cluster:dc1", json!({})),
            rel(
                "service:nginx-sts",
                "deploys",
                "workload:dc1/default/StatefulSet/nginx-sts",
                json!({ "via": "label:app", "version": "0.8" })
            ),
            rel("workload:dc1/icx/Deployment/icx-db", "runs_in", "cluster:dc1", json!({})),
            rel(
                "service:icx-db",
                "deploys",
                "workload:dc1/icx/Deployment/icx-db",
                json!({ "via": "label:app", "version": "9.2-alpine" })
            ),
        ]
    );

    // Cluster-wide lists, the excluded namespaces left out by the server.
    let asked = server.requests();
    let deployments = asked.iter().find(|r| r.path == DEPLOYMENTS).unwrap();
    assert_eq!(deployments.param("limit"), Some("500"));
    assert_eq!(
        deployments.param("fieldSelector"),
        Some("metadata.namespace!=kube-node-lease,metadata.namespace!=kube-public,metadata.namespace!=kube-system")
    );
    assert!(asked.iter().all(|r| r.header("authorization") == Some(&format!("Bearer {TOKEN}"))));
}

#[tokio::test]
async fn a_daemon_set_with_two_containers_runs_the_first_when_nothing_names_its_service() {
    let (obs, _server) = observe(recorded_cluster(), "exclude_namespaces = []\nservice_from_image = false").await;
    let obs = obs.unwrap();
    let ds = entity(&obs, "workload:dc1/kube-system/DaemonSet/fluentd-gcp-v3.2.0");
    assert_eq!(ds.attrs.get("service"), None, "k8s-app is not one of the service labels");
    assert_eq!(ds.attrs["container"], "fluentd-gcp");
    assert_eq!(ds.attrs["version"], "0.6-1.6.0-1");
    assert_eq!(ds.attrs["replicas"], json!({ "desired": 2, "ready": 2, "available": 2, "updated": 2 }));
    let containers: Vec<&str> =
        ds.attrs["containers"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(containers, ["fluentd-gcp", "prometheus-to-sd-exporter"]);
    assert_eq!(ds.attrs["containers"][1]["requests"], json!({}));
    assert_eq!(
        obs.warnings,
        ["1 workloads map to no service (no spot/service annotation, backstage.io/kubernetes-id, app.kubernetes.io/name or app label), so no deploys relation: workload:dc1/kube-system/DaemonSet/fluentd-gcp-v3.2.0"]
    );
    let kinds: Vec<_> = obs
        .relations
        .iter()
        .filter(|r| r.from.contains("DaemonSet") || r.to.contains("DaemonSet"))
        .map(|r| r.kind.as_str())
        .collect();
    assert_eq!(kinds, ["runs_in"], "no deploys without a service");
}

#[tokio::test]
async fn without_a_service_label_the_main_containers_image_names_the_service() {
    let (obs, _server) = observe(recorded_cluster(), "exclude_namespaces = []").await;
    let obs = obs.unwrap();
    let ds = entity(&obs, "workload:dc1/kube-system/DaemonSet/fluentd-gcp-v3.2.0");
    assert_eq!(
        (&ds.attrs["service"], &ds.attrs["service_via"]),
        (&json!("stackdriver-logging-agent"), &json!("image")),
        "gcr.io/stackdriver-agents/stackdriver-logging-agent, the first container's image"
    );
    assert!(obs.warnings.is_empty(), "{:?}", obs.warnings);
    assert!(relations(&obs).contains(&rel(
        "service:stackdriver-logging-agent",
        "deploys",
        "workload:dc1/kube-system/DaemonSet/fluentd-gcp-v3.2.0",
        json!({ "via": "image", "version": "0.6-1.6.0-1" })
    )));
}

// ---------------------------------------------------------------------------
// Dependencies the cluster's objects declare (collectors/src/wiring).

fn service_labelled(namespace: &str, name: &str, service: &str, env: Value) -> Value {
    deployment(
        namespace,
        name,
        json!({ "app.kubernetes.io/name": service }),
        json!({}),
        json!([{ "name": "main", "image": format!("registry.acme.test/{service}:1.0"), "env": env["env"], "envFrom": env["envFrom"] }]),
    )
}

fn k8s_service(namespace: &str, name: &str, selects: &str) -> Value {
    json!({ "metadata": { "name": name, "namespace": namespace }, "spec": { "selector": { "pod": selects } } })
}

#[tokio::test]
async fn workloads_depend_on_the_services_their_env_and_configmaps_name_through_the_namespaces_services() {
    let frontend = service_labelled(
        "shop",
        "web",
        "frontend",
        json!({
            "env": [
                { "name": "CART_ADDR", "value": "cart.shop.svc.cluster.local:7070" },
                { "name": "TRACING_URL", "value": "https://otel.example.com:4317" },
                { "name": "CHECKOUT_ADDR", "valueFrom": { "configMapKeyRef": { "name": "api", "key": "checkout" } } }
            ],
            "envFrom": [{ "configMapRef": { "name": "stores" } }]
        }),
    );
    let cart = service_labelled("shop", "cartservice", "cartservice", json!({}));
    let checkout = service_labelled("shop", "checkout", "checkoutservice", json!({}));
    let redis =
        deployment("shop", "redis-cart", json!({}), json!({}), json!([{ "name": "redis", "image": "redis:7.2" }]));
    let config_maps = vec![
        json!({ "metadata": { "name": "api", "namespace": "shop" }, "data": { "checkout": "checkout:5050", "cart": "cart:7070" } }),
        json!({ "metadata": { "name": "stores", "namespace": "shop" }, "data": { "REDIS_URL": "redis://:hunter2@redis-cart:6379", "LOG_LEVEL": "debug" } }),
        // Same name, another namespace: not what the frontend reads.
        json!({ "metadata": { "name": "stores", "namespace": "other" }, "data": { "X_ADDR": "cartservice:1" } }),
        // Malformed (a number where strings go): named, its value never quoted.
        json!({ "metadata": { "name": "broken", "namespace": "shop" }, "data": { "DB_PASSWORD": 987654321 } }),
    ];
    let cluster = FakeCluster::default()
        .with(DEPLOYMENTS, vec![frontend, cart, checkout, redis])
        .with(
            SERVICES,
            vec![
                // Named unlike the workload it selects.
                k8s_service("shop", "cart", "cartservice"),
                k8s_service("shop", "checkout", "checkout"),
                k8s_service("shop", "redis-cart", "redis-cart"),
            ],
        )
        .with(CONFIGMAPS, config_maps);
    let (obs, _server) = observe(cluster, "").await;
    let obs = obs.unwrap();
    let mut dependencies: Vec<_> = relations(&obs).into_iter().filter(|(_, kind, _, _)| kind == "depends_on").collect();
    dependencies.sort_by(|a, b| a.2.cmp(&b.2));
    assert_eq!(
        dependencies,
        [
            rel(
                "service:frontend",
                "depends_on",
                "resource:redis-cart",
                json!({ "via": "kubernetes", "variable": "REDIS_URL (ConfigMap stores)", "object": "ConfigMap shop/stores" })
            ),
            rel(
                "service:frontend",
                "depends_on",
                "service:cartservice",
                json!({ "via": "kubernetes", "variable": "CART_ADDR", "object": "Deployment shop/web" })
            ),
            rel(
                "service:frontend",
                "depends_on",
                "service:checkoutservice",
                json!({ "via": "kubernetes", "variable": "CHECKOUT_ADDR (ConfigMap api)", "object": "ConfigMap shop/api" })
            ),
        ],
        "the external tracing URL is not an edge; only the key the frontend reads of 'api' counts"
    );
    let redis = entity(&obs, "resource:redis-cart");
    assert_eq!((redis.attrs["type"].as_str(), redis.attrs["engine"].as_str()), (Some("cache"), Some("redis")));
    let warnings = format!("{:?}", obs.warnings);
    assert!(warnings.contains("ConfigMap shop/broken: `data.DB_PASSWORD` does not read"), "{warnings}");
    assert!(
        !warnings.contains("hunter2") && !warnings.contains("987654321"),
        "ConfigMap values are never quoted: {warnings}"
    );
    assert_eq!(obs.validate(), Ok(()));
}

// ---------------------------------------------------------------------------
// Generated objects: sidecars, init containers, digests, missing labels.

fn deployment(namespace: &str, name: &str, labels: Value, annotations: Value, containers: Value) -> Value {
    json!({
        "metadata": { "name": name, "namespace": namespace, "uid": format!("uid-{name}"), "generation": 3,
                      "labels": labels, "annotations": annotations, "creationTimestamp": "2024-03-01T10:00:00Z" },
        "spec": { "replicas": 2, "selector": { "matchLabels": { "pod": name } },
                  "template": { "metadata": { "labels": { "pod": name } }, "spec": { "containers": containers } } },
        "status": { "observedGeneration": 3, "replicas": 2, "updatedReplicas": 2, "readyReplicas": 2, "availableReplicas": 2 }
    })
}

fn replica_set(namespace: &str, deployment: &str, hash: &str, revision: u64, image: &str, created: &str) -> Value {
    json!({
        "metadata": { "name": format!("{deployment}-{hash}"), "namespace": namespace, "creationTimestamp": created,
                      "annotations": { "deployment.kubernetes.io/revision": revision.to_string() },
                      "ownerReferences": [{ "apiVersion": "apps/v1", "kind": "Deployment", "name": deployment,
                                            "uid": format!("uid-{deployment}"), "controller": true }] },
        "spec": { "selector": { "matchLabels": { "pod": deployment } },
                  "template": { "spec": { "containers": [{ "name": "istio-proxy", "image": "istio/proxyv2:1.20.0" },
                                                         { "name": "main", "image": image }] } } }
    })
}

/// A running, ready pod of a ReplicaSet on `node`, its `main` container
/// reporting `image` and `digest`.
fn running_pod(namespace: &str, name: &str, owner: (&str, &str), node: &str, image: &str, digest: &str) -> Value {
    json!({
        "metadata": { "name": name, "namespace": namespace,
                      "ownerReferences": [{ "apiVersion": "apps/v1", "kind": owner.0, "name": owner.1, "uid": "u", "controller": true }] },
        "spec": { "nodeName": node, "containers": [{ "name": "main", "image": image }] },
        "status": { "phase": "Running",
                    "conditions": [{ "type": "Ready", "status": "True" }],
                    "containerStatuses": [{ "name": "main", "image": image, "imageID": format!("docker.io/{image}@{digest}"),
                                            "ready": true, "restartCount": 3 }],
                    "initContainerStatuses": [{ "name": "istio-init", "image": "istio/proxyv2:1.20.0", "imageID": "", "ready": true, "restartCount": 1 }] }
    })
}

fn generated_cluster() -> FakeCluster {
    let sidecar_first = json!([
        { "name": "istio-proxy", "image": "docker.io/istio/proxyv2:1.20.0" },
        { "name": "worker", "image": "registry.acme.test:5000/shop/worker:2.4.1" },
        { "name": "checkout", "image": format!("ghcr.io/acme/checkout:3.1.0@{DIGEST_A}"),
          "resources": { "requests": { "cpu": "500m" }, "limits": { "memory": "1Gi" } } }
    ]);
    let mut checkout = deployment(
        "shop",
        "checkout",
        json!({ "app.kubernetes.io/name": "checkout", "app": "legacy" }),
        json!({}),
        sidecar_first,
    );
    checkout["spec"]["template"]["spec"]["initContainers"] = json!([
        { "name": "migrate", "image": "ghcr.io/acme/checkout-migrations:3.1.0" },
        { "name": "log-shipper", "image": "fluent/fluent-bit:3.0", "restartPolicy": "Always" }
    ]);
    let untagged = deployment(
        "shop",
        "cart",
        json!({ "app": "cart" }),
        json!({}),
        json!([{ "name": "main", "image": "acme/cart" }]),
    );
    let digest_only = deployment(
        "shop",
        "search-v2",
        json!({}),
        json!({ "spot/service": "search" }),
        json!([{ "name": "main", "image": format!("acme/search@{DIGEST_B}") }]),
    );
    let mut unlabelled =
        deployment("shop", "mystery", json!(null), json!(null), json!([{ "name": "main", "image": "busybox:1.36" }]));
    unlabelled["metadata"].as_object_mut().unwrap().remove("labels");
    let mut stuck = deployment(
        "shop",
        "payments",
        json!({ "app": "payments" }),
        json!({}),
        json!([{ "name": "main", "image": "acme/payments:9.0.0" }]),
    );
    stuck["status"]["conditions"] =
        json!([{ "type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded" }]);
    stuck["status"]["updatedReplicas"] = json!(1);

    let cron = json!({
        "metadata": { "name": "nightly-report", "namespace": "ops", "labels": { "app": "reports" } },
        "spec": { "schedule": "0 3 * * *", "timeZone": "Europe/Berlin",
                  "jobTemplate": { "spec": { "template": { "spec": { "containers": [{ "name": "report", "image": "acme/report:1.2.0" }] } } } } }
    });
    let cron_pod = json!({
        "metadata": { "name": "nightly-report-28934470-abcde", "namespace": "ops",
                      "ownerReferences": [{ "apiVersion": "batch/v1", "kind": "Job", "name": "nightly-report-28934470", "uid": "j", "controller": true }] },
        "spec": { "nodeName": "node-a", "containers": [{ "name": "report", "image": "acme/report:1.2.0" }] },
        "status": { "phase": "Succeeded" }
    });
    let node = |name: &str, zone: &str| json!({ "metadata": { "name": name, "labels": { "topology.kubernetes.io/zone": zone } } });
    FakeCluster::default()
        .with(NODES, vec![node("node-a", "zone-a"), node("node-b", "zone-b")])
        .with(DEPLOYMENTS, vec![checkout, untagged, digest_only, unlabelled, stuck])
        .with(CRONJOBS, vec![cron])
        .with(
            REPLICASETS,
            vec![
                replica_set("shop", "checkout", "5d9f", 4, "ghcr.io/acme/checkout:3.1.0", "2024-03-05T09:30:00Z"),
                replica_set("shop", "checkout", "7c1a", 2, "ghcr.io/acme/checkout:2.9.0", "2024-02-01T08:00:00Z"),
                replica_set("shop", "checkout", "11aa", 3, "ghcr.io/acme/checkout", "2024-02-20T12:00:00Z"),
                replica_set("shop", "cart", "c4c4", 1, "acme/cart", "2024-03-01T10:00:00Z"),
            ],
        )
        .with(
            PODS,
            vec![
                running_pod("shop", "cart-c4c4-1", ("ReplicaSet", "cart-c4c4"), "node-a", "acme/cart", DIGEST_A),
                running_pod("shop", "cart-c4c4-2", ("ReplicaSet", "cart-c4c4"), "node-b", "acme/cart", DIGEST_B),
                running_pod("shop", "cart-c4c4-3", ("ReplicaSet", "cart-c4c4"), "node-b", "acme/cart", DIGEST_B),
                running_pod("shop", "stray", ("ReplicaSet", "gone-0000"), "node-a", "acme/gone:1", DIGEST_A),
                cron_pod,
            ],
        )
        .with(
            HPAS,
            vec![json!({ "metadata": { "name": "cart", "namespace": "shop" },
                          "spec": { "scaleTargetRef": { "apiVersion": "apps/v1", "kind": "Deployment", "name": "cart" }, "minReplicas": 2, "maxReplicas": 10 },
                          "status": { "currentReplicas": 3, "desiredReplicas": 4 } })],
        )
}

#[tokio::test]
async fn generated_objects_pick_the_main_container_and_its_version() {
    let (obs, _server) = observe(generated_cluster(), "").await;
    let obs = obs.unwrap();
    assert_eq!(obs.validate(), Ok(()));
    assert!(obs.complete);

    // Sidecar first, the service's container last: the one named like the
    // service wins; its tag is the version even with a digest.
    let checkout = entity(&obs, "workload:dc1/shop/Deployment/checkout");
    assert_eq!(checkout.attrs["service"], "checkout", "app.kubernetes.io/name before app");
    assert_eq!(checkout.attrs["container"], "checkout");
    assert_eq!(checkout.attrs["version"], "3.1.0");
    assert_eq!(checkout.attrs["digest"], DIGEST_A);
    assert_eq!(
        checkout.attrs["containers"][2],
        json!({ "name": "checkout", "image": format!("ghcr.io/acme/checkout:3.1.0@{DIGEST_A}"), "tag": "3.1.0",
                "digest": DIGEST_A, "requests": { "cpu": "500m" }, "limits": { "memory": "1Gi" } })
    );
    assert_eq!(
        checkout.attrs["init_containers"],
        json!([
            { "name": "migrate", "image": "ghcr.io/acme/checkout-migrations:3.1.0", "tag": "3.1.0", "requests": {}, "limits": {} },
            { "name": "log-shipper", "image": "fluent/fluent-bit:3.0", "tag": "3.0", "requests": {}, "limits": {}, "sidecar": true }
        ])
    );
    // Rollouts from the ReplicaSets, oldest first; their main container is
    // the first that is not a sidecar; an untagged image reads as latest.
    assert_eq!(
        checkout.attrs["rollouts"],
        json!([
            { "revision": 2, "version": "2.9.0", "image": "ghcr.io/acme/checkout:2.9.0", "created": "2024-02-01T08:00:00Z" },
            { "revision": 3, "version": "latest", "image": "ghcr.io/acme/checkout", "created": "2024-02-20T12:00:00Z" },
            { "revision": 4, "version": "3.1.0", "image": "ghcr.io/acme/checkout:3.1.0", "created": "2024-03-05T09:30:00Z" }
        ])
    );

    // No tag: the digest most pods run.
    let cart = entity(&obs, "workload:dc1/shop/Deployment/cart");
    assert_eq!((cart.attrs["version"].as_str(), cart.attrs["digest"].as_str()), (Some(DIGEST_B), Some(DIGEST_B)));
    assert_eq!(
        cart.attrs["pods"],
        json!({ "running": 3, "pending": 0, "succeeded": 0, "failed": 0, "unknown": 0, "ready": 3, "restarts": 12,
                "nodes": ["node-a", "node-b"], "node_count": 2, "zones": ["zone-a", "zone-b"] })
    );
    assert_eq!(cart.attrs["hpa"], json!({ "min": 2, "max": 10, "current": 3, "desired": 4 }));

    // Digest only, mapped by annotation.
    let search = entity(&obs, "workload:dc1/shop/Deployment/search-v2");
    assert_eq!((search.attrs["service"].as_str(), search.attrs["version"].as_str()), (Some("search"), Some(DIGEST_B)));
    assert!(search.attrs["containers"][0].get("tag").is_none());

    let payments = entity(&obs, "workload:dc1/shop/Deployment/payments");
    assert_eq!(payments.attrs["rollout_status"], "failed");

    let cron = entity(&obs, "workload:dc1/ops/CronJob/nightly-report");
    assert_eq!(
        (cron.attrs["schedule"].as_str(), cron.attrs["time_zone"].as_str(), cron.attrs["suspend"].as_bool()),
        (Some("0 3 * * *"), Some("Europe/Berlin"), Some(false))
    );
    assert_eq!((cron.attrs["service"].as_str(), cron.attrs["version"].as_str()), (Some("reports"), Some("1.2.0")));
    assert_eq!(cron.attrs["pods"]["succeeded"], 1, "the pod of the CronJob's Job");
    assert!(cron.attrs.get("replicas").is_none() && cron.attrs.get("rollout_status").is_none());

    let mystery = entity(&obs, "workload:dc1/shop/Deployment/mystery");
    assert!(mystery.attrs.get("service").is_none());
    assert_eq!(mystery.attrs["labels"], json!({}));
    assert_eq!(
        obs.warnings,
        ["1 workloads map to no service (no spot/service annotation, backstage.io/kubernetes-id, app.kubernetes.io/name or app label, nor an image that names one), so no deploys relation: workload:dc1/shop/Deployment/mystery"]
    );
    let deploys: Vec<(String, Value)> = obs
        .relations
        .iter()
        .filter(|r| r.kind == "deploys")
        .map(|r| (format!("{} -> {}", r.from, r.to), Value::Object(r.attrs.clone())))
        .collect();
    assert_eq!(
        deploys,
        [
            (
                "service:reports -> workload:dc1/ops/CronJob/nightly-report".to_string(),
                json!({ "version": "1.2.0", "via": "label:app" })
            ),
            (
                "service:cart -> workload:dc1/shop/Deployment/cart".to_string(),
                json!({ "version": DIGEST_B, "via": "label:app" })
            ),
            (
                "service:checkout -> workload:dc1/shop/Deployment/checkout".to_string(),
                json!({ "version": "3.1.0", "via": "label:app.kubernetes.io/name" })
            ),
            (
                "service:payments -> workload:dc1/shop/Deployment/payments".to_string(),
                json!({ "version": "9.0.0", "via": "label:app" })
            ),
            (
                "service:search -> workload:dc1/shop/Deployment/search-v2".to_string(),
                json!({ "version": DIGEST_B, "via": "annotation" })
            ),
        ]
    );
}

/// One workload per signal that can name its service, strongest first.
#[tokio::test]
async fn every_deploys_relation_says_which_signal_named_its_service() {
    let one = |name: &str, labels: Value, annotations: Value, image: &str| {
        deployment("shop", name, labels, annotations, json!([{ "name": "main", "image": image }]))
    };
    let mut on_template = one("ledger-v2", json!({}), json!({}), "acme/ledger:1");
    on_template["spec"]["template"]["metadata"]["labels"]["backstage.io/kubernetes-id"] = json!("ledger");
    let cluster = FakeCluster::default().with(NODES, vec![]).with(
        DEPLOYMENTS,
        vec![
            one(
                "billing-blue",
                json!({ "backstage.io/kubernetes-id": "payments", "app": "billing" }),
                json!({ "spot/service": "billing" }),
                "acme/billing:1",
            ),
            one(
                "payments-v3",
                json!({ "backstage.io/kubernetes-id": "payments", "app.kubernetes.io/name": "payments-api" }),
                json!({}),
                "acme/payments:3",
            ),
            on_template,
            one("web", json!({ "app.kubernetes.io/name": "Storefront", "app": "web" }), json!({}), "acme/web:2"),
            one("worker", json!({ "app": "queue-worker" }), json!({}), "acme/worker:5"),
            // No label: the image names it; an official Docker Hub image
            // never does.
            one("cart-7", json!({}), json!({}), "us-docker.pkg.dev/acme/shop/cartservice:1.2"),
            one("cache", json!({}), json!({}), "redis:7"),
        ],
    );
    let (obs, _server) = observe(cluster, "").await;
    let obs = obs.unwrap();
    let deploys: Vec<(String, String, String)> = obs
        .relations
        .iter()
        .filter(|r| r.kind == "deploys")
        .map(|r| (r.from.clone(), r.to.rsplit('/').next().unwrap().to_string(), r.attrs["via"].to_string()))
        .collect();
    let expected = [
        ("service:billing", "billing-blue", "annotation"),
        ("service:cartservice", "cart-7", "image"),
        ("service:ledger", "ledger-v2", "backstage-id"),
        ("service:payments", "payments-v3", "backstage-id"),
        ("service:storefront", "web", "label:app.kubernetes.io/name"),
        ("service:queue-worker", "worker", "label:app"),
    ];
    let expected: Vec<(String, String, String)> =
        expected.iter().map(|(s, w, via)| (s.to_string(), w.to_string(), format!("\"{via}\""))).collect();
    assert_eq!(deploys, expected);
    let cart = entity(&obs, "workload:dc1/shop/Deployment/cart-7");
    assert_eq!((&cart.attrs["service"], &cart.attrs["service_via"]), (&json!("cartservice"), &json!("image")));
    assert_eq!(
        obs.warnings,
        ["1 workloads map to no service (no spot/service annotation, backstage.io/kubernetes-id, app.kubernetes.io/name or app label, nor an image that names one), so no deploys relation: workload:dc1/shop/Deployment/cache"]
    );
}

// ---------------------------------------------------------------------------
// Pagination and namespaces.

#[tokio::test]
async fn lists_are_read_page_by_page_following_continue() {
    let deployments: Vec<Value> = (0..7)
        .map(|i| {
            deployment(
                "shop",
                &format!("svc-{i}"),
                json!({ "app": format!("svc-{i}") }),
                json!({}),
                json!([{ "name": "main", "image": format!("acme/svc-{i}:1.{i}") }]),
            )
        })
        .collect();
    let pods: Vec<Value> = (0..5)
        .map(|i| {
            running_pod("shop", &format!("p{i}"), ("ReplicaSet", "svc-0-aaaa"), "node-a", "acme/svc-0:1.0", DIGEST_A)
        })
        .collect();
    let cluster = FakeCluster::default()
        .with(DEPLOYMENTS, deployments)
        .with(REPLICASETS, vec![replica_set("shop", "svc-0", "aaaa", 1, "acme/svc-0:1.0", "2024-01-01T00:00:00Z")])
        .with(PODS, pods);
    let (obs, server) = observe(cluster, "page_size = 2").await;
    let obs = obs.unwrap();
    assert_eq!(obs.entities.len(), 8, "the cluster and every deployment: {:?}", keys(&obs));
    assert_eq!(entity(&obs, "workload:dc1/shop/Deployment/svc-0").attrs["pods"]["running"], 5);
    let pages: Vec<(Option<String>, Option<String>)> = server
        .requests()
        .iter()
        .filter(|r| r.path == DEPLOYMENTS)
        .map(|r| (r.param("limit").map(str::to_string), r.param("continue").map(str::to_string)))
        .collect();
    let expected: Vec<(Option<String>, Option<String>)> = [None, Some("offset-2"), Some("offset-4"), Some("offset-6")]
        .into_iter()
        .map(|c| (Some("2".to_string()), c.map(str::to_string)))
        .collect();
    assert_eq!(pages, expected);
    assert_eq!(server.count(PODS), 3);
}

#[tokio::test]
async fn a_forbidden_namespace_is_unobserved_and_the_run_partial() {
    let cluster = FakeCluster::default()
        .with(
            DEPLOYMENTS,
            vec![
                deployment(
                    "shop",
                    "cart",
                    json!({ "app": "cart" }),
                    json!({}),
                    json!([{ "name": "main", "image": "acme/cart:1.0" }]),
                ),
                deployment(
                    "audit",
                    "ledger",
                    json!({ "app": "ledger" }),
                    json!({}),
                    json!([{ "name": "main", "image": "acme/ledger:2.0" }]),
                ),
            ],
        )
        .forbid("/apis/apps/v1/namespaces/vault/deployments")
        .forbid("/apis/apps/v1/namespaces/vault/statefulsets")
        .forbid("/apis/apps/v1/namespaces/vault/daemonsets")
        .forbid("/apis/batch/v1/namespaces/vault/cronjobs")
        .forbid("/apis/apps/v1/namespaces/vault/replicasets")
        .forbid("/api/v1/namespaces/vault/pods")
        .forbid("/api/v1/namespaces/audit/pods")
        .forbid("/apis/networking.k8s.io/v1/namespaces/shop/ingresses");
    let (obs, _server) = observe(cluster, r#"namespaces = ["shop", "audit", "vault"]"#).await;
    let obs = obs.unwrap();
    assert!(!obs.complete, "a partial run closes nothing");
    assert_eq!(obs.validate(), Ok(()));
    assert_eq!(keys(&obs), ["cluster:dc1", "workload:dc1/shop/Deployment/cart"]);
    assert_eq!(
        obs.unobserved,
        ["service:ledger", "workload:dc1/audit/Deployment/ledger"],
        "listed where its pods could not be: its facts carry forward"
    );
    assert_eq!(
        obs.warnings,
        [
            "namespace 'shop': listing ingresses is forbidden (HTTP 403): what they add to workloads is missing there",
            "namespace 'audit': listing pods is forbidden (HTTP 403): the namespace is not observed and nothing in it is closed",
            "namespace 'vault': listing cronjobs, daemonsets, deployments, pods, replicasets, statefulsets is forbidden (HTTP 403): the namespace is not observed and nothing in it is closed",
        ]
    );
}

#[tokio::test]
async fn a_refused_cluster_wide_list_falls_back_to_namespaces() {
    let cluster = FakeCluster::default()
        .with(
            DEPLOYMENTS,
            vec![deployment(
                "shop",
                "cart",
                json!({ "app": "cart" }),
                json!({}),
                json!([{ "name": "main", "image": "acme/cart:1.0" }]),
            )],
        )
        .with(PODS, vec![json!({ "metadata": { "name": "x", "namespace": "kube-system" } })])
        .forbid(DEPLOYMENTS);
    let (obs, server) = observe(cluster.clone(), "").await;
    let obs = obs.unwrap();
    assert!(obs.complete);
    assert_eq!(keys(&obs), ["cluster:dc1", "workload:dc1/shop/Deployment/cart"]);
    assert_eq!(
        obs.warnings,
        ["/apis/apps/v1/deployments cannot be listed cluster-wide (HTTP 403): listing per namespace, 1 namespaces"],
        "kube-system is excluded from the namespaces read"
    );
    assert_eq!(server.count("/apis/apps/v1/namespaces/shop/deployments"), 1);
    assert_eq!(server.count("/api/v1/namespaces/shop/pods"), 1, "later resources are read per namespace too");
    assert_eq!(server.count(PODS), 0);

    let (err, _server) = observe(cluster.forbid(NAMESPACES), "").await;
    let err = err.unwrap_err().to_string();
    assert!(
        err.starts_with("kubernetes cluster 'dc1': /apis/apps/v1/deployments is forbidden (HTTP 403: it cannot be listed cluster-wide, nor can /api/v1/namespaces"),
        "{err}"
    );
    assert!(err.contains("or set namespaces = [...] in [collectors.kubernetes]"), "{err}");
}

// ---------------------------------------------------------------------------
// Failures.

#[tokio::test]
async fn an_unreachable_cluster_fails_its_run_and_not_the_others() {
    let server = serve(generated_cluster()).await;
    let (good_dir, bad_dir) = (tempfile_dir(), tempfile_dir());
    let nowhere = closed_port_url();
    let (good, bad) = (kubeconfig(&good_dir, &server.url), kubeconfig(&bad_dir, &nowhere));
    let text = format!(
        "[kubernetes]\nclusters = [{{ name = \"dc1\", kubeconfig = \"{}\" }}, {{ name = \"dc2\", datacenter = \"us-east-1\", kubeconfig = \"{}\" }}]\n\
         [kubernetes.http]\nretries = 2\nbackoff_ms = 1\nmax_backoff_ms = 5\n",
        good.display(),
        bad.display()
    );
    let collectors: CollectorsConfig = toml::from_str(&text).unwrap();
    let collector = collectors.build("kubernetes").unwrap();
    assert_eq!(collector.scopes(), ["dc1", "dc2"]);
    let obs = collector.collect("dc1", DAY).await.unwrap();
    assert!(obs.complete && obs.entities.len() > 1);
    let err = collector.collect("dc2", DAY).await.unwrap_err().to_string();
    assert!(
        err.starts_with(&format!("kubernetes cluster 'dc2' at {nowhere} is unreachable after 3 attempts (")),
        "{err}"
    );
    assert!(
        err.ends_with("check the cluster's server address in the kubeconfig and that it answers from here"),
        "{err}"
    );
    let err = collector.collect("dc3", DAY).await.unwrap_err().to_string();
    assert_eq!(err, "kubernetes: no scope 'dc3' is configured (configured: dc1, dc2)");
}

#[tokio::test]
async fn an_expired_token_fails_the_run_saying_what_to_renew() {
    let server = serve(generated_cluster()).await;
    let dir = tempfile_dir();
    let path = kubeconfig(&dir, &server.url);
    let expired = std::fs::read_to_string(&path).unwrap().replace(TOKEN, "expired-token-0000");
    std::fs::write(&path, expired).unwrap();
    let err = collect(&config(&path, "")).await.unwrap_err().to_string();
    assert_eq!(
        err,
        format!(
            "kubernetes cluster 'dc1' rejected the credentials (HTTP 401 on /version): the token or client certificate is expired, revoked or not for this cluster; renew it (kubeconfig {} (its current context))",
            path.display()
        )
    );
    assert!(!err.contains("expired-token-0000"));
    assert_eq!(server.requests().len(), 1, "a 401 is not retried");
    assert_eq!(server.requests()[0].header("authorization"), Some("Bearer expired-token-0000"));
}

#[tokio::test]
async fn a_context_without_credentials_is_refused_too() {
    let server = serve(generated_cluster()).await;
    let dir = tempfile_dir();
    let path = kubeconfig(&dir, &server.url);
    let text = format!("clusters = [{{ name = \"dc1\", kubeconfig = \"{}\", context = \"other\" }}]", path.display());
    let err = collect(&toml::from_str(&text).unwrap()).await.unwrap_err().to_string();
    assert!(err.contains(&format!("HTTP 401 on /version): the token or client certificate is expired, revoked or not for this cluster; renew it (kubeconfig {} context 'other')", path.display())), "{err}");
}

#[tokio::test]
async fn bad_kubeconfigs_are_named_with_what_is_wrong() {
    let dir = tempfile_dir();
    let missing = dir.join("nope.kubeconfig");
    let err = collect(&config(&missing, "")).await.unwrap_err().to_string();
    assert!(
        err.starts_with(&format!(
            "kubernetes cluster 'dc1': kubeconfig {0} (its current context) is not usable: cannot read {0}: ",
            missing.display()
        )),
        "{err}"
    );

    let garbage = dir.join("garbage.kubeconfig");
    std::fs::write(&garbage, "clusters: \"secret-looking-value\"\n").unwrap();
    let err = collect(&config(&garbage, "")).await.unwrap_err().to_string();
    assert!(err.contains("is not usable: it is not a kubeconfig ("), "{err}");
    assert!(!err.contains("secret-looking-value"), "values from the file are not quoted: {err}");

    let path = kubeconfig(&dir, "http://127.0.0.1:9");
    let text = format!("clusters = [{{ name = \"dc1\", kubeconfig = \"{}\", context = \"staging\" }}]", path.display());
    let err = collect(&toml::from_str(&text).unwrap()).await.unwrap_err().to_string();
    assert_eq!(err, format!("kubernetes cluster 'dc1': kubeconfig {} context 'staging' is not usable: it has no context named 'staging'", path.display()));
}

#[tokio::test]
async fn a_tls_failure_is_named_and_not_retried() {
    let server = serve(generated_cluster()).await;
    let dir = tempfile_dir();
    // An HTTPS URL for a server that speaks plain HTTP: the handshake fails.
    let path = kubeconfig(&dir, &server.url.replace("http://", "https://"));
    let err = collect(&config(&path, "")).await.unwrap_err().to_string();
    let https = server.url.replace("http://", "https://");
    assert!(err.starts_with(&format!("kubernetes cluster 'dc1' at {https}: the TLS handshake failed (")), "{err}");
    assert!(err.ends_with("check the cluster's certificate-authority (and client certificate) in the kubeconfig, and that the server speaks HTTPS"), "{err}");
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn rate_limits_and_server_errors_are_retried() {
    let calls = Arc::new(Mutex::new(0u32));
    let seen = calls.clone();
    let cluster = Arc::new(generated_cluster());
    let server = ReplayServer::start(move |request| {
        if request.path == DEPLOYMENTS {
            let mut calls = seen.lock().unwrap();
            *calls += 1;
            match *calls {
                1 => return status(429, "TooManyRequests", "slow down").header("retry-after", "0"),
                2 => return status(503, "ServiceUnavailable", "etcd is busy"),
                _ => {}
            }
        }
        cluster.answer(request)
    })
    .await;
    let dir = tempfile_dir();
    let obs = collect(&config(&kubeconfig(&dir, &server.url), "")).await.unwrap();
    assert!(obs.entities.iter().any(|e| e.key == "workload:dc1/shop/Deployment/cart"));
    assert_eq!(*calls.lock().unwrap(), 3);

    let failing = ReplayServer::start(|request| match request.path.as_str() {
        "/version" => Reply::json(r#"{"gitVersion": "v1.30.2"}"#),
        _ => status(500, "InternalError", "etcdserver: request timed out"),
    })
    .await;
    let err = collect(&config(&kubeconfig(&tempfile_dir(), &failing.url), "")).await.unwrap_err().to_string();
    assert_eq!(
        err,
        "kubernetes cluster 'dc1': /api/v1/nodes answered HTTP 500 after 3 attempts: etcdserver: request timed out"
    );
}

#[tokio::test]
async fn malformed_objects_cost_only_their_workload() {
    let mut cluster = generated_cluster();
    let mut broken = deployment("shop", "broken", json!({ "app": "broken" }), json!({}), json!([]));
    broken["spec"]["replicas"] = json!("three");
    let mut odd_pod = running_pod("shop", "cart-c4c4-9", ("ReplicaSet", "cart-c4c4"), "node-a", "acme/cart", DIGEST_A);
    odd_pod["status"]["containerStatuses"][0]["restartCount"] = json!("many");
    cluster = cluster.with(DEPLOYMENTS, vec![broken]).with(PODS, vec![odd_pod]);
    let (obs, _server) = observe(cluster, "").await;
    let obs = obs.unwrap();
    assert!(obs.complete, "every unreadable object's workload and service are known");
    assert_eq!(obs.validate(), Ok(()));
    assert_eq!(
        obs.unobserved,
        ["service:broken", "service:cart", "workload:dc1/shop/Deployment/broken", "workload:dc1/shop/Deployment/cart"]
    );
    assert!(!keys(&obs).contains(&"workload:dc1/shop/Deployment/cart"));
    assert!(keys(&obs).contains(&"workload:dc1/shop/Deployment/checkout"));
    assert_eq!(
        obs.warnings[..2],
        [
            "Deployment shop/broken: not read: `spec.replicas`: invalid type: string \"three\", expected i32",
            "Pod shop/cart-c4c4-9: not read: `status.containerStatuses[0].restartCount`: invalid type: string \"many\", expected i32",
        ]
    );

    // A page that is not a list fails the run, naming the endpoint.
    let mut cluster = generated_cluster();
    cluster.raw.insert(REPLICASETS.into(), Reply::json("{\"items\": 5}"));
    let (err, _server) = observe(cluster, "").await;
    let err = err.unwrap_err().to_string();
    assert!(
        err.starts_with(
            "kubernetes cluster 'dc1': /apis/apps/v1/replicasets answered an unexpected shape at `line 1 column"
        ),
        "{err}"
    );
}

#[tokio::test]
async fn forbidden_nodes_cost_only_the_zones() {
    let (obs, _server) = observe(generated_cluster().forbid(NODES), "").await;
    let obs = obs.unwrap();
    assert!(obs.complete);
    let cart = entity(&obs, "workload:dc1/shop/Deployment/cart");
    assert!(cart.attrs["pods"].get("zones").is_none());
    assert_eq!(cart.attrs["pods"]["nodes"], json!(["node-a", "node-b"]));
    assert!(
        obs.warnings[0].starts_with("nodes cannot be listed (HTTP 403): workloads have no zones ("),
        "{:?}",
        obs.warnings
    );
}

#[tokio::test]
async fn a_context_alone_reads_the_default_kubeconfig() {
    let server = serve(generated_cluster()).await;
    let dir = tempfile_dir();
    let path = kubeconfig(&dir, &server.url);
    // The only test that sets KUBECONFIG: the default kubeconfig is this one.
    std::env::set_var("KUBECONFIG", &path);
    let config: Config = toml::from_str("clusters = [{ name = \"dc1\", context = \"replay\" }]").unwrap();
    let obs = collect(&config).await.unwrap();
    assert!(keys(&obs).contains(&"workload:dc1/shop/Deployment/cart"));
    let config: Config = toml::from_str("clusters = [{ name = \"dc1\", context = \"prod\" }]").unwrap();
    let err = collect(&config).await.unwrap_err().to_string();
    assert_eq!(
        err,
        "kubernetes cluster 'dc1': context 'prod' of the default kubeconfig ($KUBECONFIG or ~/.kube/config) is not usable: it has no context named 'prod'"
    );
}

#[tokio::test]
async fn in_cluster_outside_a_pod_says_what_it_needs() {
    if std::env::var_os("KUBERNETES_SERVICE_HOST").is_some() {
        return; // running in a pod: the in-cluster config may well work
    }
    let config: Config = toml::from_str("clusters = [{ name = \"local\", in_cluster = true }]").unwrap();
    let err = Kubernetes::new(&config).unwrap().collect("local", DAY).await.unwrap_err().to_string();
    assert!(err.starts_with("kubernetes cluster 'local': the in-cluster service account is not usable: "), "{err}");
    assert!(err.ends_with("(in_cluster needs KUBERNETES_SERVICE_HOST/PORT and the service account files under /var/run/secrets/kubernetes.io/serviceaccount)"), "{err}");
}

/// The manifests of an Online-Boutique-shaped repository: a frontend whose
/// env names a Service named unlike its workload, and a ConfigMap it reads.
const SHOP_MANIFESTS: &str = "apiVersion: apps/v1
kind: Deployment
metadata: { name: web, namespace: shop, labels: { app.kubernetes.io/name: frontend } }
spec:
  selector: { matchLabels: { pod: web } }
  template:
    metadata: { labels: { pod: web } }
    spec:
      containers:
        - name: main
          image: acme/frontend:1.0
          env: [{ name: CART_ADDR, value: 'cart:7070' }]
          envFrom: [{ configMapRef: { name: api } }]
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: cartservice, namespace: shop, labels: { app.kubernetes.io/name: cartservice } }
spec:
  selector: { matchLabels: { pod: cartservice } }
  template:
    metadata: { labels: { pod: cartservice } }
    spec: { containers: [{ name: main, image: acme/cartservice:1.0, env: [{ name: REDIS_ADDR, value: 'redis-cart:6379' }] }] }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: checkoutservice, namespace: shop, labels: { app.kubernetes.io/name: checkoutservice } }
spec:
  selector: { matchLabels: { pod: checkoutservice } }
  template:
    metadata: { labels: { pod: checkoutservice } }
    spec: { containers: [{ name: main, image: acme/checkoutservice:1.0 }] }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: redis-cart, namespace: shop }
spec:
  selector: { matchLabels: { pod: redis-cart } }
  template:
    metadata: { labels: { pod: redis-cart } }
    spec: { containers: [{ name: redis, image: 'redis:7.2' }] }
---
apiVersion: v1
kind: Service
metadata: { name: cart, namespace: shop }
spec: { selector: { pod: cartservice } }
---
apiVersion: v1
kind: Service
metadata: { name: redis-cart, namespace: shop }
spec: { selector: { pod: redis-cart } }
---
apiVersion: v1
kind: ConfigMap
metadata: { name: api, namespace: shop }
data: { CHECKOUT_ADDR: 'checkoutservice.shop.svc.cluster.local:5050' }
";

#[tokio::test]
async fn a_cluster_and_the_repository_declaring_it_give_the_same_dependencies() {
    use collectors::github::{api::Repo, cache::RepoSnapshot, map, sync::RepoFiles};
    let documents: Vec<Value> = SHOP_MANIFESTS
        .split("\n---\n")
        .map(|document| serde_json::to_value(yaml_serde::from_str::<yaml_serde::Value>(document).unwrap()).unwrap())
        .collect();
    let of_kind = |kind: &str| -> Vec<Value> { documents.iter().filter(|d| d["kind"] == kind).cloned().collect() };
    let cluster = FakeCluster::default()
        .with(DEPLOYMENTS, of_kind("Deployment"))
        .with(SERVICES, of_kind("Service"))
        .with(CONFIGMAPS, of_kind("ConfigMap"));
    let (live, _server) = observe(cluster, "").await;
    let live = live.unwrap();

    let mut files: Vec<(String, String)> = vec![("k8s/shop.yaml".into(), SHOP_MANIFESTS.into())];
    for service in ["frontend", "cartservice", "checkoutservice"] {
        files.push((format!("src/{service}/Dockerfile"), "FROM scratch\n".into()));
    }
    let repo = RepoFiles {
        repo: serde_json::from_value::<Repo>(json!({ "name": "shop", "default_branch": "main" })).unwrap(),
        snapshot: RepoSnapshot::new(None, "main".into()),
        contents: files.into_iter().collect(),
        too_large: vec![],
        unparsed: BTreeMap::new(),
    };
    let mut declared = Observation::new("github", "acme", DAY);
    let identity = collectors::identity::IdentityConfig::default();
    map::observe(
        &map::OrgContext { host: "github.com", org: "acme", day: DAY, identity: &identity },
        &[repo],
        &mut declared,
    );

    let edges = |obs: &Observation| -> Vec<(String, String)> {
        let mut found: Vec<_> =
            obs.relations.iter().filter(|r| r.kind == "depends_on").map(|r| (r.from.clone(), r.to.clone())).collect();
        found.sort();
        found
    };
    let expected = [
        ("service:cartservice", "resource:redis-cart"),
        ("service:frontend", "service:cartservice"),
        ("service:frontend", "service:checkoutservice"),
    ];
    let expected: Vec<(String, String)> = expected.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
    assert_eq!(edges(&live), expected, "read from the cluster");
    assert_eq!(edges(&declared), expected, "read from the repository");
}
