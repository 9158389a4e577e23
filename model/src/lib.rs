//! SPoT's shared vocabulary, below every other crate (docs/architecture.md,
//! "Crates"): what the collectors produce and the store keeps, with no
//! client, parser or database behind it.
//!
//! - [`day`]: day numbers, SPoT's unit of time.
//! - [`observation`]: what a collector run returns, and its validation.
//! - [`action`]: what happened to a workload at a moment between
//!   snapshots (a rollout, a scale, a crash loop).
//! - [`keys`]: the one place entity keys are formed from names and read
//!   back (`service:<name>`, `team:<name>`, …), case-folding included.
//! - [`secret`]: secrets from the environment or files, never printed;
//!   [`redact`]: URLs printed with their passwords and tokens hidden.
//! - [`untrusted`]: outside text quoted in errors, bounded and on one line.

pub mod action;
pub mod day;
pub mod keys;
pub mod observation;
pub mod redact;
pub mod secret;
pub mod untrusted;

pub use day::Day;
pub use observation::{Observation, ObservedEntity, ObservedRelation};
