//! GitHub's REST API as the collector uses it: conditional requests against
//! the on-disk cache, `Link` pagination, the Git trees API for a whole tree
//! in one call, and blobs by SHA (read once, ever).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use reqwest::Url;
use serde::de::DeserializeOwned;
use serde::Deserialize;

use super::cache::{Cache, Cached};
use crate::http::{encode_component, HttpClient, HttpError};

/// A repository as the organisation listing returns it.
#[derive(Debug, Clone, Deserialize)]
pub struct Repo {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub private: bool,
    #[serde(default)]
    pub visibility: Option<String>,
    #[serde(default)]
    pub archived: bool,
    #[serde(default)]
    pub disabled: bool,
    #[serde(default)]
    pub fork: bool,
    /// Null for an empty repository.
    #[serde(default)]
    pub default_branch: Option<String>,
    #[serde(default)]
    pub language: Option<String>,
    #[serde(default)]
    pub topics: Vec<String>,
    #[serde(default)]
    pub pushed_at: Option<String>,
    /// When the repository was created: who held a service name first.
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub open_issues_count: u64,
    #[serde(default)]
    pub html_url: Option<String>,
}

/// A release as `GET /repos/{owner}/{repo}/releases` lists it.
#[derive(Debug, Clone, Deserialize)]
pub struct Release {
    pub tag_name: String,
    #[serde(default)]
    pub published_at: Option<String>,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub draft: bool,
}

/// A tag as `GET /repos/{owner}/{repo}/tags` lists it.
#[derive(Debug, Clone, Deserialize)]
pub struct Tag {
    pub name: String,
    pub commit: TagCommit,
}

#[derive(Debug, Clone, Deserialize)]
pub struct TagCommit {
    pub sha: String,
}

