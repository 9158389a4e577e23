//! What `recordDeployment` accepts. Every text is bounded (a deploy is
//! read back by every history page and streamed to every subscriber); the
//! service, cluster and version are names as ingest reads them (they are
//! logged, and a newline or an ESC in a log line forges another line); the
//! link is one a browser may follow: http(s) only. Dates are the store's to
//! check, on every path that records a deploy (`IngestConfig::check_deploy`).

use async_graphql::Result;
use chrono::{DateTime, Utc};
use collectors::observation::{key_problem, name_problem};
use collectors::untrusted::{is_unprintable, quote};

use super::super::context::bad_request;
use crate::model::DeployStatus;

/// Longest service, cluster, version, actor, commit or workload, in characters.
pub const MAX_NAME_CHARS: usize = 200;
/// Longest reason, in characters.
pub const MAX_REASON_CHARS: usize = 2_000;
/// Longest link, in bytes: a CI or rollout page, not a document.
pub const MAX_LINK_BYTES: usize = 2_048;
/// Most commits one deploy may list.
pub const MAX_COMMITS: usize = 10_000;

/// A commit a deploy brought, as the orchestrator knows it.
#[derive(async_graphql::InputObject, Clone, Debug)]
pub struct CommitInput {
    pub sha: String,
    /// When it was authored (or committed; the orchestrator's choice, the
    /// same for every deploy).
    pub at: DateTime<Utc>,
}

/// The texts of a report: `service` as its key.
pub struct Texts<'a> {
    pub service: &'a str,
    pub cluster: &'a str,
    pub version: &'a str,
    pub link: Option<&'a str>,
    pub actor: Option<&'a str>,
    pub reason: Option<&'a str>,
    pub commit: Option<&'a str>,
    pub workload: Option<&'a str>,
}

impl Texts<'_> {
    /// Every text within its bound and of its shape; the link as it will be
    /// kept (normalised by the URL parser).
    pub fn check(&self) -> Result<Option<String>> {
        let named = [
            ("service", Some(self.service)),
            ("cluster", Some(self.cluster)),
            ("version", Some(self.version)),
            ("actor", self.actor),
            ("commit", self.commit),
            ("workload", self.workload),
        ];
        for (field, value) in named {
            let Some(value) = value else { continue };
            bounded(field, value, MAX_NAME_CHARS)?;
            if value.chars().any(is_unprintable) {
                return Err(bad_request(format!("{field}: {} has a control character", quote(value))));
            }
        }
        if let Some(reason) = self.reason {
            bounded("reason", reason, MAX_REASON_CHARS)?;
            // Several lines are a reason's right; an ESC or a bidi override is not.
            if reason.chars().any(|c| is_unprintable(c) && !matches!(c, '\n' | '\t')) {
                return Err(bad_request("reason: has a control character other than a newline or a tab"));
            }
        }
        self.check_names()?;
        self.link.map(checked_link).transpose()
    }

    /// The service, cluster and version name what ingest names: a service
    /// key, a cluster as a scope, a version without whitespace.
    fn check_names(&self) -> Result<()> {
        if let Some(problem) = key_problem(self.service) {
            return Err(bad_request(format!("service: {problem}")));
        }
        if let Some(problem) = name_problem(self.cluster) {
            return Err(bad_request(format!("cluster: {problem}")));
        }
        if self.version.chars().any(char::is_whitespace) {
            return Err(bad_request(format!("version: {} must have no whitespace", quote(self.version))));
        }
        Ok(())
    }
}

/// Not blank and at most `limit` characters.
fn bounded(field: &str, value: &str, limit: usize) -> Result<()> {
    // Bytes bound characters from above: a huge value is not counted.
    let too_long = value.len() > limit && (value.len() > 4 * limit || value.chars().count() > limit);
    if value.trim().is_empty() || too_long {
        return Err(bad_request(format!("{field} must be 1 to {limit} characters ({} bytes given)", value.len())));
    }
    Ok(())
}

/// An absolute http(s) URL of at most [`MAX_LINK_BYTES`]: the explorer
/// renders it as an anchor, and `javascript:` there runs on a click.
fn checked_link(link: &str) -> Result<String> {
    if link.len() > MAX_LINK_BYTES {
        return Err(bad_request(format!("link must be at most {MAX_LINK_BYTES} bytes ({} given)", link.len())));
    }
    crate::links::href::checked(link).map_err(|problem| bad_request(format!("link: {problem}")))
}

/// What `recordDeployment` was told besides its texts, checked.
pub struct Reported {
    pub at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub status: DeployStatus,
    pub commits: Vec<CommitInput>,
}

impl Reported {
    pub fn check(&self) -> Result<()> {
        if self.status == DeployStatus::Superseded {
            return Err(bad_request(
                "status SUPERSEDED is not reported: SPoT derives it when a newer deploy starts before one finishes",
            ));
        }
        if self.finished_at.is_some_and(|finished| finished < self.at) {
            return Err(bad_request("finishedAt is before the deploy's start (at)"));
        }
        if self.commits.len() > MAX_COMMITS {
            return Err(bad_request(format!(
                "at most {MAX_COMMITS} commits per deploy ({} given)",
                self.commits.len()
            )));
        }
        let bad_sha =
            |sha: &str| sha.trim().is_empty() || sha.len() > MAX_NAME_CHARS || sha.chars().any(is_unprintable);
        if let Some(bad) = self.commits.iter().find(|c| bad_sha(&c.sha)) {
            return Err(bad_request(format!(
                "commit sha {} must be 1 to {MAX_NAME_CHARS} characters, none a control character",
                quote(&bad.sha)
            )));
        }
        Ok(())
    }
}
