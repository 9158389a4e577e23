//! Running collectors: one run per (collector, scope, day), its observation
//! ingested, or its failure recorded so that nothing is closed.

use std::time::{Duration, Instant};

use collectors::identity::aliases::Aliases;
use collectors::identity::IdentityConfig;
use collectors::{AnyCollector, CollectorsConfig, Day, Observation};

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

/// Why a run observed nothing, by kind, for metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureReason {
    /// The collector returned an error (source down, credentials, shape).
    Source,
    /// It was still observing when its time was up.
    Timeout,
    /// It returned an observation that does not validate (a collector bug).
    Invalid,
}

impl FailureReason {
    pub fn as_str(self) -> &'static str {
        match self {
            FailureReason::Source => "source",
            FailureReason::Timeout => "timeout",
            FailureReason::Invalid => "invalid",
        }
    }
}

/// What one attempt produced.
pub struct Attempt {
    pub run: Run,
    /// Entities and relations observed (0 for a failure).
    pub observed: usize,
    pub failure: Option<FailureReason>,
    pub elapsed: Duration,
}

/// Observes one scope (abandoned after `timeout`, when given) and ingests
/// what was seen. A collector that fails, hangs or returns an invalid
/// observation leaves a failed run, and yesterday's state carries forward.
/// `Err` only when the store itself refuses (an older day, a broken file).
pub async fn run_once(
    store: &dyn Store,
    collector: &dyn AnyCollector,
    scope: &str,
    day: Day,
    timeout: Option<Duration>,
    identity: &IdentityConfig,
) -> Result<Attempt, StoreError> {
    let source = collector.name();
    let started = Instant::now();
    let observed = match timeout {
        Some(limit) => match tokio::time::timeout(limit, collector.collect(scope, day)).await {
            Ok(observed) => observed.map_err(|e| (FailureReason::Source, e.to_string())),
            Err(_) => {
                Err((FailureReason::Timeout, format!("timed out after {} s; nothing was written", limit.as_secs())))
            }
        },
        None => collector.collect(scope, day).await.map_err(|e| (FailureReason::Source, e.to_string())),
    };
    let (reason, error) = match observed.and_then(|obs| checked(obs).map_err(|e| (FailureReason::Invalid, e))) {
        Ok(mut observation) => {
            aliases(store, identity, day, &observation).await.apply(&mut observation);
            let run = store.ingest(&observation).await?;
            let observed = observation.entities.len() + observation.relations.len();
            tracing::info!(
                collector.name = source, snapshot.scope = scope, snapshot.day = %day,
                added = run.counts.added, changed = run.counts.changed, closed = run.counts.closed,
                warnings = run.warnings.len(), elapsed_ms = started.elapsed().as_millis() as u64,
                "collector run committed"
            );
            return Ok(Attempt { run, observed, failure: None, elapsed: started.elapsed() });
        }
        Err(failure) => failure,
    };
    let run = store.record_failure(source, scope, day, &error).await?;
    // Said here, where a real collector's failure is known; the store only
    // records it (the synthetic organisation's outages are expected, and
    // `spot demo` sums them up instead).
    tracing::warn!(collector.name = source, snapshot.scope = scope, snapshot.day = %day, error, "recorded failed run");
    Ok(Attempt { run, observed: 0, failure: Some(reason), elapsed: started.elapsed() })
}

/// The other names of services on `day`: `[identity] aliases`, then those
/// the catalog files declare, as stored and as in this observation.
async fn aliases(store: &dyn Store, identity: &IdentityConfig, day: Day, observation: &Observation) -> Aliases {
    let mut aliases = Aliases::new(&identity.aliases);
    aliases.declare_from(observation);
    match store.attribute_values("service", "aliases", Some("github"), day).await {
        Ok(values) => {
            for value in values {
                let name = collectors::keys::name_in(&value.key, collectors::keys::SERVICE).unwrap_or(&value.key);
                for alias in value.value.as_array().into_iter().flatten().filter_map(|a| a.as_str()) {
                    aliases.declare(alias, name);
                }
            }
        }
        Err(e) => tracing::warn!(error = %e, "could not read the services' declared aliases; the config's apply"),
    }
    aliases
}

fn checked(observation: Observation) -> Result<Observation, String> {
    match observation.validate() {
        Ok(()) => Ok(observation),
        Err(problems) => {
            let listed: Vec<String> = problems.iter().take(5).map(ToString::to_string).collect();
            Err(format!(
                "the collector returned an invalid observation ({} problems): {}",
                problems.len(),
                listed.join("; ")
            ))
        }
    }
}
