//! GitHub: one organisation per scope.

pub mod api;
pub mod cache;
pub mod fake;
pub mod sync;
