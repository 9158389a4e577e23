//! The `spot` binary as a user runs it: bad input gets one clear error line
//! and a non-zero exit, and nothing is half-written.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn spot(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_spot")).args(args).env("SPOT_LOG", "error").output().expect("spot runs")
}

fn data(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name).display().to_string()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).trim().to_string()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).to_string()
}

struct TempDb {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

fn temp_db() -> TempDb {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("spot.db");
    TempDb { _dir: dir, path }
}

impl TempDb {
    fn arg(&self) -> &str {
        self.path.to_str().unwrap()
    }
}

#[test]
fn ingested_files_can_be_read_back_as_of_each_day() {
    let db = temp_db();
    let ingest = spot(&["ingest", "--db", db.arg(), &data("billing-day1.json"), &data("billing-day2.json")]);
    assert!(ingest.status.success(), "{}", stderr(&ingest));
    assert!(stdout(&ingest).contains("pagerduty/acme 2024-03-04 complete: 0 added, 2 changed, 0 closed, 1 unchanged"));
    let day1 = spot(&["entity", "--db", db.arg(), "service:billing-api", "--at", "2024-03-03"]);
    let state: serde_json::Value = serde_json::from_str(&stdout(&day1)).unwrap();
    assert_eq!(state["facts"][0]["attrs"]["urgency"], "high");
    let latest = spot(&["entity", "--db", db.arg(), "service:billing-api"]);
    let state: serde_json::Value = serde_json::from_str(&stdout(&latest)).unwrap();
    assert_eq!(state["facts"][0]["attrs"]["urgency"], "low");
    let timeline = spot(&["timeline", "--db", db.arg(), "team:payments", "on_call"]);
    let points: serde_json::Value = serde_json::from_str(&stdout(&timeline)).unwrap();
    assert_eq!(points.as_array().unwrap().len(), 2);
}

#[test]
fn a_malformed_file_is_named_with_its_line_and_nothing_is_written() {
    let db = temp_db();
    let output = spot(&["ingest", "--db", db.arg(), &data("billing-day1.json"), &data("malformed.json")]);
    assert!(!output.status.success());
    let message = stderr(&output);
    assert_eq!(message.lines().count(), 1, "{message}");
    assert!(
        message.starts_with("error: ") && message.contains("malformed.json: line 3, column 11: expected `:`"),
        "{message}"
    );
    assert!(!db.path.exists(), "the good file before it was not ingested either");
}

#[test]
fn a_bad_field_is_named() {
    let db = temp_db();
    let output = spot(&["ingest", "--db", db.arg(), &data("bad-key.json")]);
    assert!(!output.status.success());
    let message = stderr(&output);
    assert!(message.contains("bad-key.json: entities[0].key: 'billing api' is not an entity key"), "{message}");
    assert!(!db.path.exists(), "nothing was written");
}

#[test]
fn an_unwritable_database_path_is_one_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "not a folder").unwrap();
    let db = file.join("spot.db");
    let output = spot(&["ingest", "--db", db.to_str().unwrap(), &data("billing-day1.json")]);
    assert!(!output.status.success());
    let message = stderr(&output);
    assert_eq!(message.lines().count(), 1, "{message}");
    assert!(message.starts_with(&format!("error: cannot open store at {}", db.display())), "{message}");
}

#[test]
fn an_older_day_is_refused_and_leaves_the_store_as_it_was() {
    let db = temp_db();
    assert!(spot(&["ingest", "--db", db.arg(), &data("billing-day2.json")]).status.success());
    let output = spot(&["ingest", "--db", db.arg(), &data("billing-day1.json")]);
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("refusing pagerduty/acme for 2024-03-03: that scope already has 2024-03-04"),
        "{}",
        stderr(&output)
    );
    let runs: serde_json::Value = serde_json::from_str(&stdout(&spot(&["runs", "--db", db.arg()]))).unwrap();
    assert_eq!(runs.as_array().unwrap().len(), 1);
}

