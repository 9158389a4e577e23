//! A GitHub App's private key, and the short JSON web tokens (RS256) it
//! signs to prove the app's identity. The key never leaves this type: no
//! message, log or `Debug` output shows it.

use std::fmt;
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use openssl::hash::MessageDigest;
use openssl::pkey::{Id, PKey, Private};
use openssl::sign::Signer;
use serde_json::json;

use crate::secret::Secret;

/// How long before "now" the token says it was issued: GitHub's clock may
/// be a little behind ours.
const BACKDATED_S: i64 = 60;
/// How long the token lasts; GitHub refuses more than ten minutes.
const LIFETIME_S: i64 = 9 * 60;

pub struct AppKey {
    pub app_id: u64,
    pub file: PathBuf,
    key: PKey<Private>,
}

impl fmt::Debug for AppKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppKey").field("app_id", &self.app_id).field("file", &self.file).finish_non_exhaustive()
    }
}

impl AppKey {
    /// Reads the PEM private key GitHub generated for the app. The error
    /// names the file and what is wrong with it, never its content.
    pub fn load(app_id: u64, file: &Path) -> Result<AppKey, String> {
        let shown = file.display();
        let pem = std::fs::read(file).map_err(|e| format!("app_key_file: cannot read {shown}: {e}"))?;
        let mut asked_passphrase = false;
        // A passphrase callback that gives none: OpenSSL's default would
        // prompt on the terminal of an unattended service.
        let key = PKey::private_key_from_pem_callback(&pem, |_| {
            asked_passphrase = true;
            Ok(0)
        });
        let key = match key {
            Ok(key) => key,
            Err(_) if asked_passphrase => {
                return Err(format!(
                    "app_key_file: {shown} is encrypted with a passphrase; give the key GitHub generated, unencrypted"
                ))
            }
            Err(_) => {
                return Err(format!(
                    "app_key_file: {shown} is not a PEM private key (GitHub's \"Generate a private key\" downloads one that starts with -----BEGIN RSA PRIVATE KEY-----)"
                ))
            }
        };
        if key.id() != Id::RSA {
            return Err(format!("app_key_file: {shown} is not an RSA key; a GitHub App's private key is RSA"));
        }
        Ok(AppKey { app_id, file: file.to_path_buf(), key })
    }

    /// A token that proves the app's identity for nine minutes from
    /// `now` (epoch seconds): `iss` is the app id, signed RS256.
    pub fn jwt(&self, now: i64) -> Result<Secret, String> {
        let header = encode_json(&json!({ "alg": "RS256", "typ": "JWT" }));
        let claims = encode_json(&json!({
            "iat": now - BACKDATED_S,
            "exp": now + LIFETIME_S,
            "iss": self.app_id.to_string(),
        }));
        let signing_input = format!("{header}.{claims}");
        let signature = Signer::new(MessageDigest::sha256(), &self.key)
            .and_then(|mut signer| signer.sign_oneshot_to_vec(signing_input.as_bytes()))
            .map_err(|e| format!("cannot sign the app's token with {}: {e}", self.file.display()))?;
        Ok(Secret::new(format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature))))
    }
}

fn encode_json(value: &serde_json::Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}
