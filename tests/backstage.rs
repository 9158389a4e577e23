//! A Backstage catalog migrated whole (issue 37), end to end: an
//! organisation laid out as a team leaving Backstage has it (one
//! repository per component with its `catalog-info.yaml`, a central
//! catalog repository of groups, systems, domains, APIs and resources
//! reached by Locations), three days of changes, replayed by `spot
//! backfill git` and read back through the store and the GraphQL API.
//! Entities of the same shapes as Backstage's example catalog.

#[allow(dead_code)]
#[path = "support/git.rs"]
mod git;

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use collectors::github::fake::{FakeGitHub, FakeRepo};
use collectors::Day;
use git::TestRepo;
use serde_json::{json, Value};
use spot::config::Config;
use spot::model::{Direction, SearchQuery};
use spot::server::Server;
use spot::store::Store;
use spot::SqliteStore;

const DAY_1: &str = "2026-11-02";
const DAY_2: &str = "2026-11-03";
const DAY_3: &str = "2026-11-04";

const ALL: &str = "apiVersion: backstage.io/v1alpha1
kind: Location
metadata:
  name: everything
spec:
  targets:
    - ./org.yaml
    - ./all-systems.yaml
    - https://github.com/acme/playback/blob/main/sdk/playback-sdk.yaml
";

const SYSTEMS: &str = "apiVersion: backstage.io/v1alpha1
kind: Location
metadata:
  name: systems
spec:
  targets: [./systems/portal.yaml, ./apis/artist-api.yaml, ./resources/artists-db.yaml]
";

const PORTAL: &str = "apiVersion: backstage.io/v1alpha1
kind: Domain
metadata:
  name: artists
spec:
  owner: team-a
---
apiVersion: backstage.io/v1alpha1
kind: System
metadata:
  name: artist-engagement-portal
  description: Everything about artists
spec:
  owner: team-a
  domain: artists
";

const API: &str = "apiVersion: backstage.io/v1alpha1
kind: API
metadata:
  name: artist-api
spec:
  type: openapi
  lifecycle: production
  owner: team-a
  system: artist-engagement-portal
";

const DB: &str = "apiVersion: backstage.io/v1alpha1
kind: Resource
metadata:
  name: artists-db
  description: Stores artist details
spec:
  type: database
  owner: team-a
  system: artist-engagement-portal
";

fn org(team_a_parent: &str) -> String {
    format!(
        "apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: acme-corp
spec:
  type: organization
  children: [infrastructure, boxoffice]
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: infrastructure
spec:
  type: department
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: boxoffice
spec:
  type: department
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: team-a
spec:
  type: team
  parent: {team_a_parent}
  members: [breanna.davison]
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata:
  name: breanna.davison
spec:
  memberOf: []
"
    )
}

fn artist_lookup(depends_on: &str) -> String {
    format!(
        "apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: artist-lookup
  description: Artist Lookup
  tags: [java, data]
spec:
  type: service
  lifecycle: experimental
  owner: team-a
  system: artist-engagement-portal
  providesApis: [artist-api]
  dependsOn: [{depends_on}]
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: invalid component
  description: a name Backstage refuses
spec:
  type: service
  owner: user:guest
"
    )
}

fn www_artist(consumes: &str) -> String {
    format!(
        "apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: www-artist
spec:
  type: website
  lifecycle: production
  owner: sre
  system: artist-engagement-portal
  consumesApis: [{consumes}]
"
    )
}

const PLAYBACK_SDK: &str = "apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: playback-sdk
spec:
  type: library
  owner: team-a
  system: audio-playback
";

const DAYS: [&str; 3] = [DAY_1, DAY_2, DAY_3];

/// Each repository's files on day `n` (0-2). Day 1: the organisation as
/// migrated. Day 2: team-a moves from infrastructure to boxoffice,
/// www-artist starts consuming artist-api. Day 3: artist-lookup starts
/// depending on artists-db.
fn organisation_on(n: usize) -> Vec<(&'static str, Vec<(&'static str, String)>)> {
    vec![
        (
            "catalog",
            vec![
                ("all.yaml", ALL.to_string()),
                ("org.yaml", org(if n == 0 { "infrastructure" } else { "boxoffice" })),
                ("all-systems.yaml", SYSTEMS.to_string()),
                ("systems/portal.yaml", PORTAL.to_string()),
                ("apis/artist-api.yaml", API.to_string()),
                ("resources/artists-db.yaml", DB.to_string()),
            ],
        ),
        (
            "artist-lookup",
            vec![(
                "catalog-info.yaml",
                artist_lookup(if n < 2 { "'component:www-artist'" } else { "'resource:artists-db'" }),
            )],
        ),
        ("www-artist", vec![("catalog-info.yaml", www_artist(if n == 0 { "" } else { "artist-api" }))]),
        ("playback", vec![("sdk/playback-sdk.yaml", PLAYBACK_SDK.to_string())]),
    ]
}

