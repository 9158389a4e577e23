//! The scorecard vocabulary (src/scorecards/known.rs: what scorecard rules
//! are checked against) and what the synthetic organisation writes agree,
//! both ways. Each entry of known.rs names, in its comment, the sources
//! that write it; those naming `synthetic` must be written by the synthetic
//! organisation of `spot generate` and `spot demo`, and everything it
//! writes must be listed as written by it.

use std::collections::{BTreeMap, BTreeSet};

use collectors::keys::kind_of;
use collectors::synthetic::{Org, SyntheticConfig, SyntheticRun};
use serde_json::Value;
use spot::scorecards::known::{ENTITY_KINDS, RELATION_KINDS};

/// Days of the organisation read: long enough for its rarer events (a
/// service losing its name to another claim, a lifecycle set, an outage).
const DAYS: usize = 45;

/// (entity kind or `relation:<kind>`, attribute path) → the sources its
/// comment in known.rs names.
type Listed = BTreeMap<(String, String), BTreeSet<String>>;

/// Reads known.rs as text: comments are not in the syntax tree, and they
/// are what says who writes an entry.
fn listed() -> Listed {
    let text = include_str!("../src/scorecards/known.rs");
    let mut listed = Listed::new();
    let mut relations = false;
    let mut owner: Option<String> = None;
    // Inside a multi-line `open: &[…]`: map prefixes, not entries.
    let mut in_open = false;
    for line in text.lines().map(str::trim) {
        if line.starts_with("pub const RELATION_KINDS") {
            relations = true;
        }
        if line.starts_with("open: &[") {
            in_open = !line.ends_with("],");
            continue;
        }
        if in_open {
            in_open = !line.starts_with("],");
            continue;
        }
        if let Some(kind) = line.strip_prefix("kind: \"").and_then(|rest| rest.strip_suffix("\",")) {
            owner = Some(if relations { format!("relation:{kind}") } else { kind.to_string() });
            continue;
        }
        let (Some(owner), Some(rest)) = (&owner, line.strip_prefix('"')) else { continue };
        let Some((path, comment)) = rest.split_once("\",") else { continue };
        let sources = comment.trim().trim_start_matches("//").split(':').next().unwrap_or_default();
        let sources = sources.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
        listed.insert((owner.clone(), path.to_string()), sources);
    }
    listed
}

/// Every attribute path of `attrs` as known.rs writes them: an object's
/// path and each member's, an array's path and its elements under `*`.
fn paths(prefix: &str, value: &Value, out: &mut BTreeSet<String>) {
    let child = |name: &str| if prefix.is_empty() { name.to_string() } else { format!("{prefix}.{name}") };
    match value {
        Value::Object(members) => {
            for (name, member) in members {
                out.insert(child(name));
                paths(&child(name), member, out);
            }
        }
        Value::Array(items) => {
            for item in items {
                paths(&child("*"), item, out);
            }
        }
        _ => {}
    }
    if matches!(value, Value::Array(items) if !items.is_empty()) {
        out.insert(child("*"));
    }
}

/// What the synthetic organisation writes over [`DAYS`] days: (entity
/// kind or `relation:<kind>`, path), and each relation kind's ends.
struct Written {
    attributes: BTreeSet<(String, String)>,
    ends: BTreeSet<(String, String, String)>,
}

/// Read once for every test: generating the days is most of the time.
fn written() -> &'static Written {
    static WRITTEN: std::sync::OnceLock<Written> = std::sync::OnceLock::new();
    WRITTEN.get_or_init(generate)
}

fn generate() -> Written {
    let start = "2025-01-01".parse().unwrap();
    let config = SyntheticConfig { watch_from: Some(start), ..SyntheticConfig::new(1, 42, start) };
    let mut org = Org::new(&config);
    let mut written = Written { attributes: BTreeSet::new(), ends: BTreeSet::new() };
    for day in 0..DAYS {
        if day > 0 {
            org.advance();
        }
        for run in org.observe() {
            let SyntheticRun::Observed(observation) = run else { continue };
            for entity in &observation.entities {
                let mut found = BTreeSet::new();
                paths("", &Value::Object(entity.attrs.clone()), &mut found);
                written.attributes.extend(found.into_iter().map(|p| (entity.kind.clone(), p)));
            }
            for relation in &observation.relations {
                let owner = format!("relation:{}", relation.kind);
                let mut found = BTreeSet::new();
                paths("", &Value::Object(relation.attrs.clone()), &mut found);
                written.attributes.extend(found.into_iter().map(|p| (owner.clone(), p)));
                let end = |key: &str| kind_of(key).unwrap_or("?").to_string();
                written.ends.insert((relation.kind.clone(), end(&relation.from), end(&relation.to)));
            }
        }
    }
    written
}

/// The free-form maps of an entity kind (`labels`, `meta`): any key below
/// them is written by whoever writes the map.
fn open_map_of(kind: &str, path: &str) -> Option<&'static str> {
    let kind = ENTITY_KINDS.iter().find(|k| k.kind == kind)?;
    kind.open.iter().copied().find(|open| path.strip_prefix(open).is_some_and(|rest| rest.starts_with('.')))
}

#[test]
fn everything_the_synthetic_organisation_writes_is_listed_as_written_by_it() {
    let listed = listed();
    assert!(listed.len() > 300, "known.rs was read: {} entries", listed.len());
    let written = written();
    let mut missing = Vec::new();
    for (owner, path) in &written.attributes {
        let entry = match open_map_of(owner, path) {
            Some(open) => (owner.clone(), open.to_string()),
            None => (owner.clone(), path.clone()),
        };
        match listed.get(&entry) {
            Some(sources) if sources.contains("synthetic") => {}
            Some(sources) => missing.push(format!("{owner} {path}: listed for {sources:?}, not synthetic")),
            None => missing.push(format!("{owner} {path}: not listed")),
        }
    }
    assert!(
        missing.is_empty(),
        "src/scorecards/known.rs lacks what the synthetic organisation writes:\n  {}",
        missing.join("\n  ")
    );
}

#[test]
fn every_entry_listed_as_written_by_the_synthetic_organisation_is_written_by_it() {
    let written = &written().attributes;
    let never: Vec<String> = listed()
        .into_iter()
        .filter(|(_, sources)| sources.contains("synthetic"))
        .filter(|(entry, _)| !written.contains(entry))
        .map(|((owner, path), _)| format!("{owner} {path}"))
        .collect();
    assert!(
        never.is_empty(),
        "src/scorecards/known.rs says the synthetic organisation writes these, and in {DAYS} days it never did:\n  {}",
        never.join("\n  ")
    );
}

#[test]
fn every_relation_the_synthetic_organisation_writes_joins_kinds_the_vocabulary_names() {
    let mut wrong = Vec::new();
    for (kind, from, to) in &written().ends {
        match RELATION_KINDS.iter().find(|r| r.kind == kind) {
            Some(r) if r.from.contains(&from.as_str()) && r.to.contains(&to.as_str()) => {}
            Some(r) => wrong.push(format!("{from} -{kind}-> {to}: known.rs says {:?} -> {:?}", r.from, r.to)),
            None => wrong.push(format!("{from} -{kind}-> {to}: no such relation kind in known.rs")),
        }
    }
    assert!(wrong.is_empty(), "relations the vocabulary does not describe:\n  {}", wrong.join("\n  "));
}
