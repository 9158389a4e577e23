//! Lists, page by page (`limit` / `continue`), cluster-wide or one
//! namespace at a time. Each page is split into its items without building
//! a tree, each item read as its type on its own: a malformed object costs
//! only itself, and a run holds one page at a time.

use std::collections::BTreeMap;
use std::collections::BTreeSet;

use futures_util::stream::{self, StreamExt};
use k8s_openapi::api::core::v1::Namespace;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

use super::client::{ClusterClient, KubeError};
use crate::http::encode_component;

/// A list response: `{"metadata": {"continue": "…"}, "items": […]}`.
#[derive(Deserialize)]
struct Page<'a> {
    #[serde(default)]
    metadata: PageMeta,
    #[serde(borrow, default)]
    items: Option<Vec<&'a RawValue>>,
}

#[derive(Deserialize, Default)]
struct PageMeta {
    #[serde(rename = "continue", default)]
    continue_token: Option<String>,
}

/// A list that pages on forever is a server bug: stop after this many.
const MAX_PAGES: u64 = 100_000;

/// An object that did not read as its type, and what can still be told
/// about it from its metadata.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BadItem {
    pub namespace: Option<String>,
    pub name: Option<String>,
    pub labels: Option<BTreeMap<String, String>>,
    pub annotations: Option<BTreeMap<String, String>>,
    /// Its controller, (kind, name).
    pub owner: Option<(String, String)>,
    /// The JSON path at fault and what is wrong there.
    pub problem: String,
}

impl BadItem {
    /// `<resource> <namespace>/<name>`, as far as known.
    pub fn describe(&self, resource: &str) -> String {
        let name = self.name.as_deref().unwrap_or("(no name)");
        match &self.namespace {
            Some(namespace) => format!("{resource} {namespace}/{name}"),
            None => format!("{resource} {name}"),
        }
    }
}

/// Reads one item as `K`, or says what is wrong with it.
#[allow(clippy::result_large_err)] // `K` (a Pod, a Deployment) is larger still
pub fn read_item<K: DeserializeOwned>(raw: &str) -> Result<K, BadItem> {
    let mut deserializer = serde_json::Deserializer::from_str(raw);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
        let at = e.path().to_string();
        // The position is within the item, which says nothing in a page.
        let problem = e.into_inner().to_string();
        let problem = problem.split(" at line ").next().unwrap_or(&problem);
        bad_item(raw, format!("`{at}`: {problem}"))
    })
}

/// The metadata of an object that did not read, leniently.
fn bad_item(raw: &str, problem: String) -> BadItem {
    let value: Value = serde_json::from_str(raw).unwrap_or(Value::Null);
    let meta = &value["metadata"];
    let text = |v: &Value| v.as_str().map(str::to_string);
    let strings = |v: &Value| -> Option<BTreeMap<String, String>> {
        match v {
            Value::Null => Some(BTreeMap::new()),
            Value::Object(map) => map.iter().map(|(k, v)| Some((k.clone(), v.as_str()?.to_string()))).collect(),
            _ => None,
        }
    };
    let owner = meta["ownerReferences"].as_array().and_then(|owners| {
        owners
            .iter()
            .find(|o| o["controller"].as_bool() == Some(true))
            .and_then(|o| Some((text(&o["kind"])?, text(&o["name"])?)))
    });
    BadItem {
        namespace: text(&meta["namespace"]),
        name: text(&meta["name"]),
        labels: strings(&meta["labels"]),
        annotations: strings(&meta["annotations"]),
        owner,
        problem,
    }
}

/// `path?limit=…&continue=…&fieldSelector=…`.
fn page_url(path: &str, page_size: u32, field_selector: Option<&str>, token: Option<&str>) -> String {
    let mut url = format!("{path}?limit={page_size}");
    if let Some(selector) = field_selector {
        url.push_str("&fieldSelector=");
        url.push_str(&encode_component(selector));
    }
    if let Some(token) = token {
        url.push_str("&continue=");
        url.push_str(&encode_component(token));
    }
    url
}

