//! The delivery views (schema 010) against the brute force: on random
//! histories recorded in random batches (late reports, re-reports changing
//! an outcome, rollbacks to lower versions, fix-forwards, several clusters
//! and environments), every figure the rollups give equals what judging the
//! store's raw events gives (`dora::report`, the oracle), for the
//! organisation, teams and single services, by day, week and month, over
//! random windows; on the SQLite store and through the server's layers.
//! And the `deploys` pages equal the oracle's list, without a row shifted
//! or repeated by a deploy recorded between two pages.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use proptest::prelude::*;
use spot::delivery::rollup::{fix_forward_window, DeployCursor, DeployPage, RollupQuery};
use spot::delivery::{dora, read, Bucket};
use spot::model::{Day, DeployEvent, DeployFilter, DeployStatus};
use spot::server::metrics::{Metrics, StoreTiming};
use spot::{SqliteStore, Store};

const SERVICES: [&str; 4] = ["service:a", "service:b", "service:c", "service:d"];
/// `edge` is in no environment: `unclassified` reads it.
const CLUSTERS: [&str; 4] = ["dc1", "dc2", "stg", "edge"];
const VERSIONS: [&str; 6] = ["1.0.0", "1.1.0", "1.2.0", "2.0.0", "2.1.0", "4f2a9c0"];
const FIX_FORWARD: i64 = 60;
/// Histories cross the boundary of two spans of packed rollups (day
/// 20,224 = 79 × 256, the base day's 14th day).
const BASE_DAY: i32 = 20_210;

/// One report of a deploy: where, which version, when (minutes from the
/// base day), how it went.
#[derive(Debug, Clone)]
struct Report {
    service: usize,
    cluster: usize,
    version: usize,
    minute: i64,
    length: Option<i64>,
    status: DeployStatus,
    lead: Option<i64>,
}

fn status() -> impl Strategy<Value = DeployStatus> {
    prop_oneof![
        6 => Just(DeployStatus::Succeeded),
        2 => Just(DeployStatus::Failed),
        1 => Just(DeployStatus::Running),
    ]
}

fn report() -> impl Strategy<Value = Report> {
    // Minutes over 40 days, clustered so that some deploys follow within
    // the fix-forward window and some start before the last one finished.
    (0..4usize, 0..4usize, 0..6usize, 0..40i64, 0..6i64, 0..180i64, prop::option::of(1..90i64), status()).prop_map(
        |(service, cluster, version, day, slot, minute, length, status)| Report {
            service,
            cluster,
            version,
            minute: day * 1440 + slot * 200 + minute,
            length,
            status,
            lead: (minute % 3 != 0).then_some(minute * 97),
        },
    )
}

fn event(report: &Report) -> DeployEvent {
    let at = Day(BASE_DAY).start() + Duration::minutes(report.minute);
    DeployEvent {
        service: SERVICES[report.service].into(),
        cluster: CLUSTERS[report.cluster].into(),
        version: VERSIONS[report.version].into(),
        at,
        finished_at: report.length.map(|m| at + Duration::minutes(m)),
        status: report.status,
        first_commit_at: report.lead.map(|m| at - Duration::minutes(m)),
        actor: Some(format!("actor-{}", report.version % 2)),
        ..DeployEvent::default()
    }
}

/// The history as recorded: batches in random order (late reports), with
/// some deploys reported again with another outcome (a re-report).
fn batches() -> impl Strategy<Value = Vec<Vec<DeployEvent>>> {
    (
        prop::collection::vec(report(), 1..70),
        prop::collection::vec((any::<prop::sample::Index>(), status()), 0..12),
        1..6usize,
    )
        .prop_flat_map(|(reports, rereports, parts)| {
            let mut events: Vec<DeployEvent> = reports.iter().map(event).collect();
            for (index, status) in rereports {
                let again = DeployEvent { status, ..events[index.index(events.len())].clone() };
                events.push(again);
            }
            let n = events.len();
            (Just(events), Just(parts), prop::collection::vec(any::<u32>(), n))
        })
        .prop_map(|(events, parts, keys)| {
            // Arrival order: by a random key each (late reports come late).
            let mut order: Vec<usize> = (0..events.len()).collect();
            order.sort_by_key(|&i| keys[i]);
            let shuffled: Vec<DeployEvent> = order.into_iter().map(|i| events[i].clone()).collect();
            let size = shuffled.len().div_ceil(parts);
            shuffled.chunks(size).map(<[DeployEvent]>::to_vec).collect()
        })
}

