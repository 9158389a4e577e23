//! The one `Collector` trait, and the one function that knows them all.

use std::fmt::Debug;
use std::future::Future;
use std::pin::Pin;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::http::HttpError;
use crate::schedule::Schedule;
use crate::{confluence, consul, github, kubernetes, sonarqube, Day, Observation};

/// Why a run observed nothing. The run is recorded as failed with this
/// message and closes nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CollectError {
    #[error(transparent)]
    Http(#[from] HttpError),
    #[error(transparent)]
    Kubernetes(#[from] kubernetes::KubeError),
    #[error("collectors.{collector}: {problem}")]
    Config { collector: &'static str, problem: String },
    #[error("{collector}: no scope '{scope}' is configured (configured: {known})")]
    UnknownScope { collector: &'static str, scope: String, known: String },
    #[error("unknown collector '{name}' (known: {})", NAMES.join(", "))]
    UnknownCollector { name: String },
    #[error("collector '{name}' is not configured: add a [collectors.{name}] section (docs/collectors/{name}.md)")]
    NotConfigured { name: String },
}

/// A source SPoT observes. One value serves every scope of its config.
pub trait Collector: Sized + Send + Sync + 'static {
    /// The source name, as in observations and `[collectors.<NAME>]`.
    const NAME: &'static str;
    /// `[collectors.<NAME>]`; unknown keys are errors.
    type Config: DeserializeOwned + Serialize + Debug + Clone + Send + Sync;

    /// Checks the config and reads its secrets; no network yet.
    fn new(config: &Self::Config) -> Result<Self, CollectError>;

    /// When `spot serve` runs it (`[collectors.<NAME>.schedule]`).
    fn schedule(config: &Self::Config) -> &Schedule;

    /// The scopes this config covers, one run each.
    fn scopes(&self) -> Vec<String>;

    /// Observes one scope as of `day`.
    fn collect(&self, scope: &str, day: Day) -> impl Future<Output = Result<Observation, CollectError>> + Send;
}

/// A collector whose type is forgotten, so they can share a list.
pub trait AnyCollector: Send + Sync {
    fn name(&self) -> &'static str;
    fn scopes(&self) -> Vec<String>;
    fn collect<'a>(
        &'a self,
        scope: &'a str,
        day: Day,
    ) -> Pin<Box<dyn Future<Output = Result<Observation, CollectError>> + Send + 'a>>;
}

impl<C: Collector> AnyCollector for C {
    fn name(&self) -> &'static str {
        C::NAME
    }

    fn scopes(&self) -> Vec<String> {
        Collector::scopes(self)
    }

    fn collect<'a>(
        &'a self,
        scope: &'a str,
        day: Day,
    ) -> Pin<Box<dyn Future<Output = Result<Observation, CollectError>> + Send + 'a>> {
        Box::pin(Collector::collect(self, scope, day))
    }
}

/// Every collector SPoT has, by name.
pub const NAMES: &[&str] = &[
    github::GitHub::NAME,
    kubernetes::Kubernetes::NAME,
    sonarqube::SonarQube::NAME,
    consul::Consul::NAME,
    confluence::Confluence::NAME,
];

/// `[collectors]`: one optional section per collector.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CollectorsConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub github: Option<github::Config>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sonarqube: Option<sonarqube::Config>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consul: Option<consul::Config>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confluence: Option<confluence::Config>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kubernetes: Option<kubernetes::Config>,
}