#[test]
fn wrong_dates_and_unknown_names_are_clear_errors() {
    let db = temp_db();
    assert!(spot(&["ingest", "--db", db.arg(), &data("billing-day1.json")]).status.success());
    let bad_date = spot(&["entity", "--db", db.arg(), "service:billing-api", "--at", "2024-02-30"]);
    assert_eq!(bad_date.status.code(), Some(2));
    assert!(stderr(&bad_date).contains("'2024-02-30' is not a date: expected YYYY-MM-DD"), "{}", stderr(&bad_date));
    let unknown = spot(&["entity", "--db", db.arg(), "service:nope"]);
    assert_eq!(stderr(&unknown), "error: no entity 'service:nope' on 2024-03-03");
    let missing_store = spot(&["entity", "--db", "/nonexistent/spot.db", "service:x"]);
    assert!(stderr(&missing_store).starts_with("error: no store at /nonexistent/spot.db"));
    let backwards = spot(&["changes", "--db", db.arg(), "--from", "2024-03-05", "--to", "2024-03-01"]);
    assert_eq!(stderr(&backwards), "error: 'from' (2024-03-05) is after 'to' (2024-03-01)");
}

#[test]
fn generate_builds_a_history_through_ingest_and_refuses_to_overwrite() {
    let db = temp_db();
    let output = spot(&["generate", "--db", db.arg(), "--days", "3", "--start", "2024-01-01", "--seed", "7"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).starts_with("generated 3 days (2024-01-01 to 2024-01-03)"), "{}", stdout(&output));
    let stats: serde_json::Value = serde_json::from_str(&stdout(&spot(&["stats", "--db", db.arg()]))).unwrap();
    assert_eq!(stats["latest_day"], "2024-01-03");
    assert!(stats["stats"]["entities"].as_u64().unwrap() > 10_000);
    let again = spot(&["generate", "--db", db.arg(), "--days", "1"]);
    assert!(stderr(&again).contains("already exists: choose a new file or pass --replace"));
    let found = spot(&["search", "--db", db.arg(), "payments", "--kind", "team"]);
    let teams: serde_json::Value = serde_json::from_str(&stdout(&found)).unwrap();
    assert_eq!(teams[0]["key"], "team:payments");
}

#[test]
fn serve_answers_then_stops_cleanly_on_sigterm() {
    let db = temp_db();
    assert!(spot(&["ingest", "--db", db.arg(), &data("billing-day1.json")]).status.success());
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let listen = format!("127.0.0.1:{port}");
    let mut server = Command::new(env!("CARGO_BIN_EXE_spot"))
        .args(["serve", "--db", db.arg(), "--listen", &listen])
        .env("SPOT_LOG", "error")
        .spawn()
        .unwrap();
    let ready = (0..100).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(100));
        http_get(&listen, "/readyz").is_some_and(|r| r.contains("ready: latest day 2024-03-03"))
    });
    assert!(ready, "the server did not become ready");
    assert!(Command::new("kill").args(["-TERM", &server.id().to_string()]).status().unwrap().success());
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = server.try_wait().unwrap() {
            break status;
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(10), "still running 10 s after SIGTERM");
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert!(status.success(), "exit status after SIGTERM: {status}");
}

/// A bare HTTP/1.1 GET, enough for a readiness probe.
fn http_get(address: &str, path: &str) -> Option<String> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(address).ok()?;
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n").ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    Some(response)
}