/// The organisation as git repositories: each day's changes committed on
/// that day.
fn organisation(parent: &Path) -> Vec<TestRepo> {
    let mut repos: Vec<TestRepo> = Vec::new();
    for (n, date) in DAYS.iter().enumerate() {
        let before = (n > 0).then(|| organisation_on(n - 1));
        for (i, (name, files)) in organisation_on(n).into_iter().enumerate() {
            if n == 0 {
                repos.push(TestRepo::new(parent, "acme", name));
            }
            let old = before.as_ref().map(|b| &b[i].1);
            let changed: Vec<(&str, Option<&str>)> = files
                .iter()
                .filter(|(path, content)| old.is_none_or(|old| !old.contains(&(*path, content.clone()))))
                .map(|(path, content)| (*path, Some(content.as_str())))
                .collect();
            if !changed.is_empty() {
                repos[i].commit(date, 9, &changed);
            }
        }
    }
    repos
}

fn backfill(dir: &Path) -> std::path::PathBuf {
    let repos = organisation(&dir.join("repos"));
    let db = dir.join("spot.db");
    let mut command = Command::new(env!("CARGO_BIN_EXE_spot"));
    command.args(["backfill", "git", "--db"]).arg(&db).env("SPOT_LOG", "error");
    command.args(repos.iter().map(|r| &r.path));
    let output = command.output().unwrap();
    let said = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "the backfill failed:\n{said}");
    db
}

fn day(date: &str) -> Day {
    date.parse().unwrap()
}

async fn neighbours(store: &dyn Store, key: &str, direction: Direction, kind: &str, date: &str) -> Vec<String> {
    let found = store.relations(key, day(date), direction, &[kind.to_string()]).await.unwrap();
    let mut ends: Vec<String> =
        found.into_iter().map(|r| if direction == Direction::In { r.from } else { r.to }).collect();
    ends.sort();
    ends
}

async fn graphql(store: Arc<dyn Store>, query: &str) -> Value {
    let server = Server::new(&Config::default(), store).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/graphql", listener.local_addr().unwrap());
    tokio::spawn(server.serve_on(listener, std::future::pending()));
    let answer: Value =
        reqwest::Client::new().post(&url).json(&json!({ "query": query })).send().await.unwrap().json().await.unwrap();
    assert!(answer.get("errors").is_none(), "{answer}");
    answer["data"].clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_backstage_catalog_backfills_whole_with_its_history() {
    let dir = tempfile::tempdir().unwrap();
    let db = backfill(dir.path());
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&db).unwrap());
    let s = store.as_ref();

    // 1. The invalid name costs its own entity: everything else is written.
    for key in ["service:artist-lookup", "service:www-artist", "component:playback-sdk", "api:artist-api"] {
        assert!(s.entity(key, day(DAY_3)).await.unwrap().is_some(), "{key}");
    }

    // 2. The organisation, and an org change on its day.
    assert_eq!(neighbours(s, "team:team-a", Direction::Out, "child_of", DAY_1).await, ["team:infrastructure"]);
    assert_eq!(neighbours(s, "team:team-a", Direction::Out, "child_of", DAY_2).await, ["team:boxoffice"]);
    assert_eq!(neighbours(s, "team:boxoffice", Direction::Out, "child_of", DAY_2).await, ["team:acme-corp"]);
    assert_eq!(neighbours(s, "team:team-a", Direction::In, "member_of", DAY_2).await, ["user:breanna.davison"]);

    // 3. The central catalog, through its Locations (one across repositories).
    assert_eq!(
        neighbours(s, "system:artist-engagement-portal", Direction::Out, "part_of", DAY_1).await,
        ["domain:artists"]
    );
    assert_eq!(
        neighbours(s, "system:artist-engagement-portal", Direction::In, "part_of", DAY_1).await,
        ["api:artist-api", "resource:artists-db", "service:artist-lookup", "service:www-artist"]
    );
    assert_eq!(neighbours(s, "team:team-a", Direction::Out, "owns", DAY_1).await.len(), 7);

    // 4. Relations of every kind, each on its day: who breaks if artists-db breaks?
    assert!(neighbours(s, "resource:artists-db", Direction::In, "depends_on", DAY_2).await.is_empty());
    assert_eq!(
        neighbours(s, "resource:artists-db", Direction::In, "depends_on", DAY_3).await,
        ["service:artist-lookup"]
    );
    assert!(neighbours(s, "api:artist-api", Direction::In, "consumes_api", DAY_1).await.is_empty());
    assert_eq!(neighbours(s, "api:artist-api", Direction::In, "consumes_api", DAY_2).await, ["service:www-artist"]);
    assert_eq!(neighbours(s, "api:artist-api", Direction::In, "provides_api", DAY_1).await, ["service:artist-lookup"]);

    // 5. Metadata: search by tag and description, a website stays one.
    let data = graphql(
        store.clone(),
        &format!(
            "{{ byTag: search(text: \"java\", at: \"{DAY_3}\") {{ key }}
                byDescription: search(text: \"artist details\", at: \"{DAY_3}\") {{ key }}
                www: entity(key: \"service:www-artist\", at: \"{DAY_3}\") {{ type: attribute(path: \"type\") }}
                hygiene(at: \"{DAY_3}\") {{
                  counts {{ invalidCatalogEntities unresolvedOwners }}
                  invalidCatalogEntities {{ repository path line problem }}
                  unresolvedOwners {{ owner owns }}
                }} }}"
        ),
    )
    .await;
    assert_eq!(data["byTag"], json!([{ "key": "service:artist-lookup" }]));
    assert_eq!(data["byDescription"], json!([{ "key": "resource:artists-db" }]));
    assert_eq!(data["www"]["type"], "website");
    let hygiene = &data["hygiene"];
    assert_eq!(hygiene["counts"], json!({ "invalidCatalogEntities": 1, "unresolvedOwners": 1 }));
    let finding = &hygiene["invalidCatalogEntities"][0];
    assert_eq!(finding["repository"], "repo:github.com/acme/artist-lookup");
    assert_eq!((&finding["path"], &finding["line"]), (&json!("catalog-info.yaml"), &json!(18)));
    assert!(finding["problem"].as_str().unwrap().contains("'invalid component' is not a valid name"));
    assert_eq!(
        hygiene["unresolvedOwners"],
        json!([{ "owner": "team:sre", "owns": ["repo:github.com/acme/www-artist", "service:www-artist"] }])
    );
}

