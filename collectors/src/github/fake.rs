//! A fake GitHub on loopback: an organisation of generated repositories
//! (catalog files, CODEOWNERS, npm / Go / Python manifests and lockfiles,
//! monorepos), served the way GitHub serves them: `Link` pagination, ETags
//! and 304s, the trees and blobs APIs, a token or a GitHub App's
//! installation tokens, optional latency, and counters of what was asked.
//! Used by the collector's tests and by `spot bench github`; never by a
//! real run.

mod app;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, Response, StatusCode};
use axum::Router;
use serde_json::json;
use xxhash_rust::xxh3::xxh3_64;

use self::app::AppState;
pub use self::app::{FakeApp, TestKey};

pub const TEAMS: &[&str] = &["payments", "platform", "search", "identity", "data", "mobile"];

/// One generated repository.
#[derive(Debug, Clone)]
pub struct FakeRepo {
    pub name: String,
    pub pushed_at: String,
    /// When GitHub says it was created: the older repository keeps a
    /// service name two claim.
    pub created_at: String,
    pub archived: bool,
    /// path → content
    pub files: BTreeMap<String, String>,
}

#[derive(Default)]
struct State {
    repos: Vec<FakeRepo>,
    /// Repositories whose tree answers this status instead.
    broken: BTreeMap<String, u16>,
    /// Requests still to answer with an exhausted rate limit.
    rate_limited: u32,
}

pub struct FakeGitHub {
    pub url: String,
    pub org: String,
    state: Arc<Mutex<State>>,
    requests: Arc<AtomicU64>,
    not_modified: Arc<AtomicU64>,
    app: Option<Arc<AppState>>,
    task: tokio::task::JoinHandle<()>,
}

/// What API calls must carry.
enum Access {
    Open,
    Token(String),
    App(Arc<AppState>),
}

impl Drop for FakeGitHub {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeGitHub {
    /// Serves `repos` generated repositories of `org`; `token`, when given,
    /// is required as a bearer token; each answer waits `latency`.
    pub async fn start(org: &str, repos: usize, token: Option<&str>, latency: Duration) -> std::io::Result<FakeGitHub> {
        let access = token.map_or(Access::Open, |t| Access::Token(t.to_string()));
        FakeGitHub::serve(org, repos, access, latency).await
    }

    /// Serves like [`FakeGitHub::start`], to `app` installed on `org`: API
    /// calls must carry a live installation token of it.
    pub async fn start_app(org: &str, repos: usize, app: FakeApp, latency: Duration) -> std::io::Result<FakeGitHub> {
        FakeGitHub::serve(org, repos, Access::App(Arc::new(AppState::new(app)?)), latency).await
    }

    /// Serves the given repositories of `org`, open to anyone.
    pub async fn start_with(org: &str, repos: Vec<FakeRepo>) -> std::io::Result<FakeGitHub> {
        FakeGitHub::serve_repos(org, repos, Access::Open, Duration::ZERO).await
    }

    async fn serve(org: &str, repos: usize, access: Access, latency: Duration) -> std::io::Result<FakeGitHub> {
        FakeGitHub::serve_repos(org, (0..repos).map(generate).collect(), access, latency).await
    }

    async fn serve_repos(
        org: &str,
        repos: Vec<FakeRepo>,
        access: Access,
        latency: Duration,
    ) -> std::io::Result<FakeGitHub> {
        let app = match &access {
            Access::App(app) => Some(app.clone()),
            _ => None,
        };
        let state = Arc::new(Mutex::new(State { repos, ..State::default() }));
        let (requests, not_modified) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
        let context = Arc::new(Context {
            org: org.to_string(),
            access,
            latency,
            state: state.clone(),
            requests: requests.clone(),
            not_modified: not_modified.clone(),
        });
        let router = Router::new().fallback(move |request: Request<Body>| {
            let context = context.clone();
            async move { context.answer(request).await }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Ok(FakeGitHub { url, org: org.to_string(), state, requests, not_modified, app, task })
    }

    /// Installation tokens the app was issued, and API calls refused for
    /// want of a live one (zero without an app).
    pub fn app_tokens(&self) -> (u64, u64) {
        self.app.as_ref().map_or((0, 0), |app| (app.exchanges(), app.refused()))
    }

    /// Requests received so far, and how many of them were answered 304.
    pub fn requests(&self) -> (u64, u64) {
        (self.requests.load(Ordering::Relaxed), self.not_modified.load(Ordering::Relaxed))
    }

    pub fn reset_counters(&self) {
        self.requests.store(0, Ordering::Relaxed);
        self.not_modified.store(0, Ordering::Relaxed);
    }

    /// A push to repository `index`: a new `pushed_at`, and `path` now holds `content`.
    pub fn push(&self, index: usize, path: &str, content: &str, pushed_at: &str) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let repo = &mut state.repos[index];
        repo.files.insert(path.to_string(), content.to_string());
        repo.pushed_at = pushed_at.to_string();
    }

    /// Repository `name`'s tree answers `status` from now on.
    pub fn break_repo(&self, name: &str, status: u16) {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).broken.insert(name.to_string(), status);
    }

