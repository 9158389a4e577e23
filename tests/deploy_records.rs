//! What `recordDeployment` accepts, over a real server on loopback (issue
//! 33, items 5 to 7): dates within the ingest allowance and not before
//! 2000, http(s) links only, every text bounded, names as ingest reads
//! them; a refused deploy writes nothing, and a recorded one is logged
//! with its names quoted.

#[path = "support/graphql.rs"]
#[allow(dead_code)] // each test binary uses its part
mod graphql;

use std::io::Write;
use std::sync::{Arc, Mutex};

use chrono::{Duration, Utc};
use serde_json::json;
use spot::config::Config;
use spot::model::DeployFilter;
use spot::{SqliteStore, Store};

/// A server over an empty store, and the store's file to read it back.
async fn start() -> (graphql::Api, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("spot.db");
    let store = SqliteStore::open(&path).unwrap();
    (graphql::serve(&Config::default(), store, dir).await, path)
}

/// Every deploy the store holds, whatever its date.
async fn recorded(path: &std::path::Path) -> Vec<String> {
    let store = SqliteStore::open_read_only(path).unwrap();
    let every = DeployFilter {
        from: chrono::DateTime::<Utc>::MIN_UTC,
        to: chrono::DateTime::<Utc>::MAX_UTC,
        ..DeployFilter::default()
    };
    store.deploys(&every).await.unwrap().into_iter().map(|d| format!("{} {}", d.version, d.at.to_rfc3339())).collect()
}

