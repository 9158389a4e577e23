//! How far a version lags behind the latest: the one rule for "how far
//! behind" that every collector, the API and the explorer share.

use std::cmp::Ordering;
use std::fmt;

use super::super::Ecosystem;
use super::{compare, release};

/// How far a version is behind the latest: the one answer SPoT gives
/// everywhere (the collectors' `behind` attribute on `uses`, the API's
/// `behind` field and `outdatedDependencies`, the explorer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Lag {
    /// The current version is the latest (or orders equal to it).
    UpToDate,
    /// Same major and minor; an older patch, or a prerelease of the latest.
    Patch,
    /// Same major, older minor.
    Minor,
    /// Older major.
    Major,
    /// Newer than the latest the registry names (a prerelease, or a
    /// registry whose `latest` tag lags).
    Ahead,
    /// Not comparable: a version or the latest is missing, or either is not
    /// a release of the ecosystem (`latest`, `${revision}`, a git commit), or
    /// the package's ecosystem is not known.
    Unknown,
}

impl Lag {
    pub const ALL: [Lag; 6] = [Lag::UpToDate, Lag::Patch, Lag::Minor, Lag::Major, Lag::Ahead, Lag::Unknown];

    /// The attribute value: `up_to_date`, `patch`, `minor`, `major`,
    /// `ahead` or `unknown`.
    pub fn as_str(self) -> &'static str {
        match self {
            Lag::UpToDate => "up_to_date",
            Lag::Patch => "patch",
            Lag::Minor => "minor",
            Lag::Major => "major",
            Lag::Ahead => "ahead",
            Lag::Unknown => "unknown",
        }
    }

    /// Whether the version is behind the latest (`patch`, `minor` or
    /// `major`); `None` when that is not known.
    pub fn outdated(self) -> Option<bool> {
        match self {
            Lag::Patch | Lag::Minor | Lag::Major => Some(true),
            Lag::UpToDate | Lag::Ahead => Some(false),
            Lag::Unknown => None,
        }
    }

    /// Records the answer on a `uses` relation's attributes, as every
    /// collector does: `behind` (always) and `outdated` (when known).
    pub fn record(self, attrs: &mut serde_json::Map<String, serde_json::Value>) {
        attrs.insert("behind".into(), self.as_str().into());
        match self.outdated() {
            Some(outdated) => attrs.insert("outdated".into(), outdated.into()),
            None => attrs.remove("outdated"),
        };
    }
}

impl fmt::Display for Lag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How far `current` lags `latest` in the ecosystem, by the first of
/// (major, minor, patch) that differs; [`Lag::Ahead`] when `current` orders
/// after `latest`, [`Lag::Unknown`] when either is not a release there
/// (not a version, or no leading release number, as Maven's `RELEASE`). In
/// 0.x semver a minor step is breaking, but it is still reported as minor:
/// the level says which part moved, not what it means.
pub fn lag(ecosystem: Ecosystem, current: &str, latest: &str) -> Lag {
    let (current, latest) = (current.trim(), latest.trim());
    let (Some(c), Some(l)) = (release(ecosystem, current), release(ecosystem, latest)) else { return Lag::Unknown };
    match compare(ecosystem, current, latest) {
        None => Lag::Unknown,
        Some(Ordering::Equal) => Lag::UpToDate,
        Some(Ordering::Greater) => Lag::Ahead,
        Some(Ordering::Less) if c[0] != l[0] => Lag::Major,
        Some(Ordering::Less) if c[1] != l[1] => Lag::Minor,
        Some(Ordering::Less) => Lag::Patch,
    }
}

