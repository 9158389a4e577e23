//! Where a Backstage `Location`'s `spec.target` / `spec.targets` point:
//! a file of the same repository (`./components/x.yaml`, relative to the
//! Location's file), or a file of another repository of the same
//! organisation on the same host
//! (`https://github.com/acme/billing/blob/main/catalog-info.yaml`).
//! Anything else (another organisation, another host, a glob, a path
//! leaving the repository) is not followed, and says why.

use crate::manifests::{folder_of, join_path};

/// A file a Location points to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Target {
    /// A path in the Location's own repository.
    Here(String),
    /// A path in another repository of the organisation (its name).
    Repo { repo: String, path: String },
}

/// Resolves one target of the Location declared in `location_file`, for
/// an organisation `org` on `host` (`github.com`, or a GitHub Enterprise
/// Server's host); `Err` says why it is not followed.
pub fn resolve(location_file: &str, target: &str, host: &str, org: &str) -> Result<Target, String> {
    let target = target.trim();
    let target = target.strip_prefix("url:").or_else(|| target.strip_prefix("file:")).unwrap_or(target);
    if target.contains('*') {
        return Err("is a glob, which SPoT does not follow (list the files)".into());
    }
    if let Some(rest) = target.strip_prefix("https://").or_else(|| target.strip_prefix("http://")) {
        return in_organisation(rest, host, org)
            .ok_or_else(|| format!("is not a file of a repository of {host}/{org}"));
    }
    join_path(folder_of(location_file), target)
        .filter(|path| !path.is_empty())
        .map(Target::Here)
        .ok_or_else(|| "leaves the repository".to_string())
}

/// `<host>/<org>/<repo>/blob/<ref>/<path>` (or `tree`) as a repository
/// and a path, when the host and organisation are ours.
fn in_organisation(url: &str, host: &str, org: &str) -> Option<Target> {
    let url = url.split(['?', '#']).next().unwrap_or(url);
    let mut parts = url.split('/');
    let (url_host, url_org, repo, blob, _branch) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let path: Vec<&str> = parts.filter(|p| !p.is_empty()).collect();
    let ours = url_host.eq_ignore_ascii_case(host) && url_org.eq_ignore_ascii_case(org);
    if !ours || !matches!(blob, "blob" | "tree") || path.is_empty() || repo.is_empty() {
        return None;
    }
    let path = join_path("", &path.join("/"))?;
    Some(Target::Repo { repo: repo.trim_end_matches(".git").to_string(), path })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn here(path: &str) -> Result<Target, String> {
        Ok(Target::Here(path.into()))
    }

    #[test]
    fn relative_targets_are_files_of_the_same_repository() {
        assert_eq!(resolve("all.yaml", "./components/x.yaml", "github.com", "acme"), here("components/x.yaml"));
        assert_eq!(resolve("acme/org.yaml", "./team-a.yaml", "github.com", "acme"), here("acme/team-a.yaml"));
        assert_eq!(resolve("acme/org.yaml", "../systems/s.yaml", "github.com", "acme"), here("systems/s.yaml"));
        assert!(resolve("org.yaml", "../../etc/passwd", "github.com", "acme").unwrap_err().contains("leaves"));
        assert!(resolve("org.yaml", "./groups/*.yaml", "github.com", "acme").unwrap_err().contains("glob"));
    }

    #[test]
    fn urls_into_the_organisation_name_the_repository_and_the_path() {
        let target = resolve(
            "all-components.yaml",
            "https://github.com/Acme/artist-lookup/blob/main/catalog-info.yaml",
            "github.com",
            "acme",
        );
        assert_eq!(target, Ok(Target::Repo { repo: "artist-lookup".into(), path: "catalog-info.yaml".into() }));
        let elsewhere = resolve(
            "acme-corp.yaml",
            "https://github.com/spotify/backstage/blob/master/packages/catalog-model/examples/acme/org.yaml",
            "github.com",
            "acme",
        );
        assert!(elsewhere.unwrap_err().contains("not a file of a repository of github.com/acme"));
    }
}
