//! The examples in docs/ are run, so they stay true.

use std::path::Path;
use std::process::Command;

fn fenced_blocks(doc: &str, tag: &str) -> Vec<String> {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(doc)).unwrap();
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        match &mut current {
            None if line.trim() == format!("```{tag}") => current = Some(String::new()),
            Some(block) if line.trim() == "```" => {
                blocks.push(std::mem::take(block));
                current = None;
            }
            Some(block) => {
                block.push_str(line);
                block.push('\n');
            }
            None => {}
        }
    }
    assert!(!blocks.is_empty(), "{doc} has no ```{tag} block");
    blocks
}

#[test]
fn the_ingest_guide_example_is_a_valid_observation() {
    for block in fenced_blocks("docs/ingest.md", "json observation") {
        spot::observations::parse("docs/ingest.md", &block).expect("the documented example parses");
    }
}

#[test]
fn the_command_line_session_runs() {
    run_session("docs/cli.md");
}

#[test]
fn the_backfill_session_runs() {
    run_session("docs/backfill.md");
}

#[test]
fn the_operations_session_runs() {
    run_session("docs/operations.md");
}

/// Runs each line of a doc's `sh session` blocks in order; files the
/// session creates (`*.db`, `*.jsonl`) live in a temporary folder.
fn run_session(doc: &str) {
    let dir = tempfile::tempdir().unwrap();
    for block in fenced_blocks(doc, "sh session") {
        for line in block.lines().filter(|l| !l.trim().is_empty()) {
            let words: Vec<String> = line
                .split_whitespace()
                .map(|w| {
                    if w.ends_with(".db") || w.ends_with(".jsonl") {
                        dir.path().join(w).display().to_string()
                    } else {
                        w.to_string()
                    }
                })
                .collect();
            assert_eq!(words[0], "spot", "{line}");
            let output = Command::new(env!("CARGO_BIN_EXE_spot"))
                .args(&words[1..])
                .current_dir(env!("CARGO_MANIFEST_DIR"))
                .env("SPOT_LOG", "error")
                .output()
                .unwrap();
            assert!(output.status.success(), "`{line}` failed: {}", String::from_utf8_lossy(&output.stderr));
            assert!(!output.stdout.is_empty(), "`{line}` printed nothing");
        }
    }
}

#[test]
fn every_collector_page_has_a_config_example_that_builds() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/collectors");
    let mut pages: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    pages.sort();
    assert!(!pages.is_empty());
    for page in pages {
        let doc = format!("docs/collectors/{}", page.file_name().unwrap().to_string_lossy());
        for block in fenced_blocks(&doc, "toml") {
            let (block, _key_dir) = with_a_generated_app_key(&block);
            let config: spot::config::Config =
                toml::from_str(&block).unwrap_or_else(|e| panic!("{doc}: the example config does not parse: {e}"));
            let names = config.collectors.configured();
            assert_eq!(names.len(), 1, "{doc}: the example configures one collector");
            // The example's secrets are named, not given: give them values.
            for line in block.lines().filter(|l| l.trim_start().starts_with("token_env")) {
                let var = line.split('"').nth(1).expect("token_env = \"NAME\"");
                std::env::set_var(var, "example-token-value");
            }
            config.collectors.build(names[0]).unwrap_or_else(|e| panic!("{doc}: the example config is refused: {e}"));
        }
    }
}

/// A GitHub App example names its private key file: give it a freshly
/// generated key (kept while the folder returned lives).
fn with_a_generated_app_key(block: &str) -> (String, Option<tempfile::TempDir>) {
    let Some(line) = block.lines().find(|l| l.trim_start().starts_with("app_key_file")) else {
        return (block.to_string(), None);
    };
    let named = line.split('"').nth(1).expect("app_key_file = \"PATH\"");
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("app.pem");
    std::fs::write(&key_file, collectors::github::fake::TestKey::generate().private_pem).unwrap();
    (block.replace(named, key_file.to_str().unwrap()), Some(dir))
}

#[test]
fn the_arangodb_config_example_is_a_valid_config() {
    for block in fenced_blocks("docs/arangodb.md", "toml") {
        let config: spot::config::Config = toml::from_str(&block).expect("the documented config parses");
        let arango = config.store.arangodb.clone().expect("the example selects ArangoDB");
        assert_eq!((arango.url.as_str(), arango.database.as_str()), ("http://127.0.0.1:8529", "spot"));
        let problems = spot::config::check::problems(&config);
        if std::env::var_os("SPOT_ARANGO_PASSWORD").is_none() {
            assert_eq!(
                problems,
                ["store.arangodb password: environment variable SPOT_ARANGO_PASSWORD is not set"],
                "only the secret, which lives outside the file, is missing"
            );
        }
    }
}

