//! From Confluence pages to SPoT's entities and relations. Pure functions:
//! the tests feed them recorded and generated responses.

use regex::Regex;
use serde_json::{json, Map, Value};

use super::api::{Page, Space};
use crate::{ObservedEntity, ObservedRelation};

/// How a page names the services it documents.
#[derive(Debug, Clone)]
pub struct Matching {
    /// A label `<prefix><name>` names service `<name>` (`service-billing`).
    pub label_prefix: String,
    /// A title matching this names the service in its `service` group.
    pub title_pattern: Option<Regex>,
    /// A content property whose value names the service(s).
    pub property: Option<String>,
}

/// Why a page documents a service, strongest first: a label is set on
/// purpose, a property by tooling, a title match is a guess.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Via {
    Label,
    Property,
    Title,
}

impl Via {
    pub fn as_str(self) -> &'static str {
        match self {
            Via::Label => "label",
            Via::Property => "property",
            Via::Title => "title",
        }
    }
}

pub fn doc_key(id: &str) -> String {
    crate::keys::confluence_doc(id)
}

pub fn space_key(key: &str) -> String {
    format!("space:confluence/{key}")
}

/// The `doc` entity: title, space, labels, version, last editor, when, URL.
/// `base_url` is the configured one, without a trailing slash.
pub fn doc_entity(page: &Page, base_url: &str) -> ObservedEntity {
    let mut attrs = Map::new();
    attrs.insert("title".into(), json!(page.title));
    attrs.insert("space".into(), json!(page.space.key));
    attrs.insert("labels".into(), json!(label_names(page)));
    attrs.insert("version".into(), json!(page.version.number));
    if let Some(editor) = last_editor(page) {
        attrs.insert("last_editor".into(), json!(editor));
    }
    if let Some(when) = &page.version.when {
        attrs.insert("updated".into(), json!(normalise_timestamp(when)));
    }
    attrs.insert("url".into(), json!(page_url(page, base_url)));
    let name = if page.title.trim().is_empty() { page.id.clone() } else { page.title.clone() };
    ObservedEntity { key: doc_key(&page.id), kind: "doc".into(), name, attrs }
}

/// The page's labels, sorted, each once.
pub fn label_names(page: &Page) -> Vec<String> {
    let mut names: Vec<String> =
        page.metadata.labels.iter().flat_map(|labels| labels.results.iter().map(|l| l.name.clone())).collect();
    names.sort();
    names.dedup();
    names
}

/// Who saved the current version: the display name, else what Cloud
/// (`publicName`) or Server (`username`) offers instead.
fn last_editor(page: &Page) -> Option<String> {
    let by = page.version.by.as_ref()?;
    [&by.display_name, &by.public_name, &by.username]
        .into_iter()
        .flatten()
        .find(|name| !name.trim().is_empty())
        .cloned()
}

/// The page in the web UI. Without a `webui` link, the page-id URL that
/// both Cloud and Server answer.
pub fn page_url(page: &Page, base_url: &str) -> String {
    match page.links.webui.as_deref().filter(|w| !w.is_empty()) {
        Some(webui) if webui.starts_with('/') => format!("{base_url}{webui}"),
        Some(webui) => format!("{base_url}/{webui}"),
        None => format!("{base_url}/pages/viewpage.action?pageId={}", page.id),
    }
}

/// The `space` entity for a space pages were seen in.
pub fn space_entity(space: &Space) -> ObservedEntity {
    let name = space.name.clone().filter(|n| !n.trim().is_empty()).unwrap_or_else(|| space.key.clone());
    let mut attrs = Map::new();
    attrs.insert("key".into(), json!(space.key));
    attrs.insert("name".into(), json!(name));
    if let Some(kind) = &space.kind {
        attrs.insert("type".into(), json!(kind));
    }
    ObservedEntity { key: space_key(&space.key), kind: "space".into(), name, attrs }
}

/// Whether a space key can be part of an entity key (Confluence's are
/// letters and digits, `~name` for personal spaces).
pub fn is_space_key(key: &str) -> bool {
    !key.is_empty() && key.len() <= 255 && !key.contains(char::is_whitespace)
}

/// `in_space`, then one `documents` per service the page names. Names that
/// cannot be service names are reported in `warnings` instead.
pub fn page_relations(page: &Page, matching: &Matching, warnings: &mut Vec<String>) -> Vec<ObservedRelation> {
    let doc = doc_key(&page.id);
    let mut relations = vec![ObservedRelation {
        from: doc.clone(),
        to: space_key(&page.space.key),
        kind: "in_space".into(),
        attrs: Map::new(),
    }];
    for (service, via) in services(page, matching, &doc, warnings) {
        let mut attrs = Map::new();
        attrs.insert("via".into(), json!(via.as_str()));
        relations.push(ObservedRelation {
            from: doc.clone(),
            to: crate::keys::service(&service),
            kind: "documents".into(),
            attrs,
        });
    }
    relations
}

