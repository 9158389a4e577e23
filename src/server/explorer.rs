//! The explorer: a web UI over the GraphQL API, served at `/` with every
//! file compiled into the binary (no CDN, no network at run time). The
//! files live in `explorer/` at the repository root; `docs/explorer.md`
//! describes the pages.

use axum::extract::Path;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

/// One file of the explorer: its path under `/explorer/`, its content type
/// and its bytes.
pub struct Asset {
    pub path: &'static str,
    pub content_type: &'static str,
    pub bytes: &'static [u8],
}

macro_rules! asset {
    ($path:literal, $content_type:literal) => {
        Asset {
            path: $path,
            content_type: $content_type,
            bytes: include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/explorer/", $path)),
        }
    };
}

/// Every file the explorer loads. `tests/explorer.rs` checks that each file
/// under `explorer/` (but the npm tooling) is listed here.
pub const ASSETS: &[Asset] = &[
    asset!("index.html", "text/html; charset=utf-8"),
    asset!("style.css", "text/css; charset=utf-8"),
    asset!("favicon.svg", "image/svg+xml"),
    asset!("app.js", "text/javascript; charset=utf-8"),
    asset!("api.js", "text/javascript; charset=utf-8"),
    asset!("router.js", "text/javascript; charset=utf-8"),
    asset!("dom.js", "text/javascript; charset=utf-8"),
    asset!("dates.js", "text/javascript; charset=utf-8"),
    asset!("charts.js", "text/javascript; charset=utf-8"),
    asset!("graph.js", "text/javascript; charset=utf-8"),
    asset!("table.js", "text/javascript; charset=utf-8"),
    asset!("actions.js", "text/javascript; charset=utf-8"),
    asset!("pages/home.js", "text/javascript; charset=utf-8"),
    asset!("pages/service.js", "text/javascript; charset=utf-8"),
    asset!("pages/entity.js", "text/javascript; charset=utf-8"),
    asset!("pages/catalog.js", "text/javascript; charset=utf-8"),
    asset!("pages/team.js", "text/javascript; charset=utf-8"),
    asset!("pages/package.js", "text/javascript; charset=utf-8"),
    asset!("pages/graph.js", "text/javascript; charset=utf-8"),
    asset!("pages/reports.js", "text/javascript; charset=utf-8"),
    asset!("pages/changes.js", "text/javascript; charset=utf-8"),
    asset!("pages/nearby.js", "text/javascript; charset=utf-8"),
    asset!("pages/hygiene.js", "text/javascript; charset=utf-8"),
    asset!("pages/delivery.js", "text/javascript; charset=utf-8"),
    asset!("pages/scorecards.js", "text/javascript; charset=utf-8"),
    asset!("pages/cluster.js", "text/javascript; charset=utf-8"),
    asset!("vendor/cytoscape.esm.min.mjs", "text/javascript; charset=utf-8"),
    asset!("vendor/uPlot.iife.min.js", "text/javascript; charset=utf-8"),
    asset!("vendor/uPlot.min.css", "text/css; charset=utf-8"),
    asset!("vendor/cytoscape.LICENSE.txt", "text/plain; charset=utf-8"),
    asset!("vendor/uPlot.LICENSE.txt", "text/plain; charset=utf-8"),
    // GraphiQL (`GET /graphql`) and the libraries it needs.
    asset!("graphiql.html", "text/html; charset=utf-8"),
    asset!("graphiql.js", "text/javascript; charset=utf-8"),
    asset!("graphiql.css", "text/css; charset=utf-8"),
    asset!("vendor/graphiql.min.js", "text/javascript; charset=utf-8"),
    asset!("vendor/graphiql.min.css", "text/css; charset=utf-8"),
    asset!("vendor/graphiql.LICENSE.txt", "text/plain; charset=utf-8"),
    asset!("vendor/react.production.min.js", "text/javascript; charset=utf-8"),
    asset!("vendor/react-dom.production.min.js", "text/javascript; charset=utf-8"),
    asset!("vendor/react.LICENSE.txt", "text/plain; charset=utf-8"),
];

/// `/` (the explorer's page) and `/explorer/*` (its scripts, styles and
/// libraries). Assets need no token: they hold no data; every datum comes
/// through `/graphql`, which checks the caller.
pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new().route("/", get(index)).route("/explorer/{*path}", get(asset))
}

async fn index(headers: HeaderMap) -> Response {
    respond(find("index.html").expect("index.html is in ASSETS"), &headers)
}

/// GraphiQL's page (`GET /graphql`).
pub async fn graphiql(headers: HeaderMap) -> Response {
    respond(find("graphiql.html").expect("graphiql.html is in ASSETS"), &headers)
}

async fn asset(Path(path): Path<String>, headers: HeaderMap) -> Response {
    match find(&path) {
        Some(asset) => respond(asset, &headers),
        None => (StatusCode::NOT_FOUND, format!("no explorer file {}\n", collectors::untrusted::quote(&path)))
            .into_response(),
    }
}

/// The names of the GraphQL operations the explorer's scripts send
/// (`query Service(...)`): the operations `/metrics` counts by name.
pub fn operations() -> Vec<String> {
    let mut names = Vec::new();
    for asset in ASSETS.iter().filter(|a| a.path.ends_with(".js") && !a.path.starts_with("vendor/")) {
        let text = String::from_utf8_lossy(asset.bytes);
        for keyword in ["query ", "mutation "] {
            for (at, _) in text.match_indices(keyword) {
                let name: String =
                    text[at + keyword.len()..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
                if name.starts_with(|c: char| c.is_ascii_uppercase()) {
                    names.push(name);
                }
            }
        }
    }
    names.sort();
    names.dedup();
    names
}

pub fn find(path: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|asset| asset.path == path)
}

/// The bytes with an ETag of their hash: browsers revalidate (`no-cache`)
/// and get a 304 while the binary is the same, so a new build is never
/// shadowed by a cached old file.
fn respond(asset: &'static Asset, headers: &HeaderMap) -> Response {
    let etag = format!("\"{:016x}\"", xxhash_rust::xxh3::xxh3_64(asset.bytes));
    let cached = headers.get(header::IF_NONE_MATCH).is_some_and(|seen| seen.as_bytes() == etag.as_bytes());
    let etag = HeaderValue::from_str(&etag).expect("hex is a valid header value");
    let common = [(header::ETAG, etag), (header::CACHE_CONTROL, HeaderValue::from_static("no-cache"))];
    if cached {
        return (StatusCode::NOT_MODIFIED, common).into_response();
    }
    let content_type = (header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
    (common, [content_type], asset.bytes).into_response()
}