#[test]
fn the_identity_config_example_is_a_valid_config() {
    for block in fenced_blocks("docs/identity.md", "toml") {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("spot.toml");
        std::fs::write(&path, &block).unwrap();
        let config =
            spot::config::Config::resolve(Some(&path), Vec::new()).expect("the documented [identity] is valid");
        assert_eq!(config.identity.pins.len(), 2);
        assert_eq!(config.identity.aliases["storefront"], "frontend");
    }
}

#[test]
fn the_links_examples_are_valid_and_render_urls_for_grafana_kibana_datadog_and_jenkins() {
    use spot::links::{LinkContext, Links, LinksConfig};
    let blocks = fenced_blocks("docs/links.md", "toml");
    let config: spot::config::Config = toml::from_str(&blocks[0]).expect("the [links] example parses");
    assert_eq!(spot::config::check::problems(&config), Vec::<String>::new());
    let links = Links::new(&config.links).unwrap();
    let rendered = links.render(&LinkContext::sample());
    let titles: Vec<&str> = rendered.iter().map(|l| l.title.as_str()).collect();
    assert_eq!(titles, ["Jenkins", "Grafana", "Traces (Datadog)", "Logs (Kibana)", "Logs (Loki)", "Runbook"]);
    let loki = url::Url::parse(&rendered[4].url).unwrap();
    let left = loki.query_pairs().find(|(k, _)| k == "left").expect("Grafana's explore state").1;
    let state: serde_json::Value = serde_json::from_str(&left).expect("the explore state is JSON");
    assert_eq!(state["queries"][0]["expr"], r#"{namespace="payments",app="billing"}"#);
    assert_eq!(state["range"], serde_json::json!({"from": "1767268800000", "to": "1767270600000"}));
    assert_eq!(rendered[0].url, "https://jenkins.acme.internal/job/acme/job/billing/");

    let defaults: LinksConfig = toml::from_str::<spot::config::Config>(&blocks[1]).unwrap().links;
    assert_eq!(defaults, LinksConfig::default(), "the documented annotation patterns are the defaults");
}

#[test]
fn the_delivery_config_example_is_valid_and_names_the_environments() {
    let blocks = fenced_blocks("docs/dora.md", "toml");
    let config: spot::config::Config = toml::from_str(&blocks[0]).expect("the [delivery] example parses");
    assert_eq!(spot::config::check::problems(&config), Vec::<String>::new());
    assert_eq!(config.delivery.fix_forward_minutes, 60);
    assert_eq!(config.delivery.environment_of("dc2"), "production");
    assert_eq!(config.delivery.environment_of("stg"), "staging");
    assert_eq!(config.delivery.environment_of("lab"), "unclassified");
}

#[tokio::test]
async fn the_delivery_queries_documented_are_valid_against_the_schema() {
    use spot::api::{self, Grants, Limits};
    let dir = tempfile::tempdir().unwrap();
    let store = std::sync::Arc::new(spot::SqliteStore::open(dir.path().join("spot.db")).unwrap());
    let schema = api::schema(store, Limits::default());
    let blocks = fenced_blocks("docs/dora.md", "graphql");
    assert_eq!(blocks.len(), 2);
    for block in blocks {
        let request = api::request(&schema, async_graphql::Request::new(block.clone()), Grants::all("docs"));
        let response = schema.execute(request).await;
        // The store is empty: a resolver may find nothing (an error on its
        // field's path), but the document must validate (errors without a path).
        let invalid: Vec<_> = response.errors.iter().filter(|e| e.path.is_empty()).collect();
        assert!(invalid.is_empty(), "{block}: {invalid:?}");
    }
}

#[test]
fn the_scorecard_examples_are_valid_and_the_config_names_their_files() {
    for block in fenced_blocks("docs/scorecards.md", "toml scorecard") {
        spot::scorecards::Scorecards::read([(Path::new("example.toml"), block.as_str())])
            .expect("the documented scorecard is valid");
    }
    let config: spot::config::Config =
        toml::from_str(&fenced_blocks("docs/scorecards.md", "toml")[0]).expect("the [scorecards] example parses");
    assert_eq!(config.scorecards.paths, vec![Path::new("scorecards")]);
}

#[test]
fn the_scorecard_check_example_prints_what_the_doc_shows() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("scorecards")).unwrap();
    let broken = &fenced_blocks("docs/scorecards.md", "toml broken-scorecard")[0];
    std::fs::write(dir.path().join("scorecards/broken.toml"), broken).unwrap();
    std::fs::write(dir.path().join("spot.toml"), "[scorecards]\npaths = [\"scorecards\"]\n").unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_spot"))
        .args(["config", "check", "--config", "spot.toml"])
        .current_dir(dir.path())
        .env("SPOT_LOG", "error")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let expected = &fenced_blocks("docs/scorecards.md", "text config-check")[0];
    assert_eq!(String::from_utf8_lossy(&output.stderr).trim_end(), expected.trim_end());
}

