//! Which service a workload a repository declares belongs to, and whether
//! the tag of the image it runs is that service's declared version.
//!
//! A manifest's label or a chart's name is a hint, not a service: charts
//! are named for being charts (`retail-store-sample-cart-chart`), and the
//! databases a chart or a folder bundles (`mysql`, `dynamodb-local`) run
//! images no service of the organisation builds. So the image decides
//! first: the service whose name (or built image) it carries owns it. A
//! workload running someone else's image (a third-party database, a Job
//! seeding it with `postgres`) gives no service a version, and no service
//! of its own (docs/declared.md).

use super::services::{key_for, Service};
use crate::image::ImageRef;
use crate::manifests::declared::DeclaredWorkload;

/// Kinds whose image runs to completion: a migration or a seeding job's
/// image is never the version of the service it belongs to.
const JOB_KINDS: [&str; 2] = ["Job", "CronJob"];

/// What a declared workload is to the service it belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Role {
    /// It runs the service's own image: its tag is the service's declared
    /// version.
    Service,
    /// A Job or CronJob of the service: it belongs to it, its tag is no
    /// version.
    Job,
    /// It runs an image no service of the repository (nor the service it
    /// names) builds: a bundled database, a broker, an exporter.
    ThirdParty,
}

impl Role {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Role::Service => "service",
            Role::Job => "job",
            Role::ThirdParty => "third-party",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Attachment {
    /// The key of the service that `deploys` it; `None` for third-party
    /// workloads and workloads nothing names.
    pub service: Option<String>,
    pub role: Role,
}

impl Attachment {
    /// The version the workload declares for its service, if it declares one.
    pub(super) fn version_of(&self, workload: &DeclaredWorkload) -> Option<String> {
        (self.role == Role::Service && self.service.is_some()).then(|| workload.version()).flatten()
    }
}

/// The service `workload` belongs to among the repository's `services`
/// (`folder_service`: the one whose folder holds the declaration), and its
/// role, in order:
/// 1. the repository's service whose name or built image the image carries;
/// 2. a Docker Hub official image is a third party's;
/// 3. the first candidate whose name the image carries: the name the
///    workload gives (a label, the chart's metadata) when the repository
///    builds it, the folder's service, that name when the repository does
///    not build it (a deployment repository naming another's service), and,
///    unlabelled, the workload's own name;
/// 4. none carried: a third party's. Without an image, the first candidate.
pub(super) fn attach(workload: &DeclaredWorkload, services: &[Service], folder_service: Option<&str>) -> Attachment {
    let image = workload.image.as_deref().and_then(ImageRef::parse);
    let short = image.as_ref().map(|i| i.short_name().to_lowercase());
    let is_job = JOB_KINDS.contains(&workload.kind.as_str());
    let role_if_own = if is_job { Role::Job } else { Role::Service };
    let by_image = short.as_deref().and_then(|short| image_owner(services, short));
    if let Some(owner) = by_image {
        return Attachment { service: Some(owner.key.clone()), role: role_if_own };
    }
    if image.as_ref().is_some_and(is_official_image) {
        return Attachment { service: None, role: Role::ThirdParty };
    }
    let named_own = workload.service.as_deref().and_then(|name| services.iter().find(|s| s.name == name));
    let folder = folder_service.and_then(|key| services.iter().find(|s| s.key == key));
    let foreign = workload.service.as_deref().map(|name| (key_for(services, name), name));
    let mut candidates =
        [named_own, folder].into_iter().flatten().map(|s| (s.key.clone(), s.name.as_str())).chain(foreign);
    let Some(short) = short else {
        return Attachment { service: candidates.next().map(|(key, _)| key), role: role_if_own };
    };
    // Unlabelled, a workload is named after its service, as the Kubernetes
    // collector reads a running one (Sock Shop's `carts` runs `…/carts`).
    let own_name = workload.name.to_lowercase();
    let unlabelled = workload.service.is_none().then(|| (key_for(services, &own_name), own_name.as_str()));
    match candidates.chain(unlabelled).find(|(_, name)| carries_name(&short, name)) {
        Some((key, _)) => Attachment { service: Some(key), role: role_if_own },
        None => Attachment { service: None, role: Role::ThirdParty },
    }
}

/// The repository's service whose built image or name the image's last
/// path segment carries; the longest name wins (`cart` over `car`).
fn image_owner<'a>(services: &'a [Service], short: &str) -> Option<&'a Service> {
    let exact = services.iter().find(|s| s.image.as_deref() == Some(short) || s.name == short);
    exact.or_else(|| services.iter().filter(|s| carries_name(short, &s.name)).max_by_key(|s| s.name.len()))
}

/// A Docker Hub official image (`rabbitmq:3.6`, `library/postgres`): no
/// registry, no namespace. No organisation publishes one, so unless a
/// service of the repository builds that name (a local image a dev tool
/// retags, `image: frontend`), it is a third party's, whatever its label.
fn is_official_image(image: &ImageRef) -> bool {
    image.registry.is_none() && (!image.repository.contains('/') || image.repository.starts_with("library/"))
}