/// Lists `path` page by page, handing each item to `on_item`. The next
/// page is already being fetched while a page's items are read (so at most
/// two pages are held), which hides the server's latency behind the work.
pub async fn list<K: DeserializeOwned>(
    client: &ClusterClient,
    path: &str,
    field_selector: Option<&str>,
    page_size: u32,
    mut on_item: impl FnMut(Result<K, BadItem>),
) -> Result<(), KubeError> {
    let mut token: Option<String> = None;
    let mut next_page: Option<Prefetch> = None;
    for _ in 0..MAX_PAGES {
        let body = match next_page.take() {
            Some(fetching) => fetching.body(client).await?,
            None => client.get(&page_url(path, page_size, field_selector, token.as_deref())).await?,
        };
        let page: Page<'_> = serde_json::from_slice(&body).map_err(|e| KubeError::Shape {
            cluster: client.cluster().to_string(),
            path: path.to_string(),
            at: format!("line {} column {}", e.line(), e.column()),
            problem: format!("not a list ({e})"),
        })?;
        let next = page.metadata.continue_token.filter(|t| !t.is_empty());
        if next.is_some() && next == token {
            return Err(KubeError::Listing {
                cluster: client.cluster().to_string(),
                problem: format!("{path} answered the same continue token twice"),
            });
        }
        if let Some(next) = &next {
            next_page = Some(Prefetch::start(client, page_url(path, page_size, field_selector, Some(next))));
        }
        for raw in page.items.into_iter().flatten() {
            on_item(read_item::<K>(raw.get()));
        }
        match next {
            Some(next) => token = Some(next),
            None => return Ok(()),
        }
    }
    Err(KubeError::Listing {
        cluster: client.cluster().to_string(),
        problem: format!("{path} did not end after {MAX_PAGES} pages"),
    })
}

/// A page being fetched on its own task; dropped, the fetch is abandoned.
struct Prefetch(tokio::task::JoinHandle<Result<Vec<u8>, KubeError>>);

impl Prefetch {
    fn start(client: &ClusterClient, url: String) -> Prefetch {
        let client = client.clone();
        Prefetch(tokio::spawn(async move { client.get(&url).await }))
    }

    async fn body(mut self, client: &ClusterClient) -> Result<Vec<u8>, KubeError> {
        match (&mut self.0).await {
            Ok(outcome) => outcome,
            Err(e) => Err(KubeError::Listing {
                cluster: client.cluster().to_string(),
                problem: format!("fetching a page failed: {e}"),
            }),
        }
    }
}

impl Drop for Prefetch {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Lists namespaced resources over the namespaces a run covers:
/// cluster-wide while the credentials allow it, else one namespace at a
/// time (`concurrency` at once).
pub struct Lister<'a> {
    client: &'a ClusterClient,
    page_size: u32,
    concurrency: usize,
    exclude: BTreeSet<String>,
    /// `None` while cluster-wide lists are used.
    namespaces: Option<Vec<String>>,
    /// What an operator should know about how the run listed.
    pub notes: Vec<String>,
}

