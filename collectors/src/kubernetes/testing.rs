//! What the collector's unit tests share: reading rules and recorded
//! objects.

use serde_json::Value;

use super::model::Rules;

/// The collector's default rules, with two service-mesh sidecars.
pub fn rules() -> Rules {
    Rules {
        service_annotation: "spot/service".into(),
        sidecars: ["istio-proxy", "linkerd-proxy"].into_iter().map(String::from).collect(),
        service_from_image: true,
    }
}

/// A recorded object as a list item: list items carry no `apiVersion`
/// or `kind` (and rs.json's recorded `apiVersion` is not apps/v1).
pub fn recorded<K: serde::de::DeserializeOwned>(json: &str) -> K {
    let mut value: Value = serde_json::from_str(json).unwrap();
    let map = value.as_object_mut().unwrap();
    map.remove("apiVersion");
    map.remove("kind");
    serde_json::from_value(value).unwrap()
}
