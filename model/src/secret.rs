//! Secrets: read from the environment or a file, never from a config file,
//! and never printed (`Debug` shows `***`).

use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// A secret string: compared in constant time, printed as `***`.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Secret {
        Secret(value)
    }

    /// The value, for the one place that must send it (an auth header).
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Constant-time comparison, so response timing does not leak a
    /// prefix: OpenSSL's `CRYPTO_memcmp` (already linked for TLS), which no
    /// optimiser shortcuts, over SHA-256 digests of both, so that the
    /// length of the secret does not show either.
    pub fn matches(&self, candidate: &str) -> bool {
        let expected = openssl::sha::sha256(self.0.as_bytes());
        let presented = openssl::sha::sha256(candidate.as_bytes());
        openssl::memcmp::eq(&expected, &presented)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Where a secret comes from: exactly one of an environment variable or a
/// file (trailing whitespace ignored). Flattened into config sections as
/// `token_env = "SONAR_TOKEN"` or `token_file = "/run/secrets/sonar"`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SecretSource {
    pub token_env: Option<String>,
    pub token_file: Option<PathBuf>,
}

impl SecretSource {
    /// Whether any source is configured at all.
    pub fn is_set(&self) -> bool {
        self.token_env.is_some() || self.token_file.is_some()
    }

    /// Reads the secret when a source is configured; `None` when none is
    /// (a source that may be read without credentials).
    pub fn resolve_if_set(&self, what: &str) -> Result<Option<Secret>, String> {
        if self.is_set() {
            self.resolve(what).map(Some)
        } else {
            Ok(None)
        }
    }

    /// Reads the secret; `what` names it in errors ("token 'orchestrator'").
    /// The error names the variable or file, never the value.
    pub fn resolve(&self, what: &str) -> Result<Secret, String> {
        let value = match (&self.token_env, &self.token_file) {
            (Some(var), None) => {
                std::env::var(var).map_err(|_| format!("{what}: environment variable {var} is not set"))?
            }
            (None, Some(path)) => std::fs::read_to_string(path)
                .map_err(|e| format!("{what}: cannot read {}: {e}", path.display()))?
                .trim_end()
                .to_string(),
            (Some(_), Some(_)) => return Err(format!("{what}: set token_env or token_file, not both")),
            (None, None) => return Err(format!("{what}: set one of token_env and token_file")),
        };
        if value.is_empty() {
            return Err(format!("{what}: the secret is empty"));
        }
        Ok(Secret(value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_never_prints_its_value() {
        let secret = Secret::new("hunter2-hunter2".into());
        assert_eq!(format!("{secret:?}"), "***");
        assert!(secret.matches("hunter2-hunter2"));
        assert!(!secret.matches("hunter2"));
    }

    #[test]
    fn a_missing_variable_is_named_and_no_value_leaks() {
        let source = SecretSource { token_env: Some("SPOT_TEST_SURELY_UNSET_VAR".into()), token_file: None };
        let err = source.resolve("sonarqube token").unwrap_err();
        assert_eq!(err, "sonarqube token: environment variable SPOT_TEST_SURELY_UNSET_VAR is not set");
    }

    #[test]
    fn a_file_secret_is_trimmed() {
        let dir = std::env::temp_dir().join(format!("spot-secret-{}", std::process::id()));
        std::fs::write(&dir, "s3cret-value\n").unwrap();
        let source = SecretSource { token_env: None, token_file: Some(dir.clone()) };
        assert!(source.resolve("x").unwrap().matches("s3cret-value"));
        std::fs::remove_file(dir).unwrap();
    }

    #[test]
    fn both_or_neither_source_is_an_error() {
        let both = SecretSource { token_env: Some("A".into()), token_file: Some("b".into()) };
        assert!(both.resolve("x").unwrap_err().contains("not both"));
        assert!(SecretSource::default().resolve("x").unwrap_err().contains("set one of"));
    }
}
