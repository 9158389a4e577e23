//! Delivery: what deploys say about how a team ships. The four DORA
//! metrics, deploy outcomes (succeeded, failed, rolled back, superseded,
//! fixed forward) and deploy-time estimates, computed from the deploy
//! events the store keeps, for any window as it was recorded. Every rule
//! is written out in docs/dora.md; this module is that text in code.

pub mod bands;
pub mod commits;
pub mod dora;
pub mod estimate;
pub mod read;
pub mod seen;

pub use crate::judging::{judge, lower_version, rollup, Judged};

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use bands::Band;
pub use dora::{Bucket, Figures, Report};

/// `[delivery]`: which clusters are which environment, and when a quick
/// next deploy counts as a fix of the one before.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct DeliveryConfig {
    /// Environment name → its clusters, e.g. `production = ["dc1", "dc2"]`.
    /// Empty: every cluster is production.
    pub environments: BTreeMap<String, Vec<String>>,
    /// A deploy followed by the next deploy of the same service to the
    /// same cluster within this many minutes of finishing was fixed
    /// forward: a failed change. 0 turns the rule off.
    pub fix_forward_minutes: u32,
    /// Folders holding clones of the organisation's repositories (as
    /// `spot backfill` reads them): the commits a deploy brought are read
    /// from them before GitHub is asked.
    pub clones: Vec<std::path::PathBuf>,
}

impl Default for DeliveryConfig {
    fn default() -> DeliveryConfig {
        DeliveryConfig { environments: BTreeMap::new(), fix_forward_minutes: 60, clones: Vec::new() }
    }
}

/// `[delivery]` with what the server can reach for the commits behind a
/// deploy: local clones (`clones`), then GitHub when a GitHub collector is
/// configured.
#[derive(Clone, Default)]
pub struct Delivery {
    pub config: DeliveryConfig,
    pub commits: Vec<std::sync::Arc<dyn commits::CommitSource>>,
}

impl Delivery {
    /// With the local clones `config` names (no GitHub yet).
    pub fn new(config: DeliveryConfig) -> Delivery {
        let mut commits: Vec<std::sync::Arc<dyn commits::CommitSource>> = Vec::new();
        if !config.clones.is_empty() {
            commits.push(std::sync::Arc::new(commits::LocalClones(config.clones.clone())));
        }
        Delivery { config, commits }
    }
}

/// Clusters a read selects: `only` these (`None`: every cluster), less
/// those in `except`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    pub only: Option<Vec<String>>,
    pub except: Vec<String>,
}

/// The environment of clusters no `[delivery.environments]` entry names.
pub const UNCLASSIFIED: &str = "unclassified";
/// The environment DORA figures default to.
pub const PRODUCTION: &str = "production";

