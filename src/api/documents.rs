//! A cache of parsed GraphQL documents, and the checks a document passes
//! before async-graphql validates it. API clients send the same few
//! operations over and over with different variables; parsing each one
//! again is pure overhead. Validation (and with it the depth and complexity
//! limits) still runs on every request.
//!
//! The cache hands async-graphql the parsed document before execution
//! instead of being a schema extension: with any extension installed,
//! async-graphql routes every field of every response through the extension
//! chain, which cost more than the parsing it saved.
//!
//! Before a document is handed over, its fields are counted with fragments
//! expanded (`expansion.rs`): a document over the complexity limit is
//! refused here in time linear in its size, where async-graphql's own check
//! would take time exponential in its fragments. Parse errors are written
//! here too, so that they quote no more than a few characters of the query.

use std::sync::{Arc, Mutex};

use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, OperationType};
use async_graphql::{ErrorExtensionValues, Pos, Request, ServerError};
use hashlink::LruCache;

use super::expansion::{expanded_fields, ExpansionError};
use super::order::Layout;
use collectors::untrusted::{one_line, quote};

/// Most distinct documents kept; the least recently used goes first, so a
/// client sending ever-new documents cannot grow the cache, nor push out
/// the few operations every client sends.
const CAPACITY: usize = 512;
/// Longer documents are not worth keeping.
const MAX_DOCUMENT: usize = 16 * 1024;

#[derive(Clone)]
struct Parsed {
    document: ExecutableDocument,
    /// The name of the document's only operation, if it has one and it is named.
    only_operation: Option<String>,
    /// Each operation's response layout (`None`: the anonymous one).
    layouts: Arc<Vec<(Option<String>, Layout)>>,
}

/// What a request runs, known once its document is prepared.
#[derive(Debug)]
pub struct Prepared {
    /// The operation's name; empty when anonymous.
    pub operation: String,
    /// Query, mutation or subscription; `None` when the document has no
    /// such operation (async-graphql then says so).
    pub kind: Option<OperationType>,
    layouts: Arc<Vec<(Option<String>, Layout)>>,
}

impl Prepared {
    /// Puts the response's fields in the order its query selects them.
    pub fn order(&self, response: &mut async_graphql::Response) {
        let wanted = (!self.operation.is_empty()).then_some(self.operation.as_str());
        let layout = match self.layouts.as_slice() {
            [(_, only)] => Some(only),
            several => several.iter().find(|(name, _)| name.as_deref() == wanted).map(|(_, layout)| layout),
        };
        if let Some(layout) = layout {
            layout.apply(&mut response.data);
        }
    }
}

pub struct Documents {
    parsed: Mutex<LruCache<String, Parsed>>,
    /// Most fields a document may select once its fragments are expanded
    /// (the complexity limit: every field costs at least one).
    max_fields: usize,
}

impl Documents {
    pub fn new(complexity_limit: usize) -> Documents {
        Documents { parsed: Mutex::new(LruCache::new(CAPACITY)), max_fields: complexity_limit }
    }

    /// Attaches the parsed document to `request`, parsing its text once per
    /// distinct text, and returns the name of the operation it runs (empty
    /// when anonymous). A document that does not parse, or that selects
    /// more fields than the complexity limit allows once its fragments are
    /// expanded, is refused with an error that carries `extensions.code`.
    pub fn prepare(&self, request: &mut Request) -> Result<Prepared, ServerError> {
        let parsed = self.parsed(&request.query)?;
        let kind = operation_kind(&parsed.document, request.operation_name.as_deref());
        let operation = request.operation_name.clone().or(parsed.only_operation).unwrap_or_default();
        request.set_parsed_query(parsed.document);
        Ok(Prepared { operation, kind, layouts: parsed.layouts })
    }

    fn parsed(&self, query: &str) -> Result<Parsed, ServerError> {
        if let Some(parsed) = self.lock().get(query) {
            return Ok(parsed.clone());
        }
        let document = async_graphql::parser::parse_query(query).map_err(parse_error)?;
        self.check_expansion(&document)?;
        let only_operation = match &document.operations {
            DocumentOperations::Multiple(operations) if operations.len() == 1 => {
                operations.keys().next().map(|name| name.to_string())
            }
            _ => None,
        };
        let layouts = document
            .operations
            .iter()
            .map(|(name, operation)| (name.map(|n| n.to_string()), Layout::of_operation(&document, &operation.node)))
            .collect();
        let parsed = Parsed { document, only_operation, layouts: Arc::new(layouts) };
        if query.len() <= MAX_DOCUMENT {
            self.lock().insert(query.to_string(), parsed.clone());
        }
        Ok(parsed)
    }

