//! A repository's service-to-service wiring ([`crate::wiring`]) as
//! `depends_on` relations (`via` env / configmap / helm / compose, `file`,
//! `variable`) and `resource` entities, with the repository's services as
//! the units' owners.

use serde_json::json;

use super::map::{owning_service, Builder};
use super::memo::ParseMemo;
use super::services::Service;
use super::sync::RepoFiles;
use crate::identity::naming::image_name;
use crate::manifests::folder_of;
use crate::service_labels::{BACKSTAGE_ID, SERVICE_LABELS};
use crate::wiring::{self, resolve::Services, Unit};

/// The repository's services, as the wiring's owners.
struct RepoServices<'a> {
    services: &'a [Service],
}

impl RepoServices<'_> {
    fn by_name(&self, name: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.name.eq_ignore_ascii_case(name))
    }
}

impl Services for RepoServices<'_> {
    /// By a name the unit goes by (its Backstage id or service label, its
    /// name and aliases, its image's name), else by the folder its code is
    /// built from, else by the folder of the file declaring it.
    fn owner(&self, unit: &Unit) -> Option<String> {
        let labels = std::iter::once(BACKSTAGE_ID).chain(SERVICE_LABELS).filter_map(|l| unit.labels.get(l).cloned());
        let names = labels
            .chain(std::iter::once(unit.name.clone()))
            .chain(unit.aliases.iter().cloned())
            .chain(unit.image.as_deref().and_then(image_name));
        for name in names {
            if let Some(service) = self.by_name(&name) {
                return Some(service.key.clone());
            }
        }
        // A compose service that only pulls an image runs no code of the
        // folder its compose file is in.
        let folder = match &unit.folder {
            Some(folder) => folder.as_str(),
            None if wiring::repository::is_compose_file(&unit.file) => return None,
            None => folder_of(&unit.file),
        };
        owning_service(self.services, folder).map(str::to_string)
    }

    fn named(&self, name: &str) -> Option<String> {
        self.by_name(name).map(|s| s.key.clone())
    }

    fn names(&self) -> Vec<String> {
        self.services.iter().map(|s| s.name.clone()).collect()
    }
}

/// Adds the repository's `depends_on` edges and backing resources.
pub(super) fn wire(builder: &mut Builder, files: &RepoFiles, services: &[Service], memo: &mut ParseMemo) {
    let declared = memo.wiring(&files.contents);
    let resolved = wiring::resolve(&declared, &RepoServices { services });
    for resource in &resolved.resources {
        builder.entity(
            &resource.key,
            "resource",
            &resource.name,
            json!({ "type": resource.kind, "engine": resource.engine, "image": resource.image }),
        );
    }
    for edge in &resolved.edges {
        builder.relation(
            &edge.from,
            "depends_on",
            &edge.to,
            json!({ "via": edge.via.as_str(), "file": edge.file, "variable": edge.variable }),
        );
    }
}
