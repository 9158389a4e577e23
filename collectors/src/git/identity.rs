//! Which repository a clone is: host, organisation and name from its
//! `origin` remote, so a backfill writes the same keys the live GitHub
//! collector does (`repo:github.com/acme/billing`).

use std::path::Path;

/// Where a repository lives. Without an `origin`, host and organisation
/// are `local` and the name is the folder's.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct RepoIdentity {
    pub host: String,
    pub org: String,
    pub name: String,
}

pub const LOCAL: &str = "local";

impl RepoIdentity {
    /// From a remote URL: `https://github.com/acme/billing.git`,
    /// `ssh://git@github.com/acme/billing`, or git's scp-like
    /// `git@github.com:acme/billing.git`. `None` for anything else
    /// (a local path, no organisation).
    pub fn from_remote(remote: &str) -> Option<RepoIdentity> {
        let (host, path) = match url::Url::parse(remote) {
            Ok(url) if url.scheme() != "file" => (url.host_str()?.to_ascii_lowercase(), url.path().to_string()),
            Ok(_) => return None,
            Err(_) => scp_like(remote)?,
        };
        let path = path.trim_matches('/');
        let path = path.strip_suffix(".git").unwrap_or(path);
        let (org, name) = path.rsplit_once('/')?;
        // GitHub Enterprise Server paths may carry a prefix; the owner is
        // the component just before the name.
        let org = org.rsplit('/').next()?;
        if org.is_empty() || name.is_empty() {
            return None;
        }
        Some(RepoIdentity { host, org: org.to_string(), name: name.to_string() })
    }

    pub fn local(folder: &Path) -> RepoIdentity {
        let name = folder
            .file_name()
            .map(|n| n.to_string_lossy().trim_end_matches(".git").to_string())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| "repository".into());
        RepoIdentity { host: LOCAL.into(), org: LOCAL.into(), name }
    }
}

/// `[user@]host:path`, git's shorthand for ssh (no scheme, a `:` before
/// any `/`).
fn scp_like(remote: &str) -> Option<(String, String)> {
    let (authority, path) = remote.split_once(':')?;
    if authority.contains('/') || path.starts_with("//") {
        return None;
    }
    let host = authority.rsplit('@').next()?;
    (!host.is_empty()).then(|| (host.to_ascii_lowercase(), path.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(remote: &str) -> Option<(String, String, String)> {
        RepoIdentity::from_remote(remote).map(|r| (r.host, r.org, r.name))
    }

    #[test]
    fn every_common_remote_form_names_host_org_and_repository() {
        let billing = Some(("github.com".into(), "acme".into(), "billing".into()));
        assert_eq!(id("https://github.com/acme/billing.git"), billing);
        assert_eq!(id("https://github.com/acme/billing"), billing);
        assert_eq!(id("ssh://git@github.com/acme/billing.git"), billing);
        assert_eq!(id("git@github.com:acme/billing.git"), billing);
        assert_eq!(id("git@GitHub.com:acme/billing"), billing);
        assert_eq!(
            id("https://ghe.example.com/scm/acme/billing.git"),
            Some(("ghe.example.com".into(), "acme".into(), "billing".into()))
        );
    }

    #[test]
    fn local_paths_and_bare_names_are_not_remotes() {
        assert_eq!(id("/srv/git/billing.git"), None);
        assert_eq!(id("file:///srv/git/acme/billing.git"), None);
        assert_eq!(id("../billing"), None);
        assert_eq!(id("https://github.com/billing"), None);
    }

    #[test]
    fn without_a_remote_the_folder_names_the_repository() {
        let local = RepoIdentity::local(Path::new("/src/billing.git"));
        assert_eq!((local.host.as_str(), local.org.as_str(), local.name.as_str()), ("local", "local", "billing"));
    }
}
