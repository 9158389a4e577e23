//! What a link is about: the object's names and a time window, each a
//! template variable.

use chrono::{DateTime, SecondsFormat, TimeZone, Utc};

/// The moments a link's time window spans.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

/// The object a link is rendered for. A field left `None` (or empty) is a
/// variable without a value: templates that use it are not rendered.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LinkContext {
    /// The service's name (`billing`, not `service:billing`).
    pub service: Option<String>,
    /// The owning team's name (`payments`, not `team:payments`).
    pub team: Option<String>,
    /// The repository as its key names it without `repo:`:
    /// `github.com/acme/billing`.
    pub repository: Option<String>,
    pub cluster: Option<String>,
    pub datacenter: Option<String>,
    pub namespace: Option<String>,
    /// The workload's name (`billing`, not its key).
    pub workload: Option<String>,
    pub version: Option<String>,
    pub window: Option<Window>,
}

/// A template variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variable {
    Service,
    Team,
    Repository,
    /// `acme` of `github.com/acme/billing` (everything between the host and
    /// the name, for hosts with groups of groups).
    RepositoryOwner,
    /// `billing` of `github.com/acme/billing`.
    RepositoryName,
    Cluster,
    Datacenter,
    Namespace,
    Workload,
    Version,
    /// The window's start in RFC 3339, UTC, to the second.
    From,
    To,
    /// The window's start in milliseconds since 1970-01-01 UTC.
    FromMs,
    ToMs,
}

impl Variable {
    pub const ALL: [Variable; 14] = [
        Variable::Service,
        Variable::Team,
        Variable::Repository,
        Variable::RepositoryOwner,
        Variable::RepositoryName,
        Variable::Cluster,
        Variable::Datacenter,
        Variable::Namespace,
        Variable::Workload,
        Variable::Version,
        Variable::From,
        Variable::To,
        Variable::FromMs,
        Variable::ToMs,
    ];

    /// The name a template writes in braces.
    pub fn name(self) -> &'static str {
        match self {
            Variable::Service => "service",
            Variable::Team => "team",
            Variable::Repository => "repository",
            Variable::RepositoryOwner => "repository_owner",
            Variable::RepositoryName => "repository_name",
            Variable::Cluster => "cluster",
            Variable::Datacenter => "datacenter",
            Variable::Namespace => "namespace",
            Variable::Workload => "workload",
            Variable::Version => "version",
            Variable::From => "from",
            Variable::To => "to",
            Variable::FromMs => "from_ms",
            Variable::ToMs => "to_ms",
        }
    }

    pub fn named(name: &str) -> Option<Variable> {
        Variable::ALL.into_iter().find(|v| v.name() == name)
    }

    /// `service, team, …, to_ms`, for messages.
    pub fn listed() -> String {
        Variable::ALL.map(Variable::name).join(", ")
    }
}

impl LinkContext {
    /// The value of `variable` here; `None` when it has none (or an empty one).
    pub fn value(&self, variable: Variable) -> Option<String> {
        let text =
            |field: &Option<String>| field.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_string);
        let repository = || text(&self.repository).and_then(|r| split_repository(&r));
        match variable {
            Variable::Service => text(&self.service),
            Variable::Team => text(&self.team),
            Variable::Repository => text(&self.repository),
            Variable::RepositoryOwner => repository().map(|(owner, _)| owner),
            Variable::RepositoryName => repository().map(|(_, name)| name),
            Variable::Cluster => text(&self.cluster),
            Variable::Datacenter => text(&self.datacenter),
            Variable::Namespace => text(&self.namespace),
            Variable::Workload => text(&self.workload),
            Variable::Version => text(&self.version),
            Variable::From => self.window.map(|w| rfc3339(w.from)),
            Variable::To => self.window.map(|w| rfc3339(w.to)),
            Variable::FromMs => self.window.map(|w| w.from.timestamp_millis().to_string()),
            Variable::ToMs => self.window.map(|w| w.to.timestamp_millis().to_string()),
        }
    }

    /// An object with every variable set, to check that a template renders
    /// an http(s) URL.
    pub fn sample() -> LinkContext {
        let at = Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).single().unwrap_or_default();
        LinkContext {
            service: Some("billing".into()),
            team: Some("payments".into()),
            repository: Some("github.com/acme/billing".into()),
            cluster: Some("dc1".into()),
            datacenter: Some("eu-west-1".into()),
            namespace: Some("payments".into()),
            workload: Some("billing".into()),
            version: Some("1.2.3".into()),
            window: Some(Window { from: at, to: at + chrono::Duration::minutes(30) }),
        }
    }
}

/// `2026-03-01T14:02:00Z`: the form Kibana, Grafana and most APIs read.
fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// (owner, name) of `host/owner/name` (the owner may hold slashes: GitLab
/// groups); `None` without both.
fn split_repository(repository: &str) -> Option<(String, String)> {
    let (_host, path) = repository.split_once('/')?;
    let (owner, name) = path.trim_matches('/').rsplit_once('/')?;
    (!owner.is_empty() && !name.is_empty()).then(|| (owner.to_string(), name.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repository_gives_its_owner_and_name() {
        let context = |r: &str| LinkContext { repository: Some(r.into()), ..LinkContext::default() };
        let billing = context("github.com/acme/billing");
        assert_eq!(billing.value(Variable::RepositoryOwner).as_deref(), Some("acme"));
        assert_eq!(billing.value(Variable::RepositoryName).as_deref(), Some("billing"));
        let nested = context("gitlab.example/platform/payments/billing");
        assert_eq!(nested.value(Variable::RepositoryOwner).as_deref(), Some("platform/payments"));
        assert_eq!(context("billing").value(Variable::RepositoryName), None);
    }

    #[test]
    fn every_variable_has_a_name_and_a_sample_value() {
        for variable in Variable::ALL {
            assert_eq!(Variable::named(variable.name()), Some(variable));
            assert!(LinkContext::sample().value(variable).is_some(), "{variable:?}");
        }
        assert_eq!(LinkContext::default().value(Variable::From), None);
    }
}
