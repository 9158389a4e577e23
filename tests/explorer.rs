//! The explorer (the web UI at `/`): its files are compiled in and served.
//! The browser tests below drive it end to end in headless Chromium.

use std::path::Path;
use std::sync::Arc;

use spot::config::Config;
use spot::server::explorer::ASSETS;
use spot::server::Server;
use spot::SqliteStore;

/// npm tooling that pins and copies the vendored libraries; not served.
const TOOLING: &[&str] = &["package.json", "package-lock.json", "vendor.mjs"];

fn files_under(dir: &Path, root: &Path, found: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let relative = path.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/");
        if path.is_dir() {
            if relative != "node_modules" {
                files_under(&path, root, found);
            }
        } else if !TOOLING.contains(&relative.as_str()) {
            found.push(relative);
        }
    }
}

#[test]
fn every_file_of_the_explorer_is_compiled_in() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("explorer");
    let mut files = Vec::new();
    files_under(&root, &root, &mut files);
    files.sort();
    let mut listed: Vec<String> = ASSETS.iter().map(|a| a.path.to_string()).collect();
    listed.sort();
    assert_eq!(files, listed, "explorer/ and ASSETS in src/server/explorer.rs must list the same files");
}

async fn serve() -> (String, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("spot.db")).unwrap();
    let server = Server::new(&Config::default(), Arc::new(store)).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, server.router()).await });
    (url, dir)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_and_its_files_are_served_with_their_types() {
    let (url, _dir) = serve().await;
    let client = reqwest::Client::new();
    let page = client.get(format!("{url}/")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["content-type"], "text/html; charset=utf-8");
    let html = page.text().await.unwrap();
    assert!(html.contains(r#"<script type="module" src="/explorer/app.js">"#), "{html}");
    assert!(!html.contains("http://") && !html.contains("https://"), "no CDN, nothing from the network");
    for (path, content_type) in [
        ("app.js", "text/javascript; charset=utf-8"),
        ("style.css", "text/css; charset=utf-8"),
        ("vendor/cytoscape.esm.min.mjs", "text/javascript; charset=utf-8"),
        ("vendor/uPlot.iife.min.js", "text/javascript; charset=utf-8"),
    ] {
        let response = client.get(format!("{url}/explorer/{path}")).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(response.headers()["content-type"], content_type, "{path}");
        let on_disk = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("explorer").join(path)).unwrap();
        assert_eq!(response.bytes().await.unwrap().as_ref(), on_disk.as_slice(), "{path}");
    }
    let missing = client.get(format!("{url}/explorer/nope.js")).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    assert!(missing.text().await.unwrap().contains("no explorer file 'nope.js'"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unchanged_file_is_revalidated_not_resent() {
    let (url, _dir) = serve().await;
    let client = reqwest::Client::new();
    let first = client.get(format!("{url}/explorer/app.js")).send().await.unwrap();
    assert_eq!(first.headers()["cache-control"], "no-cache");
    let etag = first.headers()["etag"].to_str().unwrap().to_string();
    let again = client.get(format!("{url}/explorer/app.js")).header("if-none-match", &etag).send().await.unwrap();
    assert_eq!(again.status(), 304);
    let other = client.get(format!("{url}/explorer/app.js")).header("if-none-match", "\"old\"").send().await.unwrap();
    assert_eq!(other.status(), 200);
}
