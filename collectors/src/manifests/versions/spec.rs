//! Whether a version satisfies a spec, for the ecosystems whose ranges are
//! read: npm, Cargo, PyPI and Composer.

use std::str::FromStr;

use super::super::Ecosystem;
use super::{loose_semver, pep440, MAX_LEN};

/// Whether `version` satisfies `spec`, for the ecosystems whose ranges are
/// read here: npm (`^1.2.0`, `>=1 <2`, `1.x`, `a - b`, `||`), Cargo, PyPI
/// (PEP 440 specifiers) and Composer (`^`, `~`, `*`, `,`/space, `|`/`||`).
/// `None` when the spec or version is not read (tags like `latest`, git or
/// path specs, other ecosystems).
pub fn satisfies(ecosystem: Ecosystem, spec: &str, version: &str) -> Option<bool> {
    let spec = spec.trim();
    if spec.len() > MAX_LEN {
        return None;
    }
    match ecosystem {
        Ecosystem::Cargo => Some(semver::VersionReq::parse(spec).ok()?.matches(&loose_semver(version)?)),
        Ecosystem::Npm => {
            let version = loose_semver(version)?;
            let alternatives = npm_range(spec, false)?;
            Some(alternatives.iter().any(|r| r.matches(&version)))
        }
        Ecosystem::Composer => {
            let version = loose_semver(version)?;
            let spec = spec.replace("||", "|");
            let alternatives: Vec<semver::VersionReq> =
                spec.split('|').map(|alt| npm_range(alt, true)).collect::<Option<Vec<_>>>()?.concat();
            Some(alternatives.iter().any(|r| r.matches(&version)))
        }
        Ecosystem::Pypi => {
            let version = pep440(version)?;
            if spec.is_empty() {
                return Some(true);
            }
            Some(pep440_rs::VersionSpecifiers::from_str(spec).ok()?.contains(&version))
        }
        _ => None,
    }
}

/// An npm (or Composer) range as semver requirements, one per `||`
/// alternative.
fn npm_range(spec: &str, composer: bool) -> Option<Vec<semver::VersionReq>> {
    let mut out = Vec::new();
    for alternative in spec.split("||") {
        let alternative = alternative.trim();
        if alternative.is_empty() || alternative == "*" || alternative == "x" {
            out.push(semver::VersionReq::STAR);
            continue;
        }
        let mut comparators: Vec<String> = Vec::new();
        if let Some((low, high)) = alternative.split_once(" - ") {
            comparators.push(format!(">={}", low.trim().trim_start_matches('v')));
            comparators.push(format!("<={}", high.trim().trim_start_matches('v')));
        } else {
            // `>= 1.2` is one comparator written as two words.
            let mut pending = String::new();
            for word in alternative.split([' ', ',']).filter(|w| !w.is_empty()) {
                let word = word.split('@').next().unwrap_or(word); // Composer's `@dev` flags
                if word.chars().all(|c| "<>=~^!".contains(c)) {
                    pending.push_str(word);
                    continue;
                }
                let full = format!("{pending}{word}");
                pending.clear();
                comparators.push(comparator(&full, composer)?);
            }
        }
        let joined = comparators.iter().map(String::as_str).collect::<Vec<_>>().join(", ");
        out.push(semver::VersionReq::parse(&joined).ok()?);
    }
    Some(out)
}

/// One npm comparator in the `semver` crate's syntax: a bare version is
/// exact in npm (but a caret in Cargo); Composer's two-part tilde (`~1.2`)
/// allows the next minors too.
fn comparator(word: &str, composer: bool) -> Option<String> {
    let op_end = word.find(|c: char| !"<>=~^".contains(c)).unwrap_or(word.len());
    let (op, version) = (&word[..op_end], word[op_end..].trim_start_matches(['v', 'V']));
    if version.is_empty() || !version.starts_with(|c: char| c.is_ascii_digit() || c == '*' || c == 'x') {
        return None;
    }
    Some(match op {
        "" if version.contains(['x', 'X', '*']) => version.to_string(),
        "" => format!("={version}"),
        "~" if composer && version.split('.').count() == 2 => {
            let major: u64 = version.split('.').next()?.parse().ok()?;
            format!(">={version}, <{}.0.0", major.checked_add(1)?)
        }
        "~>" => format!("~{version}"),
        _ => format!("{op}{version}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ecosystem::*;

    #[test]
    fn specs_that_versions_satisfy() {
        assert_eq!(satisfies(Npm, "^1.2.0", "1.9.0"), Some(true));
        assert_eq!(satisfies(Npm, "^1.2.0", "2.0.0"), Some(false));
        assert_eq!(satisfies(Npm, "1.2.0", "1.2.1"), Some(false));
        assert_eq!(satisfies(Npm, ">= 1.0.0 < 2", "1.5.0"), Some(true));
        assert_eq!(satisfies(Npm, "1.x || >=3.0.0", "3.1.0"), Some(true));
        assert_eq!(satisfies(Npm, "1.0.0 - 1.4.0", "1.4.0"), Some(true));
        assert_eq!(satisfies(Npm, "~1.2.3", "1.3.0"), Some(false));
        assert_eq!(satisfies(Npm, "*", "0.0.1"), Some(true));
        assert_eq!(satisfies(Npm, "latest", "1.0.0"), None);
        assert_eq!(satisfies(Npm, "workspace:*", "1.0.0"), None);
        assert_eq!(satisfies(Cargo, "1.0", "1.5.2"), Some(true));
        assert_eq!(satisfies(Cargo, "=1.0.3", "1.0.4"), Some(false));
        assert_eq!(satisfies(Pypi, ">=2.28,<3", "2.31.0"), Some(true));
        assert_eq!(satisfies(Pypi, "~=1.4", "2.0"), Some(false));
        assert_eq!(satisfies(Composer, "^5.4", "v5.4.3"), Some(true));
        assert_eq!(satisfies(Composer, "~1.2", "1.9.0"), Some(true));
        assert_eq!(satisfies(Composer, "~1.2.3", "1.3.0"), Some(false));
        assert_eq!(satisfies(Composer, "^1.0 || ^2.0", "2.3.0"), Some(true));
        assert_eq!(satisfies(Maven, "[1.0,2.0)", "1.5"), None);
        assert_eq!(satisfies(Composer, "~18446744073709551615.0", "1.0.0"), None);
    }
}