/// What a read asks: whose deploys, where, over which window and bucket.
#[derive(Debug, Clone)]
struct Question {
    services: Option<Vec<String>>,
    clusters: Option<Vec<String>>,
    except: Vec<String>,
    from: Day,
    to: Day,
    bucket: Bucket,
}

fn question() -> impl Strategy<Value = Question> {
    let subject = prop_oneof![
        Just(None),
        (0..4usize).prop_map(|s| Some(vec![SERVICES[s].to_string()])),
        prop::sample::subsequence(SERVICES.to_vec(), 0..4)
            .prop_map(|team| Some(team.into_iter().map(String::from).collect())),
    ];
    // Environments of [delivery]: production = dc1, dc2; staging = stg;
    // unclassified = every other cluster (edge).
    let environment = prop_oneof![
        Just((None, vec![])),
        Just((Some(vec!["dc1".to_string(), "dc2".to_string()]), vec![])),
        Just((Some(vec!["stg".to_string()]), vec![])),
        Just((None, vec!["dc1".to_string(), "dc2".to_string(), "stg".to_string()])),
    ];
    let bucket = prop_oneof![Just(Bucket::Day), Just(Bucket::Week), Just(Bucket::Month)];
    (subject, environment, -3..42i32, 0..45i32, bucket).prop_map(
        |(services, (clusters, except), from, span, bucket)| Question {
            services,
            clusters,
            except,
            from: Day(BASE_DAY + from),
            to: Day(BASE_DAY + from + span),
            bucket,
        },
    )
}

fn every_deploy() -> DeployFilter {
    DeployFilter {
        services: vec![],
        clusters: vec![],
        from: Day(BASE_DAY - 100).start(),
        to: Day(BASE_DAY + 100).start(),
        brief: false,
    }
}

/// The oracle: the store's raw events of the question's lanes, judged.
async fn oracle(store: &dyn Store, q: &Question) -> dora::Report {
    let events: Vec<DeployEvent> = store
        .deploys(&every_deploy())
        .await
        .unwrap()
        .into_iter()
        .filter(|e| q.services.as_ref().is_none_or(|s| s.contains(&e.service)))
        .filter(|e| q.clusters.as_ref().is_none_or(|c| c.contains(&e.cluster)))
        .filter(|e| !q.except.contains(&e.cluster))
        .collect();
    dora::report(events, q.from, q.to, q.bucket, Some(Duration::minutes(FIX_FORWARD)))
}

async fn from_views(store: &dyn Store, q: &Question) -> dora::Report {
    let query = RollupQuery {
        services: q.services.clone(),
        clusters: q.clusters.clone(),
        except_clusters: q.except.clone(),
        from: q.from,
        to: q.to,
        fix_forward_ms: FIX_FORWARD * 60_000,
    };
    let asks_for_nothing = q.services.as_ref().is_some_and(Vec::is_empty);
    assert!(
        asks_for_nothing || store.dora_rollups(&query).await.unwrap().is_some(),
        "the views answer (else this compares the brute force with itself)"
    );
    let scope =
        read::Scope { services: q.services.clone(), clusters: q.clusters.clone(), except_clusters: q.except.clone() };
    read::report(store, &scope, (q.from, q.to), q.bucket, Some(Duration::minutes(FIX_FORWARD)), true).await.unwrap()
}

fn assert_same(views: &dora::Report, oracle: &dora::Report, q: &Question) {
    assert_eq!(views.overall, oracle.overall, "overall of {q:?}");
    assert_eq!(views.buckets, oracle.buckets, "buckets of {q:?}");
    assert_eq!(views.services, oracle.services, "services of {q:?}");
}

/// The server's store layers over a SQLite store.
fn layered(store: SqliteStore) -> Arc<dyn Store> {
    let cache = spot::scorecards::cache::ScoreCache::default();
    let timed = StoreTiming::store(Arc::new(store), Metrics::new(Vec::<String>::new()));
    cache.watching(Arc::new(timed))
}

