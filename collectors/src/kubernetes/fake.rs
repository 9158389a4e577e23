//! A stand-in Kubernetes API server for tests and benchmarks: it lists and
//! **watches** the resources the watch follows, like an API server —
//! paginated lists with a resourceVersion, watch streams of newline-
//! delimited events from a resourceVersion, bookmarks, `410 Gone` (an
//! expired resourceVersion, as after etcd compaction), and connections it
//! can drop. Tests script what happens to objects through [`FakeApi`].

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{Request, Response, StatusCode};
use axum::Router;
use serde_json::{json, Value};
use tokio::sync::broadcast;

/// The bearer token the server expects (its kubeconfig has it).
pub const TOKEN: &str = "fake-api-token";

/// Where each watched resource lives, and its kind.
pub const RESOURCES: [(&str, &str, &str); 6] = [
    ("/apis/apps/v1/deployments", "apps/v1", "Deployment"),
    ("/apis/apps/v1/statefulsets", "apps/v1", "StatefulSet"),
    ("/apis/apps/v1/daemonsets", "apps/v1", "DaemonSet"),
    ("/apis/apps/v1/replicasets", "apps/v1", "ReplicaSet"),
    ("/apis/autoscaling/v2/horizontalpodautoscalers", "autoscaling/v2", "HorizontalPodAutoscaler"),
    ("/apis/events.k8s.io/v1/events", "events.k8s.io/v1", "Event"),
];

/// One change to the cluster, as a watch reports it.
#[derive(Debug, Clone)]
struct Logged {
    path: String,
    version: u64,
    kind: &'static str,
    object: Value,
}

#[derive(Default)]
struct State {
    /// path → uid → object.
    objects: BTreeMap<String, BTreeMap<String, Value>>,
    version: u64,
    log: Vec<Logged>,
    /// Watches from before this version are told `410 Gone`.
    compacted: u64,
    /// Bumped to end every open watch.
    generation: u64,
    requests: u64,
    watches: u64,
    /// Lists of these paths answer only after this long (a big cluster).
    slow_lists: BTreeMap<String, Duration>,
}

/// The fake API server; cheap to clone, every clone the same cluster.
#[derive(Clone)]
pub struct FakeApi {
    state: Arc<Mutex<State>>,
    changes: broadcast::Sender<Logged>,
    pub address: SocketAddr,
    /// How often an open watch sends a bookmark.
    bookmark_every: Duration,
}

impl FakeApi {
    /// Starts the server on a free loopback port; it runs as long as the
    /// runtime does.
    pub async fn start() -> std::io::Result<FakeApi> {
        FakeApi::start_with(Duration::from_millis(500)).await
    }

