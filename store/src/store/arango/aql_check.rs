//! Checks on the AQL files themselves, run in CI without a server: each
//! query's bind parameters are exactly those its Rust function supplies,
//! every name it uses is a variable it declares or a collection of
//! `schema/arangodb/schema.json`, and the as-of queries hide attempts in
//! flight.

use std::collections::BTreeSet;

use super::queries::{self, ALL};
use super::schema::schema;

/// A query's text without its comments.
fn strip_comments(text: &str) -> String {
    text.lines().map(|line| line.split("//").next().unwrap_or("")).collect::<Vec<_>>().join("\n")
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String),
    Bind(String),
    Str(String),
    Punct(char),
    Number,
}

/// The tokens of a query (comments are `//` to the end of a line; the
/// query files use no other kind, and no `//` inside strings).
fn tokens(text: &str) -> Vec<Token> {
    let code = strip_comments(text);
    let chars: Vec<char> = code.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let word = |i: &mut usize| {
        let start = *i;
        while *i < chars.len() && (chars[*i].is_ascii_alphanumeric() || chars[*i] == '_') {
            *i += 1;
        }
        chars[start..*i].iter().collect::<String>()
    };
    while i < chars.len() {
        let c = chars[i];
        if c == '@' {
            i += 1;
            if chars.get(i) == Some(&'@') {
                i += 1;
            }
            out.push(Token::Bind(word(&mut i)));
        } else if c == '"' || c == '\'' {
            let mut literal = String::new();
            i += 1;
            while i < chars.len() && chars[i] != c {
                if chars[i] == '\\' {
                    i += 1;
                }
                literal.extend(chars.get(i));
                i += 1;
            }
            i += 1;
            out.push(Token::Str(literal));
        } else if c.is_ascii_digit() {
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
            out.push(Token::Number);
        } else if c.is_ascii_alphabetic() || c == '_' {
            out.push(Token::Word(word(&mut i)));
        } else if c.is_whitespace() {
            i += 1;
        } else {
            out.push(Token::Punct(c));
            i += 1;
        }
    }
    out
}

/// The bind parameters a query uses.
pub fn bind_parameters(text: &str) -> BTreeSet<String> {
    tokens(text)
        .into_iter()
        .filter_map(|t| match t {
            Token::Bind(name) => Some(name),
            _ => None,
        })
        .collect()
}

const KEYWORDS: &[&str] = &[
    "FOR",
    "IN",
    "RETURN",
    "FILTER",
    "SORT",
    "LIMIT",
    "LET",
    "COLLECT",
    "INTO",
    "WITH",
    "COUNT",
    "AGGREGATE",
    "KEEP",
    "INSERT",
    "UPDATE",
    "REPLACE",
    "REMOVE",
    "UPSERT",
    "OPTIONS",
    "PRUNE",
    "SEARCH",
    "GRAPH",
    "OUTBOUND",
    "INBOUND",
    "ANY",
    "ALL",
    "NONE",
    "AND",
    "OR",
    "NOT",
    "LIKE",
    "ASC",
    "DESC",
    "DISTINCT",
    "TRUE",
    "FALSE",
    "NULL",
    "NEW",
    "OLD",
    "CURRENT",
];

/// Every name a query uses that is neither a keyword, a function, an
/// attribute or object key, nor a variable it declares: the collections it
/// reads or writes (`DOCUMENT("c", …)` included).
pub fn collections(text: &str) -> BTreeSet<String> {
    let tokens = tokens(text);
    let mut declared: BTreeSet<String> = BTreeSet::new();
    for (i, token) in tokens.iter().enumerate() {
        let Token::Word(name) = token else { continue };
        let next = tokens.get(i + 1);
        let after = tokens.get(i + 2);
        // `x =` (LET, COLLECT, AGGREGATE) but not `x ==`.
        if next == Some(&Token::Punct('=')) && after != Some(&Token::Punct('=')) {
            declared.insert(name.clone());
        }
        let previous = i.checked_sub(1).and_then(|j| tokens.get(j));
        if previous == Some(&Token::Word("COUNT".into())) && name == "INTO" {
            if let Some(Token::Word(variable)) = next {
                declared.insert(variable.clone());
            }
        }
        if name == "FOR" {
            for t in &tokens[i + 1..] {
                match t {
                    Token::Word(w) if w == "IN" => break,
                    Token::Word(w) => {
                        declared.insert(w.clone());
                    }
                    _ => {}
                }
            }
        }
    }
    let mut used = BTreeSet::new();
    for (i, token) in tokens.iter().enumerate() {
        let Token::Word(name) = token else { continue };
        let previous = i.checked_sub(1).and_then(|j| tokens.get(j));
        let next = tokens.get(i + 1);
        let attribute = previous == Some(&Token::Punct('.'));
        let function = next == Some(&Token::Punct('('));
        let key = next == Some(&Token::Punct(':'));
        if attribute || function || key || declared.contains(name) || KEYWORDS.contains(&name.to_uppercase().as_str()) {
            continue;
        }
        used.insert(name.clone());
    }
    // DOCUMENT("collection", …): the literal that follows DOCUMENT(.
    for window in tokens.windows(3) {
        if let [Token::Word(function), Token::Punct('('), Token::Str(name)] = window {
            if function == "DOCUMENT" {
                used.insert(name.clone());
            }
        }
    }
    used
}

