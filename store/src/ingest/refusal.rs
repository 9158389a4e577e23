//! Why the ingest contract refuses an observation. The contract's own
//! error, below the store: each store wraps it in `StoreError::Refused`.

use spot_model::observation::Invalid;

use crate::model::Day;

/// An observation the ingest contract does not accept (rules 1, 4 and the
/// future-day allowance of DESIGN.md's ingest contract).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Refusal {
    #[error("invalid observation: {}", join(.0))]
    Invalid(Vec<Invalid>),
    #[error(
        "refusing {collector}/{scope} for {day}: that scope already has {latest}; days move forward \
         (only an empty scope accepts older days)"
    )]
    OlderDay { collector: String, scope: String, day: Day, latest: Day },
    #[error(
        "refusing {collector}/{scope} for {day}: it is more than {max_future_days} day(s) ahead (today is {today}, \
         ingest.max_future_days = {max_future_days}); a future day would become the scope's latest day and every \
         read's default, and every real day after it would be refused as older"
    )]
    FutureDay { collector: String, scope: String, day: Day, today: Day, max_future_days: u32 },
    /// A deploy event dated outside what a deploy can be (see
    /// `IngestConfig::check_deploy`): `deploy` names its service and
    /// cluster, `problem` the field (by the API's name), its date and why.
    #[error("refusing the deploy of {deploy}: {problem}; nothing was written")]
    DeployDate { deploy: String, problem: String },
}

/// A refusal of one observation of a batch, by its 0-based index.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("observation {} of the batch: {refusal}", .index + 1)]
pub struct RefusedAt {
    pub index: usize,
    pub refusal: Refusal,
}

fn join(problems: &[Invalid]) -> String {
    problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
}
