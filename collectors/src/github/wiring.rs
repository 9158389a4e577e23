//! A repository's service-to-service wiring ([`crate::wiring`]) as
//! `depends_on` relations (`via` env / configmap / helm / compose, `file`,
//! `variable`) and `resource` entities, with the repository's services as
//! the units' owners.

use std::collections::BTreeSet;

use serde_json::json;

use super::map::{owning_service, Builder};
use super::memo::ParseMemo;
use super::services::Service;
use super::sync::RepoFiles;
use crate::identity::naming::image_name;
use crate::manifests::folder_of;
use crate::service_labels::{BACKSTAGE_ID, SERVICE_LABELS};
use crate::wiring::{self, resolve::Services, Unit};

/// The repository's services, as the wiring's owners; the
/// organisation's, for the addresses naming another repository's.
struct RepoServices<'a> {
    services: &'a [Service],
    /// Every service key of the organisation.
    organisation: &'a BTreeSet<String>,
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

    /// The repository's own service of that name first, then the one of
    /// the organisation that holds the name (`service:<name>`).
    fn named(&self, name: &str) -> Option<String> {
        let own = self.by_name(name).map(|s| s.key.clone());
        own.or_else(|| Some(crate::keys::service(&name.to_ascii_lowercase())).filter(|k| self.organisation.contains(k)))
    }

    fn names(&self) -> Vec<String> {
        self.services.iter().map(|s| s.name.clone()).collect()
    }
}

/// Adds the repository's `depends_on` edges and backing resources.
pub(super) fn wire(
    builder: &mut Builder,
    files: &RepoFiles,
    services: &[Service],
    organisation: &BTreeSet<String>,
    memo: &mut ParseMemo,
) {
    let declared = memo.wiring(&files.contents);
    let resolved = wiring::resolve(&declared, &RepoServices { services, organisation });
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

#[cfg(test)]
mod tests {

    use crate::github::map::{observe, OrgContext};
    use crate::github::sync::RepoFiles;
    use crate::identity::IdentityConfig;
    use crate::{Day, Observation};

    fn repo(name: &str, files: &[(&str, &str)]) -> RepoFiles {
        RepoFiles::from_files(name, &[], files)
    }

    const WEB: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    metadata:\n      labels:\n        app: web\n    spec:\n      containers:\n        - image: acme/web:1\n          env:\n            - name: CART_ADDR\n              value: cart:8080\n            - name: LEDGER_URL\n              value: http://ledger.payments.svc.cluster.local\n";

    #[test]
    fn an_address_naming_a_service_another_repository_builds_is_a_dependency_on_it() {
        let web = repo("web", &[("Dockerfile", "FROM node:22\n"), ("k8s/web.yaml", WEB)]);
        let cart = repo("cart", &[("Dockerfile", "FROM golang:1.23\n")]);
        let mut obs = Observation::new("github", "acme", Day(20_000));
        let context =
            OrgContext { host: "github.com", org: "acme", day: Day(20_000), identity: &IdentityConfig::default() };
        observe(&context, &[web, cart], &mut obs);
        let depends: Vec<_> = obs.relations.iter().filter(|r| r.kind == "depends_on").collect();
        assert_eq!(depends.len(), 1, "ledger is no service of the organisation: {depends:?}");
        assert_eq!((depends[0].from.as_str(), depends[0].to.as_str()), ("service:web", "service:cart"));
        assert_eq!(depends[0].attrs["via"], "env");
        assert_eq!(depends[0].attrs["file"], "k8s/web.yaml");
        assert_eq!(depends[0].attrs["variable"], "CART_ADDR");
        assert_eq!(obs.validate(), Ok(()));
    }
}
