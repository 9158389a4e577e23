//! A cache of parsed GraphQL documents. API clients send the same few
//! operations over and over with different variables; parsing each one
//! again is pure overhead. Validation (and with it the depth and complexity
//! limits) still runs on every request.
//!
//! The cache hands async-graphql the parsed document before execution
//! instead of being a schema extension: with any extension installed,
//! async-graphql routes every field of every response through the extension
//! chain, which cost more than the parsing it saved.

use std::collections::HashMap;
use std::sync::Mutex;

use async_graphql::parser::types::{DocumentOperations, ExecutableDocument};
use async_graphql::Request;

/// Most distinct documents kept; past that the cache starts over, so a
/// client sending ever-new documents cannot grow it without bound.
const CAPACITY: usize = 512;
/// Longer documents are not worth keeping.
const MAX_DOCUMENT: usize = 16 * 1024;

#[derive(Clone)]
struct Parsed {
    document: ExecutableDocument,
    /// The name of the document's only operation, if it has one and it is named.
    only_operation: Option<String>,
}

#[derive(Default)]
pub struct Documents {
    parsed: Mutex<HashMap<String, Parsed>>,
}

impl Documents {
    /// Attaches the parsed document to `request`, parsing its text once per
    /// distinct text, and returns the name of the operation it runs (empty
    /// when anonymous). A document that does not parse is left for
    /// async-graphql to reject with its usual message.
    pub fn prepare(&self, request: &mut Request) -> String {
        let Some(parsed) = self.parsed(&request.query) else { return String::new() };
        let name = request.operation_name.clone().or(parsed.only_operation).unwrap_or_default();
        request.set_parsed_query(parsed.document);
        name
    }

    fn parsed(&self, query: &str) -> Option<Parsed> {
        if let Some(parsed) = self.parsed.lock().unwrap_or_else(|p| p.into_inner()).get(query) {
            return Some(parsed.clone());
        }
        let document = async_graphql::parser::parse_query(query).ok()?;
        let only_operation = match &document.operations {
            DocumentOperations::Multiple(operations) if operations.len() == 1 => {
                operations.keys().next().map(|name| name.to_string())
            }
            _ => None,
        };
        let parsed = Parsed { document, only_operation };
        if query.len() <= MAX_DOCUMENT {
            let mut cache = self.parsed.lock().unwrap_or_else(|p| p.into_inner());
            if cache.len() >= CAPACITY {
                cache.clear();
            }
            cache.insert(query.to_string(), parsed.clone());
        }
        Some(parsed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_operation_a_request_runs() {
        let documents = Documents::default();
        let mut named = Request::new("query Lookup { ok }");
        assert_eq!(documents.prepare(&mut named), "Lookup");
        let mut anonymous = Request::new("{ ok }");
        assert_eq!(documents.prepare(&mut anonymous), "");
        let mut chosen = Request::new("query A { ok } query B { ok }").operation_name("B");
        assert_eq!(documents.prepare(&mut chosen), "B");
        let mut ambiguous = Request::new("query A { ok } query B { ok }");
        assert_eq!(documents.prepare(&mut ambiguous), "");
    }

    #[test]
    fn parses_each_text_once_and_leaves_bad_text_alone() {
        let documents = Documents::default();
        for _ in 0..3 {
            documents.prepare(&mut Request::new("query Lookup { ok }"));
        }
        assert_eq!(documents.parsed.lock().unwrap().len(), 1);
        let mut broken = Request::new("query {");
        assert_eq!(documents.prepare(&mut broken), "");
        assert_eq!(documents.parsed.lock().unwrap().len(), 1);
    }
}
