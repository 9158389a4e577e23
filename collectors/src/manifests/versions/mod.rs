//! Each ecosystem's version ordering (here, one file per ecosystem that
//! needs its own reader), how far a version lags behind the latest
//! ([`lag`], [`package_lag`] in `lag.rs`: the one rule for "how far
//! behind"), and whether a version satisfies a spec (`spec.rs`).
//!
//! - npm and Cargo: Semantic Versioning 2.0 (the `semver` crate): build
//!   metadata does not order; a leading `v` or `=` and missing minor or
//!   patch parts (`1.2`) are tolerated.
//! - Go: semver with Go's spellings: the `v` prefix, `+incompatible`
//!   (ignored), and pseudo-versions (`v0.0.0-20191109021931-daa7c04131f5`,
//!   `v1.2.4-0.20191109021931-daa7c04131f5`), which are prereleases of the
//!   next version and order by their timestamp.
//! - Composer: up to four numbers and a stability: `dev` < `alpha` (`a`) <
//!   `beta` (`b`) < `RC` < stable < `patch` (`pl`, `p`), each with an
//!   optional number (`1.0.0-beta2`); a leading `v` is tolerated; branches
//!   (`dev-main`) have no order.
//! - PyPI: PEP 440 (the `pep440_rs` crate): epochs, pre-, post- and
//!   dev-releases, local versions.
//! - Maven: Maven's `ComparableVersion`: items split at `.`, `-` and
//!   digit/letter changes, trailing zeros dropped, qualifiers ordered
//!   `alpha` < `beta` < `milestone` < `rc` = `cr` < `snapshot` < release
//!   (`ga`, `final`, `release`) < `sp` < unknown qualifiers (alphabetical);
//!   `a1`, `b1`, `m1` are `alpha-1`, `beta-1`, `milestone-1`.
//! - NuGet: up to four numbers (`1.2.3.4`), then a prerelease whose labels
//!   compare without case, numeric labels numerically and before
//!   alphanumeric ones; build metadata does not order.
//! - RubyGems: `Gem::Version`: segments split at dots and digit/letter
//!   changes, `-` read as `.pre.`; a segment with letters makes a
//!   prerelease, which orders before any number; trailing zeros do not
//!   count (`1.0` = `1`).
//!
//! Strings that are not versions of their ecosystem give `None`.

use std::cmp::Ordering;

use super::Ecosystem;

mod composer;
mod gem;
mod lag;
mod maven;
mod nuget;
mod semver_like;
mod spec;

use composer::composer;
pub use lag::{lag, package_lag, Lag};
use nuget::nuget;
use semver_like::{go_semver, loose_semver, pep440};
pub use spec::satisfies;

/// Versions longer than this are not real versions; the limit bounds the
/// work (and Maven's nesting) a hostile string can cause.
const MAX_LEN: usize = 256;

/// How `a` orders against `b` in the ecosystem; `None` when either is not a
/// version there.
pub fn compare(ecosystem: Ecosystem, a: &str, b: &str) -> Option<Ordering> {
    let (a, b) = (a.trim(), b.trim());
    if a.len() > MAX_LEN || b.len() > MAX_LEN {
        return None;
    }
    match ecosystem {
        Ecosystem::Npm | Ecosystem::Cargo => Some(loose_semver(a)?.cmp_precedence(&loose_semver(b)?)),
        Ecosystem::Go => Some(go_semver(a)?.cmp_precedence(&go_semver(b)?)),
        Ecosystem::Composer => Some(composer(a)?.cmp(&composer(b)?)),
        Ecosystem::Pypi => Some(pep440(a)?.cmp(&pep440(b)?)),
        Ecosystem::Maven => Some(maven::parse(a).compare(&maven::parse(b))),
        Ecosystem::Nuget => Some(nuget(a)?.compare(&nuget(b)?)),
        Ecosystem::Rubygems => Some(gem::compare(&gem::segments(a)?, &gem::segments(b)?)),
    }
}

/// A total order of version strings for showing them, oldest first: the
/// ecosystem's releases in its order (versions that order equal, such as
/// `1.0.0+a` and `1.0.0+b`, by their text), then everything that is not
/// one of its versions, by text. Sorting with [`compare`] alone could
/// panic: it is not total over arbitrary strings.
pub fn display_order(ecosystem: Ecosystem, a: &str, b: &str) -> Ordering {
    match (is_release(ecosystem, a), is_release(ecosystem, b)) {
        (true, true) => compare(ecosystem, a, b).unwrap_or(Ordering::Equal).then_with(|| a.cmp(b)),
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        (false, false) => a.cmp(b),
    }
}

