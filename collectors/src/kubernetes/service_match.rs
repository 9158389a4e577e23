//! Which service a workload belongs to, and how that was told.
//!
//! A service's name is chosen on the GitHub side (explicit > the image it
//! builds > its declared workload's name > its folder). A workload attaches
//! to it by, in order: the configured annotation (`spot/service`), the
//! Backstage `backstage.io/kubernetes-id` label or annotation, the labels
//! `app.kubernetes.io/name` and `app`, and, when nothing names it, the last
//! path segment of its main container's image repository. Each match
//! records which of these made it (`via`), so a link can be trusted as much
//! as its signal deserves.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::model::{Container, Rules};
use crate::identity::naming::image_name;
use crate::image::ImageRef;
use crate::service_labels::{BACKSTAGE_ID, SERVICE_LABELS};
/// Service names longer than this cannot be keys.
const MAX_NAME_BYTES: usize = 200;

/// How a workload was matched to its service: the `via` of its `deploys`
/// relation and the `service_via` of the workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// The configured annotation (`spot/service`): set on purpose.
    Annotation,
    /// `backstage.io/kubernetes-id`, label or annotation.
    BackstageId,
    /// The label `app.kubernetes.io/name`.
    NameLabel,
    /// The label `app`.
    AppLabel,
    /// The main container's image repository, nothing else naming it.
    Image,
}

impl Via {
    pub fn as_str(self) -> &'static str {
        match self {
            Via::Annotation => "annotation",
            Via::BackstageId => "backstage-id",
            Via::NameLabel => "label:app.kubernetes.io/name",
            Via::AppLabel => "label:app",
            Via::Image => "image",
        }
    }
}

/// The service a workload belongs to: its name (lower case, as service keys
/// are) and the signal that named it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceMatch {
    pub name: String,
    pub via: Via,
}

/// The service named by a workload's metadata: the configured annotation,
/// then the Backstage id, then `app.kubernetes.io/name`, then `app`, each
/// looked for on the workload and then on its pod template. A value that
/// cannot name a service is skipped, the problem returned for a warning,
/// and the next signal tried.
pub fn service_of(
    meta: &ObjectMeta,
    template: Option<&ObjectMeta>,
    rules: &Rules,
) -> (Option<ServiceMatch>, Option<String>) {
    let metas: Vec<&ObjectMeta> = [Some(meta), template].into_iter().flatten().collect();
    let annotation = |key: &str| metas.iter().find_map(|m| non_blank(m.annotations.as_ref(), key));
    let label = |key: &str| metas.iter().find_map(|m| non_blank(m.labels.as_ref(), key));
    let backstage = metas.iter().find_map(|m| {
        non_blank(m.labels.as_ref(), BACKSTAGE_ID).or_else(|| non_blank(m.annotations.as_ref(), BACKSTAGE_ID))
    });
    let candidates = [
        (annotation(&rules.service_annotation), Via::Annotation, format!("annotation {}", rules.service_annotation)),
        (backstage, Via::BackstageId, BACKSTAGE_ID.to_string()),
        (label(SERVICE_LABELS[0]), Via::NameLabel, format!("label {}", SERVICE_LABELS[0])),
        (label(SERVICE_LABELS[1]), Via::AppLabel, format!("label {}", SERVICE_LABELS[1])),
    ];
    let mut problems = Vec::new();
    for (value, via, signal) in candidates {
        let Some(value) = value else { continue };
        match service_name(value) {
            Ok(name) => return (Some(ServiceMatch { name, via }), joined(problems)),
            Err(problem) => problems.push(format!("{signal}: {problem}")),
        }
    }
    (None, joined(problems))
}

/// The service a workload's main container's image names, by the one rule
/// the GitHub side names a service after the image it builds
/// ([`image_name`]: `gcr.io/acme/cartservice:1.2` → `cartservice`; nothing
/// for a generic or templated name). Not for a sidecar, nor for a Docker
/// Hub official image (`busybox`, `postgres:16`): that is somebody else's
/// software, never one of the organisation's services.
pub fn service_of_image(container: &Container, sidecars: &BTreeSet<String>) -> Option<ServiceMatch> {
    if container.sidecar || sidecars.contains(&container.name) {
        return None;
    }
    let image = container.image_ref.as_ref().filter(|r| !is_official_image(r))?;
    Some(ServiceMatch { name: image_name(&image.name())?, via: Via::Image })
}

/// Docker Hub's official images: no registry (or Docker Hub's own) and a
/// repository in its `library` namespace, written out or not.
fn is_official_image(image: &ImageRef) -> bool {
    let docker_hub = match image.registry.as_deref() {
        None => true,
        Some(registry) => matches!(registry, "docker.io" | "index.docker.io" | "registry-1.docker.io"),
    };
    docker_hub && (!image.repository.contains('/') || image.repository.starts_with("library/"))
}

fn non_blank<'a>(map: Option<&'a BTreeMap<String, String>>, key: &str) -> Option<&'a str> {
    map?.get(key).map(|v| v.trim()).filter(|v| !v.is_empty())
}

/// A value as a service name: trimmed and lower-cased (service keys are
/// lower case), or why it cannot be one.
pub fn service_name(value: &str) -> Result<String, String> {
    let value = value.trim();
    if value.is_empty() {
        Err("the name is empty".into())
    } else if value.chars().any(char::is_whitespace) {
        Err(format!("'{}' has whitespace, so it cannot be a service key", value.escape_debug()))
    } else if value.chars().any(char::is_control) {
        Err(format!("'{}' has control characters, so it cannot be a service key", value.escape_debug()))
    } else if value.len() > MAX_NAME_BYTES {
        Err(format!("the name is longer than {MAX_NAME_BYTES} bytes"))
    } else {
        Ok(value.to_lowercase())
    }
}

