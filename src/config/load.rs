//! Reading a config with every problem found at once, each naming its file,
//! line and key (or the `SPOT_*` variable that set it).
//!
//! Serde stops at the first error, so the config is read repeatedly: each
//! error is recorded with the path of its key (`serde_path_to_error`), that
//! key is taken out, and the rest is read again, until it reads cleanly.
//! What was taken out is left at its default, so the checks that follow
//! (`spot config check`) still see everything else.

use serde_path_to_error::Segment;
use toml::{Table, Value};

use super::locate::{Source, Step};
use super::Config;

/// Bad keys reported before giving up on a file that is mostly wrong.
const MOST_PROBLEMS: usize = 100;

/// A config as far as it could be read.
pub struct Loaded {
    /// `None` when the file is not TOML at all.
    pub config: Option<Config>,
    /// Every problem, each naming its file, line and key.
    pub problems: Vec<String>,
    /// Where the config came from, to locate further problems.
    pub source: Source,
}

impl Loaded {
    /// A problem found later (`spot config check`), told where its key is set.
    pub fn located(&self, problem: &str) -> String {
        self.source.located(problem)
    }
}

/// Reads `table` (the file with its overrides applied) into a [`Config`],
/// collecting every error instead of stopping at the first; `None` when
/// nothing could be read.
pub fn deserialize(mut table: Table, source: &Source) -> (Option<Config>, Vec<String>) {
    let mut problems = Vec::new();
    let mut removed = Removed::default();
    loop {
        let error = match serde_path_to_error::deserialize::<_, Config>(Value::Table(table.clone())) {
            Ok(config) => return (Some(config), problems),
            Err(error) => error,
        };
        let path = steps(error.path());
        let original = removed.original(&path);
        problems.push(source.describe(&original, error.inner().message().trim()));
        let taken = match take_out(&mut table, &path) {
            Some(taken) if problems.len() < MOST_PROBLEMS => taken,
            _ => return (None, problems),
        };
        removed.note(&path[..taken], &original[..taken]);
    }
}

fn steps(path: &serde_path_to_error::Path) -> Vec<Step> {
    let mut steps = Vec::new();
    for segment in path.iter() {
        match segment {
            Segment::Map { key } => steps.push(Step::Key(key.clone())),
            Segment::Seq { index } => steps.push(Step::Index(*index)),
            Segment::Enum { .. } | Segment::Unknown => break,
        }
    }
    steps
}

/// Takes the value at `path` out of `table` (or, when the path goes
/// further than the table does, the deepest part of it that is there);
/// returns how many steps of `path` it took out, `None` when there is
/// nothing to take out (an error about the whole config).
fn take_out(table: &mut Table, path: &[Step]) -> Option<usize> {
    let present = (1..=path.len()).rev().find(|&n| lookup(table, &path[..n]).is_some())?;
    let (last, parents) = path[..present].split_last()?;
    let removed = match (parents.is_empty(), last) {
        (true, Step::Key(key)) => table.remove(key).is_some(),
        (false, _) => match (lookup_mut(table, parents), last) {
            (Some(Value::Table(inner)), Step::Key(key)) => inner.remove(key).is_some(),
            (Some(Value::Array(items)), Step::Index(index)) if *index < items.len() => {
                items.remove(*index);
                true
            }
            _ => false,
        },
        _ => false,
    };
    removed.then_some(present)
}

fn lookup<'t>(table: &'t Table, path: &[Step]) -> Option<&'t Value> {
    let (Step::Key(first), rest) = path.split_first()? else { return None };
    rest.iter().try_fold(table.get(first)?, |value, step| match (value, step) {
        (Value::Table(inner), Step::Key(key)) => inner.get(key),
        (Value::Array(items), Step::Index(index)) => items.get(*index),
        _ => None,
    })
}

fn lookup_mut<'t>(table: &'t mut Table, path: &[Step]) -> Option<&'t mut Value> {
    let (Step::Key(first), rest) = path.split_first()? else { return None };
    rest.iter().try_fold(table.get_mut(first)?, |value, step| match (value, step) {
        (Value::Table(inner), Step::Key(key)) => inner.get_mut(key),
        (Value::Array(items), Step::Index(index)) => items.get_mut(*index),
        _ => None,
    })
}