#[test]
fn the_example_config_checks_and_prints_no_secret() {
    let dir = tempfile::tempdir().unwrap();
    let secret_file = dir.path().join("operator-token");
    std::fs::write(&secret_file, "operator-token-value-0123456789\n").unwrap();
    let example = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("spot.example.toml")).unwrap();
    let config = dir.path().join("spot.toml");
    std::fs::write(&config, example.replace("/run/secrets/spot-operator-token", secret_file.to_str().unwrap()))
        .unwrap();
    let check = |extra_env: &[(&str, &str)]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_spot"));
        command.args(["config", "check", "--config", config.to_str().unwrap()]).env("SPOT_LOG", "error");
        for (name, value) in [
            ("SPOT_ORCHESTRATOR_TOKEN", "orchestrator-token-value-0123456789"),
            ("SPOT_GITHUB_TOKEN", "ghp_github_value"),
            ("SONAR_TOKEN", "squ_sonar_value"),
            ("CONSUL_HTTP_TOKEN", "consul-acl-value"),
            ("CONFLUENCE_API_TOKEN", "confluence-api-value"),
        ] {
            command.env(name, value);
        }
        for (name, value) in extra_env {
            command.env(name, value);
        }
        command.output().unwrap()
    };
    let ok = check(&[]);
    assert!(ok.status.success(), "{}", stderr(&ok));
    let printed = stdout(&ok);
    assert!(printed.contains("# config OK"), "{printed}");
    assert!(printed.contains("#   environment variable SONAR_TOKEN: set"), "{printed}");
    for secret in [
        "ghp_github_value",
        "orchestrator-token-value",
        "operator-token-value",
        "squ_sonar_value",
        "consul-acl-value",
        "confluence-api-value",
    ] {
        assert!(!printed.contains(secret), "{secret} printed: {printed}");
    }

    // An override from the environment, and a bad one, named.
    let overridden = check(&[("SPOT_SERVER__LISTEN", "127.0.0.1:9999")]);
    assert!(stdout(&overridden).contains("listen = \"127.0.0.1:9999\""), "{}", stdout(&overridden));
    let bad = check(&[("SPOT_COLLECTORS__CONSUL__SCHEDULE__CRON", "0 2 * *"), ("SPOT_SERVER__TIMEOUT", "5")]);
    assert!(!bad.status.success());
    assert!(
        stderr(&bad).contains("server.timeout (from SPOT_SERVER__TIMEOUT): unknown field `timeout`"),
        "{}",
        stderr(&bad)
    );
    assert!(
        stderr(&bad)
            .contains("collectors.consul.schedule.cron (from SPOT_COLLECTORS__CONSUL__SCHEDULE__CRON): '0 2 * *'"),
        "{}",
        stderr(&bad)
    );
    let bad_cron = check(&[("SPOT_COLLECTORS__CONSUL__SCHEDULE__CRON", "0 2 * *")]);
    assert!(
        stderr(&bad_cron).contains(
            "collectors.consul.schedule.cron (from SPOT_COLLECTORS__CONSUL__SCHEDULE__CRON): '0 2 * *' has 4 fields"
        ),
        "{}",
        stderr(&bad_cron)
    );
}

#[test]
fn prune_applies_the_configured_retention() {
    let db = temp_db();
    let ingest = spot(&["ingest", "--db", db.arg(), &data("billing-day1.json"), &data("billing-day2.json")]);
    assert!(ingest.status.success(), "{}", stderr(&ingest));
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("spot.toml");
    std::fs::write(&config, "[retention]\npagerduty = 30\n").unwrap();
    let pruned = spot(&["prune", "--config", config.to_str().unwrap(), "--db", db.arg()]);
    assert!(pruned.status.success(), "{}", stderr(&pruned));
    // The two days are in 2024, long before the cut: what closed then goes.
    assert!(
        stdout(&pruned).starts_with("pagerduty: dropped 2 fact and 0 relation versions closed before"),
        "{}",
        stdout(&pruned)
    );
    let old = spot(&["entity", "--db", db.arg(), "service:billing-api", "--at", "2024-03-03"]);
    assert!(!stdout(&old).contains("\"urgency\": \"high\""), "{}", stdout(&old));

    std::fs::write(&config, "[retention]\npagerduty = 3\n").unwrap();
    let short = spot(&["prune", "--config", config.to_str().unwrap(), "--db", db.arg()]);
    assert_eq!(stderr(&short), "error: retention.pagerduty: 3 days is too short; keep at least 7");
}

