//! `spot ingest FILE...`: observation files, one run each, all or nothing.

use std::path::PathBuf;

use super::store_args::StoreArgs;
use crate::model::Run;
use crate::store::{select, BatchError};

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    store: StoreArgs,
    /// How many days after today (UTC) an observation may be dated;
    /// overrides [ingest] max_future_days (default 1).
    #[arg(long)]
    max_future_days: Option<u32>,
    /// Observation files (schema/observation.schema.json), one run each,
    /// ingested in the order given.
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    // Every file is read and checked before the store is even opened.
    let observations =
        args.files.iter().map(|file| crate::observations::read_file(file)).collect::<Result<Vec<_>, _>>()?;
    let mut config = args.store.config()?;
    if let Some(days) = args.max_future_days {
        config.ingest.max_future_days = days;
    }
    let store = StoreArgs::open(&config).await?;
    let runs = store
        .ingest_batch(&observations)
        .await
        .map_err(|e| explain(e, &args.files, &select::describe(&config.store)))?;
    for (file, run) in args.files.iter().zip(&runs) {
        println!("{}: {}", file.display(), summary(run));
    }
    Ok(())
}

fn summary(run: &Run) -> String {
    format!(
        "{}/{} {} {}: {} added, {} changed, {} closed, {} unchanged",
        run.source,
        run.scope,
        run.day,
        run.status.as_str(),
        run.counts.added,
        run.counts.changed,
        run.counts.closed,
        run.counts.unchanged
    )
}

/// One line: what is at fault (the file a rule refused, else the store),
/// why, and what was written.
fn explain(error: BatchError, files: &[PathBuf], store: &str) -> anyhow::Error {
    let culprit = match error.index.and_then(|i| files.get(i)) {
        Some(file) if error.is_refusal() => file.display().to_string(),
        _ => store.to_string(),
    };
    let written = match error.written {
        0 => "nothing was written".to_string(),
        n => {
            let names: Vec<String> = files[..n.min(files.len())].iter().map(|f| f.display().to_string()).collect();
            let verb = if n == 1 { "was" } else { "were" };
            format!("the {} before it {verb} ingested ({})", plural(n, "file"), names.join(", "))
        }
    };
    anyhow::anyhow!("{culprit}: {}; {written}", error.error)
}

fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}
