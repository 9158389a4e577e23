use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use collectors::synthetic::SyntheticConfig;

use crate::api::{self, Grants};
use crate::config::Config;
use crate::delivery::Delivery;
use crate::model::Day;
use crate::server::{serve, Server};
use crate::store::Store;
use crate::SqliteStore;

#[derive(clap::Args)]
pub struct ServeArgs {
    #[command(flatten)]
    store: super::store_args::StoreArgs,
    /// Address to listen on; overrides [server] listen.
    #[arg(long, env = "SPOT_LISTEN")]
    listen: Option<SocketAddr>,
}

pub async fn serve_command(args: ServeArgs) -> anyhow::Result<()> {
    let mut config = args.store.config()?;
    if let Some(listen) = args.listen {
        config.server.listen = listen;
    }
    // Refused before anything starts: unreadable tokens, and two tokens
    // with one value (the server itself resolves them again).
    config
        .auth
        .resolve_tokens()
        .map_err(|problems| crate::config::problems_error(args.store.config_path(), &problems))?;
    // An ArangoDB store is checked first: reachable, supported, migrated.
    let store = super::store_args::StoreArgs::open(&config).await?;
    let listen = config.server.listen;
    serve(Server::new(&config, store)?, listen).await
}

#[derive(clap::Args)]
pub struct QueryArgs {
    #[command(flatten)]
    store: super::store_args::StoreArgs,
    /// A GraphQL query or mutation.
    query: String,
    /// Variables as a JSON object.
    #[arg(long)]
    variables: Option<String>,
}

/// Runs one GraphQL request in-process, with every scope, and prints the
/// JSON response; exits non-zero when it has errors. A query opens the
/// store read-only (never migrated, readable in a read-only folder); only a
/// mutation opens it for writing.
pub async fn query(args: QueryArgs) -> anyhow::Result<()> {
    let config = args.store.config()?;
    let store: Arc<dyn Store> = if is_mutation(&args.query) {
        super::store_args::StoreArgs::open_existing(&config).await?
    } else {
        super::store_args::StoreArgs::open_for_reading(&config).await?
    };
    let links = crate::links::Links::new(&config.links)
        .map_err(|problems| crate::config::problems_error(args.store.config_path(), &problems))?;
    let feed = crate::watch::Feed::default();
    let scorecards =
        crate::scorecards::Scorecards::load(&config.scorecards, &crate::config::check::sonar_metrics(&config))
            .map_err(|problems| crate::config::problems_error(args.store.config_path(), &problems))?;
    let scoring = api::Scoring { scorecards: Arc::new(scorecards), cache: Arc::default() };
    let delivery = Delivery::new(config.delivery);
    let schema = api::schema_with_scheduler(store, config.limits, links, None, feed, delivery, scoring);
    let mut request = async_graphql::Request::new(args.query);
    if let Some(text) = args.variables {
        let variables: serde_json::Value = serde_json::from_str(&text).context("--variables is not JSON")?;
        request = request.variables(async_graphql::Variables::from_json(variables));
    }
    let response = schema.execute(api::request(&schema, request, Grants::all("spot query"))).await;
    let failed = !response.errors.is_empty();
    super::print_json(&response)?;
    if failed {
        anyhow::bail!("the query returned errors (see the response above)");
    }
    Ok(())
}

/// Whether a GraphQL document holds a mutation. A document that does not
/// parse is not one: executing it reports the syntax error.
fn is_mutation(document: &str) -> bool {
    use async_graphql::parser::types::{DocumentOperations, OperationType};
    let Ok(parsed) = async_graphql::parser::parse_query(document) else { return false };
    let is_mutation = |ty: OperationType| ty == OperationType::Mutation;
    match parsed.operations {
        DocumentOperations::Single(operation) => is_mutation(operation.node.ty),
        DocumentOperations::Multiple(operations) => operations.values().any(|op| is_mutation(op.node.ty)),
    }
}

pub fn schema() -> anyhow::Result<()> {
    print!("{}", api::sdl());
    Ok(())
}

#[derive(clap::Args)]
pub struct DemoArgs {
    /// Where the demo history lives; generated on first use.
    #[arg(long, default_value = super::store_args::DEMO_DB)]
    db: PathBuf,
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Days of history to generate on first use.
    #[arg(long, default_value_t = 365)]
    days: usize,
}

/// How many of the demo's last days a simulated Kubernetes watch records
/// actions for (rollouts, scales, crash loops).
const DEMO_WATCH_DAYS: i32 = 7;

