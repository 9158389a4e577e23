//! The collections, graph and indexes of `schema/arangodb/schema.json`:
//! creating what is missing (`spot migrate`, idempotent) and listing what
//! is missing (`spot serve` at start).

use std::sync::OnceLock;

use reqwest::Method;
use serde::Deserialize;
use serde_json::{json, Value};

use super::http::{Client, Request, GRAPH_NOT_FOUND};
use super::requests;
use crate::store::{StoreError, StoreResult};

const SCHEMA: &str = include_str!("../../../../schema/arangodb/schema.json");

#[derive(Debug, Deserialize)]
pub struct Schema {
    pub format: String,
    pub version: i64,
    pub collections: Vec<CollectionSpec>,
    pub graph: GraphSpec,
    pub indexes: Vec<IndexSpec>,
}

#[derive(Debug, Deserialize)]
pub struct CollectionSpec {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
}

impl CollectionSpec {
    pub fn is_edge(&self) -> bool {
        self.kind == "edge"
    }
}

#[derive(Debug, Deserialize)]
pub struct GraphSpec {
    pub name: String,
    #[serde(rename = "edgeDefinitions")]
    pub edge_definitions: Value,
}

#[derive(Debug, Clone, Deserialize)]
pub struct IndexSpec {
    pub collection: String,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub fields: Vec<String>,
    pub unique: bool,
    pub sparse: bool,
}

/// The schema this build of SPoT needs.
pub fn schema() -> &'static Schema {
    static PARSED: OnceLock<Schema> = OnceLock::new();
    PARSED
        .get_or_init(|| serde_json::from_str(SCHEMA).expect("schema/arangodb/schema.json is valid (a test checks it)"))
}

/// The oldest ArangoDB SPoT supports, and the first major version it does not.
pub const OLDEST: (u32, u32) = (3, 11);
pub const FIRST_UNSUPPORTED_MAJOR: u32 = 4;

/// Whether SPoT works with a server version such as `3.12.4`.
pub fn check_version(version: &str) -> Result<(), String> {
    let mut parts = version.split(|c: char| !c.is_ascii_digit()).filter(|p| !p.is_empty());
    let number = |part: Option<&str>| part.and_then(|p| p.parse::<u32>().ok());
    let (Some(major), Some(minor)) = (number(parts.next()), number(parts.next())) else {
        return Err(format!("cannot read the server version '{version}'"));
    };
    if (major, minor) < OLDEST || major >= FIRST_UNSUPPORTED_MAJOR {
        return Err(format!(
            "ArangoDB {version} is not supported: SPoT needs {}.{} or a later 3.x release",
            OLDEST.0, OLDEST.1
        ));
    }
    Ok(())
}

/// What `spot migrate` did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Migrated {
    /// What was created, e.g. `collection facts`, `index relations_out on relations`.
    pub created: Vec<String>,
    /// How many things were there already.
    pub existing: usize,
}

/// Creates every collection, the graph and every index that is missing.
/// Running it again changes nothing.
pub async fn migrate(client: &Client) -> StoreResult<Migrated> {
    let schema = schema();
    let mut done = Migrated::default();
    check_recorded_version(client, schema).await?;
    let existing = collections(client).await?;
    for spec in &schema.collections {
        match existing.iter().find(|(name, _)| *name == spec.name) {
            Some((_, edge)) if *edge != spec.is_edge() => return Err(wrong_type(client, spec)),
            Some(_) => done.existing += 1,
            None => {
                let body = requests::collection_body(&spec.name, spec.is_edge());
                client.call(Request::new(Method::POST, "/_api/collection").json(body), "creating a collection").await?;
                done.created.push(format!("collection {}", spec.name));
            }
        }
    }
    let graph = Request::new(Method::GET, format!("/_api/gharial/{}", schema.graph.name));
    match client.try_call(graph, "reading the graph").await? {
        Ok(_) => done.existing += 1,
        Err(api) if api.num == GRAPH_NOT_FOUND || api.status == 404 => {
            let body = requests::graph_body(&schema.graph.name, &schema.graph.edge_definitions);
            client.call(Request::new(Method::POST, "/_api/gharial").json(body), "creating the graph").await?;
            done.created.push(format!("graph {}", schema.graph.name));
        }
        Err(api) => return Err(backend("reading the graph", api)),
    }
    for index in &schema.indexes {
        let query = format!("collection={}", index.collection);
        let request = Request::new(Method::POST, "/_api/index").query(&query).json(requests::index_body(index));
        let doing = format!("creating index {} on {}", index.name, index.collection);
        let answer = client.call(request, &doing).await.map_err(|e| index_hint(e, index))?;
        if answer.get("isNewlyCreated").and_then(Value::as_bool) == Some(true) {
            done.created.push(format!("index {} on {}", index.name, index.collection));
        } else {
            done.existing += 1;
        }
    }
    let record = Request::new(Method::POST, "/_api/document/meta")
        .query("overwriteMode=replace")
        .json(json!({ "_key": "schema", "version": schema.version }));
    client.call(record, "recording the schema version").await?;
    Ok(done)
}

