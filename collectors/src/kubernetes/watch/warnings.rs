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
    /// Its first occurrence.
    pub first: DateTime<Utc>,
    /// Its latest occurrence.
    pub last: DateTime<Utc>,
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
    let (first, last) = occurrences(event)?;
    let count = event.series.as_ref().map(|s| s.count).or(event.deprecated_count).unwrap_or(1).max(1) as u64;
    let actor = Some(event.reporting_controller.clone().unwrap_or_default())
        .filter(|c| !c.is_empty())
        .or_else(|| event.deprecated_source.as_ref().and_then(|s| s.component.clone()))
        .filter(|c| !c.is_empty());
    Some(Warning {
        kind,
        reason,
        message: one_line(&note),
        count,
        first,
        last,
        namespace,
        regarding_kind: regarding.kind.clone().unwrap_or_default(),
        regarding_name: regarding.name.clone().unwrap_or_default(),
        actor,
    })
}

/// An event's first and latest occurrence, from the fields the API server
/// fills for its shape:
///
/// - written by the `events.k8s.io/v1` recorder (the scheduler, most
///   controllers): `eventTime` is the first occurrence; once it repeats,
///   `series.lastObservedTime` the latest;
/// - written by the core/v1 recorder (the kubelet) and read through
///   `events.k8s.io/v1`: `eventTime` is null, and the first and latest
///   occurrences are `deprecatedFirstTimestamp` and
///   `deprecatedLastTimestamp`;
/// - neither: its creation, for both.
fn occurrences(event: &Event) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let created = event.metadata.creation_timestamp.as_ref().map(|t| t.0);
    let event_time = event.event_time.as_ref().map(|t| t.0);
    let first = event_time.or_else(|| event.deprecated_first_timestamp.as_ref().map(|t| t.0)).or(created)?;
    let last = event
        .series
        .as_ref()
        .map(|s| s.last_observed_time.0)
        .or_else(|| event.deprecated_last_timestamp.as_ref().map(|t| t.0))
        .or(event_time)
        .or(created)
        .unwrap_or(first);
    // A clock that stepped back must not make the window run backwards.
    Some((first.min(last), last.max(first)))
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
    use serde_json::json;

    use super::*;

    fn event(shape: serde_json::Value) -> Event {
        let mut value = json!({
            "metadata": { "name": "checkout-7d9f-x2k4q.17a", "namespace": "shop", "uid": "ev-1",
                          "creationTimestamp": "2026-03-03T09:00:05Z" },
            "type": "Warning", "reason": "BackOff", "note": "Back-off restarting failed container",
            "regarding": { "kind": "Pod", "namespace": "shop", "name": "checkout-7d9f-x2k4q" },
        });
        value.as_object_mut().unwrap().extend(shape.as_object().unwrap().clone());
        serde_json::from_value(value).unwrap()
    }

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn each_event_shape_gives_its_first_and_latest_occurrence_and_count() {
        let kubelet = read(&event(json!({
            "eventTime": null, "deprecatedCount": 25, "deprecatedSource": { "component": "kubelet", "host": "node-1" },
            "deprecatedFirstTimestamp": "2026-03-03T09:00:05Z", "deprecatedLastTimestamp": "2026-03-03T09:40:00Z",
        })))
        .unwrap();
        assert_eq!(
            (kubelet.first, kubelet.last, kubelet.count),
            (at("2026-03-03T09:00:05Z"), at("2026-03-03T09:40:00Z"), 25)
        );
        assert_eq!(kubelet.actor.as_deref(), Some("kubelet"), "the legacy source names the reporter");

        let scheduler = read(&event(json!({
            "eventTime": "2026-03-03T09:00:05.123456Z", "reportingController": "default-scheduler",
            "reason": "FailedScheduling", "note": "0/3 nodes are available",
            "series": { "count": 7, "lastObservedTime": "2026-03-03T09:12:00.654321Z" },
        })))
        .unwrap();
        assert_eq!(
            (scheduler.first, scheduler.last, scheduler.count),
            (at("2026-03-03T09:00:05.123456Z"), at("2026-03-03T09:12:00.654321Z"), 7)
        );
        assert_eq!(scheduler.actor.as_deref(), Some("default-scheduler"));

        let once =
            read(&event(json!({ "eventTime": "2026-03-03T09:00:05.5Z", "reportingController": "kubelet" }))).unwrap();
        assert_eq!(
            (once.first, once.last, once.count),
            (at("2026-03-03T09:00:05.5Z"), at("2026-03-03T09:00:05.5Z"), 1)
        );

        let bare = read(&event(json!({}))).unwrap();
        assert_eq!((bare.first, bare.last, bare.count), (at("2026-03-03T09:00:05Z"), at("2026-03-03T09:00:05Z"), 1));
        assert_eq!(bare.actor, None);
    }

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
