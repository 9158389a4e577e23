//! A service and what its page needs, whatever the hops: owner, repository,
//! quality, deployed versions, docs, dependencies and dependents.

use async_graphql::{Context, Json, Object, Result, SimpleObject};
use serde_json::{Map, Value};

use super::context::{load_entity, store, store_error};
use super::entity::{entity_on, Entity};
use crate::model;
use crate::model::Day;
use crate::store::Store;
use collectors::keys;

/// A service with what a service page needs, whatever the hops.
pub struct Service {
    pub entity: Entity,
}

impl Service {
    async fn neighbours(&self, ctx: &Context<'_>, kind: &str, direction: model::Direction) -> Result<Vec<Entity>> {
        let relations = store(ctx)?
            .relations(&self.entity.anchor.key, self.entity.day, direction, &[kind.to_string()])
            .await
            .map_err(store_error)?;
        let mut keys: Vec<String> =
            relations.into_iter().map(|r| if r.from == self.entity.anchor.key { r.to } else { r.from }).collect();
        keys.sort();
        keys.dedup();
        let mut found = Vec::with_capacity(keys.len());
        for key in keys {
            if let Some(entity) = entity_on(ctx, &key, self.entity.day).await? {
                found.push(entity);
            }
        }
        Ok(found)
    }
}

#[Object]
impl Service {
    async fn key(&self) -> &str {
        &self.entity.anchor.key
    }

    async fn name(&self) -> &str {
        &self.entity.anchor.name
    }

    /// The service as a generic entity: every fact and relation.
    async fn entity(&self) -> &Entity {
        &self.entity
    }

    /// Its score on every scorecard as of `at` (default: the day it is
    /// read on), each failing rule with since when it fails
    /// (docs/scorecards.md).
    async fn scores(
        &self,
        ctx: &Context<'_>,
        at: Option<super::scalars::Date>,
    ) -> Result<Vec<super::scorecards::ServiceScore>> {
        let day = at.map_or(self.entity.day, |d| d.0);
        super::scorecards::service_scores(ctx, &self.entity.anchor.key, day).await
    }

    /// The folder of its repository it is built from (`""` for the root).
    async fn folder(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        super::service_code::folder(ctx, &self.entity.anchor.key, self.entity.day).await
    }

    /// What it is written in: the languages of the manifests in its folder
    /// (most used first), else its repository's languages.
    async fn languages(&self, ctx: &Context<'_>) -> Result<Vec<String>> {
        super::service_code::languages(ctx, &self.entity.anchor.key, self.entity.day).await
    }

    /// The team that owns it (`owns` from a team).
    async fn owner(&self, ctx: &Context<'_>) -> Result<Option<Entity>> {
        let owners = self.neighbours(ctx, "owns", model::Direction::In).await?;
        Ok(owners.into_iter().find(|e| e.anchor.kind == "team"))
    }

    /// The repository it is built from (`builds` from a repository).
    async fn repository(&self, ctx: &Context<'_>) -> Result<Option<Entity>> {
        Ok(self.neighbours(ctx, "builds", model::Direction::In).await?.into_iter().next())
    }

    /// Quality metrics of the SonarQube project that measures its
    /// repository (or the service itself).
    async fn quality(&self, ctx: &Context<'_>) -> Result<Option<Quality>> {
        let mut measured = vec![self.entity.clone()];
        measured.extend(self.repository(ctx).await?);
        for target in measured {
            let relations = store(ctx)?
                .relations(&target.anchor.key, self.entity.day, model::Direction::In, &["measures".to_string()])
                .await
                .map_err(store_error)?;
            for relation in relations {
                if let Some(state) = load_entity(ctx, &relation.from, self.entity.day).await? {
                    if let Some(fact) = state.facts.first() {
                        return Ok(Some(Quality::new(Entity::new(state.entity.clone(), self.entity.day), &fact.attrs)));
                    }
                }
            }
        }
        Ok(None)
    }

    /// The version running in each cluster on the day (what Kubernetes saw
    /// and the orchestrator reported; never what repositories declare).
    async fn deployed_versions(&self, ctx: &Context<'_>) -> Result<Vec<super::deploys::DeployedVersion>> {
        super::deploys::deployed_versions(ctx, &self.entity.anchor.key, self.entity.day).await
    }

