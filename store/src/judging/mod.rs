//! How each deploy ended, judged against the other deploys of its lane (a
//! service in a cluster), and the day rollups stores keep of the verdicts:
//! the rules of docs/dora.md that both `delivery` (the figures) and the
//! stores (which keep verdicts and rollups where deploys are written) need.
//! Below `store`, on `model` alone.

pub mod judge;
pub mod rollup;
pub mod span;

pub use judge::{judge, Judged};

/// Whether version `a` is lower than `b`, both read as (optionally
/// `v`-prefixed) semantic versions; versions that do not read so (commit
/// SHAs, branch builds) are never lower.
pub fn lower_version(a: &str, b: &str) -> bool {
    match (semver_of(a), semver_of(b)) {
        (Some(a), Some(b)) => a < b,
        _ => false,
    }
}

fn semver_of(version: &str) -> Option<semver::Version> {
    let trimmed = version.trim().trim_start_matches('v');
    semver::Version::parse(trimmed).ok().or_else(|| {
        // `1.4` and `2` are common image tags: read them as 1.4.0 and 2.0.0.
        let mut parts = trimmed.split('.');
        let major = parts.next()?.parse().ok()?;
        let minor = parts.next().map(str::parse).transpose().ok()?.unwrap_or(0);
        parts.next().is_none().then(|| semver::Version::new(major, minor, 0))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_as_semver_and_other_versions_never_go_back() {
        assert!(lower_version("1.9.0", "1.10.0"));
        assert!(lower_version("v2.0.0", "v2.0.1"));
        assert!(lower_version("1.4", "1.4.1"));
        assert!(!lower_version("1.10.0", "1.9.0"));
        assert!(!lower_version("main-abc", "main-abd"));
        assert!(!lower_version("4f2a9c0", "1.0.0"));
    }
}
