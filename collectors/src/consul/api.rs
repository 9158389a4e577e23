//! The parts of Consul's HTTP API the collector reads, each response typed
//! with just the fields it needs. Unknown fields are ignored; a missing or
//! mistyped needed field is an error naming the endpoint and its JSON path.
//!
//! Consul is written in Go, where an empty list or map is often encoded as
//! `null` (or left out): every list and map here reads `null` as empty.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer};

use crate::http::encode_component;

/// `null` or absent as the type's default (an empty list or map).
fn null_as_empty<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// `/v1/catalog/services`: every service name in the datacenter, with the
/// union of its instances' tags. Needs `service:read` (services the token
/// may not read are silently left out by Consul).
pub type ServiceList = BTreeMap<String, Tags>;

/// A tag list that may be `null`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tags(pub Vec<String>);

impl<'de> Deserialize<'de> for Tags {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Tags, D::Error> {
        null_as_empty(deserializer).map(Tags)
    }
}

/// One element of `/v1/health/service/:service`: an instance, its node,
/// and every check that applies to it (node checks included).
#[derive(Debug, Clone, Deserialize)]
pub struct HealthEntry {
    #[serde(rename = "Node")]
    pub node: HealthNode,
    #[serde(rename = "Service")]
    pub service: HealthService,
    #[serde(rename = "Checks", default, deserialize_with = "null_as_empty")]
    pub checks: Vec<Check>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct HealthNode {
    /// The node's name.
    #[serde(rename = "Node")]
    pub node: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct HealthService {
    /// `""` for a typical service; `connect-proxy` for a sidecar proxy,
    /// or one of the gateway kinds.
    #[serde(rename = "Kind", default)]
    pub kind: Option<String>,
    #[serde(rename = "Tags", default, deserialize_with = "null_as_empty")]
    pub tags: Vec<String>,
    #[serde(rename = "Meta", default, deserialize_with = "null_as_empty")]
    pub meta: BTreeMap<String, String>,
}

impl HealthService {
    pub fn is_connect_proxy(&self) -> bool {
        self.kind.as_deref() == Some(CONNECT_PROXY)
    }
}

/// The `Kind` of a sidecar (or any mesh) proxy.
pub const CONNECT_PROXY: &str = "connect-proxy";

#[derive(Debug, Clone, Deserialize)]
pub struct Check {
    #[serde(rename = "Status")]
    pub status: CheckStatus,
}

/// A check's status, ordered from best to worst. Consul reports a node or
/// service in maintenance as a `critical` check; `maintenance` is accepted
/// too, as the same. Anything else is a shape error naming the check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckStatus {
    Passing,
    Warning,
    #[serde(alias = "maintenance")]
    Critical,
}

/// One element of `/v1/catalog/connect/:service`: a mesh-capable instance
/// of the service, that is a sidecar proxy in front of it (or the service
/// itself when it speaks Connect natively).
#[derive(Debug, Clone, Deserialize)]
pub struct ConnectEntry {
    /// Absent or `null` on Connect-native instances.
    #[serde(rename = "ServiceProxy", default)]
    pub proxy: Option<Proxy>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Proxy {
    #[serde(rename = "Upstreams", default, deserialize_with = "null_as_empty")]
    pub upstreams: Vec<Upstream>,
}

/// An upstream the proxy listens for: what its service calls.
#[derive(Debug, Clone, Deserialize)]
pub struct Upstream {
    /// `service` (also when empty or absent) or `prepared_query`.
    #[serde(rename = "DestinationType", default)]
    pub destination_type: Option<String>,
    #[serde(rename = "DestinationName")]
    pub destination_name: String,
    /// Another datacenter the upstream is resolved in; empty for the local one.
    #[serde(rename = "Datacenter", default)]
    pub datacenter: Option<String>,
    /// A cluster peer the upstream lives in.
    #[serde(rename = "DestinationPeer", default)]
    pub destination_peer: Option<String>,
}

impl Upstream {
    /// Whether the upstream names a service (not a prepared query).
    pub fn is_service(&self) -> bool {
        matches!(self.destination_type.as_deref(), None | Some("") | Some("service"))
    }
}

/// One element of `/v1/connect/intentions`. Needs `intentions:read`,
/// which a `service` rule with `policy = "read"` grants.
#[derive(Debug, Clone, Deserialize)]
pub struct Intention {
    #[serde(rename = "SourceName")]
    pub source_name: String,
    #[serde(rename = "DestinationName")]
    pub destination_name: String,
    /// `consul` for a service; older versions allowed other types.
    #[serde(rename = "SourceType", default)]
    pub source_type: Option<String>,
    /// Absent (or empty) when the intention has L7 `Permissions` instead.
    #[serde(rename = "Action", default)]
    pub action: Option<IntentionAction>,
    #[serde(rename = "Permissions", default, deserialize_with = "null_as_empty")]
    pub permissions: Vec<serde::de::IgnoredAny>,
    /// Higher wins when several intentions match.
    #[serde(rename = "Precedence", default)]
    pub precedence: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IntentionAction {
    Allow,
    Deny,
    /// Some versions write `""` rather than leaving the field out.
    #[serde(rename = "")]
    Unset,
}

/// Where each response comes from.
pub const SERVICES: &str = "v1/catalog/services";
pub const INTENTIONS: &str = "v1/connect/intentions";

pub fn health_path(service: &str) -> String {
    format!("v1/health/service/{}", encode_component(service))
}

pub fn connect_path(service: &str) -> String {
    format!("v1/catalog/connect/{}", encode_component(service))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_cannot_escape_their_path_segment() {
        assert_eq!(health_path("web-api_v2.1"), "v1/health/service/web-api_v2.1");
        assert_eq!(connect_path("a/b?c#d e"), "v1/catalog/connect/a%2Fb%3Fc%23d%20e");
        assert_eq!(encode_component("é"), "%C3%A9");
    }

    #[test]
    fn nulls_read_as_empty() {
        let entry: HealthEntry =
            serde_json::from_str(r#"{"Node":{"Node":"n1"},"Service":{"Tags":null,"Meta":null},"Checks":null}"#)
                .unwrap();
        assert!(entry.service.tags.is_empty() && entry.service.meta.is_empty() && entry.checks.is_empty());
        let list: ServiceList = serde_json::from_str(r#"{"a":null,"b":["x"]}"#).unwrap();
        assert_eq!(list["a"], Tags(vec![]));
        assert_eq!(list["b"], Tags(vec!["x".into()]));
    }

    #[test]
    fn a_check_status_is_one_of_three() {
        let status = |s: &str| serde_json::from_str::<CheckStatus>(&format!("\"{s}\""));
        assert_eq!(status("maintenance").unwrap(), CheckStatus::Critical);
        assert!(CheckStatus::Passing < CheckStatus::Warning && CheckStatus::Warning < CheckStatus::Critical);
        assert!(status("unknown").is_err());
    }
}
