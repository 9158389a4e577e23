//! GitHub: one organisation per scope. Every repository (all pages), its
//! ownership (CODEOWNERS, catalog files), the services it builds, and the
//! packages its manifests use and publish, read economically: conditional
//! requests, the trees API, blobs read once, and nothing at all for a
//! repository whose `pushed_at` did not move.

pub mod api;
pub mod app;
mod attach;
mod backstage;
pub mod cache;
mod catalog;
#[cfg(feature = "testing")]
pub mod fake;
mod managed;
pub mod map;
pub mod memo;
mod own_packages;
mod services;
pub mod sync;
pub mod unparsed;
mod wiring;

use std::path::PathBuf;

use futures_util::stream::{self, StreamExt};
use serde::{Deserialize, Serialize};

use self::api::GitHubApi;
use self::app::GitHubApp;
use self::cache::Cache;
use self::memo::ParseMemo;
use self::sync::RepoFiles;
use crate::collector::{unknown_scope, CollectError, Collector};
use crate::http::{Auth, HttpClient, HttpSettings};
use crate::registries::{Registries, RegistryUrls};
use crate::schedule::Schedule;
use crate::secret::SecretSource;
use crate::{Day, Observation};

/// `[collectors.github]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `https://api.github.com`, or `https://<host>/api/v3` for GitHub
    /// Enterprise Server.
    #[serde(default = "default_base_url")]
    pub base_url: String,
    /// The organisations to observe; each is one scope.
    pub orgs: Vec<String>,
    /// The environment variable holding the token; without it (and without
    /// `token_file`), `SPOT_GITHUB_TOKEN` when set, else no token (public
    /// repositories only, 60 requests an hour).
    #[serde(default)]
    pub token_env: Option<String>,
    #[serde(default)]
    pub token_file: Option<PathBuf>,
    /// A GitHub App instead of a token: its app id, its PEM private key,
    /// and optionally its installation (found per organisation when not
    /// given). Not together with `token_env` / `token_file`.
    #[serde(default)]
    pub app_id: Option<u64>,
    #[serde(default)]
    pub app_key_file: Option<PathBuf>,
    #[serde(default)]
    pub installation_id: Option<u64>,
    /// Where conditional-request bodies, blobs and repository snapshots
    /// are kept between runs; empty disables the cache.
    #[serde(default = "default_cache_dir")]
    pub cache_dir: PathBuf,
    /// Files larger than this are not read (lockfiles of monorepos can be
    /// tens of megabytes), and are listed in the run's warnings.
    #[serde(default = "default_max_file_bytes")]
    pub max_file_bytes: u64,
    /// Look up each external package's latest version (outdated packages).
    #[serde(default = "yes")]
    pub check_latest: bool,
    #[serde(default)]
    pub registries: RegistryUrls,
    #[serde(default = "github_http")]
    pub http: HttpSettings,
    #[serde(default)]
    pub schedule: Schedule,
    /// `[identity]`, SPoT's top-level section, handed over by the binary:
    /// pins name services over every convention (docs/identity.md).
    #[serde(skip)]
    pub identity: crate::identity::IdentityConfig,
}

fn default_base_url() -> String {
    "https://api.github.com".into()
}

fn default_cache_dir() -> PathBuf {
    PathBuf::from(".spot-cache/github")
}

fn default_max_file_bytes() -> u64 {
    5 << 20
}

fn yes() -> bool {
    true
}

/// GitHub resets an exhausted rate limit within the hour: waiting for it
/// beats failing the run.
fn github_http() -> HttpSettings {
    HttpSettings { concurrency: 16, max_retry_after_s: 3900, ..HttpSettings::default() }
}

pub struct GitHub {
    /// With the token, if any; a GitHub App's organisations each get a
    /// copy with their installation token.
    api: GitHubApi,
    app: Option<GitHubApp>,
    registries: Option<Registries>,
    /// `github.com`, or the Enterprise host: the first part of repo keys.
    host: String,
    config: Config,
}

impl Collector for GitHub {
    const NAME: &'static str = "github";
    type Config = Config;