/// The services a page names, each once with its strongest reason, in the
/// order found (labels, then the property, then the title).
pub fn services(page: &Page, matching: &Matching, doc: &str, warnings: &mut Vec<String>) -> Vec<(String, Via)> {
    let mut named: Vec<(String, Via)> = Vec::new();
    // Confluence stores labels in lower case; the prefix is compared the
    // same way so `Service-` in the config still matches.
    let prefix = matching.label_prefix.to_lowercase();
    for label in label_names(page) {
        if let Some(name) = label.to_lowercase().strip_prefix(&prefix) {
            named.push((name.to_string(), Via::Label));
        }
    }
    if let Some(key) = &matching.property {
        match property_names(page, key) {
            Ok(names) => named.extend(names.into_iter().map(|n| (n, Via::Property))),
            Err(problem) => warnings.push(format!("{doc}: content property '{key}' {problem}: no documents relation")),
        }
    }
    if let Some(pattern) = &matching.title_pattern {
        if let Some(name) = pattern.captures(&page.title).and_then(|c| c.name("service")) {
            named.push((name.as_str().to_string(), Via::Title));
        }
    }
    let mut services: Vec<(String, Via)> = Vec::new();
    for (raw, via) in named {
        let name = raw.trim().to_lowercase();
        if !is_service_name(&name) {
            warnings.push(format!(
                "{doc}: '{raw}' (from the {}) is not a service name (letters, digits, '-', '_' and '.'): no documents relation",
                via.as_str()
            ));
            continue;
        }
        match services.iter_mut().find(|(known, _)| *known == name) {
            Some((_, strongest)) => *strongest = (*strongest).min(via),
            None => services.push((name, via)),
        }
    }
    services
}

/// The names a content property gives: a string, or a list of strings.
/// An absent property names nothing.
fn property_names(page: &Page, key: &str) -> Result<Vec<String>, String> {
    let Some(property) = page.metadata.properties.get(key) else {
        return Ok(Vec::new());
    };
    match property.get("value") {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::String(name)) => Ok(vec![name.clone()]),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| item.as_str().map(str::to_string).ok_or_else(|| format!("has a non-string item ({item})")))
            .collect(),
        Some(other) => Err(format!("is neither a string nor a list of strings ({})", short(other))),
    }
}

fn short(value: &Value) -> String {
    let text = value.to_string();
    match text.char_indices().nth(80) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text,
    }
}

/// What SPoT accepts after `service:` from a page: lowercase letters,
/// digits, `-`, `_` and `.`, as repository and catalog names are.
pub fn is_service_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 200
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_.".contains(&b))
}