async fn recorded(batches: &[Vec<DeployEvent>], through_layers: bool) -> (tempfile::TempDir, Arc<dyn Store>) {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = SqliteStore::open(dir.path().join("spot.db")).unwrap();
    let store: Arc<dyn Store> = if through_layers { layered(sqlite) } else { Arc::new(sqlite) };
    for batch in batches {
        store.record_deployments(batch).await.unwrap();
    }
    (dir, store)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn rollups_give_the_figures_of_the_brute_force(
        batches in batches(),
        questions in prop::collection::vec(question(), 1..8),
        through_layers in any::<bool>(),
    ) {
        runtime().block_on(async {
            let (_dir, store) = recorded(&batches, through_layers).await;
            for q in &questions {
                assert_same(&from_views(&*store, q).await, &oracle(&*store, q).await, q);
            }
        });
    }

    #[test]
    fn pages_of_deploys_are_the_brute_force_list(
        batches in batches(),
        q in question(),
        limit in 1..9usize,
        failed_only in any::<bool>(),
    ) {
        runtime().block_on(async {
            let (_dir, store) = recorded(&batches, false).await;
            let page = DeployPage {
                services: q.services.clone(),
                clusters: q.clusters.clone(),
                except_clusters: q.except.clone(),
                from: q.from.start(),
                to: q.to.plus(1).start(),
                failed_changes: failed_only,
                limit,
                fix_forward_ms: FIX_FORWARD * 60_000,
                ..DeployPage::default()
            };
            let expected = oracle_list(&*store, &page).await;
            let listed = every_page(&*store, page.clone(), None).await;
            assert_eq!(listed, expected, "{q:?}");
            // A window the views were not built with: judged from history.
            let page = DeployPage { fix_forward_ms: (FIX_FORWARD + 1) * 60_000, ..page };
            let expected = oracle_list(&*store, &page).await;
            let listed = every_page(&*store, page, None).await;
            assert_eq!(listed, expected, "without the views: {q:?}");
        });
    }
}

/// The oracle's list: every deploy judged from raw events, the page's
/// filters applied, newest first.
async fn oracle_list(store: &dyn Store, page: &DeployPage) -> Vec<spot::delivery::Judged> {
    let events = store.deploys(&every_deploy()).await.unwrap();
    let mut judged: Vec<_> =
        dora::judged_in_order(events, fix_forward_window(page.fix_forward_ms)).filter(|d| page.selects(d)).collect();
    judged.sort_by_cached_key(|d| {
        let c = DeployCursor::of(d);
        (std::cmp::Reverse(c.at_ms), c.service, c.cluster, c.version)
    });
    judged
}

/// Every page after the first, concatenated; `between` is recorded after
/// the first page.
async fn every_page(
    store: &dyn Store,
    mut page: DeployPage,
    between: Option<DeployEvent>,
) -> Vec<spot::delivery::Judged> {
    let mut listed = Vec::new();
    let mut between = between;
    loop {
        let found = read::deploys_page(store, &page).await.unwrap();
        assert!(found.deploys.len() <= page.limit);
        listed.extend(found.deploys.iter().cloned());
        if let Some(event) = between.take() {
            store.record_deployment(&event).await.unwrap();
        }
        if !found.more {
            return listed;
        }
        page.after = Some(DeployCursor::of(found.deploys.last().unwrap()));
    }
}

fn at(minutes: i64) -> DateTime<Utc> {
    Day(BASE_DAY).start() + Duration::minutes(minutes)
}

