//! The `spot` binary as a user runs it: bad input gets one clear error line
//! and a non-zero exit, and nothing is half-written.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

#[path = "support/wait.rs"]
mod wait;
use wait::wait_for;

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
fn rebuild_views_derives_every_lane_with_the_configured_window_and_never_makes_a_store() {
    let db = temp_db();
    let missing = spot(&["rebuild-views", "--db", db.arg()]);
    assert!(stderr(&missing).starts_with("error: no store at"), "{}", stderr(&missing));
    assert!(!db.path.exists(), "a mistyped --db makes no empty store");

    let generated = spot(&["generate", "--db", db.arg(), "--days", "2", "--start", "2024-01-01", "--seed", "7"]);
    assert!(generated.status.success(), "{}", stderr(&generated));
    let (_dir, config) = temp_file("spot.toml", "[delivery]\nfix_forward_minutes = 30\n");
    let rebuilt = spot(&["rebuild-views", "--db", db.arg(), "--config", &config]);
    assert!(rebuilt.status.success(), "{}", stderr(&rebuilt));
    let said = stdout(&rebuilt);
    assert!(said.contains("delivery views derived for") && said.contains("with fix-forward 30 min"), "{said}");
    let lanes: u64 = said.split("derived for ").nth(1).unwrap().split(' ').next().unwrap().parse().unwrap();
    assert!(lanes > 100, "every lane of the generated deploys: {said}");
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
    wait_for("/readyz to say the server is ready with day 2024-03-03", Duration::from_secs(30), || {
        http_get(&listen, "/readyz").filter(|r| r.contains("ready: latest day 2024-03-03"))
    });
    assert!(Command::new("kill").args(["-TERM", &server.id().to_string()]).status().unwrap().success());
    let status = wait_for("the server to exit after SIGTERM", Duration::from_secs(10), || server.try_wait().unwrap());
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
    let exited = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        wait_for("spot serve to refuse two tokens of one value and exit", Duration::from_secs(10), || {
            server.try_wait().unwrap()
        })
    }));
    if exited.is_err() {
        server.kill().unwrap();
        panic!("spot serve started with two tokens of one value");
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
             `metric_operations`, `websocket`"
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

/// `tests/data/billing-day1.json` (pagerduty/acme) written to `dir/name`
/// dated `day`, with `urgency` as the service's urgency and, when given, one
/// more service only this observation knows.
fn billing_on(dir: &Path, name: &str, day: &str, urgency: &str, extra: Option<&str>) -> String {
    let text = std::fs::read_to_string(data("billing-day1.json")).unwrap();
    let mut observation: serde_json::Value = serde_json::from_str(&text).unwrap();
    observation["day"] = day.into();
    observation["entities"][0]["attrs"]["urgency"] = urgency.into();
    if let Some(service) = extra {
        let entities = observation["entities"].as_array_mut().unwrap();
        entities.push(
            serde_json::json!({"key": format!("service:{service}"), "kind": "service", "name": service, "attrs": {}}),
        );
        let relations = observation["relations"].as_array_mut().unwrap();
        relations.push(serde_json::json!({"from": "team:payments", "to": format!("service:{service}"), "kind": "owns", "attrs": {}}));
    }
    let path = dir.join(name);
    std::fs::write(&path, observation.to_string()).unwrap();
    path.display().to_string()
}

fn latest_day(db: &TempDb) -> serde_json::Value {
    let stats: serde_json::Value = serde_json::from_str(&stdout(&spot(&["stats", "--db", db.arg()]))).unwrap();
    stats["latest_day"].clone()
}

fn runs_of(db: &TempDb) -> Vec<String> {
    let runs: serde_json::Value = serde_json::from_str(&stdout(&spot(&["runs", "--db", db.arg()]))).unwrap();
    runs.as_array().unwrap().iter().map(|run| run["day"].as_str().unwrap().to_string()).collect()
}

fn today() -> spot::model::Day {
    spot::model::Day::today()
}

/// Hardening item 1: an observation dated 9999-12-31 used to be accepted
/// and became the latest day of every read. Days beyond today plus
/// `ingest.max_future_days` (default 1) are refused, naming the day, today
/// and the key; the days are relative to today, so the test never ages.
#[test]
fn a_future_date_is_refused_before_it_can_break_a_scope() {
    let db = temp_db();
    let dir = tempfile::tempdir().unwrap();
    let far = billing_on(dir.path(), "far.json", "9999-12-31", "high", None);
    let refused = spot(&["ingest", "--db", db.arg(), &far]);
    assert!(!refused.status.success());
    let message = stderr(&refused);
    assert_eq!(message.lines().count(), 1, "{message}");
    assert!(message.contains("far.json: refusing pagerduty/acme for 9999-12-31"), "{message}");
    // The process may see the next day if the test runs across midnight.
    let named_today = [today(), today().plus(1)].iter().any(|day| message.contains(&format!("today is {day}")));
    assert!(named_today, "{message}");
    assert!(message.contains("ingest.max_future_days"), "{message}");
    assert!(runs_of(&db).is_empty(), "nothing was written");

    let tomorrow = today().plus(1).to_string();
    let within = billing_on(dir.path(), "tomorrow.json", &tomorrow, "high", None);
    let accepted = spot(&["ingest", "--db", db.arg(), &within]);
    assert!(accepted.status.success(), "{}", stderr(&accepted));
    assert_eq!(latest_day(&db), tomorrow.as_str());
}

/// Hardening item 1: the allowance is a config key, `[ingest]
/// max_future_days`, and a flag of `spot ingest`.
#[test]
fn the_future_day_allowance_is_set_by_config_or_flag() {
    let dir = tempfile::tempdir().unwrap();
    let in_ten_days = today().plus(10).to_string();
    let in_twenty_days = today().plus(20).to_string();
    let ten = billing_on(dir.path(), "ten.json", &in_ten_days, "high", None);
    let twenty = billing_on(dir.path(), "twenty.json", &in_twenty_days, "low", None);

    let db = temp_db();
    assert!(!spot(&["ingest", "--db", db.arg(), &ten]).status.success(), "beyond the default of one day");
    let config = dir.path().join("spot.toml");
    std::fs::write(&config, "[ingest]\nmax_future_days = 10\n").unwrap();
    let configured = spot(&["ingest", "--config", config.to_str().unwrap(), "--db", db.arg(), &ten]);
    assert!(configured.status.success(), "{}", stderr(&configured));
    let still_refused = spot(&["ingest", "--config", config.to_str().unwrap(), "--db", db.arg(), &twenty]);
    assert!(stderr(&still_refused).contains("ingest.max_future_days"), "{}", stderr(&still_refused));
    let flagged = spot(&["ingest", "--max-future-days", "20", "--db", db.arg(), &twenty]);
    assert!(flagged.status.success(), "{}", stderr(&flagged));
    assert_eq!(latest_day(&db), in_twenty_days.as_str());
}

/// Hardening item 1: a scope broken by a far-future day (written with a
/// huge allowance, as a store written before the check was) is repaired by
/// `spot rollback`: the latest day and every read are back to the real day,
/// the next real day ingests, and a second rollback changes nothing.
#[test]
fn a_future_day_is_rolled_back_and_the_scope_ingests_again() {
    let db = temp_db();
    let dir = tempfile::tempdir().unwrap();
    assert!(spot(&["ingest", "--db", db.arg(), &data("billing-day1.json")]).status.success());
    let far = billing_on(dir.path(), "far.json", "9999-12-31", "never", Some("ghost"));
    let broken = spot(&["ingest", "--max-future-days", "3000000", "--db", db.arg(), &far]);
    assert!(broken.status.success(), "{}", stderr(&broken));
    assert_eq!(latest_day(&db), "9999-12-31");
    assert!(!spot(&["ingest", "--db", db.arg(), &data("billing-day2.json")]).status.success(), "the scope is stuck");

    let rollback =
        spot(&["rollback", "--db", db.arg(), "--source", "pagerduty", "--scope", "acme", "--day", "9999-12-31"]);
    assert!(rollback.status.success(), "{}", stderr(&rollback));
    assert!(stdout(&rollback).contains("pagerduty/acme from 9999-12-31: removed 1 run"), "{}", stdout(&rollback));
    assert_eq!(latest_day(&db), "2024-03-03");
    let entity = spot(&["entity", "--db", db.arg(), "service:billing-api"]);
    let state: serde_json::Value = serde_json::from_str(&stdout(&entity)).unwrap();
    assert_eq!(state["facts"][0]["attrs"]["urgency"], "high");
    assert_eq!(state["facts"][0]["valid_to"], "open", "day 1's version is open again");
    let ghost = spot(&["search", "--db", db.arg(), "ghost"]);
    assert_eq!(stdout(&ghost).trim(), "[]", "what only the future day saw is gone");

    let again =
        spot(&["rollback", "--db", db.arg(), "--source", "pagerduty", "--scope", "acme", "--day", "9999-12-31"]);
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(stdout(&again).contains("nothing to roll back"), "{}", stdout(&again));

    let next = spot(&["ingest", "--db", db.arg(), &data("billing-day2.json")]);
    assert!(next.status.success(), "{}", stderr(&next));
    assert_eq!(runs_of(&db), ["2024-03-04", "2024-03-03"]);
    let listed: serde_json::Value = serde_json::from_str(&stdout(&spot(&["rollbacks", "--db", db.arg()]))).unwrap();
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 1, "the rollback that changed nothing is not recorded: {listed:?}");
    assert_eq!((listed[0]["source"].as_str(), listed[0]["day"].as_str()), (Some("pagerduty"), Some("9999-12-31")));
    assert_eq!(listed[0]["runs"], 1);
}

