//! The explorer (the web UI at `/`): its files are compiled in and served.
//! The browser tests below drive it end to end in headless Chromium.

#[allow(dead_code)]
#[path = "support/git.rs"]
mod git;
#[allow(dead_code)]
#[path = "support/shapes.rs"]
mod shapes;

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
    tokio::spawn(async move { server.serve_on(listener, std::future::pending()).await });
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
        let served = response.bytes().await.unwrap();
        assert!(served.as_ref() == on_disk.as_slice(), "explorer/{path} is served as it is on disk");
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

// ---------------------------------------------------------------------------
// End to end in a real headless Chromium, against `spot serve` on the demo
// organisation (the generator `spot demo` uses, 40 days of it). Set
// SPOT_EXPLORER_URL to drive an already running server instead (e.g. a
// release `spot demo`, for the figures in docs/benchmarks.md).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use headless_chrome::protocol::cdp::Browser::{SetDownloadBehavior, SetDownloadBehaviorBehaviorOption};
use headless_chrome::protocol::cdp::Page::CaptureScreenshotFormatOption;
use headless_chrome::{Browser, LaunchOptions, Tab};
use serde_json::Value;

/// A Chromium to drive: $SPOT_CHROMIUM, $CHROME, or one on the PATH.
fn chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("SPOT_CHROMIUM") {
        return Some(PathBuf::from(path)).filter(|p| p.exists());
    }
    headless_chrome::browser::default_executable().ok()
}

/// [`chromium`] for a browser test: `None` says the test was skipped, which
/// CI (`CI=true`) never allows.
fn chromium_or_skip() -> Option<PathBuf> {
    let found = chromium();
    if found.is_none() {
        // CI installs Chromium (.ci/run): there, a missing browser is a
        // broken machine, not a reason to pass without testing.
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true but no Chromium was found: the explorer's browser tests cannot run (install chromium, or set SPOT_CHROMIUM)"
        );
        println!(
            "explorer browser test skipped: no Chromium found (install the chromium package, or set SPOT_CHROMIUM)"
        );
    }
    found
}

/// The server under test: `spot serve`'s router over loopback TCP, on a
/// freshly generated demo organisation (in-process, like tests/api.rs: a
/// shared target dir's `spot` binary may be another checkout's build).
struct DemoServer {
    url: String,
    /// The last generated day, when the test generated the demo.
    latest: Option<&'static str>,
    _runtime: Option<tokio::runtime::Runtime>,
    _dir: Option<tempfile::TempDir>,
}

fn demo_server() -> DemoServer {
    if let Ok(url) = std::env::var("SPOT_EXPLORER_URL") {
        return DemoServer { url: url.trim_end_matches('/').to_string(), latest: None, _runtime: None, _dir: None };
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("demo.db")).unwrap();
    let started = Instant::now();
    let start: spot::Day = "2025-03-01".parse().unwrap();
    let config = collectors::synthetic::SyntheticConfig::new(1, 42, start);
    let summary = runtime.block_on(spot::generate::generate(&store, config, 40, |_| {})).expect("the demo generates");
    println!("explorer: generated {} demo days in {:.1} s", summary.days, started.elapsed().as_secs_f64());
    runtime.block_on(record_actions(&store, "2025-04-09".parse().unwrap()));
    runtime.block_on(record_deploys(&store, "2025-04-09".parse().unwrap()));
    let url = serve_on(&runtime, &demo_config(), Arc::new(store));
    DemoServer { url, latest: Some("2025-04-09"), _runtime: Some(runtime), _dir: Some(dir) }
}

/// What a Kubernetes watch would have recorded on `day` for every service:
/// a rollout at 09:15, a scale by the autoscaler at 14:02, and a crash loop
/// counted 12 times from 16:40.
async fn record_actions(store: &SqliteStore, day: spot::Day) {
    use spot::model::{Action, ActionBatch, ActionKind};
    use spot::Store;
    let services = store.entities_of_kind("service", day).await.unwrap();
    let date = day.date().unwrap();
    let at = |h: u32, m: u32| date.and_hms_opt(h, m, 0).unwrap().and_utc();
    let mut actions = Vec::new();
    for seen in services {
        let name = seen.entity.name.clone();
        // One of the workloads the service deploys, so its links resolve.
        let deploys = ["deploys".to_string()];
        let relations = store.relations(&seen.entity.key, day, spot::model::Direction::Out, &deploys).await.unwrap();
        let Some(workload) = relations.into_iter().map(|r| r.to).find(|w| w.starts_with("workload:dc1/")) else {
            continue;
        };
        let namespace = workload.split('/').nth(1).unwrap_or("default").to_string();
        let action = |kind: ActionKind, hour: u32, minute: u32, details: serde_json::Value| Action {
            key: format!("{name}/{kind}"),
            cluster: "dc1".into(),
            namespace: namespace.clone(),
            workload: workload.clone(),
            service: Some(seen.entity.key.clone()),
            kind,
            at: at(hour, minute),
            last_at: at(hour, minute + 5),
            count: if kind == ActionKind::CrashLoop { 12 } else { 1 },
            actor: Some(if kind == ActionKind::Scale { "kube-controller-manager" } else { "kubectl-rollout" }.into()),
            details: details.as_object().unwrap().clone(),
        };
        actions.push(action(
            ActionKind::RolloutStarted,
            9,
            15,
            serde_json::json!({ "version": "2.0.0", "previous_version": "1.9.0", "revision": 7 }),
        ));
        actions.push(action(ActionKind::Scale, 14, 2, serde_json::json!({ "from": 6, "to": 12, "by": "autoscaler" })));
        actions.push(action(
            ActionKind::CrashLoop,
            16,
            40,
            serde_json::json!({ "reason": "BackOff", "message": "Back-off restarting failed container" }),
        ));
    }
    store.record_actions(&ActionBatch { actions, ..ActionBatch::default() }).await.unwrap();
}

/// The reason of the failed deploy `record_deploys` records: the delivery
/// page lists it.
const FAILED_DEPLOY_REASON: &str = "ProgressDeadlineExceeded: rollout stalled";

/// What the orchestrator would have reported on `day` for one service in
/// dc1: a change that succeeded (its first commit the day before), one
/// whose rollout stalled, and the fix an hour later.
async fn record_deploys(store: &SqliteStore, day: spot::Day) {
    use spot::model::{DeployEvent, DeployStatus};
    use spot::Store;
    let services = store.entities_of_kind("service", day).await.unwrap();
    let service = services.first().expect("the demo has services").entity.key.clone();
    let at = |day: spot::Day, h: u32, m: u32| day.date().unwrap().and_hms_opt(h, m, 0).unwrap().and_utc();
    let deploy = |version: &str, start: (u32, u32), end: (u32, u32), status: DeployStatus| DeployEvent {
        service: service.clone(),
        cluster: "dc1".into(),
        version: version.into(),
        at: at(day, start.0, start.1),
        finished_at: Some(at(day, end.0, end.1)),
        status,
        ..Default::default()
    };
    let events = [
        DeployEvent {
            first_commit_at: Some(at(day.minus(1), 10, 0)),
            commit_count: Some(3),
            ..deploy("3.0.0", (8, 0), (8, 6), DeployStatus::Succeeded)
        },
        DeployEvent {
            reason: Some(FAILED_DEPLOY_REASON.into()),
            ..deploy("3.1.0", (10, 0), (10, 12), DeployStatus::Failed)
        },
        deploy("3.1.1", (11, 0), (11, 5), DeployStatus::Succeeded),
    ];
    store.record_deployments(&events).await.unwrap();
}

/// The demo served with a logs template (docs/links.md), so services and
/// deploys have links to show.
fn demo_config() -> Config {
    let mut config = Config::default();
    // The scorecard `spot demo` ships.
    config.scorecards.builtin = true;
    config.links.templates.insert(
        "logs".into(),
        spot::links::TemplateConfig {
            url: "https://logs.acme.example/search?app={service}&from={from_ms}&to={to_ms}".into(),
            kind: None,
            title: Some("Logs".into()),
        },
    );
    config
}

/// A server over an empty store, for the explorer's first-run state; with a
/// `read` token when `token` is given (held in a file, as operators do).
fn empty_server(token: Option<&str>) -> (String, (tokio::runtime::Runtime, tempfile::TempDir)) {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("empty.db")).unwrap();
    let mut config = Config::default();
    if let Some(token) = token {
        let file = dir.path().join("explorer-token");
        std::fs::write(&file, token).unwrap();
        config.auth.tokens = vec![spot::api::auth::TokenConfig {
            name: "explorer".into(),
            scopes: vec![spot::api::Scope::Read],
            token_env: None,
            token_file: Some(file),
        }];
    }
    let url = serve_on(&runtime, &config, Arc::new(store));
    (url, (runtime, dir))
}

/// `spot serve`'s router over `store` on a loopback port of `runtime`: its URL.
fn serve_on(runtime: &tokio::runtime::Runtime, config: &Config, store: Arc<SqliteStore>) -> String {
    let server = Server::new(config, store).unwrap();
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    runtime.spawn(async move { server.serve_on(listener, std::future::pending()).await });
    url
}

/// The browser tab with the steps a person takes, each waiting for what is on screen.
struct Explorer {
    tab: std::sync::Arc<Tab>,
    url: String,
    shots: PathBuf,
    timings: Vec<(String, f64)>,
}

impl Explorer {
    /// A headless Chromium on `url`, its screenshots in the shared folder;
    /// the browser lives as long as the first of the pair.
    fn launch(chrome: PathBuf, url: &str, (width, height): (u32, u32)) -> (Browser, Explorer) {
        let options = LaunchOptions::default_builder()
            .path(Some(chrome))
            .sandbox(false) // root in CI containers; the page is our own, on loopback
            .window_size(Some((width, height)))
            .idle_browser_timeout(Duration::from_secs(120))
            .build()
            .unwrap();
        let browser = Browser::new(options).expect("Chromium starts");
        let tab = browser.new_tab().unwrap();
        tab.set_default_timeout(Duration::from_secs(60));
        let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).parent().unwrap().join("explorer-screenshots");
        std::fs::create_dir_all(&shots).unwrap();
        (browser, Explorer { tab, url: url.to_string(), shots, timings: Vec::new() })
    }

    fn eval(&self, script: &str) -> Value {
        let result = self.tab.evaluate(script, true).unwrap_or_else(|e| panic!("{script}: {e}"));
        result.value.unwrap_or(Value::Null)
    }

    /// Runs an expression that returns JSON text, and parses it.
    fn json(&self, script: &str) -> Value {
        let text = self.eval(&format!("(async () => JSON.stringify(await ({script})))()"));
        serde_json::from_str(text.as_str().unwrap_or("null")).unwrap()
    }

    fn text(&self, selector: &str) -> String {
        let script = format!("document.querySelector({selector:?})?.innerText ?? ''");
        self.eval(&script).as_str().unwrap_or_default().to_string()
    }

    /// Waits for a condition on the page; fails naming it, with what the page shows.
    fn wait_for(&self, what: &str, condition: &str) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if self.eval(&format!("Boolean({condition})")) == Value::Bool(true) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("waited 60 s for {what} ({condition}); the page shows:\n{}", self.text("main"));
    }

    /// Waits until the page is rendered and no part of it is still loading;
    /// records how long the render took (the app's `spot:rendered` mark).
    fn wait_rendered(&mut self, page: &str) {
        self.wait_settled(page);
        assert!(self.text("main .error").is_empty(), "the {page} page shows an error: {}", self.text("main .error"));
        let ms = self.json("performance.getEntriesByName('spot:rendered').at(-1).detail.ms").as_f64().unwrap();
        self.timings.push((page.to_string(), ms));
    }

    /// Waits until the page is rendered and nothing is loading, errors or not.
    fn wait_settled(&self, page: &str) {
        self.wait_for(
            &format!("the {page} page"),
            "document.body.dataset.rendered && !document.querySelector('main .loading')",
        );
    }

    /// Opens a page that must show an error, and returns its text.
    fn open_failing(&self, hash: &str, page: &str) -> String {
        self.eval("delete document.body.dataset.rendered");
        self.eval(&format!("location.hash = {hash:?}"));
        self.wait_settled(page);
        self.text("main .error")
    }

    fn open(&mut self, hash: &str, page: &str) {
        self.eval("delete document.body.dataset.rendered");
        self.eval(&format!("location.hash = {hash:?}"));
        self.wait_rendered(page);
    }

    fn click(&self, selector: &str) {
        self.tab.wait_for_element(selector).unwrap_or_else(|e| panic!("no {selector}: {e}")).click().unwrap();
    }

    fn shot(&self, name: &str) {
        let png = self.tab.capture_screenshot(CaptureScreenshotFormatOption::Png, None, None, true).unwrap();
        std::fs::write(self.shots.join(format!("{name}.png")), png).unwrap();
    }
}