    fn new(config: &Config) -> Result<GitHub, CollectError> {
        let problem = |problem: String| CollectError::Config { collector: Self::NAME, problem };
        if config.orgs.is_empty() {
            return Err(problem("orgs must name at least one organisation, e.g. orgs = [\"acme\"]".into()));
        }
        let anonymous = HttpClient::new("GitHub", &config.base_url, Auth::None, "", &config.http)?;
        let (http, app) = match credentials(config).map_err(problem)? {
            Credentials::Token(auth, hint) => (anonymous.with_auth(auth, &hint), None),
            Credentials::App { app_id, key_file, installation_id } => {
                let app = GitHubApp::new(app_id, &key_file, installation_id, anonymous.clone()).map_err(problem)?;
                (anonymous, Some(app))
            }
        };
        let host = repo_host(&http);
        let cache_dir = (!config.cache_dir.as_os_str().is_empty()).then(|| config.cache_dir.clone());
        let registries =
            if config.check_latest { Some(Registries::new(&config.registries, &config.http)?) } else { None };
        Ok(GitHub { api: GitHubApi::new(http, Cache::new(cache_dir)), app, registries, host, config: config.clone() })
    }

    fn schedule(config: &Config) -> &Schedule {
        &config.schedule
    }

    fn scopes(&self) -> Vec<String> {
        self.config.orgs.clone()
    }

    async fn collect(&self, scope: &str, day: Day) -> Result<Observation, CollectError> {
        if !self.config.orgs.iter().any(|o| o == scope) {
            return Err(unknown_scope(Self::NAME, scope, &self.scopes()));
        }
        let org = scope;
        let api = &self.api_for(org).await?;
        let repos = api.org_repos(org, 100).await?;
        let max = self.config.max_file_bytes;
        let wanted = map::is_read;
        let mut reads = stream::iter(repos)
            .map(|repo| async move {
                let outcome = sync::read_repo(api, org, &repo, &wanted, max).await;
                (repo, outcome)
            })
            .buffer_unordered(self.config.http.concurrency.max(1));
        let mut read = Vec::new();
        let mut failed = Vec::new();
        while let Some((repo, outcome)) = reads.next().await {
            match outcome {
                Ok(files) => read.push(files),
                Err(e) if e.is_fatal() => return Err(e.into()),
                Err(e) => failed.push((repo, e)),
            }
        }
        // Repositories finish in any order; the observation is in name order.
        read.sort_by(|a, b| a.repo.name.cmp(&b.repo.name));
        failed.sort_by(|a, b| a.0.name.cmp(&b.0.name));
        let mut obs = Observation::new(Self::NAME, scope, day);
        let context = map::OrgContext { host: &self.host, org, day, identity: &self.config.identity };
        let mut memo = ParseMemo::default();
        for files in &mut read {
            settle_unparsed(api.cache(), org, files, day, &mut memo);
        }
        let repos: Vec<&RepoFiles> = read.iter().collect();
        map::observe_with(&context, &repos, &mut memo, &mut obs);
        for (repo, error) in failed {
            let key = map::repo_key(&self.host, org, &repo.name);
            obs.warnings.push(format!("{key}: not read: {error}"));
            obs.unobserved.push(key);
        }
        if let Some(registries) = &self.registries {
            map::mark_outdated(registries, day, &mut obs).await;
        }
        tracing::info!(
            collector.name = Self::NAME, snapshot.scope = scope, snapshot.day = %day,
            repos = read.len(), unread = obs.unobserved.len(), counted_requests = self.api.counted_requests(),
            not_modified = self.api.not_modified(), "observed GitHub"
        );
        Ok(obs)
    }
}

/// Reads a repository's malformed files as they last parsed, with the
/// history the cache keeps ([`unparsed`]), and keeps it for the next run.
/// A repository the cache does not know starts its history today.
fn settle_unparsed(cache: &Cache, org: &str, files: &mut RepoFiles, day: Day, memo: &mut ParseMemo) {
    let saved = cache.last_parsed(org, &files.repo.name);
    let known_history = saved.is_some();
    let mut last = saved.unwrap_or_default().restore(|sha| cache.blob(sha));
    last.settle(files, day, memo, known_history);
    cache.store_last_parsed(org, &files.repo.name, &last.saved());
}

