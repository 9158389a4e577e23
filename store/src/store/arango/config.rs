//! `[store.arangodb]`: where the ArangoDB store is and how to log in.
//! Secrets come from the environment or a file, never the config file.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use spot_model::secret::SecretSource;

use super::http::Credentials;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ArangoConfig {
    /// The server (or a cluster's coordinator), e.g. `http://127.0.0.1:8529`
    /// or `https://arango.acme.internal:8529`.
    pub url: String,
    /// The database; created by `spot migrate --create-database` or when
    /// `create_database` is true.
    #[serde(default = "default_database")]
    pub database: String,
    /// The user to log in as; `root` when a password is given without one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// The password, from an environment variable or a file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_env: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_file: Option<PathBuf>,
    /// Or a JWT issued elsewhere, from an environment variable or a file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwt_env: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwt_file: Option<PathBuf>,
    /// Create the database when it does not exist.
    #[serde(default)]
    pub create_database: bool,
    /// On a cluster, create the database as OneShard (all its collections on
    /// one DB server; see docs/arangodb.md). Only used when creating it.
    #[serde(default)]
    pub one_shard: bool,
    /// A request still unanswered after this long (milliseconds) fails.
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
}

fn default_database() -> String {
    "spot".into()
}

fn default_timeout_ms() -> u64 {
    60_000
}

impl ArangoConfig {
    /// A config for `url` and `database` with every default.
    pub fn new(url: &str, database: &str) -> ArangoConfig {
        ArangoConfig {
            url: url.into(),
            database: database.into(),
            user: None,
            password_env: None,
            password_file: None,
            jwt_env: None,
            jwt_file: None,
            create_database: false,
            one_shard: false,
            timeout_ms: default_timeout_ms(),
        }
    }

    pub fn timeout(&self) -> Duration {
        Duration::from_millis(self.timeout_ms)
    }

    fn password_source(&self) -> SecretSource {
        SecretSource { token_env: self.password_env.clone(), token_file: self.password_file.clone() }
    }

    fn jwt_source(&self) -> SecretSource {
        SecretSource { token_env: self.jwt_env.clone(), token_file: self.jwt_file.clone() }
    }

    /// Reads the secret the config names; the error names the variable or
    /// file, never a value.
    pub fn credentials(&self) -> Result<Credentials, String> {
        let (password, jwt) = (self.password_source(), self.jwt_source());
        if password.is_set() && jwt.is_set() {
            return Err(
                "store.arangodb: set a password (password_env/password_file) or a JWT (jwt_env/jwt_file), not both"
                    .into(),
            );
        }
        if jwt.is_set() {
            if self.user.is_some() {
                return Err("store.arangodb: a JWT names its user; drop `user`".into());
            }
            return jwt.resolve("store.arangodb JWT").map(Credentials::Jwt);
        }
        let user = self.user.clone().unwrap_or_else(|| "root".into());
        if password.is_set() {
            let password = password
                .resolve("store.arangodb password")
                .map_err(|e| e.replace("set token_env or token_file", "set password_env or password_file"))?;
            return Ok(Credentials::Password { user, password });
        }
        match &self.user {
            // A user with an empty password (development servers).
            Some(_) => Ok(Credentials::Password { user, password: spot_model::secret::Secret::new(String::new()) }),
            None => Ok(Credentials::None),
        }
    }

    /// Every problem `spot config check` can find without the server.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if let Err(problem) = check_url(&self.url) {
            problems.push(format!("store.arangodb.url: {problem}"));
        }
        if let Err(problem) = check_database_name(&self.database) {
            problems.push(format!("store.arangodb.database: {problem}"));
        }
        if let Err(problem) = self.credentials() {
            problems.push(problem);
        }
        if self.timeout_ms == 0 {
            problems.push("store.arangodb.timeout_ms: must be at least 1".into());
        }
        problems
    }
}

/// `http(s)://host[:port]`, no credentials, path or query in it.
pub fn check_url(url: &str) -> Result<(), String> {
    // Named in errors with any password or token in it hidden.
    let shown = spot_model::redact::url(url);
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .ok_or_else(|| format!("'{shown}' must start with http:// or https://"))?;
    let authority = rest.trim_end_matches('/');
    if authority.contains('@') {
        return Err("must not hold credentials: use user and password_env/password_file".into());
    }
    if authority.is_empty() || authority.contains(['/', '?', '#', ' ']) {
        return Err(format!("'{shown}' must be http(s)://host:port with nothing after it"));
    }
    Ok(())
}

/// ArangoDB's traditional database names: a letter, then letters, digits,
/// `_` and `-`, at most 64.
pub fn check_database_name(name: &str) -> Result<(), String> {
    let valid = name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if valid {
        Ok(())
    } else {
        Err(format!("'{name}' must be a letter then up to 63 letters, digits, _ or -"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_plain_http_endpoints() {
        assert!(check_url("http://127.0.0.1:8529").is_ok());
        assert!(check_url("https://arango.acme.internal:8529/").is_ok());
        assert!(check_url("tcp://x:8529").unwrap_err().contains("http://"));
        assert!(check_url("http://root:pw@x:8529").unwrap_err().contains("credentials"));
        assert!(check_url("http://x:8529/_db/spot").is_err());
    }

    #[test]
    fn secrets_in_a_refused_url_are_not_echoed() {
        let err = check_url("tcp://root:hunter2@x:8529").unwrap_err();
        assert_eq!(err, "'tcp://root:***@x:8529' must start with http:// or https://");
        let err = check_url("http://x:8529/?access_token=t0k3n").unwrap_err();
        assert_eq!(err, "'http://x:8529/?access_token=***' must be http(s)://host:port with nothing after it");
    }

    #[test]
    fn database_names_are_checked() {
        assert!(check_database_name("spot").is_ok());
        assert!(check_database_name("spot_test-1").is_ok());
        assert!(check_database_name("1spot").is_err());
        assert!(check_database_name("sp ot").is_err());
    }

    #[test]
    fn credentials_come_from_one_source_and_never_print() {
        let mut config = ArangoConfig::new("http://127.0.0.1:8529", "spot");
        assert!(matches!(config.credentials(), Ok(Credentials::None)));
        config.password_env = Some("SPOT_TEST_ARANGO_SURELY_UNSET".into());
        let err = config.credentials().unwrap_err();
        assert_eq!(err, "store.arangodb password: environment variable SPOT_TEST_ARANGO_SURELY_UNSET is not set");
        config.jwt_env = Some("X".into());
        assert!(config.credentials().unwrap_err().contains("not both"));
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pw");
        std::fs::write(&file, "hunter2-secret\n").unwrap();
        let config = ArangoConfig { password_file: Some(file), user: Some("spot".into()), ..config_without_secrets() };
        match config.credentials().unwrap() {
            Credentials::Password { user, password } => {
                assert_eq!(user, "spot");
                assert!(password.matches("hunter2-secret"));
                assert!(!format!("{password:?}").contains("hunter2"));
            }
            other => panic!("{other:?}"),
        }
    }

    fn config_without_secrets() -> ArangoConfig {
        ArangoConfig::new("http://127.0.0.1:8529", "spot")
    }
}
