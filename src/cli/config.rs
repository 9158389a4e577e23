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
    let config = Config::for_command(path.as_deref())?;
    print!("{}", toml::to_string(&config)?);
    let secrets = check::secrets(&config);
    if !secrets.is_empty() {
        println!("\n# secrets (values never shown):");
        for line in secrets {
            println!("#   {line}");
        }
    }
    let problems = check::problems(&config);
    if problems.is_empty() {
        println!("\n# config OK");
        return Ok(());
    }
    anyhow::bail!("{} problem(s) in the config:\n  {}", problems.len(), problems.join("\n  "))
}
