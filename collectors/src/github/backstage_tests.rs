//! The Backstage model read across an organisation's repositories, as a
//! team migrating from Backstage lays it out: one repository per
//! component with its `catalog-info.yaml`, and a central catalog
//! repository of groups, systems, domains, APIs and resources reached by
//! Locations. Entities of the same shapes as Backstage's example catalog.

use serde_json::{json, Value};

use crate::github::map::{observe, OrgContext};
use crate::github::sync::RepoFiles;
use crate::identity::IdentityConfig;
use crate::{Day, Observation};

fn repo(name: &str, files: &[(&str, &str)]) -> RepoFiles {
    RepoFiles::from_files(name, &[], files)
}

const ALL: &str = "\
apiVersion: backstage.io/v1alpha1
kind: Location
metadata:
  name: everything
spec:
  targets:
    - ./org/org.yaml
    - ./systems.yaml
    - ./apis/artist-api.yaml
    - ./resources/artists-db.yaml
    - https://github.com/acme/playback/blob/main/backstage/playback-sdk.yaml
    - https://github.com/elsewhere/x/blob/main/catalog-info.yaml
    - ./missing.yaml
    - ./groups/*.yaml
";

const ORG: &str = "\
apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: acme-corp
spec:
  type: organization
  children: [infrastructure]
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: infrastructure
  description: Infrastructure
spec:
  type: department
  children: []
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: team-a
spec:
  type: team
  parent: infrastructure
  profile:
    email: team-a@example.com
  members: [breanna.davison]
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata:
  name: janelle.dawe
spec:
  profile:
    displayName: Janelle Dawe
  memberOf: [team-a]
";

const SYSTEMS: &str = "\
apiVersion: backstage.io/v1alpha1
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
  tags: [portal]
spec:
  owner: team-a
  domain: artists
";

const API: &str = "\
apiVersion: backstage.io/v1alpha1
kind: API
metadata:
  name: artist-api
spec:
  type: openapi
  lifecycle: production
  owner: team-a
  system: artist-engagement-portal
  definition: |
    openapi: 3.0.0
";

const DB: &str = "\
apiVersion: backstage.io/v1alpha1
kind: Resource
metadata:
  name: artists-db
spec:
  type: database
  owner: team-a
  system: artist-engagement-portal
";

const ARTIST_LOOKUP: &str = "\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: artist-lookup
  description: Artist Lookup
  tags: [java, data]
  labels:
    tier: gold
  annotations:
    github.com/project-slug: acme/artist-lookup
spec:
  type: service
  lifecycle: experimental
  owner: team-a
  system: artist-engagement-portal
  dependsOn: ['resource:artists-db']
  providesApis: [artist-api]
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: invalid component
spec:
  type: service
  owner: user:guest
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: artist-lookup-storage
spec:
  type: service
  owner: team-a
  subcomponentOf: artist-lookup
";

const WWW_ARTIST: &str = "\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: www-artist
spec:
  type: website
  lifecycle: production
  owner: sre
  system: artist-engagement-portal
  consumesApis: [artist-api]
";

const PLAYBACK_SDK: &str = "\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: playback-sdk
spec:
  type: library
  owner: team-a
  system: audio-playback
  dependencyOf: [component:www-artist]
";

const OTHER_NAMESPACE: &str = "\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: artist-lookup
  namespace: alternative
spec:
  type: service
  owner: default/team-a
";

const UNREACHED: &str = "\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: forgotten
spec:
  type: service
";

fn organisation() -> Observation {
    let repos = [
        repo(
            "catalog",
            &[
                ("all.yaml", ALL),
                ("org/org.yaml", ORG),
                ("systems.yaml", SYSTEMS),
                ("apis/artist-api.yaml", API),
                ("resources/artists-db.yaml", DB),
                ("stray/forgotten.yaml", UNREACHED),
                ("examples/sample.yaml", UNREACHED),
            ],
        ),
        repo("artist-lookup", &[("catalog-info.yaml", ARTIST_LOOKUP)]),
        repo("www-artist", &[("catalog-info.yaml", WWW_ARTIST)]),
        repo("playback", &[("backstage/playback-sdk.yaml", PLAYBACK_SDK)]),
        repo("artist-lookup-alt", &[("catalog-info.yaml", OTHER_NAMESPACE)]),
    ];
    let mut obs = Observation::new("github", "acme", Day(20_000));
    let context =
        OrgContext { host: "github.com", org: "acme", day: Day(20_000), identity: &IdentityConfig::default() };
    observe(&context, &repos, &mut obs);
    obs
}

fn attrs<'a>(obs: &'a Observation, key: &str) -> &'a serde_json::Map<String, Value> {
    &obs.entities.iter().find(|e| e.key == key).unwrap_or_else(|| panic!("no {key}")).attrs
}

fn has(obs: &Observation, from: &str, kind: &str, to: &str) -> bool {
    obs.relations.iter().any(|r| r.from == from && r.kind == kind && r.to == to)
}

#[test]
fn one_invalid_name_is_a_finding_with_its_file_and_line_and_every_other_entity_is_written() {
    let obs = organisation();
    assert_eq!(obs.validate(), Ok(()));
    assert!(obs.warnings.iter().any(|w| w.starts_with(
        "repo:github.com/acme/artist-lookup: catalog-info.yaml:22: the Component's `metadata.name` 'invalid component' is not a valid name"
    )), "{:#?}", obs.warnings);
    let findings = &attrs(&obs, "repo:github.com/acme/artist-lookup")["catalog_findings"];
    assert_eq!(findings[0]["path"], "catalog-info.yaml");
    assert_eq!(findings[0]["line"], 22);
    for key in ["service:artist-lookup", "service:artist-lookup-storage", "service:www-artist"] {
        attrs(&obs, key);
    }
}

#[test]
fn groups_and_users_make_the_organisation_and_owners_no_one_declares_are_flagged() {
    let obs = organisation();
    assert_eq!(attrs(&obs, "team:infrastructure")["type"], "department");
    assert_eq!(attrs(&obs, "team:team-a")["email"], "team-a@example.com");
    assert_eq!(attrs(&obs, "user:janelle.dawe")["display_name"], "Janelle Dawe");
    assert!(has(&obs, "team:infrastructure", "child_of", "team:acme-corp"), "from the parent's children");
    assert!(has(&obs, "team:team-a", "child_of", "team:infrastructure"), "from the child's parent");
    assert!(has(&obs, "user:breanna.davison", "member_of", "team:team-a"), "from the group's members");
    assert!(has(&obs, "user:janelle.dawe", "member_of", "team:team-a"), "from the user's memberOf");
    assert!(has(&obs, "team:sre", "owns", "service:www-artist"));
    assert_eq!(attrs(&obs, "team:sre")["unresolved"], true);
    assert!(attrs(&obs, "team:team-a").get("unresolved").is_none());
    assert!(obs.warnings.iter().any(|w| w.starts_with("team:sre: owns entities by the catalog, but no Group or User")));
}

#[test]
fn a_central_catalog_is_read_through_its_locations_in_and_across_repositories() {
    let obs = organisation();
    for key in ["system:artist-engagement-portal", "domain:artists", "api:artist-api", "resource:artists-db"] {
        assert_eq!(attrs(&obs, key)["repo"], "repo:github.com/acme/catalog", "{key}");
    }
    assert_eq!(attrs(&obs, "component:playback-sdk")["declared_in"], "backstage/playback-sdk.yaml");
    let warned = |text: &str| obs.warnings.iter().any(|w| w.contains(text));
    assert!(warned(
        "stray/forgotten.yaml: declares Backstage entities, but no catalog-info.yaml and no Location reaches it"
    ));
    assert!(warned("all.yaml:4: the Location's target 'https://github.com/elsewhere/x/blob/main/catalog-info.yaml' is not a file of a repository of github.com/acme"));
    assert!(warned("all.yaml:4: the Location's target './missing.yaml' names no YAML file in catalog: not followed"));
    assert!(warned("all.yaml:4: the Location's target './groups/*.yaml' is a glob, which SPoT does not follow (list the files): not followed"));
    assert!(obs.entities.iter().all(|e| e.key != "service:forgotten"));
    assert!(!warned("examples/sample.yaml"), "examples are not meant to be read");
}

#[test]
fn every_relation_kind_is_read_with_its_inverse() {
    let obs = organisation();
    assert!(has(&obs, "service:artist-lookup", "depends_on", "resource:artists-db"));
    assert!(has(&obs, "service:www-artist", "depends_on", "component:playback-sdk"), "dependencyOf, turned round");
    assert!(has(&obs, "service:artist-lookup-storage", "part_of", "service:artist-lookup"), "subcomponentOf");
    assert!(has(&obs, "service:artist-lookup", "provides_api", "api:artist-api"));
    assert!(has(&obs, "service:www-artist", "consumes_api", "api:artist-api"));
    assert!(has(&obs, "api:artist-api", "part_of", "system:artist-engagement-portal"));
    assert!(has(&obs, "system:artist-engagement-portal", "part_of", "domain:artists"));
    assert!(has(&obs, "team:team-a", "owns", "system:artist-engagement-portal"));
    assert!(has(&obs, "team:team-a", "owns", "resource:artists-db"));
    assert!(has(&obs, "service:artist-lookup", "part_of", "system:artist-engagement-portal"));
}

#[test]
fn metadata_libraries_websites_and_namespaces_are_kept() {
    let obs = organisation();
    let lookup = attrs(&obs, "service:artist-lookup");
    assert_eq!(lookup["description"], "Artist Lookup");
    assert_eq!(lookup["tags"], json!(["java", "data"]));
    assert_eq!(lookup["labels"], json!({ "tier": "gold" }));
    assert_eq!(lookup["links"][0]["url"], "https://github.com/acme/artist-lookup", "github.com/project-slug");
    assert_eq!(attrs(&obs, "service:www-artist")["type"], "website");
    let sdk = attrs(&obs, "component:playback-sdk");
    assert_eq!((&sdk["type"], &sdk["system"]), (&json!("library"), &json!("audio-playback")));
    assert!(has(&obs, "team:team-a", "owns", "component:playback-sdk"));
    assert!(has(&obs, "component:playback-sdk", "part_of", "system:audio-playback"), "a system no file declares");
    let other = attrs(&obs, "service:alternative/artist-lookup");
    assert_eq!(other["namespace"], "alternative");
    assert!(other.get("conflict").is_none(), "another namespace is another name");
    assert!(has(&obs, "team:team-a", "owns", "service:alternative/artist-lookup"));
    assert_eq!(attrs(&obs, "system:artist-engagement-portal")["tags"], json!(["portal"]));
}