#[test]
fn every_query_file_is_loaded_and_has_a_bound_sample() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../queries/arangodb");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|name| name.ends_with(".aql"))
        .map(|name| name.trim_end_matches(".aql").to_string())
        .collect();
    files.sort();
    let mut loaded: Vec<String> = ALL.iter().map(|(name, _)| name.to_string()).collect();
    loaded.sort();
    assert_eq!(files, loaded, "queries/arangodb and queries::ALL list the same files");
    let mut sampled: Vec<String> = queries::samples().iter().map(|q| q.name.to_string()).collect();
    sampled.sort();
    sampled.dedup();
    assert_eq!(sampled, loaded, "every query has a builder in queries::samples()");
}

#[test]
fn every_bind_parameter_used_is_supplied_and_every_one_supplied_is_used() {
    for query in queries::samples() {
        let used = bind_parameters(query.text);
        let supplied: BTreeSet<String> = query.binds.as_object().unwrap().keys().cloned().collect();
        assert_eq!(used, supplied, "{}.aql: used (left) and supplied (right) bind parameters differ", query.name);
    }
}

#[test]
fn every_collection_a_query_names_is_in_the_schema() {
    let declared: BTreeSet<String> = schema().collections.iter().map(|c| c.name.clone()).collect();
    let mut named = BTreeSet::new();
    for (name, text) in ALL {
        let used = collections(text);
        let unknown: Vec<&String> = used.difference(&declared).collect();
        assert!(unknown.is_empty(), "{name}.aql names {unknown:?}, which schema/arangodb/schema.json does not declare");
        named.extend(used);
    }
    for collection in ["entities", "facts", "relations", "runs", "events", "leases"] {
        assert!(named.contains(collection), "some query uses {collection}");
    }
}

#[test]
fn the_checker_catches_what_it_is_for() {
    let text =
        "// @ignored in a comment\nLET hidden = (FOR r IN runs RETURN r)\nFOR f IN factz FILTER f.x == @day AND \
                f.y NOT IN hidden LET d = DOCUMENT(\"entitiez\", @k) RETURN { day: \"@not_a_bind\" }";
    assert_eq!(bind_parameters(text), BTreeSet::from(["day".to_string(), "k".to_string()]));
    assert_eq!(collections(text), BTreeSet::from(["entitiez".to_string(), "factz".to_string(), "runs".to_string()]));
}

#[test]
fn as_of_queries_hide_attempts_in_flight() {
    let as_of = [
        "entity",
        "search",
        "edges_out",
        "edges_in",
        "traverse_outbound",
        "traverse_inbound",
        "traverse_any",
        "timeline",
        "changed_facts",
        "changed_relations",
        "spanning_facts",
        "relation_history_out",
        "relation_history_in",
        "neighbours_out",
        "neighbours_in",
        "attribute_values",
        "attribute_value_versions",
        "export_facts",
        "export_relations",
        "stats",
    ];
    for name in as_of {
        let text = ALL.iter().find(|(n, _)| *n == name).unwrap().1;
        let code = strip_comments(text);
        assert!(code.contains("NOT IN hidden"), "{name}.aql hides versions of attempts still writing");
        assert!(code.contains("pending_by IN hidden"), "{name}.aql ignores pending changes of attempts still writing");
    }
}

#[test]
fn traversals_prune_on_edge_validity_and_filter_the_path() {
    for name in ["traverse_outbound", "traverse_inbound", "traverse_any"] {
        let text = ALL.iter().find(|(n, _)| *n == name).unwrap().1;
        let code = strip_comments(text);
        let prune = code.find("PRUNE").expect("PRUNE");
        let options = code.find("OPTIONS").expect("OPTIONS");
        let pruned = &code[prune..options];
        assert!(
            pruned.contains("e.valid_from > @day") && pruned.contains("e.valid_to <= @day"),
            "{name}: PRUNE on validity"
        );
        assert!(code.contains("FILTER p.edges[*].valid_from ALL <= @day"), "{name}: the path is filtered");
        assert!(code.contains("FILTER p.edges[*].valid_to ALL > @day"), "{name}: the path is filtered");
        assert!(code.contains(r#"order: "bfs""#), "{name}: breadth first");
        assert!(code.contains("uniqueVertices"), "{name}: each vertex once");
    }
}

#[test]
fn every_query_s_brackets_balance() {
    for (name, text) in ALL {
        let mut open = Vec::new();
        for token in tokens(text) {
            match token {
                Token::Punct(c @ ('(' | '[' | '{')) => open.push(c),
                Token::Punct(c @ (')' | ']' | '}')) => {
                    let expected = match c {
                        ')' => '(',
                        ']' => '[',
                        _ => '{',
                    };
                    assert_eq!(open.pop(), Some(expected), "{name}.aql: an unmatched '{c}'");
                }
                _ => {}
            }
        }
        assert!(open.is_empty(), "{name}.aql: unclosed {open:?}");
    }
}
