//! RubyGems: `Gem::Version` segments.

use std::cmp::Ordering;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Segment {
    Number(u64),
    Text(String),
}

impl Segment {
    pub(super) fn number(&self) -> Option<u64> {
        match self {
            Segment::Number(n) => Some(*n),
            Segment::Text(_) => None,
        }
    }
}

/// The canonical segments: trailing zeros dropped from the release part
/// and from the prerelease part.
pub(super) fn segments(v: &str) -> Option<Vec<Segment>> {
    let v = v.trim();
    let valid = v.starts_with(|c: char| c.is_ascii_digit())
        && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
    if !valid {
        return None;
    }
    let v = v.replace('-', ".pre.");
    let mut all = Vec::new();
    let bytes = v.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        if bytes[i].is_ascii_digit() {
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            all.push(Segment::Number(v[start..i].parse().ok()?));
        } else if bytes[i].is_ascii_alphabetic() {
            while i < bytes.len() && bytes[i].is_ascii_alphabetic() {
                i += 1;
            }
            all.push(Segment::Text(v[start..i].to_string()));
        } else {
            i += 1;
        }
    }
    let split = all.iter().position(|s| matches!(s, Segment::Text(_))).unwrap_or(all.len());
    let mut pre = all.split_off(split);
    for part in [&mut all, &mut pre] {
        while part.last() == Some(&Segment::Number(0)) {
            part.pop();
        }
    }
    all.extend(pre);
    Some(all)
}

pub(super) fn compare(a: &[Segment], b: &[Segment]) -> Ordering {
    let zero = Segment::Number(0);
    for i in 0..a.len().max(b.len()) {
        let (x, y) = (a.get(i).unwrap_or(&zero), b.get(i).unwrap_or(&zero));
        let order = match (x, y) {
            (Segment::Number(x), Segment::Number(y)) => x.cmp(y),
            (Segment::Text(x), Segment::Text(y)) => x.cmp(y),
            (Segment::Text(_), Segment::Number(_)) => Ordering::Less,
            (Segment::Number(_), Segment::Text(_)) => Ordering::Greater,
        };
        if order != Ordering::Equal {
            return order;
        }
    }
    Ordering::Equal
}