/// The message and code of a mutation that must fail.
async fn refused(api: &graphql::Api, arguments: &str) -> (String, String) {
    let query = format!(r#"mutation {{ recordDeployment({arguments}) {{ version link }} }}"#);
    let (_, body) = api.post(json!({ "query": query }), None).await;
    let error = &body["errors"][0];
    let message = error["message"].as_str().unwrap_or_else(|| panic!("{arguments} was recorded: {body:#}"));
    (message.to_string(), error["extensions"]["code"].as_str().unwrap_or_default().to_string())
}

const BILLING: &str = r#"service: "billing", cluster: "dc1", version: "1.0.0""#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deploy_dated_past_the_ingest_allowance_or_before_2000_is_refused_and_nothing_is_written() {
    let (api, path) = start().await;
    let now = Utc::now().format("%Y-%m-%dT%H:%M:%SZ");
    let cases = [
        (r#"at: "2999-06-01T10:00:00Z""#.to_string(), "at 2999-06-01T10:00:00+00:00 is more than 1 day(s) after today"),
        (r#"at: "9999-12-31T00:00:00Z""#.to_string(), "at 9999-12-31T00:00:00+00:00 is more than 1 day(s) after today"),
        (r#"at: "0001-01-01T00:00:00Z""#.to_string(), "at 0001-01-01T00:00:00+00:00 is before 2000-01-01"),
        (r#"at: "1999-12-31T23:59:59Z""#.to_string(), "is before 2000-01-01, the earliest date a deploy may have"),
        (format!(r#"at: "{now}", finishedAt: "9999-12-31T00:00:00Z""#), "finishedAt 9999-12-31T00:00:00+00:00 is more"),
        (
            format!(r#"at: "{now}", commits: [{{ sha: "abc", at: "0001-01-01T00:00:00Z" }}]"#),
            "firstCommitAt (the oldest of commits) 0001-01-01T00:00:00+00:00 is before 2000-01-01",
        ),
    ];
    for (dates, says) in cases {
        let (message, code) = refused(&api, &format!("{BILLING}, {dates}")).await;
        assert!(message.contains(says), "{dates}: {message}");
        assert!(message.contains("ingest.max_future_days = 1") || message.contains("2000-01-01"), "{message}");
        assert!(message.ends_with("nothing was written"), "{message}");
        assert_eq!(code, "BAD_REQUEST", "{dates}");
    }
    assert_eq!(recorded(&path).await, Vec::<String>::new(), "no refused deploy was written");
    let tomorrow = (Utc::now() + Duration::days(1)).format("%Y-%m-%dT12:00:00Z");
    api.data(&format!(r#"mutation {{ recordDeployment({BILLING}, at: "{tomorrow}") {{ version }} }}"#)).await;
    api.data(&format!(r#"mutation {{ recordDeployment({BILLING}, at: "2000-01-01T00:00:00Z") {{ version }} }}"#)).await;
    assert_eq!(recorded(&path).await.len(), 2, "tomorrow is within the allowance, and 2000-01-01 is the first day");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deploy_link_is_http_or_https_and_every_text_is_bounded() {
    let (api, path) = start().await;
    let huge = "a".repeat(100 << 10);
    let long_link = format!("https://ci.acme.example/{}", "a".repeat(2_048));
    let cases = [
        (
            r#"link: "javascript:alert(document.cookie)""#.to_string(),
            "link: not an http(s) URL: its scheme is javascript",
        ),
        (
            r#"link: "data:text/html,<script>alert(1)</script>""#.to_string(),
            "link: not an http(s) URL: its scheme is data",
        ),
        (r#"link: "/relative/build/42""#.to_string(), "link: not a URL"),
        (format!(r#"link: "{long_link}""#), "link must be at most 2048 bytes (2072 given)"),
        (format!(r#"actor: "{huge}""#), "actor must be 1 to 200 characters (102400 bytes given)"),
        (format!(r#"reason: "{}""#, "r".repeat(2_001)), "reason must be 1 to 2000 characters"),
        (format!(r#"commit: "{}""#, "c".repeat(201)), "commit must be 1 to 200 characters"),
        (format!(r#"workload: "{}""#, "w".repeat(201)), "workload must be 1 to 200 characters"),
    ];
    for (field, says) in cases {
        let (message, code) = refused(&api, &format!("{BILLING}, {field}")).await;
        assert!(message.starts_with(says), "{}: {message}", &field[..field.len().min(60)]);
        assert!(message.len() < 300, "the error does not echo the value: {} bytes", message.len());
        assert_eq!(code, "BAD_REQUEST");
    }
    for (field, value) in [("service", "s"), ("cluster", "c"), ("version", "v")] {
        let arguments = BILLING.replace(&format!("{field}: \""), &format!("{field}: \"{}", value.repeat(200)));
        let (message, _) = refused(&api, &arguments).await;
        assert!(message.starts_with(&format!("{field} must be 1 to 200 characters")), "{message}");
    }
    assert_eq!(recorded(&path).await, Vec::<String>::new());
    let kept = api
        .data(&format!(
            r#"mutation {{ recordDeployment({BILLING}, link: "https://CI.acme.example/builds/42") {{ link }} }}"#
        ))
        .await;
    assert_eq!(
        kept["recordDeployment"]["link"], "https://ci.acme.example/builds/42",
        "kept as the URL parser reads it"
    );
}

/// Log lines, as the server writes them, into a buffer a test reads.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_with_a_newline_cr_or_esc_are_refused_as_ingest_refuses_them_and_logged_names_are_quoted() {
    let log = Captured::default();
    let writer = log.clone();
    let subscriber = tracing_subscriber::fmt().with_ansi(false).with_writer(move || writer.clone()).finish();
    tracing::subscriber::set_global_default(subscriber).unwrap();
    let (api, path) = start().await;
    let cases = [
        (
            r#"service: "billing\nERROR forged line", cluster: "dc1", version: "1.0.0""#,
            r"service: 'service:billing\nERROR forged line' has a control character",
        ),
        (
            r#"service: "billing api", cluster: "dc1", version: "1.0.0""#,
            "service: 'service:billing api' is not an entity key",
        ),
        (r#"service: "billing", cluster: "dc1\r", version: "1.0.0""#, r"cluster: 'dc1\r' has a control character"),
        (
            r#"service: "billing", cluster: "dc 1", version: "1.0.0""#,
            "cluster: 'dc 1' must be 1-200 characters of letters, digits and _-./:@",
        ),
        (
            r#"service: "billing", cluster: "dc1", version: "1.0\u001b[2J""#,
            r"version: '1.0\u{1b}[2J' has a control character",
        ),
        (r#"service: "billing", cluster: "dc1", version: "1.0 final""#, "version: '1.0 final' must have no whitespace"),
        (r#"service: "billing", cluster: "dc1", version: "1.0", actor: "ci\u202ebot""#, r"actor: 'ci\u{202e}bot'"),
    ];
    for (arguments, says) in cases {
        let (message, code) = refused(&api, arguments).await;
        assert!(message.starts_with(says), "{arguments}: {message}");
        assert!(!message.chars().any(char::is_control), "the error is one printable line: {message:?}");
        assert_eq!(code, "BAD_REQUEST");
    }
    assert_eq!(recorded(&path).await, Vec::<String>::new());
    api.data(
        r#"mutation { recordDeployment(service: "ledger", cluster: "dc1", version: "1.0.0+build.7") { version } }"#,
    )
    .await;
    let logged = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    // The other tests of this binary log their deploys here too.
    let line = logged.lines().find(|l| l.contains("recorded deployment service='service:ledger'"));
    let line = line.unwrap_or_else(|| panic!("{logged}"));
    assert!(line.contains("service='service:ledger' cluster='dc1' version='1.0.0+build.7'"), "{line}");
    assert!(!logged.contains("forged line\n") && !logged.contains("ERROR forged"), "{logged}");
}