impl CollectorsConfig {
    /// The names of the collectors with a section, in registry order.
    pub fn configured(&self) -> Vec<&'static str> {
        let present = [
            self.github.is_some(),
            self.kubernetes.is_some(),
            self.sonarqube.is_some(),
            self.consul.is_some(),
            self.confluence.is_some(),
        ];
        NAMES.iter().zip(present).filter(|(_, p)| *p).map(|(n, _)| *n).collect()
    }

    /// The schedule of the named collector's section.
    pub fn schedule(&self, name: &str) -> Result<Schedule, CollectError> {
        fn of<C: Collector>(config: &Option<C::Config>) -> Result<Schedule, CollectError> {
            let config = config.as_ref().ok_or_else(|| CollectError::NotConfigured { name: C::NAME.into() })?;
            Ok(C::schedule(config).clone())
        }
        match name {
            github::GitHub::NAME => of::<github::GitHub>(&self.github),
            sonarqube::SonarQube::NAME => of::<sonarqube::SonarQube>(&self.sonarqube),
            consul::Consul::NAME => of::<consul::Consul>(&self.consul),
            confluence::Confluence::NAME => of::<confluence::Confluence>(&self.confluence),
            kubernetes::Kubernetes::NAME => of::<kubernetes::Kubernetes>(&self.kubernetes),
            _ => Err(CollectError::UnknownCollector { name: name.into() }),
        }
    }

    /// Builds the named collector from its section.
    pub fn build(&self, name: &str) -> Result<Box<dyn AnyCollector>, CollectError> {
        fn boxed<C: Collector>(config: &Option<C::Config>) -> Result<Box<dyn AnyCollector>, CollectError> {
            let config = config.as_ref().ok_or_else(|| CollectError::NotConfigured { name: C::NAME.into() })?;
            Ok(Box::new(C::new(config)?))
        }
        match name {
            github::GitHub::NAME => boxed::<github::GitHub>(&self.github),
            sonarqube::SonarQube::NAME => boxed::<sonarqube::SonarQube>(&self.sonarqube),
            consul::Consul::NAME => boxed::<consul::Consul>(&self.consul),
            confluence::Confluence::NAME => boxed::<confluence::Confluence>(&self.confluence),
            kubernetes::Kubernetes::NAME => boxed::<kubernetes::Kubernetes>(&self.kubernetes),
            _ => Err(CollectError::UnknownCollector { name: name.into() }),
        }
    }
}

/// The error for a scope that a collector's config does not name.
pub fn unknown_scope(collector: &'static str, scope: &str, known: &[String]) -> CollectError {
    CollectError::UnknownScope { collector, scope: scope.into(), known: known.join(", ") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_collector_is_named_with_the_known_ones() {
        let err = CollectorsConfig::default().build("jira").err().unwrap();
        assert_eq!(
            err.to_string(),
            "unknown collector 'jira' (known: github, kubernetes, sonarqube, consul, confluence)"
        );
    }

    #[test]
    fn configured_collectors_are_listed_in_registry_order() {
        let config: CollectorsConfig = toml::from_str(
            "[confluence]\nbase_url = \"https://acme.atlassian.net/wiki\"\nspaces = [\"ENG\"]\n\
             [sonarqube]\nbase_url = \"https://sonarcloud.io\"",
        )
        .unwrap();
        assert_eq!(config.configured(), ["sonarqube", "confluence"]);
        assert_eq!(CollectorsConfig::default().configured(), Vec::<&str>::new());
    }

    #[test]
    fn a_collector_without_a_section_says_how_to_add_one() {
        let err = CollectorsConfig::default().build("sonarqube").err().unwrap();
        assert!(err.to_string().contains("add a [collectors.sonarqube] section"), "{err}");
        let err = CollectorsConfig::default().build("consul").err().unwrap();
        assert!(err.to_string().contains("add a [collectors.consul] section"), "{err}");
        let err = CollectorsConfig::default().build("kubernetes").err().unwrap();
        assert_eq!(
            err.to_string(),
            "collector 'kubernetes' is not configured: add a [collectors.kubernetes] section (docs/collectors/kubernetes.md)"
        );
    }

    #[test]
    fn a_kubernetes_section_is_built_without_reading_its_kubeconfigs() {
        let config: CollectorsConfig = toml::from_str(
            "[kubernetes]\nclusters = [{ name = \"dc1\", datacenter = \"eu-west-1\", context = \"prod-dc1\" },\n\
             { name = \"dc2\", kubeconfig = \"/nonexistent/dc2.kubeconfig\" }, { name = \"local\", in_cluster = true }]\n\
             [kubernetes.schedule]\ncron = \"30 3 * * *\"",
        )
        .unwrap();
        assert_eq!(config.configured(), ["kubernetes"]);
        assert_eq!(config.schedule("kubernetes").unwrap().cron, "30 3 * * *");
        let collector = config.build("kubernetes").unwrap();
        assert_eq!(collector.scopes(), ["dc1", "dc2", "local"]);
    }

    #[test]
    fn a_consul_section_is_built_and_listed() {
        let config: CollectorsConfig = serde_json::from_value(
            serde_json::json!({ "consul": { "base_url": "http://127.0.0.1:8500", "datacenters": ["dc1", "dc2"] } }),
        )
        .unwrap();
        assert_eq!(config.configured(), ["consul"]);
        let collector = config.build("consul").unwrap();
        assert_eq!((collector.name(), collector.scopes()), ("consul", vec!["dc1".to_string(), "dc2".to_string()]));
    }
}
