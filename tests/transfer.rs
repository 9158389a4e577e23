//! `spot export` → `spot import` moves a whole history exactly: the
//! imported store exports the same bytes and answers the same questions.

use std::path::Path;
use std::process::{Command, Output};

fn spot(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_spot")).args(args).env("SPOT_LOG", "error").output().expect("spot runs")
}

fn ok(output: Output) -> String {
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).to_string()
}

fn path(dir: &Path, name: &str) -> String {
    dir.join(name).display().to_string()
}

#[test]
fn a_history_round_trips_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let (original, copy) = (path(dir.path(), "original.db"), path(dir.path(), "copy.db"));
    let (first, second) = (path(dir.path(), "first.jsonl"), path(dir.path(), "second.jsonl"));
    ok(spot(&["generate", "--db", &original, "--days", "4", "--start", "2024-01-01", "--seed", "11"]));
    // The synthetic orchestrator's deploy events, one pushed by hand, and a
    // failed run, so every record type is in the file.
    let mutation = r#"mutation { recordDeployment(service: "billing", cluster: "dc1", version: "1.2.3", at: "2024-01-03T10:00:00Z") { version } }"#;
    ok(spot(&["query", "--db", &original, mutation]));

    ok(spot(&["export", "--db", &original, "--out", &first]));
    let imported = ok(spot(&["import", "--db", &copy, &first]));
    assert!(imported.starts_with("imported "), "{imported}");
    let events: usize =
        imported.split(" deploy events").next().and_then(|s| s.rsplit(' ').next()?.parse().ok()).unwrap();
    assert!(events > 1, "the generated deploys and the one pushed: {imported}");
    ok(spot(&["export", "--db", &copy, "--out", &second]));
    let (a, b) = (std::fs::read(&first).unwrap(), std::fs::read(&second).unwrap());
    assert!(a.len() > 1_000_000, "a real history: {} bytes", a.len());
    assert!(a == b, "the imported store exports different records");

    let text = String::from_utf8(a).unwrap();
    for kind in ["header", "entity", "fact", "relation", "run", "deploy_event"] {
        assert!(text.contains(&format!("{{\"type\":\"{kind}\"")), "no {kind} record");
    }
    // The same questions get the same answers.
    for args in [
        vec!["stats"],
        vec!["entity", "team:payments", "--at", "2024-01-02"],
        vec!["deps", "team:payments", "--depth", "2", "--at", "2024-01-03"],
        vec!["changes", "--from", "2024-01-01", "--to", "2024-01-04", "--summary"],
        vec!["runs"],
    ] {
        let ask = |db: &str| {
            let mut all = args.clone();
            all.extend(["--db", db]);
            ok(spot(&all))
        };
        let (x, y) = (ask(&original), ask(&copy));
        if args[0] == "stats" {
            let (x, y): (serde_json::Value, serde_json::Value) =
                (serde_json::from_str(&x).unwrap(), serde_json::from_str(&y).unwrap());
            assert_eq!(x["stats"]["fact_versions"], y["stats"]["fact_versions"]);
            assert_eq!(x["stats"]["relation_versions"], y["stats"]["relation_versions"]);
            assert_eq!(x["stats"]["entities"], y["stats"]["entities"]);
        } else if args[0] == "deps" {
            // The same graph; breadth-first order within a depth may differ.
            let sorted = |text: &str| {
                let v: serde_json::Value = serde_json::from_str(text).unwrap();
                let mut nodes: Vec<String> = v["nodes"].as_array().unwrap().iter().map(|n| n.to_string()).collect();
                let mut edges: Vec<String> = v["edges"].as_array().unwrap().iter().map(|e| e.to_string()).collect();
                nodes.sort();
                edges.sort();
                (nodes, edges)
            };
            let (a, b) = (sorted(&x), sorted(&y));
            assert!(a.0.len() > 10 && a == b, "{args:?}: the graphs differ");
        } else {
            assert_eq!(x, y, "{args:?}");
        }
    }
}

#[test]
fn a_bad_line_or_a_non_empty_store_imports_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (original, target) = (path(dir.path(), "original.db"), path(dir.path(), "target.db"));
    let export = path(dir.path(), "history.jsonl");
    ok(spot(&["generate", "--db", &original, "--days", "1", "--start", "2024-01-01", "--seed", "3"]));
    ok(spot(&["export", "--db", &original, "--out", &export]));

    // A broken line in the middle: the error names it and nothing is written.
    let mut lines: Vec<String> = std::fs::read_to_string(&export).unwrap().lines().map(str::to_string).collect();
    let middle = lines.len() / 2;
    lines[middle] = r#"{"type":"fact","entity":"service:x"}"#.to_string();
    let broken = path(dir.path(), "broken.jsonl");
    std::fs::write(&broken, lines.join("\n")).unwrap();
    let failed = spot(&["import", "--db", &target, &broken]);
    assert!(!failed.status.success());
    let error = String::from_utf8_lossy(&failed.stderr).to_string();
    assert!(error.contains(&format!("broken.jsonl:{}: missing field", middle + 1)), "{error}");
    assert!(error.contains("nothing was imported"), "{error}");
    let stats: serde_json::Value = serde_json::from_str(&ok(spot(&["stats", "--db", &target]))).unwrap();
    assert_eq!(stats["stats"]["entities"], 0, "nothing half-written");

    // A store that holds a history refuses an import.
    let refused = spot(&["import", "--db", &original, &export]);
    assert!(String::from_utf8_lossy(&refused.stderr).contains("an import needs an empty store"), "{:?}", refused);
    // A file that is not a history.
    let other = path(dir.path(), "other.jsonl");
    std::fs::write(&other, "{\"type\":\"entity\",\"key\":\"a:b\",\"kind\":\"a\",\"name\":\"b\"}\n").unwrap();
    let wrong = spot(&["import", "--db", &target, &other]);
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("other.jsonl:1: not a SPoT history"), "{:?}", wrong);
}
