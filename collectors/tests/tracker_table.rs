//! The watch's state machine as a table: each scenario is a cluster at the
//! first connection (listed at 12:00), then watch events at given times,
//! and every action that comes out, in order, with its key, time, actor,
//! count and the details that matter. The tracker is a pure function of
//! (state, event, now), so a row says all of its behaviour.

mod watch_support;

use chrono::{DateTime, Duration, Utc};
use collectors::action::{Action, ActionBatch, ActionKind, Remembered};
use collectors::kubernetes::fake_objects::*;
use collectors::kubernetes::watch::tracker::Change;
use serde_json::{json, Value};
use watch_support::*;

/// One step of a scenario.
enum Step {
    /// A change seen live.
    Applied(Value),
    /// A deletion seen live.
    Deleted(Value),
    /// A re-list of every resource (a `410 Gone`), holding these objects.
    Relisted(Vec<Value>),
    /// The run loop's pass before a commit: revisions that waited too
    /// long for their Deployment are recorded.
    Overdue,
    /// The run loop's pass before a commit: warnings whose workload was
    /// not known are tried again.
    Retried,
    /// SPoT restarted: a new tracker from what the commits so far
    /// remembered, listing the cluster as it is now.
    Restarted(Vec<Value>),
}

/// An action as it must come out.
struct Expected {
    kind: ActionKind,
    key: String,
    at: DateTime<Utc>,
    actor: Option<&'static str>,
    count: u64,
    /// Each of these details, as given (others are not compared).
    details: Value,
}

fn expect(kind: ActionKind, key: impl Into<String>, at: DateTime<Utc>, actor: Option<&'static str>) -> Expected {
    Expected { kind, key: key.into(), at, actor, count: 1, details: json!({}) }
}

impl Expected {
    fn details(mut self, details: Value) -> Expected {
        self.details = details;
        self
    }

    fn count(mut self, count: u64) -> Expected {
        self.count = count;
        self
    }
}

struct Scenario {
    name: &'static str,
    /// The cluster at the first connection, listed at 12:00.
    cluster: Vec<Value>,
    steps: Vec<(DateTime<Utc>, Step)>,
    /// Every action, the first list's included, in the order they come.
    expected: Vec<Expected>,
}

fn yesterday() -> DateTime<Utc> {
    at(12, 0) - Duration::days(1)
}

fn image(minor: u32) -> String {
    format!("registry.example.com/shop/checkout:1.{minor}.0")
}

/// `checkout` at 1.0.0, four replicas, made yesterday by helm, and its
/// ReplicaSet `rs-1`; resourceVersion 10.
fn checkout() -> (Value, Value) {
    let d = deployment("shop", "checkout", "d-checkout", &image(0), 4, yesterday());
    let rs = replica_set(&d, "rs-1", 1, yesterday());
    (with_version(d, 10), with_version(rs, 10))
}

/// `d` changed by `change`, at the next resourceVersion.
fn next(d: &Value, change: impl FnOnce(&mut Value)) -> Value {
    let mut changed = d.clone();
    change(&mut changed);
    let version: u64 = d["metadata"]["resourceVersion"].as_str().unwrap().parse().unwrap();
    with_version(changed, version + 1)
}

/// `checkout`'s new template `minor` begun by `manager` at `when`, as
/// revision 2, and the ReplicaSet `rs-2` made for it.
fn rolled_out(d: &Value, minor: u32, manager: &str, when: DateTime<Utc>) -> (Value, Value) {
    let d2 = next(d, |d| new_template(d, &image(minor), None, 2, manager, when));
    let rs2 = with_version(replica_set(&d2, "rs-2", 2, when), 20);
    (d2, rs2)
}

/// A pod of a ReplicaSet.
fn pod_of(replica_set: &Value) -> String {
    format!("{}-x7k2p", replica_set["metadata"]["name"].as_str().unwrap())
}