/// Whether an image's last path segment is `name`'s: `name` itself, or
/// `name` with a prefix or suffix (`retail-store-sample-cart` for `cart`,
/// `ledger-worker` for `ledger`).
fn carries_name(short: &str, name: &str) -> bool {
    short == name || short.ends_with(&format!("-{name}")) || short.starts_with(&format!("{name}-"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifests::declared::DeclaredVia;

    fn service(name: &str, folder: &str, image: Option<&str>) -> Service {
        Service {
            key: crate::keys::service(name),
            folder: folder.into(),
            name: name.into(),
            image: image.map(Into::into),
        }
    }

    fn workload(kind: &str, service: Option<&str>, image: Option<&str>) -> DeclaredWorkload {
        DeclaredWorkload {
            kind: kind.into(),
            name: "w".into(),
            namespace: None,
            service: service.map(Into::into),
            image: image.map(Into::into),
            declared_in: "deploy/w.yaml".into(),
            via: DeclaredVia::Manifest,
        }
    }

    fn retail() -> Vec<Service> {
        ["cart", "catalog", "checkout", "orders", "ui"].iter().map(|n| service(n, &format!("src/{n}"), None)).collect()
    }

    #[test]
    fn a_charts_image_names_its_service_not_the_charts_name() {
        let chart = workload(
            "Helm",
            Some("retail-store-sample-cart"),
            Some("public.ecr.aws/aws-containers/retail-store-sample-cart"),
        );
        let found = attach(&chart, &retail(), Some("service:cart"));
        assert_eq!(found, Attachment { service: Some("service:cart".into()), role: Role::Service });
    }

    #[test]
    fn a_bundled_database_belongs_to_no_service_and_gives_no_version() {
        let dynamodb = workload("Helm", Some("retail-store-sample-cart"), Some("amazon/dynamodb-local:1.25.1"));
        let found = attach(&dynamodb, &retail(), Some("service:cart"));
        assert_eq!(found, Attachment { service: None, role: Role::ThirdParty });
        assert_eq!(found.version_of(&dynamodb), None);
    }

    #[test]
    fn a_job_seeding_a_database_with_postgres_gives_no_version() {
        let services = [service("accounts-db", "src/accounts/accounts-db", None)];
        let seed = workload("Job", Some("accounts-db"), Some("postgres:16.13-alpine"));
        assert_eq!(attach(&seed, &services, Some("service:accounts-db")).role, Role::ThirdParty);
        let migrate = workload("Job", Some("accounts-db"), Some("gcr.io/acme/accounts-db:1.2.0"));
        let found = attach(&migrate, &services, None);
        assert_eq!(found, Attachment { service: Some("service:accounts-db".into()), role: Role::Job });
        assert_eq!(found.version_of(&migrate), None, "a job's tag is not the service's version");
    }

    #[test]
    fn a_labelled_workload_with_a_third_party_image_is_no_service() {
        let redis = workload("Deployment", Some("redis-cart"), Some("redis:alpine"));
        assert_eq!(
            attach(&redis, &[service("cartservice", "src/cartservice", Some("cartservice"))], None).service,
            None
        );
    }

    #[test]
    fn an_official_image_is_a_third_partys_even_named_like_its_workload() {
        let rabbitmq = workload("Deployment", Some("rabbitmq"), Some("rabbitmq:3.6.8"));
        assert_eq!(attach(&rabbitmq, &[], None), Attachment { service: None, role: Role::ThirdParty });
        let local = workload("Deployment", Some("frontend"), Some("frontend"));
        let services = [service("frontend", "src/frontend", Some("frontend"))];
        assert_eq!(attach(&local, &services, None).service.as_deref(), Some("service:frontend"), "built here");
    }

    #[test]
    fn the_built_image_names_the_service_whatever_the_label() {
        let services = [service("web", "web", Some("rs-web"))];
        let found = attach(&workload("Deployment", Some("frontend"), Some("robotshop/rs-web:2.1")), &services, None);
        assert_eq!(found.service.as_deref(), Some("service:web"));
        assert_eq!(found.version_of(&workload("Deployment", None, Some("robotshop/rs-web:2.1"))), Some("2.1".into()));
    }

    #[test]
    fn a_deployment_repository_names_services_it_does_not_build() {
        let gitops = workload("Deployment", Some("billing"), Some("ghcr.io/acme/billing:1.4.0"));
        let found = attach(&gitops, &[], None);
        assert_eq!(found, Attachment { service: Some("service:billing".into()), role: Role::Service });
    }

    #[test]
    fn a_deployment_folder_of_another_service_does_not_take_a_labelled_workload() {
        // Sock Shop: `deploy/kubernetes` holds a service of its own, and the
        // manifests of services other repositories build.
        let services = [service("kubernetes", "deploy/kubernetes", None)];
        let carts = workload("Deployment", Some("carts"), Some("weaveworksdemos/carts:0.4.8"));
        let found = attach(&carts, &services, Some("service:kubernetes"));
        assert_eq!(found, Attachment { service: Some("service:carts".into()), role: Role::Service });
        let mongo = workload("Deployment", Some("carts-db"), Some("mongo"));
        assert_eq!(attach(&mongo, &services, Some("service:kubernetes")).role, Role::ThirdParty);
        let mut unlabelled = workload("Deployment", None, Some("weaveworksdemos/orders:0.4.7"));
        unlabelled.name = "orders".into();
        let found = attach(&unlabelled, &services, Some("service:kubernetes"));
        assert_eq!(found.service.as_deref(), Some("service:orders"), "named after its service, as a running one is");
        let mut seeding = workload("Job", None, Some("bash"));
        seeding.name = "populate-accounts-db".into();
        assert_eq!(attach(&seeding, &[], None).role, Role::ThirdParty, "nothing carries bash");
    }

    #[test]
    fn without_an_image_the_label_then_the_folder_decides() {
        let services = retail();
        let found = attach(&workload("Deployment", None, None), &services, Some("service:orders"));
        assert_eq!(found.service.as_deref(), Some("service:orders"));
        assert_eq!(attach(&workload("Deployment", None, None), &services, None).service, None);
    }
}
