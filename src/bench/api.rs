//! `spot bench api`: the GraphQL API over HTTP on loopback, driven by 1, 8
//! and 32 concurrent clients, against the ceiling of this machine: a minimal
//! axum handler returning a constant JSON body, measured the same way.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::routing::post;
use axum::{Json, Router};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use serde_json::{json, Value};

use super::store::{build_history, history_span, Sample};
use super::{round3, Percentiles};
use crate::config::Config;
use crate::server::Server;
use crate::SqliteStore;

#[derive(Debug, Clone)]
pub struct Options {
    pub scale: usize,
    pub days: usize,
    pub seed: u64,
    /// Where the history lives; an existing `history.db` is reused.
    pub dir: PathBuf,
    /// How long each (query, clients) cell runs.
    pub seconds: f64,
}

#[derive(Debug, Serialize)]
pub struct Cell {
    pub rps: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub requests: usize,
    pub errors: usize,
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub scale: usize,
    pub days: usize,
    pub seconds_per_cell: f64,
    pub ceiling_rps: f64,
    /// query → clients ("1", "8", "32"; the explorer pages' queries, named
    /// `delivery_*` and `scorecards_*`, at "8" only) → figures.
    pub queries: BTreeMap<&'static str, BTreeMap<String, Cell>>,
    /// query → best throughput as a share of the ceiling.
    pub ratio_to_ceiling: BTreeMap<&'static str, f64>,
}

const CLIENTS: [usize; 3] = [1, 8, 32];
/// The explorer's page queries run at 8 clients only: each request is
/// heavy (a year of scores), and 8 people opening a page is the question.
const PAGE_CLIENTS: [usize; 1] = [8];

const LOOKUP: &str = "query Lookup($key: String!, $at: Date) { entity(key: $key, at: $at) { key kind name facts { source scope attrs validFrom validTo } } }";
const TRAVERSAL: &str = "query Deps($key: String!, $at: Date) { dependencies(key: $key, at: $at, depth: 3, kinds: [\"depends_on\", \"deploys\", \"runs_in\"]) { nodes { depth entity { key kind name } } edges { kind from to source attrs } } }";
const TIMELINE: &str = "query Timeline($key: String!, $from: Date, $to: Date) { timeline(key: $key, attribute: \"version\", from: $from, to: $to) { from to value scope } }";

pub type MakeBody = Arc<dyn Fn(&mut ChaCha8Rng) -> Value + Send + Sync>;

