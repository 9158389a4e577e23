//! A small client for the ArangoDB HTTP API on reqwest: authentication
//! (a JWT from a password, renewed when the server refuses it, or a JWT
//! given), AQL cursors, bulk import, multi-document writes, and errors
//! that say what is wrong in the user's terms. Secrets never appear in an
//! error or a log line.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::Value;
use spot_model::secret::Secret;
use tokio::sync::RwLock;

use super::requests;
use crate::store::{StoreError, StoreResult};

/// How SPoT proves who it is to ArangoDB.
#[derive(Clone, Debug)]
pub enum Credentials {
    /// No authentication (a server started with authentication off).
    None,
    /// A user and password, exchanged for a JWT at `/_open/auth`.
    Password { user: String, password: Secret },
    /// A JWT obtained elsewhere (it cannot be renewed by SPoT).
    Jwt(Secret),
}

pub struct Client {
    http: reqwest::Client,
    /// `http(s)://host:port`, no trailing slash.
    base: String,
    database: String,
    credentials: Credentials,
    /// The JWT in use, for [`Credentials::Password`].
    token: RwLock<Option<Secret>>,
}

/// What one request is: method, path below `/_db/{database}` (or the
/// server for `_system` calls), query string, body.
pub struct Request<'a> {
    pub method: Method,
    pub path: String,
    pub query: Option<&'a str>,
    pub body: Body,
    /// A stream transaction the request belongs to.
    pub transaction: Option<&'a str>,
    /// Below `/_db/_system` instead of the store's database.
    pub system: bool,
}

pub enum Body {
    None,
    Json(Value),
    Lines(String),
}

impl<'a> Request<'a> {
    pub fn new(method: Method, path: impl Into<String>) -> Request<'a> {
        Request { method, path: path.into(), query: None, body: Body::None, transaction: None, system: false }
    }

    pub fn json(mut self, body: Value) -> Request<'a> {
        self.body = Body::Json(body);
        self
    }

    pub fn query(mut self, query: &'a str) -> Request<'a> {
        self.query = Some(query);
        self
    }
}

/// An error ArangoDB reported for a request: HTTP status, its error number
/// and message.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("ArangoDB error {num} (HTTP {status}): {message}")]
pub struct ApiError {
    pub status: u16,
    pub num: i64,
    pub message: String,
}

/// ArangoDB's error numbers that SPoT tells apart.
pub const DATABASE_NOT_FOUND: i64 = 1228;
pub const CONFLICT: i64 = 1200;
pub const GRAPH_NOT_FOUND: i64 = 1924;
pub const DUPLICATE_NAME: i64 = 1207;

