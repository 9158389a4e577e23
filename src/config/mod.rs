//! `spot.toml`: one section per concern. Secrets never live in the file:
//! tokens name the environment variable or file that holds them.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

pub mod check;
mod env;

use serde::{Deserialize, Serialize};

use crate::api::auth::TokenConfig;
use crate::api::Limits;

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
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreConfig {
    /// The SQLite file (the default store).
    pub path: PathBuf,
    /// `[store.arangodb]`: when set, the store is this ArangoDB database
    /// and `path` is not used (see docs/arangodb.md).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arangodb: Option<crate::store::arango::ArangoConfig>,
}

impl Default for StoreConfig {
    fn default() -> StoreConfig {
        StoreConfig { path: PathBuf::from("spot.db"), arangodb: None }
    }
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
}

impl Default for ServerConfig {
    fn default() -> ServerConfig {
        ServerConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            request_timeout_ms: 10_000,
            body_limit_bytes: 1 << 20,
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
    /// Reads a config file, then the `SPOT_*` environment overrides; an
    /// unknown key or a bad value is an error that names the file, the line
    /// and the key.
    pub fn load(path: &Path) -> anyhow::Result<Config> {
        Config::resolve(Some(path), std::env::vars())
    }

    /// The config of a file (or, without one, the defaults) with the given
    /// environment's `SPOT_SECTION__KEY` overrides applied.
    pub fn resolve(path: Option<&Path>, vars: impl IntoIterator<Item = (String, String)>) -> anyhow::Result<Config> {
        let (origin, text) = match path {
            Some(path) => (
                format!("config {}", path.display()),
                std::fs::read_to_string(path)
                    .map_err(|e| anyhow::anyhow!("cannot read config {}: {e}", path.display()))?,
            ),
            None => ("config".to_string(), String::new()),
        };
        let one_line = |e: &dyn std::fmt::Display| e.to_string().trim().replace('\n', " ");
        let mut table: toml::Table =
            text.parse().map_err(|e: toml::de::Error| anyhow::anyhow!("{origin}: {}", one_line(&e)))?;
        let applied = env::apply(&mut table, vars).map_err(anyhow::Error::msg)?;
        Config::deserialize(toml::Value::Table(table)).map_err(|e| {
            let from_env = if applied.is_empty() {
                String::new()
            } else {
                format!(" (with {} from the environment)", applied.join(", "))
            };
            anyhow::anyhow!("{origin}{from_env}: {}", one_line(&e))
        })
    }

    /// Reads the config of a command: the file given, or the defaults; the
    /// environment's overrides apply either way.
    pub fn for_command(path: Option<&Path>) -> anyhow::Result<Config> {
        Config::resolve(path, std::env::vars())
    }
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
