//! Confluence (Cloud, or Server / Data Center): one site per scope, its
//! pages in a set of spaces found by CQL, each a `doc` that is `in_space`
//! its space and `documents` the services its labels, content property or
//! title name.
//!
//! The GitHub collector links docs from catalog files (`catalog-info.yaml`
//! links); this collector only reads what Confluence itself says.

pub mod api;
pub mod cql;
pub mod map;

use std::collections::BTreeMap;
use std::path::PathBuf;

use regex::Regex;
use reqwest::Url;
use rustc_hash::FxHashSet;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use self::api::{SearchPage, SEARCH};
use self::map::Matching;
use crate::collector::{unknown_scope, CollectError, Collector};
use crate::http::{Auth, HttpClient, HttpError, HttpSettings};
use crate::schedule::Schedule;
use crate::secret::SecretSource;
use crate::{Day, Observation};

/// `[collectors.confluence]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Cloud: `https://acme.atlassian.net/wiki`; Server / Data Center:
    /// `https://confluence.acme.internal` (with its context path, if any).
    pub base_url: String,
    /// The scope's name; defaults to base_url's host.
    #[serde(default)]
    pub scope: Option<String>,
    /// `cloud` (email and API token) or `server` (personal access token).
    #[serde(default)]
    pub deployment: Deployment,
    /// Cloud: the email of the account the API token belongs to.
    #[serde(default)]
    pub user_email: Option<String>,
    /// The environment variable holding the API token or PAT.
    #[serde(default)]
    pub token_env: Option<String>,
    /// Or a file holding it.
    #[serde(default)]
    pub token_file: Option<PathBuf>,
    /// Space keys whose pages are read; required unless `cql` is given.
    #[serde(default)]
    pub spaces: Vec<String>,
    /// Only pages with any of these labels.
    #[serde(default)]
    pub labels: Vec<String>,
    /// Only pages under any of these pages (ids).
    #[serde(default)]
    pub ancestors: Vec<PageId>,
    /// The whole CQL, instead of spaces, labels and ancestors.
    #[serde(default)]
    pub cql: Option<String>,
    /// A label `<prefix><service>` says the page documents that service.
    #[serde(default = "default_label_prefix")]
    pub service_label_prefix: String,
    /// A regular expression with a `service` group: a title it matches
    /// documents that service.
    #[serde(default)]
    pub title_pattern: Option<String>,
    /// A content property whose value (a string or a list of strings)
    /// names the service(s) the page documents.
    #[serde(default)]
    pub service_property: Option<String>,
    /// Results per search request, 1 to 250.
    #[serde(default = "default_page_size")]
    pub page_size: u32,
    #[serde(default)]
    pub http: HttpSettings,
    #[serde(default)]
    pub schedule: Schedule,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Deployment {
    /// Basic auth with `user_email` and an Atlassian API token.
    #[default]
    Cloud,
    /// A personal access token as a Bearer token (Confluence 7.9+).
    #[serde(alias = "datacenter", alias = "data-center")]
    Server,
}

/// A page id, written as a number or a string in the config.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct PageId(pub String);

impl<'de> Deserialize<'de> for PageId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<PageId, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Number(u64),
            Text(String),
        }
        match Raw::deserialize(deserializer) {
            Ok(Raw::Number(id)) => Ok(PageId(id.to_string())),
            Ok(Raw::Text(id)) => Ok(PageId(id)),
            Err(_) => Err(serde::de::Error::custom("a page id is a number or a string of digits")),
        }
    }
}

fn default_label_prefix() -> String {
    "service-".into()
}

fn default_page_size() -> u32 {
    100
}

pub struct Confluence {
    client: HttpClient,
    scope: String,
    /// base_url without its trailing slash, for page URLs.
    base_url: String,
    cql: String,
    /// The `expand` every search request carries.
    expand: String,
    matching: Matching,
    page_size: u32,
}

impl Collector for Confluence {
    const NAME: &'static str = "confluence";
    type Config = Config;

    fn new(config: &Config) -> Result<Confluence, CollectError> {
        let problem = |problem: String| CollectError::Config { collector: Self::NAME, problem };
        let cql = selection_cql(config).map_err(problem)?;
        if !(1..=250).contains(&config.page_size) {
            return Err(problem(format!("page_size must be between 1 and 250, got {}", config.page_size)));
        }
        let matching = matching(config).map_err(problem)?;
        let mut expand = "space,version,metadata.labels".to_string();
        if let Some(key) = &matching.property {
            expand.push_str(&format!(",metadata.properties.{key}"));
        }
        let auth = credentials(config).map_err(problem)?;
        let client = HttpClient::new("Confluence", &config.base_url, auth, &auth_hint(config), &config.http)?;
        let scope =
            config.scope.clone().unwrap_or_else(|| client.base().host_str().unwrap_or("confluence").to_string());
        Ok(Confluence {
            base_url: client.base().as_str().trim_end_matches('/').to_string(),
            client,
            scope,
            cql,
            expand,
            matching,
            page_size: config.page_size,
        })
    }

