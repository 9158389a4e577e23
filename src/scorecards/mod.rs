//! Scorecards: standards as code, scored on any day (docs/scorecards.md).
//!
//! A scorecard has levels (lowest first) and rules, each of one level. A
//! service reaches a level when every rule of that level and of every
//! level below passes. Scores are computed from the temporal graph as of
//! a day, never stored as a second copy of it; whole days are cached
//! ([`cache`]) because a trend reads the same days again and again.

pub mod builtins;
pub mod cache;
pub mod definition;
pub mod evaluate;
pub mod explain;
pub mod history;
pub mod kept;
pub mod known;
pub mod ranged;
pub mod rule;
pub mod view;
pub mod vocabulary;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use evaluate::{DayScores, RuleOutcome, ServiceScore};
pub use rule::Rule;

/// The scorecard the demo ships, over the synthetic organisation.
pub const DEMO: (&str, &str) =
    ("scorecards/production-readiness.toml", include_str!("../../scorecards/production-readiness.toml"));

/// `[scorecards]`: where the scorecard files are, and how large they may be
/// ([`ScorecardLimits`]).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ScorecardsConfig {
    /// Files, or folders whose `*.toml` files are each one scorecard.
    pub paths: Vec<PathBuf>,
    /// Also score by the scorecard SPoT ships (`production-readiness`, the
    /// demo's): a start to copy and edit.
    pub builtin: bool,
    /// Most rules in one scorecard.
    pub max_rules: usize,
    /// Most rules in all scorecards together.
    pub max_total_rules: usize,
    /// Most values in one `in` list.
    pub max_in_items: usize,
    /// Largest scorecard file, in bytes (checked before it is read).
    pub max_file_bytes: u64,
}

impl Default for ScorecardsConfig {
    fn default() -> ScorecardsConfig {
        let limits = ScorecardLimits::default();
        ScorecardsConfig {
            paths: Vec::new(),
            builtin: false,
            max_rules: limits.max_rules,
            max_total_rules: limits.max_total_rules,
            max_in_items: limits.max_in_items,
            max_file_bytes: limits.max_file_bytes,
        }
    }
}

impl ScorecardsConfig {
    pub fn limits(&self) -> ScorecardLimits {
        ScorecardLimits {
            max_rules: self.max_rules,
            max_total_rules: self.max_total_rules,
            max_in_items: self.max_in_items,
            max_file_bytes: self.max_file_bytes,
        }
    }
}

/// How large scorecards may be (`[scorecards] max_*`). Scoring costs rules
/// × services × days, and "failing since" up to 365 days of it: a file of
/// 20,000 rules took 13 s a day and gigabytes of memory. The defaults are
/// far above what a standard needs (the demo's has 11 rules).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScorecardLimits {
    pub max_rules: usize,
    pub max_total_rules: usize,
    pub max_in_items: usize,
    pub max_file_bytes: u64,
}

impl Default for ScorecardLimits {
    fn default() -> ScorecardLimits {
        ScorecardLimits { max_rules: 200, max_total_rules: 1_000, max_in_items: 1_000, max_file_bytes: 256 * 1024 }
    }
}

/// One scorecard, checked.
#[derive(Debug, Clone)]
pub struct Scorecard {
    pub name: String,
    pub description: String,
    /// Lowest first.
    pub levels: Vec<String>,
    pub rules: Vec<Rule>,
    /// The file it was read from.
    pub file: String,
}

impl Scorecard {
    /// The name of a level by rank; `None` below the lowest.
    pub fn level_name(&self, rank: Option<usize>) -> Option<String> {
        rank.and_then(|r| self.levels.get(r).cloned())
    }
}

/// Every scorecard a server scores by.
#[derive(Debug, Clone, Default)]
pub struct Scorecards {
    pub all: Vec<Scorecard>,
}

