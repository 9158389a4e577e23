//! The request bodies and query strings SPoT sends to ArangoDB's HTTP API,
//! as pure functions: the unit tests hold each to the documented API.

use serde_json::{json, Value};

use super::schema::IndexSpec;

/// What bulk import does with a document whose `_key` exists already.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnDuplicate {
    /// Fail the whole import (`complete=true`).
    Error,
    /// Replace the stored document: re-running a write is idempotent.
    Replace,
    /// Keep the stored document.
    Ignore,
}

impl OnDuplicate {
    fn as_str(self) -> &'static str {
        match self {
            OnDuplicate::Error => "error",
            OnDuplicate::Replace => "replace",
            OnDuplicate::Ignore => "ignore",
        }
    }
}

/// `POST /_api/import?…`: JSON Lines (`type=documents`), all or nothing
/// (`complete=true`), with details of any document at fault.
pub fn import_query(collection: &str, on_duplicate: OnDuplicate) -> String {
    format!("collection={collection}&type=documents&onDuplicate={}&complete=true&details=true", on_duplicate.as_str())
}

/// The import body: one JSON object per line.
pub fn import_body(documents: &[Value]) -> String {
    let mut body = String::new();
    for document in documents {
        body.push_str(&document.to_string());
        body.push('\n');
    }
    body
}

/// `POST /_api/index?collection=…`: creating an index that exists with the
/// same definition answers 200 and changes nothing, so this is idempotent.
pub fn index_body(index: &IndexSpec) -> Value {
    json!({
        "type": index.kind,
        "name": index.name,
        "fields": index.fields,
        "unique": index.unique,
        "sparse": index.sparse,
        // Building on a populated collection must not lock it for writes.
        "inBackground": true,
    })
}

/// `POST /_api/collection`: type 2 is a document collection, 3 an edge one.
pub fn collection_body(name: &str, edge: bool) -> Value {
    json!({ "name": name, "type": if edge { 3 } else { 2 } })
}

/// `POST /_api/gharial`: the named graph over the edge collections.
pub fn graph_body(name: &str, edge_definitions: &Value) -> Value {
    json!({ "name": name, "edgeDefinitions": edge_definitions })
}

/// `POST /_api/cursor`. Modification queries commit every
/// `intermediate_commits` operations (RocksDB), so no write becomes one
/// huge transaction; every such query is written to be re-run safely.
pub fn cursor_body(query: &str, bind_vars: &Value, batch_size: usize, intermediate_commits: Option<u64>) -> Value {
    let mut body = json!({ "query": query, "bindVars": bind_vars, "batchSize": batch_size });
    if let Some(count) = intermediate_commits {
        body["options"] = json!({ "intermediateCommitCount": count });
    }
    body
}

/// `POST /_api/transaction/begin`: a read-only stream transaction, so an
/// export reads every collection as of one instant.
pub fn read_transaction_body(collections: &[&str]) -> Value {
    json!({ "collections": { "read": collections }, "allowImplicit": false })
}

/// `POST /_api/transaction/begin`: a stream transaction that writes
/// `collections`, all or nothing (`spot rollback`).
pub fn write_transaction_body(collections: &[&str]) -> Value {
    json!({ "collections": { "write": collections }, "allowImplicit": false })
}

/// `POST /_open/auth`: a JWT for a user and password.
pub fn login_body(user: &str, password: &str) -> Value {
    json!({ "username": user, "password": password })
}

/// `POST /_api/database` (on `_system`); OneShard is
/// `options.sharding: "single"` (a cluster option; a single server has one
/// shard per collection anyway).
pub fn database_body(name: &str, one_shard: bool) -> Value {
    if one_shard {
        return json!({ "name": name, "options": { "sharding": "single" } });
    }
    json!({ "name": name })
}

/// `PATCH /_api/document/{collection}?…`: partial updates of many
/// documents; attributes set to null are removed.
pub const UPDATE_MANY_QUERY: &str = "keepNull=false&ignoreRevs=true";

/// `POST /_api/document/{collection}?…`: inserts of many documents,
/// leaving any that exists already as it is.
pub const INSERT_IGNORING_QUERY: &str = "overwriteMode=ignore";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_import_is_json_lines_all_or_nothing() {
        // POST /_api/import: "type=documents: JSON Lines (JSONL) format. Each line is
        // expected to be one JSON object"; "complete: if set to true, the whole import
        // fails if any error occurs"; onDuplicate one of error, update, replace, ignore.
        assert_eq!(
            import_query("facts", OnDuplicate::Replace),
            "collection=facts&type=documents&onDuplicate=replace&complete=true&details=true"
        );
        assert!(import_query("runs", OnDuplicate::Ignore).contains("onDuplicate=ignore"));
        assert!(import_query("runs", OnDuplicate::Error).contains("onDuplicate=error"));
        let body = import_body(&[json!({"_key": "a", "n": 1}), json!({"_key": "b", "s": "x\ny"})]);
        let lines: Vec<&str> = body.lines().collect();
        assert_eq!(lines.len(), 2, "a newline inside a string stays escaped: {body}");
        for line in lines {
            assert!(serde_json::from_str::<Value>(line).unwrap().is_object());
        }
        assert!(body.ends_with('\n'));
    }

    #[test]
    fn an_index_body_has_the_documented_attributes() {
        // POST /_api/index?collection=…: type "persistent", fields (array of
        // attribute paths), unique, sparse, name, inBackground.
        let spec = IndexSpec {
            collection: "relations".into(),
            name: "relations_out".into(),
            kind: "persistent".into(),
            fields: vec!["_from".into(), "valid_to".into()],
            unique: false,
            sparse: false,
        };
        assert_eq!(
            index_body(&spec),
            json!({"type": "persistent", "name": "relations_out", "fields": ["_from", "valid_to"],
                   "unique": false, "sparse": false, "inBackground": true})
        );
    }

    #[test]
    fn collections_graphs_and_cursors_follow_the_api() {
        assert_eq!(collection_body("relations", true), json!({"name": "relations", "type": 3}));
        assert_eq!(collection_body("facts", false), json!({"name": "facts", "type": 2}));
        let edges = json!([{"collection": "relations", "from": ["entities"], "to": ["entities"]}]);
        assert_eq!(graph_body("spot", &edges), json!({"name": "spot", "edgeDefinitions": edges}));
        let cursor = cursor_body("RETURN @x", &json!({"x": 1}), 1000, None);
        assert_eq!(cursor, json!({"query": "RETURN @x", "bindVars": {"x": 1}, "batchSize": 1000}));
        let writing = cursor_body("FOR x IN y REMOVE x IN y", &json!({}), 1000, Some(10_000));
        assert_eq!(writing["options"], json!({"intermediateCommitCount": 10_000}));
        assert_eq!(
            read_transaction_body(&["facts", "runs"]),
            json!({"collections": {"read": ["facts", "runs"]}, "allowImplicit": false})
        );
        assert_eq!(
            write_transaction_body(&["facts", "runs"]),
            json!({"collections": {"write": ["facts", "runs"]}, "allowImplicit": false})
        );
        assert_eq!(login_body("spot", "pw"), json!({"username": "spot", "password": "pw"}));
        assert_eq!(database_body("spot", false), json!({"name": "spot"}));
        assert_eq!(database_body("spot", true), json!({"name": "spot", "options": {"sharding": "single"}}));
    }
}
