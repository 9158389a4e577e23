//! Links the teams declare themselves, read from an entity's attributes:
//! a catalog file's `links` (Backstage `metadata.links`, `.spot.yaml`
//! `docs`) and the `annotations` of a catalog file or a Kubernetes
//! workload whose keys match `[links] annotations` (`a8r.io/logs`, …).
//! Only absolute http(s) URLs become links: a Slack channel name in
//! `a8r.io/chat` or a `javascript:` URL is left out.

use serde_json::{Map, Value};

use super::{Link, LinkSource};

/// Declared links kept per entity: a page shows links, not a dump.
pub const MAX_DECLARED: usize = 50;

/// `a8r.io/*` (every key with that prefix) or one exact key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnnotationPattern {
    Prefix(String),
    Exact(String),
}

impl AnnotationPattern {
    /// The pattern of `text`, or what is wrong with it.
    pub fn parse(text: &str) -> Result<AnnotationPattern, String> {
        if text.is_empty() || text.chars().any(char::is_whitespace) {
            return Err(format!("'{}' is not an annotation key (empty, or with spaces)", text.escape_debug()));
        }
        match text.find('*') {
            None => Ok(AnnotationPattern::Exact(text.to_string())),
            Some(at) if at == text.len() - 1 => Ok(AnnotationPattern::Prefix(text[..at].to_string())),
            Some(_) => Err(format!("'{}': a * may only end a pattern (a8r.io/*)", text.escape_debug())),
        }
    }

    fn matches(&self, key: &str) -> bool {
        match self {
            AnnotationPattern::Prefix(prefix) => key.starts_with(prefix.as_str()),
            AnnotationPattern::Exact(exact) => key == exact,
        }
    }
}

/// The links declared in `attrs`: its `links` (source CATALOG), then its
/// annotations that match `patterns` (source ANNOTATION), at most
/// [`MAX_DECLARED`].
pub fn declared(attrs: &Map<String, Value>, patterns: &[AnnotationPattern]) -> Vec<Link> {
    let listed = attrs.get("links").and_then(Value::as_array).into_iter().flatten().filter_map(catalog_link);
    let annotated = attrs
        .get("annotations")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter(|(key, _)| patterns.iter().any(|p| p.matches(key)))
        .filter_map(|(key, value)| annotation_link(key, value.as_str()?));
    listed.chain(annotated).take(MAX_DECLARED).collect()
}

/// `{url, title?, type?, icon?}` as Backstage's `metadata.links` has it;
/// the kind is its `type`, else its `icon`, else `link`.
fn catalog_link(item: &Value) -> Option<Link> {
    let text = |field: &str| item.get(field).and_then(Value::as_str).map(str::trim).filter(|t| !t.is_empty());
    let url = super::href::checked(text("url")?).ok()?;
    let kind = text("type").or_else(|| text("icon")).map(kind_of).unwrap_or_else(|| "link".into());
    let title = text("title").map(bounded).unwrap_or_else(|| host_of(&url));
    Some(Link { kind, title, url, source: LinkSource::Catalog })
}

/// `a8r.io/logs: https://…` is a `logs` link titled "Logs". Backstage
/// writes some locations as `url:https://…`.
fn annotation_link(key: &str, value: &str) -> Option<Link> {
    let value = value.trim();
    let url = super::href::checked(value.strip_prefix("url:").unwrap_or(value)).ok()?;
    let kind = kind_of(key.rsplit('/').next().unwrap_or(key));
    Some(Link { title: super::title_of(&kind), kind, url, source: LinkSource::Annotation })
}

/// A kind as SPoT spells kinds: lower case, at most 64 characters.
fn kind_of(text: &str) -> String {
    text.trim().to_lowercase().chars().take(64).collect()
}

fn bounded(title: &str) -> String {
    spot_model::untrusted::one_line(title).chars().take(200).collect()
}

fn host_of(url: &str) -> String {
    ::url::Url::parse(url).ok().and_then(|u| u.host_str().map(str::to_string)).unwrap_or_else(|| url.to_string())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn patterns() -> Vec<AnnotationPattern> {
        ["a8r.io/*", "backstage.io/source-location"].iter().map(|p| AnnotationPattern::parse(p).unwrap()).collect()
    }

    #[test]
    fn catalog_links_and_matching_annotations_with_urls_are_links() {
        let attrs = json!({
            "links": [
                {"url": "https://grafana.example/d/billing", "title": "Billing board", "type": "dashboard"},
                {"url": "https://wiki.example/billing", "icon": "docs"},
                {"url": "javascript:alert(1)", "title": "not a link"},
                {"title": "no url"},
            ],
            "annotations": {
                "a8r.io/logs": "https://kibana.example/app/discover#/billing",
                "a8r.io/chat": "#billing",
                "a8r.io/runbook": " https://wiki.example/runbooks/billing ",
                "backstage.io/source-location": "url:https://github.com/acme/billing/tree/main/",
                "prometheus.io/path": "https://not-a-pattern.example/",
            },
        });
        let links = declared(attrs.as_object().unwrap(), &patterns());
        let seen: Vec<(&str, &str, &str, LinkSource)> =
            links.iter().map(|l| (l.kind.as_str(), l.title.as_str(), l.url.as_str(), l.source)).collect();
        assert_eq!(
            seen,
            [
                ("dashboard", "Billing board", "https://grafana.example/d/billing", LinkSource::Catalog),
                ("docs", "wiki.example", "https://wiki.example/billing", LinkSource::Catalog),
                ("logs", "Logs", "https://kibana.example/app/discover#/billing", LinkSource::Annotation),
                ("runbook", "Runbook", "https://wiki.example/runbooks/billing", LinkSource::Annotation),
                (
                    "source-location",
                    "Source location",
                    "https://github.com/acme/billing/tree/main/",
                    LinkSource::Annotation
                ),
            ]
        );
    }

    #[test]
    fn patterns_are_exact_keys_or_prefixes() {
        assert_eq!(AnnotationPattern::parse("a8r.io/*"), Ok(AnnotationPattern::Prefix("a8r.io/".into())));
        assert_eq!(AnnotationPattern::parse("a8r.io/logs"), Ok(AnnotationPattern::Exact("a8r.io/logs".into())));
        assert!(AnnotationPattern::parse("a8r.io/*/x").unwrap_err().contains("a * may only end a pattern"));
        assert!(AnnotationPattern::parse("").is_err());
    }
}
