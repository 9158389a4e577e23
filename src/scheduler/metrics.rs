//! Prometheus metrics per collector: runs by status, failures by reason,
//! skipped triggers, run duration, items observed, versions written, and the
//! time of the last successful run per scope.

use chrono::{DateTime, Utc};
use prometheus::{HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry};

use crate::collect::Attempt;
use crate::model::RunStatus;

pub struct CollectorMetrics {
    runs: IntCounterVec,
    failures: IntCounterVec,
    skipped: IntCounterVec,
    duration: HistogramVec,
    observed: IntGaugeVec,
    versions: IntCounterVec,
    last_success: IntGaugeVec,
}

impl CollectorMetrics {
    pub fn new(registry: &Registry) -> prometheus::Result<CollectorMetrics> {
        let metrics = CollectorMetrics {
            runs: IntCounterVec::new(
                Opts::new("spot_collector_runs_total", "Collector run attempts by final status"),
                &["collector", "status"],
            )?,
            failures: IntCounterVec::new(
                Opts::new(
                    "spot_collector_failures_total",
                    "Failed collector runs by reason (source, timeout, invalid)",
                ),
                &["collector", "reason"],
            )?,
            skipped: IntCounterVec::new(
                Opts::new("spot_collector_skipped_total", "Triggers skipped because the scope was already running"),
                &["collector"],
            )?,
            duration: HistogramVec::new(
                HistogramOpts::new("spot_collector_run_seconds", "Collector run duration, observe and ingest")
                    .buckets(vec![0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0]),
                &["collector"],
            )?,
            observed: IntGaugeVec::new(
                Opts::new("spot_collector_items_observed", "Entities and relations seen by the last run of a scope"),
                &["collector", "scope"],
            )?,
            versions: IntCounterVec::new(
                Opts::new("spot_collector_versions_written_total", "Versions opened or closed by collector runs"),
                &["collector"],
            )?,
            last_success: IntGaugeVec::new(
                Opts::new("spot_collector_last_success_timestamp_seconds", "When a scope last had a committed run"),
                &["collector", "scope"],
            )?,
        };
        registry.register(Box::new(metrics.runs.clone()))?;
        registry.register(Box::new(metrics.failures.clone()))?;
        registry.register(Box::new(metrics.skipped.clone()))?;
        registry.register(Box::new(metrics.duration.clone()))?;
        registry.register(Box::new(metrics.observed.clone()))?;
        registry.register(Box::new(metrics.versions.clone()))?;
        registry.register(Box::new(metrics.last_success.clone()))?;
        Ok(metrics)
    }

    pub fn record(&self, collector: &str, scope: &str, attempt: &Attempt, now: DateTime<Utc>) {
        let run = &attempt.run;
        self.runs.with_label_values(&[collector, run.status.as_str()]).inc();
        self.duration.with_label_values(&[collector]).observe(attempt.elapsed.as_secs_f64());
        if let Some(reason) = attempt.failure {
            self.failures.with_label_values(&[collector, reason.as_str()]).inc();
            return;
        }
        self.observed.with_label_values(&[collector, scope]).set(attempt.observed as i64);
        let c = run.counts;
        self.versions.with_label_values(&[collector]).inc_by(c.added + c.changed + c.closed);
        if run.status == RunStatus::Complete || run.status == RunStatus::Partial {
            self.last_success.with_label_values(&[collector, scope]).set(now.timestamp());
        }
    }

    pub fn skipped(&self, collector: &str) {
        self.skipped.with_label_values(&[collector]).inc();
    }
}