    fn schedule(config: &Config) -> &Schedule {
        &config.schedule
    }

    fn scopes(&self) -> Vec<String> {
        vec![self.scope.clone()]
    }

    async fn collect(&self, scope: &str, day: Day) -> Result<Observation, CollectError> {
        if scope != self.scope {
            return Err(unknown_scope(Self::NAME, scope, &self.scopes()));
        }
        let mut obs = Observation::new(Self::NAME, scope, day);
        let mut run = Run::default();
        let mut url = self.first_url()?;
        let mut requested = FxHashSet::default();
        requested.insert(url.to_string());
        loop {
            let answer: SearchPage = self.client.get_url_json(url).await.map_err(|e| self.search_failed(e))?;
            for (index, raw) in answer.results.into_iter().enumerate() {
                self.read_result(index, raw, &mut obs, &mut run);
            }
            // An empty link is read as none, not as the base URL.
            let Some(next) = answer.links.next.filter(|next| !next.trim().is_empty()) else { break };
            url = api::next_url(&self.client, &next, &self.expand)?;
            if !requested.insert(url.to_string()) {
                return Err(api::looping_next(&url).into());
            }
        }
        // A page read once and unreadable once (it moved between pages of
        // results while we read them) was observed.
        obs.unobserved.retain(|key| !run.read.contains(key.trim_start_matches("doc:confluence/")));
        obs.entities.extend(run.spaces.values().map(map::space_entity));
        tracing::info!(
            collector.name = Self::NAME, snapshot.scope = scope, snapshot.day = %day,
            pages = run.read.len(), spaces = run.spaces.len(), requests = requested.len(),
            unread = obs.unobserved.len(), warnings = obs.warnings.len(), complete = obs.complete,
            "observed Confluence"
        );
        Ok(obs)
    }
}

/// What one run has read so far.
#[derive(Default)]
struct Run {
    /// Ids of the pages read, so a page met twice is kept once.
    read: FxHashSet<String>,
    /// The spaces those pages are in, by key.
    spaces: BTreeMap<String, api::Space>,
}

impl Confluence {
    /// The CQL this collector runs.
    pub fn cql(&self) -> &str {
        &self.cql
    }

    fn first_url(&self) -> Result<Url, HttpError> {
        let mut url = self.client.url(SEARCH)?;
        url.query_pairs_mut()
            .append_pair("cql", &self.cql)
            .append_pair("limit", &self.page_size.to_string())
            .append_pair("expand", &self.expand);
        Ok(url)
    }

    /// Every failure of the search fails the run; a refused query or a
    /// missing endpoint says what in the config to check.
    fn search_failed(&self, e: HttpError) -> CollectError {
        let problem = |problem: String| CollectError::Config { collector: Self::NAME, problem };
        match e {
            HttpError::Status { status: 400, body, .. } => problem(format!(
                "Confluence refused the search (HTTP 400 on {SEARCH}: {body}); check spaces, labels, ancestors and cql. The CQL sent was: {}",
                self.cql
            )),
            HttpError::NotFound { .. } => problem(format!(
                "Confluence has no {SEARCH} (HTTP 404): check base_url, which for Confluence Cloud ends in /wiki (https://acme.atlassian.net/wiki)"
            )),
            other => other.into(),
        }
    }

    /// One search result: a doc with its relations, or a warning (and the
    /// page in `unobserved`, so its previous versions carry forward).
    fn read_result(&self, index: usize, raw: Value, obs: &mut Observation, run: &mut Run) {
        let page = match api::decode_page(index, raw) {
            Ok(page) => page,
            Err(unreadable) => return unread(obs, unreadable.id.as_deref(), &unreadable.error.to_string()),
        };
        if !api::is_page_id(&page.id) {
            let problem = format!("result {index} has the id '{}', which is not a Confluence content id", page.id);
            return unread(obs, None, &problem);
        }
        if !map::is_space_key(&page.space.key) {
            let problem = format!("its space key '{}' cannot be part of an entity key", page.space.key);
            return unread(obs, Some(&page.id), &problem);
        }
        if !run.read.insert(page.id.clone()) {
            return; // met again on a later page of results
        }
        obs.entities.push(map::doc_entity(&page, &self.base_url));
        obs.relations.extend(map::page_relations(&page, &self.matching, &mut obs.warnings));
        run.spaces.entry(page.space.key.clone()).or_insert(page.space);
    }
}