    /// The next `n` requests hit an exhausted rate limit that resets in a second.
    pub fn exhaust_rate_limit(&self, n: u32) {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).rate_limited = n;
    }

    pub fn repo(&self, index: usize) -> FakeRepo {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).repos[index].clone()
    }
}

struct Context {
    org: String,
    access: Access,
    latency: Duration,
    state: Arc<Mutex<State>>,
    requests: Arc<AtomicU64>,
    not_modified: Arc<AtomicU64>,
}

impl Context {
    async fn answer(&self, request: Request<Body>) -> Response<Body> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        if !self.latency.is_zero() {
            tokio::time::sleep(self.latency).await;
        }
        let headers = request.headers().clone();
        let path = request.uri().path().to_string();
        let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
        let presented = headers.get("authorization").and_then(|v| v.to_str().ok());
        if let Access::App(app) = &self.access {
            if let Some((status, body, extra)) = app.answer(request.method().as_str(), &parts, &self.org, presented) {
                return reply(status, body, &extra);
            }
        }
        let admitted = match &self.access {
            Access::Open => true,
            Access::Token(token) => presented == Some(&format!("Bearer {token}")),
            Access::App(app) => app.admits(presented),
        };
        if !admitted {
            return reply(StatusCode::UNAUTHORIZED, json!({"message": "Bad credentials"}).to_string(), &[]);
        }
        {
            let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
            if state.rate_limited > 0 {
                state.rate_limited -= 1;
                let reset = (chrono::Utc::now().timestamp() + 1).to_string();
                let limited = [("x-ratelimit-remaining", "0".to_string()), ("x-ratelimit-reset", reset)];
                return reply(
                    StatusCode::FORBIDDEN,
                    json!({"message": "API rate limit exceeded"}).to_string(),
                    &limited,
                );
            }
        }
        let query: BTreeMap<String, String> = reqwest::Url::parse(&format!("http://fake{}", request.uri()))
            .map(|u| u.query_pairs().into_owned().collect())
            .unwrap_or_default();
        let (status, body, extra) = match parts.as_slice() {
            ["orgs", org, "repos"] if *org == self.org => self.repos_page(&query),
            ["repos", org, repo, "languages"] if *org == self.org => self.with_repo(repo, |r| {
                let bytes = r.files.values().map(|c| c.len() as u64).sum::<u64>();
                (StatusCode::OK, json!({ language_of(r): bytes * 40, "Shell": 1200 }).to_string(), vec![])
            }),
            ["repos", org, repo, "git", "trees", _branch] if *org == self.org => self.tree(repo),
            ["repos", org, repo, "git", "blobs", sha] if *org == self.org => self.blob(repo, sha),
            ["repos", org, repo, "releases"] if *org == self.org => {
                self.with_repo(repo, |r| (StatusCode::OK, releases_of(r).to_string(), vec![]))
            }
            ["repos", org, repo, "tags"] if *org == self.org => {
                self.with_repo(repo, |r| (StatusCode::OK, tags_of(r).to_string(), vec![]))
            }
            ["repos", org, repo, "compare", range] if *org == self.org => self.with_repo(repo, |r| compare(r, range)),
            _ => (StatusCode::NOT_FOUND, json!({"message": "Not Found"}).to_string(), vec![]),
        };
        if status == StatusCode::OK {
            let etag = format!("\"{:016x}\"", xxh3_64(body.as_bytes()));
            if headers.get("if-none-match").and_then(|v| v.to_str().ok()) == Some(etag.as_str()) {
                self.not_modified.fetch_add(1, Ordering::Relaxed);
                return reply(StatusCode::NOT_MODIFIED, String::new(), &[("etag", etag)]);
            }
            let mut extra = extra;
            extra.push(("etag", etag));
            return reply(status, body, &extra);
        }
        reply(status, body, &extra)
    }

    fn repos_page(&self, query: &BTreeMap<String, String>) -> (StatusCode, String, Vec<(&'static str, String)>) {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let per_page: usize = query.get("per_page").and_then(|p| p.parse().ok()).unwrap_or(30).clamp(1, 100);
        let page: usize = query.get("page").and_then(|p| p.parse().ok()).unwrap_or(1).max(1);
        let items: Vec<serde_json::Value> = state
            .repos
            .iter()
            .skip((page - 1) * per_page)
            .take(per_page)
            .map(|r| {
                json!({
                    "name": r.name, "full_name": format!("{}/{}", self.org, r.name), "private": true,
                    "visibility": "private", "archived": r.archived, "disabled": false, "fork": false,
                    "default_branch": "main", "language": language_of(r), "topics": topics_of(r),
                    "pushed_at": r.pushed_at, "created_at": r.created_at, "open_issues_count": r.name.len() % 7,
                    "description": format!("The {} repository", r.name),
                    "html_url": format!("https://github.com/{}/{}", self.org, r.name),
                })
            })
            .collect();
        let mut extra = Vec::new();
        if page * per_page < state.repos.len() {
            let next =
                format!("</orgs/{}/repos?per_page={per_page}&type=all&page={}>; rel=\"next\"", self.org, page + 1);
            extra.push(("link", next));
        }
        (StatusCode::OK, serde_json::Value::Array(items).to_string(), extra)
    }

    fn with_repo(
        &self,
        name: &str,
        answer: impl FnOnce(&FakeRepo) -> (StatusCode, String, Vec<(&'static str, String)>),
    ) -> (StatusCode, String, Vec<(&'static str, String)>) {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        match state.repos.iter().find(|r| r.name == name) {
            Some(repo) => answer(repo),
            None => (StatusCode::NOT_FOUND, json!({"message": "Not Found"}).to_string(), vec![]),
        }
    }

    fn tree(&self, name: &str) -> (StatusCode, String, Vec<(&'static str, String)>) {
        if let Some(status) = self.state.lock().unwrap_or_else(|e| e.into_inner()).broken.get(name) {
            let status = StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            return (status, json!({"message": "broken on purpose"}).to_string(), vec![]);
        }
        self.with_repo(name, |repo| {
            let entries: Vec<serde_json::Value> = repo
                .files
                .iter()
                .map(|(path, content)| json!({ "path": path, "type": "blob", "sha": blob_sha(content), "size": content.len() }))
                .collect();
            (StatusCode::OK, json!({ "sha": "t", "tree": entries, "truncated": false }).to_string(), vec![])
        })
    }

    fn blob(&self, name: &str, sha: &str) -> (StatusCode, String, Vec<(&'static str, String)>) {
        self.with_repo(name, |repo| match repo.files.values().find(|c| blob_sha(c) == sha) {
            Some(content) => {
                (StatusCode::OK, content.clone(), vec![("content-type", "application/vnd.github.raw".into())])
            }
            None => (StatusCode::NOT_FOUND, json!({"message": "Not Found"}).to_string(), vec![]),
        })
    }
}

/// Each generated repository has released `v1.<n>.0` for n = 1..=3, on the
/// 1st of January, February and March 2026, each tag on its commit.
pub const RELEASES: u32 = 3;

/// The commit a fake repository's `v1.<n>.0` names.
pub fn release_commit(repo: &str, n: u32) -> String {
    format!("{:016x}{:016x}{:08x}", xxh3_64(repo.as_bytes()), n as u64, n)
}

fn releases_of(repo: &FakeRepo) -> serde_json::Value {
    let releases: Vec<serde_json::Value> = (1..=RELEASES)
        .rev()
        .map(|n| json!({ "tag_name": format!("v1.{n}.0"), "draft": false, "published_at": format!("2026-0{n}-01T12:00:00Z") }))
        .collect();
    let _ = repo;
    serde_json::Value::Array(releases)
}

fn tags_of(repo: &FakeRepo) -> serde_json::Value {
    let tags: Vec<serde_json::Value> = (1..=RELEASES)
        .rev()
        .map(|n| json!({ "name": format!("v1.{n}.0"), "commit": { "sha": release_commit(&repo.name, n) } }))
        .collect();
    serde_json::Value::Array(tags)
}

/// `<base>...<head>` between two of the repository's release commits: two
/// commits a day, 9:00 and 15:00, from the day after the base release to
/// the day of the head one.
fn compare(repo: &FakeRepo, range: &str) -> (StatusCode, String, Vec<(&'static str, String)>) {
    let release = |sha: &str| (1..=RELEASES).find(|n| release_commit(&repo.name, *n) == sha);
    let found = range.split_once("...").and_then(|(base, head)| Some((release(base)?, release(head)?)));
    let Some((base, head)) = found.filter(|(base, head)| base < head) else {
        return (StatusCode::NOT_FOUND, json!({"message": "Not Found"}).to_string(), vec![]);
    };
    let from = chrono::NaiveDate::from_ymd_opt(2026, base, 1).unwrap_or_default();
    let to = chrono::NaiveDate::from_ymd_opt(2026, head, 1).unwrap_or_default();
    let mut commits = Vec::new();
    for day in from.iter_days().skip(1).take_while(|d| *d <= to) {
        for hour in [9, 15] {
            let at = format!("{day}T{hour:02}:00:00Z");
            let sha = format!("{:016x}{:024x}", xxh3_64(format!("{}{at}", repo.name).as_bytes()), 0);
            commits.push(json!({ "sha": sha, "commit": { "author": { "date": at }, "committer": { "date": at } } }));
        }
    }
    let body = json!({ "status": "ahead", "total_commits": commits.len(), "commits": commits });
    (StatusCode::OK, body.to_string(), vec![])
}

fn reply(status: StatusCode, body: String, headers: &[(&str, String)]) -> Response<Body> {
    let mut response = Response::builder().status(status).header("content-type", "application/json; charset=utf-8");
    for (name, value) in headers {
        response = response.header(*name, value);
    }
    response.body(Body::from(body)).unwrap_or_default()
}

/// A stand-in for git's blob SHA: stable per content.
pub fn blob_sha(content: &str) -> String {
    format!("{:040x}", xxh3_64(content.as_bytes()) as u128 * 0x1_0000_0001)
}

fn language_of(repo: &FakeRepo) -> &'static str {
    if repo.files.contains_key("go.mod") {
        "Go"
    } else if repo.files.contains_key("requirements.txt") {
        "Python"
    } else {
        "TypeScript"
    }
}

fn topics_of(repo: &FakeRepo) -> Vec<&'static str> {
    if repo.name.ends_with("-lib") {
        vec!["library"]
    } else {
        vec!["service"]
    }
}

/// Repository `i`: every fourth a library that publishes an npm package,
/// every fifth a monorepo of three services, the rest one service each,
/// in Node, Go or Python. About twenty files are worth reading in each.
pub fn generate(i: usize) -> FakeRepo {
    let team = TEAMS[i % TEAMS.len()];
    let library = i % 4 == 3;
    let name = if library { format!("repo-{i}-lib") } else { format!("repo-{i}") };
    let mut files = BTreeMap::new();
    files.insert("README.md".into(), format!("# {name}\n"));
    files.insert(".github/CODEOWNERS".into(), format!("* @acme/{team}\n/docs/ @acme/platform\n"));
    for n in 0..8 {
        files.insert(format!("src/module_{n}.ts"), format!("export const n = {n};\n"));
    }
    let kind = if library { "library" } else { "service" };
    if i % 5 == 0 && !library {
        // A monorepo: one service per folder, each with its own catalog file.
        for s in 0..3 {
            let service = format!("{name}-svc{s}");
            let folder = format!("services/{service}");
            files.insert(format!("{folder}/catalog-info.yaml"), catalog(&service, "service", team, i));
            files.insert(format!("{folder}/package.json"), package_json(&service, i, false));
            files.insert(format!("{folder}/package-lock.json"), package_lock(&service, i));
            files.insert(format!("{folder}/Dockerfile"), "FROM node:22\n".into());
        }
        files.insert(
            "package.json".into(),
            json!({"name": name, "private": true, "workspaces": ["services/*"]}).to_string(),
        );
    } else {
        files.insert("catalog-info.yaml".into(), catalog(&name, kind, team, i));
        // Libraries are npm packages; services are Node, Go or Python.
        match if library { 0 } else { i % 3 } {
            0 => {
                files.insert("package.json".into(), package_json(&name, i, library));
                files.insert("package-lock.json".into(), package_lock(&name, i));
            }
            1 => {
                files.insert("go.mod".into(), go_mod(&name, i));
            }
            _ => {
                files.insert("requirements.txt".into(), requirements(i));
                files.insert("requirements-dev.txt".into(), "pytest==8.3.3\nruff==0.7.1\n".into());
            }
        }
    }
    // Internal workspace packages: about twenty manifests to read in all.
    for k in 0..18 {
        let package = json!({
            "name": format!("@{name}/part-{k}"), "private": true,
            "dependencies": { "lodash": "^4.17.21", "zod": format!("^3.{}.0", 20 + k % 3) }
        });
        files.insert(format!("packages/part-{k}/package.json"), package.to_string());
    }
    // Vendored code is never read.
    files.insert(
        "node_modules/left-pad/package.json".into(),
        json!({"name": "left-pad", "version": "1.3.0"}).to_string(),
    );
    let day = 1 + i % 28;
    let created_at = format!("2024-01-{:02}T09:00:00Z", i % 28 + 1);
    FakeRepo { name, pushed_at: format!("2026-10-{day:02}T12:00:00Z"), created_at, archived: i % 97 == 96, files }
}

fn catalog(name: &str, kind: &str, team: &str, i: usize) -> String {
    let depends = if i > 0 && kind == "service" {
        format!("\n  dependsOn:\n    - component:repo-{}", i - 1)
    } else {
        String::new()
    };
    format!(
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: {name}\n  links:\n    - url: https://acme.atlassian.net/wiki/spaces/ENG/pages/{}\n      title: Runbook\nspec:\n  type: {kind}\n  lifecycle: production\n  owner: group:{team}{depends}\n",
        10_000 + i
    )
}

fn package_json(name: &str, i: usize, library: bool) -> String {
    let mut dependencies = serde_json::Map::new();
    dependencies.insert("express".into(), json!(format!("^4.{}.0", 17 + i % 3)));
    dependencies.insert("lodash".into(), json!("^4.17.21"));
    // An internal package: the nearest library before it publishes it.
    let back = (i + 1) % 4;
    if back > 0 && i >= back + 3 {
        dependencies.insert(format!("@acme/repo-{}-lib", i - back), json!("^1.0.0"));
    }
    let package_name = if library { format!("@acme/{name}") } else { name.to_string() };
    json!({
        "name": package_name, "version": "1.0.0", "private": !library,
        "dependencies": dependencies,
        "devDependencies": { "typescript": "^5.6.0", "jest": "^29.7.0" }
    })
    .to_string()
}

fn package_lock(name: &str, i: usize) -> String {
    let packages = json!({
        "": { "name": name, "version": "1.0.0" },
        "node_modules/express": { "version": format!("4.{}.{}", 17 + i % 3, i % 5) },
        "node_modules/lodash": { "version": "4.17.21" },
        "node_modules/typescript": { "version": "5.6.3", "dev": true },
        "node_modules/jest": { "version": "29.7.0", "dev": true },
    });
    json!({ "name": name, "version": "1.0.0", "lockfileVersion": 3, "requires": true, "packages": packages })
        .to_string()
}

fn go_mod(name: &str, i: usize) -> String {
    format!(
        "module github.com/acme/{name}\n\ngo 1.22\n\nrequire (\n\tgithub.com/gin-gonic/gin v1.{}.0\n\tgo.uber.org/zap v1.27.0\n)\n",
        9 + i % 2
    )
}

fn requirements(i: usize) -> String {
    format!("django=={}.2.1\nrequests>=2.31\ncelery==5.4.0\n", 4 + i % 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repositories_are_generated_alike_every_time() {
        let (a, b) = (generate(10), generate(10));
        assert_eq!(a.files, b.files);
        assert!(
            generate(10).files.contains_key("services/repo-10-svc0/catalog-info.yaml"),
            "every fifth is a monorepo"
        );
        assert!(generate(3).name.ends_with("-lib"), "every fourth is a library");
        assert!(generate(12).files["package.json"].contains("@acme/repo-11-lib"), "which others use");
        assert_eq!(blob_sha("x"), blob_sha("x"));
        assert_ne!(blob_sha("x"), blob_sha("y"));
    }
}
