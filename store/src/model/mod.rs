//! What the query layer returns: entities, their versioned facts and
//! relations, runs, traversals, timelines and changes, all as of a day.

pub use spot_model::action::{Action, ActionBatch, ActionKind, ActionsRecorded, Remembered};
pub use spot_model::keys::{is_declared_workload, DECLARED_WORKLOAD};
pub use spot_model::Day;

mod bulk;
mod deploys;
mod graph;
mod runs;

pub use bulk::*;
pub use deploys::*;
pub use graph::*;
pub use runs::*;
