//! Composer: up to four numbers and a stability.

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct ComposerVersion {
    pub(super) numbers: [u64; 4],
    /// dev 0, alpha 1, beta 2, RC 3, stable 4, patch 5.
    stability: u8,
    stability_number: u64,
}

pub(super) fn composer(v: &str) -> Option<ComposerVersion> {
    let v = v.trim_start_matches(['v', 'V']);
    let head_end = v.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(v.len());
    let (head, suffix) = (v[..head_end].trim_end_matches('.'), &v[head_end..]);
    let mut numbers = [0u64; 4];
    let parts: Vec<&str> = head.split('.').collect();
    if head.is_empty() || parts.len() > 4 {
        return None;
    }
    for (slot, part) in numbers.iter_mut().zip(&parts) {
        *slot = part.parse().ok()?;
    }
    let suffix = suffix.trim_start_matches(['-', '_', '.']).to_ascii_lowercase();
    if suffix.is_empty() {
        return Some(ComposerVersion { numbers, stability: 4, stability_number: 0 });
    }
    let word_end = suffix.find(|c: char| !c.is_ascii_alphabetic()).unwrap_or(suffix.len());
    let stability = match &suffix[..word_end] {
        "dev" => 0,
        "alpha" | "a" => 1,
        "beta" | "b" => 2,
        "rc" => 3,
        "stable" => 4,
        "patch" | "pl" | "p" => 5,
        _ => return None,
    };
    let rest = suffix[word_end..].trim_start_matches(['-', '.']);
    let stability_number = if rest.is_empty() { 0 } else { rest.parse().ok()? };
    Some(ComposerVersion { numbers, stability, stability_number })
}
