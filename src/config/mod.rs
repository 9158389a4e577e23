//! `spot.toml`: one section per concern. Secrets never live in the file:
//! tokens name the environment variable or file that holds them.

use std::net::SocketAddr;
use std::path::Path;

pub mod check;
mod env;
pub mod load;
mod locate;
mod tokens;

use serde::{Deserialize, Serialize};

use crate::api::auth::TokenConfig;
use crate::api::Limits;
/// `[store]` belongs to the store, which knows nothing of this file.
pub use crate::store::StoreConfig;

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub store: StoreConfig,
    pub server: ServerConfig,
    pub auth: AuthConfig,
    pub limits: Limits,
    /// `[ingest]`: rules every ingest path applies (the future-day allowance).
    pub ingest: crate::ingest::IngestConfig,
    /// `[collectors.<name>]`: one section per source to observe.
    pub collectors: collectors::CollectorsConfig,
    pub scheduler: crate::scheduler::SchedulerConfig,
    /// `[retention]`: `source = days`. A source's versions that closed more
    /// than that many days ago are dropped after each of its runs (and by
    /// `spot prune`). Off for every source not named.
    pub retention: std::collections::BTreeMap<String, u32>,
    /// `[identity]`: service names pinned for good, and other names of a
    /// service as other sources spell them (docs/identity.md).
    pub identity: collectors::identity::IdentityConfig,
    /// `[links]`: URL templates for logs, dashboards, runbooks, … and the
    /// annotations that are links (docs/links.md).
    pub links: crate::links::LinksConfig,
    /// `[delivery]`: which clusters are production, staging, …, and the
    /// fix-forward window of delivery metrics (docs/dora.md).
    pub delivery: crate::delivery::DeliveryConfig,
    /// `[scorecards]`: the files of the scorecards services are scored by
    /// (docs/scorecards.md).
    pub scorecards: crate::scorecards::ScorecardsConfig,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    /// A request still running after this long (milliseconds) is answered
    /// with an error.
    pub request_timeout_ms: u64,
    /// Larger request bodies are refused.
    pub body_limit_bytes: usize,
    /// Most connections held open at once; more wait until one closes.
    pub max_connections: usize,
    /// A connection that sends no whole request head for this long (new,
    /// or idle between requests) is closed.
    pub header_read_timeout_ms: u64,
    /// Without tokens, the host names served besides `localhost`,
    /// `127.0.0.0/8` and `[::1]` (e.g. a local reverse proxy's name).
    pub allowed_hosts: Vec<String>,
    /// Who may read `/metrics` when tokens are configured.
    pub metrics_access: MetricsAccess,
    /// GraphQL operation names counted under their own name in `/metrics`
    /// besides the explorer's (e.g. the orchestrator's); any other name is
    /// counted as `other`, so clients cannot grow the metrics.
    pub metric_operations: Vec<String>,
    /// `[server.websocket]`: the subscriptions' sockets (`/graphql/ws`).
    pub websocket: WebSocketConfig,
}

/// `[server.websocket]`. Every message on a socket is also bounded by
/// `server.body_limit_bytes`, and every query or mutation it carries by
/// `server.request_timeout_ms`, as over HTTP; every socket counts in
/// `server.max_connections` for as long as it is open.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebSocketConfig {
    /// A socket that has not sent an accepted `connection_init` this long
    /// (milliseconds) after its upgrade is closed (4408).
    pub init_timeout_ms: u64,
    /// Most sockets at once still waiting to authenticate; an upgrade
    /// beyond gets 503, so unauthenticated sockets cannot take every
    /// connection from callers with tokens.
    pub max_unauthenticated: usize,
    /// Most operations (subscriptions and queries in flight) one socket
    /// runs at once; one more is answered with an error.
    pub max_operations: usize,
    /// Most bytes waiting to be sent to one socket; a client that reads
    /// slower than its subscriptions produce is closed (1008) past it.
    pub send_buffer_bytes: usize,
}

impl Default for WebSocketConfig {
    fn default() -> WebSocketConfig {
        WebSocketConfig {
            init_timeout_ms: 10_000,
            max_unauthenticated: 64,
            max_operations: 100,
            send_buffer_bytes: 1 << 20,
        }
    }
}

/// `server.metrics_access`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MetricsAccess {
    /// A bearer token with the `metrics` or `admin` scope (the default).
    #[default]
    Token,
    /// Anyone who can reach the server.
    Open,
}