fn joined(problems: Vec<String>) -> Option<String> {
    (!problems.is_empty()).then(|| problems.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> Rules {
        Rules {
            service_annotation: "spot/service".into(),
            sidecars: ["istio-proxy"].into_iter().map(String::from).collect(),
            service_from_image: true,
        }
    }

    fn meta(labels: &[(&str, &str)], annotations: &[(&str, &str)]) -> ObjectMeta {
        let map = |pairs: &[(&str, &str)]| {
            (!pairs.is_empty()).then(|| pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
        };
        ObjectMeta { labels: map(labels), annotations: map(annotations), ..ObjectMeta::default() }
    }

    fn matched(name: &str, via: Via) -> Option<ServiceMatch> {
        Some(ServiceMatch { name: name.into(), via })
    }

    #[test]
    fn the_annotation_beats_the_backstage_id_beats_the_labels() {
        let r = rules();
        let all = [("app", "legacy"), ("app.kubernetes.io/name", "billing"), (BACKSTAGE_ID, "payments-api")];
        let annotated = meta(&all, &[("spot/service", "payments")]);
        assert_eq!(service_of(&annotated, None, &r), (matched("payments", Via::Annotation), None));
        assert_eq!(service_of(&meta(&all, &[]), None, &r), (matched("payments-api", Via::BackstageId), None));
        let as_annotation = meta(&all[..2], &[(BACKSTAGE_ID, "ledger")]);
        assert_eq!(
            service_of(&as_annotation, None, &r),
            (matched("ledger", Via::BackstageId), None),
            "Backstage's id may be an annotation too"
        );
        assert_eq!(service_of(&meta(&all[..2], &[]), None, &r), (matched("billing", Via::NameLabel), None));
        assert_eq!(service_of(&meta(&all[..1], &[]), None, &r), (matched("legacy", Via::AppLabel), None));
        assert_eq!(service_of(&meta(&[("team", "x")], &[]), None, &r), (None, None));
    }

    #[test]
    fn the_workload_is_read_before_its_pod_template() {
        let r = rules();
        let template = meta(&[("app", "from-template")], &[]);
        assert_eq!(service_of(&meta(&[], &[]), Some(&template), &r), (matched("from-template", Via::AppLabel), None));
        let workload = meta(&[("app", "from-workload")], &[]);
        assert_eq!(service_of(&workload, Some(&template), &r), (matched("from-workload", Via::AppLabel), None));
        let stronger = meta(&[(BACKSTAGE_ID, "billing")], &[]);
        assert_eq!(
            service_of(&workload, Some(&stronger), &r),
            (matched("billing", Via::BackstageId), None),
            "a stronger signal on the template beats a weaker one on the workload"
        );
    }

    #[test]
    fn names_are_lower_cased_as_service_keys_are() {
        let upper = meta(&[("app", "Billing")], &[]);
        assert_eq!(service_of(&upper, None, &rules()), (matched("billing", Via::AppLabel), None));
    }

    #[test]
    fn an_unusable_value_falls_back_to_the_next_signal_with_a_warning() {
        let bad = meta(&[("app", "fallback")], &[("spot/service", "two words"), (BACKSTAGE_ID, "  ")]);
        let (service, problem) = service_of(&bad, None, &rules());
        assert_eq!(service, matched("fallback", Via::AppLabel));
        assert_eq!(
            problem.unwrap(),
            "annotation spot/service: 'two words' has whitespace, so it cannot be a service key",
            "a blank value is no signal, not a problem"
        );
        let hostile = meta(&[("app", &"x".repeat(300)), ("app.kubernetes.io/name", "a\u{0}b")], &[]);
        let (service, problem) = service_of(&hostile, None, &rules());
        assert_eq!(service, None);
        assert_eq!(
            problem.unwrap(),
            "label app.kubernetes.io/name: 'a\\0b' has control characters, so it cannot be a service key; label app: the name is longer than 200 bytes"
        );
    }

    #[test]
    fn the_image_names_the_service_by_its_last_path_segment() {
        let sidecars = rules().sidecars;
        let named = |image: &str| service_of_image(&Container::new("main", image), &sidecars);
        assert_eq!(named("gcr.io/acme/cartservice:1.2"), matched("cartservice", Via::Image));
        assert_eq!(
            named("registry.acme:5000/team/Billing@sha256:0123456789abcdef0123456789abcdef"),
            matched("billing", Via::Image)
        );
        assert_eq!(named("acme/checkout"), matched("checkout", Via::Image), "a Docker Hub organisation's own image");
    }

    #[test]
    fn official_images_sidecars_and_unparsable_images_name_nothing() {
        let sidecars = rules().sidecars;
        for official in
            ["busybox:1.36", "postgres", "library/redis:7", "docker.io/library/nginx:1.25", "docker.io/nginx"]
        {
            assert_eq!(service_of_image(&Container::new("main", official), &sidecars), None, "{official}");
        }
        assert_eq!(service_of_image(&Container::new("istio-proxy", "docker.io/istio/proxyv2:1.20"), &sidecars), None);
        let mut native = Container::new("log-shipper", "acme/shipper:1");
        native.sidecar = true;
        assert_eq!(service_of_image(&native, &sidecars), None, "a native sidecar");
        assert_eq!(service_of_image(&Container::new("main", ""), &sidecars), None);
    }
}