#[test]
fn the_explorer_end_to_end_in_chromium() {
    let Some(chrome) = chromium_or_skip() else { return };
    let server = demo_server();
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).parent().unwrap().join("explorer-screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let downloads = tempfile::tempdir().unwrap();
    let options = LaunchOptions::default_builder()
        .path(Some(chrome))
        .sandbox(false) // root in CI containers; the page is our own, on loopback
        .window_size(Some((1440, 1100)))
        .idle_browser_timeout(Duration::from_secs(120))
        .build()
        .unwrap();
    let browser = Browser::new(options).expect("Chromium starts");
    let tab = browser.new_tab().unwrap();
    tab.set_default_timeout(Duration::from_secs(60));
    tab.call_method(SetDownloadBehavior {
        behavior: SetDownloadBehaviorBehaviorOption::Allow,
        browser_context_id: None,
        download_path: Some(downloads.path().display().to_string()),
        events_enabled: None,
    })
    .unwrap();
    let mut ui = Explorer { tab, url: server.url.clone(), shots: shots.clone(), timings: Vec::new() };

    // Home: the organisation's figures and recent changes, on first load.
    ui.tab.navigate_to(&format!("{}/", ui.url)).unwrap_or_else(|e| panic!("cannot open {}: {e:#}", ui.url));
    ui.wait_rendered("home");
    let cold = ui.json("performance.getEntriesByName('spot:rendered').at(-1).startTime + performance.getEntriesByName('spot:rendered').at(-1).detail.ms");
    ui.timings.push(("home, cold load from navigation".into(), cold.as_f64().unwrap()));
    let latest = ui.eval("document.getElementById('day').value").as_str().unwrap().to_string();
    if let Some(generated) = server.latest {
        assert_eq!(latest, generated, "the date control shows the latest day");
    }
    let day = |back: i32| latest.parse::<spot::Day>().unwrap().minus(back).to_string();
    let figures = ui.text("#figures-section");
    assert!(figures.contains("Services") && figures.contains("Repositories"), "{figures}");
    assert!(ui.text("#changes-section").contains("changes between"), "{}", ui.text("#changes-section"));
    ui.shot("home");

    // Search as you type, then open the first service found.
    ui.click("#search");
    ui.tab.type_str("pay").unwrap();
    ui.wait_for("search results", "document.querySelector('#search-results a[href*=\"service%3A\"]')");
    let results = ui.text("#search-results");
    assert!(results.contains("service") && results.to_lowercase().contains("pay"), "{results}");
    ui.shot("search");
    // The keyboard walks the results: down from the box, down, up.
    ui.tab.press_key("ArrowDown").unwrap();
    let first = ui.eval("document.activeElement === document.querySelector('#search-results a')");
    assert_eq!(first, Value::Bool(true), "ArrowDown moves from the box to the first result");
    ui.tab.press_key("ArrowDown").unwrap();
    assert_eq!(
        ui.eval("document.activeElement === document.querySelectorAll('#search-results a')[1]"),
        Value::Bool(true)
    );
    ui.tab.press_key("ArrowUp").unwrap();
    assert_eq!(ui.eval("document.activeElement === document.querySelector('#search-results a')"), Value::Bool(true));
    let service_key = ui.json("decodeURIComponent(document.querySelector('#search-results a[href*=\"service%3A\"]').getAttribute('href').split('/')[2])");
    let service_key = service_key.as_str().unwrap().to_string();
    ui.eval("delete document.body.dataset.rendered");
    ui.click("#search-results a[href*=\"service%3A\"]");
    ui.wait_rendered("service");
    let name = service_key.trim_start_matches("service:");
    assert_eq!(ui.text("main h1"), name);
    for section in ["#about", "#deployed", "#delivery", "#deploys", "#quality", "#health", "#facts", "#dependencies"] {
        assert!(!ui.text(section).is_empty(), "the service page has {section}");
    }
    assert!(ui.text("#deployed").contains("dc1"), "deployed versions per cluster: {}", ui.text("#deployed"));
    assert!(ui.text("#about").contains("Owner"), "{}", ui.text("#about"));
    let delivery = ui.text("#delivery");
    for metric in ["Deployment frequency", "Lead time for changes", "Change failure rate", "Time to restore"] {
        assert!(delivery.contains(metric), "the service's delivery card has {metric}: {delivery}");
    }
    assert!(delivery.contains("How long its rollouts take"), "{delivery}");
    ui.wait_for(
        "the dependency graph on the service page",
        "document.querySelector('#dependencies .graph[data-nodes]')",
    );
    if server.latest.is_some() {
        // The demo's logs template: on the service page, and on each deploy
        // row with the minutes around the deploy.
        let links = ui.json("[...document.querySelectorAll('#links a')].map((a) => a.getAttribute('href'))");
        let prefix = format!("https://logs.acme.example/search?app={name}&from=");
        assert!(links.as_array().unwrap().iter().any(|l| l.as_str().unwrap().starts_with(&prefix)), "{links}");
        let deploy_link = ui.json("document.querySelector('#deploys .deploy-links a')?.getAttribute('href') ?? null");
        let deploy_link =
            deploy_link.as_str().unwrap_or_else(|| panic!("no deploy row has a link: {}", ui.text("#deploys")));
        let window: Vec<i64> = deploy_link.split(['=', '&']).filter_map(|part| part.parse().ok()).collect();
        assert!(deploy_link.starts_with(&prefix), "{deploy_link}");
        assert_eq!(window[1] - window[0], 30 * 60 * 1000, "15 minutes before to 15 after: {deploy_link}");
    }
    ui.shot("service");
    if server.latest.is_some() {
        // What happened between snapshots: the watch's actions on a timeline.
        ui.wait_for("the service's actions", "document.querySelector('#actions table')");
        let actions = ui.text("#actions");
        for expected in
            ["3 actions", "rollout started", "1.9.0 → 2.0.0", "6 → 12 replicas (autoscaler)", "crash loop", "×12"]
        {
            assert!(actions.contains(expected), "{expected}: {actions}");
        }
        assert!(ui.eval("!!document.querySelector('#actions .chart')").as_bool().unwrap(), "the timeline is drawn");
        let logs = ui.json("document.querySelector('#actions .action-links a').href");
        assert!(
            logs.as_str().unwrap().starts_with("https://logs.acme.example/search?app="),
            "each action links to its logs: {logs}"
        );
        ui.shot("service-actions");
    }

    // Time travel: the same service as it was three weeks earlier.
    let earlier = day(21);
    let deployed_now = ui.text("#deployed");
    ui.eval("delete document.body.dataset.rendered");
    ui.eval(&format!(
        "(() => {{ const input = document.getElementById('day'); input.value = '{earlier}'; input.dispatchEvent(new Event('change')); }})()"
    ));
    ui.wait_rendered("service, earlier day");
    assert!(ui.eval("location.hash").as_str().unwrap().contains(&format!("day={earlier}")));
    assert!(ui.text("main .subtitle").contains(&earlier), "{}", ui.text("main .subtitle"));
    assert_ne!(ui.text("#deployed"), deployed_now, "versions and their since-dates differ three weeks earlier");
    ui.shot("service-earlier");

    // The full graph: every service it reaches through depends_on, both ways.
    ui.eval("delete document.body.dataset.rendered");
    ui.click("main a[href^=\"#/graph/\"]");
    ui.wait_rendered("graph");
    ui.eval("(() => { const s = document.getElementById('graph-depth'); s.value = '10'; s.dispatchEvent(new Event('change')); })()");
    ui.wait_for(
        "the 10-hop graph",
        "document.querySelector('.graph[data-nodes]') && document.getElementById('graph-depth').value === '10'",
    );
    let nodes: usize = ui.eval("document.querySelector('.graph').dataset.nodes").as_str().unwrap().parse().unwrap();
    assert!(nodes > 100, "ten hops of depends_on reach most services: {nodes}");
    assert!(ui.text(".graph-summary").starts_with(&format!("{nodes} nodes")));
    assert!(ui.eval("location.hash").as_str().unwrap().contains("depth=10"), "the depth is kept in the URL");
    let drawn = ui.json("performance.getEntriesByName('spot:graph-drawn').at(-1).detail");
    let frames = ui.json(ZOOM_FRAMES);
    println!("explorer: graph of {nodes} nodes drawn in {} ms; zooming frames {frames}", drawn["ms"]);
    ui.timings.push((format!("graph of {nodes} nodes: data"), graph_data_ms(&ui)));
    ui.timings.push((format!("graph of {nodes} nodes: layout and draw"), drawn["ms"].as_f64().unwrap()));
    ui.timings
        .push((format!("graph of {nodes} nodes: median frame while zooming"), frames["median"].as_f64().unwrap()));
    ui.timings.push((format!("graph of {nodes} nodes: slowest frame while zooming"), frames["max"].as_f64().unwrap()));
    ui.shot("graph");
    // A relation-kind filter: with `owns`, the owning teams join the graph.
    ui.eval("delete document.querySelector('.graph').dataset.nodes");
    ui.click("input[name=kind][value=owns]");
    ui.wait_for("the graph with owners", "document.querySelector('.graph[data-nodes]')");
    assert!(ui.text(".legend").contains("team"), "teams are drawn: {}", ui.text(".legend"));
    assert!(
        ui.eval("location.hash").as_str().unwrap().contains("kinds=depends_on%2Cowns"),
        "the kinds are kept in the URL"
    );
    // Click-through: the list beside the graph opens each node's page.
    let neighbour = ui.json("document.querySelector('.graph-side ol:nth-of-type(2) a').textContent");
    ui.eval("delete document.body.dataset.rendered");
    ui.click(".graph-side ol:nth-of-type(2) a");
    ui.wait_rendered("a node of the graph");
    assert_eq!(ui.text("main h1"), neighbour.as_str().unwrap());

    // Reports: coverage by team, then deploys per day per datacenter, exported to CSV.
    ui.open("#/reports", "reports: coverage by team");
    assert!(ui.text("#report-title").starts_with("Coverage by team"), "{}", ui.text("#report-title"));
    assert!(ui.text(".report-body .data-table").contains("Coverage (%)"));
    ui.shot("report-coverage");
    for (report, page) in [("quality-gates", "failing quality gates"), ("outdated", "outdated dependencies")] {
        ui.open(&format!("#/reports?report={report}"), &format!("reports: {page}"));
        assert!(ui.text(".report-body").contains("rows"), "{page}: {}", ui.text(".report-body"));
    }
    ui.shot("report-outdated");
    ui.eval("delete document.body.dataset.rendered");
    ui.click(".tabs a[href*=\"report=deploys\"]");
    ui.wait_rendered("reports: deploys per day");
    let shown_rows: usize = ui.text(".table-actions span").split_whitespace().next().unwrap().parse().unwrap();
    assert!(shown_rows > 0, "{}", ui.text(".report-body"));
    ui.shot("report-deploys");
    ui.click(".export-csv");
    let csv = wait_for_download(downloads.path());
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("Day,Datacenter,Cluster,Deploys,Rollbacks"));
    assert_eq!(lines.count(), shown_rows, "the CSV has every row the table counts");

    // Changes between two days.
    let from = day(30);
    ui.open(&format!("#/changes?from={from}&to={latest}"), "changes between two days");
    let title = ui.text("#summary-title");
    assert!(title.contains(&format!("changes from {from} to {latest}")), "{title}");
    assert!(ui.text(".changes-list").contains("added") || ui.text(".changes-list").contains("changed"));
    ui.shot("changes");

    // A cluster: what happened in it in the last hours.
    if server.latest.is_some() {
        ui.open("#/cluster/dc1?hours=24", "cluster dc1");
        ui.wait_for("the cluster's actions", "document.querySelector('#actions table')");
        assert!(ui.text("#actions").contains("crash loop"), "{}", ui.text("#actions"));
        ui.shot("cluster");
    }

    // Hygiene: every category with its count, the trend charts, the findings
    // linked to their entities, and no console error on the way.
    ui.eval(CATCH_CONSOLE_ERRORS);
    ui.open("#/hygiene", "hygiene");
    let figures = ui.text("#hygiene-figures");
    for category in [
        "Identity conflicts",
        "Unclaimed workloads",
        "Unclaimed SonarQube projects",
        "Unclaimed Consul services",
        "Services with no owner",
        "Found only by a weak signal",
        "Unparsed files",
        "Invalid catalog entities",
        "Owners that resolve to nothing",
    ] {
        assert!(figures.contains(category), "the hygiene page counts {category}: {figures}");
    }
    let counts = ui.json(
        "[...document.querySelectorAll('#hygiene-figures .figure')].map((f) => [f.dataset.category, Number(f.querySelector('dd a').textContent.replace(/,/g, ''))])",
    );
    let counts: std::collections::BTreeMap<String, f64> = serde_json::from_value(Value::Object(
        counts.as_array().unwrap().iter().map(|p| (p[0].as_str().unwrap().to_string(), p[1].clone())).collect(),
    ))
    .unwrap();
    assert_eq!(counts.len(), 9, "{counts:?}");
    if server.latest.is_some() {
        // The demo's schedule (collectors/src/synthetic/hygiene.rs) on its 40th day.
        assert_eq!(counts["identityConflicts"], 1.0, "the second conflict, not yet pinned: {counts:?}");
        for category in [
            "unclaimedWorkloads",
            "unclaimedSonarProjects",
            "unclaimedConsulServices",
            "unownedServices",
            "weaklyFoundServices",
        ] {
            assert!(counts[category] > 0.0, "{category}: {counts:?}");
        }
        assert!(ui.text("#hygiene-identityConflicts").contains("Held by"), "{}", ui.text("#hygiene-identityConflicts"));
        assert!(ui.text("#hygiene-unclaimedWorkloads").contains("legacy-gateway"));
    }
    ui.wait_for("the hygiene trend charts", "document.querySelectorAll('#hygiene-trend .chart canvas').length >= 2");
    ui.shot("hygiene");
    ui.eval("delete document.body.dataset.rendered");
    ui.click("#hygiene-unownedServices a[href*=\"service%3A\"]");
    ui.wait_rendered("an unowned service from the hygiene page");
    assert!(ui.text("#about").contains("no team owns it"), "{}", ui.text("#about"));
    if server.latest.is_some() {
        // A service kept apart after a name conflict says so on its page.
        ui.open("#/hygiene", "hygiene again");
        ui.eval("delete document.body.dataset.rendered");
        ui.click("#hygiene-identityConflicts a[href*=\"service%3A\"]");
        ui.wait_rendered("a service kept apart, from the hygiene page");
        let notice = ui.text("[data-testid=identity-conflict]");
        assert!(notice.contains("Identity conflict") && notice.contains("older repository"), "{notice}");
        assert!(ui.text("#about").contains("Named by"), "{}", ui.text("#about"));
    }
    let errors = ui.json("window.__spotErrors");
    assert_eq!(errors, serde_json::json!([]), "console errors on the hygiene page");

    // Team and package pages, reached by links on screen.
    ui.open("#/", "home again");
    ui.click("#search");
    ui.tab.type_str("team:").unwrap();
    ui.wait_for("teams found", "document.querySelector('#search-results a[href*=\"team%3A\"]')");
    ui.eval("delete document.body.dataset.rendered");
    ui.click("#search-results a[href*=\"team%3A\"]");
    ui.wait_rendered("team");
    let figures = ui.text("#figures");
    for figure in ["Services", "Average coverage", "Failing quality gates", "Services with critical checks"] {
        assert!(figures.contains(figure), "the team's figures have {figure}: {figures}");
    }
    ui.shot("team");
    let scorecards_link = ui.json("document.querySelector('#team-scorecards')?.getAttribute('href') ?? null");
    assert!(
        scorecards_link.as_str().is_some_and(|l| l.starts_with("#/scorecards?") && l.contains("team=team%3A")),
        "the team page links to its scorecards: {scorecards_link}"
    );

    // Delivery: the team's, from its page; then the organisation's four
    // DORA metrics with their bands, their trends, the services that fail
    // most and the failed deploy record_deploys recorded, exported to CSV.
    ui.eval(CATCH_CONSOLE_ERRORS);
    ui.eval("window.__spotErrors.length = 0");
    ui.eval("delete document.body.dataset.rendered");
    ui.click("main a[href^=\"#/delivery\"]");
    ui.wait_rendered("delivery of a team");
    assert!(ui.eval("location.hash").as_str().unwrap().contains("team=team%3A"), "{}", ui.eval("location.hash"));
    assert!(ui.text("main h1").starts_with("Delivery of "), "{}", ui.text("main h1"));
    assert!(ui.text("#delivery-figures").contains("Change failure rate"), "{}", ui.text("#delivery-figures"));
    ui.open("#/delivery", "delivery of the organisation");
    assert_eq!(ui.text("main h1"), "Delivery");
    let figures = ui.text("#delivery-figures");
    for metric in ["Deployment frequency", "Lead time for changes", "Change failure rate", "Time to restore"] {
        assert!(figures.contains(metric), "the delivery page has {metric}: {figures}");
    }
    let bands = ui.json("[...document.querySelectorAll('#delivery-figures .badge')].map((b) => b.textContent)");
    assert!(
        bands.as_array().unwrap().iter().any(|b| ["elite", "high", "medium", "low"].contains(&b.as_str().unwrap())),
        "a band is shown: {bands} in {figures}"
    );
    if server.latest.is_some() {
        let worst = ui.json("document.querySelectorAll('#delivery-worst tbody tr').length").as_u64().unwrap();
        assert!(worst > 0, "the services that fail most: {}", ui.text("#delivery-worst"));
        let failed = ui.text("#delivery-failed");
        assert!(failed.contains(FAILED_DEPLOY_REASON), "the recorded failed deploy is listed: {failed}");
        assert!(failed.contains("3.1.0") && failed.contains("dc1"), "{failed}");
    }
    ui.wait_for("the delivery charts", "document.querySelectorAll('#delivery-trends .chart canvas').length >= 4");
    ui.shot("delivery");
    let buckets: usize =
        ui.text("#delivery-trends .table-actions span").split_whitespace().next().unwrap().parse().unwrap();
    assert!(buckets > 0, "{}", ui.text("#delivery-trends"));
    for earlier in std::fs::read_dir(downloads.path()).unwrap() {
        std::fs::remove_file(earlier.unwrap().path()).unwrap();
    }
    ui.click("#delivery-trends .export-csv");
    let csv = wait_for_download(downloads.path());
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some(
            "Start,End,Deploys,Deploys per day,Changes,Failed changes,Change failure rate,Rollbacks,\
             Median lead time (s),Lead time samples,Median time to restore (s),Restored,Unrestored,\
             Deployment frequency band,Lead time for changes band,Change failure rate band,Time to restore band"
        )
    );
    assert_eq!(lines.count(), buckets, "the CSV has a row per bucket");
    if server.latest.is_some() {
        // The failing service's page: its own delivery card.
        let failing = ui.json(&format!(
            "[...document.querySelectorAll('#delivery-failed tbody tr')].find((row) => row.innerText.includes({FAILED_DEPLOY_REASON:?}))?.querySelector('a').getAttribute('href') ?? null"
        ));
        let failing = failing
            .as_str()
            .unwrap_or_else(|| panic!("no link to the failing service: {}", ui.text("#delivery-failed")));
        ui.open(failing, "the failing service's page");
        let card = ui.text("#delivery");
        let failed_changes: u64 = card
            .split(" failed of ")
            .next()
            .and_then(|before| before.split_whitespace().last())
            .and_then(|count| count.parse().ok())
            .unwrap_or_else(|| panic!("the card counts failed changes: {card}"));
        assert!(failed_changes >= 1, "the recorded failed change counts: {card}");
        assert!(card.contains("How long its rollouts take"), "{card}");
        ui.shot("service-delivery");
    }
    assert_eq!(ui.json("window.__spotErrors"), serde_json::json!([]), "console errors on the delivery pages");

    // Scorecards: the demo's production-readiness, listed by the picker; its
    // levels by team, leaderboard (best first, exported to CSV), rules most
    // failed, trend charts and what changed; one team's; then the Scorecards
    // card of a service from the leaderboard, with its failing rules.
    ui.eval(CATCH_CONSOLE_ERRORS);
    ui.eval("window.__spotErrors.length = 0");
    ui.open("#/scorecards", "scorecards");
    let scorecards = ui.json("[...document.querySelectorAll('#scorecard-picker option')].map((o) => o.value)");
    assert!(
        scorecards.as_array().unwrap().iter().any(|name| name == "production-readiness"),
        "the picker lists the demo's scorecard: {scorecards}"
    );
    ui.open("#/scorecards/production-readiness", "the production-readiness scorecard");
    assert_eq!(ui.text("main h1"), "Scorecards: production-readiness");
    ui.wait_for("the leaderboard", "document.querySelector('#scorecard-leaderboard tbody tr')");
    ui.wait_for("the levels by team", "document.querySelector('#scorecard-teams tbody tr')");
    let headers = ui.json("[...document.querySelectorAll('#scorecard-teams th')].map((th) => th.textContent)");
    assert_eq!(headers, serde_json::json!(["Team", "Services", "none", "bronze", "silver", "gold"]));
    let ranked: u64 =
        ui.text("#scorecard-leaderboard .table-actions span").split_whitespace().next().unwrap().parse().unwrap();
    let by_team = ui.json(
        "[...document.querySelectorAll('#scorecard-teams tbody tr')].reduce((sum, row) => sum + Number(row.cells[1].textContent.replace(/,/g, '')), 0)",
    );
    assert_eq!(by_team.as_u64(), Some(ranked), "every ranked service is counted in one team's row");
    let order = ui.json(
        "[...document.querySelectorAll('#scorecard-leaderboard tbody [data-level]')].map((b) => ['none', 'bronze', 'silver', 'gold'].indexOf(b.dataset.level))",
    );
    let order: Vec<i64> = order.as_array().unwrap().iter().map(|i| i.as_i64().unwrap()).collect();
    assert_eq!(order.len() as u64, ranked, "a level per service");
    assert!(order.iter().all(|&i| i >= 0) && order.windows(2).all(|p| p[0] >= p[1]), "best first: {order:?}");
    let failing =
        ui.json("[...document.querySelectorAll('#scorecard-rules [data-rule]')].map((r) => Number(r.dataset.failing))");
    let failing: Vec<u64> = failing.as_array().unwrap().iter().map(|n| n.as_u64().unwrap()).collect();
    assert_eq!(failing.len(), 10, "every rule of production-readiness: {}", ui.text("#scorecard-rules"));
    assert!(failing[0] > 0, "a rule fails somewhere in the demo: {}", ui.text("#scorecard-rules"));
    assert!(failing.windows(2).all(|p| p[0] >= p[1]), "the most failed first: {failing:?}");
    let explained = ui.json("document.querySelector('#scorecard-rules tbody tr').cells[5].innerText");
    assert!(explained.as_str().is_some_and(|e| e.len() > 10 && e != "—"), "the rule's explanation: {explained}");
    ui.wait_for("the scorecard charts", "document.querySelectorAll('#scorecard-trends .chart canvas').length >= 2");
    let changed = ui.text("#scorecard-changes");
    assert!(changed.contains("rose"), "what changed: {changed}");
    let moved = ui.json(
        "[...document.querySelectorAll('#scorecard-changes tbody tr')].every((row) => row.querySelector('[data-direction]') && row.querySelector('li[data-rule]'))",
    );
    assert_eq!(moved, Value::Bool(true), "each service that rose or fell, with the rules that moved it: {changed}");
    ui.shot("scorecards");
    for earlier in std::fs::read_dir(downloads.path()).unwrap() {
        std::fs::remove_file(earlier.unwrap().path()).unwrap();
    }
    ui.click("#scorecard-leaderboard .export-csv");
    let csv = wait_for_download(downloads.path());
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("Rank,Service,Team,Level,Passed,Total,Next level"));
    assert_eq!(lines.count() as u64, ranked, "the CSV has a row per ranked service");
    // One team's: from its row in the levels by team.
    let team = ui.json("document.querySelector('#scorecard-teams a[data-team-filter]')?.dataset.teamFilter ?? null");
    if let Some(team) = team.as_str() {
        let team = team.to_string();
        ui.eval("delete document.body.dataset.rendered");
        ui.click("#scorecard-teams a[data-team-filter]");
        ui.wait_rendered("a team's scorecard");
        assert!(ui.eval("location.hash").as_str().unwrap().contains("team=team%3A"), "{}", ui.eval("location.hash"));
        assert_eq!(ui.text("main h1"), format!("Scorecards: production-readiness of {team}"));
        let teams = ui.json(
            "[...document.querySelectorAll('#scorecard-leaderboard tbody tr')].map((row) => row.cells[2].innerText)",
        );
        let teams = teams.as_array().unwrap();
        assert!(!teams.is_empty() && teams.iter().all(|t| t == team.as_str()), "only {team}'s services: {teams:?}");
    }
    // The last service of the leaderboard: its page's Scorecards card.
    let worst = ui.json(
        "[...document.querySelectorAll('#scorecard-leaderboard a[data-service]')].at(-1)?.getAttribute('href') ?? null",
    );
    let worst = worst
        .as_str()
        .unwrap_or_else(|| panic!("no service in the leaderboard: {}", ui.text("#scorecard-leaderboard")));
    ui.open(worst, "a service from the leaderboard");
    ui.wait_for(
        "the service's Scorecards card",
        "document.querySelector('#scorecards [data-scorecard=\"production-readiness\"]')",
    );
    let card = ui.json(
        "(() => { const c = document.querySelector('#scorecards [data-scorecard=\"production-readiness\"]'); \
         return { level: c.dataset.level, next: c.dataset.nextLevel ?? null, failing: [...c.querySelectorAll('.failing-rule')].map((r) => r.innerText) }; })()",
    );
    let level = card["level"].as_str().unwrap();
    assert!(["none", "bronze", "silver", "gold"].contains(&level), "the level reached: {card}");
    let failing = card["failing"].as_array().unwrap();
    if !card["next"].is_null() {
        assert!(!failing.is_empty(), "below the top level, a rule fails: {}", ui.text("#scorecards"));
    }
    for rule in failing {
        assert!(rule.as_str().unwrap().contains("failing since"), "each failing rule says since when: {rule}");
    }
    ui.shot("service-scorecards");
    assert_eq!(ui.json("window.__spotErrors"), serde_json::json!([]), "console errors on the scorecards pages");
    ui.open("#/", "home for a package");
    ui.click("#search");
    ui.tab.type_str("package:npm/").unwrap();
    ui.wait_for("packages found", "document.querySelector('#search-results a[href*=\"package%3Anpm\"]')");
    ui.eval("delete document.body.dataset.rendered");
    ui.click("#search-results a[href*=\"package%3Anpm\"]");
    ui.wait_rendered("package");
    // How far behind each use is comes from the API (each ecosystem's own
    // rule): every synthetic npm version and latest is a release, so no use
    // is unknown, and the versions are newest first.
    let versions = ui.text("#versions");
    assert!(!versions.contains("Latest: unknown") && !versions.contains("unknown"), "{versions}");
    assert!(
        ["up to date", "patch behind", "minor behind", "major behind"].iter().any(|level| versions.contains(level)),
        "{versions}"
    );
    let shown: Vec<Value> = ui
        .json("[...document.querySelectorAll('#versions tbody tr')].map((row) => row.cells[0].innerText)")
        .as_array()
        .unwrap()
        .clone();
    let parsed: Vec<Vec<u64>> =
        shown.iter().map(|v| v.as_str().unwrap().split('.').map(|n| n.parse().unwrap()).collect()).collect();
    assert!(parsed.windows(2).all(|pair| pair[0] > pair[1]), "newest first: {shown:?}");
    let users = ui.text("#users");
    assert!(users.contains("Behind") && !users.contains("unknown"), "{users}");
    ui.shot("package");

    // The demo declares what a real organisation's catalog and deployments
    // do: each team's system lists the services that are part of it, and
    // the home page counts systems and backing resources.
    ui.open("#/", "home");
    let figures = ui.text("#figures-section");
    assert!(figures.contains("Systems") && figures.contains("Resources"), "{figures}");
    // A system, and one service the API says is part of it, as the page must list.
    let found = ui.json(
        "fetch('/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ search(text: \"suite\", kinds: [\"system\"]) { key relations(direction: IN, kinds: [\"part_of\"]) { from } } }' }) }).then((r) => r.json()).then((r) => r.data.search[0])",
    );
    let system = found["key"].as_str().unwrap_or_else(|| panic!("the demo has systems: {found}")).to_string();
    let part = found["relations"][0]["from"].as_str().unwrap_or_else(|| panic!("{system} has parts: {found}"));
    let part = part.trim_start_matches("service:").to_string();
    ui.open(&format!("#/entity/{}", system.replace(':', "%3A")), "system");
    let parts = ui.text("#parts");
    assert!(parts.contains(&part), "{system} lists {part} among its parts: {parts}");
    ui.shot("demo-system");

    // Empty and error states say what is missing or what failed.
    ui.open("#/search-nothing", "a page that does not exist");
    assert!(ui.text("main").contains("There is no page"));
    ui.open("#/service/service%3Ano-such-service", "an unknown service");
    assert!(ui.text("main").contains("No source saw service:no-such-service on"), "{}", ui.text("main"));
    let refused = ui.open_failing("#/reports?report=deploys&from=2000-01-01", "a report over too many days");
    assert!(refused.contains("Could not load deploys per day per datacenter"), "{refused}");
    assert!(refused.contains("(limits.trend_buckets)"), "the server's message names the limit: {refused}");
    ui.shot("error");
    let (empty_url, _empty) = empty_server(None);
    ui.tab.navigate_to(&format!("{empty_url}/")).unwrap();
    ui.wait_for("the empty store's page", "document.querySelector('main h1')");
    assert!(ui.text("main").contains("No data yet"), "{}", ui.text("main"));

    // A server with tokens: the explorer asks for one, then reads with it.
    let token = "explorer-read-token-0123456789";
    let (guarded_url, _guarded) = empty_server(Some(token));
    let asked = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let answer = {
        let (tab, asked) = (ui.tab.clone(), asked.clone());
        move |event: &headless_chrome::protocol::cdp::types::Event| {
            if let headless_chrome::protocol::cdp::types::Event::PageJavascriptDialogOpening(opening) = event {
                asked.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                assert!(opening.params.message.contains("token with the read scope"), "{}", opening.params.message);
                let _ = tab.get_dialog().accept(Some(token.to_string()));
            }
        }
    };
    ui.tab.add_event_listener(Arc::new(answer)).unwrap();
    ui.tab.navigate_to(&format!("{guarded_url}/")).unwrap();
    ui.wait_for("the guarded server's page", "document.querySelector('main h1')");
    assert!(ui.text("main").contains("No data yet"), "read with the token: {}", ui.text("main"));
    assert_eq!(asked.load(std::sync::atomic::Ordering::SeqCst), 1, "asked once, then kept for the session");

    let report: Vec<String> = ui.timings.iter().map(|(page, ms)| format!("{page}: {ms:.0} ms")).collect();
    println!("explorer timings (first render, ms):\n  {}", report.join("\n  "));
    let json: Vec<Value> = ui.timings.iter().map(|(page, ms)| serde_json::json!({"page": page, "ms": ms})).collect();
    std::fs::write(shots.join("timings.json"), serde_json::to_string_pretty(&json).unwrap()).unwrap();
    println!("explorer screenshots in {}", shots.display());
}

