//! The ArangoDB endpoints SPoT calls, each one method on [`Client`]:
//! AQL cursors, bulk import, multi-document writes, databases, stream
//! transactions, collection figures.

use reqwest::Method;
use serde_json::Value;

use super::http::{ApiError, Body, Client, Request, DUPLICATE_NAME};
use super::queries::Query;
use super::requests::{self, OnDuplicate};
use crate::store::{StoreError, StoreResult};

/// The endpoints, each one call.
impl Client {
    /// Runs an AQL query and returns every result, reading batch after
    /// batch from the cursor.
    pub async fn query(&self, query: &Query, transaction: Option<&str>) -> StoreResult<Vec<Value>> {
        let mut cursor = self.cursor(query, transaction).await?;
        let mut rows = Vec::new();
        while let Some(batch) = cursor.next().await? {
            rows.extend(batch);
        }
        Ok(rows)
    }

    /// Runs a query whose result fits one batch; an error ArangoDB reports
    /// comes back as a value (a lost race, say).
    pub async fn try_query_one(&self, query: &Query) -> StoreResult<Result<Option<Value>, ApiError>> {
        let body = requests::cursor_body(query.text, &query.binds, BATCH_SIZE, query.intermediate_commits);
        let request = Request::new(Method::POST, "/_api/cursor").json(body);
        Ok(self.try_call(request, &format!("running {}", query.name)).await?.map(|mut answer| {
            match answer.get_mut("result").map(Value::take) {
                Some(Value::Array(rows)) => rows.into_iter().next(),
                _ => None,
            }
        }))
    }

    /// Runs an AQL query; its results come batch by batch from the cursor.
    pub async fn cursor<'c>(&'c self, query: &Query, transaction: Option<&'c str>) -> StoreResult<Cursor<'c>> {
        let doing = format!("running {}", query.name);
        let body = requests::cursor_body(query.text, &query.binds, BATCH_SIZE, query.intermediate_commits);
        let request = Request { transaction, ..Request::new(Method::POST, "/_api/cursor").json(body) };
        let first = self.call(request, &doing).await?;
        Ok(Cursor { client: self, transaction, doing, answer: Some(first) })
    }

    /// Bulk import of documents, all or nothing per call.
    pub async fn import(&self, collection: &str, documents: &[Value], on_duplicate: OnDuplicate) -> StoreResult<u64> {
        if documents.is_empty() {
            return Ok(0);
        }
        let query = requests::import_query(collection, on_duplicate);
        let request = Request {
            body: Body::Lines(requests::import_body(documents)),
            ..Request::new(Method::POST, "/_api/import").query(&query)
        };
        let doing = format!("importing into {collection}");
        let answer = self.call(request, &doing).await?;
        let errors = answer.get("errors").and_then(Value::as_u64).unwrap_or(0);
        if errors > 0 {
            let details = answer.get("details").cloned().unwrap_or(Value::Null);
            return Err(StoreError::Backend { doing, source: format!("{errors} documents refused: {details}").into() });
        }
        let count = |field: &str| answer.get(field).and_then(Value::as_u64).unwrap_or(0);
        Ok(count("created") + count("updated") + count("ignored"))
    }

    /// Partial updates of many documents (`_key` plus the attributes to
    /// set; null removes one).
    pub async fn update_many(&self, collection: &str, documents: Vec<Value>) -> StoreResult<()> {
        self.many(Method::PATCH, requests::UPDATE_MANY_QUERY, collection, documents, "updating").await
    }

    /// Inserts many documents, leaving those that exist as they are.
    pub async fn insert_missing(&self, collection: &str, documents: Vec<Value>) -> StoreResult<()> {
        self.many(Method::POST, requests::INSERT_IGNORING_QUERY, collection, documents, "writing").await
    }

    /// One document-API call over many documents, each one's error reported.
    async fn many(
        &self,
        method: Method,
        query: &str,
        collection: &str,
        documents: Vec<Value>,
        doing: &str,
    ) -> StoreResult<()> {
        if documents.is_empty() {
            return Ok(());
        }
        let request =
            Request::new(method, format!("/_api/document/{collection}")).query(query).json(Value::Array(documents));
        let doing = format!("{doing} {collection}");
        let answer = self.call(request, &doing).await?;
        per_document_errors(&answer, &doing)
    }

    /// The server's version, e.g. `3.12.4`.
    pub async fn version(&self) -> StoreResult<String> {
        let answer = self.call(Request::new(Method::GET, "/_api/version"), "asking the server's version").await?;
        answer.get("version").and_then(Value::as_str).map(str::to_string).ok_or_else(|| StoreError::Open {
            path: self.location(),
            reason: "the server did not say its version: is this ArangoDB?".into(),
        })
    }

    /// Creates the store's database (on `_system`); true when it was new.
    pub async fn create_database(&self, one_shard: bool) -> StoreResult<bool> {
        let request = Request {
            system: true,
            ..Request::new(Method::POST, "/_api/database").json(requests::database_body(self.database(), one_shard))
        };
        match self.try_call(request, "creating the database").await? {
            Ok(_) => Ok(true),
            Err(api) if api.num == DUPLICATE_NAME => Ok(false),
            Err(api) => Err(StoreError::Open {
                path: self.location(),
                reason: format!(
                    "cannot create the database: ArangoDB error {} (HTTP {}): {}",
                    api.num, api.status, api.message
                ),
            }),
        }
    }

