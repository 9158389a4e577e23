//! The part of Confluence's REST API (v1, the same on Cloud and on Server /
//! Data Center) the collector reads: `rest/api/content/search`, with the
//! page's space, version, labels and (optionally) one content property
//! expanded. Each type holds only the fields SPoT needs; unknown fields are
//! ignored, a missing or mistyped needed field is an error naming its path.

use std::collections::BTreeMap;

use reqwest::Url;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use crate::http::{HttpClient, HttpError};

/// The CQL content search, relative to the base URL.
pub const SEARCH: &str = "rest/api/content/search";

/// One page of search results. The results stay raw JSON here: each page
/// object is decoded on its own, so one malformed page does not hide the
/// others.
#[derive(Debug, Deserialize)]
pub struct SearchPage {
    pub results: Vec<Value>,
    #[serde(rename = "_links", default)]
    pub links: SearchLinks,
}

#[derive(Debug, Default, Deserialize)]
pub struct SearchLinks {
    /// The next page of results, relative to the context path
    /// (`/rest/api/content/search?cql=…&cursor=…`); absent on the last.
    #[serde(default)]
    pub next: Option<String>,
}

/// A content object with `expand=space,version,metadata.labels`.
#[derive(Debug, Clone, Deserialize)]
pub struct Page {
    #[serde(deserialize_with = "string_or_number")]
    pub id: String,
    pub title: String,
    pub space: Space,
    pub version: Version,
    #[serde(default)]
    pub metadata: Metadata,
    #[serde(rename = "_links", default)]
    pub links: PageLinks,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Space {
    pub key: String,
    #[serde(default)]
    pub name: Option<String>,
    /// `global` or `personal`.
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Version {
    pub number: u64,
    /// When this version was saved: `2024-01-01T09:00:00.000Z` on Cloud,
    /// `2019-03-27T10:31:21.356+01:00` on Server.
    #[serde(default)]
    pub when: Option<String>,
    #[serde(default)]
    pub by: Option<User>,
}

/// Cloud users have `displayName` and `publicName`; Server users have
/// `displayName` and `username`. Anonymous edits may have none.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct User {
    #[serde(rename = "displayName", default)]
    pub display_name: Option<String>,
    #[serde(rename = "publicName", default)]
    pub public_name: Option<String>,
    #[serde(default)]
    pub username: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Metadata {
    #[serde(default)]
    pub labels: Option<Labels>,
    /// With `expand=metadata.properties.<key>`: `{ "<key>": { "key": …,
    /// "value": … }, "_links": …, "_expandable": … }`. Kept as JSON: only
    /// the configured key is read, and its value may be any JSON.
    #[serde(default)]
    pub properties: BTreeMap<String, Value>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Labels {
    pub results: Vec<Label>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Label {
    pub name: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct PageLinks {
    /// The page's path in the web UI, relative to the base URL.
    #[serde(default)]
    pub webui: Option<String>,
}

/// Content ids are strings in REST v1; a number is accepted too.
fn string_or_number<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Id {
        Text(String),
        Number(u64),
    }
    match Id::deserialize(deserializer) {
        Ok(Id::Text(id)) => Ok(id),
        Ok(Id::Number(id)) => Ok(id.to_string()),
        Err(_) => Err(serde::de::Error::custom("expected the content id as a string or a number")),
    }
}

/// One result that could not be read as a page: the error, and the page's
/// id when that much was readable.
#[derive(Debug, Clone)]
pub struct Unreadable {
    pub id: Option<String>,
    pub error: HttpError,
}

/// Decodes the `index`-th result of a search answer; a mismatch names the
/// field as `results[index].<path>`.
pub fn decode_page(index: usize, raw: Value) -> Result<Page, Unreadable> {
    let id = readable_id(&raw);
    serde_path_to_error::deserialize::<_, Page>(raw).map_err(|e| {
        let inner_path = e.path().to_string();
        let path =
            if inner_path == "." { format!("results[{index}]") } else { format!("results[{index}].{inner_path}") };
        let error = HttpError::Shape {
            service: "Confluence".into(),
            endpoint: SEARCH.into(),
            path,
            problem: e.into_inner().to_string(),
        };
        Unreadable { id, error }
    })
}

/// The id of a result, if it has one that can name an entity key.
fn readable_id(raw: &Value) -> Option<String> {
    let id = match raw.get("id")? {
        Value::String(id) => id.clone(),
        Value::Number(id) => id.to_string(),
        _ => return None,
    };
    is_page_id(&id).then_some(id)
}

/// Confluence content ids are digits; anything else cannot be trusted as
/// part of an entity key.
pub fn is_page_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 40 && id.bytes().all(|b| b.is_ascii_digit())
}

/// The URL of a `next` link. Confluence writes it relative to the context
/// path (`/rest/api/…`, with the base URL's `/wiki` left out); some
/// versions include the context path, or give an absolute URL. The
/// expansions are added back when the link dropped them, or the next page
/// would come without the fields SPoT needs.
pub fn next_url(client: &HttpClient, next: &str, expand: &str) -> Result<Url, HttpError> {
    let base = client.base();
    let mut url = if let Ok(absolute) = Url::parse(next) {
        absolute
    } else if base.path() != "/" && next.starts_with(base.path()) {
        // `/wiki/rest/api/…`: already under the context path.
        base.join(next).map_err(|e| bad_next(next, e.to_string()))?
    } else {
        client.url(next)?
    };
    if !url.query_pairs().any(|(key, _)| key == "expand") {
        url.query_pairs_mut().append_pair("expand", expand);
    }
    Ok(url)
}

fn bad_next(next: &str, problem: String) -> HttpError {
    HttpError::Shape {
        service: "Confluence".into(),
        endpoint: SEARCH.into(),
        path: "_links.next".into(),
        problem: format!("'{next}' is not a usable link: {problem}"),
    }
}

/// The error for a `next` link that leads back to a page already read,
/// which would otherwise loop forever.
pub fn looping_next(url: &Url) -> HttpError {
    let mut shown = url.path().to_string();
    if let Some(query) = url.query() {
        shown.push('?');
        shown.push_str(query);
    }
    HttpError::Shape {
        service: "Confluence".into(),
        endpoint: SEARCH.into(),
        path: "_links.next".into(),
        problem: format!("links back to a page of results already read ({shown}); the search was stopped"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::Auth;
    use serde_json::json;

    fn client(base: &str) -> HttpClient {
        HttpClient::new("Confluence", base, Auth::None, "", &Default::default()).unwrap()
    }

    #[test]
    fn next_links_resolve_under_the_context_path() {
        let cloud = client("https://acme.atlassian.net/wiki");
        let url = next_url(&cloud, "/rest/api/content/search?cql=x&cursor=abc&expand=version", "space").unwrap();
        assert_eq!(
            url.as_str(),
            "https://acme.atlassian.net/wiki/rest/api/content/search?cql=x&cursor=abc&expand=version"
        );
        let url = next_url(&cloud, "/wiki/rest/api/content/search?cursor=abc", "space,version").unwrap();
        assert_eq!(
            url.as_str(),
            "https://acme.atlassian.net/wiki/rest/api/content/search?cursor=abc&expand=space%2Cversion"
        );
        let server = client("https://confluence.acme.internal");
        let url = next_url(&server, "/rest/api/content/search?start=100&expand=space", "space").unwrap();
        assert_eq!(url.as_str(), "https://confluence.acme.internal/rest/api/content/search?start=100&expand=space");
        let url = next_url(&server, "https://confluence.acme.internal/rest/api/content/search?start=5", "v").unwrap();
        assert_eq!(url.as_str(), "https://confluence.acme.internal/rest/api/content/search?start=5&expand=v");
    }

    #[test]
    fn a_malformed_page_names_its_field_and_keeps_its_id() {
        let raw = json!({ "id": "42", "title": "x", "space": { "key": "ENG" }, "version": { "number": "one" } });
        let err = decode_page(3, raw).unwrap_err();
        assert_eq!(err.id.as_deref(), Some("42"));
        assert_eq!(
            err.error.to_string(),
            "Confluence: rest/api/content/search answered an unexpected shape at `results[3].version.number`: invalid type: string \"one\", expected u64"
        );
        let err = decode_page(0, json!({ "id": "../x", "title": "x" })).unwrap_err();
        assert_eq!(err.id, None, "an id that cannot be part of a key is not used");
        let err = decode_page(0, json!("not an object")).unwrap_err();
        assert!(err.error.to_string().contains("at `results[0]`"), "{}", err.error);
    }

    #[test]
    fn a_numeric_id_is_read_as_text() {
        let page =
            decode_page(0, json!({ "id": 7, "title": "t", "space": { "key": "K" }, "version": { "number": 2 } }))
                .unwrap();
        assert_eq!(page.id, "7");
        assert_eq!(page.version.number, 2);
        assert!(page.metadata.labels.is_none());
    }
}