fn deploy(version: &str, minutes: i64) -> DeployEvent {
    DeployEvent {
        service: "service:a".into(),
        cluster: "dc1".into(),
        version: version.into(),
        at: at(minutes),
        finished_at: Some(at(minutes + 5)),
        ..DeployEvent::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deploy_recorded_between_two_pages_neither_shifts_nor_repeats_a_row() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("spot.db")).unwrap();
    let history: Vec<DeployEvent> = (0..7).map(|i| deploy(&format!("1.{i}.0"), i * 600)).collect();
    store.record_deployments(&history).await.unwrap();
    let page = DeployPage {
        from: Day(BASE_DAY).start(),
        to: Day(BASE_DAY + 10).start(),
        limit: 3,
        fix_forward_ms: FIX_FORWARD * 60_000,
        ..DeployPage::default()
    };
    // A newer deploy arrives after the first page: the pages after it go on
    // from the cursor, none of the first page's rows again.
    let listed = every_page(&store, page, Some(deploy("1.9.0", 7 * 600))).await;
    let versions: Vec<&str> = listed.iter().map(|d| d.event.version.as_str()).collect();
    assert_eq!(versions, ["1.6.0", "1.5.0", "1.4.0", "1.3.0", "1.2.0", "1.1.0", "1.0.0"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_with_deploys_but_no_views_derives_them_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("spot.db");
    let history: Vec<DeployEvent> = (0..30)
        .map(|i| DeployEvent { cluster: CLUSTERS[i as usize % 3].into(), ..deploy(VERSIONS[i as usize % 6], i * 50) })
        .collect();
    {
        let store = SqliteStore::open(&path).unwrap();
        store.record_deployments(&history).await.unwrap();
    }
    // As a store from before schema 010 (or a killed rebuild) would be:
    // verdicts and rollups gone, the views marked not derived.
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(
        "UPDATE events SET judged_status = NULL; DELETE FROM dora_days; DELETE FROM dora_spans; \
         UPDATE dora_views SET complete = 0, cursor_service = NULL, cursor_cluster = NULL;",
    )
    .unwrap();
    drop(conn);
    let store = SqliteStore::open(&path).unwrap();
    let q = Question {
        services: None,
        clusters: None,
        except: vec![],
        from: Day(BASE_DAY),
        to: Day(BASE_DAY + 2),
        bucket: Bucket::Day,
    };
    assert_same(&from_views(&store, &q).await, &oracle(&store, &q).await, &q);
    assert!(from_views(&store, &q).await.overall.changes > 0, "the history has changes to compare");
}

/// `store`'s whole history exported and imported into a new store (`spot
/// export` → `spot import`), which derives its views once at the end.
async fn exported_and_imported(store: &dyn Store) -> (tempfile::TempDir, SqliteStore) {
    let (sink, mut exported) = tokio::sync::mpsc::channel(256);
    let collect = async move {
        let mut records = Vec::new();
        while let Some(record) = exported.recv().await {
            records.push(record);
        }
        records
    };
    let (done, records) = tokio::join!(store.export(sink), collect);
    done.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let copy = SqliteStore::open(dir.path().join("copy.db")).unwrap();
    let (send, receive) = tokio::sync::mpsc::channel(records.len() + 1);
    for record in records {
        send.send(Ok(record)).await.unwrap();
    }
    drop(send);
    copy.import(receive).await.unwrap();
    (dir, copy)
}

fn multi_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    /// Export → import keeps every deploy, and the views the import derives
    /// once equal the brute force on the imported history.
    #[test]
    fn imported_views_are_the_brute_force(
        batches in batches(),
        questions in prop::collection::vec(question(), 1..6),
    ) {
        multi_thread().block_on(async {
            let (_dir, original) = recorded(&batches, false).await;
            let (_copy_dir, copy) = exported_and_imported(&*original).await;
            let deploys = copy.deploys(&every_deploy()).await.unwrap();
            assert_eq!(deploys, original.deploys(&every_deploy()).await.unwrap(), "every deploy imported");
            for q in &questions {
                assert_same(&from_views(&copy, q).await, &oracle(&copy, q).await, q);
            }
        });
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_of_schema_10_packs_its_rollups_when_opened() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("spot.db");
    let history: Vec<DeployEvent> = (0..60)
        .map(|i| DeployEvent { cluster: CLUSTERS[i as usize % 4].into(), ..deploy(VERSIONS[i as usize % 6], i * 700) })
        .collect();
    {
        let store = SqliteStore::open(&path).unwrap();
        store.record_deployments(&history).await.unwrap();
    }
    // Schema 010 as it was: dora_days and its day index, no spans, and
    // nothing of the later migrations (the kept scores' tables and triggers).
    let conn = rusqlite::Connection::open(&path).unwrap();
    let score_triggers: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'score\\_%' ESCAPE '\\'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(!score_triggers.is_empty(), "the store has the kept scores' triggers to take away");
    for trigger in score_triggers {
        conn.execute_batch(&format!("DROP TRIGGER {trigger};")).unwrap();
    }
    conn.execute_batch(
        "DROP TABLE score_rows; DROP TABLE score_cards; DROP TABLE dora_spans; \
         CREATE INDEX dora_days_by_day ON dora_days (day); PRAGMA user_version = 10;",
    )
    .unwrap();
    drop(conn);
    let store = SqliteStore::open(&path).unwrap();
    let spans: i64 = rusqlite::Connection::open(&path)
        .unwrap()
        .query_row("SELECT count(*) FROM dora_spans", [], |r| r.get(0))
        .unwrap();
    assert!(spans > 4, "the lanes' days, packed across two spans: {spans}");
    let q = Question {
        services: None,
        clusters: None,
        except: vec![],
        from: Day(BASE_DAY),
        to: Day(BASE_DAY + 30),
        bucket: Bucket::Week,
    };
    let views = from_views(&store, &q).await;
    assert_same(&views, &oracle(&store, &q).await, &q);
    assert!(views.overall.changes > 0, "the history has changes to compare");
}