fn generation(d: &Value) -> i64 {
    d["metadata"]["generation"].as_i64().unwrap()
}

/// The start of the 15-minute warning window holding `when`, in ms.
fn window(when: DateTime<Utc>) -> i64 {
    let width = 15 * 60 * 1000;
    when.timestamp_millis().div_euclid(width) * width
}

const CRASH: (&str, &str) = ("BackOff", "Back-off restarting failed container checkout in pod");

fn scenarios() -> Vec<Scenario> {
    let (d, rs1) = checkout();
    let (d2, rs2) = rolled_out(&d, 1, "helm", at(12, 5));
    let crash_key = |when| format!("d-checkout/crash_loop/{}", window(when));
    let crash_pod = pod_of(&rs1);
    vec![
        Scenario {
            name: "a first connection records nothing of what was there",
            cluster: vec![d.clone(), rs1.clone()],
            steps: vec![],
            expected: vec![],
        },
        Scenario {
            name: "a workload made earlier today is created, at its creation, once",
            cluster: vec![with_version(deployment("shop", "cart", "d-cart", "shop/cart:2.0.0", 2, at(11, 0)), 3)],
            steps: vec![(
                at(12, 5),
                Step::Relisted(vec![with_version(
                    deployment("shop", "cart", "d-cart", "shop/cart:2.0.0", 2, at(11, 0)),
                    3,
                )]),
            )],
            expected: vec![expect(ActionKind::Created, "d-cart/created", at(11, 0), Some("helm"))
                .details(json!({ "replicas": 2, "images": ["shop/cart:2.0.0"] }))],
        },
        Scenario {
            name: "a scale by a person",
            cluster: vec![d.clone(), rs1.clone()],
            steps: vec![(at(12, 5), Step::Applied(next(&d, |d| scaled(d, 6, "kubectl", at(12, 5)))))],
            expected: vec![expect(ActionKind::Scale, "d-checkout/11/scale", at(12, 5), Some("kubectl"))
                .details(json!({ "from": 4, "to": 6, "by": "person" }))],
        },
        Scenario {
            name: "a scale by the autoscaler",
            cluster: vec![d.clone(), rs1.clone()],
            steps: vec![(at(12, 5), Step::Applied(next(&d, |d| scaled(d, 9, "kube-controller-manager", at(12, 4)))))],
            expected: vec![expect(
                ActionKind::Scale,
                "d-checkout/11/scale",
                at(12, 5),
                Some("kube-controller-manager"),
            )
            .details(json!({ "from": 4, "to": 9, "by": "autoscaler" }))],
        },
        Scenario {
            name: "the same object twice, and an unchanged one, are nothing more",
            cluster: vec![d.clone(), rs1.clone()],
            steps: vec![
                (at(12, 3), Step::Applied(d.clone())),
                (at(12, 3), Step::Applied(rs1.clone())),
                (at(12, 5), Step::Applied(next(&d, |d| scaled(d, 6, "kubectl", at(12, 5))))),
                (at(12, 6), Step::Applied(next(&d, |d| scaled(d, 6, "kubectl", at(12, 5))))),
            ],
            expected: vec![expect(ActionKind::Scale, "d-checkout/11/scale", at(12, 5), Some("kubectl"))],
        },
        Scenario {
            name: "a rollout: started by its ReplicaSet, progressing, completed",
            cluster: vec![d.clone(), rs1.clone()],
            steps: vec![
                (at(12, 5), Step::Applied(d2.clone())),
                (at(12, 5), Step::Applied(rs2.clone())),
                (at(12, 6), Step::Applied(next(&d2, |d| progressing(d, 2, generation(&d2))))),
                (at(12, 8), Step::Applied(next(&next(&d2, |_| {}), completed))),
            ],
            expected: vec![
                expect(ActionKind::RolloutStarted, "rs-2/started", at(12, 5), Some("helm"))
                    .details(json!({ "version": "1.1.0", "previous_version": "1.0.0", "revision": 2 })),
                expect(ActionKind::RolloutProgressed, "d-checkout/12/progressed", at(12, 6), None)
                    .details(json!({ "updated": 2, "desired": 4, "rollout": "rev2" })),
                expect(ActionKind::RolloutCompleted, "d-checkout/rev2/completed", at(12, 8), None)
                    .details(json!({ "updated": 4, "desired": 4, "rollout": "rev2" })),
            ],
        },
        Scenario {
            name: "a ReplicaSet before its Deployment's update waits for it, to name its writer",
            cluster: vec![d.clone(), rs1.clone()],
            steps: vec![
                (at(12, 5), Step::Applied(rs2.clone())),
                (at(12, 5) + Duration::seconds(2), Step::Applied(d2.clone())),
            ],
            expected: vec![expect(ActionKind::RolloutStarted, "rs-2/started", at(12, 5), Some("helm"))],
        },
        Scenario {
            name: "a ReplicaSet whose Deployment never catches up is recorded once overdue",
            cluster: vec![d.clone(), rs1.clone()],
            steps: vec![
                (at(12, 5), Step::Applied(rs2.clone())),
                (at(12, 5) + Duration::seconds(1), Step::Overdue),
                (at(12, 6), Step::Overdue),
                (at(12, 7), Step::Overdue),
            ],
            expected: vec![expect(ActionKind::RolloutStarted, "rs-2/started", at(12, 5), Some("helm"))
                .details(json!({ "version": "1.1.0", "previous_version": "1.0.0" }))],
        },
        Scenario {
            name: "a restart is a revision without a new image",
            cluster: vec![d.clone(), rs1.clone()],
            steps: {
                let restarted =
                    next(&d, |d| new_template(d, &image(0), Some(at(12, 5)), 2, "kubectl-rollout", at(12, 5)));
                let rs = with_version(replica_set(&restarted, "rs-2", 2, at(12, 5)), 20);
                vec![(at(12, 5), Step::Applied(restarted)), (at(12, 5), Step::Applied(rs))]
            },
            expected: vec![expect(ActionKind::Restart, "rs-2/started", at(12, 5), Some("kubectl-rollout"))],
        },
        Scenario {
            name: "a rollback reuses the old ReplicaSet",
            cluster: vec![d.clone(), rs1.clone()],
            steps: {
                let done = next(&d2, completed);
                let (mut back, mut old) = (done.clone(), rs1.clone());
                undo(&mut back, &mut old, 3, "kubectl-rollout", at(12, 20));
                vec![
                    (at(12, 5), Step::Applied(d2.clone())),
                    (at(12, 5), Step::Applied(rs2.clone())),
                    (at(12, 8), Step::Applied(done.clone())),
                    (at(12, 20), Step::Applied(with_version(back, 13))),
                    (at(12, 20), Step::Applied(with_version(old, 11))),
                ]
            },
            expected: vec![
                expect(ActionKind::RolloutStarted, "rs-2/started", at(12, 5), Some("helm")),
                expect(ActionKind::RolloutCompleted, "d-checkout/rev2/completed", at(12, 8), None),
                expect(ActionKind::Rollback, "rs-1/rev3/rollback", at(12, 20), Some("kubectl-rollout"))
                    .details(json!({ "version": "1.0.0", "revision": 3 })),
            ],
        },
        Scenario {
            name: "a stalled rollout is stalled once",
            cluster: vec![d.clone(), rs1.clone()],
            steps: {
                let stuck = next(&d2, stalled);
                vec![
                    (at(12, 5), Step::Applied(d2.clone())),
                    (at(12, 5), Step::Applied(rs2.clone())),
                    (at(12, 15), Step::Applied(stuck.clone())),
                    (at(12, 20), Step::Applied(next(&stuck, |_| {}))),
                ]
            },
            expected: vec![
                expect(ActionKind::RolloutStarted, "rs-2/started", at(12, 5), Some("helm")),
                expect(ActionKind::RolloutStalled, "d-checkout/rev2/stalled", at(12, 15), None)
                    .details(json!({ "rollout": "rev2" })),
            ],
        },
        Scenario {
            name: "paused, then resumed",
            cluster: vec![d.clone(), rs1.clone()],
            steps: {
                let held = next(&d, |d| paused(d, true, "kubectl-rollout", at(12, 5)));
                let going = next(&held, |d| paused(d, false, "kubectl-rollout", at(12, 9)));
                vec![(at(12, 5), Step::Applied(held)), (at(12, 9), Step::Applied(going))]
            },
            expected: vec![
                expect(ActionKind::Paused, "d-checkout/11/paused", at(12, 5), Some("kubectl-rollout")),
                expect(ActionKind::Resumed, "d-checkout/12/resumed", at(12, 9), Some("kubectl-rollout")),
            ],
        },
        Scenario {
            name: "a crash loop is counted per window, and a repeated or older count adds nothing",
            cluster: vec![d.clone(), rs1.clone()],
            steps: vec![
                (at(12, 3), Step::Applied(kubelet_warning("shop", "ev-1", &crash_pod, CRASH, 5, at(12, 1), at(12, 3)))),
                (at(12, 4), Step::Applied(kubelet_warning("shop", "ev-1", &crash_pod, CRASH, 5, at(12, 1), at(12, 3)))),
                (
                    at(12, 20),
                    Step::Applied(kubelet_warning("shop", "ev-1", &crash_pod, CRASH, 9, at(12, 1), at(12, 20))),
                ),
                (
                    at(12, 21),
                    Step::Applied(kubelet_warning("shop", "ev-1", &crash_pod, CRASH, 7, at(12, 1), at(12, 18))),
                ),
            ],
            expected: vec![
                expect(ActionKind::CrashLoop, crash_key(at(12, 1)), at(12, 1), Some("kubelet"))
                    .count(5)
                    .details(json!({ "reason": "BackOff", "object": format!("Pod/{crash_pod}") })),
                expect(ActionKind::CrashLoop, crash_key(at(12, 20)), at(12, 20), Some("kubelet")).count(4),
            ],
        },
        Scenario {
            name: "a warning about a pod whose ReplicaSet comes later is tried again",
            cluster: vec![d.clone(), rs1.clone()],
            steps: vec![
                (
                    at(12, 6),
                    Step::Applied(warning("shop", "ev-2", &pod_of(&rs2), "OOMKilling", "out of memory", 1, at(12, 6))),
                ),
                (at(12, 6), Step::Applied(d2.clone())),
                (at(12, 6), Step::Applied(rs2.clone())),
                (at(12, 7), Step::Retried),
            ],
            expected: vec![
                expect(ActionKind::RolloutStarted, "rs-2/started", at(12, 5), Some("helm")),
                expect(
                    ActionKind::OomKilled,
                    format!("d-checkout/oom_killed/{}", window(at(12, 6))),
                    at(12, 6),
                    Some("kubelet"),
                ),
            ],
        },
        Scenario {
            name: "a deletion seen live",
            cluster: vec![d.clone(), rs1.clone()],
            steps: vec![(at(12, 30), Step::Deleted(d.clone()))],
            expected: vec![
                expect(ActionKind::Deleted, "d-checkout/deleted", at(12, 30), None).details(json!({ "replicas": 4 }))
            ],
        },
        Scenario {
            name: "a re-list finds a scale at its writer's time and a deletion, each once",
            cluster: vec![d.clone(), rs1.clone()],
            steps: {
                let bigger = next(&d, |d| scaled(d, 7, "kubectl", at(12, 20)));
                vec![
                    (at(12, 30), Step::Relisted(vec![bigger.clone(), rs1.clone()])),
                    (at(12, 31), Step::Relisted(vec![bigger, rs1.clone()])),
                    (at(12, 40), Step::Relisted(vec![])),
                    (at(12, 41), Step::Relisted(vec![])),
                ]
            },
            expected: vec![
                expect(ActionKind::Scale, "d-checkout/11/scale", at(12, 20), Some("kubectl"))
                    .details(json!({ "from": 4, "to": 7 })),
                expect(ActionKind::Deleted, "d-checkout/deleted", at(12, 40), None),
            ],
        },
        Scenario {
            name: "what happened while SPoT was down is recorded at the objects' times, once",
            cluster: vec![d.clone(), rs1.clone()],
            steps: {
                let (d2, rs2) = rolled_out(&d, 1, "helm", at(12, 20));
                let done = next(&d2, completed);
                let bigger = next(&done, |d| scaled(d, 6, "kubectl", at(12, 25)));
                vec![
                    (at(12, 30), Step::Restarted(vec![bigger.clone(), rs1.clone(), rs2.clone()])),
                    (at(12, 35), Step::Restarted(vec![bigger, rs1.clone(), rs2])),
                ]
            },
            expected: vec![
                expect(ActionKind::Scale, "d-checkout/13/scale", at(12, 25), Some("kubectl"))
                    .details(json!({ "from": 4, "to": 6, "by": "person" })),
                expect(ActionKind::RolloutCompleted, "d-checkout/rev2/completed", at(12, 30), None),
                expect(ActionKind::RolloutStarted, "rs-2/started", at(12, 20), Some("helm"))
                    .details(json!({ "version": "1.1.0", "previous_version": "1.0.0" })),
            ],
        },
        Scenario {
            name: "a rollout and its undo while SPoT was down are a rollout and a rollback",
            cluster: vec![d.clone(), rs1.clone()],
            steps: {
                let (d2, rs2) = rolled_out(&d, 1, "helm", at(12, 20));
                let (mut back, mut old) = (next(&d2, completed), rs1.clone());
                undo(&mut back, &mut old, 3, "kubectl-rollout", at(12, 25));
                let mut rs2 = rs2;
                scaled_down(&mut rs2);
                vec![(at(12, 30), Step::Restarted(vec![with_version(back, 14), with_version(old, 11), rs2]))]
            },
            expected: vec![
                expect(ActionKind::RolloutStarted, "rs-2/started", at(12, 20), Some("helm")),
                expect(ActionKind::Rollback, "rs-1/rev3/rollback", at(12, 25), Some("kubectl-rollout"))
                    .details(json!({ "version": "1.0.0" })),
            ],
        },
        Scenario {
            name: "a first connection adopts every kept ReplicaSet as history",
            cluster: {
                let (d3, rs3) = {
                    let done = next(&d2, completed);
                    let d3 = next(&done, |d| new_template(d, &image(2), None, 3, "helm", at(10, 0)));
                    let rs3 = with_version(replica_set(&d3, "rs-3", 3, at(10, 0)), 30);
                    (next(&d3, completed), rs3)
                };
                let (mut old1, mut old2) = (rs1.clone(), rs2.clone());
                scaled_down(&mut old1);
                scaled_down(&mut old2);
                vec![d3, old1, old2, rs3]
            },
            steps: vec![],
            expected: vec![],
        },
        Scenario {
            name: "a rollout under way at the first connection is recorded, at its ReplicaSet's creation",
            cluster: {
                let under_way = next(&rolled_out(&d, 1, "helm", at(11, 30)).0, |d| {
                    progressing(d, 2, d["metadata"]["generation"].as_i64().unwrap())
                });
                let rs = with_version(replica_set(&under_way, "rs-2", 2, at(11, 30)), 20);
                vec![under_way, rs1.clone(), rs]
            },
            steps: vec![],
            expected: vec![expect(ActionKind::RolloutStarted, "rs-2/started", at(11, 30), Some("helm"))
                .details(json!({ "previous_version": "1.0.0", "version": "1.1.0" }))],
        },
    ]
}

