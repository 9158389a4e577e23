//! SonarQube (a server, or one SonarCloud organisation) per scope: every
//! project with its last analysis, tags, tracked measures and quality gate,
//! and the repository (or, for a project bound to a monorepo, the service
//! of it) each project `measures`.

pub mod api;
pub mod map;
pub mod monorepo;

use std::path::PathBuf;

use futures_util::stream::{self, StreamExt};
use serde::{Deserialize, Serialize};

use self::api::{all_pages, AlmBinding, ComponentMeasures, GateStatus, ProjectsPage, SearchProjectsPage};
use self::map::{measures_relation, project_entity, ProjectReading, RepoConvention};
use crate::collector::{unknown_scope, CollectError, Collector};
use crate::http::{Auth, HttpClient, HttpError, HttpSettings};
use crate::schedule::Schedule;
use crate::secret::SecretSource;
use crate::{Day, Observation};

/// The measures tracked over time unless `metrics` says otherwise.
pub const DEFAULT_METRICS: &[&str] = &[
    "coverage",
    "ncloc",
    "bugs",
    "vulnerabilities",
    "code_smells",
    "duplicated_lines_density",
    "security_hotspots",
    "sqale_rating",
    "reliability_rating",
    "security_rating",
    "security_review_rating",
];

/// `[collectors.sonarqube]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `https://sonarqube.acme.internal` or `https://sonarcloud.io`.
    pub base_url: String,
    /// The scope's name; defaults to base_url's host (with the
    /// organization on SonarCloud).
    #[serde(default)]
    pub scope: Option<String>,
    /// SonarCloud organisation key (SonarQube servers have none).
    #[serde(default)]
    pub organization: Option<String>,
    /// The environment variable holding the user token.
    #[serde(default)]
    pub token_env: Option<String>,
    /// Or a file holding it.
    #[serde(default)]
    pub token_file: Option<PathBuf>,
    /// `bearer` (SonarQube 10+, SonarCloud) or `basic` (the `token:` form
    /// older servers need).
    #[serde(default)]
    pub auth: AuthScheme,
    /// Metric keys fetched per project, in one call.
    #[serde(default = "default_metrics")]
    pub metrics: Vec<String>,
    /// Host of the repositories projects map to by convention.
    #[serde(default = "default_repo_host")]
    pub repo_host: String,
    /// Owner (organisation) of those repositories; without it only ALM
    /// bindings map projects to repositories.
    #[serde(default)]
    pub repo_owner: Option<String>,
    /// Project keys are `<key_prefix><repository>` (SonarCloud: `acme_`).
    #[serde(default)]
    pub key_prefix: Option<String>,
    /// Read each project's ALM binding (needs Administer on the project).
    #[serde(default = "yes")]
    pub alm_bindings: bool,
    /// Listing page size, 1 to 500.
    #[serde(default = "default_page_size")]
    pub page_size: u32,
    #[serde(default)]
    pub http: HttpSettings,
    #[serde(default)]
    pub schedule: Schedule,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthScheme {
    #[default]
    Bearer,
    Basic,
}

fn default_metrics() -> Vec<String> {
    DEFAULT_METRICS.iter().map(|m| m.to_string()).collect()
}

fn default_repo_host() -> String {
    "github.com".into()
}

fn yes() -> bool {
    true
}

fn default_page_size() -> u32 {
    500
}

pub struct SonarQube {
    client: HttpClient,
    scope: String,
    config: Config,
}

impl Collector for SonarQube {
    const NAME: &'static str = "sonarqube";
    type Config = Config;

    fn new(config: &Config) -> Result<SonarQube, CollectError> {
        let problem = |problem: String| CollectError::Config { collector: Self::NAME, problem };
        if !(1..=500).contains(&config.page_size) {
            return Err(problem(format!("page_size must be between 1 and 500, got {}", config.page_size)));
        }
        if config.metrics.is_empty() {
            return Err(problem("metrics must name at least one metric".into()));
        }
        let secret = SecretSource { token_env: config.token_env.clone(), token_file: config.token_file.clone() };
        let auth = match (secret.resolve_if_set("collectors.sonarqube token").map_err(problem)?, config.auth) {
            (Some(token), AuthScheme::Bearer) => Auth::Bearer(token),
            (Some(token), AuthScheme::Basic) => Auth::BasicToken(token),
            (None, _) => Auth::None,
        };
        let hint = match (&config.token_env, &config.token_file) {
            (Some(var), _) => format!("check the user token in {var}, and auth = \"basic\" for servers before 10.0"),
            (_, Some(file)) => format!("check the user token in {}", file.display()),
            _ => "set token_env or token_file in [collectors.sonarqube]".to_string(),
        };
        let client = HttpClient::new("SonarQube", &config.base_url, auth, &hint, &config.http)?;
        let scope = config.scope.clone().unwrap_or_else(|| {
            let host = client.base().host_str().unwrap_or("sonarqube").to_string();
            match &config.organization {
                Some(org) => format!("{host}/{org}"),
                None => host,
            }
        });
        Ok(SonarQube { client, scope, config: config.clone() })
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
        let projects = self.projects(&mut obs.warnings).await?;
        let convention = RepoConvention {
            host: self.config.repo_host.clone(),
            owner: self.config.repo_owner.clone(),
            key_prefix: self.config.key_prefix.clone(),
        };
        let bindings = BindingReader::new(self.config.alm_bindings);
        let mut read = stream::iter(projects)
            .map(|project| self.read_project(project, &bindings))
            .buffered(self.config.http.concurrency.max(1));
        while let Some((project, outcome)) = read.next().await {
            match outcome {
                Ok(reading) => {
                    obs.entities.push(project_entity(&reading));
                    obs.relations.extend(measures_relation(&reading, &convention, &mut obs.warnings));
                }
                Err(e) if e.is_fatal() => return Err(e.into()),
                Err(e) => {
                    // Its previous versions carry forward; the run goes on.
                    obs.unobserved.push(map::project_key(&project.key));
                    obs.warnings.push(format!("{}: not read: {e}", map::project_key(&project.key)));
                }
            }
        }
        obs.warnings.extend(bindings.notes());
        tracing::info!(
            collector.name = Self::NAME, snapshot.scope = scope, snapshot.day = %day,
            projects = obs.entities.len(), unread = obs.unobserved.len(), warnings = obs.warnings.len(),
            "observed SonarQube"
        );
        Ok(obs)
    }
}

