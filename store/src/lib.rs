//! SPoT's temporal store and the layers below it (docs/architecture.md,
//! "Crates" and "Layers"): the graph model ([`model`]), ingest of
//! observations into versions ([`ingest`]), the stores themselves
//! ([`store`]: SQLite and ArangoDB), deploy judging ([`judging`]),
//! export/import ([`transfer`]), trend buckets, links and observation
//! files. It stands on `spot-model` only: no collector, so no Kubernetes
//! client and no libgit2 is linked into it.

pub mod attribute_path;
pub mod buckets;
pub mod ingest;
pub mod judging;
pub mod links;
pub mod model;
pub mod observations;
pub mod store;
pub mod transfer;

pub use store::sqlite::SqliteStore;
pub use store::{Store, StoreError};