/// Hardening item 1: a rollback in the middle of a history gives back the
/// store exactly as the scope's last run before the day left it: the
/// export afterwards is the export taken then, byte for byte.
#[test]
fn a_rollback_in_the_middle_of_a_history_restores_the_earlier_state() {
    let db = temp_db();
    let dir = tempfile::tempdir().unwrap();
    let day2 = billing_on(dir.path(), "day2.json", "2024-03-04", "low", Some("ledger"));
    let day3 = billing_on(dir.path(), "day3.json", "2024-03-05", "high", None);
    assert!(spot(&["ingest", "--db", db.arg(), &data("billing-day1.json")]).status.success());
    let before = dir.path().join("before.jsonl");
    assert!(spot(&["export", "--db", db.arg(), "--out", before.to_str().unwrap()]).status.success());
    let ingested = spot(&["ingest", "--db", db.arg(), &day2, &day3]);
    assert!(ingested.status.success(), "{}", stderr(&ingested));

    let rollback =
        spot(&["rollback", "--db", db.arg(), "--source", "pagerduty", "--scope", "acme", "--day", "2024-03-04"]);
    assert!(rollback.status.success(), "{}", stderr(&rollback));
    assert!(stdout(&rollback).contains("removed 2 runs"), "{}", stdout(&rollback));
    let after = dir.path().join("after.jsonl");
    assert!(spot(&["export", "--db", db.arg(), "--out", after.to_str().unwrap()]).status.success());
    assert_eq!(std::fs::read_to_string(&after).unwrap(), std::fs::read_to_string(&before).unwrap());
}