pub async fn run(options: &Options, mut progress: impl FnMut(&str, u64, u64)) -> anyhow::Result<Report> {
    std::fs::create_dir_all(&options.dir)?;
    let history = options.dir.join("history.db");
    if !history.exists() {
        build_history(&history, options.scale, options.days, options.seed, &mut progress).await?;
    }
    let store = SqliteStore::open(&history)?;
    let (first, last) = history_span(&store, &history).await?;
    let sample = Arc::new(Sample::load(&store, first, last, options.seed).await?);

    // The scorecards page needs a scorecard: the built-in one, the demo's.
    let mut config = Config::default();
    config.scorecards.builtin = true;
    let api_url = listen(Server::new(&config, Arc::new(store))?.router()).await?;
    let ceiling_router = Router::new().route("/graphql", post(|| async { Json(json!({ "data": { "ok": true } })) }));
    let ceiling_url = listen(ceiling_router).await?;
    let client = reqwest::Client::builder().pool_max_idle_per_host(64).build()?;
    let duration = Duration::from_secs_f64(options.seconds);

    progress("ceiling", 0, 1);
    let constant: MakeBody = Arc::new(|_| json!({ "query": "{ ok }" }));
    let ceiling = run_cell(&client, &ceiling_url, 32, duration, constant).await;

    let span = |s: &Sample| (s.first.0, s.last.0);
    let (lo, hi) = span(&sample);
    let day = move |rng: &mut ChaCha8Rng| crate::model::Day(rng.random_range(lo..=hi)).to_string();
    let pick = |keys: &Vec<String>, rng: &mut ChaCha8Rng| keys[rng.random_range(0..keys.len())].clone();
    let mut bodies: Vec<(&'static str, MakeBody, &[usize])> = Vec::new();
    let s = sample.clone();
    bodies.push((
        "entity_lookup",
        Arc::new(move |rng| json!({ "query": LOOKUP, "variables": { "key": pick(&s.entities, rng), "at": day(rng) } })),
        &CLIENTS,
    ));
    let s = sample.clone();
    bodies.push((
        "traversal_depth3",
        Arc::new(
            move |rng| json!({ "query": TRAVERSAL, "variables": { "key": pick(&s.services, rng), "at": day(rng) } }),
        ),
        &CLIENTS,
    ));
    let s = sample.clone();
    let (from, to) = (sample.first.to_string(), sample.last.to_string());
    bodies.push(("timeline_730d", Arc::new(move |rng| json!({ "query": TIMELINE, "variables": { "key": pick(&s.workloads, rng), "from": from, "to": to } })), &CLIENTS));
    bodies.extend(super::pages::bodies(first, last).into_iter().map(|(name, body)| (name, body, &PAGE_CLIENTS[..])));

    let mut report = Report {
        scale: options.scale,
        days: (last.0 - first.0 + 1) as usize,
        seconds_per_cell: options.seconds,
        ceiling_rps: ceiling.rps,
        queries: BTreeMap::new(),
        ratio_to_ceiling: BTreeMap::new(),
    };
    let total = bodies.iter().map(|(_, _, clients)| clients.len()).sum::<usize>() as u64;
    let mut done = 0;
    for (name, body, clients) in bodies {
        let mut cells = BTreeMap::new();
        for &clients in clients {
            progress(name, done, total);
            cells.insert(clients.to_string(), run_cell(&client, &api_url, clients, duration, body.clone()).await);
            done += 1;
        }
        let best = cells.values().map(|c| c.rps).fold(0.0, f64::max);
        report.ratio_to_ceiling.insert(name, round3(best / ceiling.rps.max(1.0)));
        report.queries.insert(name, cells);
    }
    Ok(report)
}

async fn listen(router: Router) -> anyhow::Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/graphql", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, router).await });
    Ok(url)
}

/// Whether a response body is an answer without errors. A load generator
/// that fully parsed every answer would spend the shared cores on itself, so
/// this scans bytes, with SIMD (a window-by-window scan of a 15 kB traversal
/// answer took 11 µs, this one 0.4): data that is an object, and no
/// `"errors":[` anywhere.
fn answered(body: &[u8]) -> bool {
    body.starts_with(b"{\"data\":{") && memchr::memmem::find(body, b"\"errors\":[").is_none()
}

/// `clients` concurrent loops posting bodies until the time is up.
async fn run_cell(client: &reqwest::Client, url: &str, clients: usize, duration: Duration, body: MakeBody) -> Cell {
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::with_capacity(clients);
    for index in 0..clients {
        let (client, url, body) = (client.clone(), url.to_string(), body.clone());
        tasks.push(tokio::spawn(async move {
            let mut rng = ChaCha8Rng::seed_from_u64(index as u64);
            let (mut latencies, mut errors) = (Vec::new(), 0usize);
            while Instant::now() < deadline {
                let payload = body(&mut rng);
                let sent = Instant::now();
                let ok = match client.post(&url).json(&payload).send().await {
                    Ok(response) if response.status().is_success() => {
                        response.bytes().await.is_ok_and(|b| answered(&b))
                    }
                    _ => false,
                };
                latencies.push(sent.elapsed());
                errors += usize::from(!ok);
            }
            (latencies, errors)
        }));
    }
    let (mut latencies, mut errors) = (Vec::new(), 0);
    for task in tasks {
        if let Ok((l, e)) = task.await {
            latencies.extend(l);
            errors += e;
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let percentiles = Percentiles::of(&latencies);
    Cell {
        rps: round3(latencies.len() as f64 / elapsed),
        p50_ms: percentiles.p50,
        p99_ms: percentiles.p99,
        requests: latencies.len(),
        errors,
    }
}

#[cfg(test)]
mod tests {
    use super::answered;

    #[test]
    fn only_answers_without_errors_count() {
        assert!(answered(br#"{"data":{"entity":{"key":"service:a"}}}"#));
        assert!(!answered(br#"{"data":null,"errors":[{"message":"no"}]}"#));
        assert!(!answered(br#"{"data":{"entity":null},"errors":[{"message":"no"}]}"#));
        assert!(!answered(br#"{"errors":[{"message":"no"}]}"#));
    }
}
