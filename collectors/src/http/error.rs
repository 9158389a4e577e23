//! What can go wrong talking to a source, each case saying what to check.

/// One failed exchange with a source. Every message names the source and
/// the endpoint; none contains a credential.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HttpError {
    #[error("{service}: base_url '{url}' is not usable: {reason}")]
    BadUrl { service: String, url: String, reason: String },
    #[error("{service} at {base} is unreachable after {attempts} attempts ({reason}): check base_url and that the host answers from here")]
    Unreachable { service: String, base: String, attempts: u32, reason: String },
    #[error("{service} rejected the credentials (HTTP 401 on {endpoint}): {hint}")]
    Unauthorized { service: String, endpoint: String, hint: String },
    #[error("{service} refused access (HTTP 403 on {endpoint}): the credentials lack a permission this endpoint needs; {hint}")]
    Forbidden { service: String, endpoint: String, hint: String },
    #[error("{service}: {endpoint} was not found (HTTP 404)")]
    NotFound { service: String, endpoint: String },
    #[error("{service}: {endpoint} answered HTTP {status} after {attempts} attempts: {body}")]
    Status { service: String, endpoint: String, status: u16, attempts: u32, body: String },
    /// Short-lived credentials could not be had (a GitHub App's token
    /// exchange failed): every later request would fail the same way.
    #[error("{service}: {problem}")]
    Credentials { service: String, problem: String },
    #[error("{service}: {endpoint} answered an unexpected shape at `{path}`: {problem}")]
    Shape { service: String, endpoint: String, path: String, problem: String },
}

impl HttpError {
    /// Errors that no other call of the same run would escape: stop the run
    /// rather than fail every item the same way.
    pub fn is_fatal(&self) -> bool {
        matches!(
            self,
            HttpError::BadUrl { .. }
                | HttpError::Unreachable { .. }
                | HttpError::Unauthorized { .. }
                | HttpError::Credentials { .. }
        )
    }
}