fn graph_data_ms(ui: &Explorer) -> f64 {
    ui.json("performance.getEntriesByName('spot:graph-data').at(-1).detail.ms").as_f64().unwrap()
}

/// Zooms the graph in and out with 60 wheel events, one per frame, and
/// measures the frames: how responsive a big graph stays.
const ZOOM_FRAMES: &str = "(async () => {
  const target = document.querySelector('.graph canvas:last-of-type') || document.querySelector('.graph');
  const box = target.getBoundingClientRect();
  const frames = [];
  let last = performance.now();
  for (let i = 0; i < 60; i++) {
    target.dispatchEvent(new WheelEvent('wheel', { deltaY: i < 30 ? -60 : 60, clientX: box.x + box.width / 2, clientY: box.y + box.height / 2, bubbles: true, cancelable: true }));
    await new Promise((resolve) => requestAnimationFrame(resolve));
    const now = performance.now();
    frames.push(now - last);
    last = now;
  }
  frames.sort((a, b) => a - b);
  return { median: frames[30], p95: frames[56], max: frames[59] };
})()";

/// Collects what the page reports as errors (console.error, uncaught
/// exceptions and rejections) in `window.__spotErrors`, from now on.
const CATCH_CONSOLE_ERRORS: &str = "(() => {
  if (window.__spotErrors) return;
  window.__spotErrors = [];
  const original = console.error;
  console.error = (...args) => { window.__spotErrors.push(args.map(String).join(' ')); original.apply(console, args); };
  addEventListener('error', (e) => window.__spotErrors.push(String(e.message)));
  addEventListener('unhandledrejection', (e) => window.__spotErrors.push(String(e.reason)));
})()";

