//! From SonarQube's answers to SPoT's entities and relations. Pure
//! functions: the tests feed them recorded and generated responses.

use serde_json::{json, Map, Value};

use super::api::{AlmBinding, GateCondition, Measure, MetricDefinition, ProjectStatus};
use super::monorepo::service_of_project;
use crate::{ObservedEntity, ObservedRelation};

/// Everything read about one project.
#[derive(Debug, Clone, Default)]
pub struct ProjectReading {
    pub key: String,
    pub name: String,
    pub visibility: Option<String>,
    pub tags: Vec<String>,
    pub last_analysis: Option<String>,
    pub revision: Option<String>,
    pub measures: Vec<Measure>,
    pub metrics: Vec<MetricDefinition>,
    pub gate: Option<ProjectStatus>,
    pub binding: Option<AlmBinding>,
}

/// How a project key names its repository when SonarQube has no binding:
/// `<key_prefix><repo>` (SonarCloud's `acme_billing`), or a Maven-style
/// `group:repo` whose last part is the repository.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RepoConvention {
    /// `github.com`
    pub host: String,
    /// The organisation the repositories live in; without one, only ALM
    /// bindings map projects.
    pub owner: Option<String>,
    pub key_prefix: Option<String>,
}

pub fn project_key(key: &str) -> String {
    format!("sonar_project:{key}")
}

/// The `sonar_project` entity: its analysis, tags, measures and gate.
pub fn project_entity(project: &ProjectReading) -> ObservedEntity {
    let mut attrs = Map::new();
    if let Some(visibility) = &project.visibility {
        attrs.insert("visibility".into(), json!(visibility));
    }
    let mut tags = project.tags.clone();
    tags.sort();
    attrs.insert("tags".into(), json!(tags));
    if let Some(when) = &project.last_analysis {
        attrs.insert("last_analysis".into(), json!(normalise_timestamp(when)));
    }
    if let Some(revision) = &project.revision {
        attrs.insert("revision".into(), json!(revision));
    }
    for measure in &project.measures {
        let Some(raw) = &measure.value else { continue };
        let kind = project.metrics.iter().find(|m| m.key == measure.metric).map(|m| m.kind.as_str());
        attrs.insert(measure.metric.clone(), measure_value(kind, raw));
    }
    if let Some(gate) = &project.gate {
        attrs.insert("quality_gate".into(), json!(gate.status));
        let failing: Vec<Value> =
            gate.conditions.iter().filter(|c| c.status == "ERROR" || c.status == "WARN").map(condition).collect();
        attrs.insert("quality_gate_failing".into(), Value::Array(failing));
    }
    let name = if project.name.trim().is_empty() { project.key.clone() } else { project.name.clone() };
    ObservedEntity { key: project_key(&project.key), kind: "sonar_project".into(), name, attrs }
}

fn condition(c: &GateCondition) -> Value {
    json!({
        "metric": c.metric_key,
        "status": c.status,
        "comparator": c.comparator,
        "threshold": c.error_threshold,
        "actual": c.actual_value,
    })
}

/// The `measures` relation: to the service a monorepo project analyses
/// (see [`super::monorepo`]), else to the project's repository. `None`
/// when neither can be told; what went wrong is in `warnings`.
///
/// Attributes: `by`, how the repository was found (`alm_binding`,
/// `project_key`); `via`, how the target was (`binding`, `project_key`,
/// `monorepo-key`, `monorepo-name`, `monorepo-unmatched`); and, for a
/// monorepo project, `repository`, the bound repository's key.
pub fn measures_relation(
    project: &ProjectReading,
    convention: &RepoConvention,
    warnings: &mut Vec<String>,
) -> Option<ObservedRelation> {
    let from = project_key(&project.key);
    let relation = |to: String, by: &str, via: &str| {
        let mut attrs = Map::new();
        attrs.insert("by".into(), json!(by));
        attrs.insert("via".into(), json!(via));
        ObservedRelation { from: from.clone(), to, kind: "measures".into(), attrs }
    };
    let Some((repo, repository)) = project.binding.as_ref().and_then(bound_repository) else {
        return match repository_by_convention(&project.key, convention) {
            Ok(repo) => Some(relation(repo, "project_key", "project_key")),
            Err(unmatched) => {
                warnings.push(unmatched);
                None
            }
        };
    };
    if !project.binding.as_ref().is_some_and(|b| b.monorepo) {
        return Some(relation(repo, "alm_binding", "binding"));
    }
    let service = service_of_project(&project.key, &project.name, &repository, convention.key_prefix.as_deref());
    let mut measures = match service {
        Some((service, via)) => relation(crate::keys::service(&service), "alm_binding", via.as_str()),
        None => {
            warnings.push(format!(
                "{from}: bound to the monorepo {repository}, but neither its key nor its name ('{}') names a service: it measures the whole repository",
                project.name.escape_debug()
            ));
            relation(repo.clone(), "alm_binding", "monorepo-unmatched")
        }
    };
    measures.attrs.insert("repository".into(), json!(repo));
    Some(measures)
}

