//! What an observation must be as JSON before its fields are read: one
//! object, no key twice in any object at any depth (JSON readers disagree
//! on which one wins, so the file would mean different things to different
//! tools), and no integer beyond 64 bits (it would be rounded to a float
//! silently: 123456789012345678901234567890 becomes 1.2345678901234568e29).
//!
//! serde_json hands a visitor an integer too large for 64 bits as an `f64`,
//! exactly as it hands it `1.5e29`: only the text tells them apart. Each
//! value is therefore taken as its raw text (`RawValue`) and looked at:
//! numbers by their digits, objects and arrays by walking into them. This
//! reads a value once per level that encloses it, which for observations
//! (a few levels of `attrs`) costs little, and it needs no crate feature
//! that would change how numbers work for the rest of the workspace
//! (`arbitrary_precision`).

use std::cell::RefCell;
use std::fmt;

use rustc_hash::FxHashSet;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use spot_model::untrusted::quote;

/// Deepest nesting walked; serde_json itself refuses more than 128 levels.
const MAX_DEPTH: usize = 128;

/// Why a text is not a strict observation.
#[derive(Debug)]
pub enum StrictError {
    /// Not JSON at all: serde_json's error, with its line and column.
    Syntax(serde_json::Error),
    /// JSON, but not as an observation must be; names where.
    Problem(String),
}

/// Checks that `text` is one JSON object with no duplicate keys and no
/// integer beyond 64 bits anywhere.
pub fn check(text: &str) -> Result<(), StrictError> {
    if text.starts_with('\u{feff}') {
        return Err(StrictError::Problem("starts with a byte order mark (BOM): save it as UTF-8 without one".into()));
    }
    if text.trim().is_empty() {
        return Err(StrictError::Problem("is empty: an observation is one JSON object".into()));
    }
    let problem = RefCell::new(None);
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let walked = Walk { at: Path::Root, depth: 0, problem: &problem }
        .deserialize(&mut deserializer)
        .and_then(|()| deserializer.end());
    match (walked, problem.into_inner()) {
        (_, Some(problem)) => Err(StrictError::Problem(problem)),
        (Err(e), None) => Err(StrictError::Syntax(e)),
        (Ok(()), None) => Ok(()),
    }
}

/// Keys longer than this are quoted (and so cut) in a path.
const PLAIN_KEY_LEN: usize = 40;

/// Where a value sits, e.g. `entities[3].attrs.owner`, or with a key that
/// is not a plain word, `attrs['a b']`; formatted only when something is
/// wrong there.
#[derive(Clone, Copy)]
enum Path<'a> {
    Root,
    Key(&'a Path<'a>, &'a str),
    Index(&'a Path<'a>, usize),
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Path::Root => Ok(()),
            Path::Key(parent, key) => {
                parent.fmt(f)?;
                let plain = (1..=PLAIN_KEY_LEN).contains(&key.len())
                    && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
                match (plain, parent) {
                    (true, Path::Root) => f.write_str(key),
                    (true, _) => write!(f, ".{key}"),
                    (false, _) => write!(f, "[{}]", quote(key)),
                }
            }
            Path::Index(parent, index) => write!(f, "{parent}[{index}]"),
        }
    }
}

/// `problem`, prefixed with where it is unless that is the whole document.
fn at(path: Path<'_>, problem: String) -> String {
    match path {
        Path::Root => problem,
        _ => format!("{path}: {problem}"),
    }
}

/// Walks one value, recording the first problem in `problem` (serde's own
/// error type cannot carry a message without serde_json appending a line
/// and column that, below the top level, would count from the wrong place).
struct Walk<'a> {
    at: Path<'a>,
    depth: usize,
    problem: &'a RefCell<Option<String>>,
}

impl Walk<'_> {
    fn fail<E: de::Error>(&self, problem: String) -> E {
        *self.problem.borrow_mut() = Some(problem);
        E::custom("not a strict observation")
    }

    /// Checks one value from its raw text.
    fn value<E: de::Error>(&self, raw: &RawValue) -> Result<(), E> {
        let text = raw.get();
        match text.as_bytes().first() {
            Some(b'{' | b'[') => self.container(text),
            Some(b'-' | b'0'..=b'9') => match integer_problem(text) {
                Some(problem) => Err(self.fail(at(self.at, problem))),
                None => Ok(()),
            },
            _ => Ok(()),
        }
    }

    fn container<E: de::Error>(&self, text: &str) -> Result<(), E> {
        if self.depth >= MAX_DEPTH {
            return Err(self.fail(at(self.at, format!("nested deeper than {MAX_DEPTH} levels"))));
        }
        let mut deserializer = serde_json::Deserializer::from_str(text);
        Walk { at: self.at, depth: self.depth + 1, problem: self.problem }.deserialize(&mut deserializer).map_err(|e| {
            match self.problem.borrow().is_some() {
                true => E::custom("not a strict observation"),
                false => E::custom(e),
            }
        })
    }
}