    fn check_expansion(&self, document: &ExecutableDocument) -> Result<(), ServerError> {
        match expanded_fields(document, self.max_fields) {
            Ok(_) => Ok(()),
            // The same words as async-graphql's own complexity check (see
            // `explain_limits`): which check caught it is no news to a client.
            Err(ExpansionError::TooManyFields { .. }) => Err(coded_error(
                format!("query is more complex than {} (limits.complexity)", self.max_fields),
                None,
                "QUERY_TOO_COMPLEX",
            )),
            Err(ExpansionError::FragmentCycle { fragment }) => Err(coded_error(
                format!("fragment {} spreads itself, directly or through other fragments", quote(&fragment)),
                None,
                "GRAPHQL_VALIDATION_FAILED",
            )),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, LruCache<String, Parsed>> {
        self.parsed.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The kind of the operation a request runs: the named one, or the only one.
fn operation_kind(document: &ExecutableDocument, name: Option<&str>) -> Option<OperationType> {
    match (&document.operations, name) {
        (DocumentOperations::Single(operation), None) => Some(operation.node.ty),
        (DocumentOperations::Single(_), Some(_)) => None,
        (DocumentOperations::Multiple(operations), Some(name)) => operations.get(name).map(|op| op.node.ty),
        (DocumentOperations::Multiple(operations), None) if operations.len() == 1 => {
            operations.values().next().map(|op| op.node.ty)
        }
        (DocumentOperations::Multiple(_), None) => None,
    }
}

/// A parse error that says where and what was expected, without the line
/// of query text the parser quotes (a one-line query of 200 KB would come
/// back whole).
fn parse_error(error: async_graphql::parser::Error) -> ServerError {
    let position = error.positions().next();
    let what = match &error {
        async_graphql::parser::Error::Syntax { message, .. } => message
            .lines()
            .rev()
            .find_map(|line| line.trim_start().strip_prefix("= "))
            .map_or_else(|| "syntax error".to_string(), one_line),
        other => one_line(&other.to_string()),
    };
    let message = match position {
        Some(pos) => format!("query does not parse at line {}, column {}: {what}", pos.line, pos.column),
        None => format!("query does not parse: {what}"),
    };
    coded_error(message, position, "GRAPHQL_PARSE_FAILED")
}

pub fn coded_error(message: String, position: Option<Pos>, code: &str) -> ServerError {
    let mut error = ServerError::new(message, position);
    let mut extensions = ErrorExtensionValues::default();
    extensions.set("code", code);
    error.extensions = Some(extensions);
    error
}

#[cfg(test)]
mod tests {
    use super::*;

    fn documents() -> Documents {
        Documents::new(5_000)
    }

    #[test]
    fn names_the_operation_a_request_runs() {
        let documents = documents();
        let mut named = Request::new("query Lookup { ok }");
        assert_eq!(documents.prepare(&mut named).unwrap().operation, "Lookup");
        let mut anonymous = Request::new("{ ok }");
        assert_eq!(documents.prepare(&mut anonymous).unwrap().operation, "");
        let mut chosen = Request::new("query A { ok } query B { ok }").operation_name("B");
        assert_eq!(documents.prepare(&mut chosen).unwrap().operation, "B");
        let mut ambiguous = Request::new("query A { ok } query B { ok }");
        assert_eq!(documents.prepare(&mut ambiguous).unwrap().operation, "");
    }

    #[test]
    fn knows_whether_a_request_subscribes() {
        let documents = documents();
        let kind = |request: Request| documents.prepare(&mut { request }).unwrap().kind;
        assert_eq!(kind(Request::new("{ ok }")), Some(OperationType::Query));
        assert_eq!(kind(Request::new("subscription Live { ok }")), Some(OperationType::Subscription));
        let both = "query A { ok } subscription B { ok }";
        assert_eq!(kind(Request::new(both).operation_name("B")), Some(OperationType::Subscription));
        assert_eq!(kind(Request::new(both).operation_name("A")), Some(OperationType::Query));
        assert_eq!(kind(Request::new(both)), None);
        assert_eq!(kind(Request::new(both).operation_name("C")), None);
    }

    #[test]
    fn parses_each_text_once_and_keeps_no_bad_text() {
        let documents = documents();
        for _ in 0..3 {
            documents.prepare(&mut Request::new("query Lookup { ok }")).unwrap();
        }
        assert_eq!(documents.lock().len(), 1);
        let mut broken = Request::new("query {");
        assert!(documents.prepare(&mut broken).is_err());
        assert_eq!(documents.lock().len(), 1);
    }

    #[test]
    fn the_most_recently_used_documents_stay_when_the_cache_is_full() {
        let documents = documents();
        documents.prepare(&mut Request::new("query Hot { ok }")).unwrap();
        for i in 0..CAPACITY * 2 {
            documents.prepare(&mut Request::new(format!("query Cold{i} {{ ok }}"))).unwrap();
            documents.prepare(&mut Request::new("query Hot { ok }")).unwrap();
        }
        assert_eq!(documents.lock().len(), CAPACITY);
        assert!(documents.lock().contains_key("query Hot { ok }"));
    }

    #[test]
    fn a_parse_error_says_where_and_quotes_no_query_text() {
        let long_line = format!("{{ a {} (", "b ".repeat(100_000));
        let error = documents().prepare(&mut Request::new(long_line)).unwrap_err();
        assert!(error.message.starts_with("query does not parse at line 1, column "), "{}", error.message);
        assert!(error.message.len() < 300, "{} bytes", error.message.len());
        let code = error.extensions.as_ref().and_then(|e| e.get("code")).cloned();
        assert_eq!(code, Some(async_graphql::Value::from("GRAPHQL_PARSE_FAILED")));
    }

    #[test]
    fn a_fragment_bomb_is_refused_before_validation() {
        let k = 30;
        let mut query = String::from("query{...f0} ");
        for i in 0..k {
            query.push_str(&format!("fragment f{i} on Query{{...f{} ...f{}}} ", i + 1, i + 1));
        }
        query.push_str(&format!("fragment f{k} on Query{{latestDay}}"));
        let error = documents().prepare(&mut Request::new(query)).unwrap_err();
        assert!(error.message.contains("(limits.complexity)"), "{}", error.message);
        let code = error.extensions.as_ref().and_then(|e| e.get("code")).cloned();
        assert_eq!(code, Some(async_graphql::Value::from("QUERY_TOO_COMPLEX")));
    }
}
