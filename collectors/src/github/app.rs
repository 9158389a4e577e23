//! GitHub App authentication. The app proves who it is with a short token
//! it signs with its private key, exchanges that for an installation token
//! (one per organisation it is installed on), and sends the installation
//! token with every API call, renewing it before it expires.

mod key;
mod token;

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use serde::Deserialize;

use self::key::AppKey;
use self::token::InstallationToken;
use crate::http::{encode_component, Auth, HttpClient, HttpError};

/// `Accept` for GitHub's REST API.
fn accept() -> [(&'static str, String); 1] {
    [("accept", "application/vnd.github+json".into())]
}

/// The app settings of `[collectors.github]`, checked.
#[derive(Debug)]
pub struct GitHubApp {
    key: Arc<AppKey>,
    /// Configured: every organisation is this installation. Otherwise each
    /// organisation's installation is asked for.
    installation_id: Option<u64>,
    /// Without credentials: each call adds the ones it needs.
    http: HttpClient,
    /// Per organisation, the installation token its API calls carry.
    tokens: Mutex<HashMap<String, Arc<InstallationToken>>>,
}

#[derive(Deserialize)]
struct Installation {
    id: u64,
}

impl GitHubApp {
    /// Reads and checks the private key; no network yet.
    pub fn new(
        app_id: u64,
        key_file: &Path,
        installation_id: Option<u64>,
        http: HttpClient,
    ) -> Result<GitHubApp, String> {
        let key = Arc::new(AppKey::load(app_id, key_file)?);
        Ok(GitHubApp { key, installation_id, http, tokens: Mutex::default() })
    }

    /// A client whose calls carry `org`'s installation token: the
    /// configured installation, or the one GitHub names for `org`.
    pub async fn client_for(&self, org: &str) -> Result<HttpClient, HttpError> {
        let token = match self.known_token(org) {
            Some(token) => token,
            None => {
                let installation_id = match self.installation_id {
                    Some(id) => id,
                    None => self.installation_of(org).await?,
                };
                let token = Arc::new(InstallationToken::new(self.key.clone(), installation_id, self.http.clone()));
                self.tokens.lock().unwrap_or_else(|e| e.into_inner()).entry(org.to_string()).or_insert(token).clone()
            }
        };
        let app_id = self.key.app_id;
        let hint = format!(
            "check GitHub App {app_id}'s installation on {org}: it must have the repository permissions Contents: read and Metadata: read, accepted, and access to the repositories to observe"
        );
        Ok(self.http.with_auth(Auth::Renewable(token), &hint))
    }

    fn known_token(&self, org: &str) -> Option<Arc<InstallationToken>> {
        self.tokens.lock().unwrap_or_else(|e| e.into_inner()).get(org).cloned()
    }

    /// `GET /orgs/{org}/installation`, as the app.
    async fn installation_of(&self, org: &str) -> Result<u64, HttpError> {
        let app_id = self.key.app_id;
        let path = format!("orgs/{}/installation", encode_component(org));
        let client = as_app(&self.key, &self.http)?;
        let url = client.url(&path)?;
        let installation: Installation = client.get_exchange(url, &accept()).await.and_then(|answer| answer.json(client.service())).map_err(|e| match e {
            HttpError::NotFound { service, endpoint } => HttpError::Credentials {
                service,
                problem: format!(
                    "GitHub App {app_id} is not installed on the organisation {org} (HTTP 404 on {endpoint}): install it there, or set installation_id"
                ),
            },
            other => fatal(app_id, other),
        })?;
        tracing::debug!(
            github.app_id = app_id,
            github.org = org,
            github.installation_id = installation.id,
            "found the installation"
        );
        Ok(installation.id)
    }
}

/// A client that proves the app's own identity, with a token signed now.
fn as_app(key: &AppKey, http: &HttpClient) -> Result<HttpClient, HttpError> {
    let jwt = key
        .jwt(chrono::Utc::now().timestamp())
        .map_err(|problem| HttpError::Credentials { service: http.service().into(), problem })?;
    let hint = format!(
        "check app_id = {} and that app_key_file {} holds a current private key of that app (and that this machine's clock is right: the app's token is valid for minutes)",
        key.app_id,
        key.file.display()
    );
    Ok(http.with_auth(Auth::Bearer(jwt), &hint))
}

/// Without an installation token no later call can succeed: whatever went
/// wrong getting one stops the run.
fn fatal(app_id: u64, error: HttpError) -> HttpError {
    if error.is_fatal() {
        return error;
    }
    HttpError::Credentials {
        service: "GitHub".into(),
        problem: format!("GitHub App {app_id} could not get an installation token: {error}"),
    }
}