/// `GET /repos/{owner}/{repo}/compare/{base}...{head}`: the commits `head`
/// has that `base` has not, oldest first.
#[derive(Debug, Clone, Deserialize)]
pub struct Comparison {
    #[serde(default)]
    pub total_commits: u64,
    #[serde(default)]
    pub commits: Vec<ComparedCommit>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ComparedCommit {
    pub sha: String,
    pub commit: CommitDetail,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CommitDetail {
    #[serde(default)]
    pub author: Option<Signature>,
    #[serde(default)]
    pub committer: Option<Signature>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Signature {
    #[serde(default)]
    pub date: Option<String>,
}

/// How many of the latest releases and tags a repository's entity keeps.
pub const RELEASES_KEPT: u32 = 30;

#[derive(Debug, Clone, Deserialize)]
pub struct Tree {
    #[serde(default)]
    pub tree: Vec<TreeEntry>,
    #[serde(default)]
    pub truncated: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct TreeEntry {
    pub path: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub sha: String,
    #[serde(default)]
    pub size: Option<u64>,
}

/// Clones share the cache and the counters.
#[derive(Clone)]
pub struct GitHubApi {
    http: HttpClient,
    cache: Cache,
    /// Requests that count against the rate limit (not 304s, not cache hits).
    counted: Arc<AtomicU64>,
    not_modified: Arc<AtomicU64>,
}

impl GitHubApi {
    pub fn new(http: HttpClient, cache: Cache) -> GitHubApi {
        GitHubApi { http, cache, counted: Arc::default(), not_modified: Arc::default() }
    }

    /// The same cache and counters, asking through `http` (another
    /// organisation's credentials).
    pub fn with_client(&self, http: HttpClient) -> GitHubApi {
        GitHubApi { http, ..self.clone() }
    }

    pub fn cache(&self) -> &Cache {
        &self.cache
    }

    /// Requests answered with a body so far (each counts against the rate limit).
    pub fn counted_requests(&self) -> u64 {
        self.counted.load(Ordering::Relaxed)
    }

    /// Requests answered 304 Not Modified (free).
    pub fn not_modified(&self) -> u64 {
        self.not_modified.load(Ordering::Relaxed)
    }

    /// Every repository of `org`, all pages.
    pub async fn org_repos(&self, org: &str, per_page: u32) -> Result<Vec<Repo>, HttpError> {
        let mut url = self.http.url(&format!("orgs/{org}/repos"))?;
        url.query_pairs_mut().append_pair("per_page", &per_page.to_string()).append_pair("type", "all");
        let mut repos = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let mut next = Some(url);
        while let Some(url) = next.take() {
            if !seen.insert(url.to_string()) {
                return Err(self.shape(&url, "Link", "the next page links back to a page already read"));
            }
            let (page, link): (Vec<Repo>, _) = self.get_cached(url).await?;
            repos.extend(page);
            next = link;
        }
        Ok(repos)
    }

    /// Bytes of code per language, largest first.
    pub async fn languages(&self, org: &str, repo: &str) -> Result<Vec<(String, u64)>, HttpError> {
        let url = self.http.url(&format!("repos/{org}/{repo}/languages"))?;
        let (languages, _): (std::collections::BTreeMap<String, u64>, _) = self.get_cached(url).await?;
        let mut languages: Vec<(String, u64)> = languages.into_iter().collect();
        languages.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        Ok(languages)
    }

    /// The whole tree of `branch`, in one call.
    pub async fn tree(&self, org: &str, repo: &str, branch: &str) -> Result<Tree, HttpError> {
        let mut url = self.http.url(&format!("repos/{org}/{repo}/git/trees/{}", encode_component(branch)))?;
        url.query_pairs_mut().append_pair("recursive", "1");
        Ok(self.get_cached(url).await?.0)
    }

    /// The latest releases (first page, newest first).
    pub async fn releases(&self, org: &str, repo: &str) -> Result<Vec<Release>, HttpError> {
        let url = self.http.url(&format!("repos/{org}/{repo}/releases?per_page={RELEASES_KEPT}"))?;
        Ok(self.get_cached(url).await?.0)
    }

    /// The latest tags (first page) with the commit each names.
    pub async fn tags(&self, org: &str, repo: &str) -> Result<Vec<Tag>, HttpError> {
        let url = self.http.url(&format!("repos/{org}/{repo}/tags?per_page={RELEASES_KEPT}"))?;
        Ok(self.get_cached(url).await?.0)
    }

    /// The commits between two commits (or tags). Two SHAs always compare
    /// alike, so an answer once read is kept and never asked again.
    pub async fn compare(&self, org: &str, repo: &str, base: &str, head: &str) -> Result<Comparison, HttpError> {
        let (base, head) = (encode_component(base), encode_component(head));
        let url = self.http.url(&format!("repos/{org}/{repo}/compare/{base}...{head}?per_page=250"))?;
        if let Some(cached) = self.cache.response(url.as_str()) {
            let endpoint = url.path().trim_start_matches('/').to_string();
            let exchange = crate::http::Exchange {
                endpoint,
                status: 200,
                headers: Default::default(),
                body: cached.body.into_bytes(),
            };
            return exchange.json(self.http.service());
        }
        Ok(self.get_cached(url).await?.0)
    }

    /// A file's content by blob SHA: from the cache when it was ever read.
    pub async fn blob(&self, org: &str, repo: &str, sha: &str) -> Result<String, HttpError> {
        if let Some(content) = self.cache.blob(sha) {
            return Ok(content);
        }
        let url = self.http.url(&format!("repos/{org}/{repo}/git/blobs/{sha}"))?;
        let exchange = self.http.get_exchange(url, &[("accept", "application/vnd.github.raw+json".into())]).await?;
        self.counted.fetch_add(1, Ordering::Relaxed);
        let content = String::from_utf8_lossy(&exchange.body).into_owned();
        self.cache.store_blob(sha, &content);
        Ok(content)
    }

    /// A conditional GET: sends the cached ETag; a 304 reuses the cached
    /// body. Returns the decoded body and the `next` page, if any.
    async fn get_cached<T: DeserializeOwned>(&self, url: Url) -> Result<(T, Option<Url>), HttpError> {
        let key = url.to_string();
        let cached = self.cache.response(&key);
        let mut headers = vec![("accept", "application/vnd.github+json".to_string())];
        if let Some(cached) = &cached {
            headers.push(("if-none-match", cached.etag.clone()));
        }
        let exchange = self.http.get_exchange(url.clone(), &headers).await?;
        let link = exchange.header("link").map(str::to_string);
        let (body, link) = match (exchange.status, cached) {
            (304, Some(cached)) => {
                self.not_modified.fetch_add(1, Ordering::Relaxed);
                (cached.body, link.or(cached.link))
            }
            (304, None) => return Err(self.shape(&url, "status", "304 Not Modified to a request without an ETag")),
            _ => {
                self.counted.fetch_add(1, Ordering::Relaxed);
                let body = String::from_utf8_lossy(&exchange.body).into_owned();
                if let Some(etag) = exchange.header("etag") {
                    let cached = Cached { etag: etag.to_string(), body: body.clone(), link: link.clone() };
                    self.cache.store_response(&key, &cached);
                }
                (body, link)
            }
        };
        let next = next_link(&link, &url);
        let decoded = crate::http::Exchange { body: body.into_bytes(), ..exchange }.json(self.http.service())?;
        Ok((decoded, next))
    }

    fn shape(&self, url: &Url, path: &str, problem: &str) -> HttpError {
        HttpError::Shape {
            service: self.http.service().to_string(),
            endpoint: url.path().trim_start_matches('/').to_string(),
            path: path.into(),
            problem: problem.into(),
        }
    }
}

/// The `rel="next"` target of a `Link` header, resolved against `base`.
fn next_link(header: &Option<String>, base: &Url) -> Option<Url> {
    let links = parse_link_header::parse_with_rel(header.as_deref()?).ok()?;
    base.join(&links.get("next")?.raw_uri).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_link_is_found_among_others() {
        let base = Url::parse("https://api.github.com/orgs/acme/repos?per_page=100").unwrap();
        let header = Some(r#"<https://api.github.com/organizations/1/repos?per_page=100&page=2>; rel="next", <https://api.github.com/organizations/1/repos?per_page=100&page=5>; rel="last""#.to_string());
        assert_eq!(
            next_link(&header, &base).unwrap().as_str(),
            "https://api.github.com/organizations/1/repos?per_page=100&page=2"
        );
        let last = Some(
            r#"<https://api.github.com/x?page=4>; rel="prev", <https://api.github.com/x?page=1>; rel="first""#
                .to_string(),
        );
        assert_eq!(next_link(&last, &base), None);
        assert_eq!(next_link(&None, &base), None);
    }

    #[test]
    fn branch_names_are_one_segment() {
        assert_eq!(encode_component("release/1.2"), "release%2F1.2");
        assert_eq!(encode_component("main"), "main");
    }
}
