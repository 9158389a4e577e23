//! SPoT's ArangoDB client against a wrong URL (a closed port) and against a
//! small HTTP server on loopback that answers the way ArangoDB documents:
//! a refused password, a missing database, an old version, a cursor read
//! in several batches, a JWT that expires, an answer that is not ArangoDB's.
//!
//! These check SPoT's client code and the errors a user reads. They are NOT
//! a test against an ArangoDB server: `tests/store_arango.rs` is, when
//! `SPOT_TEST_ARANGO_URL` names one.

use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use spot::store::arango::http::{Client, Credentials};
use spot::store::arango::{queries, ArangoConfig, ArangoStore};

/// What the fake server knows and has seen.
struct Fake {
    version: String,
    password: String,
    /// The JWT it accepts now; a new one each login.
    valid: Option<String>,
    logins: u32,
}

type Shared = Arc<Mutex<Fake>>;

fn error(status: StatusCode, num: i64, message: &str) -> Response {
    let body = json!({ "error": true, "code": status.as_u16(), "errorNum": num, "errorMessage": message });
    (status, Json(body)).into_response()
}

fn authorised(fake: &Shared, headers: &HeaderMap) -> bool {
    let valid = fake.lock().unwrap().valid.clone();
    let sent = headers.get("authorization").and_then(|v| v.to_str().ok()).map(str::to_string);
    matches!((valid, sent), (Some(token), Some(header)) if header == format!("Bearer {token}"))
}

async fn login(State(fake): State<Shared>, Json(body): Json<Value>) -> Response {
    let mut fake = fake.lock().unwrap();
    if body["password"] != fake.password.as_str() {
        return error(StatusCode::UNAUTHORIZED, 401, "Wrong credentials");
    }
    fake.logins += 1;
    let token = format!("jwt-{}", fake.logins);
    fake.valid = Some(token.clone());
    Json(json!({ "jwt": token })).into_response()
}

async fn version(State(fake): State<Shared>, Path(db): Path<String>, headers: HeaderMap) -> Response {
    if !authorised(&fake, &headers) {
        return error(StatusCode::UNAUTHORIZED, 401, "not authorized to execute this request");
    }
    if db == "missing" {
        return error(StatusCode::NOT_FOUND, 1228, "database not found");
    }
    if db == "garbled" {
        return (StatusCode::OK, "<html>a proxy's login page</html>").into_response();
    }
    let version = fake.lock().unwrap().version.clone();
    Json(json!({ "server": "arango", "version": version, "license": "community" })).into_response()
}

/// A cursor of three results in two batches.
async fn cursor(State(fake): State<Shared>, headers: HeaderMap, Json(body): Json<Value>) -> Response {
    if !authorised(&fake, &headers) {
        return error(StatusCode::UNAUTHORIZED, 401, "not authorized to execute this request");
    }
    assert!(body["query"].as_str().unwrap().contains("FOR r IN runs"), "the query text is sent: {body}");
    assert!(body["bindVars"].is_object(), "bind parameters travel apart from the text: {body}");
    let answer = json!({ "result": [1, 2], "hasMore": true, "id": "42", "error": false, "code": 201 });
    (StatusCode::CREATED, Json(answer)).into_response()
}

async fn next_batch(State(fake): State<Shared>, Path((_, id)): Path<(String, String)>, headers: HeaderMap) -> Response {
    if !authorised(&fake, &headers) {
        return error(StatusCode::UNAUTHORIZED, 401, "not authorized to execute this request");
    }
    if id != "42" {
        return error(StatusCode::NOT_FOUND, 1600, "cursor not found");
    }
    Json(json!({ "result": [3], "hasMore": false, "error": false, "code": 200 })).into_response()
}

/// A database that holds two collections, one of the wrong type, and
/// nothing else of the schema.
async fn half_made(Path((_, what)): Path<(String, String)>) -> Response {
    match what.as_str() {
        "collection" => Json(json!({ "error": false, "result": [
            { "name": "entities", "type": 2 }, { "name": "relations", "type": 2 }
        ] }))
        .into_response(),
        "index" => {
            Json(json!({ "error": false, "indexes": [{ "name": "primary", "type": "primary" }] })).into_response()
        }
        _ => error(StatusCode::NOT_FOUND, 404, "unknown path"),
    }
}

async fn not_found(Path(_): Path<Vec<String>>) -> Response {
    error(StatusCode::NOT_FOUND, 1924, "graph 'spot' not found")
}

