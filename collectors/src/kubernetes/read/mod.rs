//! From Kubernetes objects to compact readings ([`super::model`]). Pure
//! functions: the tests feed them recorded and generated objects.
//!
//! Each listed object is read into a small struct as soon as it arrives
//! (and the object dropped), so a run holds one page of objects at a time
//! plus what it keeps per workload.
//!
//! - [`meta`]: what every object's metadata gives (names fit for keys,
//!   times, annotations worth keeping, revisions).
//! - [`workloads`]: Deployments, StatefulSets, DaemonSets and CronJobs.
//! - [`rollouts`]: how far a rollout got, and ReplicaSets as rollouts.
//! - [`pods`]: pods summed up per workload, and nodes' zones.
//! - [`attached`]: Services, Ingresses and HPAs, which point at workloads.

pub mod attached;
pub mod meta;
pub mod pods;
pub mod rollouts;
pub mod workloads;

/// Why an object could not be read as a workload.
pub type ReadError = String;