/// An action as a failure message shows it.
fn shown(action: &Action) -> String {
    format!(
        "{} {} at {} by {:?} ×{} {}",
        action.kind,
        action.key,
        action.at,
        action.actor,
        action.count,
        Value::Object(action.details.clone())
    )
}

#[test]
fn each_scenario_gives_exactly_its_actions() {
    let mut failures = Vec::new();
    for scenario in scenarios() {
        let cluster: Vec<&Value> = scenario.cluster.iter().collect();
        let mut tracker = listed(&cluster, vec![], at(12, 0));
        // What the store remembers, as the commits leave it.
        let mut memory = std::collections::BTreeMap::new();
        let commit = |memory: &mut std::collections::BTreeMap<String, Remembered>, batch: ActionBatch| {
            for (_, uid) in &batch.forget {
                memory.remove(uid);
            }
            memory.extend(batch.remember.into_iter().map(|r| (r.uid.clone(), r)));
            batch.actions
        };
        let mut actions = commit(&mut memory, tracker.take(at(12, 0)));
        for (now, step) in scenario.steps {
            match step {
                Step::Restarted(objects) => {
                    let remembered = memory.values().cloned().collect();
                    tracker = listed(&objects.iter().collect::<Vec<_>>(), remembered, now);
                }
                Step::Applied(value) => applied(&mut tracker, &value, now),
                Step::Deleted(value) => tracker.apply(resource_of(&value), Change::Deleted(object(&value)), now),
                Step::Relisted(objects) => relist(&mut tracker, &objects.iter().collect::<Vec<_>>(), now),
                Step::Overdue => tracker.release_overdue(now),
                Step::Retried => tracker.retry_unresolved(now),
            }
            actions.extend(commit(&mut memory, tracker.take(now)));
        }
        let matches = |action: &Action, expected: &Expected| {
            action.kind == expected.kind
                && action.key == expected.key
                && action.at == expected.at
                && action.actor.as_deref() == expected.actor
                && action.count == expected.count
                && action.workload == format!("workload:dc1/shop/Deployment/{}", workload(&expected.key))
                && expected.details.as_object().unwrap().iter().all(|(k, v)| action.details.get(k) == Some(v))
        };
        let all_match = actions.len() == scenario.expected.len()
            && actions.iter().zip(&scenario.expected).all(|(a, e)| matches(a, e));
        if !all_match {
            let wanted: Vec<String> = scenario
                .expected
                .iter()
                .map(|e| format!("{} {} at {} by {:?} ×{} {}", e.kind, e.key, e.at, e.actor, e.count, e.details))
                .collect();
            let got: Vec<String> = actions.iter().map(shown).collect();
            failures.push(format!("{}:\n  expected {wanted:#?}\n  got {got:#?}", scenario.name));
        }
    }
    assert!(failures.is_empty(), "{} scenario(s) failed:\n{}", failures.len(), failures.join("\n"));
}

/// The workload name of an expected action, from its key's uid.
fn workload(key: &str) -> &'static str {
    if key.starts_with("d-cart") {
        "cart"
    } else {
        "checkout"
    }
}

#[test]
fn the_table_covers_every_kind_the_watch_records_of_a_deployment() {
    let covered: Vec<ActionKind> = scenarios().iter().flat_map(|s| s.expected.iter().map(|e| e.kind)).collect();
    let needed = [
        ActionKind::Created,
        ActionKind::Scale,
        ActionKind::RolloutStarted,
        ActionKind::RolloutProgressed,
        ActionKind::RolloutCompleted,
        ActionKind::RolloutStalled,
        ActionKind::Rollback,
        ActionKind::Restart,
        ActionKind::Paused,
        ActionKind::Resumed,
        ActionKind::Deleted,
        ActionKind::CrashLoop,
        ActionKind::OomKilled,
    ];
    let missing: Vec<&ActionKind> = needed.iter().filter(|k| !covered.contains(k)).collect();
    assert!(missing.is_empty(), "no scenario records {missing:?}");
}
