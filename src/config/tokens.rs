//! `[[auth.tokens]]` resolved: each token's value read from its variable
//! or file, and checked against the others.

use crate::api::auth::{Token, TokenConfig};

use super::AuthConfig;

impl AuthConfig {
    /// Every configured token with its value, or every problem: a value
    /// that cannot be read or is too short, and two tokens holding the same
    /// value (a caller could not be told apart, and revoking one would
    /// revoke both). Problems name tokens by name and source, never value.
    pub fn resolve_tokens(&self) -> Result<Vec<Token>, Vec<String>> {
        let mut problems = Vec::new();
        let mut resolved: Vec<(&TokenConfig, Token)> = Vec::new();
        for config in &self.tokens {
            match config.resolve() {
                Ok(token) => resolved.push((config, token)),
                Err(e) => problems.push(format!("auth.tokens: {e}")),
            }
        }
        for (i, (first, token)) in resolved.iter().enumerate() {
            for (second, other) in &resolved[i + 1..] {
                if token.secret.matches(other.secret.expose()) {
                    problems.push(format!(
                        "auth.tokens: {} and {} hold the same value: give each its own",
                        described(first),
                        described(second)
                    ));
                }
            }
        }
        match problems.is_empty() {
            true => Ok(resolved.into_iter().map(|(_, token)| token).collect()),
            false => Err(problems),
        }
    }
}

/// `token 'orchestrator' (environment variable SPOT_ORCHESTRATOR_TOKEN)`.
fn described(token: &TokenConfig) -> String {
    match (&token.token_env, &token.token_file) {
        (Some(var), _) => format!("token '{}' (environment variable {var})", token.name),
        (None, Some(file)) => format!("token '{}' (file {})", token.name, file.display()),
        (None, None) => format!("token '{}'", token.name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::auth::Scope;

    fn token(name: &str, file: &std::path::Path) -> TokenConfig {
        TokenConfig { name: name.into(), scopes: vec![Scope::Read], token_env: None, token_file: Some(file.into()) }
    }

    #[test]
    fn two_tokens_with_the_same_value_are_refused_naming_both_but_not_the_value() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b, c) = (dir.path().join("a"), dir.path().join("b"), dir.path().join("c"));
        std::fs::write(&a, "shared-token-value-0123456789\n").unwrap();
        std::fs::write(&b, "shared-token-value-0123456789").unwrap();
        std::fs::write(&c, "another-token-value-0123456789").unwrap();
        let auth = AuthConfig { tokens: vec![token("orchestrator", &a), token("operator", &b), token("ci", &c)] };
        let problems = auth.resolve_tokens().err().expect("refused");
        assert_eq!(
            problems,
            [format!(
                "auth.tokens: token 'orchestrator' (file {}) and token 'operator' (file {}) hold the same value: give each its own",
                a.display(),
                b.display()
            )]
        );
        let distinct = AuthConfig { tokens: vec![token("orchestrator", &a), token("ci", &c)] };
        assert_eq!(distinct.resolve_tokens().map(|t| t.len()).ok(), Some(2));
    }
}
