//! Container image references: `registry/repository:tag@digest`, any part
//! but the repository optional, read the way the container runtimes read
//! them (the distribution project's reference grammar). Shared by whoever
//! meets an image: the Kubernetes collector (what a cluster runs),
//! `manifests::declared` (what a repository deploys) and `identity` (the
//! service an image names).

/// One image reference, split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    /// `registry.example:5000` when the first path component names a host
    /// (it has a `.` or a `:`, or is `localhost`); `None` for Docker Hub's
    /// short names (`nginx`, `library/nginx`).
    pub registry: Option<String>,
    /// The path within the registry, e.g. `acme/billing`.
    pub repository: String,
    pub tag: Option<String>,
    /// `sha256:…`, as written after the `@`.
    pub digest: Option<String>,
}

impl ImageRef {
    /// Splits a reference. `None` when there is no repository to speak of
    /// (empty, whitespace, or only a tag or digest).
    pub fn parse(image: &str) -> Option<ImageRef> {
        let image = image.trim();
        if image.is_empty() || image.chars().any(char::is_whitespace) {
            return None;
        }
        let (name_tag, digest) = match image.split_once('@') {
            Some((name, digest)) => (name, Some(digest).filter(|d| is_digest(d)).map(str::to_string)),
            None => (image, None),
        };
        let last_slash = name_tag.rfind('/');
        let (name, tag) = match name_tag.rfind(':') {
            // A `:` after the last `/` starts the tag; before it, it is a
            // registry's port (`host:5000/app`).
            Some(colon) if last_slash.is_none_or(|slash| colon > slash) => {
                (&name_tag[..colon], Some(&name_tag[colon + 1..]).filter(|t| !t.is_empty()).map(str::to_string))
            }
            _ => (name_tag, None),
        };
        let (registry, repository) = split_registry(name);
        if repository.is_empty() || repository.starts_with('/') || repository.ends_with('/') {
            return None;
        }
        Some(ImageRef { registry: registry.map(str::to_string), repository: repository.to_string(), tag, digest })
    }

    /// `registry/repository`, or `repository` without a registry.
    pub fn name(&self) -> String {
        match &self.registry {
            Some(registry) => format!("{registry}/{}", self.repository),
            None => self.repository.clone(),
        }
    }

    /// The last path component, `billing` in `acme/billing`.
    pub fn short_name(&self) -> &str {
        self.repository.rsplit('/').next().unwrap_or(&self.repository)
    }
}

/// `host[:port]` when the first component names a registry.
fn split_registry(name: &str) -> (Option<&str>, &str) {
    match name.split_once('/') {
        Some((first, rest)) if first.contains('.') || first.contains(':') || first == "localhost" => {
            (Some(first), rest)
        }
        _ => (None, name),
    }
}

/// `algorithm:hex`, e.g. `sha256:` and 64 hex digits.
fn is_digest(value: &str) -> bool {
    match value.split_once(':') {
        Some((algorithm, hex)) => {
            !algorithm.is_empty()
                && algorithm.bytes().all(|b| b.is_ascii_alphanumeric() || b"+._-".contains(&b))
                && hex.len() >= 32
                && hex.bytes().all(|b| b.is_ascii_hexdigit())
        }
        None => false,
    }
}

/// The digest a container actually runs, from its status's `imageID`
/// (`docker-pullable://nginx@sha256:…`, `docker.io/library/nginx@sha256:…`).
/// A bare `sha256:…` is the local image ID, not a registry digest: `None`.
pub fn running_digest(image_id: &str) -> Option<String> {
    let without_scheme = image_id.split_once("://").map_or(image_id, |(_, rest)| rest);
    let (_, digest) = without_scheme.rsplit_once('@')?;
    is_digest(digest).then(|| digest.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIGEST: &str = "sha256:61673929bc39a86dca7d978b27fc632d3e590bc59cd8b2f386408751d007c91e";

    fn parts(image: &str) -> (Option<String>, String, Option<String>, Option<String>) {
        let r = ImageRef::parse(image).unwrap_or_else(|| panic!("{image} did not parse"));
        (r.registry, r.repository, r.tag, r.digest)
    }

    fn s(value: &str) -> Option<String> {
        Some(value.to_string())
    }

    #[test]
    fn short_names_tags_and_registries_are_split() {
        assert_eq!(parts("nginx"), (None, "nginx".into(), None, None));
        assert_eq!(parts("postgres:9.2-alpine"), (None, "postgres".into(), s("9.2-alpine"), None));
        assert_eq!(parts("istio/base"), (None, "istio/base".into(), None, None));
        assert_eq!(
            parts("gcr.io/stackdriver-agents/stackdriver-logging-agent:0.6-1.6.0-1"),
            (s("gcr.io"), "stackdriver-agents/stackdriver-logging-agent".into(), s("0.6-1.6.0-1"), None)
        );
        assert_eq!(parts("localhost/app:dev"), (s("localhost"), "app".into(), s("dev"), None));
    }

    #[test]
    fn a_port_is_not_a_tag() {
        assert_eq!(parts("registry.acme:5000/billing"), (s("registry.acme:5000"), "billing".into(), None, None));
        assert_eq!(
            parts("registry.acme:5000/team/billing:1.4.2"),
            (s("registry.acme:5000"), "team/billing".into(), s("1.4.2"), None)
        );
    }

    #[test]
    fn digests_with_and_without_tags() {
        assert_eq!(parts(&format!("nginx@{DIGEST}")), (None, "nginx".into(), None, s(DIGEST)));
        assert_eq!(
            parts(&format!("ghcr.io/acme/api:2.0.1@{DIGEST}")),
            (s("ghcr.io"), "acme/api".into(), s("2.0.1"), s(DIGEST))
        );
        // Not a digest: dropped rather than mistaken for a tag.
        assert_eq!(parts("nginx@latest"), (None, "nginx".into(), None, None));
    }

    #[test]
    fn references_without_a_repository_are_refused() {
        for bad in ["", "  ", ":1.0", "a b:1", "gcr.io/", "/app"] {
            assert_eq!(ImageRef::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn names_are_rebuilt() {
        let r = ImageRef::parse("registry.acme:5000/team/billing:1.4.2").unwrap();
        assert_eq!((r.name().as_str(), r.short_name()), ("registry.acme:5000/team/billing", "billing"));
        assert_eq!(ImageRef::parse("nginx:1").unwrap().name(), "nginx");
    }

    #[test]
    fn running_digests_come_from_image_ids() {
        assert_eq!(running_digest(&format!("docker-pullable://nginx@{DIGEST}")), s(DIGEST));
        assert_eq!(running_digest(&format!("docker.io/istio/base@{DIGEST}")), s(DIGEST));
        assert_eq!(running_digest(DIGEST), None, "a local image ID is not a registry digest");
        assert_eq!(running_digest(""), None);
    }
}