fn wait_for_download(dir: &Path) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        let done: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "csv"))
            .collect();
        if let Some(path) = done.first() {
            let text = std::fs::read_to_string(path).unwrap();
            if !text.is_empty() {
                return text;
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("no CSV was downloaded to {} within 30 s", dir.display());
}

// ---------------------------------------------------------------------------
// Declared versus running on a real-shaped page (docs/declared.md): the shop
// of tests/support/shop.rs, backfilled from git, beside two clusters.

#[path = "support/shop.rs"]
mod shop;

#[test]
fn a_service_page_lists_what_repositories_declare_apart_from_what_runs() {
    let Some(chrome) = chromium_or_skip() else { return };
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = runtime.block_on(shop::shop_store(dir.path()));
    let url = serve_on(&runtime, &Config::default(), Arc::new(SqliteStore::open(path).unwrap()));
    let (_browser, mut ui) = Explorer::launch(chrome, &url, (1440, 1100));
    let page = format!("{url}/#/service/service%3Afrontend?day={}", shop::DAY);
    ui.tab.navigate_to(&page).unwrap();
    ui.wait_rendered("service frontend");

    let declared = ui.text("#declared");
    for expected in [
        "Declared for deployment: v1.2.0.",
        "release/kubernetes-manifests.yaml",
        "kustomize/tests/istio",
        "test — not counted",
        "extras/legacy/frontend.yaml",
        "example — not counted",
        "acme/shop",
    ] {
        assert!(declared.contains(expected), "the declared list shows {expected:?}: {declared}");
    }
    let deployed = ui.text("#deployed");
    assert!(deployed.contains("dc1") && deployed.contains("dc2"), "{deployed}");
    let deploys = ui.text("#deploys");
    for what in [&deployed, &deploys] {
        for declared_only in ["v0.5.0", "acme"] {
            assert!(!what.contains(declared_only), "{declared_only:?} is only declared, never deployed: {what}");
        }
    }
    ui.wait_for("the delivery card", "document.querySelector('#delivery [data-testid=no-deploys]')");
    assert!(ui.text("#delivery").contains("never from what repositories declare"), "{}", ui.text("#delivery"));
    ui.shot("service-declared");

    // The cart runs nowhere; its chart declares it, its bundled DynamoDB not.
    ui.open(&format!("#/service/service%3Acart?day={}", shop::DAY), "service cart");
    let deployed = ui.text("#deployed");
    assert!(deployed.contains("Not deployed in any cluster") && deployed.contains("declare versions"), "{deployed}");
    let declared = ui.text("#declared");
    assert!(declared.contains("src/cart/chart/values.yaml") && declared.contains("helm"), "{declared}");
    assert!(!declared.contains("1.25.1") && !declared.contains("dynamodb"), "the bundled database: {declared}");
}

/// A backfilled Spring service as the store holds it: its repository
/// builds it from `src/cart`, it once had another name, its parent POM
/// gives the starter's version, and no registry was asked for latest
/// versions.
async fn record_backfilled_service(store: &SqliteStore, day: spot::Day) {
    use spot::Store;
    let parent = "package:maven/org.springframework.boot:spring-boot-starter-parent";
    let starter = "package:maven/org.springframework.boot:spring-boot-starter-web";
    let observation: collectors::Observation = serde_json::from_value(serde_json::json!({
        "source": "github", "scope": "acme", "day": day, "complete": true,
        "entities": [
            { "key": "repo:github.com/acme/retail-store", "kind": "repo", "name": "retail-store", "attrs": {} },
            { "key": "service:cart", "kind": "service", "name": "cart",
              "attrs": { "type": "service", "path": "src/cart", "found_by": ["compose"], "named_by": "workload", "name_then": "carts" } },
            { "key": parent, "kind": "package", "name": "org.springframework.boot:spring-boot-starter-parent", "attrs": { "ecosystem": "maven" } },
            { "key": starter, "kind": "package", "name": "org.springframework.boot:spring-boot-starter-web", "attrs": { "ecosystem": "maven" } }
        ],
        "relations": [
            { "from": "repo:github.com/acme/retail-store", "to": "service:cart", "kind": "builds", "attrs": { "path": "src/cart" } },
            { "from": "service:cart", "to": parent, "kind": "uses",
              "attrs": { "spec": "3.5.5", "resolved": "3.5.5", "scope": "build", "role": "parent", "manifest": "src/cart/pom.xml" } },
            { "from": "service:cart", "to": starter, "kind": "uses",
              "attrs": { "spec": null, "resolved": null, "scope": "runtime", "managed_by": parent, "manifest": "src/cart/pom.xml" } }
        ]
    }))
    .unwrap();
    store.ingest(&observation).await.unwrap();
}

#[test]
fn a_backfilled_service_shows_its_folder_language_and_why_no_use_is_outdated() {
    let Some(chrome) = chromium_or_skip() else { return };
    let day = "2026-11-20";
    let (url, (runtime, dir)) = empty_server(None);
    let store = SqliteStore::open(dir.path().join("empty.db")).unwrap();
    runtime.block_on(record_backfilled_service(&store, day.parse().unwrap()));
    let (_browser, mut ui) = Explorer::launch(chrome, &url, (1440, 1100));
    ui.tab.navigate_to(&format!("{url}/#/?day={day}")).unwrap();
    ui.wait_rendered("home");

    ui.open(&format!("#/service/service%3Acart?day={day}"), "service");
    let about = ui.text("#about");
    for shown in ["Folder\nsrc/cart", "Language\nJava", "Called then\ncarts"] {
        assert!(about.contains(shown), "the service's about section shows {shown:?}:\n{about}");
    }
    ui.shot("service-folder-language");

    ui.open(&format!("#/reports?report=outdated&from={day}&to={day}"), "outdated dependencies");
    let why = ui.text("main .empty");
    assert!(
        why.contains("2 package uses on 2026-11-20, none of whose 2 packages has a known latest version")
            && why.contains("1 more take their version from a Maven parent or a BOM"),
        "the empty report says why: {why}"
    );

    ui.open(
        &format!("#/package/{}?day={day}", "package%3Amaven%2Forg.springframework.boot%3Aspring-boot-starter-web"),
        "package",
    );
    let versions = ui.text("#versions");
    assert!(versions.contains("managed by spring-boot-starter-parent 3.5.5"), "{versions}");

    // A trend of one day: centred in a week, not lost at the edge of years.
    let point = 1_795_651_200_i64; // 2026-11-26
    ui.eval(&format!(
        "import('/explorer/charts.js').then((m) => document.querySelector('main').append(m.timeChart({{ title: 'one day', x: [{point}], series: [{{ label: 'uses', values: [638] }}] }})))"
    ));
    ui.wait_for("the one-day chart", "document.querySelector('main .chart[data-x-min]')");
    let span = ui.json("(() => { const c = document.querySelector('main .chart[data-x-min]').dataset; return [Number(c.xMin), Number(c.xMax)]; })()");
    let (min, max) = (span[0].as_f64().unwrap() as i64, span[1].as_f64().unwrap() as i64);
    assert!(min < point && point < max && max - min <= 7 * 86_400, "one day spans [{min}, {max}] around {point}");
    assert_eq!(point - min, max - point, "the day is in the middle");
}

// ---------------------------------------------------------------------------
// A Backstage catalog's pages (docs/backstage.md): a system lists its parts
// and a group its members, read from catalog files by the GitHub
// collector's own mapping.

const CATALOG_FILES: &[(&str, &str, &str)] = &[
    (
        "catalog",
        "org.yaml",
        "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: team-a\n  description: Team A\nspec:\n  type: team\n  parent: infrastructure\n  members: [breanna.davison, janelle.dawe]\n---\napiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: infrastructure\nspec:\n  type: department\n---\napiVersion: backstage.io/v1alpha1\nkind: System\nmetadata:\n  name: artist-engagement-portal\n  description: Everything about artists\nspec:\n  owner: team-a\n---\napiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n  name: rest\nspec:\n  targets: [./apis/artist-api.yaml]\n",
    ),
    (
        "catalog",
        "apis/artist-api.yaml",
        "apiVersion: backstage.io/v1alpha1\nkind: API\nmetadata:\n  name: artist-api\nspec:\n  type: openapi\n  owner: team-a\n  system: artist-engagement-portal\n",
    ),
    (
        "artist-lookup",
        "catalog-info.yaml",
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: artist-lookup\n  tags: [java]\nspec:\n  type: service\n  owner: team-a\n  system: artist-engagement-portal\n  providesApis: [artist-api]\n",
    ),
];

fn catalog_server() -> (String, (tokio::runtime::Runtime, tempfile::TempDir)) {
    use collectors::github::{map, sync::RepoFiles};
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("catalog.db")).unwrap();
    let repos: Vec<RepoFiles> = ["catalog", "artist-lookup"]
        .into_iter()
        .map(|name| {
            let files: Vec<(&str, &str)> = CATALOG_FILES
                .iter()
                .filter(|(repo, _, _)| *repo == name)
                .map(|(_, path, content)| (*path, *content))
                .collect();
            RepoFiles::from_files(name, &[], &files)
        })
        .collect();
    let day: spot::Day = "2026-11-02".parse().unwrap();
    let identity = Default::default();
    let context = map::OrgContext { host: "github.com", org: "acme", day, identity: &identity };
    let mut observation = collectors::Observation::new("github", "acme", day);
    map::observe(&context, &repos, &mut observation);
    runtime.block_on(spot::store::Store::ingest(&store, &observation)).unwrap();
    let url = serve_on(&runtime, &Config::default(), Arc::new(store));
    (url, (runtime, dir))
}

