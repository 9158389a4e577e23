//! The fake GitHub's GitHub App: it checks the app's signed token the way
//! GitHub does (RS256 signature against the app's public key, `iss`,
//! `iat`, `exp`), issues installation tokens that really expire, and admits
//! API calls only with a live one.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Public};
use openssl::rsa::Rsa;
use openssl::sign::Verifier;
use serde_json::{json, Value};

/// A GitHub App as the fake GitHub knows it.
#[derive(Debug, Clone)]
pub struct FakeApp {
    pub app_id: u64,
    /// The installation on the fake's organisation.
    pub installation_id: u64,
    /// The app's public key (PEM); tokens must be signed by its private key.
    pub public_key_pem: String,
    /// How long an installation token lives (GitHub's: an hour).
    pub token_lifetime: Duration,
}

/// A freshly generated RSA key pair, PEM-encoded: tests make their own,
/// so no private key is ever committed.
pub struct TestKey {
    /// PKCS#1 (`BEGIN RSA PRIVATE KEY`), the form GitHub downloads.
    pub private_pem: String,
    pub public_pem: String,
}

impl TestKey {
    pub fn generate() -> TestKey {
        let rsa = Rsa::generate(2048).expect("OpenSSL generates an RSA key");
        let private_pem = String::from_utf8(rsa.private_key_to_pem().expect("PEM")).expect("PEM is ASCII");
        let public_pem = String::from_utf8(rsa.public_key_to_pem().expect("PEM")).expect("PEM is ASCII");
        TestKey { private_pem, public_pem }
    }
}

type Answer = (StatusCode, String, Vec<(&'static str, String)>);

pub(super) struct AppState {
    app: FakeApp,
    public_key: PKey<Public>,
    /// Installation tokens issued, with when each expires.
    issued: Mutex<Vec<(String, Instant)>>,
    exchanges: AtomicU64,
    /// API calls refused for want of a live installation token.
    refused: AtomicU64,
}

impl AppState {
    pub(super) fn new(app: FakeApp) -> std::io::Result<AppState> {
        let public_key = PKey::public_key_from_pem(app.public_key_pem.as_bytes())
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("the app's public key: {e}")))?;
        Ok(AppState {
            app,
            public_key,
            issued: Mutex::default(),
            exchanges: AtomicU64::new(0),
            refused: AtomicU64::new(0),
        })
    }

    pub(super) fn exchanges(&self) -> u64 {
        self.exchanges.load(Ordering::Relaxed)
    }

    pub(super) fn refused(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }

    /// The app's own endpoints, which take the app's signed token; `None`
    /// for every other path.
    pub(super) fn answer(
        &self,
        method: &str,
        parts: &[&str],
        org: &str,
        authorization: Option<&str>,
    ) -> Option<Answer> {
        let endpoint = match parts {
            ["app", "installations", id, "access_tokens"] if method == "POST" => Endpoint::AccessTokens(id),
            ["orgs", asked, "installation"] if method == "GET" => Endpoint::Installation(asked),
            _ => return None,
        };
        if let Err(message) = self.verify_jwt(authorization) {
            return Some((StatusCode::UNAUTHORIZED, json!({ "message": message }).to_string(), vec![]));
        }
        let installation = self.app.installation_id;
        Some(match endpoint {
            Endpoint::AccessTokens(id) if id.parse() == Ok(installation) => self.issue(),
            Endpoint::Installation(asked) if asked == org => {
                let body = json!({ "id": installation, "app_id": self.app.app_id, "account": { "login": org } });
                (StatusCode::OK, body.to_string(), vec![])
            }
            _ => (StatusCode::NOT_FOUND, json!({ "message": "Not Found" }).to_string(), vec![]),
        })
    }

    /// Whether an API call carries a live installation token.
    pub(super) fn admits(&self, authorization: Option<&str>) -> bool {
        let presented = authorization.and_then(|a| a.strip_prefix("Bearer "));
        let issued = self.issued.lock().unwrap_or_else(|e| e.into_inner());
        let live = presented.is_some_and(|p| issued.iter().any(|(t, until)| t == p && Instant::now() < *until));
        if !live {
            self.refused.fetch_add(1, Ordering::Relaxed);
        }
        live
    }

    fn issue(&self) -> Answer {
        self.exchanges.fetch_add(1, Ordering::Relaxed);
        let token = format!("ghs_{:032x}", rand::random::<u128>());
        let lifetime = self.app.token_lifetime;
        let expires_at = chrono::Utc::now() + chrono::Duration::from_std(lifetime).unwrap_or_default();
        self.issued.lock().unwrap_or_else(|e| e.into_inner()).push((token.clone(), Instant::now() + lifetime));
        let body = json!({
            "token": token,
            "expires_at": expires_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "permissions": { "contents": "read", "metadata": "read" },
            "repository_selection": "all",
        });
        (StatusCode::CREATED, body.to_string(), vec![])
    }

    /// GitHub's checks of an app's token, each refusal with its message.
    fn verify_jwt(&self, authorization: Option<&str>) -> Result<(), &'static str> {
        const UNDECODABLE: &str = "A JSON web token could not be decoded";
        let jwt = authorization.and_then(|a| a.strip_prefix("Bearer ")).ok_or(UNDECODABLE)?;
        let parts: Vec<&str> = jwt.split('.').collect();
        let [header, claims, signature] = parts.as_slice() else { return Err(UNDECODABLE) };
        let decode = |part: &str| -> Result<Value, &'static str> {
            let bytes = URL_SAFE_NO_PAD.decode(part).map_err(|_| UNDECODABLE)?;
            serde_json::from_slice(&bytes).map_err(|_| UNDECODABLE)
        };
        if decode(header)?["alg"] != "RS256" {
            return Err(UNDECODABLE);
        }
        let signature = URL_SAFE_NO_PAD.decode(signature).map_err(|_| UNDECODABLE)?;
        let signed = format!("{header}.{claims}");
        let valid = Verifier::new(MessageDigest::sha256(), &self.public_key)
            .and_then(|mut v| v.verify_oneshot(&signature, signed.as_bytes()))
            .unwrap_or(false);
        if !valid {
            return Err(UNDECODABLE);
        }
        let claims = decode(claims)?;
        let issuer = match &claims["iss"] {
            Value::String(s) => s.parse::<u64>().ok(),
            other => other.as_u64(),
        };
        if issuer != Some(self.app.app_id) {
            return Err("Integration not found");
        }
        let now = chrono::Utc::now().timestamp();
        let (Some(iat), Some(exp)) = (claims["iat"].as_i64(), claims["exp"].as_i64()) else { return Err(UNDECODABLE) };
        if iat > now + 60 {
            return Err("'Issued at' claim ('iat') must be an Integer representing a time in the past");
        }
        if exp <= now {
            return Err("'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires");
        }
        if exp - iat > 600 {
            return Err("'Expiration time' claim ('exp') is too far in the future");
        }
        Ok(())
    }
}

enum Endpoint<'a> {
    AccessTokens(&'a str),
    Installation(&'a str),
}