/// Starts the fake on a free loopback port; returns its URL and state.
async fn fake_arango(server_version: &str) -> (String, Shared) {
    let fake = Arc::new(Mutex::new(Fake {
        version: server_version.into(),
        password: "right-password".into(),
        valid: None,
        logins: 0,
    }));
    let app = Router::new()
        .route("/_open/auth", post(login))
        .route("/_db/{db}/_api/version", get(version))
        .route("/_db/{db}/_api/cursor", post(cursor))
        .route("/_db/{db}/_api/cursor/{id}", post(next_batch))
        .route("/_db/{db}/_api/{what}", get(half_made))
        .route("/_db/{db}/_api/gharial/{graph}", get(not_found))
        .route(
            "/_db/{db}/_api/document/meta/schema",
            get(|| async { error(StatusCode::NOT_FOUND, 1202, "document not found") }),
        )
        .with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, fake)
}

/// A config that logs in as `spot` with the password in `variable`.
fn config(url: &str, database: &str, variable: &str, password: &str) -> ArangoConfig {
    std::env::set_var(variable, password);
    let mut config = ArangoConfig::new(url, database);
    config.user = Some("spot".into());
    config.password_env = Some(variable.into());
    config
}

async fn connect_error(config: &ArangoConfig) -> String {
    match ArangoStore::connect(config).await {
        Ok(_) => panic!("connecting to {} should fail", config.url),
        Err(e) => e.to_string(),
    }
}

#[tokio::test]
async fn a_closed_port_is_named_with_what_to_check() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener); // nothing listens there now
    let err = connect_error(&ArangoConfig::new(&url, "spot")).await;
    assert!(
        err.starts_with(&format!("cannot open store at ArangoDB at {url} (database 'spot'): cannot connect")),
        "{err}"
    );
    assert!(err.to_lowercase().contains("connection refused"), "{err}");
    assert!(err.ends_with("(is the server running, and is store.arangodb.url right?)"), "{err}");
}

#[tokio::test]
async fn a_refused_password_names_the_user_and_never_the_password() {
    let (url, _) = fake_arango("3.12.4").await;
    let err = connect_error(&config(&url, "spot", "SPOT_TEST_ARANGO_CLIENT_WRONG", "wrong-secret-31337")).await;
    assert!(err.ends_with("the server refused the password of user 'spot' (HTTP 401)"), "{err}");
    assert!(!err.contains("wrong-secret-31337"), "the password never appears: {err}");
}

#[tokio::test]
async fn a_server_that_wants_credentials_says_which_keys_to_set() {
    let (url, _) = fake_arango("3.12.4").await;
    let err = connect_error(&ArangoConfig::new(&url, "spot")).await;
    assert!(err.contains("the server requires authentication (HTTP 401): set store.arangodb.user and"), "{err}");
}

#[tokio::test]
async fn a_missing_database_says_how_to_create_it() {
    let (url, _) = fake_arango("3.12.4").await;
    let err = connect_error(&config(&url, "missing", "SPOT_TEST_ARANGO_CLIENT_MISSING", "right-password")).await;
    assert!(err.contains("(database 'missing'): the database does not exist"), "{err}");
    assert!(err.contains("spot migrate --create-database"), "{err}");
}

#[tokio::test]
async fn an_unsupported_version_is_refused() {
    let (url, _) = fake_arango("3.10.9").await;
    let err = connect_error(&config(&url, "spot", "SPOT_TEST_ARANGO_CLIENT_OLD", "right-password")).await;
    assert!(err.ends_with("ArangoDB 3.10.9 is not supported: SPoT needs 3.11 or a later 3.x release"), "{err}");
    let (url, _) = fake_arango("4.0.0").await;
    let err = connect_error(&config(&url, "spot", "SPOT_TEST_ARANGO_CLIENT_NEW", "right-password")).await;
    assert!(err.contains("ArangoDB 4.0.0 is not supported"), "{err}");
}

#[tokio::test]
async fn an_answer_that_is_not_arangodb_s_is_called_so() {
    let (url, _) = fake_arango("3.12.4").await;
    let err = connect_error(&config(&url, "garbled", "SPOT_TEST_ARANGO_CLIENT_GARBLED", "right-password")).await;
    assert!(
        err.contains("answered something that is not ArangoDB's API: HTTP 200 OK with a body that is not JSON"),
        "{err}"
    );
}

