//! `spot changes --around service:checkout --hours 6`: everything that
//! changed around one service (docs/changes.md), and `--words`: the
//! changes between two days in words.

use chrono::{DateTime, Duration, Utc};
use serde_json::json;

use super::print_json;
use crate::changes::{self, AroundQuery, Scope};
use crate::model::{Day, Direction};
use crate::store::Store;

/// The options `spot changes` adds for change intelligence.
#[derive(clap::Args)]
pub struct AroundArgs {
    /// A service (name or key): print what changed around it instead.
    #[arg(long)]
    pub around: Option<String>,
    /// With --around: the window's length in hours, ending at --until.
    #[arg(long, default_value_t = 24)]
    pub hours: i64,
    /// With --around: the window's end (RFC 3339); now by default, or the
    /// end of the latest committed day when that is earlier.
    #[arg(long)]
    pub until: Option<DateTime<Utc>>,
    /// With --around: hops through dependencies, 1 to 3.
    #[arg(long, default_value_t = 1)]
    pub depth: u32,
    /// With --around: `out` (what it depends on), `in` (who depends on it) or `both`.
    #[arg(long, value_enum, default_value_t = super::read::DirectionArg::Both)]
    pub direction: super::read::DirectionArg,
    /// With --around: most suspicious first instead of oldest first.
    #[arg(long)]
    pub suspicious: bool,
    /// Between two days: every change in words (title, service, kind,
    /// significance, before → after).
    #[arg(long)]
    pub words: bool,
}

/// `fix_forward`: the config's `[delivery]` window, by which deploys are
/// judged as the API judges them.
pub async fn around(
    store: &dyn Store,
    args: &AroundArgs,
    service: &str,
    fix_forward: Option<Duration>,
) -> anyhow::Result<()> {
    if args.hours < 1 || args.hours > 24 * changes::around::MAX_DAYS {
        anyhow::bail!("--hours must be 1 to {} (it is {})", 24 * changes::around::MAX_DAYS, args.hours);
    }
    let latest_end = store.latest_day().await?.map(|day| day.plus(1).start());
    let to = args.until.unwrap_or_else(|| latest_end.map_or(Utc::now(), |end| end.min(Utc::now())));
    let query = AroundQuery {
        service: collectors::keys::service_as_written(service),
        from: to - Duration::hours(args.hours),
        to,
        depth: args.depth,
        direction: Direction::from(args.direction),
        kinds: Vec::new(),
        fix_forward,
    };
    let mut found = changes::around(store, &query).await?;
    if args.suspicious {
        found.most_suspicious_first();
    }
    let events: Vec<_> = found
        .events
        .iter()
        .map(|e| {
            json!({
                "at": e.at, "event": format!("{:?}", e.event).to_lowercase(), "service": e.service,
                "hops": e.hops, "path": e.path, "title": e.title, "kind": e.kind,
                "significance": e.significance, "suspicion": e.suspicion,
                "moved": e.change.as_ref().map(|c| &c.moved),
            })
        })
        .collect();
    print_json(
        &json!({ "service": query.service, "from": query.from, "to": query.to, "services": found.services, "events": events }),
    )
}

pub async fn words(store: &dyn Store, from: Day, to: Day) -> anyhow::Result<()> {
    print_json(&changes::read(store, from, to, &Scope::default()).await?)
}