impl Scorecards {
    /// Reads every file `config` names; every problem in every file, each
    /// with its file and line, when any has one. `sonar_metrics`: the
    /// metrics the SonarQube collector is configured to read.
    pub fn load(config: &ScorecardsConfig, sonar_metrics: &[String]) -> Result<Scorecards, Vec<String>> {
        let mut files = Vec::new();
        let mut problems = Vec::new();
        for path in &config.paths {
            match toml_files(path) {
                Ok(mut found) => files.append(&mut found),
                Err(problem) => problems.push(problem),
            }
        }
        let mut texts = Vec::new();
        for file in files {
            match read_bounded(&file, config.max_file_bytes) {
                Ok(text) => texts.push((file, text)),
                Err(problem) => problems.push(problem),
            }
        }
        let mut files: Vec<(&Path, &str)> = texts.iter().map(|(file, text)| (file.as_path(), text.as_str())).collect();
        if config.builtin {
            files.push((Path::new(DEMO.0), DEMO.1));
        }
        let read = Scorecards::read_with(files, sonar_metrics, &config.limits());
        match (read, problems.is_empty()) {
            (Ok(scorecards), true) => Ok(scorecards),
            (Ok(_), false) => Err(problems),
            (Err(mut more), _) => {
                problems.append(&mut more);
                Err(problems)
            }
        }
    }

    /// The demo's scorecard.
    pub fn demo() -> Scorecards {
        Scorecards::read([(Path::new(DEMO.0), DEMO.1)]).expect("the demo scorecard is checked by its tests")
    }

    /// Scorecards from (file, text) pairs.
    pub fn read<'a>(files: impl IntoIterator<Item = (&'a Path, &'a str)>) -> Result<Scorecards, Vec<String>> {
        Scorecards::read_with(files, &[], &ScorecardLimits::default())
    }

    fn read_with<'a>(
        files: impl IntoIterator<Item = (&'a Path, &'a str)>,
        sonar_metrics: &[String],
        limits: &ScorecardLimits,
    ) -> Result<Scorecards, Vec<String>> {
        let mut all: Vec<Scorecard> = Vec::new();
        let mut problems = Vec::new();
        let mut total = 0;
        for (file, text) in files {
            match definition::read(file, text, sonar_metrics, limits) {
                Ok(card) if total + card.rules.len() > limits.max_total_rules => problems.push(format!(
                    "{}: its {} rules make {} in all, more than scorecards.max_total_rules ({})",
                    card.file,
                    card.rules.len(),
                    total + card.rules.len(),
                    limits.max_total_rules
                )),
                Ok(card) => match all.iter().find(|c| c.name == card.name) {
                    Some(first) => problems.push(format!(
                        "{}: a scorecard named \"{}\" is already defined in {}",
                        card.file, card.name, first.file
                    )),
                    None => {
                        total += card.rules.len();
                        all.push(card)
                    }
                },
                Err(mut wrong) => problems.append(&mut wrong),
            }
        }
        match problems.is_empty() {
            true => Ok(Scorecards { all }),
            false => Err(problems),
        }
    }

    pub fn get(&self, name: &str) -> Result<&Scorecard, String> {
        self.all.iter().find(|c| c.name == name).ok_or_else(|| {
            let names: Vec<&str> = self.all.iter().map(|c| c.name.as_str()).collect();
            match names.is_empty() {
                true => format!("no scorecard named \"{name}\": none is configured ([scorecards] paths)"),
                false => format!("no scorecard named \"{name}\" (scorecards: {})", names.join(", ")),
            }
        })
    }
}

/// A scorecard file's text, when it is no larger than `max_bytes` (asked
/// of its metadata first, and bounded while reading: it may still grow).
fn read_bounded(file: &Path, max_bytes: u64) -> Result<String, String> {
    use std::io::Read;
    let cannot = |e: std::io::Error| format!("scorecards.paths: cannot read {}: {e}", file.display());
    let too_large =
        |size: u64| format!("{}: {size} bytes, more than scorecards.max_file_bytes ({max_bytes})", file.display());
    let size = std::fs::metadata(file).map_err(cannot)?.len();
    if size > max_bytes {
        return Err(too_large(size));
    }
    let mut text = String::new();
    let opened = std::fs::File::open(file).map_err(cannot)?;
    opened.take(max_bytes + 1).read_to_string(&mut text).map_err(cannot)?;
    if text.len() as u64 > max_bytes {
        return Err(too_large(text.len() as u64));
    }
    Ok(text)
}

/// A file as itself, a folder as its `*.toml` files in name order.
fn toml_files(path: &Path) -> Result<Vec<PathBuf>, String> {
    if path.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    let entries = std::fs::read_dir(path)
        .map_err(|e| format!("scorecards.paths: {} is neither a file nor a readable folder: {e}", path.display()))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    Ok(files)
}