/// A GitHub binding names `owner/repo` on github.com or on the host of a
/// GitHub Enterprise URL: the repository's key, and `owner/repo`. Other
/// platforms' bindings name repositories by ids SPoT does not key on; the
/// convention applies to them.
fn bound_repository(binding: &AlmBinding) -> Option<(String, String)> {
    if binding.alm != "github" {
        return None;
    }
    let repository = binding.repository.as_deref()?.trim_matches('/');
    if repository.split('/').count() != 2 || repository.contains(char::is_whitespace) {
        return None;
    }
    let host = binding
        .url
        .as_deref()
        .and_then(|url| url.split("://").nth(1))
        .and_then(|rest| rest.split(['/', ':']).next())
        .filter(|host| !host.is_empty() && *host != "api.github.com")
        .unwrap_or("github.com");
    Some((crate::keys::key(crate::keys::REPO, &format!("{host}/{repository}")), repository.to_string()))
}

fn repository_by_convention(key: &str, convention: &RepoConvention) -> Result<String, String> {
    let owner = convention.owner.as_deref().ok_or_else(|| {
        format!("sonar_project:{key}: no ALM binding, and no repo_owner is configured to map project keys")
    })?;
    let rest = match &convention.key_prefix {
        Some(prefix) => key.strip_prefix(prefix.as_str()).ok_or_else(|| {
            format!("sonar_project:{key}: no ALM binding, and the key does not start with key_prefix '{prefix}'")
        })?,
        None => key,
    };
    let repo = rest.rsplit(':').next().unwrap_or(rest);
    let valid = !repo.is_empty() && repo.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
    if !valid {
        return Err(format!("sonar_project:{key}: no ALM binding, and '{repo}' is not a repository name"));
    }
    Ok(crate::keys::repo(&convention.host, owner, repo))
}

/// A measure as JSON of its metric's type: numbers stay numbers, ratings
/// become their letters (1.0 is A, 5.0 is E).
pub fn measure_value(kind: Option<&str>, raw: &str) -> Value {
    match kind {
        Some("INT" | "MILLISEC" | "WORK_DUR") => raw.parse::<i64>().map(Value::from).unwrap_or_else(|_| json!(raw)),
        Some("FLOAT" | "PERCENT") => raw.parse::<f64>().map(Value::from).unwrap_or_else(|_| json!(raw)),
        Some("RATING") => match raw.parse::<f64>() {
            Ok(n) if (1.0..=5.0).contains(&n) => json!(["A", "B", "C", "D", "E"][n.round() as usize - 1]),
            _ => json!(raw),
        },
        Some("BOOL") => raw.parse::<bool>().map(Value::from).unwrap_or_else(|_| json!(raw)),
        // Unknown type: numbers as numbers, anything else as given.
        _ => raw
            .parse::<i64>()
            .map(Value::from)
            .or_else(|_| raw.parse::<f64>().map(Value::from))
            .unwrap_or_else(|_| json!(raw)),
    }
}

