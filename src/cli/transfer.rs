//! `spot export` and `spot import`: a whole history as JSON Lines.

use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::PathBuf;

use tokio::sync::mpsc;

use super::store_args::StoreArgs;
use crate::store::select;
use crate::transfer::{parse_line, Incoming, Record, TransferError};

#[derive(clap::Args)]
pub struct ExportArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// The JSON Lines file to write (must not exist); standard output when
    /// not given.
    #[arg(long)]
    out: Option<PathBuf>,
}

#[derive(clap::Args)]
pub struct ImportArgs {
    /// The store to import into: a new SQLite file, or an empty store.
    #[command(flatten)]
    store: StoreArgs,
    /// A file written by `spot export`.
    file: PathBuf,
}

pub async fn export(args: ExportArgs) -> anyhow::Result<()> {
    let config = args.store.config()?;
    let store = StoreArgs::open_existing(&config).await?;
    let mut out: Box<dyn Write + Send> = match &args.out {
        Some(path) => {
            let file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(path)
                .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", path.display()))?;
            Box::new(BufWriter::new(file))
        }
        None => Box::new(BufWriter::new(std::io::stdout())),
    };
    let (sink, mut records) = mpsc::channel::<Record>(4096);
    let reading = tokio::spawn(async move { store.export(sink).await });
    let bar = super::spinner("exporting {pos} records {spinner}");
    let mut written = 0u64;
    while let Some(record) = records.recv().await {
        serde_json::to_writer(&mut out, &record)?;
        out.write_all(b"\n")?;
        written += 1;
        if written % 10_000 == 0 {
            bar.set_position(written);
        }
    }
    out.flush()?;
    reading.await??;
    bar.finish_and_clear();
    if let Some(path) = &args.out {
        println!("exported {written} records to {}", path.display());
    }
    Ok(())
}

pub async fn import(args: ImportArgs) -> anyhow::Result<()> {
    let file =
        std::fs::File::open(&args.file).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", args.file.display()))?;
    let name = args.file.display().to_string();
    let config = args.store.config()?;
    let store = StoreArgs::open(&config).await?;
    let (sink, records) = mpsc::channel::<Incoming>(4096);
    let writing = tokio::spawn(async move { store.import(records).await });
    // Lines are parsed here, off the store's writer: a bad line stops the
    // import before its transaction commits, so nothing is half-written.
    let reading = tokio::task::spawn_blocking(move || -> anyhow::Result<u64> {
        let bar = super::spinner("importing {pos} records {spinner}");
        let mut number = 0u64;
        for line in BufReader::new(file).lines() {
            number += 1;
            let parsed = match line {
                Ok(line) if line.trim().is_empty() => continue,
                Ok(line) => parse_line(&name, number, &line),
                Err(source) => Err(TransferError::Unreadable { file: name.clone(), line: number, source }),
            };
            let failed = parsed.as_ref().err().map(ToString::to_string);
            // An error is sent too: it makes the store roll the import back.
            if sink.blocking_send(parsed).is_err() {
                break; // the store refused a record; its error says which
            }
            if let Some(problem) = failed {
                anyhow::bail!(problem);
            }
            if number % 10_000 == 0 {
                bar.set_position(number);
            }
        }
        bar.finish_and_clear();
        if number == 0 {
            let problem = TransferError::Empty { file: name.clone() }.to_string();
            let _ = sink.blocking_send(Err(TransferError::Empty { file: name }));
            anyhow::bail!(problem);
        }
        Ok(number)
    });
    let read = reading.await?;
    let written = writing.await?;
    let imported = match (read, written) {
        (Err(e), _) => return Err(e.context("nothing was imported")),
        (Ok(_), Err(e)) => return Err(anyhow::Error::from(e).context("nothing was imported")),
        (Ok(_), Ok(imported)) => imported,
    };
    println!(
        "imported {} entities, {} fact versions, {} relation versions, {} runs, {} deploy events into {}",
        imported.entities,
        imported.fact_versions,
        imported.relation_versions,
        imported.runs,
        imported.deploy_events,
        select::describe(&config.store)
    );
    Ok(())
}