/// Everything the schema needs that the database lacks, each named; empty
/// when SPoT can run on it.
pub async fn missing(client: &Client) -> StoreResult<Vec<String>> {
    let schema = schema();
    check_recorded_version(client, schema).await?;
    let existing = collections(client).await?;
    let mut missing = Vec::new();
    for spec in &schema.collections {
        match existing.iter().find(|(name, _)| *name == spec.name) {
            None => missing.push(format!("collection {}", spec.name)),
            Some((_, edge)) if *edge != spec.is_edge() => {
                missing.push(format!("collection {} as {} collection", spec.name, article(&spec.kind)))
            }
            Some(_) => {}
        }
    }
    let graph = Request::new(Method::GET, format!("/_api/gharial/{}", schema.graph.name));
    if client.try_call(graph, "reading the graph").await?.is_err() {
        missing.push(format!("graph {}", schema.graph.name));
    }
    for spec in schema.collections.iter().filter(|c| existing.iter().any(|(name, _)| *name == c.name)) {
        let query = format!("collection={}", spec.name);
        let answer = client.call(Request::new(Method::GET, "/_api/index").query(&query), "listing indexes").await?;
        let names: Vec<&str> = answer
            .get("indexes")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|i| i.get("name").and_then(Value::as_str))
            .collect();
        for index in schema.indexes.iter().filter(|i| i.collection == spec.name) {
            if !names.contains(&index.name.as_str()) {
                missing.push(format!("index {} on {}", index.name, index.collection));
            }
        }
    }
    Ok(missing)
}

/// The collections of the database: (name, is an edge collection).
async fn collections(client: &Client) -> StoreResult<Vec<(String, bool)>> {
    let answer = client
        .call(Request::new(Method::GET, "/_api/collection").query("excludeSystem=true"), "listing collections")
        .await?;
    Ok(answer
        .get("result")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|c| Some((c.get("name")?.as_str()?.to_string(), c.get("type")?.as_i64()? == 3)))
        .collect())
}

/// Refuses a database migrated by a newer SPoT.
async fn check_recorded_version(client: &Client, schema: &Schema) -> StoreResult<()> {
    let request = Request::new(Method::GET, "/_api/document/meta/schema");
    let Ok(answer) = client.try_call(request, "reading the schema version").await? else {
        return Ok(()); // never migrated, or no meta collection yet
    };
    let found = answer.get("version").and_then(Value::as_i64).unwrap_or(0);
    if found > schema.version {
        return Err(StoreError::SchemaTooNew { path: client.location(), found, supported: schema.version });
    }
    Ok(())
}

fn wrong_type(client: &Client, spec: &CollectionSpec) -> StoreError {
    StoreError::Open {
        path: client.location(),
        reason: format!(
            "collection {} exists but is not {} collection: rename or drop it, then run `spot migrate`",
            spec.name,
            article(&spec.kind)
        ),
    }
}

/// "an edge", "a document".
fn article(kind: &str) -> String {
    if kind.starts_with(['a', 'e', 'i', 'o', 'u']) {
        format!("an {kind}")
    } else {
        format!("a {kind}")
    }
}

fn index_hint(error: StoreError, index: &IndexSpec) -> StoreError {
    match error {
        StoreError::Backend { doing, source } => StoreError::Backend {
            doing,
            source: format!(
                "{source} (an index named {} with another definition exists? drop it, then run `spot migrate`)",
                index.name
            )
            .into(),
        },
        other => other,
    }
}

fn backend(doing: &str, api: super::http::ApiError) -> StoreError {
    StoreError::Backend { doing: doing.to_string(), source: api.into() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schema_file_declares_the_temporal_graph() {
        let schema = schema();
        assert_eq!(schema.format, "spot-arangodb-schema");
        let names: Vec<&str> = schema.collections.iter().map(|c| c.name.as_str()).collect();
        for needed in ["entities", "relations", "facts", "runs", "events"] {
            assert!(names.contains(&needed), "{needed} is declared");
        }
        let edges: Vec<&str> = schema.collections.iter().filter(|c| c.is_edge()).map(|c| c.name.as_str()).collect();
        assert_eq!(edges, ["relations"]);
        for c in &schema.collections {
            assert!(c.kind == "document" || c.kind == "edge", "{}: type {}", c.name, c.kind);
        }
        assert_eq!(schema.graph.edge_definitions[0]["collection"], "relations");
    }

    #[test]
    fn the_issue_s_indexes_are_declared_on_declared_collections() {
        let schema = schema();
        let has = |collection: &str, fields: &[&str]| {
            schema.indexes.iter().any(|i| i.collection == collection && i.kind == "persistent" && i.fields == fields)
        };
        assert!(has("facts", &["entity", "valid_from"]));
        assert!(has("relations", &["_from", "valid_to"]), "vertex-centric, outbound");
        assert!(has("relations", &["_to", "valid_to"]), "vertex-centric, inbound");
        let mut names = std::collections::HashSet::new();
        for index in &schema.indexes {
            assert!(schema.collections.iter().any(|c| c.name == index.collection), "{}", index.name);
            assert!(names.insert(&index.name), "index names are unique: {}", index.name);
            assert!(!index.fields.is_empty());
        }
    }

    #[test]
    fn supported_versions_are_3_11_and_later_3_x() {
        assert!(check_version("3.11.0").is_ok());
        assert!(check_version("3.12.4").is_ok());
        assert!(check_version("3.12.0-rc.1").is_ok());
        let old = check_version("3.10.9").unwrap_err();
        assert_eq!(old, "ArangoDB 3.10.9 is not supported: SPoT needs 3.11 or a later 3.x release");
        assert!(check_version("4.0.0").is_err());
        assert!(check_version("banana").unwrap_err().contains("cannot read"));
    }
}