/// Hardening item 2: `spot ingest a.json b.json` checks every file, then
/// writes all or none. Here the second file is refused (an older day than
/// the first file of the same batch): no run of the first is left behind.
#[test]
fn an_ingest_batch_whose_second_file_is_refused_writes_nothing() {
    let db = temp_db();
    assert!(spot(&["ingest", "--db", db.arg(), &data("billing-day1.json")]).status.success());
    let dir = tempfile::tempdir().unwrap();
    let later = billing_on(dir.path(), "later.json", "2024-03-05", "low", Some("ledger"));
    let before = dir.path().join("before.jsonl");
    assert!(spot(&["export", "--db", db.arg(), "--out", before.to_str().unwrap()]).status.success());

    let output = spot(&["ingest", "--db", db.arg(), &later, &data("billing-day2.json")]);
    assert!(!output.status.success());
    let message = stderr(&output);
    assert!(
        message
            .contains("billing-day2.json: refusing pagerduty/acme for 2024-03-04: that scope already has 2024-03-05"),
        "{message}"
    );
    assert!(message.contains("nothing was written"), "{message}");
    assert_eq!(runs_of(&db), ["2024-03-03"], "no run of the first file");
    let after = dir.path().join("after.jsonl");
    assert!(spot(&["export", "--db", db.arg(), "--out", after.to_str().unwrap()]).status.success());
    assert_eq!(std::fs::read_to_string(&after).unwrap(), std::fs::read_to_string(&before).unwrap());
}

