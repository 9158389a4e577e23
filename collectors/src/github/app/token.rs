//! One installation's access token: asked for with the app's signed token,
//! kept until shortly before it expires (GitHub's last an hour), then
//! renewed, so a sync that outlasts one token goes on.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::future::BoxFuture;
use serde::Deserialize;

use super::key::AppKey;
use crate::http::{HttpClient, HttpError, TokenSource};
use crate::secret::Secret;

/// A token is renewed once less than this is left of it...
const RENEWAL_MARGIN: Duration = Duration::from_secs(5 * 60);
/// ...or less than this share of its life, for tokens that live only
/// minutes (a margin of five minutes would renew them at every request).
const RENEWAL_SHARE: i32 = 4;

#[derive(Debug)]
pub struct InstallationToken {
    key: Arc<AppKey>,
    installation_id: u64,
    /// The unauthenticated client; each exchange adds a fresh app token.
    http: HttpClient,
    /// Held across an exchange, so concurrent requests wait for one
    /// renewal instead of each asking for a token.
    current: tokio::sync::Mutex<Option<Issued>>,
}

#[derive(Debug)]
struct Issued {
    token: Secret,
    renew_at: DateTime<Utc>,
}

/// `POST /app/installations/{id}/access_tokens` answers this (and the
/// token's permissions and repositories, which SPoT does not need).
#[derive(Deserialize)]
struct AccessToken {
    token: String,
    expires_at: DateTime<Utc>,
}

impl InstallationToken {
    pub fn new(key: Arc<AppKey>, installation_id: u64, http: HttpClient) -> InstallationToken {
        InstallationToken { key, installation_id, http, current: tokio::sync::Mutex::new(None) }
    }

    async fn current(&self) -> Result<Secret, HttpError> {
        let mut current = self.current.lock().await;
        match &*current {
            Some(issued) if Utc::now() < issued.renew_at => Ok(issued.token.clone()),
            _ => {
                let issued = self.exchange().await?;
                let token = issued.token.clone();
                *current = Some(issued);
                Ok(token)
            }
        }
    }

    async fn exchange(&self) -> Result<Issued, HttpError> {
        let (app_id, id) = (self.key.app_id, self.installation_id);
        let endpoint = format!("app/installations/{id}/access_tokens");
        let client = super::as_app(&self.key, &self.http)?;
        let answer: AccessToken = client.post_json(&endpoint, &super::accept()).await.map_err(|e| match e {
            HttpError::NotFound { service, endpoint } => HttpError::Credentials {
                service,
                problem: format!(
                    "GitHub App {app_id} has no installation {id} (HTTP 404 on {endpoint}): check installation_id, the number at the end of the installation's settings page URL, or leave it out to find the organisation's installation"
                ),
            },
            other => super::fatal(app_id, other),
        })?;
        let now = Utc::now();
        let life = answer.expires_at - now;
        if life <= chrono::Duration::zero() {
            return Err(HttpError::Credentials {
                service: self.http.service().into(),
                problem: format!(
                    "GitHub App {app_id}: the installation token GitHub issued expires at {}, already past by this machine's clock ({now}): check the clock",
                    answer.expires_at
                ),
            });
        }
        let margin = (life / RENEWAL_SHARE).min(chrono::Duration::from_std(RENEWAL_MARGIN).unwrap_or(life));
        tracing::debug!(github.app_id = app_id, github.installation_id = id, expires_at = %answer.expires_at, "new installation token");
        Ok(Issued { token: Secret::new(answer.token), renew_at: answer.expires_at - margin })
    }
}

impl TokenSource for InstallationToken {
    fn token(&self) -> BoxFuture<'_, Result<Secret, HttpError>> {
        Box::pin(self.current())
    }
}
