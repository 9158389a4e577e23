//! Running collectors: one run per (collector, scope, day), its observation
//! ingested, or its failure recorded so that nothing is closed.

use collectors::{AnyCollector, CollectorsConfig, Day};

use crate::model::Run;
use crate::store::{Store, StoreError};

/// The collectors to run: the ones named, or every configured one.
pub fn select(config: &CollectorsConfig, names: &[String]) -> anyhow::Result<Vec<Box<dyn AnyCollector>>> {
    let names: Vec<String> = if names.is_empty() {
        let configured = config.configured();
        if configured.is_empty() {
            anyhow::bail!(
                "no collector is configured: add a [collectors.<name>] section to the config (known: {})",
                collectors::collector::NAMES.join(", ")
            );
        }
        configured.into_iter().map(String::from).collect()
    } else {
        names.to_vec()
    };
    names.iter().map(|name| config.build(name).map_err(anyhow::Error::from)).collect()
}

/// Observes one scope and ingests what was seen. A collector that fails,
/// or returns an observation that does not validate, leaves a failed run
/// and yesterday's state carries forward. `Err` only when the store itself
/// refuses (an older day, a broken file).
pub async fn run_once(store: &dyn Store, collector: &dyn AnyCollector, scope: &str, day: Day) -> Result<Run, StoreError> {
    let source = collector.name();
    let started = std::time::Instant::now();
    let observed = collector.collect(scope, day).await;
    let error = match observed {
        Ok(observation) => match observation.validate() {
            Ok(()) => {
                let run = store.ingest(&observation).await?;
                tracing::info!(
                    collector.name = source, snapshot.scope = scope, snapshot.day = %day,
                    added = run.counts.added, changed = run.counts.changed, closed = run.counts.closed,
                    warnings = run.warnings.len(), elapsed_ms = started.elapsed().as_millis() as u64,
                    "collector run committed"
                );
                return Ok(run);
            }
            Err(problems) => {
                let listed: Vec<String> = problems.iter().take(5).map(ToString::to_string).collect();
                format!("the collector returned an invalid observation ({} problems): {}", problems.len(), listed.join("; "))
            }
        },
        Err(e) => e.to_string(),
    };
    store.record_failure(source, scope, day, &error).await
}
