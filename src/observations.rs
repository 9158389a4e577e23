//! Reading observation files: the generic ingest format any team can use to
//! push a source SPoT has no collector for (`schema/observation.schema.json`).

use std::path::Path;

use collectors::Observation;

#[derive(Debug, thiserror::Error)]
pub enum ObservationFileError {
    #[error("{path}: cannot read: {reason}")]
    Unreadable { path: String, reason: String },
    #[error("{path}: line {line}, column {column}: {reason}")]
    Malformed { path: String, line: usize, column: usize, reason: String },
    #[error("{path}: {}", problems.join("; "))]
    Invalid { path: String, problems: Vec<String> },
}

/// Reads and validates one observation; every problem names where it is.
pub fn read_file(path: &Path) -> Result<Observation, ObservationFileError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| ObservationFileError::Unreadable { path: shown.clone(), reason: e.to_string() })?;
    parse(&shown, &text)
}

/// Parses and validates an observation from JSON text; `origin` names it in
/// errors.
pub fn parse(origin: &str, text: &str) -> Result<Observation, ObservationFileError> {
    let observation: Observation = serde_json::from_str(text).map_err(|e| ObservationFileError::Malformed {
        path: origin.to_string(),
        line: e.line(),
        column: e.column(),
        // serde_json appends " at line L column C"; we already said where.
        reason: strip_position(&e.to_string()),
    })?;
    observation.validate().map_err(|problems| ObservationFileError::Invalid {
        path: origin.to_string(),
        problems: problems.iter().map(ToString::to_string).collect(),
    })?;
    Ok(observation)
}

fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_string(),
        None => message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_syntax_error_names_its_line_and_column() {
        let err = parse("obs.json", "{\n  \"source\": \"x\",\n  \"scope\" \"y\"\n}").unwrap_err();
        assert_eq!(err.to_string(), "obs.json: line 3, column 11: expected `:`");
    }

    #[test]
    fn a_missing_field_is_named() {
        let err = parse("obs.json", r#"{"source":"x","scope":"y","complete":true}"#).unwrap_err();
        assert!(err.to_string().contains("missing field `day`"), "{err}");
    }

    #[test]
    fn a_bad_date_is_named() {
        let json = r#"{"source":"x","scope":"y","day":"2024-02-30","complete":true}"#;
        let err = parse("obs.json", json).unwrap_err();
        assert!(err.to_string().contains("'2024-02-30' is not a date"), "{err}");
    }

    #[test]
    fn semantic_problems_name_their_field() {
        let json = r#"{"source":"x","scope":"y","day":"2024-02-03","complete":true,
            "entities":[{"key":"nokind","kind":"service","name":"a"}]}"#;
        let err = parse("obs.json", json).unwrap_err();
        assert!(err.to_string().starts_with("obs.json: entities[0].key: 'nokind' is not an entity key"), "{err}");
    }
}