impl Default for ServerConfig {
    fn default() -> ServerConfig {
        ServerConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            request_timeout_ms: 10_000,
            body_limit_bytes: 1 << 20,
            max_connections: 1024,
            header_read_timeout_ms: 10_000,
            allowed_hosts: Vec::new(),
            metrics_access: MetricsAccess::Token,
            metric_operations: Vec::new(),
            websocket: WebSocketConfig::default(),
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthConfig {
    /// Bearer tokens. With none, the server listens on loopback only and
    /// every local caller has every scope.
    pub tokens: Vec<TokenConfig>,
}

impl Config {
    /// Reads a config file, then the `SPOT_*` environment overrides; every
    /// unknown key and bad value is reported at once, each naming the file,
    /// the line and the key.
    pub fn load(path: &Path) -> anyhow::Result<Config> {
        Config::resolve(Some(path), std::env::vars())
    }

    /// The config of a file (or, without one, the defaults) with the given
    /// environment's `SPOT_SECTION__KEY` overrides applied.
    pub fn resolve(path: Option<&Path>, vars: impl IntoIterator<Item = (String, String)>) -> anyhow::Result<Config> {
        let loaded = Config::read(path, vars)?;
        match loaded.config {
            Some(config) if loaded.problems.is_empty() => Ok(config),
            _ => Err(problems_error(path, &loaded.problems)),
        }
    }

    /// Reads the config as far as it can be read: the config with whatever
    /// was wrong left at its defaults, and every problem found. An error
    /// only when the file cannot be read at all.
    pub fn read(path: Option<&Path>, vars: impl IntoIterator<Item = (String, String)>) -> anyhow::Result<load::Loaded> {
        let text = match path {
            Some(path) => std::fs::read_to_string(path)
                .map_err(|e| anyhow::anyhow!("cannot read config {}: {e}", path.display()))?,
            None => String::new(),
        };
        let mut source = locate::Source { file: path.map(|p| p.display().to_string()), text, applied: Vec::new() };
        let mut table: toml::Table = match source.text.parse() {
            Ok(table) => table,
            Err(e) => {
                let problems = vec![syntax_problem(source.file.as_deref(), &source.text, &e)];
                return Ok(load::Loaded { config: None, problems, source });
            }
        };
        let (applied, mut problems) = env::apply(&mut table, vars);
        source.applied = applied;
        let (mut config, mut wrong) = load::deserialize(table, &source);
        problems.append(&mut wrong);
        if let Some(config) = &mut config {
            problems.extend(config.identity.problems().iter().map(|p| source.located(p)));
            config.hand_over_identity();
        }
        Ok(load::Loaded { config, problems, source })
    }

    /// The GitHub collector names services with `[identity]`'s pins, as
    /// the backfill does: it gets its own copy of the section.
    fn hand_over_identity(&mut self) {
        if let Some(github) = &mut self.collectors.github {
            github.identity = self.identity.clone();
        }
    }

    /// Reads the config of a command: the file given, or the defaults; the
    /// environment's overrides apply either way.
    pub fn for_command(path: Option<&Path>) -> anyhow::Result<Config> {
        Config::resolve(path, std::env::vars())
    }
}

/// A message about the config as printed: URLs with their passwords and
/// tokens hidden, then on one line and bounded.
pub(crate) fn shown(message: &str) -> String {
    collectors::untrusted::one_line(&collectors::redact::urls_in(message))
}

/// `spot.toml:3: expected `=`` (toml's own rendering quotes the line, which
/// may hold a secret, so only its message is used).
fn syntax_problem(file: Option<&str>, text: &str, error: &toml::de::Error) -> String {
    let file = file.unwrap_or("config");
    let message = shown(error.message().trim());
    match error.span() {
        Some(span) => format!("{file}:{}: {message}", locate::line_of(text, span.start)),
        None => format!("{file}: {message}"),
    }
}

/// One error listing every problem, one per line.
pub fn problems_error(path: Option<&Path>, problems: &[String]) -> anyhow::Error {
    let origin = path.map_or("config".to_string(), |p| format!("config {}", p.display()));
    let count = match problems.len() {
        1 => "1 problem".to_string(),
        n => format!("{n} problems"),
    };
    anyhow::anyhow!("{origin}: {count}:\n  {}", problems.join("\n  "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_section_has_defaults() {
        let config: Config = toml::from_str("").unwrap();
        assert_eq!(config.server.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(config.limits.page_size, 500);
        assert_eq!(config.ingest.max_future_days, 1);
    }

    #[test]
    fn an_unknown_key_is_named() {
        let err = toml::from_str::<Config>("[server]\nlisten = \"127.0.0.1:1\"\ntimeout = 3\n").unwrap_err();
        assert!(err.to_string().contains("unknown field `timeout`"), "{err}");
    }
}