impl<'a> Lister<'a> {
    /// `namespaces` empty: every namespace but `exclude`, cluster-wide.
    pub fn new(
        client: &'a ClusterClient,
        namespaces: &[String],
        exclude: &[String],
        page_size: u32,
        concurrency: usize,
    ) -> Lister<'a> {
        let exclude: BTreeSet<String> = exclude.iter().cloned().collect();
        let namespaces = (!namespaces.is_empty())
            .then(|| namespaces.iter().filter(|n| !exclude.contains(*n)).cloned().collect::<Vec<_>>());
        Lister { client, page_size, concurrency: concurrency.max(1), exclude, namespaces, notes: Vec::new() }
    }

    /// `metadata.namespace!=a,metadata.namespace!=b`: the server leaves
    /// the excluded namespaces out (they are filtered here too).
    fn field_selector(&self) -> Option<String> {
        let parts: Vec<String> = self.exclude.iter().map(|n| format!("metadata.namespace!={n}")).collect();
        (!parts.is_empty()).then(|| parts.join(","))
    }

    fn keeps<K: kube::Resource>(&self, item: &Result<K, BadItem>) -> bool {
        let namespace = match item {
            Ok(object) => object.meta().namespace.as_deref(),
            Err(bad) => bad.namespace.as_deref(),
        };
        namespace.is_none_or(|n| !self.exclude.contains(n))
    }

    /// Lists every `K` in the covered namespaces. Returns the namespaces
    /// where listing was forbidden (HTTP 403); any other failure fails.
    pub async fn namespaced<K>(
        &mut self,
        on_item: &(dyn Fn(Result<K, BadItem>) + Sync),
    ) -> Result<Vec<String>, KubeError>
    where
        K: kube::Resource<DynamicType = ()> + DeserializeOwned,
    {
        if self.namespaces.is_none() {
            let path = K::url_path(&(), None);
            let selector = self.field_selector();
            let mut delivered = false;
            let outcome = list::<K>(self.client, &path, selector.as_deref(), self.page_size, |item| {
                delivered = true;
                if self.keeps(&item) {
                    on_item(item);
                }
            })
            .await;
            match outcome {
                Err(e) if e.is_forbidden() && !delivered => self.fall_back(&path, e).await?,
                other => return other.map(|()| Vec::new()),
            }
        }
        self.each_namespace::<K>(on_item).await
    }

    /// A cluster-wide list was refused: list the namespaces, and from now
    /// on read each of them.
    async fn fall_back(&mut self, path: &str, refused: KubeError) -> Result<(), KubeError> {
        let mut names = Vec::new();
        let listed = list::<Namespace>(self.client, "/api/v1/namespaces", None, self.page_size, |item| {
            if let Some(name) = item.ok().and_then(|ns| ns.metadata.name) {
                names.push(name);
            }
        })
        .await;
        match listed {
            Ok(()) => {
                names.retain(|n| !self.exclude.contains(n));
                names.sort();
                self.notes.push(format!(
                    "{path} cannot be listed cluster-wide (HTTP 403): listing per namespace, {} namespaces",
                    names.len()
                ));
                self.namespaces = Some(names);
                Ok(())
            }
            Err(e) if e.is_forbidden() => Err(KubeError::Forbidden {
                cluster: self.client.cluster().to_string(),
                path: path.to_string(),
                message: format!(
                    "it cannot be listed cluster-wide, nor can /api/v1/namespaces, so there are no namespaces to read one by one ({}); or set namespaces = [...] in [collectors.kubernetes]",
                    match &refused {
                        KubeError::Forbidden { message, .. } => message.as_str(),
                        _ => "forbidden",
                    }
                ),
            }),
            Err(e) => Err(e),
        }
    }

    async fn each_namespace<K>(&self, on_item: &(dyn Fn(Result<K, BadItem>) + Sync)) -> Result<Vec<String>, KubeError>
    where
        K: kube::Resource<DynamicType = ()> + DeserializeOwned,
    {
        // Owned names: a stream over borrowed ones trips the compiler's
        // higher-ranked lifetime inference in a `Send` future.
        let namespaces: Vec<String> = self.namespaces.clone().unwrap_or_default();
        let (client, page_size) = (self.client, self.page_size);
        let mut results = stream::iter(namespaces)
            .map(move |namespace: String| async move {
                let path = K::url_path(&(), Some(&namespace));
                let outcome = list::<K>(client, &path, None, page_size, on_item).await;
                (namespace, outcome)
            })
            .buffer_unordered(self.concurrency);
        let mut forbidden = Vec::new();
        while let Some((namespace, outcome)) = results.next().await {
            match outcome {
                Ok(()) => {}
                Err(e) if e.is_forbidden() => forbidden.push(namespace),
                Err(e) => return Err(e),
            }
        }
        forbidden.sort();
        Ok(forbidden)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::apps::v1::Deployment;

    #[test]
    fn page_urls_carry_limit_selector_and_token() {
        assert_eq!(page_url("/api/v1/pods", 500, None, None), "/api/v1/pods?limit=500");
        assert_eq!(
            page_url("/api/v1/pods", 2, Some("metadata.namespace!=kube-system"), Some("eyJ2Ijo+/=")),
            "/api/v1/pods?limit=2&fieldSelector=metadata.namespace%21%3Dkube-system&continue=eyJ2Ijo%2B%2F%3D"
        );
    }

    #[test]
    fn a_malformed_item_names_its_path_and_keeps_its_metadata() {
        let raw = r#"{"metadata": {"name": "web", "namespace": "shop", "labels": {"app": "web"},
                      "ownerReferences": [{"kind": "ReplicaSet", "name": "web-1", "controller": false},
                                          {"kind": "Deployment", "name": "web", "controller": true}]},
                      "spec": {"replicas": "three", "selector": {}, "template": {}}}"#;
        let bad = read_item::<Deployment>(raw).unwrap_err();
        assert_eq!(bad.problem, "`spec.replicas`: invalid type: string \"three\", expected i32");
        assert_eq!((bad.namespace.as_deref(), bad.name.as_deref()), (Some("shop"), Some("web")));
        assert_eq!(bad.labels.as_ref().unwrap()["app"], "web");
        assert_eq!(bad.annotations, Some(BTreeMap::new()));
        assert_eq!(bad.owner, Some(("Deployment".into(), "web".into())));
        assert_eq!(bad.describe("Deployment"), "Deployment shop/web");
    }

    #[test]
    fn unreadable_metadata_is_reported_as_unknown() {
        let bad = read_item::<Deployment>(r#"{"metadata": {"labels": ["x"]}, "spec": 1}"#).unwrap_err();
        assert_eq!((bad.name, bad.labels), (None, None));
        let bad = read_item::<Deployment>("[1]").unwrap_err();
        assert_eq!(bad.describe("Deployment"), "Deployment (no name)");
    }
}