#[tokio::test]
async fn the_scorecard_queries_documented_are_valid_against_the_schema() {
    use spot::api::{self, Grants, Limits};
    let dir = tempfile::tempdir().unwrap();
    let store = std::sync::Arc::new(spot::SqliteStore::open(dir.path().join("spot.db")).unwrap());
    let schema = api::schema(store, Limits::default());
    for block in fenced_blocks("docs/scorecards.md", "graphql") {
        let request = api::request(&schema, async_graphql::Request::new(block.clone()), Grants::all("docs"));
        let response = schema.execute(request).await;
        // No scorecard and no data: resolvers fail on their paths, but the
        // document must validate (errors without a path).
        let invalid: Vec<_> = response.errors.iter().filter(|e| e.path.is_empty()).collect();
        assert!(invalid.is_empty(), "{block}: {invalid:?}");
    }
}

/// The schema and docs/scorecards.md say how far back `failingSince`
/// looks as the code looks: `history::SINCE_LOOKBACK_DAYS` days, day by day.
#[test]
fn failing_since_looks_back_as_far_as_the_schema_and_the_guide_say() {
    let days = spot::scorecards::history::SINCE_LOOKBACK_DAYS;
    let schema = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema/spot.graphql")).unwrap();
    let at = schema.find("failingSince").expect("the schema has failingSince");
    // The description is the block quoted with triple quotes just before it.
    let before = &schema[..at];
    let end = before.rfind("\"\"\"").unwrap();
    let described = &before[before[..end].rfind("\"\"\"").unwrap()..end];
    assert!(described.contains(&format!("at most {days} days")), "{described}");
    assert!(!described.contains("two years") && !described.contains("a week at a time"), "{described}");
    let guide = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/scorecards.md")).unwrap();
    assert!(guide.contains(&format!("at most {days} days back")), "docs/scorecards.md names the lookback");
}

/// docs/backstage.md's example catalog file gives the relations and the
/// finding the guide shows, through the GitHub collector's own mapping.
#[test]
fn the_backstage_guide_example_maps_to_the_relations_it_shows() {
    use collectors::github::{map, sync::RepoFiles};
    let file = &fenced_blocks("docs/backstage.md", "yaml backstage")[0];
    let repo = RepoFiles::from_files("artist-lookup", &[], &[("catalog-info.yaml", file)]);
    let day: spot::Day = "2026-11-02".parse().unwrap();
    let identity = Default::default();
    let context = map::OrgContext { host: "github.com", org: "acme", day, identity: &identity };
    let mut observation = collectors::Observation::new("github", "acme", day);
    map::observe(&context, &[repo], &mut observation);
    let mut relations: Vec<String> = observation
        .relations
        .iter()
        .filter(|r| !r.from.starts_with("repo:") && !r.to.starts_with("repo:"))
        .map(|r| format!("{} {} {}", r.from, r.kind, r.to))
        .collect();
    relations.sort();
    let mut shown: Vec<String> =
        fenced_blocks("docs/backstage.md", "text backstage-relations")[0].lines().map(str::to_string).collect();
    shown.sort();
    assert_eq!(relations, shown);
    let guide = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/backstage.md")).unwrap();
    let finding = observation.warnings.iter().find(|w| w.contains("invalid component")).expect("the finding");
    let place = finding.split(": ").nth(1).unwrap();
    assert!(guide.contains(&format!("one finding, `{place}`")), "the guide names {place}: {finding}");
}

/// The queries of the Backstage and service-graph guides are valid against
/// the schema.
#[tokio::test]
async fn the_backstage_and_graph_guides_queries_are_valid_against_the_schema() {
    use spot::api::{self, Grants, Limits};
    let dir = tempfile::tempdir().unwrap();
    let store = std::sync::Arc::new(spot::SqliteStore::open(dir.path().join("spot.db")).unwrap());
    let schema = api::schema(store, Limits::default());
    let blocks = [fenced_blocks("docs/backstage.md", "graphql"), fenced_blocks("docs/graph.md", "graphql")];
    for block in blocks.concat() {
        let request = api::request(&schema, async_graphql::Request::new(block.clone()), Grants::all("docs"));
        let response = schema.execute(request).await;
        let invalid: Vec<_> = response.errors.iter().filter(|e| e.path.is_empty()).collect();
        assert!(invalid.is_empty(), "{block}: {invalid:?}");
    }
}

/// docs/changes.md: its command-line session runs on the demo
/// organisation, and its queries are valid against the schema.
#[test]
fn the_change_intelligence_session_runs() {
    run_session("docs/changes.md");
}

