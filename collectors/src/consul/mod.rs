//! Consul, one datacenter per scope: every service in the catalog with its
//! instances, health, tags, metadata and nodes, and the service mesh
//! between them (sidecar upstreams as `depends_on`, intentions as their
//! attributes or as `intention` relations). Every datacenter is read
//! through the one agent at `base_url` with `?dc=`.

pub mod api;
pub mod map;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use futures_util::stream::{self, StreamExt};
use serde::{Deserialize, Serialize};

use self::api::{ConnectEntry, HealthEntry, Intention, ServiceList};
use self::map::{Intentions, ServiceReading};
use crate::collector::{unknown_scope, CollectError, Collector};
use crate::http::{Auth, HttpClient, HttpError, HttpSettings};
use crate::schedule::Schedule;
use crate::secret::SecretSource;
use crate::{Day, Observation};

/// `[collectors.consul]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The agent's HTTP API, e.g. `http://consul.service:8500`.
    pub base_url: String,
    /// The datacenters to observe, each one scope, all asked through the
    /// agent at base_url. Required: at least one.
    #[serde(default)]
    pub datacenters: Vec<String>,
    /// The environment variable holding the ACL token (sent as
    /// `X-Consul-Token`). Without a token the agent's default applies.
    #[serde(default)]
    pub token_env: Option<String>,
    /// Or a file holding it.
    #[serde(default)]
    pub token_file: Option<PathBuf>,
    /// Catalog names that are not services of the organisation.
    #[serde(default = "default_skip_services")]
    pub skip_services: Vec<String>,
    #[serde(default)]
    pub http: HttpSettings,
    #[serde(default)]
    pub schedule: Schedule,
}

/// Consul registers itself as the service `consul`.
fn default_skip_services() -> Vec<String> {
    vec!["consul".into()]
}

pub struct Consul {
    client: HttpClient,
    config: Config,
}

/// What one service's reads gave: `None` for a proxy that is not a service.
type ServiceOutcome = Result<Option<(ServiceReading, BTreeSet<String>)>, HttpError>;

impl Collector for Consul {
    const NAME: &'static str = "consul";
    type Config = Config;

    fn new(config: &Config) -> Result<Consul, CollectError> {
        let problem = |problem: String| CollectError::Config { collector: Self::NAME, problem };
        check_datacenters(&config.datacenters).map_err(problem)?;
        let secret = SecretSource { token_env: config.token_env.clone(), token_file: config.token_file.clone() };
        let auth = match secret.resolve_if_set("collectors.consul token").map_err(problem)? {
            Some(token) => Auth::Header { name: "X-Consul-Token", value: token },
            None => Auth::None,
        };
        let client = HttpClient::new("Consul", &config.base_url, auth, &auth_hint(config), &config.http)?;
        Ok(Consul { client, config: config.clone() })
    }

    fn schedule(config: &Config) -> &Schedule {
        &config.schedule
    }

    fn scopes(&self) -> Vec<String> {
        self.config.datacenters.clone()
    }

    async fn collect(&self, scope: &str, day: Day) -> Result<Observation, CollectError> {
        if !self.config.datacenters.iter().any(|dc| dc == scope) {
            return Err(unknown_scope(Self::NAME, scope, &self.scopes()));
        }
        let mut obs = Observation::new(Self::NAME, scope, day);
        // The listing decides what exists: if it cannot be read, nothing is
        // known and the run fails (closing nothing).
        let names = self.service_names(scope, &mut obs.warnings).await?;
        let intentions = self.intentions(scope, &mut obs.warnings).await?;
        let mut upstreams = BTreeMap::new();
        let mut unobserved = BTreeSet::new();
        let mut reads = stream::iter(names)
            .map(|name| async move {
                let outcome = self.read_service(scope, &name).await;
                (name, outcome)
            })
            .buffered(self.config.http.concurrency.max(1));
        while let Some((name, outcome)) = reads.next().await {
            match outcome {
                Ok(Some((reading, upstream_names))) => {
                    obs.entities.push(map::service_entity(&reading));
                    upstreams.insert(name, upstream_names);
                }
                Ok(None) => tracing::debug!(service = %name, "a connect proxy, not a service"),
                Err(e) if e.is_fatal() => return Err(e.into()),
                Err(e) => {
                    // Its previous versions carry forward; the run goes on.
                    let key = map::service_key(&name);
                    obs.warnings.push(format!("{key}: not read: {e}"));
                    obs.unobserved.push(key);
                    unobserved.insert(name);
                }
            }
        }
        obs.relations = map::mesh_relations(&upstreams, &intentions, &unobserved, &mut obs.warnings);
        tracing::info!(
            collector.name = Self::NAME, snapshot.scope = scope, snapshot.day = %day,
            services = obs.entities.len(), relations = obs.relations.len(), unread = obs.unobserved.len(),
            wildcard_intentions = intentions.wildcards, warnings = obs.warnings.len(),
            "observed Consul"
        );
        Ok(obs)
    }
}

