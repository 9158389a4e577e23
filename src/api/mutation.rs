//! Writes through the API: observations (the `spot ingest` format).

use async_graphql::{Context, Json, Object, Result};
use serde_json::Value;

use super::auth::Scope;
use super::context::{api, bad_request, store_error};
use super::time::Run;

#[derive(Default)]
pub struct IngestMutation;

#[Object]
impl IngestMutation {
    /// Ingests one observation, in the format of
    /// `schema/observation.schema.json` (scope `write`). All or nothing.
    async fn ingest(&self, ctx: &Context<'_>, observation: Json<Value>) -> Result<Run> {
        let api = api(ctx, Scope::Write)?;
        let text = observation.0.to_string();
        let observation = crate::observations::parse("observation", &text).map_err(|e| bad_request(e.to_string()))?;
        let run = api.store.ingest(&observation).await.map_err(store_error)?;
        Ok(Run::from(run))
    }
}
