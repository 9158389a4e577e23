//! The parts of SonarQube's Web API the collector reads, each response
//! typed with just the fields it needs (unknown fields are ignored; a
//! missing or mistyped needed field is an error naming its path).

use serde::Deserialize;

use crate::http::{HttpClient, HttpError};

#[derive(Debug, Deserialize)]
pub struct Paging {
    #[serde(rename = "pageIndex")]
    pub page_index: u32,
    pub total: u64,
}

/// `api/projects/search`: needs Administer on the projects (or the
/// organisation on SonarCloud); the only listing with the revision.
#[derive(Debug, Deserialize)]
pub struct ProjectsPage {
    pub paging: Paging,
    pub components: Vec<ProjectSummary>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ProjectSummary {
    pub key: String,
    pub name: String,
    #[serde(default)]
    pub visibility: Option<String>,
    #[serde(rename = "lastAnalysisDate", default)]
    pub last_analysis_date: Option<String>,
    #[serde(default)]
    pub revision: Option<String>,
}

/// `api/components/search_projects`: needs only Browse; gives the tags.
#[derive(Debug, Deserialize)]
pub struct SearchProjectsPage {
    pub paging: Paging,
    pub components: Vec<SearchedProject>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SearchedProject {
    pub key: String,
    pub name: String,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub visibility: Option<String>,
    #[serde(rename = "analysisDate", default)]
    pub analysis_date: Option<String>,
}

/// `api/measures/component` with `additionalFields=metrics`.
#[derive(Debug, Deserialize)]
pub struct ComponentMeasures {
    pub component: MeasuredComponent,
    #[serde(default)]
    pub metrics: Vec<MetricDefinition>,
}

#[derive(Debug, Deserialize)]
pub struct MeasuredComponent {
    pub key: String,
    #[serde(default)]
    pub measures: Vec<Measure>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Measure {
    pub metric: String,
    /// Absent for measures that only have a new-code period value.
    #[serde(default)]
    pub value: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct MetricDefinition {
    pub key: String,
    #[serde(rename = "type")]
    pub kind: String,
}

/// `api/qualitygates/project_status`.
#[derive(Debug, Deserialize)]
pub struct GateStatus {
    #[serde(rename = "projectStatus")]
    pub project_status: ProjectStatus,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ProjectStatus {
    pub status: String,
    #[serde(default)]
    pub conditions: Vec<GateCondition>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct GateCondition {
    pub status: String,
    #[serde(rename = "metricKey")]
    pub metric_key: String,
    #[serde(default)]
    pub comparator: Option<String>,
    #[serde(rename = "errorThreshold", default)]
    pub error_threshold: Option<String>,
    #[serde(rename = "actualValue", default)]
    pub actual_value: Option<String>,
}

/// `api/alm_settings/get_binding`: the DevOps platform repository a
/// project is bound to.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AlmBinding {
    pub alm: String,
    #[serde(default)]
    pub repository: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
    /// The project analyses one part (a service) of the repository.
    #[serde(default)]
    pub monorepo: bool,
}

/// Reads every page of a `p`/`ps` paginated listing. SonarQube answers
/// past the last page with an empty list, and refuses to page beyond
/// 10,000 results; both end the loop.
pub async fn all_pages<P, T>(
    client: &HttpClient,
    path: &str,
    query: &[(&str, String)],
    page_size: u32,
    items: impl Fn(P) -> (Paging, Vec<T>),
) -> Result<Vec<T>, HttpError>
where
    P: serde::de::DeserializeOwned,
{
    let mut all = Vec::new();
    for page in 1.. {
        let mut paged: Vec<(&str, String)> = query.to_vec();
        paged.push(("p", page.to_string()));
        paged.push(("ps", page_size.to_string()));
        let (paging, batch) = items(client.get_json::<P>(path, &paged).await?);
        let received = batch.len();
        all.extend(batch);
        let done = received == 0
            || all.len() as u64 >= paging.total
            || u64::from(paging.page_index) * u64::from(page_size) >= paging.total.min(10_000);
        if done {
            break;
        }
    }
    Ok(all)
}
