//! Change intelligence (docs/changes.md): the store's version-level
//! changes between two days, read as a person reads them — what each is
//! about, the service it belongs to, which facts moved from what to what,
//! a one-line title and whether it matters — and, around one service, every
//! change of its dependency neighbourhood merged with deploys and actions.

pub mod around;
mod describe;
mod diff;
mod owner;
mod read;
mod scoped;

pub use around::{around, Around, AroundEvent, AroundQuery, EventKind};
pub use diff::Moved;
pub use read::{finish, finish_one, members, outline, outline_of, read, relation_key, Outlined, Scope};

use serde::Serialize;

use crate::model::{Change, Day};

/// What sort of change it is, as the title and the significance read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, async_graphql::Enum)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// A workload's image tag, or a package's resolved version.
    Version,
    /// A service's owning team.
    Owner,
    /// A SonarQube quality gate.
    Gate,
    /// A quality measure (coverage, bugs, …).
    Quality,
    /// A dependency (`depends_on`, `uses`) added or removed.
    Dependency,
    /// A workload's replica counts.
    Replicas,
    /// A workload's rollout status.
    Rollout,
    /// Any other fact of a workload's spec (images, resources, labels, …).
    Config,
    /// A documentation page.
    Document,
    /// Something new in the graph.
    Added,
    /// Something gone from the graph.
    Removed,
    /// Another relation added or removed (builds, deploys, runs_in, …).
    Relation,
    /// Any other attribute.
    Attribute,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Version => "version",
            ChangeKind::Owner => "owner",
            ChangeKind::Gate => "gate",
            ChangeKind::Quality => "quality",
            ChangeKind::Dependency => "dependency",
            ChangeKind::Replicas => "replicas",
            ChangeKind::Rollout => "rollout",
            ChangeKind::Config => "config",
            ChangeKind::Document => "document",
            ChangeKind::Added => "added",
            ChangeKind::Removed => "removed",
            ChangeKind::Relation => "relation",
            ChangeKind::Attribute => "attribute",
        }
    }
}

/// Whether a change is one a person should look at (docs/changes.md,
/// "Significance").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, async_graphql::Enum)]
#[serde(rename_all = "snake_case")]
pub enum Significance {
    Significant,
    Minor,
}

/// A relation added or removed, with its other end named.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RelationMove {
    pub kind: String,
    pub from: String,
    pub to: String,
    /// Added or removed (a relation whose attributes changed is a
    /// [`Moved`] of the change instead).
    pub change: Change,
}

/// One change in words.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TypedChange {
    /// Stable and unique among the changes of one window: the order key
    /// and the paging cursor.
    pub id: String,
    /// The day whose snapshot shows it (the later day of the window).
    pub day: Day,
    pub change: Change,
    /// The entity key it is about (for a relation: its `from`; for a
    /// package version moved in many places: the package).
    pub subject: String,
    /// The subject's entity kind, or the relation kind.
    pub subject_kind: String,
    pub kind: ChangeKind,
    /// The services it belongs to through the graph, as of its day; empty
    /// when it belongs to none (a team, a cluster).
    pub services: Vec<String>,
    /// The facts that moved, by attribute path.
    pub moved: Vec<Moved>,
    /// Relations added or removed.
    pub relations: Vec<RelationMove>,
    pub title: String,
    pub significance: Significance,
    /// The sources whose facts or relations differ.
    pub sources: Vec<String>,
    /// The store's changes it stands for: an entity's key, or
    /// `from -kind-> to` for each relation (an owner move has two, a
    /// package version one per place it moved in).
    pub members: Vec<String>,
}

impl TypedChange {
    /// The one service it belongs to, when there is exactly one.
    pub fn service(&self) -> Option<&str> {
        one_service(&self.services)
    }
}

/// The one service of `services`, when there is exactly one: the service
/// a change is titled after and grouped under.
pub fn one_service(services: &[String]) -> Option<&str> {
    match services {
        [one] => Some(one),
        _ => None,
    }
}

/// The group of the changes of no single service, in ids and the API's
/// order keys: `~` sorts after every service key.
pub const NO_SERVICE: &str = "~";

/// The name part of a key (`service:checkout` → `checkout`).
pub(crate) fn name(key: &str) -> &str {
    collectors::keys::name_of(key).unwrap_or(key)
}