impl SonarQube {
    fn org_query(&self) -> Vec<(&'static str, String)> {
        self.config.organization.iter().map(|org| ("organization", org.clone())).collect()
    }

    /// Every project: tags from `components/search_projects` (Browse),
    /// revision and analysis date from `projects/search` when the token may
    /// administer projects.
    async fn projects(&self, warnings: &mut Vec<String>) -> Result<Vec<ProjectReading>, HttpError> {
        let mut query = self.org_query();
        query.push(("f", "analysisDate".into()));
        let searched = all_pages(
            &self.client,
            "api/components/search_projects",
            &query,
            self.config.page_size,
            |p: SearchProjectsPage| (p.paging, p.components),
        )
        .await?;
        let administered = match all_pages(
            &self.client,
            "api/projects/search",
            &self.org_query(),
            self.config.page_size,
            |p: ProjectsPage| (p.paging, p.components),
        )
        .await
        {
            Ok(list) => list,
            Err(HttpError::Forbidden { .. }) => {
                warnings.push("api/projects/search is forbidden to this token (it needs Administer): analysed revisions are not recorded".into());
                Vec::new()
            }
            Err(e) => return Err(e),
        };
        let mut revisions: rustc_hash::FxHashMap<String, api::ProjectSummary> =
            administered.into_iter().map(|p| (p.key.clone(), p)).collect();
        let mut seen = rustc_hash::FxHashSet::default();
        let mut projects = Vec::with_capacity(searched.len());
        for p in searched {
            if !seen.insert(p.key.clone()) {
                continue; // a project that moved between pages while we read them
            }
            let summary = revisions.remove(&p.key);
            projects.push(ProjectReading {
                last_analysis: summary.as_ref().and_then(|s| s.last_analysis_date.clone()).or(p.analysis_date),
                revision: summary.and_then(|s| s.revision),
                key: p.key,
                name: p.name,
                visibility: p.visibility,
                tags: p.tags,
                ..Default::default()
            });
        }
        Ok(projects)
    }

    /// Measures, gate and binding of one project.
    async fn read_project(
        &self,
        mut project: ProjectReading,
        bindings: &BindingReader,
    ) -> (ProjectReading, Result<ProjectReading, HttpError>) {
        let outcome = async {
            let mut query = vec![
                ("component", project.key.clone()),
                ("metricKeys", self.config.metrics.join(",")),
                ("additionalFields", "metrics".to_string()),
            ];
            query.extend(self.org_query());
            let measures: ComponentMeasures = self.client.get_json("api/measures/component", &query).await?;
            let mut gate_query = vec![("projectKey", project.key.clone())];
            gate_query.extend(self.org_query());
            let gate: GateStatus = match self.client.get_json("api/qualitygates/project_status", &gate_query).await {
                Ok(gate) => gate,
                // Never analysed: no gate yet.
                Err(HttpError::NotFound { .. }) => {
                    GateStatus { project_status: api::ProjectStatus { status: "NONE".into(), conditions: vec![] } }
                }
                Err(e) => return Err(e),
            };
            let mut reading = project.clone();
            reading.binding = bindings.read(&self.client, &project.key).await?;
            reading.measures = measures.component.measures;
            reading.metrics = measures.metrics;
            reading.gate = Some(gate.project_status);
            Ok(reading)
        }
        .await;
        project.measures.clear();
        (project, outcome)
    }
}

/// Reads ALM bindings until the server says the token may not (or the
/// server has no such endpoint), then stops asking.
struct BindingReader {
    enabled: std::sync::atomic::AtomicBool,
    note: std::sync::Mutex<Option<String>>,
}

impl BindingReader {
    fn new(enabled: bool) -> BindingReader {
        BindingReader { enabled: enabled.into(), note: Default::default() }
    }

    async fn read(&self, client: &HttpClient, project: &str) -> Result<Option<AlmBinding>, HttpError> {
        use std::sync::atomic::Ordering::Relaxed;
        if !self.enabled.load(Relaxed) {
            return Ok(None);
        }
        match client.get_json::<AlmBinding>("api/alm_settings/get_binding", &[("project", project.to_string())]).await {
            Ok(binding) => Ok(Some(binding)),
            // No binding for this project: the key convention applies.
            Err(HttpError::NotFound { .. }) => Ok(None),
            Err(HttpError::Forbidden { .. }) | Err(HttpError::Status { status: 400, .. }) => {
                self.enabled.store(false, Relaxed);
                *self.note.lock().unwrap_or_else(|e| e.into_inner()) = Some(
                    "ALM bindings not read (api/alm_settings/get_binding needs Administer on projects, and SonarCloud has no such endpoint): projects map to repositories by key".into(),
                );
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    fn notes(&self) -> Option<String> {
        self.note.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}