/// SonarQube writes `2017-03-01T11:39:03+0300`; SPoT keeps RFC 3339 in
/// UTC so the same instant always reads the same.
pub fn normalise_timestamp(raw: &str) -> String {
    chrono::DateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S%z")
        .or_else(|_| chrono::DateTime::parse_from_rfc3339(raw))
        .map(|t| t.with_timezone(&chrono::Utc).format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_else(|_| raw.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratings_read_as_letters_and_numbers_as_numbers() {
        assert_eq!(measure_value(Some("RATING"), "1.0"), json!("A"));
        assert_eq!(measure_value(Some("RATING"), "5.0"), json!("E"));
        assert_eq!(measure_value(Some("INT"), "114"), json!(114));
        assert_eq!(measure_value(Some("PERCENT"), "82.5"), json!(82.5));
        assert_eq!(measure_value(None, "3"), json!(3));
        assert_eq!(measure_value(Some("LEVEL"), "OK"), json!("OK"));
    }

    #[test]
    fn timestamps_are_kept_in_utc() {
        assert_eq!(normalise_timestamp("2017-03-01T11:39:03+0300"), "2017-03-01T08:39:03Z");
        assert_eq!(normalise_timestamp("not a date"), "not a date");
    }

    /// The relation, or the warnings saying why there is none.
    fn measured(project: &ProjectReading, convention: &RepoConvention) -> Result<ObservedRelation, String> {
        let mut warnings = Vec::new();
        measures_relation(project, convention, &mut warnings).ok_or_else(|| warnings.join("\n"))
    }

    fn github(repository: &str) -> Option<AlmBinding> {
        Some(AlmBinding { alm: "github".into(), repository: Some(repository.into()), ..Default::default() })
    }

    #[test]
    fn a_github_binding_beats_the_key_convention() {
        let convention = RepoConvention { host: "github.com".into(), owner: Some("acme".into()), key_prefix: None };
        let mut project = ProjectReading { key: "acme_billing".into(), ..Default::default() };
        project.binding = github("acme/payments");
        let relation = measured(&project, &convention).unwrap();
        assert_eq!(relation.to, "repo:github.com/acme/payments");
        assert_eq!(Value::Object(relation.attrs), json!({ "by": "alm_binding", "via": "binding" }));
        project.binding = Some(AlmBinding {
            alm: "github".into(),
            repository: Some("team/tool".into()),
            url: Some("https://github.acme.internal/api/v3".into()),
            monorepo: false,
        });
        assert_eq!(measured(&project, &convention).unwrap().to, "repo:github.acme.internal/team/tool");
    }

    #[test]
    fn keys_follow_the_prefix_or_maven_convention() {
        let convention =
            RepoConvention { host: "github.com".into(), owner: Some("acme".into()), key_prefix: Some("acme_".into()) };
        let project = |key: &str| ProjectReading { key: key.into(), ..Default::default() };
        let relation = measured(&project("acme_billing"), &convention).unwrap();
        assert_eq!(relation.to, "repo:github.com/acme/billing");
        assert_eq!(Value::Object(relation.attrs), json!({ "by": "project_key", "via": "project_key" }));
        let err = measured(&project("other_billing"), &convention).unwrap_err();
        assert!(err.contains("does not start with key_prefix 'acme_'"), "{err}");
        let maven = RepoConvention { key_prefix: None, ..convention };
        assert_eq!(measured(&project("com.acme:billing"), &maven).unwrap().to, "repo:github.com/acme/billing");
        let nobody = RepoConvention { owner: None, ..maven };
        assert!(measured(&project("billing"), &nobody).unwrap_err().contains("no repo_owner"));
    }

    #[test]
    fn a_monorepo_project_measures_the_service_its_key_or_name_names() {
        let convention =
            RepoConvention { host: "github.com".into(), owner: Some("acme".into()), key_prefix: Some("acme_".into()) };
        let monorepo = |key: &str, name: &str| ProjectReading {
            key: key.into(),
            name: name.into(),
            binding: Some(AlmBinding { monorepo: true, ..github("acme/shop").unwrap() }),
            ..Default::default()
        };
        let attrs = |r: ObservedRelation| (r.to, Value::Object(r.attrs));
        assert_eq!(
            attrs(measured(&monorepo("acme_shop_cartservice", "Shop: cart"), &convention).unwrap()),
            (
                "service:cartservice".to_string(),
                json!({ "by": "alm_binding", "via": "monorepo-key", "repository": "repo:github.com/acme/shop" })
            )
        );
        assert_eq!(
            attrs(measured(&monorepo("acme_shop", "Cart Service"), &convention).unwrap()),
            (
                "service:cart-service".to_string(),
                json!({ "by": "alm_binding", "via": "monorepo-name", "repository": "repo:github.com/acme/shop" })
            )
        );
        let mut warnings = Vec::new();
        let whole = measures_relation(&monorepo("acme_shop", "Shop"), &convention, &mut warnings).unwrap();
        assert_eq!(
            attrs(whole),
            (
                "repo:github.com/acme/shop".to_string(),
                json!({ "by": "alm_binding", "via": "monorepo-unmatched", "repository": "repo:github.com/acme/shop" })
            )
        );
        assert_eq!(
            warnings,
            ["sonar_project:acme_shop: bound to the monorepo acme/shop, but neither its key nor its name ('Shop') names a service: it measures the whole repository"]
        );
    }
}