impl Consul {
    /// The catalog's service names worth reading: not sidecars, not
    /// skipped, and usable as entity keys (the others are warned about).
    async fn service_names(&self, dc: &str, warnings: &mut Vec<String>) -> Result<Vec<String>, HttpError> {
        let list: ServiceList = self.client.get_json(api::SERVICES, &dc_query(dc)).await?;
        let mut names: Vec<String> = Vec::with_capacity(list.len());
        let mut keys = BTreeSet::new();
        for name in list.into_keys() {
            if map::is_sidecar_name(&name) || self.config.skip_services.contains(&name) {
                continue;
            }
            if let Some(problem) = map::name_problem(&name) {
                warnings.push(problem);
                continue;
            }
            let key = map::service_key(&name);
            if !keys.insert(key.clone()) {
                let kept = names.iter().find(|n| map::service_key(n) == key).cloned().unwrap_or_default();
                warnings.push(format!(
                    "service '{}': not observed: its key {key} is already service '{kept}''s (names differing only in case are one service)",
                    name.escape_debug()
                ));
                continue;
            }
            names.push(name);
        }
        Ok(names)
    }

    /// The datacenter's intentions. A token that may not read them, or a
    /// Consul without the endpoint, costs the intention attributes only;
    /// any other failure fails the run, as observing without them would
    /// close every `intention` relation.
    async fn intentions(&self, dc: &str, warnings: &mut Vec<String>) -> Result<Intentions, HttpError> {
        match self.client.get_json::<Vec<Intention>>(api::INTENTIONS, &dc_query(dc)).await {
            Ok(list) => Ok(Intentions::index(list, warnings)),
            Err(HttpError::Forbidden { .. }) => {
                warnings.push(format!(
                    "{} is forbidden to this token (it needs intentions:read, which service:read grants): relations carry no intentions",
                    api::INTENTIONS
                ));
                Ok(Intentions::default())
            }
            Err(HttpError::NotFound { .. }) => {
                warnings.push(format!(
                    "{} was not found (a Consul without service mesh support?): relations carry no intentions",
                    api::INTENTIONS
                ));
                Ok(Intentions::default())
            }
            Err(e) => Err(e),
        }
    }

    /// One service's health, then its proxies' upstreams. One request at a
    /// time per service, so `http.concurrency` bounds the requests in flight.
    async fn read_service(&self, dc: &str, name: &str) -> ServiceOutcome {
        let entries: Vec<HealthEntry> = self.client.get_json(&api::health_path(name), &dc_query(dc)).await?;
        let Some(reading) = map::read_health(name, &entries) else {
            return Ok(None);
        };
        let proxies: Vec<ConnectEntry> = self.client.get_json(&api::connect_path(name), &dc_query(dc)).await?;
        Ok(Some((reading, map::upstream_names(&proxies))))
    }
}

fn dc_query(dc: &str) -> [(&'static str, String); 1] {
    [("dc", dc.to_string())]
}

/// Datacenter names become scope names: at least one, each once, each a
/// name Consul itself would accept.
fn check_datacenters(datacenters: &[String]) -> Result<(), String> {
    if datacenters.is_empty() {
        return Err(
            "datacenters must list the datacenters to observe, e.g. datacenters = [\"dc1\"] (the agent lists them at /v1/catalog/datacenters)"
                .into(),
        );
    }
    let mut seen = BTreeSet::new();
    for dc in datacenters {
        let valid =
            !dc.is_empty() && dc.len() <= 200 && dc.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
        if !valid {
            return Err(format!(
                "datacenter '{}' is not a datacenter name (letters, digits, -, _ and .)",
                dc.escape_debug()
            ));
        }
        if !seen.insert(dc) {
            return Err(format!("datacenter '{dc}' is listed twice"));
        }
    }
    Ok(())
}

/// What to check when Consul refuses the token. Consul answers 403 both
/// for a token it does not know ("ACL not found") and for one that lacks a
/// permission, so the hint covers both.
fn auth_hint(config: &Config) -> String {
    let needs = "it must be a token this datacenter knows, with service:read and node:read on every service (docs/collectors/consul.md has the policy)";
    match (&config.token_env, &config.token_file) {
        (Some(var), _) => format!("check the ACL token in {var}: {needs}"),
        (_, Some(file)) => format!("check the ACL token in {}: {needs}", file.display()),
        _ => format!("set token_env or token_file in [collectors.consul]: {needs}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datacenters_are_required_unique_and_named() {
        assert!(check_datacenters(&[]).unwrap_err().contains("datacenters must list"));
        assert_eq!(check_datacenters(&["dc1".into(), "eu-west_2".into()]), Ok(()));
        assert_eq!(check_datacenters(&["dc1".into(), "dc1".into()]).unwrap_err(), "datacenter 'dc1' is listed twice");
        assert!(check_datacenters(&["dc 1".into()]).unwrap_err().contains("is not a datacenter name"));
    }

    #[test]
    fn the_hint_names_where_the_token_comes_from() {
        let mut config: Config = serde_json::from_value(serde_json::json!({ "base_url": "http://x" })).unwrap();
        assert_eq!(config.skip_services, ["consul"]);
        assert!(auth_hint(&config).starts_with("set token_env or token_file"));
        config.token_env = Some("CONSUL_HTTP_TOKEN".into());
        assert!(auth_hint(&config).starts_with("check the ACL token in CONSUL_HTTP_TOKEN: it must be"));
    }
}
