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

use collectors::Day;
use git::TestRepo;
use serde_json::{json, Value};
use spot::config::Config;
use spot::model::Direction;
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

/// Day 1: the organisation as migrated. Day 2: team-a moves from
/// infrastructure to boxoffice, www-artist starts consuming artist-api.
/// Day 3: artist-lookup starts depending on artists-db.
fn organisation(parent: &Path) -> Vec<TestRepo> {
    let catalog = TestRepo::new(parent, "acme", "catalog");
    let day_1_org = org("infrastructure");
    catalog.commit(
        DAY_1,
        9,
        &[
            ("all.yaml", Some(ALL)),
            ("org.yaml", Some(&day_1_org)),
            ("all-systems.yaml", Some(SYSTEMS)),
            ("systems/portal.yaml", Some(PORTAL)),
            ("apis/artist-api.yaml", Some(API)),
            ("resources/artists-db.yaml", Some(DB)),
        ],
    );
    catalog.commit(DAY_2, 9, &[("org.yaml", Some(&org("boxoffice")))]);
    let lookup = TestRepo::new(parent, "acme", "artist-lookup");
    lookup.commit(DAY_1, 9, &[("catalog-info.yaml", Some(&artist_lookup("'component:www-artist'")))]);
    lookup.commit(DAY_3, 9, &[("catalog-info.yaml", Some(&artist_lookup("'resource:artists-db'")))]);
    let www = TestRepo::new(parent, "acme", "www-artist");
    www.commit(DAY_1, 9, &[("catalog-info.yaml", Some(&www_artist("")))]);
    www.commit(DAY_2, 9, &[("catalog-info.yaml", Some(&www_artist("artist-api")))]);
    let playback = TestRepo::new(parent, "acme", "playback");
    playback.commit(DAY_1, 9, &[("sdk/playback-sdk.yaml", Some(PLAYBACK_SDK))]);
    vec![catalog, lookup, www, playback]
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
    assert!(finding["problem"].as_str().unwrap().contains("`invalid component` is not a valid name"));
    assert_eq!(
        hygiene["unresolvedOwners"],
        json!([{ "owner": "team:sre", "owns": ["repo:github.com/acme/www-artist", "service:www-artist"] }])
    );
}