impl DeliveryConfig {
    /// Every problem at once, for `spot config check`.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
        for (environment, clusters) in &self.environments {
            if environment.trim().is_empty() || environment == UNCLASSIFIED {
                problems.push(format!("delivery.environments: {environment:?} cannot name an environment"));
            }
            for cluster in clusters {
                if let Some(other) = seen.insert(cluster, environment) {
                    problems.push(format!(
                        "delivery.environments: cluster {cluster:?} is in both {other:?} and {environment:?}"
                    ));
                }
            }
        }
        for folder in self.clones.iter().filter(|f| !f.is_dir()) {
            problems.push(format!("delivery.clones: {} is not a folder", folder.display()));
        }
        problems
    }

    /// The environment of `cluster`.
    pub fn environment_of(&self, cluster: &str) -> &str {
        if self.environments.is_empty() {
            return PRODUCTION;
        }
        self.environments
            .iter()
            .find(|(_, clusters)| clusters.iter().any(|c| c == cluster))
            .map(|(name, _)| name.as_str())
            .unwrap_or(UNCLASSIFIED)
    }

    /// The clusters of `environment`; `None` when every cluster is in it
    /// (no environments configured and `production` asked). An unknown
    /// name is an error naming the known ones.
    pub fn clusters_of(&self, environment: &str) -> Result<Option<Vec<String>>, String> {
        if self.environments.is_empty() {
            return match environment {
                PRODUCTION => Ok(None),
                other => Err(format!(
                    "no environment {other:?}: without [delivery.environments] every cluster is {PRODUCTION:?}"
                )),
            };
        }
        match self.environments.get(environment) {
            Some(clusters) => Ok(Some(clusters.clone())),
            None => Err(format!(
                "no environment {environment:?}: [delivery.environments] names {}",
                self.environments.keys().map(|k| format!("{k:?}")).collect::<Vec<_>>().join(", ")
            )),
        }
    }

    /// The clusters of `environment` as a read selects them: `unclassified`
    /// (with environments configured) is every cluster but those the
    /// environments name, so a deploy to a cluster nobody classified is
    /// still found. An unknown name is an error naming the known ones.
    pub fn selection_of(&self, environment: &str) -> Result<Selection, String> {
        if environment == UNCLASSIFIED && !self.environments.is_empty() {
            let named = self.environments.values().flatten().cloned().collect();
            return Ok(Selection { only: None, except: named });
        }
        let only = self.clusters_of(environment).map_err(|e| match self.environments.is_empty() {
            true => e,
            false => format!("{e}, and {UNCLASSIFIED:?} (the clusters none of them names)"),
        })?;
        Ok(Selection { only, except: Vec::new() })
    }

    /// Every environment a deploy can be in: those configured and, with
    /// any configured, `unclassified`; else `production` alone.
    pub fn every_environment(&self) -> Vec<String> {
        if self.environments.is_empty() {
            return vec![PRODUCTION.to_string()];
        }
        self.environments.keys().cloned().chain([UNCLASSIFIED.to_string()]).collect()
    }

    pub fn fix_forward(&self) -> Option<chrono::Duration> {
        (self.fix_forward_minutes > 0).then(|| chrono::Duration::minutes(self.fix_forward_minutes as i64))
    }
}

/// The value at quantile `q` (0 < q ≤ 1) of `values` by the nearest-rank
/// rule: the ⌈q·n⌉-th smallest. `None` for no values.
pub fn nearest_rank<T: Copy + Ord>(values: &mut [T], q: f64) -> Option<T> {
    if values.is_empty() {
        return None;
    }
    let rank = ((q * values.len() as f64).ceil() as usize).clamp(1, values.len());
    // Selection, not a sort: an organisation's two years are ~300,000 samples.
    Some(*values.select_nth_unstable(rank - 1).1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_take_the_nearest_rank() {
        assert_eq!(nearest_rank(&mut [4, 1, 3, 2], 0.5), Some(2));
        assert_eq!(nearest_rank(&mut [4, 1, 3, 2, 5], 0.5), Some(3));
        assert_eq!(nearest_rank(&mut [4, 1, 3, 2, 5], 0.9), Some(5));
        assert_eq!(nearest_rank::<i64>(&mut [], 0.5), None);
    }

    #[test]
    fn clusters_fall_in_their_environment() {
        let none = DeliveryConfig::default();
        assert_eq!(none.environment_of("dc1"), PRODUCTION);
        assert_eq!(none.clusters_of(PRODUCTION), Ok(None));
        assert!(none.clusters_of("staging").unwrap_err().contains("every cluster is \"production\""));
        let config = DeliveryConfig {
            environments: [("production".into(), vec!["dc1".into()]), ("staging".into(), vec!["stg".into()])].into(),
            ..DeliveryConfig::default()
        };
        assert_eq!(config.environment_of("stg"), "staging");
        assert_eq!(config.environment_of("lab"), UNCLASSIFIED);
        assert!(config.clusters_of("qa").unwrap_err().contains("\"production\", \"staging\""));
        assert_eq!(
            config.selection_of(UNCLASSIFIED),
            Ok(Selection { only: None, except: vec!["dc1".into(), "stg".into()] }),
            "every cluster but the named ones"
        );
        assert_eq!(config.every_environment(), ["production", "staging", "unclassified"]);
        assert_eq!(none.every_environment(), ["production"]);
        assert!(none.selection_of(UNCLASSIFIED).is_err(), "without environments every cluster is production");
        let twice = DeliveryConfig {
            environments: [("production".into(), vec!["dc1".into()]), ("staging".into(), vec!["dc1".into()])].into(),
            ..DeliveryConfig::default()
        };
        assert_eq!(twice.problems().len(), 1);
    }
}