    /// What its repositories declare for it on the day (manifests,
    /// kustomize overlays, Helm values), each with its file, how it is
    /// declared and its purpose: intentions, not deploys (docs/declared.md).
    #[graphql(complexity = "20 * child_complexity")]
    async fn declared_versions(&self, ctx: &Context<'_>) -> Result<Vec<super::declared::DeclaredVersion>> {
        super::declared::declared_versions(ctx, &self.entity.anchor.key, self.entity.day).await
    }

    /// Links to its logs, dashboards, runbooks, …: `[links]`'s templates
    /// (over the last `links.recent_minutes`), its catalog file's links and
    /// annotations, and its workloads' annotations; each URL once.
    async fn links(&self, ctx: &Context<'_>) -> Result<Vec<super::links::LinkOut>> {
        super::links::service_links(ctx, &self.entity.anchor.key, self.entity.day, None).await
    }

    /// Pages that document it (`documents`).
    #[graphql(complexity = "20 * child_complexity")]
    async fn docs(&self, ctx: &Context<'_>) -> Result<Vec<Entity>> {
        self.neighbours(ctx, "documents", model::Direction::In).await
    }

    /// The services and backing resources it depends on, by any source (why: each `depends_on` relation's `via`, `file`, `variable`).
    #[graphql(complexity = "20 * child_complexity")]
    async fn dependencies(&self, ctx: &Context<'_>) -> Result<Vec<Entity>> {
        self.neighbours(ctx, "depends_on", model::Direction::Out).await
    }

    /// The services that depend on it.
    #[graphql(complexity = "20 * child_complexity")]
    async fn dependents(&self, ctx: &Context<'_>) -> Result<Vec<Entity>> {
        self.neighbours(ctx, "depends_on", model::Direction::In).await
    }

    /// What happened to its workloads in `[from, to)` (default: the last 24
    /// hours), newest first, as the Kubernetes watches recorded it.
    #[graphql(complexity = "10 * child_complexity")]
    async fn actions(
        &self,
        ctx: &Context<'_>,
        from: Option<chrono::DateTime<chrono::Utc>>,
        to: Option<chrono::DateTime<chrono::Utc>>,
        kinds: Option<Vec<super::actions::ActionKind>>,
        #[graphql(default = 500)] limit: usize,
    ) -> Result<Vec<super::actions::Action>> {
        let window = super::actions::windowed(from, to, kinds, limit)?;
        super::actions::of_entity(ctx, &self.entity.anchor, window).await
    }
}

/// SonarQube's measures of a service's code.
#[derive(SimpleObject)]
pub struct Quality {
    pub project: Entity,
    pub coverage: Option<f64>,
    pub lines_of_code: Option<i64>,
    pub bugs: Option<i64>,
    pub vulnerabilities: Option<i64>,
    pub code_smells: Option<i64>,
    pub duplicated_lines_density: Option<f64>,
    pub quality_gate: Option<String>,
    /// Every measure as the collector reported it.
    pub measures: Json<Map<String, Value>>,
}

impl Quality {
    fn new(project: Entity, attrs: &Map<String, Value>) -> Quality {
        let float = |k: &str| attrs.get(k).and_then(Value::as_f64);
        let int = |k: &str| attrs.get(k).and_then(Value::as_i64);
        Quality {
            project,
            coverage: float("coverage"),
            lines_of_code: int("ncloc"),
            bugs: int("bugs"),
            vulnerabilities: int("vulnerabilities"),
            code_smells: int("code_smells"),
            duplicated_lines_density: float("duplicated_lines_density"),
            quality_gate: attrs.get("quality_gate").and_then(Value::as_str).map(str::to_string),
            measures: Json(attrs.clone()),
        }
    }
}

/// The key of the team an argument names on `day`, the team written as a
/// person writes it (`Payments`, `payments`, `@acme/Payments`,
/// `team:payments`; docs/api.md): the key as written when that
/// team exists on the day (so a key ingested as it is keeps being found),
/// else the key the collectors write for it, folded as CODEOWNERS and
/// Backstage fold it ([`keys::team_as_written`]). Whether that team exists
/// is the caller's question, as before.
pub async fn team_key(store: &dyn Store, written: &str, day: Day) -> Result<String> {
    let literal = keys::team_literally(written);
    let folded = keys::team_as_written(written);
    if literal == folded || store.entity(&literal, day).await.map_err(store_error)?.is_some() {
        return Ok(literal);
    }
    Ok(folded)
}

/// `service:billing` or plain `billing`.
pub fn service_key(name: &str) -> String {
    keys::service_as_written(name)
}