/// Runs `spot` as an unprivileged user (nobody) when the tests run as root,
/// who would ignore the file permissions these tests are about.
fn spot_unprivileged(args: &[&str]) -> Output {
    let root = Command::new("id").arg("-u").output().map(|o| stdout(&o).trim() == "0").unwrap_or(false);
    let mut command = if root {
        let mut setpriv = Command::new("setpriv");
        setpriv.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--", env!("CARGO_BIN_EXE_spot")]);
        setpriv
    } else {
        Command::new(env!("CARGO_BIN_EXE_spot"))
    };
    command.args(args).env("SPOT_LOG", "error").output().expect("spot runs")
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// Hardening item 3: a store in a folder SPoT may not write (a backup on
/// read-only media, a mounted snapshot) is read by every read command.
#[test]
fn read_commands_read_a_store_in_a_read_only_folder() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("readonly");
    std::fs::create_dir(&folder).unwrap();
    let db = folder.join("spot.db");
    let db = db.to_str().unwrap();
    let ingest = spot(&["ingest", "--db", db, &data("billing-day1.json"), &data("billing-day2.json")]);
    assert!(ingest.status.success(), "{}", stderr(&ingest));
    set_mode(dir.path(), 0o755);
    set_mode(Path::new(db), 0o444);
    set_mode(&folder, 0o555);
    let stats = spot_unprivileged(&["stats", "--db", db]);
    assert!(stats.status.success(), "{}", stderr(&stats));
    assert!(stdout(&stats).contains("\"latest_day\": \"2024-03-04\""), "{}", stdout(&stats));
    for args in [
        vec!["entity", "--db", db, "service:billing-api"],
        vec!["search", "--db", db, "billing"],
        vec!["deps", "--db", db, "team:payments"],
        vec!["timeline", "--db", db, "service:billing-api", "urgency"],
        vec!["changes", "--db", db, "--summary"],
        vec!["runs", "--db", db],
        vec!["query", "--db", db, "{ latestDay }"],
    ] {
        let output = spot_unprivileged(&args);
        assert!(output.status.success(), "{args:?}: {}", stderr(&output));
    }
    assert!(!folder.join("spot.db-wal").exists(), "nothing written next to the store");
    set_mode(&folder, 0o755);
}

/// Hardening item 3: a read command never migrates a store; one written by
/// an older SPoT gets a clear error saying what to run, and stays as it was.
#[test]
fn a_read_command_never_migrates_a_store() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("old.db");
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        for migration in
            ["001_temporal_graph", "002_deploy_events", "003_run_warnings", "004_leases", "005_covering_relations_out"]
        {
            let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("schema/sqlite/{migration}.sql"));
            conn.execute_batch(&std::fs::read_to_string(path).unwrap()).unwrap();
        }
        conn.pragma_update(None, "user_version", 5).unwrap();
    }
    let stats = spot(&["stats", "--db", db.to_str().unwrap()]);
    assert!(!stats.status.success(), "{}", stdout(&stats));
    let message = stderr(&stats);
    assert!(message.contains("schema version 5") && message.contains("spot migrate --db"), "{message}");
    let conn = rusqlite::Connection::open(&db).unwrap();
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
    assert_eq!(version, 5, "the read did not migrate it");
}