/// Generates into a scratch file renamed into place when complete, so an
/// interrupted first run never leaves a half-made demo behind.
async fn generate_demo(db: &Path, days: usize) -> anyhow::Result<()> {
    let scratch = PathBuf::from(format!("{}.generating", db.display()));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", scratch.display()));
    }
    let store = SqliteStore::open(&scratch)?;
    let today = Day::today();
    let start = today.minus(days as i32 - 1);
    let config = SyntheticConfig {
        watch_from: Some(today.minus(DEMO_WATCH_DAYS - 1)),
        until: Some(chrono::Utc::now()),
        ..SyntheticConfig::new(1, 42, start)
    };
    eprintln!(
        "generating {days} days of a synthetic organisation into {} (first run only; written to {} until complete)...",
        db.display(),
        scratch.display()
    );
    let bar = super::progress_bar(days as u64, "{elapsed_precise} [{bar:40}] {pos}/{len} days ({percent} %)");
    let summary = crate::generate::generate(&store, config, days, |_| bar.inc(1)).await?;
    bar.finish_and_clear();
    drop(store); // the last connection folds the WAL back into the file
    std::fs::rename(&scratch, db)
        .map_err(|e| anyhow::anyhow!("cannot move {} to {}: {e}", scratch.display(), db.display()))?;
    eprintln!("generated {} days in {:.1} s", summary.days, summary.elapsed.as_secs_f64());
    // Expected: the synthetic collectors fail now and then, as real ones
    // do; `spot runs` lists each. Said once here rather than as warnings.
    tracing::info!(
        failed_runs = summary.failed_runs,
        "{} synthetic outages recorded as failed runs, as designed (spot runs --db {} lists them)",
        summary.failed_runs,
        db.display()
    );
    Ok(())
}

/// Generates a year of the scale-1 synthetic organisation into `--db` unless
/// it is already there, then serves it.
pub async fn demo(args: DemoArgs) -> anyhow::Result<()> {
    // A port in use fails now, before a minute of generating and before
    // telling anyone to open it.
    drop(std::net::TcpListener::bind(args.listen).map_err(|e| {
        anyhow::anyhow!("cannot listen on {}: {e} (another server on that port? choose one with --listen)", args.listen)
    })?);
    let db = std::path::absolute(&args.db).unwrap_or_else(|_| args.db.clone());
    if !db.exists() {
        generate_demo(&db, args.days).await?;
    }
    let mut config = Config::default();
    config.store.path = db.clone();
    config.server.listen = args.listen;
    config.scorecards.builtin = true;
    config.links.templates = demo_links();
    let store = SqliteStore::open(&db)?;
    let latest = store.latest_day().await?.map_or("none".into(), |d| d.to_string());
    let server = Server::new(&config, Arc::new(store))?;
    println!(
        "SPoT demo: open http://{0}/ (the explorer) or http://{0}/graphql (GraphiQL). History up to {latest}, in {1}. Ctrl-C stops.",
        args.listen,
        db.display()
    );
    serve(server, args.listen).await
}

/// The demo's `[links]` templates (docs/links.md): every service links to
/// its logs, dashboard, runbook and CI, every workload and deploy to the
/// logs and dashboard of its moment. The hosts are `.example` ones: the
/// organisation is synthetic.
pub fn demo_links() -> std::collections::BTreeMap<String, crate::links::TemplateConfig> {
    let template = |title: &str, url: &str| crate::links::TemplateConfig {
        url: url.to_string(),
        kind: None,
        title: Some(title.to_string()),
    };
    [
        ("logs", template("Logs", "https://logs.acme.example/search?service={service}&from={from_ms}&to={to_ms}")),
        (
            "dashboard",
            template("Service dashboard", "https://grafana.acme.example/d/service?var-service={service}&from={from_ms}&to={to_ms}"),
        ),
        ("runbook", template("Runbook", "https://wiki.acme.example/display/OPS/{service}+runbook")),
        ("ci", template("CI", "https://ci.acme.example/job/{repository_owner}/job/{repository_name}/")),
        (
            "workload-dashboard",
            crate::links::TemplateConfig {
                kind: Some("dashboard".into()),
                ..template(
                    "Workload dashboard",
                    "https://grafana.acme.example/d/workload?var-cluster={cluster}&var-namespace={namespace}&var-workload={workload}&from={from_ms}&to={to_ms}",
                )
            },
        ),
    ]
    .into_iter()
    .map(|(name, template)| (name.to_string(), template))
    .collect()
}

#[cfg(test)]
mod tests {
    use super::is_mutation;

    #[test]
    fn only_a_mutation_opens_the_store_for_writing() {
        assert!(!is_mutation("{ latestDay }"));
        assert!(!is_mutation("query Q { latestDay }"));
        assert!(is_mutation(r#"mutation { recordDeployment(service: "a", cluster: "b", version: "1") { version } }"#));
        assert!(is_mutation("query A { latestDay } mutation B { ingest(observation: {}) { day } }"));
        assert!(!is_mutation("{ not graphql"));
    }
}
