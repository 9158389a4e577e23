//! Catalog files: the services a repository says it holds, who owns them,
//! what they depend on and where their docs are.
//!
//! **Backstage** ([`backstage`]): every entity of every document of a
//! `catalog-info.yaml` (or `.yml`), and of the files its `Location`
//! entities point to ([`location`]), whatever those are called:
//! `Component` (services, websites, libraries, ...), `API`, `Resource`,
//! `System`, `Domain`, `Group`, `User` and `Location`, with their
//! metadata (`name`, `namespace`, `title`, `description`, `tags`, `labels`,
//! `annotations`, `links`) and every reference of their `spec`. See
//! docs/backstage.md for what SPoT makes of each.
//!
//! **SPoT's `.spot.yaml`** (or `.yml`), for repositories without Backstage:
//!
//! ```yaml
//! # One service, in the file's folder:
//! service: billing
//! type: service            # optional: service, library, website, ...
//! owner: payments          # a team; or team:payments, @acme/payments, user:jdoe, @jdoe
//! lifecycle: production    # optional
//! system: payments         # optional
//! description: Invoices and payment runs   # optional
//! depends_on: [ledger, users]              # service names
//! docs: [https://wiki.acme.dev/billing]    # http(s) URLs
//! aliases: [billing-api]                   # other names other sources use
//! ```
//!
//! ```yaml
//! # Several services, each in a folder relative to the file's:
//! owner: payments          # type, owner, lifecycle, system: defaults for every service
//! services:
//!   - name: billing-api
//!     path: services/billing-api
//!     depends_on: [ledger]
//!   - name: billing-worker
//!     path: services/billing-worker
//!     owner: team:payments-ops
//! ```
//!
//! Unknown fields are errors (a misspelt `depend_on` would otherwise be
//! silently lost), as are a file with both or neither of `service` and
//! `services`, a path leaving the repository, and a doc that is not a URL.
//!
//! Names of services and owners are lower-cased, as SPoT keys them
//! (`service:billing`, `team:payments`). Owners become entity keys: a group
//! is `team:<name>`, a user `user:<name>`; outside Backstage's `default`
//! namespace, `team:<namespace>/<name>`.

pub mod backstage;
pub mod location;
mod spot_yaml;

use std::collections::BTreeMap;

use super::{file_name, ParseError};

/// A link from a catalog file: a doc, a dashboard, a runbook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub url: String,
    pub title: Option<String>,
    /// What it links to: Backstage's `type` (else its `icon`), `docs` for
    /// `.spot.yaml`'s `docs`.
    pub kind: Option<String>,
}

/// One service (or library, website, ...) a catalog file declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogEntry {
    /// Lower-cased: `service:<name>` is its key.
    pub name: String,
    /// Backstage's `spec.type`, `.spot.yaml`'s `type`: `service`,
    /// `library`, `website`, ...
    pub kind: Option<String>,
    /// `team:<name>` or `user:<name>`.
    pub owner: Option<String>,
    /// Names of the services it depends on, lower-cased.
    pub depends_on: Vec<String>,
    pub links: Vec<Link>,
    pub lifecycle: Option<String>,
    pub system: Option<String>,
    pub description: Option<String>,
    pub tags: Vec<String>,
    /// Backstage annotations (`github.com/project-slug`,
    /// `backstage.io/techdocs-ref`, `pagerduty.com/service-id`, ...).
    pub annotations: BTreeMap<String, String>,
    /// Other names of the service, as other sources spell them: `.spot.yaml`'s
    /// `aliases`; in Backstage, the `backstage.io/kubernetes-id` annotation
    /// and a comma-separated `spot/aliases` annotation. Lower-cased.
    pub aliases: Vec<String>,
    /// The folder the service lives in, relative to the repository root
    /// (`""` for the root).
    pub folder: String,
    /// The catalog file it was read from.
    pub file: String,
}

/// Whether a path is a catalog file [`parse_catalog`] reads.
pub fn is_catalog_file(path: &str) -> bool {
    matches!(file_name(path), "catalog-info.yaml" | "catalog-info.yml" | ".spot.yaml" | ".spot.yml")
}

/// What one catalog file declares.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CatalogRead {
    /// Its components (`.spot.yaml`'s services), for service identity.
    pub entries: Vec<CatalogEntry>,
    /// Every Backstage entity, components included (none for `.spot.yaml`).
    pub entities: Vec<backstage::Entity>,
    /// The entities and references left out, each with its file and line.
    pub invalid: Vec<ParseError>,
}