#[tokio::test]
async fn a_supported_server_connects_and_a_cursor_is_read_to_its_last_batch() {
    let (url, fake) = fake_arango("3.12.4").await;
    let config = config(&url, "spot", "SPOT_TEST_ARANGO_CLIENT_OK", "right-password");
    ArangoStore::connect(&config).await.expect("a supported server with the right password");
    let password = collectors::secret::Secret::new("right-password".into());
    let client =
        Client::new(&url, "spot", Credentials::Password { user: "spot".into(), password }, config.timeout()).unwrap();
    let rows = client.query(&queries::runs(None, spot::Day(0), spot::Day(9)), None).await.unwrap();
    assert_eq!(rows, [json!(1), json!(2), json!(3)], "both batches");
    assert_eq!(fake.lock().unwrap().logins, 2, "one login per client");
}

#[tokio::test]
async fn an_expired_jwt_is_renewed_once_and_the_request_repeated() {
    let (url, fake) = fake_arango("3.12.4").await;
    let password = collectors::secret::Secret::new("right-password".into());
    let client = Client::new(
        &url,
        "spot",
        Credentials::Password { user: "spot".into(), password },
        std::time::Duration::from_secs(5),
    )
    .unwrap();
    assert_eq!(client.version().await.unwrap(), "3.12.4");
    fake.lock().unwrap().valid = Some("a-token-from-after-a-restart".into()); // ours expired
    assert_eq!(client.version().await.unwrap(), "3.12.4", "logged in again and repeated");
    assert_eq!(fake.lock().unwrap().logins, 2);
    // A given JWT cannot be renewed: its refusal is the error.
    let jwt = collectors::secret::Secret::new("jwt-issued-elsewhere".into());
    let given = Client::new(&url, "spot", Credentials::Jwt(jwt), std::time::Duration::from_secs(5)).unwrap();
    let err = given.version().await.unwrap_err().to_string();
    assert!(err.ends_with("the server refused the JWT (HTTP 401): expired, or signed with another secret"), "{err}");
    assert!(!err.contains("jwt-issued-elsewhere"), "{err}");
}

fn spot(args: &[&str], envs: &[(&str, &str)]) -> std::process::Output {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_spot"));
    command.args(args).env("SPOT_LOG", "error");
    for (name, value) in envs {
        command.env(name, value);
    }
    command.output().expect("spot runs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spot_serve_names_everything_the_database_lacks() {
    let (url, _) = fake_arango("3.12.4").await;
    let output = tokio::task::spawn_blocking(move || {
        let envs = [
            ("SPOT_STORE__ARANGODB__URL", url.as_str()),
            ("SPOT_STORE__ARANGODB__USER", "spot"),
            ("SPOT_STORE__ARANGODB__PASSWORD_ENV", "SPOT_TEST_ARANGO_CLIENT_SERVE"),
            ("SPOT_TEST_ARANGO_CLIENT_SERVE", "right-password"),
        ];
        spot(&["serve", "--listen", "127.0.0.1:0"], &envs)
    })
    .await
    .unwrap();
    assert!(!output.status.success(), "serve refuses a database that lacks the schema");
    let err = String::from_utf8_lossy(&output.stderr).to_string();
    for lacking in [
        "collection facts",
        "collection relations as an edge collection",
        "graph spot",
        "index entities_by_kind on entities",
        "index relations_out on relations",
    ] {
        assert!(err.contains(lacking), "names {lacking}: {err}");
    }
    assert!(!err.contains("index facts_by_entity"), "indexes of missing collections are implied: {err}");
    assert!(err.trim_end().ends_with("run `spot migrate` first"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spot_migrate_and_import_say_where_they_could_not_connect() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("history.jsonl");
    std::fs::write(&history, "{\"type\":\"header\",\"format\":\"spot-history\",\"version\":1}\n").unwrap();
    let history = history.display().to_string();
    for args in [vec!["migrate"], vec!["import", history.as_str()], vec!["export"]] {
        let output = {
            let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
            let url = url.clone();
            tokio::task::spawn_blocking(move || {
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                spot(&args, &[("SPOT_STORE__ARANGODB__URL", url.as_str())])
            })
            .await
            .unwrap()
        };
        let err = String::from_utf8_lossy(&output.stderr).to_string();
        assert!(!output.status.success(), "{args:?}");
        assert!(err.contains(&format!("ArangoDB at {url} (database 'spot'): cannot connect")), "{args:?}: {err}");
    }
}