/// Hardening item 3: `spot ingest` into a database it may not write names
/// the database, not the observation file. The store is open elsewhere (a
/// server holds its WAL), so opening it succeeds and the write is refused.
#[test]
fn an_ingest_into_a_read_only_database_names_the_database() {
    let dir = tempfile::tempdir().unwrap();
    set_mode(dir.path(), 0o755);
    let db = dir.path().join("spot.db");
    assert!(spot(&["ingest", "--db", db.to_str().unwrap(), &data("billing-day1.json")]).status.success());
    let server = rusqlite::Connection::open(&db).unwrap();
    server.query_row("SELECT count(*) FROM runs", [], |r| r.get::<_, i64>(0)).unwrap();
    for shared in ["spot.db-wal", "spot.db-shm"] {
        set_mode(&dir.path().join(shared), 0o666);
    }
    set_mode(&db, 0o444);
    let output = spot_unprivileged(&["ingest", "--db", db.to_str().unwrap(), &data("billing-day2.json")]);
    assert!(!output.status.success());
    let message = stderr(&output);
    assert!(message.contains(&db.display().to_string()), "{message}");
    assert!(message.contains("readonly") || message.contains("read-only"), "{message}");
    assert!(!message.contains("billing-day2.json"), "{message}");
    drop(server);
}

/// Hardening item 3: after a clean exit the `.db` file alone is the whole
/// store (the WAL is checkpointed into it): a copy of just that file has
/// every run.
#[test]
fn after_a_clean_exit_the_db_file_alone_holds_every_run() {
    let db = temp_db();
    let generated = spot(&["generate", "--db", db.arg(), "--days", "2", "--start", "2024-01-01", "--seed", "7"]);
    assert!(generated.status.success(), "{}", stderr(&generated));
    let wal = PathBuf::from(format!("{}-wal", db.arg()));
    assert!(
        !wal.exists() || std::fs::metadata(&wal).unwrap().len() == 0,
        "a WAL of {:?} bytes is left",
        std::fs::metadata(&wal).map(|m| m.len())
    );
    let copy = temp_db();
    std::fs::copy(&db.path, &copy.path).unwrap();
    assert_eq!(latest_day(&copy), "2024-01-02");
    assert_eq!(runs_of(&copy), runs_of(&db));
}

#[test]
fn selecting_the_arangodb_store_warns_once_that_it_is_unverified_against_a_live_server() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("spot.toml");
    // Nothing listens on port 9 of loopback: the command fails at once, after the warning.
    std::fs::write(&config, "[store.arangodb]\nurl = \"http://127.0.0.1:9\"\ndatabase = \"spot\"\n").unwrap();
    let output = spot_with_env(&["migrate", "--config", &config.display().to_string()], &[("SPOT_LOG", "warn")]);
    let text = stderr(&output);
    assert!(!output.status.success());
    assert_eq!(text.matches("has not been verified against a live ArangoDB server").count(), 1, "{text}");
    assert!(text.contains("docs/arangodb.md"), "{text}");
}

#[test]
fn read_commands_and_query_take_the_store_from_the_config_arangodb_included() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("configured.db");
    let generated = spot(&["generate", "--db", &db.display().to_string(), "--days", "2", "--start", "2024-01-01"]);
    assert!(generated.status.success(), "{}", stderr(&generated));
    let sqlite = dir.path().join("sqlite.toml");
    std::fs::write(&sqlite, format!("[store]\npath = \"{}\"\n", db.display())).unwrap();
    let config = sqlite.display().to_string();
    let stats = spot(&["stats", "--config", &config]);
    assert!(stats.status.success() && stdout(&stats).contains("\"latest_day\": \"2024-01-02\""), "{}", stderr(&stats));
    let query = spot(&["query", "--config", &config, "{ latestDay }"]);
    assert!(stdout(&query).contains("2024-01-02"), "{}", stderr(&query));
    // [store.arangodb] selects ArangoDB for reading too (nothing listens here).
    let arango = dir.path().join("arango.toml");
    std::fs::write(&arango, "[store.arangodb]\nurl = \"http://127.0.0.1:9\"\ndatabase = \"spot\"\n").unwrap();
    let runs = spot(&["runs", "--config", &arango.display().to_string()]);
    assert!(!runs.status.success());
    assert!(stderr(&runs).contains("ArangoDB at http://127.0.0.1:9"), "{}", stderr(&runs));
}

