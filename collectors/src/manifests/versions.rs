//! Each ecosystem's version ordering, how far a version lags behind the
//! latest ([`lag`], [`package_lag`]: the one rule for "how far behind"),
//! and whether a version satisfies a spec.
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
use std::fmt;
use std::str::FromStr;

use super::Ecosystem;

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
/// [`super::package_ecosystem`]), the use's `resolved` version and the
/// package's `latest`; [`Lag::Unknown`] when any of them is missing.
pub fn package_lag(package_key: &str, resolved: Option<&str>, latest: Option<&str>) -> Lag {
    match (super::package_ecosystem(package_key), resolved, latest) {
        (Some(ecosystem), Some(resolved), Some(latest)) => lag(ecosystem, resolved, latest),
        _ => Lag::Unknown,
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

/// A semver version, tolerating `v`/`=` prefixes and missing parts.
fn loose_semver(v: &str) -> Option<semver::Version> {
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

fn go_semver(v: &str) -> Option<semver::Version> {
    let v = v.strip_suffix("+incompatible").unwrap_or(v);
    loose_semver(v)
}

fn pep440(v: &str) -> Option<pep440_rs::Version> {
    pep440_rs::Version::from_str(v).ok()
}

// ---------------------------------------------------------------- Composer

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct ComposerVersion {
    numbers: [u64; 4],
    /// dev 0, alpha 1, beta 2, RC 3, stable 4, patch 5.
    stability: u8,
    stability_number: u64,
}

fn composer(v: &str) -> Option<ComposerVersion> {
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

// ---------------------------------------------------------------- NuGet

struct NugetVersion {
    numbers: [u64; 4],
    prerelease: Vec<String>,
}

fn nuget(v: &str) -> Option<NugetVersion> {
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
    fn compare(&self, other: &NugetVersion) -> Ordering {
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

// ---------------------------------------------------------------- RubyGems

mod gem {
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
}

// ---------------------------------------------------------------- Maven

mod maven {
    use std::cmp::Ordering;

    #[derive(Debug, Clone, PartialEq, Eq)]
    pub(super) enum Item {
        /// Digits without leading zeros ("" is zero), so any length orders.
        Int(String),
        Str(String),
        List(Vec<Item>),
    }

    const QUALIFIERS: [&str; 7] = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"];

    /// Known qualifiers by rank; unknown ones after them, alphabetically.
    fn qualifier_rank(q: &str) -> String {
        match QUALIFIERS.iter().position(|k| *k == q) {
            Some(i) => i.to_string(),
            None => format!("7-{q}"),
        }
    }

    fn string_item(value: &str, followed_by_digit: bool) -> Item {
        let value = match (value, followed_by_digit) {
            ("a", true) => "alpha",
            ("b", true) => "beta",
            ("m", true) => "milestone",
            ("ga" | "final" | "release", _) => "",
            ("cr", _) => "rc",
            (other, _) => other,
        };
        Item::Str(value.to_string())
    }

    fn int_item(digits: &str) -> Item {
        Item::Int(digits.trim_start_matches('0').to_string())
    }

    fn parse_item(text: &str, digit: bool) -> Item {
        if digit {
            int_item(text)
        } else {
            string_item(text, false)
        }
    }

    fn is_null(item: &Item) -> bool {
        match item {
            Item::Int(digits) => digits.is_empty(),
            Item::Str(s) => s.is_empty(),
            Item::List(items) => items.is_empty(),
        }
    }

    fn normalize(items: &mut Vec<Item>) {
        let mut i = items.len();
        while i > 0 {
            i -= 1;
            if is_null(&items[i]) {
                items.remove(i);
            } else if !matches!(items[i], Item::List(_)) {
                break;
            }
        }
    }

    /// A version as Maven's `ComparableVersion` parses it: a list whose
    /// `-` parts are nested lists.
    pub(super) fn parse(version: &str) -> Item {
        let version = version.to_lowercase();
        // Each `-` opens a list inside the current one; `path` holds them.
        let mut path: Vec<Vec<Item>> = vec![Vec::new()];
        let chars: Vec<char> = version.chars().collect();
        let mut digit = false;
        let mut start = 0;
        let text = |from: usize, to: usize| chars[from..to].iter().collect::<String>();
        for (i, &c) in chars.iter().enumerate() {
            // What to add to the innermost list, and whether a new list opens after it.
            let (item, opens) = if c == '.' || c == '-' {
                let item = if i == start { Item::Int(String::new()) } else { parse_item(&text(start, i), digit) };
                start = i + 1;
                (Some(item), c == '-')
            } else if c.is_ascii_digit() {
                let item = (!digit && i > start).then(|| string_item(&text(start, i), true));
                if item.is_some() {
                    start = i;
                }
                digit = true;
                let opens = item.is_some();
                (item, opens)
            } else {
                let item = (digit && i > start).then(|| parse_item(&text(start, i), true));
                if item.is_some() {
                    start = i;
                }
                digit = false;
                let opens = item.is_some();
                (item, opens)
            };
            if let Some(item) = item {
                path.last_mut().expect("never empty").push(item);
            }
            if opens {
                path.push(Vec::new());
            }
        }
        if chars.len() > start {
            let item = parse_item(&text(start, chars.len()), digit);
            path.last_mut().expect("never empty").push(item);
        }
        // Close the nested lists from the innermost out, normalising each.
        let mut inner = path.pop().expect("never empty");
        normalize(&mut inner);
        while let Some(mut outer) = path.pop() {
            outer.push(Item::List(inner));
            normalize(&mut outer);
            inner = outer;
        }
        Item::List(inner)
    }

    fn int_cmp(a: &str, b: &str) -> Ordering {
        a.len().cmp(&b.len()).then_with(|| a.cmp(b))
    }

    /// An item against a missing one (the shorter version's end).
    fn against_nothing(item: &Item) -> Ordering {
        match item {
            Item::Int(digits) => {
                if digits.is_empty() {
                    Ordering::Equal
                } else {
                    Ordering::Greater
                }
            }
            Item::Str(s) => qualifier_rank(s).cmp(&qualifier_rank("")),
            Item::List(items) => items.first().map_or(Ordering::Equal, against_nothing),
        }
    }

    impl Item {
        pub(super) fn compare(&self, other: &Item) -> Ordering {
            match (self, other) {
                (Item::Int(a), Item::Int(b)) => int_cmp(a, b),
                (Item::Int(_), _) => Ordering::Greater,
                (Item::Str(_), Item::Int(_)) => Ordering::Less,
                (Item::Str(a), Item::Str(b)) => qualifier_rank(a).cmp(&qualifier_rank(b)),
                (Item::Str(_), Item::List(_)) => Ordering::Less,
                (Item::List(_), Item::Int(_)) => Ordering::Less,
                (Item::List(_), Item::Str(_)) => Ordering::Greater,
                (Item::List(a), Item::List(b)) => {
                    for i in 0..a.len().max(b.len()) {
                        let order = match (a.get(i), b.get(i)) {
                            (Some(x), Some(y)) => x.compare(y),
                            (Some(x), None) => against_nothing(x),
                            (None, Some(y)) => against_nothing(y).reverse(),
                            (None, None) => Ordering::Equal,
                        };
                        if order != Ordering::Equal {
                            return order;
                        }
                    }
                    Ordering::Equal
                }
            }
        }

        /// The leading numbers of the top list (`1.2.3-rc1` → 1, 2, 3).
        pub(super) fn leading_numbers(&self) -> Vec<u64> {
            let Item::List(items) = self else { return Vec::new() };
            items
                .iter()
                .map_while(|i| match i {
                    Item::Int(d) if d.is_empty() => Some(0),
                    Item::Int(d) => d.parse().ok(),
                    _ => None,
                })
                .collect()
        }
    }
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
