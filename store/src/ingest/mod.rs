//! Snapshot ingest: the store-independent half of the ingest contract.
//!
//! 1. A run observes one complete scope of one source ([`Observation`]).
//! 2. Ingest diffs it against the open versions owned by (source, scope):
//!    unchanged → nothing written; changed → close and open; new → open;
//!    missing → close, only when the run is complete ([`diff`]).
//! 3. A failed or partial run closes nothing; parts of a scope a run names
//!    as unobserved carry forward while the rest is diffed.
//! 4. Re-running a (source, scope, day) replaces that day's observation;
//!    older days are refused unless the scope is empty.
//! 5. Each run commits atomically.
//!
//! Before any of that, a run dated beyond today plus the allowance of
//! [`IngestConfig`] is refused ([`horizon`]).
//!
//! Rules 4 and 5 need the store's transactions and are implemented by each
//! store; the conformance suite (`tests/conformance`) holds every store to
//! all five.
//!
//! [`Observation`]: spot_model::Observation

pub mod batch;
mod diff;
mod hash;
pub mod horizon;
mod refusal;

pub use diff::{diff, Diff};
pub use hash::content_hash;
pub use horizon::IngestConfig;
pub use refusal::{Refusal, RefusedAt};