    pub async fn start_with(bookmark_every: Duration) -> std::io::Result<FakeApi> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        let api = FakeApi { state: Arc::default(), changes: broadcast::channel(65_536).0, address, bookmark_every };
        let served = api.clone();
        let app = Router::new().fallback(move |request: Request<Body>| {
            let api = served.clone();
            async move {
                let slow = api.lock().slow_lists.get(request.uri().path()).copied();
                let listing = !request.uri().query().unwrap_or("").contains("watch=");
                if let Some(delay) = slow.filter(|_| listing) {
                    tokio::time::sleep(delay).await;
                }
                api.answer(request)
            }
        });
        tokio::spawn(async move { axum::serve(listener, app).await });
        Ok(api)
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// A kubeconfig for this server in `dir`, with the bearer token.
    pub fn kubeconfig(&self, dir: &Path) -> PathBuf {
        let path = dir.join("kubeconfig");
        let text = format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster:\n    server: {}\n\
             contexts:\n- name: fake\n  context:\n    cluster: fake\n    user: spot\n\
             current-context: fake\nusers:\n- name: spot\n  user:\n    token: {TOKEN}\n",
            self.url()
        );
        std::fs::write(&path, text).expect("the kubeconfig can be written");
        path
    }

    /// Creates or replaces an object at `path` (one of [`RESOURCES`]),
    /// giving it the next resourceVersion; returns that version.
    pub fn apply(&self, path: &str, mut object: Value) -> u64 {
        let mut state = self.lock();
        state.version += 1;
        let version = state.version;
        let uid = object["metadata"]["uid"].as_str().expect("objects have a metadata.uid").to_string();
        object["metadata"]["resourceVersion"] = json!(version.to_string());
        let kind = if state.objects.entry(path.to_string()).or_default().insert(uid, object.clone()).is_some() {
            "MODIFIED"
        } else {
            "ADDED"
        };
        self.log(&mut state, Logged { path: path.to_string(), version, kind, object });
        version
    }

    /// Deletes the object `uid` at `path`, if there.
    pub fn delete(&self, path: &str, uid: &str) {
        let mut state = self.lock();
        let Some(mut object) = state.objects.get_mut(path).and_then(|objects| objects.remove(uid)) else { return };
        state.version += 1;
        let version = state.version;
        object["metadata"]["resourceVersion"] = json!(version.to_string());
        self.log(&mut state, Logged { path: path.to_string(), version, kind: "DELETED", object });
    }

    /// The object `uid` at `path` as it stands.
    pub fn get(&self, path: &str, uid: &str) -> Option<Value> {
        self.lock().objects.get(path).and_then(|o| o.get(uid)).cloned()
    }

    /// Forgets the history: every watch resuming from before now is told
    /// `410 Gone`, and the open ones are cut (as an API server restarting
    /// after etcd compacted).
    pub fn compact(&self) {
        let mut state = self.lock();
        state.compacted = state.version + 1;
        state.log.clear();
        state.generation += 1;
    }

    /// Answers each list of `path` only after `delay`, as a cluster whose
    /// list of that resource is long (watch requests are not slowed).
    pub fn slow_lists(&self, path: &str, delay: Duration) {
        self.lock().slow_lists.insert(path.to_string(), delay);
    }

    /// Ends every open watch stream (a dropped connection).
    pub fn drop_watches(&self) {
        self.lock().generation += 1;
    }

    /// Requests answered, and watch streams opened.
    pub fn counts(&self) -> (u64, u64) {
        let state = self.lock();
        (state.requests, state.watches)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn log(&self, state: &mut State, logged: Logged) {
        state.log.push(logged.clone());
        let _ = self.changes.send(logged);
    }

    fn answer(&self, request: Request<Body>) -> Response<Body> {
        self.lock().requests += 1;
        let authorised =
            request.headers().get("authorization").and_then(|v| v.to_str().ok()) == Some(&format!("Bearer {TOKEN}"));
        if !authorised {
            return status(401, "Unauthorized", "Unauthorized");
        }
        let path = request.uri().path().to_string();
        let query: BTreeMap<String, String> = request
            .uri()
            .query()
            .unwrap_or("")
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        if path == "/version" {
            return respond(StatusCode::OK, json!({ "major": "1", "minor": "30", "gitVersion": "v1.30.2" }));
        }
        let Some(&(_, api_version, kind)) = RESOURCES.iter().find(|(p, _, _)| *p == path) else {
            return status(404, "NotFound", "the server could not find the requested resource");
        };
        if query.get("watch").is_some_and(|w| w == "true" || w == "1") {
            return self.watch(&path, api_version, kind, &query);
        }
        self.list(&path, &query)
    }

    /// A page of the list, `limit` and `continue` as an API server. Every
    /// page of one list carries the resourceVersion of its first, as an API
    /// server's pages are one snapshot: the watch that follows starts there,
    /// so a change made while the list was read is delivered by the watch
    /// (pages here show objects as they are now, so it may come twice,
    /// never not at all). The continue token is that version and the last
    /// uid served.
    fn list(&self, path: &str, query: &BTreeMap<String, String>) -> Response<Body> {
        let state = self.lock();
        let limit = query.get("limit").and_then(|l| l.parse().ok()).unwrap_or(usize::MAX).max(1);
        let token = query.get("continue").and_then(|c| c.split_once('.'));
        let version = token.and_then(|(v, _)| v.parse().ok()).unwrap_or(state.version);
        let after = token.map(|(_, uid)| uid.to_string());
        let objects = state.objects.get(path);
        let rest: Vec<(&String, &Value)> = match (objects, &after) {
            (None, _) => Vec::new(),
            (Some(o), None) => o.iter().collect(),
            (Some(o), Some(after)) => o.range::<String, _>((Bound::Excluded(after), Bound::Unbounded)).collect(),
        };
        let mut metadata = json!({ "resourceVersion": version.to_string() });
        if rest.len() > limit {
            metadata["continue"] = json!(format!("{version}.{}", rest[limit - 1].0));
        }
        let page: Vec<Value> = rest.iter().take(limit).map(|(_, object)| list_item(object)).collect();
        respond(StatusCode::OK, json!({ "kind": "List", "apiVersion": "v1", "metadata": metadata, "items": page }))
    }

    /// A watch stream from `resourceVersion`: what was logged since, then
    /// what happens, with bookmarks, until its timeout or a drop.
    fn watch(&self, path: &str, api_version: &str, kind: &str, query: &BTreeMap<String, String>) -> Response<Body> {
        let from: u64 = query.get("resourceVersion").and_then(|v| v.parse().ok()).unwrap_or(0);
        let timeout = Duration::from_secs(query.get("timeoutSeconds").and_then(|t| t.parse().ok()).unwrap_or(290));
        let bookmarks = query.get("allowWatchBookmarks").is_some_and(|b| b == "true");
        let (backlog, generation, expired, mut changes) = {
            let mut state = self.lock();
            state.watches += 1;
            let expired = from != 0 && from < state.compacted;
            let backlog: Vec<Logged> =
                state.log.iter().filter(|l| l.path == path && l.version > from).cloned().collect();
            (backlog, state.generation, expired, self.changes.subscribe())
        };
        let (sender, receiver) = tokio::sync::mpsc::channel::<Result<Bytes, Infallible>>(1024);
        let (api, path, header) = (self.clone(), path.to_string(), json!({ "apiVersion": api_version, "kind": kind }));
        tokio::spawn(async move {
            let line = |value: Value| Ok(Bytes::from(format!("{value}\n")));
            if expired {
                let gone = json!({ "type": "ERROR", "object": {
                    "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                    "message": "too old resource version", "reason": "Expired", "code": 410 } });
                let _ = sender.send(line(gone)).await;
                return;
            }
            let mut last = from;
            for logged in backlog {
                last = logged.version;
                if sender.send(line(event(&logged))).await.is_err() {
                    return;
                }
            }
            let deadline = tokio::time::Instant::now() + timeout;
            let mut bookmark = tokio::time::interval(api.bookmark_every);
            bookmark.tick().await;
            loop {
                if api.lock().generation != generation {
                    return;
                }
                tokio::select! {
                    _ = tokio::time::sleep_until(deadline) => return,
                    _ = bookmark.tick() => {
                        if bookmarks {
                            let mut object = header.clone();
                            object["metadata"] = json!({ "resourceVersion": api.lock().version.to_string() });
                            if sender.send(line(json!({ "type": "BOOKMARK", "object": object }))).await.is_err() {
                                return;
                            }
                        }
                    }
                    change = changes.recv() => match change {
                        Ok(logged) if logged.path == path && logged.version > last => {
                            last = logged.version;
                            if sender.send(line(event(&logged))).await.is_err() {
                                return;
                            }
                        }
                        Ok(_) => {}
                        Err(broadcast::error::RecvError::Lagged(_)) | Err(broadcast::error::RecvError::Closed) => return,
                    },
                }
            }
        });
        let stream = tokio_stream(receiver);
        let mut response = Response::new(Body::from_stream(stream));
        response.headers_mut().insert("content-type", "application/json".parse().expect("a valid header"));
        response
    }
}

fn tokio_stream(
    mut receiver: tokio::sync::mpsc::Receiver<Result<Bytes, Infallible>>,
) -> impl futures_util::Stream<Item = Result<Bytes, Infallible>> {
    futures_util::stream::poll_fn(move |cx| receiver.poll_recv(cx))
}

fn event(logged: &Logged) -> Value {
    json!({ "type": logged.kind, "object": logged.object })
}

/// List items carry no `apiVersion` or `kind`.
fn list_item(object: &Value) -> Value {
    let mut item = object.clone();
    if let Some(map) = item.as_object_mut() {
        map.remove("apiVersion");
        map.remove("kind");
    }
    item
}

fn respond(status: StatusCode, body: Value) -> Response<Body> {
    let mut response = Response::new(Body::from(body.to_string()));
    *response.status_mut() = status;
    response.headers_mut().insert("content-type", "application/json".parse().expect("a valid header"));
    response
}

fn status(code: u16, reason: &str, message: &str) -> Response<Body> {
    let body = json!({ "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": message, "reason": reason, "code": code });
    respond(StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR), body)
}