/// The problem of a number's text, when it is an integer beyond 64 bits.
fn integer_problem(text: &str) -> Option<String> {
    if text.contains(['.', 'e', 'E']) {
        return None; // a float: written as one, read as one
    }
    let fits = match text.strip_prefix('-') {
        Some(_) => text.parse::<i64>().is_ok(),
        None => text.parse::<u64>().is_ok(),
    };
    (!fits).then(|| {
        format!(
            "the integer {} does not fit in 64 bits and would be rounded; write it as a string to keep every digit",
            quote(text)
        )
    })
}

impl<'de> DeserializeSeed<'de> for Walk<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walk<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = FxHashSet::default();
        while let Some(key) = map.next_key::<String>()? {
            if seen.contains(&key) {
                return Err(self.fail(at(self.at, format!("the key {} appears twice", quote(&key)))));
            }
            let raw: &RawValue = map.next_value()?;
            Walk { at: Path::Key(&self.at, &key), depth: self.depth, problem: self.problem }.value::<A::Error>(raw)?;
            seen.insert(key);
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        if let Path::Root = self.at {
            return Err(self.fail(top_level_problem("an array")));
        }
        let mut index = 0;
        while let Some(raw) = seq.next_element::<&RawValue>()? {
            Walk { at: Path::Index(&self.at, index), depth: self.depth, problem: self.problem }.value(raw)?;
            index += 1;
        }
        Ok(())
    }

    // Scalars at the top level are not observations; inside one, any is fine
    // (numbers were checked from their text before getting here).
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        self.scalar("true or false")
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        self.scalar("a number")
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        self.scalar("a number")
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        self.scalar("a number")
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        self.scalar("a string")
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.scalar("null")
    }
}

impl Walk<'_> {
    fn scalar<E: de::Error>(&self, what: &str) -> Result<(), E> {
        match self.at {
            Path::Root => Err(self.fail(top_level_problem(what))),
            _ => Ok(()),
        }
    }
}

fn top_level_problem(what: &str) -> String {
    let hint = if what == "an array" { " (to ingest several observations, give each its own file)" } else { "" };
    format!("an observation is one JSON object; this one is {what}{hint}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(text: &str) -> String {
        match check(text) {
            Err(StrictError::Problem(problem)) => problem,
            other => panic!("expected a problem, got {other:?}"),
        }
    }

    #[test]
    fn a_plain_object_passes() {
        let text = r#"{"a": 1, "b": [1, -2, 3.5, 1e300, 18446744073709551615, -9223372036854775808],
                       "c": {"d": {"e": null, "f": "x"}, "g": true}}"#;
        assert!(check(text).is_ok());
    }

    #[test]
    fn a_duplicate_key_at_any_depth_is_named_with_its_place() {
        assert_eq!(problem(r#"{"a": 1, "a": 2}"#), "the key 'a' appears twice");
        assert_eq!(
            problem(r#"{"entities": [{"attrs": {"team": {"owner": "x", "owner": "y"}}}]}"#),
            "entities[0].attrs.team: the key 'owner' appears twice"
        );
        assert_eq!(problem(r#"{"a": [[{"b c": {"x": 1, "x": 1}}]]}"#), "a[0][0]['b c']: the key 'x' appears twice");
    }

    #[test]
    fn an_integer_beyond_64_bits_is_refused_and_a_float_is_not() {
        assert_eq!(
            problem(r#"{"attrs": {"big": 123456789012345678901234567890}}"#),
            "attrs.big: the integer '123456789012345678901234567890' does not fit in 64 bits and would be rounded; \
             write it as a string to keep every digit"
        );
        assert!(problem(r#"{"a": [18446744073709551616]}"#).starts_with("a[0]: the integer"));
        assert!(problem(r#"{"a": -9223372036854775809}"#).starts_with("a: the integer"));
        assert!(check(r#"{"a": 1.2345678901234568e29, "b": 123456789012345678901234567890.0}"#).is_ok());
    }

    #[test]
    fn the_top_level_must_be_one_object() {
        assert_eq!(
            problem("[]"),
            "an observation is one JSON object; this one is an array \
             (to ingest several observations, give each its own file)"
        );
        assert!(problem(r#"[{"source": "x"}]"#).contains("this one is an array"));
        assert_eq!(problem(r#""observation""#), "an observation is one JSON object; this one is a string");
        assert_eq!(problem("42"), "an observation is one JSON object; this one is a number");
        assert_eq!(problem("null"), "an observation is one JSON object; this one is null");
        assert_eq!(problem(" \n "), "is empty: an observation is one JSON object");
        assert_eq!(problem("\u{feff}{}"), "starts with a byte order mark (BOM): save it as UTF-8 without one");
    }

    #[test]
    fn syntax_errors_keep_their_line_and_column() {
        match check("{\n  \"a\": [1,\n}") {
            Err(StrictError::Syntax(e)) => assert_eq!((e.line(), e.column()), (3, 1)),
            other => panic!("{other:?}"),
        }
        assert!(matches!(check("{} {}"), Err(StrictError::Syntax(_))));
    }

    #[test]
    fn nesting_is_bounded() {
        let deep = format!("{{\"a\": {}{}}}", "[".repeat(200), "]".repeat(200));
        let result = check(&deep);
        assert!(result.is_err(), "{result:?}");
    }
}
