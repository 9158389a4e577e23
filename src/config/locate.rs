//! Where a config key is set: a line of the file, or a `SPOT_*` variable.
//! Problems about the config name it, so that each one can be found.

use toml::de::{DeTable, DeValue};

use super::env::Applied;

/// The text a config was read from, and the overrides applied to it.
pub struct Source {
    /// `spot.toml` as given, or `None` for the defaults.
    pub file: Option<String>,
    pub text: String,
    pub applied: Vec<Applied>,
}

/// One step of a key's path: `collectors`, `tokens`, `[1]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Key(String),
    Index(usize),
}

impl Source {
    /// `spot.toml:12: server.timeout: unknown field …`, or with the variable
    /// that set the key: `server.timeout (from SPOT_SERVER__TIMEOUT): …`.
    /// The message is made safe to print ([`super::shown`]).
    pub fn describe(&self, path: &[Step], message: &str) -> String {
        let key = dotted(path);
        let message = super::shown(message);
        if let Some(applied) = self.override_of(path) {
            return format!("{key} (from {}): {message}", applied.var);
        }
        let location = match (&self.file, self.line_of_key(path)) {
            (Some(file), Some(line)) => format!("{file}:{line}: "),
            (Some(file), None) => format!("{file}: "),
            (None, _) => String::new(),
        };
        match key.is_empty() {
            true => format!("{location}{message}"),
            false => format!("{location}{key}: {message}"),
        }
    }

    /// A problem that starts with its key (`server.listen: …`, as
    /// `spot config check` words them), told where that key is set; any
    /// other problem as it is, made safe to print.
    pub fn located(&self, problem: &str) -> String {
        match problem.split_once(": ").and_then(|(key, message)| Some((parse_dotted(key)?, message))) {
            Some((path, message)) => self.describe(&path, message),
            None => super::shown(problem),
        }
    }

    /// The override that set `path` or a section around it.
    fn override_of(&self, path: &[Step]) -> Option<&Applied> {
        self.applied.iter().find(|applied| {
            applied.key.len() <= path.len()
                && applied.key.iter().zip(path).all(|(key, step)| matches!(step, Step::Key(k) if k == key))
        })
    }

    /// The line (from 1) where the deepest part of `path` in the file is.
    fn line_of_key(&self, path: &[Step]) -> Option<usize> {
        let spans = DeTable::parse(&self.text).ok()?;
        offset(spans.get_ref(), path).map(|at| line_of(&self.text, at))
    }
}

/// `collectors.consul.datacenters[1]`.
pub fn dotted(path: &[Step]) -> String {
    let mut text = String::new();
    for step in path {
        match step {
            Step::Key(key) if text.is_empty() => text.push_str(key),
            Step::Key(key) => {
                text.push('.');
                text.push_str(key);
            }
            Step::Index(index) => text.push_str(&format!("[{index}]")),
        }
    }
    text
}

/// The path of a key written as [`dotted`] makes it, when `text` is one:
/// words of lowercase letters, digits, `_` and `-` (TOML's bare keys,
/// lower-cased: `[links.templates.error-budget]`), each maybe with `[n]`.
fn parse_dotted(text: &str) -> Option<Vec<Step>> {
    let mut path = Vec::new();
    for part in text.split('.') {
        let (name, index) = match part.split_once('[') {
            Some((name, rest)) => (name, Some(rest.strip_suffix(']')?.parse::<usize>().ok()?)),
            None => (part, None),
        };
        let word = !name.is_empty()
            && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
        if !word {
            return None;
        }
        path.push(Step::Key(name.to_string()));
        path.extend(index.map(Step::Index));
    }
    Some(path)
}

/// Where the deepest part of `path` present in the file starts.
fn offset(spans: &DeTable<'_>, path: &[Step]) -> Option<usize> {
    let mut at = None;
    let mut table = Some(spans);
    let mut array: Option<&[toml::Spanned<DeValue<'_>>]> = None;
    for step in path {
        let found = match step {
            Step::Key(key) => table
                .and_then(|t| t.iter().find(|(name, _)| name.get_ref() == key))
                .map(|(name, value)| (name.span().start, value)),
            Step::Index(index) => array.and_then(|items| items.get(*index)).map(|value| (value.span().start, value)),
        };
        let Some((start, value)) = found else { break };
        at = Some(start);
        (table, array) = match value.get_ref() {
            DeValue::Table(inner) => (Some(inner), None),
            DeValue::Array(items) => (None, Some(&items[..])),
            _ => (None, None),
        };
    }
    at
}

/// The line (from 1) of a byte offset.
pub fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())].iter().filter(|&&b| b == b'\n').count() + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(text: &str, applied: &[(&str, &[&str])]) -> Source {
        Source {
            file: Some("spot.toml".into()),
            text: text.into(),
            applied: applied
                .iter()
                .map(|(var, key)| Applied { var: var.to_string(), key: key.iter().map(|k| k.to_string()).collect() })
                .collect(),
        }
    }

    #[test]
    fn a_problem_names_the_line_of_its_key() {
        let source = source(
            "[server]\nlisten = \"0.0.0.0:1\"\n\n[[auth.tokens]]\nname = \"a\"\n[[auth.tokens]]\nname = \"b\"\n",
            &[],
        );
        assert_eq!(source.located("server.listen: not loopback"), "spot.toml:2: server.listen: not loopback");
        assert_eq!(source.located("auth.tokens[1].name: taken"), "spot.toml:7: auth.tokens[1].name: taken");
        assert_eq!(source.located("server.port: absent"), "spot.toml:1: server.port: absent", "the section, then");
        assert_eq!(source.located("limits.depth: a default"), "spot.toml: limits.depth: a default");
    }

    #[test]
    fn a_problem_with_a_key_set_by_a_variable_names_the_variable() {
        let source = source("", &[("SPOT_SERVER__LISTEN", &["server", "listen"])]);
        assert_eq!(
            source.located("server.listen: not loopback"),
            "server.listen (from SPOT_SERVER__LISTEN): not loopback"
        );
    }

    #[test]
    fn a_problem_that_does_not_start_with_a_key_is_kept_as_it_is() {
        let source = source("", &[]);
        assert_eq!(source.located("store.arangodb password: not set"), "store.arangodb password: not set");
        assert_eq!(source.located("no key here"), "no key here");
    }
}