// Hardening: what a user (or an attacker who wrote a file) gives SPoT.

/// Writes `text` to `name` in a fresh folder, returning both.
fn temp_file(name: &str, text: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    (dir, path.display().to_string())
}

fn spot_with_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_spot"));
    command.args(args).env("SPOT_LOG", "error");
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().expect("spot runs")
}

#[test]
fn errors_that_echo_input_stay_one_short_line_even_with_json_logs() {
    let forged_log_line = r#"{"level":"ERROR","fields":{"message":"forged"}}"#;
    let key = format!("service:{}\n{forged_log_line}\r\u{1b}[2K", "a".repeat(10 << 20));
    let observation = serde_json::json!({"source": "x", "scope": "y", "day": "2024-03-03", "complete": true,
                                         "entities": [{"key": key, "kind": "service", "name": "n"}]});
    let (_dir, file) = temp_file("evil.json", &observation.to_string());
    let db = temp_db();
    let output = spot(&["--log-format", "json", "ingest", "--db", db.arg(), &file]);
    assert!(!output.status.success());
    let message = stderr(&output);
    assert_eq!(message.lines().count(), 1, "{}", &message[..message.len().min(500)]);
    assert!(message.len() < 500, "{} bytes", message.len());
    assert!(!message.chars().any(char::is_control), "{message:?}");
    assert!(message.contains("evil.json: entities[0].key: 'service:aaaa"), "{message}");
    assert!(message.contains(&format!("…' ({} bytes) is not an entity key", key.len())), "{message}");
}

