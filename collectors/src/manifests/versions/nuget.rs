//! NuGet: up to four numbers, then a prerelease compared without case.

use std::cmp::Ordering;

pub(super) struct NugetVersion {
    pub(super) numbers: [u64; 4],
    prerelease: Vec<String>,
}

pub(super) fn nuget(v: &str) -> Option<NugetVersion> {
    let v = v.split('+').next()?.trim_start_matches(['v', 'V']);
    let (head, pre) = match v.split_once('-') {
        Some((head, pre)) => (head, Some(pre)),
        None => (v, None),
    };
    let parts: Vec<&str> = head.split('.').collect();
    if parts.is_empty() || parts.len() > 4 {
        return None;
    }
    let mut numbers = [0u64; 4];
    for (slot, part) in numbers.iter_mut().zip(&parts) {
        *slot = part.parse().ok()?;
    }
    let prerelease = match pre {
        Some(pre) if pre.is_empty() || pre.split('.').any(str::is_empty) => return None,
        Some(pre) => pre.split('.').map(str::to_ascii_lowercase).collect(),
        None => Vec::new(),
    };
    Some(NugetVersion { numbers, prerelease })
}

impl NugetVersion {
    pub(super) fn compare(&self, other: &NugetVersion) -> Ordering {
        self.numbers.cmp(&other.numbers).then_with(|| match (self.prerelease.is_empty(), other.prerelease.is_empty()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            (false, false) => {
                for (a, b) in self.prerelease.iter().zip(&other.prerelease) {
                    let order = match (a.parse::<u64>(), b.parse::<u64>()) {
                        (Ok(x), Ok(y)) => x.cmp(&y),
                        (Ok(_), Err(_)) => Ordering::Less,
                        (Err(_), Ok(_)) => Ordering::Greater,
                        (Err(_), Err(_)) => a.cmp(b),
                    };
                    if order != Ordering::Equal {
                        return order;
                    }
                }
                self.prerelease.len().cmp(&other.prerelease.len())
            }
        })
    }
}