/// [`lag`] for a use of a package, from what is stored about it: the
/// ecosystem named by the package's key (`package:<ecosystem>/<name>`,
/// [`crate::manifests::package_ecosystem`]), the use's `resolved` version and the
/// package's `latest`; [`Lag::Unknown`] when any of them is missing.
pub fn package_lag(package_key: &str, resolved: Option<&str>, latest: Option<&str>) -> Lag {
    match (super::super::package_ecosystem(package_key), resolved, latest) {
        (Some(ecosystem), Some(resolved), Some(latest)) => lag(ecosystem, resolved, latest),
        _ => Lag::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ecosystem::*;

    #[test]
    fn lag_by_the_first_part_that_moved() {
        assert_eq!(lag(Npm, "1.2.3", "1.2.3"), Lag::UpToDate);
        assert_eq!(lag(Npm, "1.2.3", "1.2.9"), Lag::Patch);
        assert_eq!(lag(Npm, "1.2.3", "1.4.0"), Lag::Minor);
        assert_eq!(lag(Npm, "1.2.3", "3.0.0"), Lag::Major);
        assert_eq!(lag(Npm, "2.0.0-rc.1", "2.0.0"), Lag::Patch);
        assert_eq!(lag(Go, "v1.2.3", "v1.3.0"), Lag::Minor);
        assert_eq!(lag(Pypi, "2.31.0", "3.0"), Lag::Major);
        assert_eq!(lag(Maven, "5.3.9", "5.3.31"), Lag::Patch);
        assert_eq!(lag(Maven, "2.1.0.M1", "2.1.0.RELEASE"), Lag::Patch);
        assert_eq!(lag(Nuget, "12.0.3", "13.0.1"), Lag::Major);
        assert_eq!(lag(Rubygems, "7.0.4", "7.1.2"), Lag::Minor);
        assert_eq!(lag(Composer, "v5.4.3", "v6.0.0"), Lag::Major);
        assert_eq!(lag(Npm, "not", "1.0.0"), Lag::Unknown);
    }

    #[test]
    fn newer_than_the_latest_is_ahead_not_up_to_date() {
        assert_eq!(lag(Npm, "2.0.0", "1.9.0"), Lag::Ahead);
        assert_eq!(lag(Npm, "2.0.0-rc.1", "1.9.0"), Lag::Ahead);
        assert_eq!(lag(Pypi, "2.0.dev1", "1.9"), Lag::Ahead);
        assert_eq!(lag(Npm, "1.0.0+build.2", "1.0.0+build.1"), Lag::UpToDate, "build metadata does not order");
        assert_eq!(lag(Rubygems, "1.0", "1"), Lag::UpToDate);
        assert_eq!(Lag::Ahead.outdated(), Some(false));
        assert_eq!(Lag::Unknown.outdated(), None);
        assert_eq!(Lag::Minor.outdated(), Some(true));
    }

    #[test]
    fn each_ecosystem_is_judged_by_its_own_ordering_not_by_semver() {
        // Read as semver (the first three numbers), each of these says
        // something else: up to date, or behind by the wrong part.
        assert_eq!(lag(Pypi, "2.0rc1", "2.0"), Lag::Patch, "a PEP 440 prerelease of the latest");
        assert_eq!(lag(Pypi, "1!1.0", "2.0"), Lag::Ahead, "a later epoch orders after any release of an earlier one");
        assert_eq!(lag(Pypi, "2.0.post1", "2.0"), Lag::Ahead, "a post-release orders after its release");
        assert_eq!(lag(Maven, "1.0-SNAPSHOT", "1.0"), Lag::Patch, "a snapshot comes before its release");
        assert_eq!(lag(Maven, "1.0.Final", "1.0"), Lag::UpToDate, "`final` is the release itself");
        assert_eq!(lag(Maven, "1.0-sp1", "1.0"), Lag::Ahead, "a service pack follows its release");
        assert_eq!(lag(Nuget, "4.0.0.1", "4.0.0.2"), Lag::Patch, "NuGet's fourth number orders");
        assert_eq!(lag(Go, "v0.0.0-20191109021931-daa7c04131f5", "v0.1.0"), Lag::Minor, "a pseudo-version");
        assert_eq!(lag(Composer, "2.0.0-beta2", "2.0.0-RC1"), Lag::Patch);
    }

    #[test]
    fn what_is_not_a_release_is_unknown() {
        assert_eq!(lag(Maven, "RELEASE", "1.0"), Lag::Unknown, "Maven orders any text, but this is no release");
        assert_eq!(lag(Maven, "${revision}", "1.0"), Lag::Unknown);
        assert_eq!(lag(Maven, "", "1.0"), Lag::Unknown);
        assert_eq!(lag(Maven, "0.0.0", "0.0.4"), Lag::Patch, "all zeros is a release too");
        assert_eq!(lag(Maven, "0", "0.0.0"), Lag::UpToDate);
        assert_eq!(lag(Npm, "1.0.0", "latest"), Lag::Unknown);
        assert_eq!(lag(Composer, "dev-main", "1.0.0"), Lag::Unknown);
        assert_eq!(package_lag("package:npm/left-pad", Some("1.3.0"), Some("1.4.2")), Lag::Minor);
        assert_eq!(package_lag("package:maven/com.acme:lib", Some("1.0-SNAPSHOT"), Some("1.0")), Lag::Patch);
        assert_eq!(package_lag("package:npm/left-pad", None, Some("1.4.2")), Lag::Unknown);
        assert_eq!(package_lag("package:npm/left-pad", Some("1.3.0"), None), Lag::Unknown);
        assert_eq!(package_lag("package:left-pad", Some("1.3.0"), Some("1.4.2")), Lag::Unknown, "no ecosystem");
    }
}
