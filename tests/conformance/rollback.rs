//! `Store::rollback` (hardening item 1): one scope's runs from a day on
//! undone, the scope left exactly as its last run before that day
//! committed it; and `Store::ingest_batch` (item 2): a batch a rule refuses
//! writes nothing.

use serde_json::json;
use spot::model::*;
use spot::store::Refusal;
use spot::{Store, StoreError};

use super::*;

/// Three days of github/acme, with other scopes and sources around it that
/// a rollback of github/acme must not touch.
async fn history(store: &dyn Store, github_days: &[i32]) {
    for &n in github_days {
        github(n).into(store).await;
    }
    for n in [1, 2, 3] {
        obs("kubernetes", "dc1", n).entity("workload:x", json!({"replicas": n})).into(store).await;
    }
    obs("sonarqube", "sq", 2).entity("repo:a", json!({"coverage": 80})).into(store).await;
}

/// github/acme on day n: repo:a changes every day, repo:b leaves on day 2
/// and repo:c arrives, an edge moves from b to c.
fn github(n: i32) -> Obs {
    let day = obs("github", "acme", n).entity("repo:a", json!({"v": n}));
    if n < 2 {
        day.entity("repo:b", json!({})).relation("repo:a", "uses", "repo:b", json!({}))
    } else {
        day.entity("repo:c", json!({})).relation("repo:a", "uses", "repo:c", json!({"since": 2}))
    }
}

/// Everything readers can see about the keys involved, on every day.
async fn seen(store: &dyn Store) -> Vec<String> {
    let mut seen = vec![format!("{:?}", held(store).await), format!("latest {:?}", store.latest_day().await.unwrap())];
    for key in ["repo:a", "repo:b", "repo:c", "workload:x"] {
        for n in 0..=5 {
            seen.push(format!("{key} {n}: {:?}", store.entity(key, d(n)).await.unwrap()));
            let out = store.relations(key, d(n), Direction::Out, &[]).await;
            seen.push(format!("{key} {n} out: {out:?}"));
        }
    }
    for run in store.runs(&RunFilter::default()).await.unwrap() {
        seen.push(format!("run {} {} {} {:?} {:?}", run.source, run.scope, run.day, run.status, run.counts));
    }
    seen
}

pub async fn a_rollback_restores_the_scope_as_its_last_run_before_the_day_left_it(h: &impl Harness) {
    let rolled = h.fresh();
    let store = rolled.store.as_ref();
    history(store, &[1, 2, 3]).await;
    let done = store.rollback("github", "acme", d(2)).await.unwrap();
    assert_eq!(
        (done.runs, done.facts_deleted, done.facts_reopened, done.relations_deleted, done.relations_reopened),
        (2, 3, 2, 1, 1),
        "{done:?}"
    );
    assert_eq!(done.entities_deleted, 1, "repo:c: only the deleted versions referred to it");
    assert_eq!((done.source.as_str(), done.scope.as_str(), done.day), ("github", "acme", d(2)));

    let reference = h.fresh();
    history(reference.store.as_ref(), &[1]).await;
    assert_eq!(seen(store).await, seen(reference.store.as_ref()).await, "as if days 2 and 3 never ran");
    assert_eq!(facts_of(store, "repo:a", 5, "github").await, Some(json!({"v": 1})), "day 1's version is open");
    assert_eq!(facts_of(store, "repo:a", 5, "sonarqube").await, Some(json!({"coverage": 80})), "another source's");

    let again = github(2).into(store).await;
    assert_eq!((again.counts.added, again.counts.changed, again.counts.closed), (2, 1, 2), "day 2 ingests afresh");
}

pub async fn a_rollback_is_recorded_once_and_running_it_again_changes_nothing(h: &impl Harness) {
    let f = h.fresh();
    let store = f.store.as_ref();
    history(store, &[1, 2, 3]).await;
    let first = store.rollback("github", "acme", d(3)).await.unwrap();
    assert_eq!(first.runs, 1);
    let before = seen(store).await;
    let second = store.rollback("github", "acme", d(3)).await.unwrap();
    assert!(second.changed_nothing(), "{second:?}");
    let unknown = store.rollback("github", "no-such-org", d(1)).await.unwrap();
    assert!(unknown.changed_nothing(), "{unknown:?}");
    assert_eq!(seen(store).await, before);
    let recorded = store.rollbacks().await.unwrap();
    assert_eq!(recorded, [first], "only the rollback that changed something is recorded");
    let later = store.rollback("kubernetes", "dc1", d(2)).await.unwrap();
    assert_eq!(store.rollbacks().await.unwrap()[0], later, "newest first");
}

pub async fn a_rolled_back_future_day_frees_its_scope(h: &impl Harness) {
    let f = h.fresh();
    let store = f.store.as_ref();
    github(1).into(store).await;
    // A store written before the future-day check existed.
    let lenient = (f.with_ingest)(spot::ingest::IngestConfig { max_future_days: u32::MAX });
    let mut far = github(2);
    far.0.day = "9999-12-31".parse().unwrap();
    far.into(lenient.as_ref()).await;
    assert_eq!(store.latest_day().await.unwrap(), far_day());
    let stuck = store.ingest(&github(2).0).await.unwrap_err();
    assert!(matches!(stuck, StoreError::Refused(Refusal::OlderDay { .. })), "{stuck}");

    let done = store.rollback("github", "acme", far_day().unwrap()).await.unwrap();
    assert_eq!(done.runs, 1);
    assert_eq!(store.latest_day().await.unwrap(), Some(d(1)));
    assert_eq!(facts_of(store, "repo:a", 1, "github").await, Some(json!({"v": 1})));
    assert!(alive(store, "repo:b", 3).await && !alive(store, "repo:c", 3).await);
    assert_eq!(github(2).into(store).await.day, d(2), "the next real day ingests");
}

fn far_day() -> Option<Day> {
    Some("9999-12-31".parse().unwrap())
}

pub async fn a_batch_refused_by_a_rule_writes_nothing(h: &impl Harness) {
    let f = h.fresh();
    let store = f.store.as_ref();
    github(1).into(store).await;
    let before = held(store).await;
    let older = store.ingest_batch(&[github(3).0, github(2).0]).await.unwrap_err();
    assert_eq!((older.index, older.written), (Some(1), 0), "{older}");
    assert!(matches!(older.error, StoreError::Refused(Refusal::OlderDay { latest, .. }) if latest == d(3)), "{older}");
    let mut future = github(4);
    future.0.day = Day::today().plus(30);
    let too_late = store.ingest_batch(&[github(2).0, future.0]).await.unwrap_err();
    assert!(matches!(too_late.error, StoreError::Refused(Refusal::FutureDay { .. })), "{too_late}");
    assert_eq!(held(store).await, before, "no run of an earlier observation of the batch");
    assert_eq!(store.latest_day().await.unwrap(), Some(d(1)));

    let runs = store.ingest_batch(&[github(2).0, github(3).0]).await.unwrap();
    assert_eq!(runs.iter().map(|r| r.day).collect::<Vec<_>>(), [d(2), d(3)]);
    assert_eq!(runs[1].counts.changed, 1, "the second diffs against the first");
    assert_eq!(facts_of(store, "repo:a", 3, "github").await, Some(json!({"v": 3})));
}