#[test]
fn generate_backup_and_prune_take_the_store_from_the_config_too() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("configured.db");
    let sqlite = dir.path().join("sqlite.toml");
    std::fs::write(&sqlite, format!("[store]\npath = \"{}\"\n\n[retention]\nkubernetes = 400\n", db.display()))
        .unwrap();
    let config = sqlite.display().to_string();
    let generated = spot(&["generate", "--config", &config, "--days", "2", "--start", "2024-01-01"]);
    assert!(generated.status.success(), "{}", stderr(&generated));
    assert!(db.exists(), "the configured file holds the history");
    let again = spot(&["generate", "--config", &config, "--days", "2", "--start", "2024-01-01"]);
    assert!(stderr(&again).contains("already exists"), "{}", stderr(&again));

    let copy = dir.path().join("copy.db");
    let backup = spot(&["backup", "--config", &config, &copy.display().to_string()]);
    assert!(backup.status.success() && copy.exists(), "{}", stderr(&backup));
    let pruned = spot(&["prune", "--config", &config]);
    assert!(pruned.status.success() && stdout(&pruned).starts_with("kubernetes: dropped"), "{}", stderr(&pruned));

    // With [store.arangodb], what only a SQLite file can do is refused by
    // name, before any connection (nothing listens on port 9).
    let arango = dir.path().join("arango.toml");
    std::fs::write(&arango, "[store.arangodb]\nurl = \"http://127.0.0.1:9\"\ndatabase = \"spot\"\n").unwrap();
    let arango = arango.display().to_string();
    let backup = spot(&["backup", "--config", &arango, &dir.path().join("x.db").display().to_string()]);
    assert!(stderr(&backup).contains("spot backup copies a SQLite store; for ArangoDB at"), "{}", stderr(&backup));
    let replace = spot(&["generate", "--config", &arango, "--replace"]);
    assert!(stderr(&replace).contains("--replace deletes a SQLite file; ArangoDB at"), "{}", stderr(&replace));
    let generate = spot(&["generate", "--config", &arango, "--days", "1"]);
    assert!(!generate.status.success());
    assert!(stderr(&generate).contains("ArangoDB at http://127.0.0.1:9"), "{}", stderr(&generate));
}

/// A `{+service}` in a link template's host lets a service's name choose
/// where its links point: `spot config check` warns, naming the key and its
/// line, and still passes (the template may be meant).
#[test]
fn config_check_warns_of_a_link_template_whose_host_a_value_chooses() {
    let (_dir, config) = temp_file(
        "spot.toml",
        r#"
[links.templates.logs]
url = "https://{+service}.logs.acme.example/search?from={from}"

[links.templates.dashboard]
url = "https://grafana.acme.example/d/{service}?from={+from}"
"#,
    );
    let check = spot(&["config", "check", "--config", &config]);
    assert!(check.status.success(), "{}", stderr(&check));
    let warnings: Vec<String> =
        stderr(&check).lines().filter(|l| l.starts_with("warning:")).map(String::from).collect();
    assert_eq!(warnings.len(), 1, "only the template with a reserved expansion in its host: {warnings:?}");
    assert!(warnings[0].contains("links.templates.logs.url"), "{}", warnings[0]);
    assert!(warnings[0].contains(":3: ") || warnings[0].contains("spot.toml:3"), "names the line: {}", warnings[0]);
    assert!(warnings[0].contains("lets a value choose the host"), "{}", warnings[0]);
}

/// A read command opens the store read-only, yet SQLite creates the WAL's
/// `-wal` and `-shm` files to read a WAL database; they must not stay
/// behind once it is done (the store was closed cleanly: only the `.db`).
#[test]
fn read_commands_leave_no_wal_or_shm_files_behind() {
    let db = temp_db();
    let ingest = spot(&["ingest", "--db", db.arg(), &data("billing-day1.json")]);
    assert!(ingest.status.success(), "{}", stderr(&ingest));
    let sidecars = || ["-wal", "-shm"].map(|suffix| Path::new(&format!("{}{suffix}", db.arg())).exists());
    assert_eq!(sidecars(), [false, false], "a cleanly closed store is one file");
    for read in [vec!["search", "--db", db.arg(), "billing"], vec!["changes", "--db", db.arg(), "--summary"]] {
        let output = spot(&read);
        assert!(output.status.success(), "{read:?}: {}", stderr(&output));
        assert_eq!(sidecars(), [false, false], "after {read:?}");
    }
}