/// The entries of a catalog file: `.spot.yaml` by its name, anything else
/// as a Backstage file (a `Location` may point to a file of any name).
pub fn parse_catalog(path: &str, content: &str) -> Result<CatalogRead, ParseError> {
    if matches!(file_name(path), ".spot.yaml" | ".spot.yml") {
        return Ok(CatalogRead { entries: spot_yaml::read(path, content)?, ..CatalogRead::default() });
    }
    let file = backstage::read(path, content)?;
    Ok(CatalogRead { entries: backstage::entries(&file), entities: file.entities, invalid: file.invalid })
}

/// A Backstage entity reference, `[kind:][namespace/]name`, as (kind,
/// name), lower-cased; the name is `namespace/name` outside the `default`
/// namespace, as SPoT keys it.
pub fn entity_ref(reference: &str, default_kind: &str) -> (String, String) {
    let reference = reference.trim();
    let (kind, rest) = match reference.split_once(':') {
        Some((kind, rest)) => (kind.trim().to_lowercase(), rest),
        None => (default_kind.to_string(), reference),
    };
    let name = match rest.split_once('/') {
        Some((ns, name)) if ns.trim().eq_ignore_ascii_case("default") => name.trim().to_lowercase(),
        Some((ns, name)) => format!("{}/{}", ns.trim().to_lowercase(), name.trim().to_lowercase()),
        None => rest.trim().to_lowercase(),
    };
    (kind, name)
}

/// The entity key of an owner: groups and teams (`payments`,
/// `group:payments`, `group:default/payments`, `team:payments`,
/// `@acme/payments`) are `team:<name>`, users (`user:jdoe`, `@jdoe`)
/// `user:<name>`. `None` for an empty owner or another kind.
pub fn owner_key(owner: &str) -> Option<String> {
    let owner = owner.trim();
    if let Some(handle) = owner.strip_prefix('@') {
        return match handle.split_once('/') {
            Some((_, team)) if !team.trim().is_empty() => Some(crate::keys::team(team)),
            Some(_) => None,
            None if !handle.trim().is_empty() => Some(crate::keys::user(handle)),
            None => None,
        };
    }
    let (kind, name) = entity_ref(owner, "group");
    if name.is_empty() || name.ends_with('/') {
        return None;
    }
    match kind.as_str() {
        "group" | "team" => Some(crate::keys::team_named(&name)),
        "user" => Some(crate::keys::key(crate::keys::USER, &name)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifests::join_path;

    #[test]
    fn a_team_as_a_person_writes_it_agrees_with_codeowners_and_catalog_owners() {
        use crate::manifests::codeowners::Owner;
        let owner = Owner::Team { org: "acme".into(), name: "Payments".into() };
        assert_eq!(crate::keys::team_as_written("@acme/Payments"), owner.key());
        for written in ["Payments", "group:default/Payments", "@acme/Payments", "team:payments", "ns/Team-A"] {
            assert_eq!(Some(crate::keys::team_as_written(written)), owner_key(written), "{written}");
        }
    }

    #[test]
    fn owners_become_team_or_user_keys() {
        assert_eq!(owner_key("team-a").as_deref(), Some("team:team-a"));
        assert_eq!(owner_key("group:payments").as_deref(), Some("team:payments"));
        assert_eq!(owner_key("group:default/Payments").as_deref(), Some("team:payments"));
        assert_eq!(owner_key("user:jdoe").as_deref(), Some("user:jdoe"));
        assert_eq!(owner_key("user:default/jdoe").as_deref(), Some("user:jdoe"));
        assert_eq!(owner_key("team:payments").as_deref(), Some("team:payments"));
        assert_eq!(owner_key("@acme/payments").as_deref(), Some("team:payments"));
        assert_eq!(owner_key("@jdoe").as_deref(), Some("user:jdoe"));
        assert_eq!(owner_key("system:billing"), None);
        assert_eq!(owner_key(""), None);
        assert_eq!(owner_key("@acme/"), None);
    }

    #[test]
    fn entity_references() {
        assert_eq!(entity_ref("component:default/billing", "component"), ("component".into(), "billing".into()));
        assert_eq!(entity_ref("Resource:db", "component"), ("resource".into(), "db".into()));
        assert_eq!(entity_ref("ledger", "component"), ("component".into(), "ledger".into()));
        assert_eq!(entity_ref("group:alternative/team-a", "group"), ("group".into(), "alternative/team-a".into()));
    }

    #[test]
    fn paths_join_inside_the_repository_only() {
        assert_eq!(join_path("", "./services/api/"), Some("services/api".into()));
        assert_eq!(join_path("deploy", "../services/api"), Some("services/api".into()));
        assert_eq!(join_path("", "."), Some(String::new()));
        assert_eq!(join_path("", "../x"), None);
        assert_eq!(join_path("", "/etc"), None);
    }
}
