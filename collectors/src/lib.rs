//! SPoT's collectors. Each one observes one source and returns
//! [`Observation`]s; none of them knows how or where they are stored.
//!
//! - [`day`]: day numbers, SPoT's unit of time.
//! - [`observation`]: what a collector run returns, and its validation.
//! - [`synthetic`]: a deterministic synthetic organisation that churns like
//!   a real one, observed as if by the GitHub, Kubernetes, SonarQube, Consul
//!   and Confluence collectors. Used by `spot generate`, the demo and the
//!   benchmarks.

pub mod day;
pub mod observation;
pub mod synthetic;

pub use day::Day;
pub use observation::{Observation, ObservedEntity, ObservedRelation};
