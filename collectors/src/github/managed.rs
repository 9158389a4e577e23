//! What a `uses` says about parents and BOMs: the parent or BOM itself
//! carries its `role`, a dependency whose version one of them gives carries
//! `managed_by` (see `manifests::maven`). Both are left out when absent, so
//! the `uses` of other manifests keep the attributes they always had.

use serde_json::{json, Value};

use crate::manifests::{self, Dependency};

pub(super) fn governance_attrs(dependency: &Dependency, attrs: &mut Value) {
    let Some(attrs) = attrs.as_object_mut() else { return };
    if let Some(role) = dependency.role {
        attrs.insert("role".into(), json!(role.as_str()));
    }
    if let Some(manager) = &dependency.managed_by {
        attrs.insert("managed_by".into(), json!(manifests::package_key(dependency.ecosystem, manager)));
    }
}
