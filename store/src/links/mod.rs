//! Links to logs, dashboards, runbooks, CI, …: rendered from the URL
//! templates of `[links]` for one object and a time window, and read from
//! what teams declare (catalog files, workload annotations). Nothing here
//! reads the store: the API gathers an object's [`LinkContext`] and
//! attributes, this module turns them into [`Link`]s (docs/links.md).

mod config;
mod context;
mod declared;
pub mod href;
mod template;

use chrono::{DateTime, Duration, SubsecRound, Utc};
use serde_json::{Map, Value};

pub use config::{LinksConfig, TemplateConfig};
pub use context::{LinkContext, Variable, Window};
pub use declared::AnnotationPattern;
pub use template::Template;

/// One link, ready to show.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Link {
    /// `logs`, `dashboard`, `runbook`, …
    pub kind: String,
    pub title: String,
    /// An absolute http(s) URL.
    pub url: String,
    pub source: LinkSource,
}

/// Where a link comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LinkSource {
    /// A `[links.templates.<name>]` of the config.
    Template,
    /// A catalog file's list of links (`metadata.links`, `.spot.yaml` `docs`).
    Catalog,
    /// An annotation of a catalog file or a workload (`a8r.io/logs`).
    Annotation,
}

/// One template of the config, checked.
#[derive(Debug, Clone)]
struct Named {
    kind: String,
    title: String,
    template: Template,
}

/// `[links]`, checked and ready to render.
#[derive(Debug, Clone)]
pub struct Links {
    templates: Vec<Named>,
    annotations: Vec<AnnotationPattern>,
    before: Duration,
    after: Duration,
    recent: Duration,
}

impl Default for Links {
    /// No templates; the default annotations.
    fn default() -> Links {
        Links::new(&LinksConfig::default()).unwrap_or_else(|_| Links {
            templates: Vec::new(),
            annotations: Vec::new(),
            before: Duration::minutes(15),
            after: Duration::minutes(15),
            recent: Duration::minutes(60),
        })
    }
}

