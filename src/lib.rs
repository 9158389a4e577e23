//! SPoT, the Single Point of Truth: a temporal catalog of an engineering
//! organisation. Collectors observe sources (crate `collectors`); ingest
//! diffs each observation into a temporal graph ([`ingest`], [`store`]);
//! the query layer answers "as of day D" questions ([`model`], [`Store`]).
//!
//! Data flows one way: collector → observation → ingest → store → query.

pub mod api;
pub mod backfill;
#[cfg(feature = "bench")]
pub mod bench;
pub mod changes;
pub mod cli;
pub mod collect;
pub mod config;
pub mod delivery;
pub mod generate;
pub mod hygiene;
pub mod scheduler;
pub mod scorecards;
pub mod server;
pub mod watch;

// The store and the layers below it are the `spot-store` crate; their
// modules keep their paths here (`crate::store`, `crate::model`, …).
pub use spot_store::{attribute_path, buckets, ingest, judging, links, model, observations, store, transfer};

/// The one place entity key rules are written (`service:<name>`,
/// `team:<name>`, …): the collectors form keys with it, the API reads them.
pub use collectors::keys;
pub use collectors::{Day, Observation};
pub use spot_store::{SqliteStore, Store, StoreError};
