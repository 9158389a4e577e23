//! The large cluster `spot bench kubernetes` runs against: an HTTP server
//! on loopback answering the Kubernetes list endpoints (nodes,
//! Deployments, ReplicaSets, pods) with objects generated page by page, so
//! it holds one page at a time, paginated with `limit` and `continue` like
//! an API server. It counts requests, bytes and its own busy time, which
//! the benchmark reports beside the collector's.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::http::{Request, Response, StatusCode};
use axum::Router;
use serde_json::json;

use super::Options;

/// The bearer token the server expects (the benchmark's kubeconfig has it).
pub const TOKEN: &str = "bench-token";

/// The generated cluster: which list path has how many objects.
pub struct Cluster {
    options: Options,
    pub requests: AtomicU64,
    pub bytes: AtomicU64,
    pub busy_ns: AtomicU64,
}

impl Cluster {
    /// Starts the server on a free loopback port; it runs until the
    /// returned task is aborted.
    pub async fn serve(
        options: Options,
    ) -> std::io::Result<(Arc<Cluster>, SocketAddr, tokio::task::JoinHandle<std::io::Result<()>>)> {
        let cluster = Arc::new(Cluster {
            options,
            requests: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            busy_ns: AtomicU64::new(0),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        let served = cluster.clone();
        let app = Router::new().fallback(move |request: Request<Body>| {
            let cluster = served.clone();
            async move { cluster.answer(&request) }
        });
        let server = tokio::spawn(async move { axum::serve(listener, app).await });
        Ok((cluster, address, server))
    }

    fn answer(&self, request: &Request<Body>) -> Response<Body> {
        let started = Instant::now();
        let response = self.generate(request);
        self.busy_ns.fetch_add(started.elapsed().as_nanos() as u64, Ordering::Relaxed);
        response
    }

    fn generate(&self, request: &Request<Body>) -> Response<Body> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let authorised =
            request.headers().get("authorization").and_then(|v| v.to_str().ok()) == Some(&format!("Bearer {TOKEN}"));
        if !authorised {
            return respond(StatusCode::UNAUTHORIZED, b"{\"kind\":\"Status\",\"code\":401}".to_vec());
        }
        let uri = request.uri();
        let (limit, offset) = paging(uri.query().unwrap_or(""));
        let body = match uri.path() {
            "/version" => json!({ "major": "1", "minor": "30", "gitVersion": "v1.30.2" }).to_string().into_bytes(),
            "/api/v1/nodes" => self.page(self.options.nodes, limit, offset, node),
            "/apis/apps/v1/deployments" => self.page(self.options.deployments, limit, offset, deployment),
            "/apis/apps/v1/replicasets" => {
                self.page(self.options.replicasets, limit, offset, |j| replica_set(j, self.options.deployments))
            }
            "/api/v1/pods" => self.page(self.options.pods, limit, offset, |k| self.pod(k)),
            path if path.starts_with("/api/") || path.starts_with("/apis/") => {
                self.page(0, limit, offset, |_| String::new())
            }
            _ => return respond(StatusCode::NOT_FOUND, b"{\"kind\":\"Status\",\"code\":404}".to_vec()),
        };
        self.bytes.fetch_add(body.len() as u64, Ordering::Relaxed);
        respond(StatusCode::OK, body)
    }

    /// Objects `offset..offset+limit` of `total`, with a continue token
    /// when more follow. Written as text: the harness should cost little
    /// next to what it measures.
    fn page(&self, total: usize, limit: usize, offset: usize, make: impl Fn(usize) -> String) -> Vec<u8> {
        let end = offset.saturating_add(limit).min(total);
        let mut body = String::with_capacity(4096 * (end - offset.min(end)) + 256);
        body.push_str(r#"{"apiVersion":"v1","kind":"List","metadata":{"resourceVersion":"987654""#);
        if end < total {
            body.push_str(&format!(r#","continue":"o{end}","remainingItemCount":{}"#, total - end));
        }
        body.push_str(r#"},"items":["#);
        for (n, i) in (offset.min(end)..end).enumerate() {
            if n > 0 {
                body.push(',');
            }
            body.push_str(&make(i));
        }
        body.push_str("]}");
        body.into_bytes()
    }

    /// Pod `k` runs in the newest ReplicaSet of Deployment `k % deployments`.
    fn pod(&self, k: usize) -> String {
        let deployments = self.options.deployments;
        let d = k % deployments;
        let revisions = revisions_of(d, deployments, self.options.replicasets);
        let rs = d + (revisions - 1) * deployments;
        pod(k, d, rs, revisions, self.options.nodes)
    }
}

fn respond(status: StatusCode, body: Vec<u8>) -> Response<Body> {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response.headers_mut().insert("content-type", "application/json".parse().expect("a valid header value"));
    response
}

/// `limit` and the offset in `continue=o<offset>`.
fn paging(query: &str) -> (usize, usize) {
    let mut limit = usize::MAX;
    let mut offset = 0;
    for pair in query.split('&') {
        match pair.split_once('=') {
            Some(("limit", value)) => limit = value.parse().unwrap_or(usize::MAX),
            Some(("continue", value)) => offset = value.trim_start_matches('o').parse().unwrap_or(0),
            _ => {}
        }
    }
    (limit, offset)
}

/// ReplicaSet `j` belongs to Deployment `j % deployments`, revision
/// `j / deployments + 1`: how many a Deployment has.
fn revisions_of(d: usize, deployments: usize, replicasets: usize) -> usize {
    replicasets / deployments + usize::from(d < replicasets % deployments)
}

fn namespace(d: usize) -> String {
    format!("team-{:02}", d % 40)
}

fn name(d: usize) -> String {
    format!("svc-{d:04}")
}

fn hash(j: usize) -> String {
    format!("{:010x}", (j as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 24)
}

fn image(d: usize, revision: usize) -> String {
    format!("registry.acme.internal/team-{:02}/{}:1.{revision}.{}", d % 40, name(d), d % 7)
}

fn labels(d: usize, hash: Option<&str>) -> String {
    let hash = hash.map(|h| format!(r#","pod-template-hash":"{h}""#)).unwrap_or_default();
    format!(
        r#"{{"app.kubernetes.io/name":"{name}","app.kubernetes.io/part-of":"shop","team":"{ns}"{hash}}}"#,
        name = name(d),
        ns = namespace(d)
    )
}

const POD_ANNOTATIONS: &str = r#"{"prometheus.io/scrape":"true","prometheus.io/port":"9090"}"#;

/// The main container and an Istio sidecar, with ports, env, resources
/// and probes.
fn containers(d: usize, revision: usize) -> String {
    format!(
        r#"[{{"name":"{name}","image":"{image}","imagePullPolicy":"IfNotPresent","ports":[{{"name":"http","containerPort":8080,"protocol":"TCP"}},{{"name":"metrics","containerPort":9090,"protocol":"TCP"}}],"env":[{{"name":"SERVICE_NAME","value":"{name}"}},{{"name":"LOG_LEVEL","value":"info"}},{{"name":"DB_PASSWORD","valueFrom":{{"secretKeyRef":{{"name":"{name}-db","key":"password"}}}}}}],"resources":{{"requests":{{"cpu":"250m","memory":"256Mi"}},"limits":{{"cpu":"1","memory":"512Mi"}}}},"livenessProbe":{{"httpGet":{{"path":"/healthz","port":8080,"scheme":"HTTP"}},"initialDelaySeconds":10,"periodSeconds":10,"timeoutSeconds":1,"successThreshold":1,"failureThreshold":3}},"readinessProbe":{{"httpGet":{{"path":"/ready","port":8080,"scheme":"HTTP"}},"periodSeconds":5,"timeoutSeconds":1,"successThreshold":1,"failureThreshold":3}},"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File"}},{{"name":"istio-proxy","image":"docker.io/istio/proxyv2:1.20.3","imagePullPolicy":"IfNotPresent","args":["proxy","sidecar","--domain","$(POD_NAMESPACE).svc.cluster.local","--proxyLogLevel=warning"],"resources":{{"requests":{{"cpu":"100m","memory":"128Mi"}},"limits":{{"cpu":"2","memory":"1Gi"}}}},"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File"}}]"#,
        name = name(d),
        image = image(d, revision)
    )
}

fn pod_template(d: usize, revision: usize, hash: Option<&str>) -> String {
    format!(
        r#"{{"metadata":{{"labels":{labels},"annotations":{POD_ANNOTATIONS}}},"spec":{{"containers":{containers},"restartPolicy":"Always","terminationGracePeriodSeconds":30,"dnsPolicy":"ClusterFirst","serviceAccountName":"{name}","schedulerName":"default-scheduler","securityContext":{{}}}}}}"#,
        labels = labels(d, hash),
        containers = containers(d, revision),
        name = name(d)
    )
}

/// kubectl's copy of the manifest, as a JSON string inside the JSON.
fn last_applied(d: usize) -> String {
    let manifest = format!(
        r#"{{"apiVersion":"apps/v1","kind":"Deployment","metadata":{{"name":"{name}","namespace":"{ns}","labels":{{"app.kubernetes.io/name":"{name}"}}}},"spec":{{"replicas":3,"template":{template}}}}}"#,
        name = name(d),
        ns = namespace(d),
        template = pod_template(d, 1, None)
    );
    serde_json::to_string(&manifest).unwrap_or_default()
}

fn deployment(d: usize) -> String {
    format!(
        r#"{{"metadata":{{"name":"{name}","namespace":"{ns}","uid":"uid-{d}","generation":4,"resourceVersion":"{rv}","creationTimestamp":"2024-01-15T09:00:00Z","labels":{labels},"annotations":{{"deployment.kubernetes.io/revision":"3","kubectl.kubernetes.io/last-applied-configuration":{applied}}}}},"spec":{{"replicas":3,"revisionHistoryLimit":10,"progressDeadlineSeconds":600,"selector":{{"matchLabels":{{"app.kubernetes.io/name":"{name}"}}}},"strategy":{{"type":"RollingUpdate","rollingUpdate":{{"maxSurge":"25%","maxUnavailable":"25%"}}}},"template":{template}}},"status":{{"observedGeneration":4,"replicas":3,"updatedReplicas":3,"readyReplicas":3,"availableReplicas":3,"conditions":[{{"type":"Available","status":"True","reason":"MinimumReplicasAvailable","message":"Deployment has minimum availability.","lastUpdateTime":"2024-03-01T10:00:00Z","lastTransitionTime":"2024-03-01T10:00:00Z"}},{{"type":"Progressing","status":"True","reason":"NewReplicaSetAvailable","message":"ReplicaSet has successfully progressed.","lastUpdateTime":"2024-03-01T10:00:00Z","lastTransitionTime":"2024-01-15T09:00:00Z"}}]}}}}"#,
        name = name(d),
        ns = namespace(d),
        rv = 100_000 + d,
        labels = labels(d, None),
        applied = last_applied(d),
        template = pod_template(d, 3, None)
    )
}

fn replica_set(j: usize, deployments: usize) -> String {
    let (d, revision) = (j % deployments, j / deployments + 1);
    let hash = hash(j);
    format!(
        r#"{{"metadata":{{"name":"{name}-{hash}","namespace":"{ns}","uid":"rs-uid-{j}","creationTimestamp":"2024-{month:02}-{day:02}T10:00:00Z","labels":{labels},"annotations":{{"deployment.kubernetes.io/revision":"{revision}","deployment.kubernetes.io/desired-replicas":"3","deployment.kubernetes.io/max-replicas":"4"}},"ownerReferences":[{{"apiVersion":"apps/v1","kind":"Deployment","name":"{name}","uid":"uid-{d}","controller":true,"blockOwnerDeletion":true}}]}},"spec":{{"replicas":3,"selector":{{"matchLabels":{{"app.kubernetes.io/name":"{name}","pod-template-hash":"{hash}"}}}},"template":{template}}},"status":{{"replicas":3,"fullyLabeledReplicas":3,"readyReplicas":3,"availableReplicas":3,"observedGeneration":1}}}}"#,
        name = name(d),
        ns = namespace(d),
        month = (revision % 12) + 1,
        day = (d % 28) + 1,
        labels = labels(d, Some(&hash)),
        template = pod_template(d, revision, Some(&hash))
    )
}

fn pod(k: usize, d: usize, rs: usize, revision: usize, nodes: usize) -> String {
    let hash = hash(rs);
    let digest = format!("sha256:{:064x}", (d as u128).wrapping_mul(0x1234_5678_9abc_def1) + revision as u128);
    let condition = |kind: &str| {
        format!(
            r#"{{"type":"{kind}","status":"True","lastProbeTime":null,"lastTransitionTime":"2024-03-01T10:00:05Z"}}"#
        )
    };
    let conditions = ["Initialized", "Ready", "ContainersReady", "PodScheduled"].map(condition).join(",");
    format!(
        r#"{{"metadata":{{"name":"{name}-{hash}-{k:05}","namespace":"{ns}","uid":"pod-uid-{k}","creationTimestamp":"2024-03-01T10:00:00Z","labels":{labels},"annotations":{POD_ANNOTATIONS},"ownerReferences":[{{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"{name}-{hash}","uid":"rs-uid-{rs}","controller":true,"blockOwnerDeletion":true}}]}},"spec":{{"nodeName":"node-{node:03}","containers":{containers},"restartPolicy":"Always","serviceAccountName":"{name}","schedulerName":"default-scheduler","tolerations":[{{"key":"node.kubernetes.io/not-ready","operator":"Exists","effect":"NoExecute","tolerationSeconds":300}}]}},"status":{{"phase":"Running","qosClass":"Burstable","hostIP":"10.0.0.1","podIP":"10.1.{ip1}.{ip2}","startTime":"2024-03-01T10:00:00Z","conditions":[{conditions}],"containerStatuses":[{{"name":"{name}","image":"{image}","imageID":"registry.acme.internal/team-{team:02}/{name}@{digest}","containerID":"containerd://{k:064x}","ready":true,"started":true,"restartCount":{restarts},"state":{{"running":{{"startedAt":"2024-03-01T10:00:03Z"}}}},"lastState":{{}}}},{{"name":"istio-proxy","image":"docker.io/istio/proxyv2:1.20.3","imageID":"docker.io/istio/proxyv2@sha256:{proxy:064x}","containerID":"containerd://{k2:064x}","ready":true,"started":true,"restartCount":0,"state":{{"running":{{"startedAt":"2024-03-01T10:00:02Z"}}}},"lastState":{{}}}}]}}}}"#,
        name = name(d),
        ns = namespace(d),
        labels = labels(d, Some(&hash)),
        node = k % nodes,
        containers = containers(d, revision),
        ip1 = k / 250,
        ip2 = k % 250,
        image = image(d, revision),
        team = d % 40,
        restarts = k % 3,
        proxy = 42,
        k2 = k + 1_000_000
    )
}

fn node(i: usize) -> String {
    let zone = ["a", "b", "c"][i % 3];
    format!(
        r#"{{"metadata":{{"name":"node-{i:03}","labels":{{"kubernetes.io/hostname":"node-{i:03}","topology.kubernetes.io/zone":"eu-west-1{zone}","node.kubernetes.io/instance-type":"m6i.2xlarge"}}}},"status":{{"nodeInfo":{{"kubeletVersion":"v1.30.2"}}}}}}"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use collectors::kubernetes::k8s_openapi;
    use serde_json::Value;

    #[test]
    fn replica_sets_spread_over_deployments_and_pods_use_the_newest() {
        assert_eq!(revisions_of(0, 3000, 10_000), 4);
        assert_eq!(revisions_of(999, 3000, 10_000), 4);
        assert_eq!(revisions_of(1000, 3000, 10_000), 3);
        let total: usize = (0..3000).map(|d| revisions_of(d, 3000, 10_000)).sum();
        assert_eq!(total, 10_000);
        assert_eq!(paging("limit=500&continue=o1500"), (500, 1500));
        assert_eq!(paging(""), (usize::MAX, 0));
    }

    #[test]
    fn generated_objects_are_json_the_collector_reads() {
        let options = Options { deployments: 3, replicasets: 7, pods: 5, nodes: 2, page_size: 2 };
        let cluster =
            Cluster { options, requests: AtomicU64::new(0), bytes: AtomicU64::new(0), busy_ns: AtomicU64::new(0) };
        let page: Value = serde_json::from_slice(&cluster.page(5, 2, 2, |k| cluster.pod(k))).unwrap();
        assert_eq!(page["metadata"]["continue"], "o4");
        assert_eq!(page["items"].as_array().unwrap().len(), 2);
        let pod: k8s_openapi::api::core::v1::Pod = serde_json::from_value(page["items"][0].clone()).unwrap();
        assert_eq!(pod.metadata.owner_references.unwrap()[0].name, format!("svc-0002-{}", hash(2 + 3)));
        let deployment: k8s_openapi::api::apps::v1::Deployment = serde_json::from_str(&deployment(1)).unwrap();
        let applied = &deployment.metadata.annotations.unwrap()["kubectl.kubernetes.io/last-applied-configuration"];
        assert!(serde_json::from_str::<Value>(applied).is_ok());
        serde_json::from_str::<k8s_openapi::api::apps::v1::ReplicaSet>(&replica_set(6, 3)).unwrap();
        serde_json::from_str::<k8s_openapi::api::core::v1::Node>(&node(1)).unwrap();
    }
}