    /// Drops the store's database, with everything in it.
    pub async fn drop_database(&self) -> StoreResult<()> {
        let request =
            Request { system: true, ..Request::new(Method::DELETE, format!("/_api/database/{}", self.database())) };
        self.call(request, "dropping the database").await.map(|_| ())
    }

    /// Begins a read-only stream transaction over `collections`.
    pub async fn begin_read(&self, collections: &[&str]) -> StoreResult<String> {
        let request =
            Request::new(Method::POST, "/_api/transaction/begin").json(requests::read_transaction_body(collections));
        let answer = self.call(request, "beginning a read transaction").await?;
        answer.pointer("/result/id").and_then(Value::as_str).map(str::to_string).ok_or_else(|| StoreError::Backend {
            doing: "beginning a read transaction".into(),
            source: "no transaction id in the answer".into(),
        })
    }

    /// Ends a read-only stream transaction (nothing to commit).
    pub async fn end_read(&self, id: &str) {
        let request = Request::new(Method::DELETE, format!("/_api/transaction/{id}"));
        if let Err(e) = self.call(request, "ending a read transaction").await {
            tracing::warn!(error = %e, "could not end a read transaction; the server drops it when idle");
        }
    }

    /// Begins a stream transaction that writes `collections`.
    pub async fn begin_write(&self, collections: &[&str]) -> StoreResult<String> {
        let request =
            Request::new(Method::POST, "/_api/transaction/begin").json(requests::write_transaction_body(collections));
        let answer = self.call(request, "beginning a write transaction").await?;
        answer.pointer("/result/id").and_then(Value::as_str).map(str::to_string).ok_or_else(|| StoreError::Backend {
            doing: "beginning a write transaction".into(),
            source: "no transaction id in the answer".into(),
        })
    }

    /// Commits a stream transaction: everything it wrote, or (an error) nothing.
    pub async fn commit(&self, id: &str) -> StoreResult<()> {
        let request = Request::new(Method::PUT, format!("/_api/transaction/{id}"));
        self.call(request, "committing a write transaction").await.map(|_| ())
    }

    /// Aborts a stream transaction: nothing it wrote stays. A failure to
    /// abort is logged; the server aborts an idle transaction by itself.
    pub async fn abort(&self, id: &str) {
        let request = Request::new(Method::DELETE, format!("/_api/transaction/{id}"));
        if let Err(e) = self.call(request, "aborting a write transaction").await {
            tracing::warn!(error = %e, "could not abort a write transaction; the server aborts it when idle");
        }
    }

    /// Empties a collection (an import that failed).
    pub async fn truncate(&self, collection: &str) -> StoreResult<()> {
        let request = Request::new(Method::PUT, format!("/_api/collection/{collection}/truncate"));
        self.call(request, &format!("emptying {collection}")).await.map(|_| ())
    }

    /// Bytes a collection takes on disk, documents and indexes (estimates).
    pub async fn collection_bytes(&self, collection: &str) -> StoreResult<u64> {
        let request = Request::new(Method::GET, format!("/_api/collection/{collection}/figures"));
        let answer = self.call(request, &format!("measuring {collection}")).await?;
        let figure = |pointer: &str| answer.pointer(pointer).and_then(Value::as_u64).unwrap_or(0);
        Ok(figure("/figures/documentsSize") + figure("/figures/indexes/size"))
    }
}

/// Results per cursor batch.
const BATCH_SIZE: usize = 5000;

/// The batches of one query's results.
pub struct Cursor<'c> {
    client: &'c Client,
    transaction: Option<&'c str>,
    doing: String,
    /// The answer whose rows are next, or `None` once the last was read.
    answer: Option<Value>,
}

impl Cursor<'_> {
    /// The next batch of rows, `None` after the last.
    pub async fn next(&mut self) -> StoreResult<Option<Vec<Value>>> {
        let Some(mut answer) = self.answer.take() else { return Ok(None) };
        let rows = match answer.get_mut("result").map(Value::take) {
            Some(Value::Array(rows)) => rows,
            _ => Vec::new(),
        };
        let more = answer.get("hasMore").and_then(Value::as_bool).unwrap_or(false);
        if let (true, Some(id)) = (more, answer.get("id").and_then(Value::as_str)) {
            // POST reads the next batch (PUT, its older spelling, is deprecated).
            let next =
                Request { transaction: self.transaction, ..Request::new(Method::POST, format!("/_api/cursor/{id}")) };
            self.answer = Some(self.client.call(next, &self.doing).await?);
        }
        Ok(Some(rows))
    }
}

/// A multi-document call answers 2xx even when some documents failed; each
/// failed one is an object with `error: true`.
fn per_document_errors(answer: &Value, doing: &str) -> StoreResult<()> {
    let failed: Vec<String> = answer
        .as_array()
        .into_iter()
        .flatten()
        .filter(|item| item.get("error").and_then(Value::as_bool) == Some(true))
        .map(|item| {
            format!(
                "{} ({})",
                item.get("errorMessage").and_then(Value::as_str).unwrap_or("unknown error"),
                item.get("errorNum").and_then(Value::as_i64).unwrap_or(0)
            )
        })
        .collect();
    if failed.is_empty() {
        return Ok(());
    }
    Err(StoreError::Backend {
        doing: doing.to_string(),
        source: format!("{} documents refused: {}", failed.len(), failed.join("; ")).into(),
    })
}
