//! Delivery: the four DORA metrics of a service, a team or the
//! organisation over any window, the deploys behind them with their
//! outcomes, and how long a service's rollouts take (docs/dora.md).

use async_graphql::connection::{Connection, CursorType, Edge, EmptyFields};
use async_graphql::{Context, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use super::auth::Scope;
use super::context::{api, bad_request, resolve_day, store, store_error};
use super::deploys::{from_judged, Deploy};
use super::scalars::{day, Date};
use super::service::{service_key, team_key};
use crate::delivery::rollup::{self, DeployCursor, DeployPage};
use crate::delivery::{dora, read, Bucket, DeliveryConfig, Figures};
use crate::model::{Day, DeployStatus, Direction};
use collectors::keys;

/// Days a window covers when `from` is not given.
const DEFAULT_DAYS: i32 = 90;
/// Services `worstServices` lists.
const WORST: usize = 10;

/// Whose deploys: one service, a team's, or the organisation's.
struct Subject {
    /// `service:<name>`, `team:<name>` or `organisation`.
    label: String,
    /// `None`: every service.
    services: Option<Vec<String>>,
}

async fn subject(ctx: &Context<'_>, service: Option<String>, team: Option<String>, on: Day) -> Result<Subject> {
    match (service, team) {
        (Some(_), Some(_)) => Err(bad_request("give a service or a team, not both (neither: the organisation)")),
        (Some(service), None) => {
            let key = service_key(&service);
            Ok(Subject { label: key.clone(), services: Some(vec![key]) })
        }
        (None, Some(team)) => {
            let key = team_key(store(ctx)?, &team, on).await?;
            let owns =
                store(ctx)?.relations(&key, on, Direction::Out, &["owns".to_string()]).await.map_err(store_error)?;
            let services = owns.into_iter().map(|r| r.to).filter(|k| keys::is_kind(k, keys::SERVICE)).collect();
            Ok(Subject { label: key, services: Some(services) })
        }
        (None, None) => Ok(Subject { label: "organisation".into(), services: None }),
    }
}

/// The window `[from, to]`: `to` defaults to the latest committed day,
/// `from` to 90 days before it.
async fn window(ctx: &Context<'_>, from: Option<Date>, to: Option<Date>) -> Result<(Day, Day)> {
    let to = resolve_day(ctx, day(to)).await?;
    let from = day(from).unwrap_or(to.minus(DEFAULT_DAYS - 1));
    crate::store::check_range(from, to).map_err(store_error)?;
    Ok((from, to))
}

/// The report of `subject`'s deploys to `environment` over `[from, to]`.
async fn report(
    ctx: &Context<'_>,
    subject: &Subject,
    environment: &str,
    window: (Day, Day),
    bucket: Bucket,
    brief: bool,
) -> Result<dora::Report> {
    let delivery: &DeliveryConfig = &api(ctx, Scope::Read)?.delivery.config;
    let clusters = delivery.selection_of(environment).map_err(bad_request)?;
    let scope =
        read::Scope { services: subject.services.clone(), clusters: clusters.only, except_clusters: clusters.except };
    read::report(store(ctx)?, &scope, window, bucket, delivery.fix_forward(), brief).await.map_err(store_error)
}

/// The DORA metrics of a subject over a window.
#[derive(SimpleObject)]
pub struct Dora {
    /// `service:<name>`, `team:<name>` or `organisation`.
    pub subject: String,
    pub environment: String,
    pub from: Date,
    pub to: Date,
    pub bucket: Bucket,
    /// The fix-forward window in force (`[delivery]`); 0: off.
    pub fix_forward_minutes: u32,
    /// The whole window.
    pub overall: Figures,
    /// One per bucket, oldest first (the first and last cut to the window).
    pub buckets: Vec<DoraPeriod>,
    /// For a team or the organisation, the services with the highest change
    /// failure rate (then the most unrestored failures, the slowest
    /// restore), at most ten, each over the whole window.
    pub worst_services: Vec<ServiceFigures>,
}

#[derive(SimpleObject)]
pub struct DoraPeriod {
    pub start: Date,
    pub end: Date,
    pub figures: Figures,
}

#[derive(SimpleObject)]
pub struct ServiceFigures {
    pub service: String,
    pub figures: Figures,
}

/// How long a service's rollouts take in a cluster.
#[derive(SimpleObject)]
pub struct DeployEstimate {
    pub service: String,
    pub cluster: String,
    /// Median (nearest rank), in seconds; `None` without history.
    pub p50_seconds: Option<i64>,
    pub p90_seconds: Option<i64>,
    /// Succeeded rollouts with a finish time the estimate rests on (the
    /// latest 50 of the last 90 days).
    pub samples: u64,
}

/// The count behind a page of deploys.
#[derive(SimpleObject)]
pub struct DeploysInfo {
    pub total_count: i32,
}

/// Where a page of `deploys` continues: the last deploy of the page before
/// (its start, service, cluster and version), written as JSON. Not a
/// position: a deploy recorded between two pages shifts nothing.
pub struct PageCursor(DeployCursor);

impl PageCursor {
    fn read(text: &str) -> Result<PageCursor> {
        PageCursor::decode_cursor(text).map_err(|e| bad_request(format!("'after' is not a deploys cursor: {e}")))
    }
}

impl CursorType for PageCursor {
    type Error = serde_json::Error;

    fn decode_cursor(s: &str) -> std::result::Result<Self, Self::Error> {
        serde_json::from_str(s).map(PageCursor)
    }

    fn encode_cursor(&self) -> String {
        serde_json::to_string(&self.0).unwrap_or_default()
    }
}

fn worst(services: std::collections::BTreeMap<String, Figures>) -> Vec<ServiceFigures> {
    let mut listed: Vec<ServiceFigures> = services
        .into_iter()
        .filter(|(_, f)| f.changes > 0)
        .map(|(service, figures)| ServiceFigures { service, figures })
        .collect();
    let key = |s: &ServiceFigures| {
        let f = &s.figures;
        (
            std::cmp::Reverse((f.change_failure_rate.unwrap_or(0.0) * 1e6) as i64),
            std::cmp::Reverse(f.unrestored),
            std::cmp::Reverse(f.time_to_restore_seconds.unwrap_or(0)),
        )
    };
    listed.sort_by(|a, b| key(a).cmp(&key(b)).then_with(|| a.service.cmp(&b.service)));
    listed.truncate(WORST);
    listed
}

#[derive(Default)]
pub struct DeliveryQuery;

#[Object]
impl DeliveryQuery {
    /// The four DORA metrics (deployment frequency, lead time for changes,
    /// change failure rate, time to restore) with the counts behind them
    /// and their DORA bands, of a service, a team (the services it owns on
    /// `to`) or, given neither, the organisation; for one environment
    /// (default `production`) over `[from, to]` (default: the 90 days up to
    /// the latest committed day), bucketed by `bucket` (at most
    /// `limits.trend_buckets` buckets). Rules: docs/dora.md.
    #[graphql(complexity = "200 + child_complexity")]
    #[allow(clippy::too_many_arguments)]
    async fn dora(
        &self,
        ctx: &Context<'_>,
        service: Option<String>,
        team: Option<String>,
        #[graphql(default = "production")] environment: String,
        from: Option<Date>,
        to: Option<Date>,
        #[graphql(default_with = "Bucket::Week")] bucket: Bucket,
    ) -> Result<Dora> {
        let api = api(ctx, Scope::Read)?;
        let (from, to) = window(ctx, from, to).await?;
        super::reports::limited_buckets(from, to, bucket, &api.limits)?;
        let subject = subject(ctx, service, team, to).await?;
        let report = report(ctx, &subject, &environment, (from, to), bucket, true).await?;
        let of_many = subject.services.as_ref().is_none_or(|s| s.len() > 1);
        Ok(Dora {
            subject: subject.label,
            environment,
            from: Date(from),
            to: Date(to),
            bucket,
            fix_forward_minutes: api.delivery.config.fix_forward_minutes,
            overall: report.overall,
            buckets: report
                .buckets
                .into_iter()
                .map(|p| DoraPeriod { start: Date(p.start), end: Date(p.end), figures: p.figures })
                .collect(),
            worst_services: if of_many { worst(report.services) } else { Vec::new() },
        })
    }

    /// Deploys, newest first, each with its outcome (docs/dora.md) in its
    /// environment: of a service, a team or the organisation, within
    /// `[from, to]` (default: the 90 days up to the latest committed day),
    /// optionally only those of one environment (`unclassified`: the
    /// clusters no environment names), status or actor, or only the failed
    /// changes (failed, rolled back or fixed forward).
    #[graphql(complexity = "first.unwrap_or(100).max(1) as usize * child_complexity")]
    #[allow(clippy::too_many_arguments)]
    async fn deploys(
        &self,
        ctx: &Context<'_>,
        service: Option<String>,
        team: Option<String>,
        environment: Option<String>,
        status: Option<DeployStatus>,
        actor: Option<String>,
        #[graphql(default)] failed_changes: bool,
        from: Option<Date>,
        to: Option<Date>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<PageCursor, Deploy, DeploysInfo, EmptyFields>> {
        let api = api(ctx, Scope::Read)?;
        let limit = super::entity::page_size(first.unwrap_or(100), api.limits.page_size)?;
        let after = after.as_deref().map(PageCursor::read).transpose()?;
        let (from, to) = window(ctx, from, to).await?;
        let subject = subject(ctx, service, team, to).await?;
        let config = &api.delivery.config;
        let clusters = match &environment {
            Some(environment) => config.selection_of(environment).map_err(bad_request)?,
            None => Default::default(),
        };
        let page = DeployPage {
            services: subject.services,
            clusters: clusters.only,
            except_clusters: clusters.except,
            from: from.start(),
            to: to.plus(1).start(),
            status,
            actor,
            failed_changes,
            after: after.map(|c| c.0),
            limit,
            fix_forward_ms: rollup::fix_forward_ms(config.fix_forward()),
        };
        let found = read::deploys_page(store(ctx)?, &page).await.map_err(store_error)?;
        let info = DeploysInfo { total_count: found.total.min(i32::MAX as u64) as i32 };
        let mut connection = Connection::with_additional_fields(page.after.is_some(), found.more, info);
        connection.edges.extend(found.deploys.into_iter().map(|judged| {
            let cursor = PageCursor(DeployCursor::of(&judged));
            let environment = config.environment_of(&judged.event.cluster).to_string();
            Edge::new(cursor, from_judged(judged, &environment))
        }));
        Ok(connection)
    }

    /// How long the service's rollouts to `cluster` take: p50 and p90 of
    /// its latest 50 succeeded deploys with a finish time in the 90 days
    /// before `at` (default: now).
    async fn deploy_estimate(
        &self,
        ctx: &Context<'_>,
        service: String,
        cluster: String,
        at: Option<DateTime<Utc>>,
    ) -> Result<DeployEstimate> {
        api(ctx, Scope::Read)?;
        let key = service_key(&service);
        let at = at.unwrap_or_else(Utc::now);
        let found = read::estimate(store(ctx)?, &key, &cluster, at).await.map_err(store_error)?;
        Ok(DeployEstimate {
            service: key,
            cluster,
            p50_seconds: found.p50_seconds,
            p90_seconds: found.p90_seconds,
            samples: found.samples,
        })
    }
}