#[test]
fn a_system_and_a_group_page_list_their_members_in_chromium() {
    let Some(chrome) = chromium_or_skip() else { return };
    let (url, _server) = catalog_server();
    let (_browser, mut ui) = Explorer::launch(chrome, &url, (1280, 900));
    ui.tab.navigate_to(&format!("{url}/")).unwrap();
    ui.wait_rendered("home");
    assert!(ui.text("#figures-section").contains("Systems"), "{}", ui.text("#figures-section"));

    // Search by a tag finds the service; the system's page lists its parts.
    ui.click("#search");
    ui.tab.type_str("java").unwrap();
    ui.wait_for("the service tagged java", "document.querySelector('#search-results a[href*=\"artist-lookup\"]')");
    ui.open("#/entity/system%3Aartist-engagement-portal", "system");
    let parts = ui.text("#parts");
    assert!(parts.starts_with("Parts (2)"), "{parts}");
    assert!(parts.contains("artist-lookup") && parts.contains("artist-api"), "{parts}");
    let about = ui.text("#catalog");
    assert!(about.contains("Everything about artists") && about.contains("team-a"), "{about}");
    ui.shot("catalog-system");

    // The group's page lists its members, its parent, and what it owns beyond services.
    ui.open("#/team/team%3Ateam-a", "team");
    let members = ui.text("#members");
    assert!(members.contains("breanna.davison") && members.contains("janelle.dawe"), "{members}");
    assert!(ui.text("#parent").contains("infrastructure"), "{}", ui.text("#parent"));
    let owned = ui.text("#owned");
    assert!(owned.contains("artist-engagement-portal") && owned.contains("artist-api"), "{owned}");
    ui.shot("catalog-group");

    // The system's graph follows the catalog's relations.
    ui.open("#/graph/system%3Aartist-engagement-portal?kinds=part_of,provides_api&direction=BOTH", "graph");
    ui.wait_for(
        "the system's parts in its graph",
        "document.querySelector('main').innerText.includes('artist-lookup')",
    );

    // The API's page says who provides it.
    ui.open("#/entity/api%3Aartist-api", "api");
    assert!(ui.text("#providers").contains("artist-lookup"), "{}", ui.text("#providers"));

    // Hygiene lists the catalog's findings: here, none.
    ui.open("#/hygiene", "hygiene");
    assert!(ui.text("#hygiene-invalidCatalogEntities").contains("None on"), "{}", ui.text("main"));
}

