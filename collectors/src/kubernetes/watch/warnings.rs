//! Warning events (`events.k8s.io/v1`) that say something happened to a
//! workload's pods: crash loops, OOM kills, failed scheduling and image pull
//! failures. Other events are not actions.

use chrono::{DateTime, Utc};
use k8s_openapi::api::events::v1::Event;

use crate::action::ActionKind;

/// A message longer than this is cut (kubelet messages can quote whole
/// container logs).
const MAX_MESSAGE: usize = 300;

/// One Warning event, read.
#[derive(Debug, Clone, PartialEq)]
pub struct Warning {
    pub kind: ActionKind,
    pub reason: String,
    pub message: String,
    /// How often it occurred so far (the event's series count).
    pub count: u64,
    /// Its latest occurrence.
    pub at: DateTime<Utc>,
    pub namespace: String,
    pub regarding_kind: String,
    pub regarding_name: String,
    /// The component that reported it (`kubelet`, `default-scheduler`, …).
    pub actor: Option<String>,
}

pub fn read(event: &Event) -> Option<Warning> {
    if event.type_.as_deref() != Some("Warning") {
        return None;
    }
    let reason = event.reason.clone().unwrap_or_default();
    let note = event.note.clone().unwrap_or_default();
    let kind = classify(&reason, &note)?;
    let regarding = event.regarding.as_ref()?;
    let namespace = regarding.namespace.clone().or_else(|| event.metadata.namespace.clone())?;
    let at = event
        .series
        .as_ref()
        .map(|s| s.last_observed_time.0)
        .or_else(|| event.deprecated_last_timestamp.as_ref().map(|t| t.0))
        .or_else(|| event.event_time.as_ref().map(|t| t.0))
        .or_else(|| event.metadata.creation_timestamp.as_ref().map(|t| t.0))?;
    let count = event.series.as_ref().map(|s| s.count).or(event.deprecated_count).unwrap_or(1).max(1) as u64;
    Some(Warning {
        kind,
        reason,
        message: one_line(&note),
        count,
        at,
        namespace,
        regarding_kind: regarding.kind.clone().unwrap_or_default(),
        regarding_name: regarding.name.clone().unwrap_or_default(),
        actor: event.reporting_controller.clone(),
    })
}

/// The note on one line (control characters as spaces), cut to
/// [`MAX_MESSAGE`] characters.
fn one_line(note: &str) -> String {
    note.chars().map(|c| if c.is_control() { ' ' } else { c }).take(MAX_MESSAGE).collect()
}

/// Which action a Warning's reason and note tell, if any.
pub fn classify(reason: &str, note: &str) -> Option<ActionKind> {
    let note = note.to_ascii_lowercase();
    match reason {
        "FailedScheduling" => Some(ActionKind::FailedScheduling),
        "OOMKilling" | "OOMKilled" => Some(ActionKind::OomKilled),
        "ErrImagePull" | "ImagePullBackOff" | "InvalidImageName" => Some(ActionKind::ImagePullFailed),
        "BackOff" if note.contains("pulling image") => Some(ActionKind::ImagePullFailed),
        "BackOff" | "CrashLoopBackOff" => Some(ActionKind::CrashLoop),
        "Failed" if note.contains("pull") || note.contains("image") => Some(ActionKind::ImagePullFailed),
        _ if note.contains("oomkilled") || note.contains("out of memory") => Some(ActionKind::OomKilled),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kubelet_s_warnings_are_told_apart() {
        let cases = [
            (
                "BackOff",
                "Back-off restarting failed container checkout in pod checkout-7d9f-x2k4q",
                Some(ActionKind::CrashLoop),
            ),
            ("BackOff", "Back-off pulling image \"shop/checkout:9.9\"", Some(ActionKind::ImagePullFailed)),
            ("Failed", "Failed to pull image \"shop/checkout:9.9\": not found", Some(ActionKind::ImagePullFailed)),
            (
                "FailedScheduling",
                "0/12 nodes are available: 12 Insufficient memory.",
                Some(ActionKind::FailedScheduling),
            ),
            ("OOMKilling", "Memory cgroup out of memory: Killed process 4242 (java)", Some(ActionKind::OomKilled)),
            ("Unhealthy", "Readiness probe failed: HTTP probe failed with statuscode: 503", None),
            ("FailedMount", "MountVolume.SetUp failed for volume \"config\"", None),
        ];
        for (reason, note, kind) in cases {
            assert_eq!(classify(reason, note), kind, "{reason}: {note}");
        }
    }
}
