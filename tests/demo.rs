//! `spot demo` as a newcomer runs it: it says where it writes, keeps the
//! synthetic collectors' expected outages out of the warnings, and fails
//! at once, before telling anyone to open it, when its port is taken.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

fn demo(dir: &std::path::Path, listen: &str, days: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_spot"));
    command.current_dir(dir).args(["demo", "--listen", listen, "--days", days]).env_remove("SPOT_LOG");
    command
}

#[test]
fn a_taken_port_fails_before_generating_or_saying_open() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = taken.local_addr().unwrap().to_string();
    let output = demo(dir.path(), &address, "2").output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stdout}{stderr}");
    assert!(!stdout.contains("open http"), "no invitation to a port it cannot serve: {stdout}");
    assert!(stderr.contains(&format!("cannot listen on {address}")), "{stderr}");
    assert!(!dir.path().join("spot-demo.db").exists(), "nothing generated");
}

#[test]
fn the_first_run_says_where_it_writes_and_warns_of_nothing_expected() {
    let dir = tempfile::tempdir().unwrap();
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().to_string();
    // A month: the synthetic collectors fail now and then, by design.
    let mut child = demo(dir.path(), &free, "30").stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    child.kill().unwrap();
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let db = std::fs::canonicalize(dir.path()).unwrap().join("spot-demo.db");
    assert!(first.starts_with(&format!("SPoT demo: open http://{free}/")), "{first}\n{stderr}");
    assert!(first.contains(&db.display().to_string()), "it says which store it serves: {first}");
    assert!(stderr.contains(&format!("into {}", db.display())), "it says where it generates: {stderr}");
    assert!(!stderr.contains("WARN"), "expected outages are no warnings: {stderr}");
    let outages =
        stderr.lines().find(|l| l.contains("synthetic outages recorded")).unwrap_or_else(|| panic!("{stderr}"));
    assert!(outages.contains("INFO"), "{outages}");
    println!("demo: {outages}");
    assert!(db.exists());
}

fn spot(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_spot"));
    command.current_dir(dir).args(args).env("SPOT_LOG", "error").env_remove("SPOT_DB").env_remove("SPOT_CONFIG");
    command.output().unwrap()
}

/// After `spot demo`, a read without `--db` reads the demo's store in the
/// folder, and says so; in a folder with no store, it says where it looked.
#[test]
fn a_read_without_db_finds_the_demo_store_or_says_where_it_looked() {
    let dir = tempfile::tempdir().unwrap();
    let refused = spot(dir.path(), &["stats"]);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success());
    let folder = std::fs::canonicalize(dir.path()).unwrap();
    assert!(
        stderr.contains(&format!("looked for spot.db and spot-demo.db in {}", folder.display()))
            && stderr.contains("spot demo"),
        "{stderr}"
    );
    assert!(!dir.path().join("spot.db").exists(), "a read creates no store");

    let generated = spot(dir.path(), &["generate", "--db", "spot-demo.db", "--days", "1"]);
    assert!(generated.status.success(), "{}", String::from_utf8_lossy(&generated.stderr));
    let read = spot(dir.path(), &["stats"]);
    let stderr = String::from_utf8_lossy(&read.stderr);
    assert!(read.status.success(), "{stderr}");
    assert!(!read.stdout.is_empty());
    assert!(stderr.contains("reading the demo's spot-demo.db"), "it says which store it read: {stderr}");
}