impl GitHub {
    /// The API as `org` is read: with the token, or as the GitHub App's
    /// installation on `org`.
    async fn api_for(&self, org: &str) -> Result<GitHubApi, CollectError> {
        match &self.app {
            None => Ok(self.api.clone()),
            Some(app) => Ok(self.api.with_client(app.client_for(org).await?)),
        }
    }

    /// The commits of `org/repo` from `base` to `head` (SHAs or tags),
    /// oldest first, through the same cached client (an answer once read
    /// is never asked again: two commits always compare alike).
    pub async fn compare(
        &self,
        org: &str,
        repo: &str,
        base: &str,
        head: &str,
    ) -> Result<api::Comparison, CollectError> {
        let api = self.api_for(org).await?;
        Ok(api.compare(org, repo, base, head).await?)
    }

    /// The host part of this GitHub's repository keys (`github.com`).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// Requests so far that counted against the rate limit, and 304s.
    pub fn requests(&self) -> (u64, u64) {
        (self.api.counted_requests(), self.api.not_modified())
    }
}

/// How the collector proves who it is.
enum Credentials {
    /// A token (or none), with the hint a refused token's error gives.
    Token(Auth, String),
    App {
        app_id: u64,
        key_file: PathBuf,
        installation_id: Option<u64>,
    },
}

/// A GitHub App when `app_id` is set; otherwise the token: `token_file`,
/// `token_env`, or `SPOT_GITHUB_TOKEN` when set; none at all otherwise.
fn credentials(config: &Config) -> Result<Credentials, String> {
    let token_set = config.token_env.is_some() || config.token_file.is_some();
    match (config.app_id, &config.app_key_file, config.installation_id) {
        (None, None, None) => token(config).map(|(auth, hint)| Credentials::Token(auth, hint)),
        _ if token_set => {
            Err("set either a token (token_env / token_file) or a GitHub App (app_id, app_key_file), not both".into())
        }
        (Some(app_id), Some(key_file), installation_id) => {
            if installation_id.is_some() && config.orgs.len() > 1 {
                return Err(format!(
                    "installation_id names one organisation's installation, and {} organisations are configured: leave it out, and each organisation's installation is found",
                    config.orgs.len()
                ));
            }
            Ok(Credentials::App { app_id, key_file: key_file.clone(), installation_id })
        }
        (None, _, _) => {
            Err("a GitHub App needs app_id (its number, on the app's settings page) with app_key_file".into())
        }
        (Some(_), None, _) => {
            Err("a GitHub App needs app_key_file: the PEM private key generated on the app's settings page".into())
        }
    }
}

/// The token: `token_file`, `token_env`, or `SPOT_GITHUB_TOKEN` when set;
/// none at all otherwise. With the hint a refused token's error gives.
fn token(config: &Config) -> Result<(Auth, String), String> {
    let needs = "it needs read access to the organisation's repositories";
    let (source, hint) = match (&config.token_file, &config.token_env) {
        (Some(file), env) => (
            SecretSource { token_env: env.clone(), token_file: Some(file.clone()) },
            format!("check the token in {} ({needs})", file.display()),
        ),
        (None, Some(var)) => (
            SecretSource { token_env: Some(var.clone()), token_file: None },
            format!("check the token in {var} ({needs})"),
        ),
        (None, None) if std::env::var_os("SPOT_GITHUB_TOKEN").is_some() => (
            SecretSource { token_env: Some("SPOT_GITHUB_TOKEN".into()), token_file: None },
            format!("check the token in SPOT_GITHUB_TOKEN ({needs})"),
        ),
        (None, None) => {
            return Ok((Auth::None, "no token is set: set SPOT_GITHUB_TOKEN, token_env or token_file".into()))
        }
    };
    Ok((Auth::Bearer(source.resolve("collectors.github token")?), hint))
}

/// `api.github.com` → `github.com`; an Enterprise server's own host.
fn repo_host(http: &HttpClient) -> String {
    match http.base().host_str() {
        Some("api.github.com") | None => "github.com".into(),
        Some(host) => host.to_string(),
    }
}
