//! A cache of parsed GraphQL documents. API clients send the same few
//! operations over and over with different variables; parsing each one
//! again is pure overhead. Validation (and with it the depth and complexity
//! limits) still runs on every request.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery};
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{ServerResult, Variables};

/// Most distinct documents kept; past that the cache starts over, so a
/// client sending ever-new documents cannot grow it without bound.
const CAPACITY: usize = 512;
/// Longer documents are not worth keeping.
const MAX_DOCUMENT: usize = 16 * 1024;

#[derive(Default, Clone)]
pub struct DocumentCache {
    documents: Arc<Mutex<HashMap<String, ExecutableDocument>>>,
}

impl ExtensionFactory for DocumentCache {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(self.clone())
    }
}

#[async_trait::async_trait]
impl Extension for DocumentCache {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        if let Some(document) = self.documents.lock().unwrap_or_else(|p| p.into_inner()).get(query) {
            return Ok(document.clone());
        }
        let document = next.run(ctx, query, variables).await?;
        if query.len() <= MAX_DOCUMENT {
            let mut documents = self.documents.lock().unwrap_or_else(|p| p.into_inner());
            if documents.len() >= CAPACITY {
                documents.clear();
            }
            documents.insert(query.to_string(), document.clone());
        }
        Ok(document)
    }
}