#[test]
fn secrets_in_config_urls_are_hidden_from_config_check() {
    let (_dir, config) = temp_file(
        "spot.toml",
        r#"
[collectors.sonarqube]
base_url = "https://sonar.acme.internal/?token=sonar-query-secret"
token_env = "SPOT_TEST_SONAR_TOKEN"
"#,
    );
    let ok = spot_with_env(&["config", "check", "--config", &config], &[("SPOT_TEST_SONAR_TOKEN", "squ_value")]);
    assert!(ok.status.success(), "{}", stderr(&ok));
    assert!(stdout(&ok).contains(r#"base_url = "https://sonar.acme.internal/?token=***""#), "{}", stdout(&ok));
    assert!(!stdout(&ok).contains("sonar-query-secret"), "{}", stdout(&ok));

    let (_dir, config) = temp_file(
        "spot.toml",
        r#"
[store.arangodb]
url = "tcp://root:arango-password@arango.acme.internal:8529"
[collectors.consul]
base_url = "http://spot:consul-password@consul.acme.internal:8500"
datacenters = ["dc1"]
[collectors.sonarqube]
base_url = "https://sonar.acme.internal"
auth = "https://user:enum-password@sonar.acme.internal"
"#,
    );
    let bad = spot_with_env(
        &["config", "check", "--config", &config],
        &[
            ("SPOT_COLLECTORS__CONFLUENCE__BASE_URL", "https://x:env-password@wiki?access_token=env-token"),
            ("SPOT_COLLECTORS__CONFLUENCE__SPACES", "[\"ENG\"]"),
        ],
    );
    assert!(!bad.status.success());
    let (out, err) = (stdout(&bad), stderr(&bad));
    for secret in ["arango-password", "consul-password", "enum-password", "env-password", "env-token"] {
        assert!(!out.contains(secret) && !err.contains(secret), "{secret} printed:\n{out}\n{err}");
    }
    assert!(err.contains("store.arangodb.url: 'tcp://root:***@arango.acme.internal:8529'"), "{err}");
    assert!(err.contains("base_url 'http://spot:***@consul.acme.internal:8500/'"), "{err}");
    assert!(err.contains("unknown variant `https://user:***@sonar.acme.internal/`"), "{err}");
}

#[test]
fn secrets_two_tokens_with_the_same_value_are_refused_by_config_check_and_serve() {
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("ci-token");
    std::fs::write(&token_file, "the-same-token-value-0123456789\n").unwrap();
    let config = dir.path().join("spot.toml");
    std::fs::write(
        &config,
        format!(
            "[[auth.tokens]]\nname = \"orchestrator\"\nscopes = [\"read\"]\ntoken_env = \"SPOT_TEST_DUP_TOKEN\"\n\
             [[auth.tokens]]\nname = \"ci\"\nscopes = [\"read\", \"write\"]\ntoken_file = \"{}\"\n",
            token_file.display()
        ),
    )
    .unwrap();
    let config = config.to_str().unwrap();
    let env = [("SPOT_TEST_DUP_TOKEN", "the-same-token-value-0123456789")];
    let expected = format!(
        "auth.tokens: token 'orchestrator' (environment variable SPOT_TEST_DUP_TOKEN) and token 'ci' (file {}) \
         hold the same value: give each its own",
        token_file.display()
    );

    let check = spot_with_env(&["config", "check", "--config", config], &env);
    assert!(!check.status.success());
    assert!(stderr(&check).contains(&expected), "{}", stderr(&check));
    assert!(!stderr(&check).contains("the-same-token-value") && !stdout(&check).contains("the-same-token-value"));

    let db = temp_db();
    let mut server = Command::new(env!("CARGO_BIN_EXE_spot"))
        .args(["serve", "--config", config, "--db", db.arg(), "--listen", "127.0.0.1:0"])
        .env("SPOT_LOG", "error")
        .env(env[0].0, env[0].1)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while server.try_wait().unwrap().is_none() {
        if started.elapsed() > std::time::Duration::from_secs(10) {
            server.kill().unwrap();
            panic!("spot serve started with two tokens of one value");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let output = server.wait_with_output().unwrap();
    assert!(!output.status.success());
    assert!(stderr(&output).contains(&expected), "{}", stderr(&output));
}

#[test]
fn config_check_reports_every_unknown_key_and_bad_value_at_once() {
    let (_dir, config) = temp_file(
        "spot.toml",
        r#"[server]
listen = "127.0.0.1:8080"
timeout = 5
[scheduler]
concurrency = "four"
colour = "red"
[collectors.consul]
base_url = "http://127.0.0.1:8500"
datacenters = ["dc1"]
[collectors.consul.schedule]
cron = "61 * * * *"
timezone = "Mars/Olympus"
"#,
    );
    let output = spot_with_env(&["config", "check", "--config", &config], &[("SPOT_LIMITS__DEPTH", "deep")]);
    assert!(!output.status.success());
    let message = stderr(&output);
    let problems: Vec<&str> = message.lines().skip(1).map(str::trim).collect();
    assert!(message.starts_with(&format!("error: config {config}: 6 problems:")), "{message}");
    let expected = [
        "limits.depth (from SPOT_LIMITS__DEPTH): invalid type: string \"deep\", expected usize".to_string(),
        format!("{config}:6: scheduler.colour: unknown field `colour`, expected `concurrency` or `lease_ttl_s`"),
        format!("{config}:5: scheduler.concurrency: invalid type: string \"four\", expected usize"),
        format!(
            "{config}:3: server.timeout: unknown field `timeout`, expected one of `listen`, `request_timeout_ms`, \
             `body_limit_bytes`, `max_connections`, `header_read_timeout_ms`, `allowed_hosts`, `metrics_access`, \
             `metric_operations`"
        ),
        format!(
            "{config}:12: collectors.consul.schedule.timezone: 'Mars/Olympus' is not an IANA timezone (e.g. UTC, Europe/Berlin)"
        ),
    ];
    for (problem, expected) in problems.iter().zip(&expected) {
        assert_eq!(problem, expected, "{message}");
    }
    let cron = format!("{config}:11: collectors.consul.schedule.cron: '61 * * * *' is not a cron expression");
    assert!(problems[5].starts_with(&cron), "{message}");
}
