//! `spot bench`, each benchmark at a small size: it runs end to end and its
//! JSON report holds the figures docs/benchmarks.md quotes. (The figures
//! themselves are measured on a release build, never asserted here.)

use std::path::Path;
use std::process::Command;

use serde_json::Value;

fn bench(dir: &Path, args: &[&str]) -> Value {
    let report = dir.join(format!("{}.json", args[0]));
    let output = Command::new(env!("CARGO_BIN_EXE_spot"))
        .arg("bench")
        .args(args)
        .arg("--json")
        .arg(&report)
        .output()
        .expect("spot runs");
    assert!(output.status.success(), "spot bench {args:?} failed: {}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&std::fs::read(&report).expect("the report is written")).expect("the report is JSON")
}

fn number(report: &Value, path: &str) -> f64 {
    report.pointer(path).and_then(Value::as_f64).unwrap_or_else(|| panic!("{path} missing in {report:#}"))
}

#[test]
fn the_store_and_api_benchmarks_measure_every_query_on_one_history() {
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().to_str().unwrap();
    let store = bench(dir.path(), &["store", "--days", "4", "--samples", "10", "--dir", history]);
    assert_eq!(number(&store, "/days"), 4.0);
    assert!(number(&store, "/entities") > 1000.0, "{store:#}");
    for query in ["entity_lookup", "traversal_depth3", "timeline_730d", "reverse_traversal_package", "diff_30d"] {
        assert!(number(&store, &format!("/query_ms/{query}/p50")) > 0.0, "{query}: {store:#}");
        assert!(number(&store, &format!("/query_nodes/{query}")) > 0.0, "{query} found nothing: {store:#}");
    }
    assert!(number(&store, "/storage_ratio_vs_full_copy") > 0.0);

    let api = bench(dir.path(), &["api", "--days", "4", "--seconds", "0.1", "--dir", history]);
    assert!(number(&api, "/ceiling_rps") > 0.0);
    for query in ["entity_lookup", "traversal_depth3", "timeline_730d"] {
        for clients in ["1", "8", "32"] {
            assert_eq!(number(&api, &format!("/queries/{query}/{clients}/errors")), 0.0, "{api:#}");
            assert!(number(&api, &format!("/queries/{query}/{clients}/requests")) > 0.0, "{api:#}");
        }
    }
    // The explorer's delivery and scorecards pages, at 8 clients.
    for query in
        ["delivery_dora", "delivery_failed_deploys", "scorecards_scores", "scorecards_trend", "scorecards_changes"]
    {
        assert_eq!(number(&api, &format!("/queries/{query}/8/errors")), 0.0, "{query}: {api:#}");
        assert!(number(&api, &format!("/queries/{query}/8/requests")) > 0.0, "{query}: {api:#}");
    }
}

#[test]
fn the_kubernetes_benchmark_observes_every_generated_deployment() {
    let dir = tempfile::tempdir().unwrap();
    let report = bench(
        dir.path(),
        &[
            "kubernetes",
            "--deployments",
            "20",
            "--replicasets",
            "40",
            "--pods",
            "60",
            "--nodes",
            "3",
            "--page-size",
            "7",
        ],
    );
    assert_eq!(number(&report, "/workloads_observed"), 20.0);
    assert!(number(&report, "/requests") > 4.0, "pages of 7 take several requests: {report:#}");
    assert_eq!(number(&report, "/warnings"), 0.0);
}

#[test]
fn the_kubernetes_watch_benchmark_records_every_action_it_causes_once() {
    let dir = tempfile::tempdir().unwrap();
    let args = ["kubernetes", "--watch", "--deployments", "40", "--clusters", "2", "--rate", "20", "--seconds", "2"];
    let report = bench(dir.path(), &args);
    assert_eq!(number(&report, "/actions_caused"), 40.0, "{report:#}");
    assert_eq!(number(&report, "/actions_recorded"), 40.0, "{report:#}");
    assert_eq!((number(&report, "/missing"), number(&report, "/duplicates")), (0.0, 0.0), "{report:#}");
    assert!(number(&report, "/lag_p99_ms") > 0.0, "{report:#}");
}

#[test]
fn the_github_benchmark_syncs_twice_and_the_second_sync_reads_nothing_new() {
    let dir = tempfile::tempdir().unwrap();
    let report = bench(dir.path(), &["github", "--repos", "6", "--latency-ms", "0", "--concurrency", "2"]);
    assert!(number(&report, "/first_sync_requests") > 6.0, "{report:#}");
    assert_eq!(number(&report, "/second_sync_counted_requests_per_repo"), 0.0, "{report:#}");
}

#[test]
fn the_backfill_benchmark_replays_a_generated_history() {
    let dir = tempfile::tempdir().unwrap();
    let report = bench(dir.path(), &["backfill", "--commits", "40", "--years", "1", "--lockfile-packages", "20"]);
    assert_eq!(number(&report, "/commits"), 40.0);
    assert!(number(&report, "/versions_written") > 0.0, "{report:#}");
}
