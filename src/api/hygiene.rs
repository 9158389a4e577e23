//! Catalog hygiene in the API: the findings `crate::hygiene` makes of a
//! day, as GraphQL objects, and their counts over time. The rules of what
//! counts as a finding live there; this module only translates.

use async_graphql::{Context, Enum, Object, Result, SimpleObject};
use serde_json::Value;

use super::auth::Scope;
use super::context::{api, resolve_day, store_error};
use super::entity::{page_size, Entity};
use super::reports::{trend_buckets, Bucket};
use super::scalars::{day, Date};
use crate::hygiene::{findings, Conflict, Findings, Unclaimed};
use crate::model::{self, Day};

/// How many findings of each category there are on a day, and what they
/// are out of.
#[derive(SimpleObject, Debug, Clone, PartialEq)]
pub struct HygieneCounts {
    pub identity_conflicts: i32,
    pub unclaimed_workloads: i32,
    pub unclaimed_sonar_projects: i32,
    pub unclaimed_consul_services: i32,
    pub unowned_services: i32,
    pub weakly_found_services: i32,
    /// Manifests of repositories that do not parse (read as they last did).
    pub unparsed_files: i32,
    /// Catalog entities, references and Location targets left out.
    pub invalid_catalog_entities: i32,
    /// Owners a catalog names that no Group or User declares.
    pub unresolved_owners: i32,
    /// Services alive that day (from any source).
    pub services: i32,
    /// Running workloads (those repositories only declare left out).
    pub workloads: i32,
    pub sonar_projects: i32,
}

impl From<&Findings> for HygieneCounts {
    fn from(found: &Findings) -> HygieneCounts {
        let count = |n: usize| n as i32;
        HygieneCounts {
            identity_conflicts: count(found.conflicts.len()),
            unclaimed_workloads: count(found.unclaimed_workloads.len()),
            unclaimed_sonar_projects: count(found.unclaimed_projects.len()),
            unclaimed_consul_services: count(found.unclaimed_consul_services.len()),
            unowned_services: count(found.unowned_services.len()),
            weakly_found_services: count(found.weak_services.len()),
            unparsed_files: count(found.unparsed_files.len()),
            invalid_catalog_entities: count(found.invalid_catalog_entities.len()),
            unresolved_owners: count(found.unresolved_owners.len()),
            services: count(found.services),
            workloads: count(found.workloads),
            sonar_projects: count(found.projects),
        }
    }
}

/// A service that lost a claim on a name to another: it keeps a key of its
/// own that says where it comes from (`service:<repository>/<name>`).
#[derive(SimpleObject)]
pub struct IdentityConflict {
    /// The service that lost the claim.
    pub service: Entity,
    /// The name both claimed.
    pub name: Option<String>,
    /// The key of the service that holds the name.
    pub held_by: Option<String>,
    /// The repository and folder of the holder.
    pub holder_repo: Option<String>,
    pub holder_path: Option<String>,
    /// The repository and folder of the service that lost the claim.
    pub repo: Option<String>,
    pub path: Option<String>,
    /// Why the holder kept the name, e.g. `older repository`, `explicit
    /// name`, `pinned in [identity]`.
    pub reason: Option<String>,
}

