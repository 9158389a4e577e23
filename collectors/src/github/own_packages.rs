//! A service's own manifest is the service's, not a package.
//!
//! Every deployable has a manifest that names it: `balancereader`'s
//! `pom.xml`, `frontend`'s `pyproject.toml` or `go.mod`. Recorded as a
//! `publishes`, each becomes a package entity the organisation "publishes",
//! and tops searches for the service's own name. A manifest at the root of
//! a service's folder, or deeper in it with a package named like the
//! service, is kept as a `publishes` only when the package is really one:
//! something else in the organisation uses it, the manifest says it is
//! released ([`Published::distributed`]), or the repository is a library.
//!
//! A Maven project that names no groupId takes its parent's: when that
//! parent is not the organisation's own (`spring-boot-starter-parent`), the
//! name it gets (`org.springframework.boot:balancereader`) is not a package
//! of the organisation's either, under the same conditions.

use std::collections::BTreeMap;

use super::map::Builder;
use super::services::Service;
use crate::manifests::{self, Published};

/// One `publishes` the mapping recorded, with what decides whether it stays.
pub(super) struct Publication {
    repo: String,
    package: String,
    /// The key of the service whose folder holds the manifest.
    service: Option<String>,
    /// The manifest is the service's own: at the root of its folder, or
    /// naming a package like the service.
    is_the_service: bool,
    distributed: bool,
    group_of_parent: Option<String>,
}

impl Publication {
    pub fn new(repo: &str, package: &str, published: &Published, owner: Option<&Service>) -> Publication {
        let short = short_name(&published.name);
        let manifest_folder = published.manifest.rsplit_once('/').map_or("", |(folder, _)| folder);
        let is_the_service = owner.is_some_and(|service| {
            let folder = service.folder.rsplit('/').next().unwrap_or_default();
            service.folder == manifest_folder || same_name(&short, &service.name) || same_name(&short, folder)
        });
        Publication {
            repo: repo.to_string(),
            package: package.to_string(),
            service: owner.map(|s| s.key.clone()),
            is_the_service,
            distributed: published.distributed,
            group_of_parent: published
                .group_of_parent
                .as_ref()
                .map(|parent| manifests::package_key(manifests::Ecosystem::Maven, parent)),
        }
    }
}

/// Removes the `publishes` of services' own manifests (and their package
/// entities, when nothing uses them), from the builder and from
/// `published` (package → publishing repository). `uses` are
/// (from, package, repository) of the whole organisation.
pub(super) fn retract(
    builder: &mut Builder,
    publications: &[Publication],
    published: &mut BTreeMap<String, String>,
    uses: &[(String, String, String)],
) {
    let org_packages: Vec<String> = published.keys().cloned().collect();
    let own: Vec<&Publication> =
        publications.iter().filter(|p| !is_a_package(p, builder, &org_packages, uses)).collect();
    for publication in own {
        builder.relations.remove(&(publication.repo.clone(), publication.package.clone(), "publishes".to_string()));
        if published.get(&publication.package) == Some(&publication.repo) {
            published.remove(&publication.package);
        }
        if !uses.iter().any(|(_, package, _)| *package == publication.package) {
            builder.entities.remove(&publication.package);
        }
    }
}

fn is_a_package(
    publication: &Publication,
    builder: &Builder,
    org_packages: &[String],
    uses: &[(String, String, String)],
) -> bool {
    let foreign_group = publication.group_of_parent.as_ref().is_some_and(|parent| !org_packages.contains(parent));
    if !publication.is_the_service && !foreign_group {
        return true;
    }
    let used_elsewhere = uses
        .iter()
        .any(|(from, package, _)| *package == publication.package && Some(from) != publication.service.as_ref());
    let library_repo = builder
        .entities
        .get(&publication.repo)
        .and_then(|repo| repo.attrs.get("type"))
        .is_some_and(|kind| kind == "library");
    used_elsewhere || publication.distributed || library_repo
}