/// Every entity alive on `date` but repositories, and their relations to
/// anything but a repository. Services found only by a weak signal are
/// left out: the fake GitHub gives every repository the topic `service`,
/// which a git clone has no equivalent of.
async fn graph(store: &dyn Store, date: &str) -> (Vec<String>, Vec<String>) {
    let query = SearchQuery { text: ":".into(), kinds: Vec::new(), day: day(date), limit: 10_000 };
    let mut keys = Vec::new();
    for entity in store.search(&query).await.unwrap() {
        let state = store.entity(&entity.key, day(date)).await.unwrap().unwrap();
        let weak = state.facts.iter().any(|f| f.attrs.get("signal") == Some(&json!("weak")));
        if !entity.key.starts_with("repo:") && !weak {
            keys.push(entity.key);
        }
    }
    keys.sort();
    let mut relations = Vec::new();
    for key in &keys {
        for r in store.relations(key, day(date), Direction::Out, &[]).await.unwrap() {
            if !r.to.starts_with("repo:") {
                relations.push(format!("{} {} {}", r.from, r.kind, r.to));
            }
        }
    }
    relations.sort();
    (keys, relations)
}

#[tokio::test(flavor = "multi_thread")]
async fn live_collection_reads_the_catalog_as_the_backfill_does() {
    let dir = tempfile::tempdir().unwrap();
    let history: Arc<dyn Store> = Arc::new(SqliteStore::open(backfill(dir.path())).unwrap());
    // The fake GitHub answers on loopback: that is its host, so the
    // Location's URL into another repository names it.
    let repos: Vec<FakeRepo> = organisation_on(2)
        .into_iter()
        .map(|(name, files)| FakeRepo {
            name: name.into(),
            pushed_at: format!("{DAY_3}T09:00:00Z"),
            created_at: format!("{DAY_1}T09:00:00Z"),
            archived: false,
            files: files
                .into_iter()
                .map(|(p, c)| (p.to_string(), c.replace("https://github.com/", "https://127.0.0.1/")))
                .collect(),
        })
        .collect();
    let github = FakeGitHub::start_with("acme", repos).await.unwrap();
    let config = dir.path().join("spot.toml");
    std::fs::write(
        &config,
        format!(
            "[collectors.github]\nbase_url = \"{}\"\norgs = [\"acme\"]\ncheck_latest = false\ncache_dir = \"\"\n",
            github.url
        ),
    )
    .unwrap();
    let db = dir.path().join("live.db");
    let (config, db_text) = (config.display().to_string(), db.display().to_string());
    let output = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_spot"))
            .args(["collect", "github", "--config", &config, "--db", &db_text, "--day", DAY_3])
            .env("SPOT_LOG", "error")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let live: Arc<dyn Store> = Arc::new(SqliteStore::open(&db).unwrap());
    let (live_keys, live_relations) = graph(live.as_ref(), DAY_3).await;
    let (keys, relations) = graph(history.as_ref(), DAY_3).await;
    assert_eq!(live_keys, keys, "the same entities");
    assert_eq!(live_relations, relations, "the same relations");
    assert!(keys.contains(&"component:playback-sdk".to_string()), "reached across repositories in both");
}