impl IdentityConflict {
    fn new(conflict: &Conflict, day: Day) -> IdentityConflict {
        let text = |name: &str| conflict.claim.get(name).and_then(Value::as_str).map(str::to_string);
        IdentityConflict {
            service: Entity::new(conflict.service.clone(), day),
            name: text("name"),
            held_by: text("held_by"),
            holder_repo: text("holder_repo"),
            holder_path: text("holder_path"),
            repo: text("repo"),
            path: text("path"),
            reason: text("reason"),
        }
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum UnclaimedReason {
    /// No service deploys it.
    NoService,
    /// Only keys that no source describes deploy it: a service that does
    /// not exist (a chart's name, a label nobody catalogued).
    ServiceNotFound,
    /// Only services that no repository builds deploy it.
    ServiceNotBuilt,
}

/// A workload that no service some repository builds deploys: one that
/// runs, or one a repository declares for deployment that names no
/// existing service.
#[derive(SimpleObject)]
pub struct UnclaimedWorkload {
    pub workload: Entity,
    pub reason: UnclaimedReason,
    /// The keys that deploy it although no repository builds them (or no
    /// source describes them); empty when nothing does.
    pub deployed_by: Vec<String>,
    /// Declared in a repository's manifests (`workload:declared/…`) rather
    /// than seen running.
    pub declared: bool,
}

/// A SonarQube project that measures no service.
#[derive(SimpleObject)]
pub struct UnclaimedSonarProject {
    pub project: Entity,
    /// The repositories it measures instead (keys); empty when it measures
    /// nothing.
    pub repositories: Vec<String>,
}

/// A manifest that stopped parsing: the GitHub collector reads it as it
/// last parsed, so only what it changed since is unknown.
#[derive(SimpleObject, Clone)]
pub struct UnparsedFile {
    /// The repository's key.
    pub repository: String,
    /// The file, from the repository's root.
    pub path: String,
    /// The first day it did not parse.
    pub since: String,
}

/// What a catalog file declares that the GitHub collector left out: an
/// entity Backstage would refuse, a reference that is not one, a Location
/// target it cannot follow, a file of entities nothing reaches.
#[derive(SimpleObject, Clone)]
pub struct InvalidCatalogEntity {
    /// The repository's key.
    pub repository: String,
    /// The file, from the repository's root.
    pub path: String,
    /// 1-based, when known.
    pub line: Option<i32>,
    pub problem: String,
}

/// An owner a catalog file names that no Group or User entity declares.
#[derive(SimpleObject, Clone)]
pub struct UnresolvedOwner {
    /// The team's or user's key.
    pub owner: String,
    /// What it owns (keys).
    pub owns: Vec<String>,
}

/// The findings of one day, with the day.
pub struct Hygiene {
    day: Day,
    found: Findings,
}

impl Hygiene {
    fn first<T: Clone>(ctx: &Context<'_>, all: &[T], first: i32) -> Result<Vec<T>> {
        let limit = page_size(first, api(ctx, Scope::Read)?.limits.page_size)?;
        Ok(all.iter().take(limit).cloned().collect())
    }

    fn entities(&self, ctx: &Context<'_>, all: &[model::Entity], first: i32) -> Result<Vec<Entity>> {
        Ok(Self::first(ctx, all, first)?.into_iter().map(|e| Entity::new(e, self.day)).collect())
    }
}

/// The catalog's hygiene on one day. Each list is ordered by key and holds
/// at most `first` findings (default 100, at most the page size); `counts`
/// counts them all.
#[Object]
impl Hygiene {
    /// The day the findings are as of.
    async fn at(&self) -> Date {
        Date(self.day)
    }

    async fn counts(&self) -> HygieneCounts {
        HygieneCounts::from(&self.found)
    }

    /// Services that lost a name claim (their `conflict` attribute, as the
    /// GitHub collector records it).
    #[graphql(complexity = "first.max(1) as usize * child_complexity")]
    async fn identity_conflicts(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 100)] first: i32,
    ) -> Result<Vec<IdentityConflict>> {
        let conflicts = Self::first(ctx, &self.found.conflicts, first)?;
        Ok(conflicts.iter().map(|c| IdentityConflict::new(c, self.day)).collect())
    }

