//! Entity keys: the one place their rules are written.
//!
//! A key is `kind:name` (`service:billing`, `team:payments`,
//! `repo:github.com/acme/billing`, `workload:dc1/payments/Deployment/billing`).
//! Stores hold keys, so their shapes never change; what this module adds is
//! that every collector, the ingest path and the API form them and read them
//! back with the same rules: how a key is built from a name, how a name is
//! folded (case, characters), and which kind and name a key holds.
//! `observation::key_problem` says whether a string is a key at all.
//!
//! Teams are the case where the rules matter most to a reader: CODEOWNERS
//! (`@acme/Payments`), Backstage (`group:default/Payments`) and catalog
//! files all write `team:payments`, lower case, so an API argument naming a
//! team ([`team_as_written`]) folds a name the same way.

pub const SERVICE: &str = "service";
pub const TEAM: &str = "team";
pub const USER: &str = "user";
pub const REPO: &str = "repo";
pub const PACKAGE: &str = "package";
pub const WORKLOAD: &str = "workload";
pub const CLUSTER: &str = "cluster";
pub const DOC: &str = "doc";
pub const RESOURCE: &str = "resource";
pub const COMPONENT: &str = "component";

/// `kind:name`, as written: the general form every other builder is.
pub fn key(kind: &str, name: &str) -> String {
    format!("{kind}:{name}")
}

/// The kind part of a key, `service` in `service:billing`.
pub fn kind_of(key: &str) -> Option<&str> {
    key.split_once(':').map(|(kind, _)| kind)
}

/// The name part of a key, `billing` in `service:billing`.
pub fn name_of(key: &str) -> Option<&str> {
    key.split_once(':').map(|(_, name)| name)
}

/// The name of a key of `kind`: `Some("billing")` for `service:billing`
/// and kind `service`, `None` for a key of another kind.
pub fn name_in<'k>(key: &'k str, kind: &str) -> Option<&'k str> {
    key.strip_prefix(kind)?.strip_prefix(':')
}

/// Whether `key` is of `kind`.
pub fn is_kind(key: &str, kind: &str) -> bool {
    name_in(key, kind).is_some()
}

/// `service:<name>`, the name as given (collectors name services with
/// [`service_name`]).
pub fn service(name: &str) -> String {
    key(SERVICE, name)
}

/// `team:<name>`, the name as given (already folded, see [`team`]).
pub fn team_named(name: &str) -> String {
    key(TEAM, name)
}

/// `team:<name>` of a team's name as a source gives it, lower-cased:
/// CODEOWNERS' `@acme/Payments` is `team:payments`.
pub fn team(name: &str) -> String {
    key(TEAM, &fold(name))
}

/// `user:<login or address>`, lower-cased.
pub fn user(login: &str) -> String {
    key(USER, &fold(login))
}

/// `cluster:<name>`.
pub fn cluster(name: &str) -> String {
    key(CLUSTER, name)
}

/// `repo:<host>/<org>/<name>`.
pub fn repo(host: &str, org: &str, name: &str) -> String {
    format!("{REPO}:{host}/{org}/{name}")
}

/// `package:<ecosystem>/<name>`, the name already normalised for its
/// ecosystem (`manifests::package_key` does both).
pub fn package(ecosystem: &str, name: &str) -> String {
    format!("{PACKAGE}:{ecosystem}/{name}")
}

/// `workload:<cluster>/<namespace>/<kind>/<name>`.
pub fn workload(cluster: &str, namespace: &str, kind: &str, name: &str) -> String {
    format!("{WORKLOAD}:{cluster}/{namespace}/{kind}/{name}")
}

/// The key prefix of the workloads repositories declare.
pub const DECLARED_WORKLOAD: &str = "workload:declared/";

/// Whether `key` is a workload a repository declares rather than one a
/// cluster runs: every reader of what ran leaves these out.
pub fn is_declared_workload(key: &str) -> bool {
    key.starts_with(DECLARED_WORKLOAD)
}

/// `workload:declared/<org>/<repo>/<where declared>/<Kind>/<name>`: the
/// place of declaration is part of the identity, since overlays and values
/// files declare the same workload once per environment. Whitespace
/// becomes `_`.
pub fn declared_workload(org: &str, repo: &str, declared_in: &str, kind: &str, name: &str) -> String {
    let key = format!("{DECLARED_WORKLOAD}{org}/{repo}/{declared_in}/{kind}/{name}");
    key.chars().map(|c| if c.is_whitespace() { '_' } else { c }).collect()
}

/// The cluster of a workload key, `dc1` in `workload:dc1/payments/Deployment/billing`.
pub fn cluster_of_workload(key: &str) -> Option<&str> {
    name_in(key, WORKLOAD)?.split('/').next().filter(|c| !c.is_empty())
}

/// `doc:confluence/<page id>`.
pub fn confluence_doc(id: &str) -> String {
    format!("{DOC}:confluence/{id}")
}

/// `resource:<name>`.
pub fn resource(name: &str) -> String {
    key(RESOURCE, name)
}

/// `component:<name>`.
pub fn component(name: &str) -> String {
    key(COMPONENT, name)
}

/// A name folded as keys of teams and users (and Consul's service names)
/// are: trimmed, lower case.
pub fn fold(name: &str) -> String {
    name.trim().to_lowercase()
}