#[tokio::test]
async fn the_change_intelligence_queries_documented_are_valid_against_the_schema() {
    use spot::api::{self, Grants, Limits};
    let dir = tempfile::tempdir().unwrap();
    let store = std::sync::Arc::new(spot::SqliteStore::open(dir.path().join("spot.db")).unwrap());
    let schema = api::schema(store, Limits::default());
    for block in fenced_blocks("docs/changes.md", "graphql") {
        let request = api::request(&schema, async_graphql::Request::new(block.clone()), Grants::all("docs"));
        let response = schema.execute(request).await;
        let invalid: Vec<_> = response.errors.iter().filter(|e| e.path.is_empty()).collect();
        assert!(invalid.is_empty(), "{block}: {invalid:?}");
    }
}

// ---------------------------------------------------------------------------
// The README's examples, run against the demo organisation as `spot demo`
// makes it (its first days, ending today): names that exist, answers that
// are not empty.

/// `days` days of the demo organisation ending today, in `dir/spot-demo.db`
/// (where `spot demo` writes it), with the demo's watch and present.
async fn demo_store(dir: &Path, days: usize) -> std::path::PathBuf {
    let path = dir.join("spot-demo.db");
    let store = spot::SqliteStore::open(&path).unwrap();
    let today = spot::Day::today();
    let config = collectors::synthetic::SyntheticConfig {
        watch_from: Some(today.minus(2)),
        until: Some(chrono::Utc::now()),
        ..collectors::synthetic::SyntheticConfig::new(1, 42, today.minus(days as i32 - 1))
    };
    spot::generate::generate(&store, config, days, |_| {}).await.expect("the demo generates");
    path
}

/// What an example's answer shows: an empty list, a null or a zero count
/// where the doc shows data is a name or a date the demo lacks.
fn emptiness(path: &str, value: &serde_json::Value, found: &mut Vec<String>) {
    use serde_json::Value;
    match value {
        Value::Null => found.push(format!("{path} is null")),
        Value::Array(items) if items.is_empty() => found.push(format!("{path} is []")),
        Value::Object(fields) => {
            if fields.get("totalCount").is_some_and(|c| c == 0) {
                found.push(format!("{path}.totalCount is 0"));
            }
            for (name, field) in fields.iter().filter(|(name, _)| name.as_str() != "totalCount") {
                if field.is_null() || field.as_array().is_some_and(Vec::is_empty) || field.is_object() {
                    emptiness(&format!("{path}.{name}"), field, found);
                }
            }
        }
        _ => {}
    }
}

/// A command line as a shell splits it: words, 'single-quoted' ones whole.
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '\'' => {
                quoted = !quoted;
                word.get_or_insert_with(String::new);
            }
            c if c.is_whitespace() && !quoted => words.extend(word.take()),
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(word);
    words
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readme_examples_run_against_the_demo() {
    use spot::api::{self, Grants, Limits};
    let dir = tempfile::tempdir().unwrap();
    let path = demo_store(dir.path(), 8).await;
    let store = std::sync::Arc::new(spot::SqliteStore::open(&path).unwrap());
    let schema = api::schema(store, Limits::default());
    for block in fenced_blocks("README.md", "graphql") {
        let request = api::request(&schema, async_graphql::Request::new(block.clone()), Grants::all("docs"));
        let response = schema.execute(request).await;
        assert!(response.errors.is_empty(), "{block}: {:?}", response.errors);
        let data = response.data.into_json().unwrap();
        let mut empty = Vec::new();
        emptiness("data", &data, &mut empty);
        assert!(empty.is_empty(), "the README's query answers nothing on the demo: {empty:?}\n{block}\n{data:#}");
    }
    for block in fenced_blocks("README.md", "sh demo") {
        for line in block.lines().map(|l| l.split(" #").next().unwrap().trim()).filter(|l| !l.is_empty()) {
            let words = shell_words(line);
            assert_eq!(words[0], "target/release/spot", "{line}");
            // Run where `spot demo` wrote its store: the reads find it without --db.
            let output = Command::new(env!("CARGO_BIN_EXE_spot"))
                .args(&words[1..])
                .current_dir(dir.path())
                .env("SPOT_LOG", "error")
                .env_remove("SPOT_DB")
                .env_remove("SPOT_CONFIG")
                .output()
                .unwrap();
            let stdout = String::from_utf8_lossy(&output.stdout);
            assert!(output.status.success(), "`{line}` failed: {}", String::from_utf8_lossy(&output.stderr));
            let answer: serde_json::Value = serde_json::from_str(&stdout).unwrap_or(serde_json::Value::Bool(true));
            let mut empty = Vec::new();
            emptiness("answer", &answer, &mut empty);
            assert!(
                !stdout.trim().is_empty() && empty.is_empty(),
                "`{line}` answers nothing on the demo: {empty:?} {stdout}"
            );
        }
    }
}
