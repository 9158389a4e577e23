//! The ArangoDB store against the conformance suite, when a server is
//! given: `SPOT_TEST_ARANGO_URL` (and `SPOT_TEST_ARANGO_USER`, default
//! root, and `SPOT_TEST_ARANGO_PASSWORD`). Each test gets a fresh database
//! that is dropped afterwards. Without a server the suite is skipped with
//! one line that says so: no ArangoDB can be installed where SPoT is built
//! and tested (docs/arangodb.md says how to run it against one).
//!
//! Its own runner (`harness = false`): a skipped suite must not be counted
//! as tests that passed.

mod conformance;

use std::panic::AssertUnwindSafe;
use std::process::ExitCode;

use conformance::{Fixture, Harness};
use spot::store::arango::{ArangoConfig, ArangoOptions, ArangoStore};

/// One test's database on the server under test.
struct Arango {
    config: ArangoConfig,
}

impl Harness for Arango {
    fn fresh(&self) -> Fixture {
        let store = ArangoStore::new(&self.config, ArangoOptions::default()).expect("a store handle");
        let (config, lenient) = (self.config.clone(), self.config.clone());
        Fixture {
            store: Box::new(store),
            faulty: Box::new(move |writes| {
                let options = ArangoOptions { fail_after_writes: Some(writes), ..ArangoOptions::default() };
                Box::new(ArangoStore::new(&config, options).expect("a second handle"))
            }),
            with_ingest: Box::new(move |ingest| {
                let options = ArangoOptions { ingest, ..ArangoOptions::default() };
                Box::new(ArangoStore::new(&lenient, options).expect("a second handle"))
            }),
            _keep: Box::new(()),
        }
    }
}

fn server_config(url: &str, database: &str) -> ArangoConfig {
    let mut config = ArangoConfig::new(url, database);
    config.user = Some(std::env::var("SPOT_TEST_ARANGO_USER").unwrap_or_else(|_| "root".into()));
    if std::env::var_os("SPOT_TEST_ARANGO_PASSWORD").is_some() {
        config.password_env = Some("SPOT_TEST_ARANGO_PASSWORD".into());
    }
    config
}

/// Creates and migrates a fresh database, runs one test in it (a panic is
/// its failure), and drops the database whatever happened.
fn run_in_fresh_database(
    runtime: &tokio::runtime::Runtime,
    url: &str,
    database: &str,
    trial: conformance::Trial<Arango>,
) -> Result<(), String> {
    let harness = Arango { config: server_config(url, database) };
    let admin = ArangoStore::new(&harness.config, ArangoOptions::default()).map_err(|e| e.to_string())?;
    runtime.block_on(admin.create_database()).map_err(|e| format!("creating {database}: {e}"))?;
    let outcome = match runtime.block_on(admin.migrate()) {
        Ok(_) => std::panic::catch_unwind(AssertUnwindSafe(|| runtime.block_on(trial(&harness)))).map_err(panic_text),
        Err(e) => Err(format!("migrating {database}: {e}")),
    };
    if let Err(e) = runtime.block_on(admin.drop_database()) {
        eprintln!("could not drop test database {database}: {e}");
    }
    outcome
}

fn panic_text(payload: Box<dyn std::any::Any + Send>) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "panicked".into())
}

fn main() -> ExitCode {
    let trials: Vec<(&str, conformance::Trial<Arango>)> = conformance_tests!(conformance_list, Arango);
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--list") {
        for (name, _) in &trials {
            println!("{name}: test");
        }
        return ExitCode::SUCCESS;
    }
    let Ok(url) = std::env::var("SPOT_TEST_ARANGO_URL") else {
        println!(
            "store_arango: SKIPPED all {} ArangoDB conformance tests: SPOT_TEST_ARANGO_URL is not set (no ArangoDB \
             server on this machine); see docs/arangodb.md to run them against one",
            trials.len()
        );
        return ExitCode::SUCCESS;
    };
    let filter: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let (mut passed, mut failed) = (0, Vec::new());
    for (number, (name, trial)) in trials.iter().enumerate() {
        if !filter.is_empty() && !filter.iter().any(|f| name.contains(f.as_str())) {
            continue;
        }
        let database = format!("spot_test_{}_{number}", std::process::id());
        let outcome = run_in_fresh_database(&runtime, &url, &database, *trial);
        match outcome {
            Ok(()) => {
                passed += 1;
                println!("test {name} ... ok");
            }
            Err(reason) => {
                println!("test {name} ... FAILED\n    {reason}");
                failed.push(*name);
            }
        }
    }
    println!("\nArangoDB at {url}: {passed} passed, {} failed", failed.len());
    if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        println!("failed: {}", failed.join(", "));
        ExitCode::FAILURE
    }
}