/// Array items taken out so far, so that later errors still name items by
/// their place in the file (`auth.tokens[2]` stays `[2]` after `[0]` went).
#[derive(Default)]
struct Removed {
    /// The original path of the array, and the original index taken out.
    items: Vec<(Vec<Step>, usize)>,
}

impl Removed {
    /// Notes what [`take_out`] did to `path` (known in the file as `original`).
    fn note(&mut self, path: &[Step], original: &[Step]) {
        if let (Some(Step::Index(_)), Some(Step::Index(index))) = (path.last(), original.last()) {
            self.items.push((original[..original.len() - 1].to_vec(), *index));
        }
    }

    /// `path`, as the table now has it, in the file's numbering.
    fn original(&self, path: &[Step]) -> Vec<Step> {
        let mut original: Vec<Step> = Vec::with_capacity(path.len());
        for step in path {
            let step = match step {
                Step::Index(index) => Step::Index(self.original_index(&original, *index)),
                key => key.clone(),
            };
            original.push(step);
        }
        original
    }

    /// The `index`-th item still there, counted in the file's numbering.
    fn original_index(&self, array: &[Step], index: usize) -> usize {
        let gone = |i: usize| self.items.iter().any(|(path, taken)| path == array && *taken == i);
        (0..).filter(|&i| !gone(i)).nth(index).unwrap_or(index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str, vars: &[(&str, &str)]) -> (Option<Config>, Vec<String>) {
        let mut table: Table = text.parse().unwrap();
        let vars = vars.iter().map(|(k, v)| (k.to_string(), v.to_string()));
        let (applied, problems) = super::super::env::apply(&mut table, vars);
        assert_eq!(problems, Vec::<String>::new());
        deserialize(table, &Source { file: Some("spot.toml".into()), text: text.into(), applied })
    }

    #[test]
    fn config_check_reports_every_unknown_key_and_bad_value_with_its_line() {
        let (config, problems) = read(
            "[server]\nlisten = \"127.0.0.1:1\"\ntimeout = 3\nport = 80\n[scheduler]\nconcurrency = -1\n",
            &[("SPOT_STORE__COLOUR", "red")],
        );
        assert_eq!(
            problems,
            [
                "spot.toml:6: scheduler.concurrency: invalid value: integer `-1`, expected usize",
                "spot.toml:4: server.port: unknown field `port`, expected one of `listen`, `request_timeout_ms`, `body_limit_bytes`, `max_connections`, `header_read_timeout_ms`, `allowed_hosts`, `metrics_access`, `metric_operations`, `websocket`",
                "spot.toml:3: server.timeout: unknown field `timeout`, expected one of `listen`, `request_timeout_ms`, `body_limit_bytes`, `max_connections`, `header_read_timeout_ms`, `allowed_hosts`, `metrics_access`, `metric_operations`, `websocket`",
                "store.colour (from SPOT_STORE__COLOUR): unknown field `colour`, expected `path` or `arangodb`",
            ]
        );
        let config = config.expect("the rest is read, the wrong keys left at their defaults");
        assert_eq!(config.server.listen.to_string(), "127.0.0.1:1");
        assert_eq!(config.scheduler.concurrency, 4);
    }

    #[test]
    fn config_check_names_array_items_by_their_place_in_the_file() {
        let (config, problems) = read(
            "[[auth.tokens]]\nscopes = [\"read\"]\n\
             [[auth.tokens]]\nname = \"fine\"\nscopes = [\"read\"]\n\
             [[auth.tokens]]\nname = \"odd\"\nscopes = [\"read\"]\ncolour = \"red\"\n",
            &[],
        );
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].ends_with(" auth.tokens[0]: missing field `name`"), "{problems:?}");
        assert!(problems[1].starts_with("spot.toml:9: auth.tokens[2].colour: unknown field `colour`"), "{problems:?}");
        let names: Vec<String> = config.unwrap().auth.tokens.into_iter().map(|t| t.name).collect();
        assert_eq!(names, ["fine", "odd"]);
    }

    #[test]
    fn an_empty_config_reads_as_the_defaults() {
        let (config, problems) = read("", &[]);
        assert!(problems.is_empty() && config.is_some());
    }
}