/// [`display_order`] with the releases newest first; what is not a release
/// of the ecosystem still comes after them, by text.
pub fn newest_first(ecosystem: Ecosystem, a: &str, b: &str) -> Ordering {
    match (is_release(ecosystem, a), is_release(ecosystem, b)) {
        (true, true) => display_order(ecosystem, b, a),
        _ => display_order(ecosystem, a, b),
    }
}

fn is_release(ecosystem: Ecosystem, v: &str) -> bool {
    compare(ecosystem, v, v).is_some() && release(ecosystem, v.trim()).is_some()
}

/// The first three release numbers, missing ones as 0; `None` when there
/// is no leading release number.
pub fn release(ecosystem: Ecosystem, v: &str) -> Option<[u64; 3]> {
    if v.len() > MAX_LEN {
        return None;
    }
    let numbers: Vec<u64> = match ecosystem {
        Ecosystem::Npm | Ecosystem::Cargo => {
            let v = loose_semver(v)?;
            vec![v.major, v.minor, v.patch]
        }
        Ecosystem::Go => {
            let v = go_semver(v)?;
            vec![v.major, v.minor, v.patch]
        }
        Ecosystem::Composer => composer(v)?.numbers.to_vec(),
        Ecosystem::Pypi => pep440(v)?.release().to_vec(),
        // Maven orders any text, but only what starts with a number is a
        // release; trailing zeros are dropped (`0.0.0` is `0`).
        Ecosystem::Maven if !v.starts_with(|c: char| c.is_ascii_digit()) => return None,
        Ecosystem::Maven => Some(maven::parse(v).leading_numbers()).filter(|n| !n.is_empty()).unwrap_or(vec![0]),
        Ecosystem::Nuget => nuget(v)?.numbers.to_vec(),
        Ecosystem::Rubygems => gem::segments(v)?.iter().map_while(|s| s.number()).collect(),
    };
    if numbers.is_empty() {
        return None;
    }
    let at = |i: usize| numbers.get(i).copied().unwrap_or(0);
    Some([at(0), at(1), at(2)])
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ecosystem::*;

    /// Each version is strictly older than the next.
    fn ascending(ecosystem: Ecosystem, versions: &[&str]) {
        for pair in versions.windows(2) {
            assert_eq!(
                compare(ecosystem, pair[0], pair[1]),
                Some(Ordering::Less),
                "{ecosystem}: {} < {}",
                pair[0],
                pair[1]
            );
            assert_eq!(
                compare(ecosystem, pair[1], pair[0]),
                Some(Ordering::Greater),
                "{ecosystem}: {} > {}",
                pair[1],
                pair[0]
            );
        }
    }

    fn equal(ecosystem: Ecosystem, a: &str, b: &str) {
        assert_eq!(compare(ecosystem, a, b), Some(Ordering::Equal), "{ecosystem}: {a} = {b}");
    }

    #[test]
    fn semver_for_npm_and_cargo() {
        ascending(
            Npm,
            &[
                "1.0.0-alpha",
                "1.0.0-alpha.1",
                "1.0.0-alpha.beta",
                "1.0.0-beta.2",
                "1.0.0-beta.11",
                "1.0.0-rc.1",
                "1.0.0",
                "1.0.1",
                "1.10.0",
                "2.0.0",
            ],
        );
        equal(Npm, "v1.2.3", "1.2.3+build.5");
        equal(Cargo, "1.2", "1.2.0");
        assert_eq!(compare(Npm, "latest", "1.0.0"), None);
    }

    #[test]
    fn go_prefixes_incompatible_and_pseudo_versions() {
        ascending(
            Go,
            &[
                "v0.0.0-20191109021931-daa7c04131f5",
                "v0.0.0-20200101000000-aaaaaaaaaaaa",
                "v0.1.0",
                "v1.2.3",
                "v1.2.4-0.20191109021931-daa7c04131f5",
                "v1.2.4",
                "v2.0.0+incompatible",
                "v2.1.0",
            ],
        );
        equal(Go, "v2.0.0+incompatible", "v2.0.0");
    }

    #[test]
    fn composer_stabilities() {
        ascending(
            Composer,
            &[
                "1.0.0-dev",
                "1.0.0-alpha1",
                "1.0.0-alpha2",
                "1.0.0-beta",
                "1.0.0-RC1",
                "1.0.0",
                "1.0.0-patch1",
                "1.0.1",
                "1.0.1.1",
                "v2.0",
            ],
        );
        equal(Composer, "v1.2.3", "1.2.3.0");
        assert_eq!(compare(Composer, "dev-main", "1.0"), None);
    }

    #[test]
    fn pep440_for_pypi() {
        ascending(
            Pypi,
            &["1.0.dev1", "1.0a1", "1.0a2.dev1", "1.0b1", "1.0rc1", "1.0", "1.0.post1", "1.0.1", "1.1", "2!0.1"],
        );
        equal(Pypi, "1.0", "1.0.0");
        equal(Pypi, "1.0alpha1", "1.0a1");
    }

    #[test]
    fn maven_comparable_version() {
        ascending(
            Maven,
            &[
                "1-alpha",
                "1-alpha-1",
                "1-beta-1",
                "1-milestone-1",
                "1-rc-1",
                "1-SNAPSHOT",
                "1",
                "1-sp",
                "1-abc",
                "1-xyz",
                "1.0.1",
                "1.1",
                "2.0-alpha1",
                "2.0",
            ],
        );
        equal(Maven, "1.0.0", "1");
        equal(Maven, "1-ga", "1");
        equal(Maven, "1.0-final", "1.0");
        equal(Maven, "1-cr1", "1-rc1");
        equal(Maven, "1a1", "1-alpha-1");
        equal(Maven, "1.0-1", "1-1");
        ascending(Maven, &["1-1", "1.1"]);
        ascending(Maven, &["2.0.0.RELEASE", "2.0.1.RELEASE", "2.1.0.M1", "2.1.0.RC1", "2.1.0.RELEASE"]);
        ascending(Maven, &["9", "10", "100000000000000000000000000000"]);
        equal(Maven, "01.002", "1.2");
    }

    #[test]
    fn nuget_four_parts_and_case_insensitive_prereleases() {
        ascending(
            Nuget,
            &[
                "1.0.0-alpha",
                "1.0.0-Beta",
                "1.0.0-beta.2",
                "1.0.0-beta.10",
                "1.0.0-rc",
                "1.0.0",
                "1.0.0.1",
                "1.0.1",
                "1.1",
            ],
        );
        equal(Nuget, "1.0.0-BETA", "1.0.0-beta");
        equal(Nuget, "1.0", "1.0.0.0");
        equal(Nuget, "1.0.0+abc", "1.0.0");
        assert_eq!(compare(Nuget, "1.0.0.0.0", "1"), None);
    }

    #[test]
    fn rubygems_segments_and_prereleases() {
        ascending(Rubygems, &["1.0.a", "1.0.a1", "1.0.b", "1.0.pre", "1.0.rc1", "1.0", "1.0.1", "1.1", "1.10"]);
        equal(Rubygems, "1.0", "1");
        equal(Rubygems, "1.0.0", "1");
        equal(Rubygems, "1.0-rc1", "1.0.pre.rc1");
        assert_eq!(compare(Rubygems, "one", "1"), None);
    }

    #[test]
    fn versions_show_in_a_total_order() {
        let mut shown = vec!["main", "1.10.0", "1.0.0+b", "1.9.0", "latest", "1.0.0+a", "2.0.0-rc.1"];
        shown.sort_by(|a, b| display_order(Npm, a, b));
        assert_eq!(shown, ["1.0.0+a", "1.0.0+b", "1.9.0", "1.10.0", "2.0.0-rc.1", "latest", "main"]);
        let mut maven = vec!["1.0", "RELEASE", "1.0-SNAPSHOT", "1.0.1", "1.0-alpha-1"];
        maven.sort_by(|a, b| display_order(Maven, a, b));
        assert_eq!(maven, ["1.0-alpha-1", "1.0-SNAPSHOT", "1.0", "1.0.1", "RELEASE"]);
        maven.sort_by(|a, b| newest_first(Maven, a, b));
        assert_eq!(maven, ["1.0.1", "1.0", "1.0-SNAPSHOT", "1.0-alpha-1", "RELEASE"]);
    }

    #[test]
    fn hostile_strings_give_none_not_a_panic() {
        let long = "1-".repeat(10_000);
        assert_eq!(compare(Maven, &long, "1"), None);
        assert_eq!(lag(Maven, &long, "1"), Lag::Unknown);
        for ecosystem in Ecosystem::ALL {
            for s in ["", "-", ".", "..", "v", "+", "1..2", "٣.٤", "1.0-", "99999999999999999999999.0"] {
                let _ = compare(ecosystem, s, "1.0.0");
                let _ = lag(ecosystem, s, "1.0.0");
                let _ = display_order(ecosystem, s, "1.0.0");
                let _ = newest_first(ecosystem, s, "1.0.0");
                let _ = satisfies(ecosystem, s, "1.0.0");
            }
        }
    }
}