/// Confluence writes `2024-01-01T09:00:00.000Z` (Cloud) or
/// `2019-03-27T10:31:21.356+01:00` (Server); SPoT keeps RFC 3339 in UTC to
/// the second, so the same instant always reads the same. Anything else is
/// kept as given.
pub fn normalise_timestamp(raw: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(raw)
        .or_else(|_| chrono::DateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S%.f%z"))
        .map(|t| t.with_timezone(&chrono::Utc).format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_else(|_| raw.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::confluence::api::decode_page;

    fn page(extra: Value) -> Page {
        let mut raw = json!({
            "id": "42",
            "title": "billing runbook",
            "space": { "key": "ENG", "name": "Engineering", "type": "global" },
            "version": { "number": 3, "when": "2024-05-01T10:00:00.000+02:00", "by": { "username": "jdoe" } },
            "_links": { "webui": "/spaces/ENG/pages/42/billing+runbook" }
        });
        if let (Some(raw), Some(extra)) = (raw.as_object_mut(), extra.as_object()) {
            raw.extend(extra.clone());
        }
        decode_page(0, raw).unwrap()
    }

    fn labels(names: &[&str]) -> Value {
        json!({ "metadata": { "labels": { "results": names.iter().map(|n| json!({ "name": n })).collect::<Vec<_>>() } } })
    }

    fn matching() -> Matching {
        Matching {
            label_prefix: "service-".into(),
            title_pattern: Some(Regex::new("^(?P<service>[A-Za-z0-9-]+) runbook$").unwrap()),
            property: Some("spot-service".into()),
        }
    }

    #[test]
    fn a_server_page_reads_its_editor_and_time_in_utc() {
        let doc = doc_entity(&page(json!({})), "https://confluence.acme.internal");
        assert_eq!(doc.attrs["last_editor"], json!("jdoe"));
        assert_eq!(doc.attrs["updated"], json!("2024-05-01T08:00:00Z"));
        assert_eq!(doc.attrs["url"], json!("https://confluence.acme.internal/spaces/ENG/pages/42/billing+runbook"));
        assert_eq!(doc.attrs["labels"], json!([]));
    }

    #[test]
    fn a_page_without_a_webui_link_gets_its_id_url() {
        let mut p = page(json!({}));
        p.links.webui = None;
        assert_eq!(page_url(&p, "https://w.example/wiki"), "https://w.example/wiki/pages/viewpage.action?pageId=42");
    }

    #[test]
    fn labels_beat_properties_beat_titles() {
        let mut extra = labels(&["service-billing", "runbook", "service-Ledger"]);
        extra["metadata"]["properties"] =
            json!({ "spot-service": { "key": "spot-service", "value": ["ledger", "payments"] } });
        let mut warnings = Vec::new();
        let found = services(&page(extra), &matching(), "doc:confluence/42", &mut warnings);
        assert_eq!(
            found,
            [
                // Labels in sorted order: `service-Ledger` sorts first.
                ("ledger".to_string(), Via::Label),
                ("billing".to_string(), Via::Label),
                ("payments".to_string(), Via::Property)
            ]
        );
        assert!(warnings.is_empty(), "{warnings:?}");
    }

    #[test]
    fn a_title_match_names_a_service_when_nothing_else_does() {
        let mut warnings = Vec::new();
        let relations = page_relations(&page(json!({})), &matching(), &mut warnings);
        let edges: Vec<_> =
            relations.iter().map(|r| (r.kind.as_str(), r.to.as_str(), r.attrs.get("via").cloned())).collect();
        assert_eq!(
            edges,
            [("in_space", "space:confluence/ENG", None), ("documents", "service:billing", Some(json!("title")))]
        );
    }

    #[test]
    fn a_case_insensitive_title_pattern_names_the_service_in_lower_case() {
        let mut p = page(json!({}));
        p.title = "Billing-API Runbook".into();
        let pattern = Regex::new("(?i)^(?P<service>[a-z0-9-]+) runbook$").unwrap();
        let matching = Matching { title_pattern: Some(pattern), property: None, ..matching() };
        let found = services(&p, &matching, "doc:confluence/42", &mut Vec::new());
        assert_eq!(found, [("billing-api".to_string(), Via::Title)]);
    }

    #[test]
    fn names_that_cannot_be_services_are_warned_about() {
        let mut extra = labels(&["service-"]);
        extra["metadata"]["properties"] = json!({ "spot-service": { "value": "Billing Team" } });
        let mut warnings = Vec::new();
        let found =
            services(&page(extra), &Matching { title_pattern: None, ..matching() }, "doc:confluence/42", &mut warnings);
        assert!(found.is_empty());
        assert_eq!(
            warnings,
            [
                "doc:confluence/42: '' (from the label) is not a service name (letters, digits, '-', '_' and '.'): no documents relation",
                "doc:confluence/42: 'Billing Team' (from the property) is not a service name (letters, digits, '-', '_' and '.'): no documents relation",
            ]
        );
    }

    #[test]
    fn a_property_of_another_shape_is_warned_about() {
        let extra = json!({ "metadata": { "properties": { "spot-service": { "value": { "name": "billing" } } } } });
        let mut warnings = Vec::new();
        let found =
            services(&page(extra), &Matching { title_pattern: None, ..matching() }, "doc:confluence/42", &mut warnings);
        assert!(found.is_empty());
        assert_eq!(
            warnings,
            [
                r#"doc:confluence/42: content property 'spot-service' is neither a string nor a list of strings ({"name":"billing"}): no documents relation"#
            ]
        );
    }

    #[test]
    fn timestamps_are_kept_in_utc() {
        assert_eq!(normalise_timestamp("2024-01-01T09:00:00.000Z"), "2024-01-01T09:00:00Z");
        assert_eq!(normalise_timestamp("2019-03-27T10:31:21.356+01:00"), "2019-03-27T09:31:21Z");
        assert_eq!(normalise_timestamp("2019-03-27T10:31:21.356+0100"), "2019-03-27T09:31:21Z");
        assert_eq!(normalise_timestamp("yesterday"), "yesterday");
    }

    #[test]
    fn space_entities_fall_back_to_their_key() {
        let space = Space { key: "~jdoe".into(), name: None, kind: Some("personal".into()) };
        let entity = space_entity(&space);
        assert_eq!((entity.key.as_str(), entity.name.as_str()), ("space:confluence/~jdoe", "~jdoe"));
        assert_eq!(entity.attrs["type"], json!("personal"));
    }
}
