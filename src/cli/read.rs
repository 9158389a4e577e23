//! Read commands: each prints the query layer's answer as JSON. They open
//! the store read-only (a SQLite file is never written, not even migrated)
//! and take the store like every command: `--db FILE`, or the config's
//! `[store]` (`--config`), ArangoDB included.

use clap::ValueEnum;
use serde_json::json;

use super::store_args::StoreArgs;
use super::{print_json, resolve_day};
use crate::model::*;

#[derive(clap::Args)]
pub struct EntityArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// An entity key, e.g. service:billing-api.
    key: String,
    /// The day to look at (YYYY-MM-DD); the latest committed day by default.
    #[arg(long)]
    at: Option<Day>,
}

pub async fn entity(args: EntityArgs) -> anyhow::Result<()> {
    let store = StoreArgs::open_for_reading(&args.store.config()?).await?;
    let day = resolve_day(store.as_ref(), args.at).await?;
    match store.entity(&args.key, day).await? {
        Some(state) => print_json(&state),
        None => anyhow::bail!("no entity '{}' on {day}", args.key),
    }
}

#[derive(clap::Args)]
pub struct SearchArgs {
    #[command(flatten)]
    store: StoreArgs,
    text: String,
    /// Only these kinds (repeatable).
    #[arg(long = "kind")]
    kinds: Vec<String>,
    #[arg(long)]
    at: Option<Day>,
    #[arg(long, default_value_t = 20)]
    first: usize,
}

pub async fn search(args: SearchArgs) -> anyhow::Result<()> {
    let store = StoreArgs::open_for_reading(&args.store.config()?).await?;
    let day = resolve_day(store.as_ref(), args.at).await?;
    let query = SearchQuery { text: args.text, kinds: args.kinds, day, limit: args.first };
    print_json(&store.search(&query).await?)
}

#[derive(Clone, Copy, ValueEnum)]
pub enum DirectionArg {
    Out,
    In,
    Both,
}

impl From<DirectionArg> for Direction {
    fn from(arg: DirectionArg) -> Direction {
        match arg {
            DirectionArg::Out => Direction::Out,
            DirectionArg::In => Direction::In,
            DirectionArg::Both => Direction::Both,
        }
    }
}

#[derive(clap::Args)]
pub struct DepsArgs {
    #[command(flatten)]
    store: StoreArgs,
    key: String,
    #[arg(long)]
    at: Option<Day>,
    #[arg(long, default_value_t = 1)]
    depth: u32,
    /// out: what it needs; in: who needs it.
    #[arg(long, value_enum, default_value_t = DirectionArg::Out)]
    direction: DirectionArg,
    /// Relation kinds to follow (repeatable); all kinds by default.
    #[arg(long = "kind")]
    kinds: Vec<String>,
}

pub async fn deps(args: DepsArgs) -> anyhow::Result<()> {
    let store = StoreArgs::open_for_reading(&args.store.config()?).await?;
    let day = resolve_day(store.as_ref(), args.at).await?;
    let direction = Direction::from(args.direction);
    let traversal =
        Traversal { start: args.key, day, depth: args.depth, edges: EdgeRule::for_kinds(&args.kinds, direction) };
    print_json(&store.traverse(&traversal).await?)
}

#[derive(clap::Args)]
pub struct TimelineArgs {
    #[command(flatten)]
    store: StoreArgs,
    key: String,
    /// A dotted attribute path, e.g. version or replicas.desired.
    attribute: String,
    /// First day; a year before --to by default.
    #[arg(long)]
    from: Option<Day>,
    /// Last day; the latest committed day by default.
    #[arg(long)]
    to: Option<Day>,
    /// Only this source's facts.
    #[arg(long)]
    source: Option<String>,
}

pub async fn timeline(args: TimelineArgs) -> anyhow::Result<()> {
    let store = StoreArgs::open_for_reading(&args.store.config()?).await?;
    let to = resolve_day(store.as_ref(), args.to).await?;
    let from = args.from.unwrap_or(to.minus(365));
    print_json(&store.timeline(&args.key, &args.attribute, from, to, args.source.as_deref()).await?)
}

#[derive(clap::Args)]
pub struct ChangesArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// The earlier day; seven days before --to by default.
    #[arg(long)]
    from: Option<Day>,
    /// The later day; the latest committed day by default.
    #[arg(long)]
    to: Option<Day>,
    /// Print only the number of changes of each kind.
    #[arg(long)]
    summary: bool,
    #[command(flatten)]
    intelligence: super::changes::AroundArgs,
}

pub async fn changes(args: ChangesArgs) -> anyhow::Result<()> {
    let config = args.store.config()?;
    let store = StoreArgs::open_for_reading(&config).await?;
    if let Some(service) = &args.intelligence.around {
        let fix_forward = config.delivery.fix_forward();
        return super::changes::around(store.as_ref(), &args.intelligence, service, fix_forward).await;
    }
    let to = resolve_day(store.as_ref(), args.to).await?;
    let from = args.from.unwrap_or(to.minus(7));
    if args.intelligence.words {
        return super::changes::words(store.as_ref(), from, to).await;
    }
    let changes = store.changes(from, to).await?;
    if !args.summary {
        return print_json(&changes);
    }
    let count = |change: Change, of: &mut dyn Iterator<Item = Change>| of.filter(|c| *c == change).count();
    let mut summary = serde_json::Map::new();
    for change in [Change::Added, Change::Changed, Change::Removed] {
        let entities = count(change, &mut changes.entities.iter().map(|c| c.change));
        let relations = count(change, &mut changes.relations.iter().map(|c| c.change));
        summary.insert(format!("{change:?}").to_lowercase(), json!({ "entities": entities, "relations": relations }));
    }
    print_json(&json!({ "from": from, "to": to, "changes": summary }))
}

#[derive(clap::Args)]
pub struct RunsArgs {
    #[command(flatten)]
    store: StoreArgs,
    #[arg(long)]
    source: Option<String>,
    #[arg(long)]
    from: Option<Day>,
    #[arg(long)]
    to: Option<Day>,
}

pub async fn runs(args: RunsArgs) -> anyhow::Result<()> {
    let store = StoreArgs::open_for_reading(&args.store.config()?).await?;
    let filter = RunFilter { source: args.source, from: args.from, to: args.to };
    print_json(&store.runs(&filter).await?)
}

#[derive(clap::Args)]
pub struct StatsArgs {
    #[command(flatten)]
    store: StoreArgs,
}

pub async fn stats(args: StatsArgs) -> anyhow::Result<()> {
    let store = StoreArgs::open_for_reading(&args.store.config()?).await?;
    let latest = store.latest_day().await?;
    print_json(&json!({ "latest_day": latest, "stats": store.stats().await? }))
}