// ---------------------------------------------------------------------------
// A real-shaped organisation: the Online-Boutique-shaped repository of
// tests/wiring.rs, backfilled, its frontend's page read in Chromium.

/// A server over the backfill of the Online-Boutique-shaped repository.
fn boutique_server() -> (String, (tokio::runtime::Runtime, tempfile::TempDir)) {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let repo = shapes::boutique(&dir.path().join("repos"));
    let db = dir.path().join("boutique.db");
    let options = spot::backfill::Options {
        paths: vec![repo.path.clone()],
        since: None,
        until: None,
        max_file_bytes: 5 << 20,
        identity: Default::default(),
        ingest: Default::default(),
    };
    let store: Arc<dyn spot::Store> = Arc::new(SqliteStore::open(&db).unwrap());
    runtime.block_on(spot::backfill::backfill(store, &options, &spot::backfill::Quiet)).expect("the backfill runs");
    let url = serve_on(&runtime, &Config::default(), Arc::new(SqliteStore::open(&db).unwrap()));
    (url, (runtime, dir))
}

#[test]
fn a_real_shaped_service_page_lists_its_dependencies_with_why_and_draws_them() {
    let Some(chrome) = chromium_or_skip() else { return };
    let (url, _server) = boutique_server();
    let (_browser, mut ui) = Explorer::launch(chrome, &url, (1440, 1100));
    ui.tab.navigate_to(&format!("{}/#/service/service%3Afrontend?day={}", ui.url, shapes::WIRED)).unwrap();
    ui.wait_rendered("service frontend");
    assert_eq!(ui.text("main h1"), "frontend");
    let dependencies = ui.text("#dependencies");
    for why in [
        "cartservice — env CART_SERVICE_ADDR in kubernetes-manifests/frontend.yaml",
        "checkoutservice — env CHECKOUT_SERVICE_ADDR in kubernetes-manifests/frontend.yaml",
        "productcatalogservice — env PRODUCT_CATALOG_SERVICE_ADDR in kubernetes-manifests/frontend.yaml",
    ] {
        assert!(dependencies.contains(why), "the frontend's page says {why:?}: {dependencies}");
    }
    assert!(dependencies.contains("It depends on (3)"), "{dependencies}");
    ui.wait_for("the dependency graph", "document.querySelector('#dependencies .graph[data-nodes]')");
    let nodes = ui.eval("Number(document.querySelector('#dependencies .graph[data-nodes]').dataset.nodes)");
    assert_eq!(nodes.as_f64(), Some(4.0), "the frontend and the three services it depends on are drawn");
    ui.shot("service-dependencies");

    // The cart's page lists the redis it depends on as a resource.
    ui.open(&format!("#/service/service%3Acartservice?day={}", shapes::WIRED), "service cartservice");
    let dependencies = ui.text("#dependencies");
    assert!(
        dependencies.contains("redis-cart resource — env REDIS_ADDR in kubernetes-manifests/cartservice.yaml"),
        "{dependencies}"
    );
    assert!(dependencies.contains("frontend — env CART_SERVICE_ADDR"), "who depends on it, and why: {dependencies}");
}

// ---------------------------------------------------------------------------
// Change intelligence (docs/changes.md) on the hand-built history of
// tests/support/changes_history.rs: the changes page in words, grouped by
// service, with filters; the service page's "What changed nearby"; a failed
// deploy linking to what changed around it.

#[path = "support/changes_history.rs"]
mod changes_history;

#[test]
fn changes_read_in_words_grouped_by_service_and_around_a_service() {
    let Some(chrome) = chromium_or_skip() else { return };
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = runtime.block_on(changes_history::history_store(dir.path()));
    let url = serve_on(&runtime, &Config::default(), Arc::new(store));
    let (_browser, mut ui) = Explorer::launch(chrome, &url, (1440, 1100));
    let (before, after) = (changes_history::BEFORE, changes_history::AFTER);
    ui.tab.navigate_to(&format!("{url}/#/changes?from={before}&to={after}&day={after}")).unwrap();
    ui.wait_rendered("changes in words");

    // Each service's changes under its name, with their count and titles.
    let payments = ui.text("h3.changes-group[data-service='service:payments']");
    assert!(payments.starts_with("payments") && payments.contains("changes"), "{payments}");
    let list = ui.text(".changes-groups");
    for title in [
        "checkout: 2.3.1 → 2.4.0 in eu-west",
        "payments: owner team-core → team-billing",
        "cart now depends on redis-cache",
    ] {
        assert!(list.contains(title), "the page shows {title:?}: {list}");
    }
    assert!(list.contains("version: 2.3.1 → 2.4.0"), "before → after of what moved: {list}");
    let groups = ui.json("[...document.querySelectorAll('h3.changes-group')].map((g) => g.dataset.service)");
    let groups: Vec<&str> = groups.as_array().unwrap().iter().map(|g| g.as_str().unwrap()).collect();
    let mut distinct = groups.clone();
    distinct.dedup();
    assert_eq!(groups, distinct, "one heading per service");
    ui.shot("changes-in-words");

    // Filters: minor changes only; then one team's.
    ui.eval("document.getElementById('changes-significance').value = 'MINOR'");
    ui.eval("delete document.body.dataset.rendered");
    ui.click("form.controls button[type=submit]");
    ui.wait_rendered("minor changes");
    let minor = ui.text(".changes-groups");
    assert!(minor.contains("payments: replicas 2 → 5 in eu-west"), "{minor}");
    assert!(!minor.contains("checkout: 2.3.1 → 2.4.0"), "a version is significant: {minor}");
    ui.open(&format!("#/changes?from={before}&to={after}&day={after}&team=team-billing"), "one team's changes");
    let billing = ui.json("[...document.querySelectorAll('h3.changes-group')].map((g) => g.dataset.service)");
    assert_eq!(billing, serde_json::json!(["service:payments"]), "{}", ui.text("main"));

    // The service page: what changed nearby, the day of the changes.
    ui.open(&format!("#/service/service%3Acheckout?day={after}"), "service checkout");
    ui.wait_for("the nearby timeline", "document.querySelector('#nearby .nearby-timeline')");
    let nearby = ui.text("#nearby");
    assert!(nearby.contains("payments: deploy failed 1.1 in eu-west"), "{nearby}");
    assert!(nearby.contains("via checkout → payments"), "the path to a neighbour: {nearby}");
    ui.shot("service-nearby");

    // A failed deploy links to what changed around it: the 6 hours up to it.
    let link = ui.eval("document.querySelector('#nearby a.around-link')?.getAttribute('href') ?? ''");
    let link = link.as_str().unwrap().to_string();
    assert!(link.contains("around="), "{link}");
    ui.open(&link, "around a moment");
    ui.wait_for(
        "the moment's timeline",
        "document.querySelector('#nearby-moment') && !document.querySelector('#nearby .loading')",
    );
    assert!(ui.text("#nearby-moment").contains("The 6 hours up to"), "{}", ui.text("#nearby"));
}

// ---------------------------------------------------------------------------
// The demo as `spot demo` makes it: its simulated Kubernetes watch and its
// `[links]` templates, on days that end today (the actions panels show the
// hours before now). What a newcomer opens is filled, one click apart.

/// Every `href` on the page that is neither the explorer's own (`#…`, `/…`)
/// nor http(s): a link with an unsafe scheme.
const UNSAFE_LINKS: &str =
    "[...document.querySelectorAll('a[href]')].map((a) => a.getAttribute('href')).filter((h) => !/^(#|\\/(?!\\/)|https?:\\/\\/)/i.test(h))";

/// A GraphQL query run by the page itself.
fn page_query(ui: &Explorer, query: &str) -> Value {
    let body = serde_json::json!({ "query": query }).to_string();
    ui.json(&format!(
        "fetch('/graphql', {{ method: 'POST', headers: {{ 'content-type': 'application/json' }}, body: {body:?} }}).then((r) => r.json())"
    ))
}

fn demo_like_spot_demo() -> (String, (tokio::runtime::Runtime, tempfile::TempDir)) {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("demo.db")).unwrap();
    let today = spot::Day::today();
    let days = 8;
    let config = collectors::synthetic::SyntheticConfig {
        watch_from: Some(today.minus(2)),
        until: Some(chrono::Utc::now()),
        ..collectors::synthetic::SyntheticConfig::new(1, 42, today.minus(days - 1))
    };
    runtime.block_on(spot::generate::generate(&store, config, days as usize, |_| {})).expect("the demo generates");
    let mut config = Config::default();
    config.scorecards.builtin = true;
    config.links.templates = spot::cli::demo_links();
    let url = serve_on(&runtime, &config, Arc::new(store));
    (url, (runtime, dir))
}

