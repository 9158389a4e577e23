//! Semantic versions as npm, Cargo and Go spell them, and PEP 440 for PyPI.

use std::str::FromStr;

/// A semver version, tolerating `v`/`=` prefixes and missing parts.
pub(super) fn loose_semver(v: &str) -> Option<semver::Version> {
    let v = v.trim().trim_start_matches('=').trim_start_matches(['v', 'V']);
    if let Ok(version) = semver::Version::parse(v) {
        return Some(version);
    }
    let numbers: Vec<&str> = v.split('.').collect();
    if numbers.len() < 3 && numbers.iter().all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())) {
        let padded = format!("{v}{}", ".0".repeat(3 - numbers.len()));
        return semver::Version::parse(&padded).ok();
    }
    None
}

pub(super) fn go_semver(v: &str) -> Option<semver::Version> {
    let v = v.strip_suffix("+incompatible").unwrap_or(v);
    loose_semver(v)
}

pub(super) fn pep440(v: &str) -> Option<pep440_rs::Version> {
    pep440_rs::Version::from_str(v).ok()
}