impl Links {
    /// `[links]` checked: every problem at once, each starting with its key
    /// (`links.templates.logs.url: unknown variable {servce}; …`), as
    /// `spot config check` reports them.
    pub fn new(config: &LinksConfig) -> Result<Links, Vec<String>> {
        let mut problems = config.window_problems();
        let mut templates = Vec::new();
        for (name, entry) in &config.templates {
            match named(name, entry) {
                Ok(named) => templates.push(named),
                Err(mut wrong) => problems.append(&mut wrong),
            }
        }
        let mut annotations = Vec::new();
        for (i, text) in config.annotations.iter().enumerate() {
            match AnnotationPattern::parse(text) {
                Ok(pattern) => annotations.push(pattern),
                Err(problem) => problems.push(format!("links.annotations[{i}]: {problem}")),
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        let minutes = |m: u32| Duration::minutes(i64::from(m));
        Ok(Links {
            templates,
            annotations,
            before: minutes(config.before_minutes),
            after: minutes(config.after_minutes),
            recent: minutes(config.recent_minutes),
        })
    }

    /// What `spot config check` warns of without refusing: templates whose
    /// host a value can choose (`{+service}` in the host).
    pub fn warnings(config: &LinksConfig) -> Vec<String> {
        config
            .templates
            .iter()
            .filter_map(|(name, entry)| {
                template::host_warning(&entry.url).map(|w| format!("links.templates.{name}.url: {w}"))
            })
            .collect()
    }

    /// The links of the templates for `context`, in the order of their
    /// names; a template that uses a variable `context` has no value for
    /// is left out.
    pub fn render(&self, context: &LinkContext) -> Vec<Link> {
        self.templates
            .iter()
            .filter_map(|named| {
                Some(Link {
                    kind: named.kind.clone(),
                    title: named.title.clone(),
                    url: named.template.render(context)?,
                    source: LinkSource::Template,
                })
            })
            .collect()
    }

    /// The links declared in an entity's attributes: its `links`, then its
    /// annotations that `[links] annotations` names.
    pub fn declared(&self, attrs: &Map<String, Value>) -> Vec<Link> {
        declared::declared(attrs, &self.annotations)
    }

    /// Whether any template is configured (without, objects have only the
    /// links they declare).
    pub fn has_templates(&self) -> bool {
        !self.templates.is_empty()
    }

    /// The window of something that happened at `at` (a deploy, an action).
    /// Windows are whole seconds, so `{from}` and `{from_ms}` say the same.
    pub fn around(&self, at: DateTime<Utc>) -> Window {
        let at = at.trunc_subsecs(0);
        Window { from: at - self.before, to: at + self.after }
    }

    /// The window of an object with no moment of its own: the last
    /// `recent_minutes` up to `now`.
    pub fn recent(&self, now: DateTime<Utc>) -> Window {
        let now = now.trunc_subsecs(0);
        Window { from: now - self.recent, to: now }
    }
}

/// One `[links.templates.<name>]`, checked, or every problem with it.
fn named(name: &str, entry: &TemplateConfig) -> Result<Named, Vec<String>> {
    let key = format!("links.templates.{name}");
    let mut problems = Vec::new();
    if let Some(problem) = config::name_problem(name) {
        problems.push(format!("{key}: {problem}"));
    }
    if let Some(problem) = entry.kind.as_deref().and_then(config::name_problem) {
        problems.push(format!("{key}.kind: {problem}"));
    }
    if entry.title.as_deref().is_some_and(|t| t.trim().is_empty() || t.chars().count() > 200) {
        problems.push(format!("{key}.title: must be 1 to 200 characters"));
    }
    let template = Template::parse(&entry.url).map_err(|problem| problems.push(format!("{key}.url: {problem}")));
    match template {
        Ok(template) if problems.is_empty() => {
            let kind = entry.kind.clone().unwrap_or_else(|| name.to_string());
            let title = entry.title.clone().unwrap_or_else(|| title_of(&kind));
            Ok(Named { kind, title, template })
        }
        _ => Err(problems),
    }
}

/// `logs` → "Logs", `source-location` → "Source location".
fn title_of(kind: &str) -> String {
    let spaced = kind.replace(['-', '_'], " ");
    let mut chars = spaced.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => "Link".into(),
    }
}

/// `lists` in order, each URL once (the first one wins: templates before
/// catalog links before annotations, when the caller orders them so).
pub fn merged(lists: impl IntoIterator<Item = Vec<Link>>) -> Vec<Link> {
    let mut seen = std::collections::HashSet::new();
    lists.into_iter().flatten().filter(|link| seen.insert(link.url.clone())).collect()
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn config(text: &str) -> LinksConfig {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn templates_render_per_object_with_a_window_around_a_moment() {
        let links = Links::new(&config(
            r#"
            before_minutes = 10
            after_minutes = 20
            [templates.logs]
            url = "https://grafana.example/explore?app={service}&from={from_ms}&to={to_ms}"
            [templates.k8s]
            kind = "dashboard"
            title = "Pods"
            url = "https://grafana.example/d/pods?ns={namespace}&wl={workload}"
            "#,
        ))
        .unwrap();
        let at = Utc.with_ymd_and_hms(2026, 3, 1, 14, 0, 0).unwrap();
        let service =
            LinkContext { service: Some("billing".into()), window: Some(links.around(at)), ..LinkContext::default() };
        assert_eq!(
            links.render(&service),
            [Link {
                kind: "logs".into(),
                title: "Logs".into(),
                url: "https://grafana.example/explore?app=billing&from=1772373000000&to=1772374800000".into(),
                source: LinkSource::Template,
            }],
            "10 minutes before to 20 after; the pods board needs a namespace and a workload"
        );
        let workload = LinkContext { namespace: Some("pay".into()), workload: Some("billing".into()), ..service };
        let kinds: Vec<(String, String)> = links.render(&workload).into_iter().map(|l| (l.kind, l.title)).collect();
        assert_eq!(kinds, [("dashboard".into(), "Pods".into()), ("logs".into(), "Logs".into())]);
    }

    #[test]
    fn every_problem_of_the_section_is_named_by_its_key() {
        let problems = Links::new(&config(
            r#"
            recent_minutes = 0
            annotations = ["a8r.io/*/x"]
            [templates.Logs]
            url = "https://x.example/{service"
            [templates.ci]
            kind = "c i"
            url = "jenkins.example/job/{repository_name}"
            "#,
        ))
        .unwrap_err();
        assert_eq!(
            problems,
            [
                "links.recent_minutes: must be at least 1",
                "links.templates.Logs: 'Logs' is not a kind: use 1 to 64 lowercase letters, digits, '_' or '-'",
                "links.templates.Logs.url: not a URI template: expression not closed at byte 18",
                "links.templates.ci.kind: 'c i' is not a kind: use 1 to 64 lowercase letters, digits, '_' or '-'",
                "links.templates.ci.url: not a URL: relative URL without a base",
                "links.annotations[0]: 'a8r.io/*/x': a * may only end a pattern (a8r.io/*)",
            ]
        );
    }

    #[test]
    fn the_same_url_is_listed_once_from_its_first_source() {
        let link = |url: &str, source| Link { kind: "logs".into(), title: "Logs".into(), url: url.into(), source };
        let merged = merged([
            vec![link("https://a.example/", LinkSource::Template)],
            vec![
                link("https://a.example/", LinkSource::Annotation),
                link("https://b.example/", LinkSource::Annotation),
            ],
        ]);
        let sources: Vec<LinkSource> = merged.iter().map(|l| l.source).collect();
        assert_eq!(sources, [LinkSource::Template, LinkSource::Annotation]);
    }

    #[test]
    fn the_defaults_have_no_templates_and_read_a8r_annotations() {
        let links = Links::new(&LinksConfig::default()).expect("the defaults are valid");
        assert!(links.render(&LinkContext::sample()).is_empty());
        let attrs = serde_json::json!({"annotations": {"a8r.io/dashboard": "https://grafana.example/d/1"}});
        assert_eq!(links.declared(attrs.as_object().unwrap())[0].kind, "dashboard");
    }
}
