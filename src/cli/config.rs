//! `spot config check`: validate a config and print it resolved.

use std::path::PathBuf;

use crate::config::{check, Config};

#[derive(clap::Subcommand)]
pub enum Command {
    /// Validate the config (file plus SPOT_* overrides): syntax, unknown
    /// keys, cron expressions, URLs, and that every secret can be read.
    /// Prints the resolved config; secret values are never printed.
    Check {
        #[arg(long, env = "SPOT_CONFIG")]
        config: Option<PathBuf>,
    },
}

pub fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Check { config } => check_command(config),
    }
}

fn check_command(path: Option<PathBuf>) -> anyhow::Result<()> {
    let mut loaded = Config::read(path.as_deref(), std::env::vars())?;
    let mut problems = std::mem::take(&mut loaded.problems);
    if let Some(config) = &loaded.config {
        // With keys left out for being wrong, the rest would mislead.
        if problems.is_empty() {
            print_resolved(config)?;
        }
        problems.extend(check::problems(config).iter().map(|problem| loaded.located(problem)));
        for warning in check::warnings(config) {
            eprintln!("warning: {}", loaded.located(&warning));
        }
    }
    if problems.is_empty() {
        println!("\n# config OK");
        return Ok(());
    }
    Err(crate::config::problems_error(path.as_deref(), &problems))
}

/// The config as it will run, URLs with their passwords and tokens hidden,
/// then each secret with only whether it can be read.
fn print_resolved(config: &Config) -> anyhow::Result<()> {
    print!("{}", collectors::redact::urls_in(&toml::to_string(config)?));
    let secrets = check::secrets(config);
    if !secrets.is_empty() {
        println!("\n# secrets (values never shown):");
        for line in secrets {
            println!("#   {line}");
        }
    }
    Ok(())
}
