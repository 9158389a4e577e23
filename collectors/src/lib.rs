//! SPoT's collectors. Each one observes one source and returns
//! [`Observation`]s; none of them knows how or where they are stored.
//!
//! - [`day`]: day numbers, SPoT's unit of time.
//! - [`action`]: what happened to a workload at a moment between
//!   snapshots (a rollout, a scale, a crash loop), as the Kubernetes watch
//!   records it.
//! - [`observation`]: what a collector run returns, and its validation.
//! - [`keys`]: the one place entity keys are formed from names and read
//!   back (`service:<name>`, `team:<name>`, …), case-folding included.
//! - [`collector`]: the `Collector` trait and the registry of every collector.
//! - [`http`]: the HTTP layer the SaaS collectors share (retries, backoff,
//!   `Retry-After`, credentials kept out of logs, shape-checked responses).
//! - [`retry`]: the one retry policy and loop, for the HTTP layer, the
//!   Kubernetes client and the scheduler.
//! - [`identity`]: which folders build services, their names, and claims
//!   on one name kept apart; shared by the GitHub collector and backfill.
//! - [`image`]: container image references; [`service_labels`]: the labels
//!   naming a workload's service. Both shared by the Kubernetes collector
//!   and the manifests a repository declares.
//! - [`sonarqube`], [`consul`], [`confluence`], [`kubernetes`]: the collectors.
//! - [`secret`]: secrets from the environment or files, never printed;
//!   [`redact`]: URLs printed with their passwords and tokens hidden.
//! - [`untrusted`]: outside text quoted in errors, bounded and on one line.
//! - [`synthetic`]: a deterministic synthetic organisation that churns like
//!   a real one, observed as if by the GitHub, Kubernetes, SonarQube, Consul
//!   and Confluence collectors. Used by `spot generate`, the demo and the
//!   benchmarks.

pub mod collector;
pub mod confluence;
pub mod consul;
pub mod git;
pub mod github;
pub mod http;
pub mod identity;
pub mod image;
pub mod kubernetes;
pub mod manifests;
pub mod registries;
pub mod retry;
pub mod schedule;
pub mod service_labels;
pub mod sonarqube;
pub mod synthetic;
pub mod wiring;

/// The shared vocabulary lives in `spot-model`, below this crate and the
/// store; its modules keep their paths here.
pub use spot_model::{action, day, keys, observation, redact, secret, untrusted};

pub use collector::{AnyCollector, CollectError, Collector, CollectorsConfig};
pub use day::Day;
pub use observation::{Observation, ObservedEntity, ObservedRelation};