    /// Workloads with no `deploys` from a service that some repository
    /// `builds`: running ones, and those repositories declare for
    /// deployment (not tests, examples or bundled third-party images).
    #[graphql(complexity = "first.max(1) as usize * child_complexity")]
    async fn unclaimed_workloads(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 100)] first: i32,
    ) -> Result<Vec<UnclaimedWorkload>> {
        let workloads = Self::first(ctx, &self.found.unclaimed_workloads, first)?;
        Ok(workloads
            .into_iter()
            .map(|w| {
                let (reason, deployed_by) = match w.why {
                    Unclaimed::NoService => (UnclaimedReason::NoService, Vec::new()),
                    Unclaimed::ServicesNotFound(keys) => (UnclaimedReason::ServiceNotFound, keys),
                    Unclaimed::ServicesNotBuilt(services) => (UnclaimedReason::ServiceNotBuilt, services),
                };
                let declared = w.declared;
                UnclaimedWorkload { workload: Entity::new(w.workload, self.day), reason, deployed_by, declared }
            })
            .collect())
    }

    /// SonarQube projects with no `measures` to a service.
    #[graphql(complexity = "first.max(1) as usize * child_complexity")]
    async fn unclaimed_sonar_projects(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 100)] first: i32,
    ) -> Result<Vec<UnclaimedSonarProject>> {
        let projects = Self::first(ctx, &self.found.unclaimed_projects, first)?;
        Ok(projects
            .into_iter()
            .map(|p| UnclaimedSonarProject { project: Entity::new(p.project, self.day), repositories: p.repositories })
            .collect())
    }

    /// Services Consul registers that no repository `builds`.
    #[graphql(complexity = "first.max(1) as usize * child_complexity")]
    async fn unclaimed_consul_services(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 100)] first: i32,
    ) -> Result<Vec<Entity>> {
        self.entities(ctx, &self.found.unclaimed_consul_services, first)
    }

    /// Services with no `owns` relation from a team (or anything else).
    #[graphql(complexity = "first.max(1) as usize * child_complexity")]
    async fn unowned_services(&self, ctx: &Context<'_>, #[graphql(default = 100)] first: i32) -> Result<Vec<Entity>> {
        self.entities(ctx, &self.found.unowned_services, first)
    }

    /// Services found only by a weak signal (`signal: "weak"`: e.g. only the
    /// repository's type or topic, nothing deployable). Their `found_by`
    /// attribute says which.
    #[graphql(complexity = "first.max(1) as usize * child_complexity")]
    async fn weakly_found_services(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 100)] first: i32,
    ) -> Result<Vec<Entity>> {
        self.entities(ctx, &self.found.weak_services, first)
    }

    /// Files of repositories that do not parse, with the day each broke
    /// (the repository's `unparsed` attribute): each is read as it last
    /// parsed, and the rest of its repository is observed as usual.
    #[graphql(complexity = "first.max(1) as usize * child_complexity")]
    async fn unparsed_files(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 100)] first: i32,
    ) -> Result<Vec<UnparsedFile>> {
        Ok(Self::first(ctx, &self.found.unparsed_files, first)?
            .into_iter()
            .map(|f| UnparsedFile { repository: f.repository, path: f.path, since: f.since })
            .collect())
    }

    /// Catalog entities, references and Location targets the GitHub
    /// collector left out (the repository's `catalog_findings`), each with
    /// its file and line: the rest of the catalog is read as usual.
    #[graphql(complexity = "first.max(1) as usize * child_complexity")]
    async fn invalid_catalog_entities(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 100)] first: i32,
    ) -> Result<Vec<InvalidCatalogEntity>> {
        Ok(Self::first(ctx, &self.found.invalid_catalog_entities, first)?
            .into_iter()
            .map(|f| InvalidCatalogEntity { repository: f.repository, path: f.path, line: f.line, problem: f.problem })
            .collect())
    }

    /// Owners a catalog file names (`spec.owner`) that no Group or User
    /// entity declares, in an organisation whose catalog declares its
    /// groups or users (their `unresolved` attribute).
    #[graphql(complexity = "first.max(1) as usize * child_complexity")]
    async fn unresolved_owners(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 100)] first: i32,
    ) -> Result<Vec<UnresolvedOwner>> {
        Ok(Self::first(ctx, &self.found.unresolved_owners, first)?
            .into_iter()
            .map(|o| UnresolvedOwner { owner: o.owner, owns: o.owns })
            .collect())
    }
}

/// The counts of one bucket of the hygiene trend.
#[derive(SimpleObject, Debug, Clone, PartialEq)]
pub struct HygienePoint {
    /// The first day of the bucket.
    pub bucket: Date,
    /// The day the counts were read on: the bucket's last day (or `to`).
    pub measured_on: Date,
    pub counts: HygieneCounts,
}

#[derive(Default)]
pub struct HygieneQuery;

#[Object]
impl HygieneQuery {
    /// The catalog's hygiene on `at` (default: the latest day), computed
    /// from the graph as of that day.
    async fn hygiene(&self, ctx: &Context<'_>, at: Option<Date>) -> Result<Hygiene> {
        let api = api(ctx, Scope::Read)?;
        let day = resolve_day(ctx, day(at)).await?;
        let found = findings(api.store.as_ref(), day).await.map_err(store_error)?;
        Ok(Hygiene { day, found })
    }

    /// The hygiene counts over `[from, to]` (`to` defaults to the latest
    /// day), one point per bucket, read as of each bucket's last day; at
    /// most `limits.trend_buckets` buckets.
    #[graphql(complexity = "50 * child_complexity")]
    async fn hygiene_trend(
        &self,
        ctx: &Context<'_>,
        from: Date,
        to: Option<Date>,
        #[graphql(default_with = "Bucket::Week")] bucket: Bucket,
    ) -> Result<Vec<HygienePoint>> {
        let api = api(ctx, Scope::Read)?;
        let deadline = crate::api::context::deadline(ctx).map(|deadline| deadline.0);
        let mut points = Vec::new();
        for (start, measured_on) in trend_buckets(ctx, from, to, bucket).await? {
            // Each bucket reads the whole graph of a day: stop at the deadline.
            crate::store::on_time(deadline).await.map_err(store_error)?;
            let found = findings(api.store.as_ref(), measured_on).await.map_err(store_error)?;
            points.push(HygienePoint {
                bucket: Date(start),
                measured_on: Date(measured_on),
                counts: HygieneCounts::from(&found),
            });
        }
        Ok(points)
    }
}