#[test]
fn the_demo_fills_what_a_newcomer_opens_and_links_only_safe_urls() {
    let Some(chrome) = chromium_or_skip() else { return };
    let (url, _server) = demo_like_spot_demo();
    let (_browser, mut ui) = Explorer::launch(chrome, &url, (1440, 1100));
    ui.tab.navigate_to(&format!("{url}/")).unwrap();
    ui.wait_rendered("home");
    ui.eval(CATCH_CONSOLE_ERRORS);

    // The one safe-link helper: http(s) becomes a link, the rest stays text.
    let helper = ui.json(
        "import('/explorer/dom.js').then((dom) => ['https://ok.example/x', 'javascript:alert(1)', 'data:text/html,x', 'wiki/page']
           .map((u) => { const e = dom.safeLink(u, 'label'); return [e.tagName, e.getAttribute('href')]; }))",
    );
    assert_eq!(
        helper,
        serde_json::json!([["A", "https://ok.example/x"], ["SPAN", null], ["SPAN", null], ["SPAN", null]]),
        "only http(s) URLs become links"
    );

    // A service the watch saw in the last hours.
    let now = chrono::Utc::now();
    let from = (now - chrono::Duration::hours(20)).to_rfc3339();
    let seen =
        page_query(&ui, &format!(r#"{{ actions(cluster: "dc1", from: "{from}", limit: 100) {{ service kind }} }}"#));
    let service = seen["data"]["actions"]
        .as_array()
        .unwrap_or_else(|| panic!("actions: {seen}"))
        .iter()
        .find_map(|a| a["service"].as_str())
        .unwrap_or_else(|| panic!("the demo's watch recorded actions in dc1 in the last 20 hours: {seen}"))
        .to_string();
    ui.open(&format!("#/service/{}", service.replace(':', "%3A")), "service with actions");
    let links =
        ui.json("[...document.querySelectorAll('#links a')].map((a) => [a.textContent, a.getAttribute('href')])");
    let name = service.trim_start_matches("service:");
    for (title, prefix) in [
        ("Runbook", format!("https://wiki.acme.example/display/OPS/{name}+runbook")),
        ("Logs", format!("https://logs.acme.example/search?service={name}&from=")),
        ("Service dashboard", format!("https://grafana.acme.example/d/service?var-service={name}&")),
    ] {
        let found =
            links.as_array().unwrap().iter().any(|l| l[0] == title && l[1].as_str().unwrap().starts_with(&prefix));
        assert!(found, "the Links card has {title} ({prefix}…): {links}");
    }
    ui.wait_for("the service's actions", "document.querySelector('#actions table')");
    let actions = ui.text("#actions");
    assert!(!actions.contains("No actions"), "{actions}");
    ui.shot("demo-service");
    assert_eq!(ui.json(UNSAFE_LINKS), serde_json::json!([]), "links on the service page");

    // Its repository, one click away on GitHub.
    ui.eval("delete document.body.dataset.rendered");
    ui.click("#about dd a[href^=\"#/entity/repo\"]");
    ui.wait_rendered("its repository");
    let github =
        ui.json("document.querySelector('#about a[href^=\"https://github.com/\"]')?.getAttribute('href') ?? null");
    assert!(github.as_str().is_some(), "the repository links to GitHub: {}", ui.text("#about"));
    assert_eq!(ui.json(UNSAFE_LINKS), serde_json::json!([]), "links on the repository page");

    // Its cluster: reached from the service, listing what runs there, and what happened.
    ui.open(&format!("#/service/{}", service.replace(':', "%3A")), "the service again");
    ui.wait_for("the clusters it runs in", "document.querySelector('#runs-in a')");
    ui.eval("delete document.body.dataset.rendered");
    ui.click("#runs-in a");
    ui.wait_rendered("its cluster");
    ui.wait_for("the cluster's workloads", "document.querySelector('#workloads table')");
    let workloads = ui.text("#workloads p");
    let count: usize = workloads.split_whitespace().next().unwrap().parse().unwrap_or(0);
    assert!(count > 50, "the cluster lists its workloads: {workloads}");
    assert!(
        ui.eval("!!document.querySelector('#workloads td a[href*=\"service%3A\"]')").as_bool().unwrap(),
        "and their services"
    );
    ui.wait_for("the cluster's actions", "document.querySelector('#actions table')");
    assert!(ui.text("#actions").contains("scale"), "the autoscaler acts round the clock: {}", ui.text("#actions"));
    ui.shot("demo-cluster");
    assert_eq!(ui.json(UNSAFE_LINKS), serde_json::json!([]), "links on the cluster page");

    // A doc: its Confluence page, one click away.
    let docs = page_query(&ui, r#"{ search(text: "runbook", kinds: ["doc"], first: 1) { key } }"#);
    let doc = docs["data"]["search"][0]["key"].as_str().unwrap_or_else(|| panic!("a doc: {docs}")).to_string();
    ui.open(&format!("#/entity/{}", doc.replace(':', "%3A").replace('/', "%2F")), "a doc");
    let confluence = ui.json("[...document.querySelectorAll('main a[href^=\"https://acme.atlassian.net/\"]')].length");
    assert!(confluence.as_u64().unwrap() >= 2, "About and the facts link to Confluence: {}", ui.text("main"));
    assert_eq!(ui.json(UNSAFE_LINKS), serde_json::json!([]), "links on the doc page");
    assert_eq!(ui.json("window.__spotErrors"), serde_json::json!([]), "console errors");

    // Then every page, each checked and screenshotted.
    let latest = ui.eval("document.getElementById('day').max").as_str().unwrap().to_string();
    let keys = tour_keys(&ui, &service);
    ui.timings.clear();
    tour_every_page(&mut ui, &keys, &latest);
    let report: Vec<String> = ui.timings.iter().map(|(page, ms)| format!("{page}: {ms:.0} ms")).collect();
    println!("explorer: the demo's pages rendered in (ms):\n  {}", report.join("\n  "));
    // Issue 29: each of these pages within a second on the demo, served
    // by an optimised build (`cargo test --release`, or SPOT_EXPLORER_URL
    // on a release `spot demo`). A debug server is several times slower:
    // its figures are printed, not judged.
    let judged = !cfg!(debug_assertions) || std::env::var_os("SPOT_EXPLORER_URL").is_some();
    for page in ["delivery", "scorecards", "hygiene"] {
        let ms = ui.timings.iter().find(|(p, _)| p == page).map(|(_, ms)| *ms).unwrap();
        if judged {
            assert!(ms < 1000.0, "the {page} page took {ms:.0} ms to render on the demo");
        } else {
            println!("explorer: the {page} page rendered in {ms:.0} ms (a debug server: not judged against 1 s)");
        }
    }
    check_delivery(&mut ui);
    check_graph_address(&mut ui, &service);
}

// ---------------------------------------------------------------------------
// Every page of the demo, as a newcomer tours it: each is filled, has no
// console error, no table cut off, no link with an unsafe scheme, no fact
// shown as JSON, no header whose unit its cells contradict, no chart whose
// legend reads "--" or whose axis does not start at zero; each is
// screenshotted for docs/explorer.md.

/// What is wrong on the page now, as a list of sentences (empty: nothing).
const PAGE_PROBLEMS: &str = r#"(() => {
  const problems = [];
  const name = (e) => e.closest('[id]')?.id ?? e.tagName;
  const main = document.querySelector('main');
  for (const card of main.querySelectorAll('section.card')) {
    if (card.dataset.mayBeEmpty !== undefined) continue;
    const content = [...card.querySelectorAll('table, canvas, li, dd, .graph[data-nodes], .figure, input, select')].filter((e) => !e.closest('.empty'));
    if (!content.length) problems.push(`empty card #${card.id}: ${card.innerText.replace(/\s+/g, ' ').slice(0, 160)}`);
  }
  for (const table of main.querySelectorAll('table')) {
    if (table.closest('.u-legend') || !table.offsetParent) continue;
    const card = table.closest('.card');
    const wrap = table.closest('.table-wrap');
    const narrow = card && card.getBoundingClientRect().width < 0.6 * main.clientWidth;
    if (wrap && wrap.scrollWidth > wrap.clientWidth + 1 && narrow) {
      problems.push(`table in #${name(wrap)} needs ${wrap.scrollWidth} px in a card of ${wrap.clientWidth}: cut off`);
    } else if (!wrap && card && card.scrollWidth > card.clientWidth + 1) {
      problems.push(`table in #${name(card)} overflows its card (${card.scrollWidth} > ${card.clientWidth}) with no scroll`);
    }
    const headers = [...table.querySelectorAll('thead th')].map((th) => th.innerText.trim());
    headers.forEach((header, column) => {
      if (!/\((s|ms|h|min)\)$/.test(header)) return;
      for (const row of table.querySelectorAll('tbody tr')) {
        const cell = row.cells[column]?.innerText.trim() ?? '';
        if (/[a-z]/i.test(cell)) { problems.push(`column "${header}" of #${name(table)} shows "${cell}"`); break; }
      }
    });
  }
  for (const dd of main.querySelectorAll('dd')) {
    if (/^\s*[\[{]"/.test(dd.innerText)) problems.push(`a fact shown as JSON in #${name(dd)}: ${dd.innerText.slice(0, 80)}`);
  }
  for (const chart of main.querySelectorAll('.chart')) {
    const title = chart.closest('figure')?.querySelector('figcaption')?.innerText ?? name(chart);
    const legend = chart.querySelector('.u-legend .u-series .u-value')?.innerText;
    if (legend === '--') problems.push(`the legend of "${title}" reads "--"`);
    const u = chart.uplot;
    if (!u) {
      if (chart.querySelector('canvas')) problems.push(`the chart "${title}" keeps no uPlot instance (chart.uplot) to check`);
      continue;
    }
    const values = u.data.slice(1).flat().filter((v) => v != null);
    if (values.length && Math.min(...values) >= 0 && u.scales.y.min > 0) problems.push(`the y axis of "${title}" starts at ${u.scales.y.min}, not 0`);
    const axis = u.axes[1];
    if (axis._values && axis._size) {
      u.ctx.font = axis.font[0];
      const widest = Math.max(0, ...axis._values.map((v) => u.ctx.measureText(String(v)).width / devicePixelRatio));
      if (widest + axis.ticks.size + axis.gap > axis._size) problems.push(`the y labels of "${title}" (${widest} px) are wider than their axis (${axis._size} px)`);
    }
  }
  const unsafe = [...document.querySelectorAll('a[href]')].map((a) => a.getAttribute('href')).filter((h) => !/^(#|\/(?!\/)|https?:\/\/)/i.test(h));
  if (unsafe.length) problems.push(`links with an unsafe scheme: ${unsafe.join(' ')}`);
  for (const error of window.__spotErrors ?? []) problems.push(`console error: ${error}`);
  window.__spotErrors && (window.__spotErrors.length = 0);
  if (main.querySelector('.error')) problems.push(`an error: ${main.querySelector('.error').innerText}`);
  return problems;
})()"#;

/// Cards that may stay empty on the demo, and why: what they say is the
/// finding (nothing wrong, nothing there), or the demo's short history.
const MAY_BE_EMPTY: &[(&str, &str)] = &[
    ("declared", "the synthetic repositories declare no workloads: what runs is all there is"),
    ("drift", "every service of the team runs one version everywhere: a finding"),
    ("relations-in", "a doc or a SonarQube project nothing points to"),
    ("relations-out", "a system that points to nothing (its parts point to it)"),
    ("scorecard-changes", "eight days of history: the month before the day is mostly before it"),
    ("hygiene-unparsedFiles", "a clean category: the finding is none"),
    ("hygiene-invalidCatalogEntities", "a clean category: the finding is none"),
    ("hygiene-unresolvedOwners", "a clean category: the finding is none"),
];

/// Every chart on screen drawn and every graph laid out (or refused).
const DRAWN: &str = "[...document.querySelectorAll('main .chart')].every((c) => !c.offsetParent || c.clientWidth < 50 || c.dataset.xMin !== undefined) \
  && [...document.querySelectorAll('main .graph')].every((g) => g.dataset.nodes || g.querySelector('.empty, .error'))";

impl Explorer {
    /// Opens `hash`, waits until every part and chart is drawn, and says
    /// what is wrong with it; screenshots it for the docs.
    fn tour(&mut self, hash: &str, page: &str, shot: &str) -> Vec<String> {
        self.open(hash, page);
        self.wait_for(&format!("the charts and graphs of the {page} page"), DRAWN);
        self.wait_for(&format!("the {page} page, settled"), "!document.querySelector('main .loading')");
        let problems = self.json(PAGE_PROBLEMS);
        self.shot(shot);
        self.docs_shot(shot);
        let allowed = |p: &str| MAY_BE_EMPTY.iter().any(|(card, _)| p.starts_with(&format!("empty card #{card}:")));
        let problems = problems.as_array().unwrap().iter().map(|p| p.as_str().unwrap());
        problems.filter(|p| !allowed(p)).map(|p| format!("the {page} page ({hash}): {p}")).collect()
    }

    /// The viewport at half size: small enough to keep in docs/ (explorer-*.png).
    fn docs_shot(&self, name: &str) {
        use headless_chrome::protocol::cdp::Page::Viewport;
        let size = self.json("[document.documentElement.clientWidth, window.innerHeight]");
        let (width, height) = (size[0].as_f64().unwrap(), size[1].as_f64().unwrap());
        let clip = Viewport { x: 0.0, y: 0.0, width, height, scale: 0.5 };
        let png = self.tab.capture_screenshot(CaptureScreenshotFormatOption::Png, None, Some(clip), true).unwrap();
        std::fs::write(self.shots.join(format!("docs-{name}.png")), png).unwrap();
    }
}

/// Seconds since the epoch of "2026-03-04 14:05 UTC" (or a day alone).
fn shown_time(text: &str) -> Option<i64> {
    let text = text.trim().trim_end_matches(" UTC");
    let at = chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M")
        .ok()
        .or_else(|| chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").ok().and_then(|d| d.and_hms_opt(0, 0, 0)))?;
    Some(at.and_utc().timestamp())
}

/// The demo's entities a tour opens: a service the watch saw, its team,
/// repository, workload and SonarQube project, a doc, a package, a system.
struct TourKeys {
    service: String,
    team: String,
    repo: String,
    workload: String,
    /// None when the service has no SonarQube project.
    sonar: Option<String>,
    doc: String,
    package: String,
    system: String,
}

fn tour_keys(ui: &Explorer, service: &str) -> TourKeys {
    let query = format!(
        r#"{{ service(name: "{service}") {{ owner {{ key }} repository {{ key }} quality {{ project {{ key }} }}
             entity {{ relations(direction: OUT, kinds: ["deploys"]) {{ to }} }} }}
           doc: search(text: "runbook", kinds: ["doc"], first: 1) {{ key }}
           package: search(text: "package:npm/", kinds: ["package"], first: 1) {{ key }}
           system: search(text: "suite", kinds: ["system"], first: 1) {{ key }}
           team: search(text: "team:", kinds: ["team"], first: 1) {{ key }} }}"#
    );
    let found = page_query(ui, &query);
    let data = &found["data"];
    let text = |value: &Value, what: &str| {
        value.as_str().unwrap_or_else(|| panic!("the demo has {what} for the tour: {found}")).to_string()
    };
    TourKeys {
        service: service.to_string(),
        // The service's team, or any (a few demo services have none).
        team: text(
            data["service"]["owner"]["key"]
                .as_str()
                .map_or(&data["team"][0]["key"], |_| &data["service"]["owner"]["key"]),
            "a team",
        ),
        repo: text(&data["service"]["repository"]["key"], "the service's repository"),
        workload: text(&data["service"]["entity"]["relations"][0]["to"], "a workload of the service"),
        sonar: data["service"]["quality"]["project"]["key"].as_str().map(str::to_string),
        doc: text(&data["doc"][0]["key"], "a doc"),
        package: text(&data["package"][0]["key"], "an npm package"),
        system: text(&data["system"][0]["key"], "a system"),
    }
}

fn encoded(key: &str) -> String {
    key.replace('%', "%25").replace(':', "%3A").replace('/', "%2F").replace('@', "%40")
}

/// Every page of the demo, in the order a newcomer meets them.
fn tour_every_page(ui: &mut Explorer, keys: &TourKeys, latest: &str) {
    let from = latest.parse::<spot::Day>().unwrap().minus(7).to_string();
    let pages = [
        ("#/".to_string(), "home", "home"),
        (format!("#/service/{}", encoded(&keys.service)), "service", "service"),
        (format!("#/team/{}", encoded(&keys.team)), "team", "team"),
        (format!("#/entity/{}", encoded(&keys.repo)), "repository", "repository"),
        (format!("#/entity/{}", encoded(&keys.workload)), "workload", "workload"),
        (format!("#/entity/{}", encoded(&keys.doc)), "doc", "doc"),
        (format!("#/entity/{}", encoded(&keys.system)), "system", "system"),
        (format!("#/package/{}", encoded(&keys.package)), "package", "package"),
        ("#/cluster/cluster%3Adc1".to_string(), "cluster", "cluster"),
        (format!("#/graph/{}?depth=2", encoded(&keys.service)), "graph", "graph"),
        ("#/delivery".to_string(), "delivery", "delivery"),
        (format!("#/delivery?team={}", encoded(&keys.team)), "a team's delivery", "delivery-team"),
        ("#/scorecards/production-readiness".to_string(), "scorecards", "scorecards"),
        ("#/hygiene".to_string(), "hygiene", "hygiene"),
        (format!("#/changes?from={from}&to={latest}"), "changes", "changes"),
        ("#/reports".to_string(), "reports: coverage", "report-coverage"),
        ("#/reports?report=quality-gates".to_string(), "reports: quality gates", "report-quality-gates"),
        ("#/reports?report=outdated".to_string(), "reports: outdated", "report-outdated"),
        ("#/reports?report=deploys".to_string(), "reports: deploys", "report-deploys"),
    ];
    ui.eval(CATCH_CONSOLE_ERRORS);
    let mut problems = Vec::new();
    for (hash, page, shot) in &pages {
        problems.extend(ui.tour(hash, page, shot));
    }
    if let Some(sonar) = &keys.sonar {
        problems.extend(ui.tour(&format!("#/entity/{}", encoded(sonar)), "SonarQube project", "sonar-project"));
    }
    assert!(problems.is_empty(), "{} problems:\n{}", problems.len(), problems.join("\n"));
}

/// The organisation's delivery page reads right: the frequency band is
/// the one docs/dora.md gives the pace per deploying service; no failed
/// deploy is in the future or "fixed forward" by its own version; a short
/// last week is drawn as partial.
fn check_delivery(ui: &mut Explorer) {
    ui.open("#/delivery", "delivery");
    let frequency = ui.text("#delivery-figures [data-metric=deploymentFrequency]");
    let band = ui.text("#delivery-figures [data-metric=deploymentFrequency] .badge");
    let per_service: f64 = frequency
        .split(" a day per deploying service")
        .next()
        .and_then(|before| before.rsplit(' ').next())
        .and_then(|n| n.replace(',', "").parse().ok())
        .unwrap_or_else(|| panic!("the frequency says its pace per deploying service: {frequency}"));
    let expected = match per_service {
        p if p >= 1.0 => "elite",
        p if p >= 1.0 / 7.0 => "high",
        p if p >= 1.0 / 30.0 => "medium",
        _ => "low",
    };
    assert_eq!(band, expected, "docs/dora.md's band for {per_service} a day per deploying service: {frequency}");

    ui.wait_for("the failed deploys", "document.querySelector('#delivery-failed tbody tr')");
    let rows = ui.json(
        "[...document.querySelectorAll('#delivery-failed tbody tr')].map((r) => [...r.cells].map((c) => c.innerText))",
    );
    let now = chrono::Utc::now().timestamp();
    for row in rows.as_array().unwrap() {
        let cells: Vec<&str> = row.as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
        let at = shown_time(cells[0]).unwrap_or_else(|| panic!("a time: {cells:?}"));
        assert!(at <= now, "a failed deploy {} min in the future: {cells:?}", (at - now) / 60);
        assert_ne!(cells[4], format!("fixed forward by {}", cells[3]), "fixed forward by its own version: {cells:?}");
    }
    // Ten days: two weeks at most, the last cut short unless the range ends a week.
    let latest = ui.eval("document.getElementById('day').value").as_str().unwrap().to_string();
    let from = latest.parse::<spot::Day>().unwrap().minus(9);
    ui.open(&format!("#/delivery?from={from}&to={latest}"), "ten days of delivery");
    ui.wait_for("the delivery charts", DRAWN);
    let last = ui.json("[...document.querySelector('#delivery-trends .data-table tbody').rows].at(-1) && [...[...document.querySelector('#delivery-trends .data-table tbody').rows].at(-1).cells].slice(0, 2).map((c) => c.innerText)");
    let (start, end) = (last[0].as_str().unwrap(), last[1].as_str().unwrap());
    let days = end.parse::<spot::Day>().unwrap().0 - start.parse::<spot::Day>().unwrap().0 + 1;
    let partial =
        ui.json("[...document.querySelectorAll('#delivery-trends figure')].map((f) => f.dataset.partial ?? null)");
    let notes = ui.text("#delivery-trends");
    if days < 7 {
        assert!(
            partial.as_array().unwrap().iter().all(|p| !p.is_null()),
            "the last week, {start} to {end}, is partial: {partial}"
        );
        assert!(notes.contains(&format!("the last week has {days} of its 7 days")), "{notes}");
    } else {
        assert!(partial.as_array().unwrap().iter().all(Value::is_null), "{start} to {end} is a whole week: {partial}");
    }
}

/// The graph's address as people write it: `direction=in` is IN; a
/// direction that is none is said, not replaced by both ways.
fn check_graph_address(ui: &mut Explorer, service: &str) {
    ui.open(&format!("#/graph/{}?direction=in&depth=2", encoded(service)), "graph, in");
    assert_eq!(ui.eval("document.getElementById('graph-direction').value"), Value::from("IN"));
    let refused = ui.open_failing(&format!("#/graph/{}?direction=sideways", encoded(service)), "graph, sideways");
    assert!(refused.contains("'sideways' is not a direction: use in, out or both"), "{refused}");
}