/// Records a page that could not be read. With its id it is `unobserved`;
/// without one SPoT cannot tell which page it was, so the run is marked
/// incomplete and closes nothing.
fn unread(obs: &mut Observation, id: Option<&str>, problem: &str) {
    match id {
        Some(id) => {
            let key = map::doc_key(id);
            obs.warnings.push(format!("{key}: not read: {problem}"));
            if !obs.unobserved.contains(&key) {
                obs.unobserved.push(key);
            }
        }
        None => {
            obs.complete = false;
            obs.warnings
                .push(format!("a page without a readable id was not read, so this run closes nothing: {problem}"));
        }
    }
}

/// The CQL the config selects, or why it selects nothing.
fn selection_cql(config: &Config) -> Result<String, String> {
    if let Some(cql) = &config.cql {
        if !config.spaces.is_empty() || !config.labels.is_empty() || !config.ancestors.is_empty() {
            return Err("cql replaces spaces, labels and ancestors: set either cql or those".into());
        }
        if cql.trim().is_empty() {
            return Err("cql is empty".into());
        }
        return Ok(cql.trim().to_string());
    }
    if config.spaces.is_empty() {
        return Err(
            "spaces must list at least one space key (e.g. spaces = [\"ENG\"]), or cql must select the pages".into()
        );
    }
    if config.spaces.iter().chain(&config.labels).any(|v| v.trim().is_empty()) {
        return Err("spaces and labels must not contain empty values".into());
    }
    let ancestors: Vec<String> = config.ancestors.iter().map(|id| id.0.trim().to_string()).collect();
    if let Some(bad) = ancestors.iter().find(|id| !api::is_page_id(id)) {
        return Err(format!("ancestors: '{bad}' is not a page id (the digits in the page's URL)"));
    }
    Ok(cql::build(&cql::Selection { spaces: &config.spaces, labels: &config.labels, ancestors: &ancestors }))
}

/// How pages name services, with the title pattern compiled once.
fn matching(config: &Config) -> Result<Matching, String> {
    if config.service_label_prefix.trim().is_empty() {
        return Err("service_label_prefix must not be empty: every label would name a service".into());
    }
    let title_pattern = match &config.title_pattern {
        Some(pattern) => {
            let regex =
                Regex::new(pattern).map_err(|e| format!("title_pattern is not a valid regular expression: {e}"))?;
            if !regex.capture_names().flatten().any(|name| name == "service") {
                return Err(format!(
                    "title_pattern '{pattern}' has no group named `service`, e.g. \"^(?P<service>[a-z0-9-]+) runbook$\""
                ));
            }
            Some(regex)
        }
        None => None,
    };
    if let Some(key) = &config.service_property {
        // The key goes into `expand=…,metadata.properties.<key>`, where a
        // dot or a comma would change what is expanded.
        let valid = !key.is_empty() && key.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b));
        if !valid {
            return Err(format!("service_property '{key}' must be letters, digits, '-' and '_'"));
        }
    }
    Ok(Matching {
        label_prefix: config.service_label_prefix.clone(),
        title_pattern,
        property: config.service_property.clone(),
    })
}

/// Cloud: Basic with the account's email and an API token. Server / Data
/// Center: the personal access token as a Bearer token.
fn credentials(config: &Config) -> Result<Auth, String> {
    let secret = SecretSource { token_env: config.token_env.clone(), token_file: config.token_file.clone() };
    match config.deployment {
        Deployment::Cloud => {
            let email = config.user_email.as_deref().map(str::trim).filter(|e| !e.is_empty()).ok_or(
                "deployment = \"cloud\" needs user_email, the email of the account the API token belongs to (for Server / Data Center set deployment = \"server\")",
            )?;
            if !secret.is_set() {
                return Err("deployment = \"cloud\" needs an API token: set token_env or token_file".into());
            }
            let token = secret.resolve("collectors.confluence token")?;
            Ok(Auth::Basic { user: email.to_string(), password: token })
        }
        Deployment::Server => {
            if config.user_email.is_some() {
                return Err("user_email is only for deployment = \"cloud\": Server / Data Center takes a personal access token alone".into());
            }
            if !secret.is_set() {
                return Err("deployment = \"server\" needs a personal access token: set token_env or token_file".into());
            }
            Ok(Auth::Bearer(secret.resolve("collectors.confluence token")?))
        }
    }
}

/// What to check when Confluence refuses the credentials (401 or 403).
fn auth_hint(config: &Config) -> String {
    let place = match (&config.token_env, &config.token_file) {
        (Some(var), _) => format!(" in {var}"),
        (_, Some(file)) => format!(" in {}", file.display()),
        _ => String::new(),
    };
    match config.deployment {
        Deployment::Cloud => format!(
            "check user_email ({}) and the API token{place}: Confluence Cloud needs an Atlassian API token of an account that can view the spaces (for Server / Data Center set deployment = \"server\")",
            config.user_email.as_deref().unwrap_or("")
        ),
        Deployment::Server => format!(
            "check the personal access token{place}: it must belong to a user who can view the spaces, on Confluence 7.9 or later (for Confluence Cloud set deployment = \"cloud\" with user_email)"
        ),
    }
}