impl Client {
    pub fn new(url: &str, database: &str, credentials: Credentials, timeout: Duration) -> StoreResult<Client> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| StoreError::Open { path: url.to_string(), reason: format!("cannot set up HTTP: {e}") })?;
        Ok(Client {
            http,
            base: url.trim_end_matches('/').to_string(),
            database: database.to_string(),
            credentials,
            token: RwLock::new(None),
        })
    }

    pub fn url(&self) -> &str {
        &self.base
    }

    pub fn database(&self) -> &str {
        &self.database
    }

    /// Where the store lives, for errors: `http://host:8529 database spot`.
    pub fn location(&self) -> String {
        format!("ArangoDB at {} (database '{}')", self.base, self.database)
    }

    /// Sends a request and returns its JSON body; `doing` says what for, in
    /// errors. A refused JWT obtained from a password is renewed once.
    pub async fn call(&self, request: Request<'_>, doing: &str) -> StoreResult<Value> {
        match self.send(&request).await {
            Err(Failure::Unauthorized) if matches!(self.credentials, Credentials::Password { .. }) => {
                // The JWT expired (or the server restarted with a new secret).
                *self.token.write().await = None;
                self.send(&request).await.map_err(|f| self.error(f, doing))
            }
            other => other.map_err(|f| self.error(f, doing)),
        }
    }

    /// Like [`Client::call`], but an error ArangoDB reports comes back as a
    /// value, for callers that expect some (a missing graph, a lost race).
    /// A missing database, refused credentials or an unreachable server
    /// are still errors.
    pub async fn try_call(&self, request: Request<'_>, doing: &str) -> StoreResult<Result<Value, ApiError>> {
        let mut result = self.send(&request).await;
        if matches!(result, Err(Failure::Unauthorized)) && matches!(self.credentials, Credentials::Password { .. }) {
            *self.token.write().await = None;
            result = self.send(&request).await;
        }
        match result {
            Ok(body) => Ok(Ok(body)),
            Err(Failure::Api(api)) if api.num != DATABASE_NOT_FOUND => Ok(Err(api)),
            Err(failure) => Err(self.error(failure, doing)),
        }
    }

    async fn send(&self, request: &Request<'_>) -> Result<Value, Failure> {
        let database = if request.system { "_system" } else { &self.database };
        let mut url = format!("{}/_db/{database}{}", self.base, request.path);
        if let Some(query) = request.query {
            url.push('?');
            url.push_str(query);
        }
        let mut builder = self.http.request(request.method.clone(), &url);
        if let Some(token) = self.bearer().await? {
            builder = builder.bearer_auth(token.expose());
        }
        if let Some(id) = request.transaction {
            builder = builder.header("x-arango-trx-id", id);
        }
        builder = match &request.body {
            Body::None => builder,
            Body::Json(value) => builder.json(value),
            Body::Lines(text) => builder.header("content-type", "application/x-ndjson").body(text.clone()),
        };
        let response = builder.send().await.map_err(transport_failure)?;
        read_response(response).await
    }

    /// The bearer token to send, logging in first when a password is set.
    async fn bearer(&self) -> Result<Option<Secret>, Failure> {
        match &self.credentials {
            Credentials::None => Ok(None),
            Credentials::Jwt(token) => Ok(Some(token.clone())),
            Credentials::Password { user, password } => {
                if let Some(token) = self.token.read().await.clone() {
                    return Ok(Some(token));
                }
                let mut slot = self.token.write().await;
                if let Some(token) = slot.clone() {
                    return Ok(Some(token));
                }
                let token = self.login(user, password).await?;
                *slot = Some(token.clone());
                Ok(Some(token))
            }
        }
    }

    async fn login(&self, user: &str, password: &Secret) -> Result<Secret, Failure> {
        let url = format!("{}/_open/auth", self.base);
        let response = self
            .http
            .post(&url)
            .json(&requests::login_body(user, password.expose()))
            .send()
            .await
            .map_err(transport_failure)?;
        let body = read_response(response).await?;
        match body.get("jwt").and_then(Value::as_str) {
            Some(jwt) if !jwt.is_empty() => Ok(Secret::new(jwt.to_string())),
            _ => Err(Failure::Decode("the login answer has no jwt".into())),
        }
    }

    /// Turns a failure into the error a user reads: what was being done,
    /// where, and what to check. Never a secret.
    fn error(&self, failure: Failure, doing: &str) -> StoreError {
        let open = |reason: String| StoreError::Open { path: self.location(), reason };
        match failure {
            Failure::Unreachable(reason) => open(format!(
                "cannot connect while {doing}: {reason} (is the server running, and is store.arangodb.url right?)"
            )),
            Failure::Timeout => open(format!("no answer in time while {doing}")),
            Failure::Unauthorized => open(match &self.credentials {
                Credentials::None => "the server requires authentication (HTTP 401): set store.arangodb.user and \
                                      password_env or password_file, or jwt_env or jwt_file"
                    .to_string(),
                Credentials::Password { user, .. } => {
                    format!("the server refused the password of user '{user}' (HTTP 401)")
                }
                Credentials::Jwt(_) => "the server refused the JWT (HTTP 401): expired, or signed with \
                                        another secret"
                    .to_string(),
            }),
            Failure::Api(api) if api.num == DATABASE_NOT_FOUND => open(
                "the database does not exist (create it with `spot migrate --create-database`, or set \
                 store.arangodb.create_database = true)"
                    .to_string(),
            ),
            Failure::Api(api) if api.status == 403 => open(format!(
                "the user may not do this (HTTP 403, ArangoDB error {}: {}) while {doing}: grant it read/write \
                 access to the database",
                api.num, api.message
            )),
            Failure::Api(api) => StoreError::Backend { doing: doing.to_string(), source: api.into() },
            Failure::Decode(reason) => StoreError::Backend {
                doing: doing.to_string(),
                source: format!("{} answered something that is not ArangoDB's API: {reason}", self.base).into(),
            },
        }
    }
}

/// Why a request failed, before it is put in the user's terms.
#[derive(Debug)]
enum Failure {
    Unreachable(String),
    Timeout,
    Unauthorized,
    Api(ApiError),
    Decode(String),
}

fn transport_failure(error: reqwest::Error) -> Failure {
    if error.is_timeout() {
        return Failure::Timeout;
    }
    // The innermost cause names the problem ("Connection refused").
    let mut cause: &dyn std::error::Error = &error;
    while let Some(inner) = cause.source() {
        cause = inner;
    }
    Failure::Unreachable(cause.to_string())
}

async fn read_response(response: reqwest::Response) -> Result<Value, Failure> {
    let status = response.status();
    if status == StatusCode::UNAUTHORIZED {
        return Err(Failure::Unauthorized);
    }
    let text = response.text().await.map_err(transport_failure)?;
    let body: Value = if text.trim().is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text)
            .map_err(|_| Failure::Decode(format!("HTTP {status} with a body that is not JSON")))?
    };
    if status.is_success() && body.get("error").and_then(Value::as_bool) != Some(true) {
        return Ok(body);
    }
    Err(Failure::Api(ApiError {
        status: status.as_u16(),
        num: body.get("errorNum").and_then(Value::as_i64).unwrap_or(0),
        message: body
            .get("errorMessage")
            .and_then(Value::as_str)
            .map_or_else(|| format!("HTTP {status}"), str::to_string),
    }))
}
