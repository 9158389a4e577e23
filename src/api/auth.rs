//! Bearer tokens with scopes. Token values come from the environment or
//! files, never from the config file itself, and never print.

use std::collections::BTreeSet;

use async_graphql::Result;
use serde::{Deserialize, Serialize};

pub use collectors::secret::{Secret, SecretSource};

use super::context::coded;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Every query.
    Read,
    /// `ingest` and `recordDeployment`.
    Write,
    /// Operating SPoT itself (and everything `metrics` may).
    Admin,
    /// Reading `/metrics` only: for a Prometheus scraper.
    Metrics,
}

impl Scope {
    pub fn name(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Write => "write",
            Scope::Admin => "admin",
            Scope::Metrics => "metrics",
        }
    }
}

/// The scopes of the caller of one request.
#[derive(Debug, Clone, Default)]
pub struct Grants {
    pub caller: String,
    pub scopes: BTreeSet<Scope>,
}

impl Grants {
    /// Everything: for loopback use without tokens, and in-process queries.
    pub fn all(caller: &str) -> Grants {
        Grants { caller: caller.to_string(), scopes: [Scope::Read, Scope::Write, Scope::Admin, Scope::Metrics].into() }
    }

    pub fn require(&self, scope: Scope) -> Result<()> {
        if self.scopes.contains(&scope) {
            return Ok(());
        }
        let held: Vec<&str> = self.scopes.iter().map(|s| s.name()).collect();
        Err(coded(
            format!(
                "this needs the '{}' scope; the token of '{}' has: {}",
                scope.name(),
                self.caller,
                if held.is_empty() { "none".to_string() } else { held.join(", ") }
            ),
            "FORBIDDEN",
        ))
    }
}

/// A configured token: where its value comes from, and what it may do.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TokenConfig {
    /// Who holds it, e.g. `orchestrator`; shown in logs and errors.
    pub name: String,
    pub scopes: Vec<Scope>,
    /// The environment variable holding the token.
    pub token_env: Option<String>,
    /// Or a file holding it (trailing whitespace ignored).
    pub token_file: Option<std::path::PathBuf>,
}

pub struct Token {
    pub name: String,
    pub scopes: BTreeSet<Scope>,
    pub secret: Secret,
}

impl TokenConfig {
    pub fn resolve(&self) -> anyhow::Result<Token> {
        let source = SecretSource { token_env: self.token_env.clone(), token_file: self.token_file.clone() };
        let secret = source.resolve(&format!("token '{}'", self.name)).map_err(anyhow::Error::msg)?;
        if secret.expose().len() < 16 {
            anyhow::bail!("token '{}': a token must be at least 16 characters", self.name);
        }
        Ok(Token { name: self.name.clone(), scopes: self.scopes.iter().copied().collect(), secret })
    }
}

/// Every configured token; empty means "no tokens: loopback only".
#[derive(Default)]
pub struct Tokens(pub Vec<Token>);

impl Tokens {
    /// The grants of an `Authorization` header value, or why there are none.
    pub fn authenticate(&self, header: Option<&str>) -> std::result::Result<Grants, String> {
        if self.0.is_empty() {
            return Ok(Grants::all("loopback"));
        }
        let Some(header) = header else {
            return Err("missing bearer token: send Authorization: Bearer <token>".into());
        };
        let Some(presented) = header.strip_prefix("Bearer ") else {
            return Err("the Authorization header must be 'Bearer <token>'".into());
        };
        self.0
            .iter()
            .find(|token| token.secret.matches(presented.trim()))
            .map(|token| Grants { caller: token.name.clone(), scopes: token.scopes.clone() })
            .ok_or_else(|| "unknown bearer token".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens() -> Tokens {
        Tokens(vec![Token {
            name: "orchestrator".into(),
            scopes: [Scope::Read, Scope::Write].into(),
            secret: Secret::new("s3cret-token-value-1".into()),
        }])
    }

    #[test]
    fn a_known_token_grants_its_scopes() {
        let grants = tokens().authenticate(Some("Bearer s3cret-token-value-1")).unwrap();
        assert!(grants.require(Scope::Write).is_ok());
        let denied = grants.require(Scope::Admin).unwrap_err();
        assert_eq!(denied.message, "this needs the 'admin' scope; the token of 'orchestrator' has: read, write");
    }

    #[test]
    fn missing_malformed_and_unknown_tokens_are_refused() {
        let tokens = tokens();
        assert!(tokens.authenticate(None).unwrap_err().starts_with("missing bearer token"));
        assert!(tokens.authenticate(Some("Basic abc")).unwrap_err().contains("must be 'Bearer <token>'"));
        assert_eq!(tokens.authenticate(Some("Bearer s3cret-token-value-2")).unwrap_err(), "unknown bearer token");
    }

    #[test]
    fn secrets_never_print() {
        assert_eq!(format!("{:?}", Secret::new("hunter2".into())), "***");
    }
}
