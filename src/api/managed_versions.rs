//! A use with no version of its own whose version a Maven parent or a BOM
//! gives (`managed_by` on the `uses`): which parent or BOM, at which
//! version (the user's own `uses` of that parent or BOM), so a package page
//! says "managed by spring-boot-starter-parent 3.5.5" rather than "none
//! resolved". The managed version itself is in the parent's POM, which SPoT
//! does not fetch.

use std::collections::HashMap;

use async_graphql::{Context, Result};
use serde_json::Value;

use super::context::{store, store_error};
use crate::model::{Day, Direction, Relation};

/// The parent or BOM of one unresolved use, and its version for that user.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Manager {
    pub key: String,
    pub version: Option<String>,
}

/// The manager of each use (by its user) that has one.
pub async fn managers(ctx: &Context<'_>, uses: &[Relation], day: Day) -> Result<HashMap<String, Manager>> {
    let mut found = HashMap::new();
    for relation in uses.iter().filter(|r| r.attrs.get("resolved").and_then(Value::as_str).is_none()) {
        let Some(key) = relation.attrs.get("managed_by").and_then(Value::as_str) else { continue };
        let used = store(ctx)?.relations(&relation.from, day, Direction::Out, &["uses".to_string()]).await;
        let version = used
            .map_err(store_error)?
            .into_iter()
            .find(|r| r.to == key)
            .and_then(|r| r.attrs.get("resolved").and_then(Value::as_str).map(str::to_string));
        found.insert(relation.from.clone(), Manager { key: key.to_string(), version });
    }
    Ok(found)
}