/// A name as SPoT keys the services it finds: lower case, trimmed, every
/// character other than a letter, digit, `.`, `_` or `-` replaced by `-`.
/// `None` when nothing is left, or more than 100 characters are.
pub fn service_name(name: &str) -> Option<String> {
    let name: String = name
        .trim()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') { c.to_ascii_lowercase() } else { '-' })
        .collect();
    let name = name.trim_matches('-').to_string();
    (!name.is_empty() && name.len() <= 100).then_some(name)
}

/// A service argument as the API takes it: a key (`service:billing`) as
/// it is, or a name (`billing`) made one.
pub fn service_as_written(written: &str) -> String {
    if is_kind(written, SERVICE) {
        written.to_string()
    } else {
        service(written)
    }
}

/// A team argument taken literally, as the API always has: a key
/// (`team:payments`) as it is, or a name made one. [`team_as_written`] is
/// the key the collectors would write for it; the API tries this one
/// first, so a key stored as it was ingested is still found.
pub fn team_literally(written: &str) -> String {
    if is_kind(written, TEAM) {
        written.to_string()
    } else {
        team_named(written)
    }
}

/// The key the collectors write for a team as a person writes it:
/// `Payments`, `payments`, `team:Payments`, `group:payments`,
/// `group:default/Payments` (Backstage's default namespace dropped),
/// `@acme/Payments` (CODEOWNERS: the organisation dropped) are all
/// `team:payments`; `platform/Core` (a Backstage namespace) is
/// `team:platform/core`.
pub fn team_as_written(written: &str) -> String {
    let written = written.trim();
    if let Some(handle) = written.strip_prefix('@') {
        let name = handle.split_once('/').map_or(handle, |(_, team)| team);
        return team(name);
    }
    let name = match written.split_once(':') {
        Some((kind, rest)) if kind.trim().eq_ignore_ascii_case(TEAM) || kind.trim().eq_ignore_ascii_case("group") => {
            rest
        }
        _ => written,
    };
    let name = match name.split_once('/') {
        Some((namespace, rest)) if namespace.trim().eq_ignore_ascii_case("default") => rest,
        _ => name,
    };
    match name.split_once('/') {
        Some((namespace, rest)) => team_named(&format!("{}/{}", fold(namespace), fold(rest))),
        None => team(name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_kind_colon_name_and_read_back() {
        assert_eq!(service("billing"), "service:billing");
        assert_eq!(kind_of("repo:github.com/acme/x"), Some("repo"));
        assert_eq!(name_of("repo:github.com/acme/x"), Some("github.com/acme/x"));
        assert_eq!(kind_of("billing"), None);
        assert_eq!(name_in("service:billing", SERVICE), Some("billing"));
        assert_eq!(name_in("services:billing", SERVICE), None);
        assert_eq!(name_in("team:billing", SERVICE), None);
        assert!(is_kind("team:a", TEAM) && !is_kind("teams:a", TEAM));
    }

    #[test]
    fn shapes_the_stores_hold_are_kept() {
        assert_eq!(repo("github.com", "acme", "billing"), "repo:github.com/acme/billing");
        assert_eq!(package("npm", "lodash"), "package:npm/lodash");
        assert_eq!(workload("dc1", "payments", "Deployment", "billing"), "workload:dc1/payments/Deployment/billing");
        assert_eq!(cluster_of_workload("workload:dc1/payments/Deployment/billing"), Some("dc1"));
        assert_eq!(cluster_of_workload("service:dc1/x"), None);
        assert_eq!(confluence_doc("123"), "doc:confluence/123");
        assert_eq!(cluster("dc1"), "cluster:dc1");
        assert_eq!(resource("postgres"), "resource:postgres");
        assert_eq!(component("x"), "component:x");
    }

    #[test]
    fn teams_and_users_are_lower_case() {
        assert_eq!(team("Payments"), "team:payments");
        assert_eq!(user("JDoe"), "user:jdoe");
        assert_eq!(user("J.Doe@Example.com"), "user:j.doe@example.com");
        assert_eq!(team_named("Payments"), "team:Payments");
    }

    #[test]
    fn service_names_fold_case_and_characters() {
        assert_eq!(service_name(" Cart Service ").as_deref(), Some("cart-service"));
        assert_eq!(service_name("api_v2.core").as_deref(), Some("api_v2.core"));
        assert_eq!(service_name("--"), None);
        assert_eq!(service_name(&"a".repeat(101)), None);
    }

    #[test]
    fn a_team_as_a_person_writes_it_is_the_key_the_collectors_write() {
        for written in
            ["Payments", "payments", " payments ", "team:payments", "team:Payments", "@acme/Payments", "group:payments"]
        {
            assert_eq!(team_as_written(written), "team:payments", "{written}");
        }
        assert_eq!(team_as_written("group:default/Payments"), "team:payments");
        assert_eq!(team_as_written("Platform/Core"), "team:platform/core");
        assert_eq!(team_as_written("@Payments"), "team:payments");
    }

    #[test]
    fn literal_arguments_keep_what_the_api_always_did() {
        assert_eq!(team_literally("Payments"), "team:Payments");
        assert_eq!(team_literally("team:Payments"), "team:Payments");
        assert_eq!(service_as_written("billing"), "service:billing");
        assert_eq!(service_as_written("service:billing"), "service:billing");
    }
}