/// What a package is called without its namespace: Maven's artifactId, an
/// npm package without its scope, a Go module's last segment (before a
/// `/vN` suffix).
fn short_name(name: &str) -> String {
    let mut segments = name.rsplit(['/', ':']);
    let last = segments.next().unwrap_or(name);
    let is_major = last.len() > 1 && last.starts_with('v') && last[1..].chars().all(|c| c.is_ascii_digit());
    if is_major { segments.next().unwrap_or(last) } else { last }.to_string()
}

/// Names compared as services are keyed: without case, `_` as `-`.
fn same_name(a: &str, b: &str) -> bool {
    let plain = |s: &str| s.to_ascii_lowercase().replace('_', "-");
    !a.is_empty() && plain(a) == plain(b)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::github::map::{observe, OrgContext};
    use crate::github::sync::RepoFiles;
    use crate::identity::IdentityConfig;
    use crate::{Day, Observation};

    fn repo(name: &str, topic: &str, files: &[(&str, &str)]) -> RepoFiles {
        RepoFiles::from_files(name, &[topic], files)
    }

    fn published(repos: &[RepoFiles]) -> BTreeSet<String> {
        let identity = IdentityConfig::default();
        let context = OrgContext { host: "github.com", org: "acme", day: Day(20_000), identity: &identity };
        let mut observation = Observation::new("github", "acme", Day(20_000));
        observe(&context, repos, &mut observation);
        observation.relations.iter().filter(|r| r.kind == "publishes").map(|r| r.to.clone()).collect()
    }

    const SPRING_LIBRARY: &str = "<project><artifactId>ledger-client</artifactId><version>1.0</version>\
        <parent><groupId>org.springframework.boot</groupId><artifactId>spring-boot-starter-parent</artifactId>\
        <version>3.5.5</version></parent></project>";

    #[test]
    fn a_group_taken_from_a_third_party_parent_names_no_package_of_the_organisation() {
        let lib = repo("ledger-client", "library", &[("pom.xml", SPRING_LIBRARY)]);
        let distributed = SPRING_LIBRARY.replace("</project>", "<distributionManagement/></project>");
        let released = repo("ledger-client", "service", &[("pom.xml", &distributed)]);
        let in_a_service = repo("ledger", "service", &[("lib/pom.xml", SPRING_LIBRARY), ("Dockerfile", "FROM x\n")]);
        assert_eq!(published(&[lib]).len(), 1, "a library repository's package is one, whatever its group");
        assert_eq!(published(&[released]).len(), 1);
        assert!(published(&[in_a_service]).is_empty(), "org.springframework.boot:ledger-client is not acme's");
        let own_parent = "<project><groupId>com.acme</groupId><artifactId>parent</artifactId><version>1</version>\
            <distributionManagement/></project>";
        let module = SPRING_LIBRARY.replace(
            "org.springframework.boot</groupId><artifactId>spring-boot-starter-parent",
            "com.acme</groupId><artifactId>parent",
        );
        let with_own_parent =
            repo("ledger", "service", &[("pom.xml", own_parent), ("lib/pom.xml", &module), ("Dockerfile", "FROM x\n")]);
        assert_eq!(
            published(&[with_own_parent]),
            BTreeSet::from([
                "package:maven/com.acme:ledger-client".to_string(),
                "package:maven/com.acme:parent".to_string()
            ]),
            "a group from the organisation's own parent is its own"
        );
    }

    #[test]
    fn a_package_is_named_without_its_namespace() {
        assert_eq!(short_name("org.springframework.boot:balancereader"), "balancereader");
        assert_eq!(short_name("@acme/checkout"), "checkout");
        assert_eq!(short_name("github.com/acme/shop/src/frontend"), "frontend");
        assert_eq!(short_name("github.com/acme/ledger/v2"), "ledger");
        assert_eq!(short_name("email_service"), "email_service");
        assert!(same_name("email_service", "email-service"));
        assert!(!same_name("", ""));
    }
}
