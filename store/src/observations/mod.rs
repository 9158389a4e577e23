//! Reading observation files: the generic ingest format any team can use to
//! push a source SPoT has no collector for (`schema/observation.schema.json`).
//!
//! The text is untrusted: every error names where the problem is, quotes
//! what it echoes bounded and on one line (`spot_model::untrusted`), and no
//! input makes the parser panic (`tests/observation_fuzz.rs`).

mod strict;

use std::path::Path;

use spot_model::untrusted::one_line;
use spot_model::Observation;

/// Problems listed in one error; a file with more says how many more.
const PROBLEMS_SHOWN: usize = 20;

#[derive(Debug, thiserror::Error)]
pub enum ObservationFileError {
    #[error("{path}: cannot read: {reason}")]
    Unreadable { path: String, reason: String },
    #[error("{path}: line {line}, column {column}: {reason}")]
    Malformed { path: String, line: usize, column: usize, reason: String },
    #[error("{path}: {}", summary(.problems))]
    Invalid { path: String, problems: Vec<String> },
}

/// The first problems, and how many more there are.
fn summary(problems: &[String]) -> String {
    let mut text = problems.iter().take(PROBLEMS_SHOWN).map(String::as_str).collect::<Vec<_>>().join("; ");
    if problems.len() > PROBLEMS_SHOWN {
        text.push_str(&format!("; and {} more problems", problems.len() - PROBLEMS_SHOWN));
    }
    text
}

/// Reads and validates one observation; every problem names where it is.
pub fn read_file(path: &Path) -> Result<Observation, ObservationFileError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| ObservationFileError::Unreadable { path: one_line(&shown), reason: e.to_string() })?;
    parse(&shown, &text)
}

/// Parses and validates an observation from JSON text; `origin` names it in
/// errors.
pub fn parse(origin: &str, text: &str) -> Result<Observation, ObservationFileError> {
    let origin = one_line(origin);
    strict::check(text).map_err(|e| match e {
        strict::StrictError::Syntax(e) => malformed(&origin, &e, None),
        // A path through many long keys is long however each is cut.
        strict::StrictError::Problem(problem) => invalid(&origin, vec![one_line(&problem)]),
    })?;
    let observation = read_fields(&origin, text)?;
    observation.validate().map_err(|problems| invalid(&origin, problems.iter().map(ToString::to_string).collect()))?;
    Ok(observation)
}

/// The typed reading; a field of the wrong type or shape is named by its
/// path (`entities[2].attrs`), not only by its line and column.
fn read_fields(origin: &str, text: &str) -> Result<Observation, ObservationFileError> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
        let field = e.path().to_string();
        malformed(origin, e.inner(), Some(field))
    })
}

fn malformed(origin: &str, error: &serde_json::Error, field: Option<String>) -> ObservationFileError {
    // serde_json appends " at line L column C"; we already say where.
    let message = strip_position(&error.to_string());
    let reason = match field.filter(|f| f != "." && error.classify() == serde_json::error::Category::Data) {
        Some(field) => format!("{field}: {message}"),
        None => message,
    };
    ObservationFileError::Malformed {
        path: origin.to_string(),
        line: error.line(),
        column: error.column(),
        reason: one_line(&reason),
    }
}

fn invalid(origin: &str, problems: Vec<String>) -> ObservationFileError {
    ObservationFileError::Invalid { path: origin.to_string(), problems }
}

fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_string(),
        None => message.to_string(),
    }
}

#[cfg(test)]
mod tests;
