//! The whole history as JSON Lines: every entity, every version of every
//! fact and relation, every run, deploy event and action (with the
//! Kubernetes watch's memory). `spot export`
//! writes it from one store and `spot import` reads it into another (an
//! empty one), so a history moves between stores exactly.
//!
//! One record per line, tagged by `type`; the first line is the header.
//! Days are ISO dates; an open version has `valid_to: null`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::model::{Day, Run};

/// The format's name and version, in the header line.
pub const FORMAT: &str = "spot-history";
pub const VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Record {
    Header {
        format: String,
        version: u32,
    },
    Entity {
        key: String,
        kind: String,
        name: String,
    },
    Fact {
        entity: String,
        source: String,
        scope: String,
        attrs: Map<String, Value>,
        valid_from: Day,
        valid_to: Option<Day>,
    },
    Relation {
        from: String,
        to: String,
        kind: String,
        source: String,
        scope: String,
        attrs: Map<String, Value>,
        valid_from: Day,
        valid_to: Option<Day>,
    },
    Run {
        source: String,
        scope: String,
        day: Day,
        status: String,
        added: u64,
        changed: u64,
        closed: u64,
        unchanged: u64,
        started_at_ms: i64,
        duration_ms: i64,
        error: Option<String>,
        attempts: u32,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        warnings: Vec<String>,
    },
    /// A deploy event (the orchestrator's); the fields delivery metrics
    /// added are optional, so older files still read.
    DeployEvent(crate::model::DeployEvent),
    /// An action on a workload (the Kubernetes watch's).
    Action(crate::model::Action),
    /// What the Kubernetes watch remembers of one object, so that a
    /// restored store resumes where the watch was rather than backfilling.
    WatchMemory(crate::model::Remembered),
}

impl Record {
    pub fn header() -> Record {
        Record::Header { format: FORMAT.into(), version: VERSION }
    }
}

/// What an import reads: a record, or the reason the reader gave up,
/// which aborts the import.
pub type Incoming = Result<Record, TransferError>;

/// Why a history file cannot be imported, naming the file and line; the
/// parser's or the reader's own error is kept as the source.
#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    #[error("{file}:{line}: {source}")]
    BadLine { file: String, line: u64, source: serde_json::Error },
    #[error("{file}:{line}: {source}")]
    Unreadable { file: String, line: u64, source: std::io::Error },
    #[error("{file}:1: a {format} v{version} file; this SPoT reads {FORMAT} v{VERSION}")]
    OtherFormat { file: String, format: String, version: u32 },
    #[error("{file}:1: not a SPoT history: the first line must be its header")]
    NoHeader { file: String },
    #[error("{file} is empty: not a SPoT history")]
    Empty { file: String },
    #[error("a version must start before it ends ({from} to {to})")]
    BackwardsVersion { from: Day, to: Day },
}

/// What an import wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Imported {
    pub entities: u64,
    pub fact_versions: u64,
    pub relation_versions: u64,
    pub runs: u64,
    pub deploy_events: u64,
    #[serde(default)]
    pub actions: u64,
    #[serde(default)]
    pub watch_memory: u64,
}

impl From<Run> for Record {
    fn from(run: Run) -> Record {
        Record::Run {
            source: run.source,
            scope: run.scope,
            day: run.day,
            status: run.status.as_str().to_string(),
            added: run.counts.added,
            changed: run.counts.changed,
            closed: run.counts.closed,
            unchanged: run.counts.unchanged,
            started_at_ms: run.started_at_ms,
            duration_ms: run.duration_ms,
            error: run.error,
            attempts: run.attempts,
            warnings: run.warnings,
        }
    }
}

/// A version's end (open when absent), checked to come after its start:
/// what every store's import refuses otherwise.
pub fn checked_range(from: Day, to: Option<Day>) -> Result<Day, TransferError> {
    let to = to.unwrap_or(Day::OPEN);
    if from >= to {
        return Err(TransferError::BackwardsVersion { from, to });
    }
    Ok(to)
}

/// Parses one line; the error names the line and what is wrong with it.
pub fn parse_line(file: &str, number: u64, line: &str) -> Result<Record, TransferError> {
    let record: Record = serde_json::from_str(line).map_err(|source| TransferError::BadLine {
        file: file.to_string(),
        line: number,
        source,
    })?;
    if number == 1 {
        match &record {
            Record::Header { format, version } if format == FORMAT && *version == VERSION => {}
            Record::Header { format, version } => {
                return Err(TransferError::OtherFormat {
                    file: file.to_string(),
                    format: format.clone(),
                    version: *version,
                });
            }
            _ => return Err(TransferError::NoHeader { file: file.to_string() }),
        }
    }
    Ok(record)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_tagged_lines_with_iso_days() {
        let fact = Record::Fact {
            entity: "service:a".into(),
            source: "consul".into(),
            scope: "dc1".into(),
            attrs: serde_json::json!({ "passing": 3 }).as_object().unwrap().clone(),
            valid_from: "2026-11-20".parse().unwrap(),
            valid_to: None,
        };
        let line = serde_json::to_string(&fact).unwrap();
        assert_eq!(
            line,
            r#"{"type":"fact","entity":"service:a","source":"consul","scope":"dc1","attrs":{"passing":3},"valid_from":"2026-11-20","valid_to":null}"#
        );
        assert_eq!(parse_line("h.jsonl", 2, &line).unwrap(), fact);
    }

    #[test]
    fn a_file_must_start_with_a_header_of_this_version() {
        let header = serde_json::to_string(&Record::header()).unwrap();
        assert!(parse_line("h.jsonl", 1, &header).is_ok());
        let err = parse_line("h.jsonl", 1, r#"{"type":"entity","key":"a:b","kind":"a","name":"b"}"#).unwrap_err();
        assert_eq!(err.to_string(), "h.jsonl:1: not a SPoT history: the first line must be its header");
        let err = parse_line("h.jsonl", 1, r#"{"type":"header","format":"spot-history","version":9}"#).unwrap_err();
        assert!(err.to_string().contains("this SPoT reads spot-history v1"), "{err}");
        let err = parse_line("h.jsonl", 7, r#"{"type":"fact","entity":"a:b"}"#).unwrap_err();
        assert!(err.to_string().starts_with("h.jsonl:7: missing field"), "{err}");
        assert!(std::error::Error::source(&err).is_some(), "the parser's error is kept as the source");
    }
}
