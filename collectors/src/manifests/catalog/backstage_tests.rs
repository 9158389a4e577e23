//! Backstage files read document by document: see [`super`].
use super::*;

const TWO_COMPONENTS_ONE_INVALID: &str = "\
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
  name: artist-lookup
  namespace: default
  description: Artist Lookup
  tags: [java, data]
  labels:
    tier: gold
spec:
  type: service
  owner: team-a
  system: artist-engagement-portal
  dependsOn: ['resource:artists-db', 'component:Bad Name']
  providesApis: [artist-api]
";

#[test]
fn an_invalid_name_leaves_that_entity_out_with_its_file_and_line_and_keeps_the_rest() {
    let file = read("catalog-info.yaml", TWO_COMPONENTS_ONE_INVALID).unwrap();
    let names: Vec<&str> = file.entities.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["artist-lookup"]);
    let problems: Vec<String> = file.invalid.iter().map(ToString::to_string).collect();
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(
        problems[0].starts_with(
            "catalog-info.yaml:4: the Component's `metadata.name` 'invalid component' is not a valid name"
        ),
        "{}",
        problems[0]
    );
    assert!(problems[0].ends_with("; entity skipped"));
    assert!(
        problems[1]
            .starts_with("catalog-info.yaml:12: `spec.dependsOn` of Component 'artist-lookup': 'component:Bad Name'"),
        "{}",
        problems[1]
    );
}

#[test]
fn metadata_and_every_reference_are_read_with_their_kinds() {
    let file = read("services/artist/catalog-info.yaml", TWO_COMPONENTS_ONE_INVALID).unwrap();
    let entity = &file.entities[0];
    assert_eq!(entity.namespace, None, "`default` is no namespace");
    assert_eq!(entity.description.as_deref(), Some("Artist Lookup"));
    assert_eq!(entity.tags, ["java", "data"]);
    assert_eq!(entity.labels["tier"], "gold");
    let refs: Vec<(Field, String)> =
        entity.refs.iter().map(|(f, r)| (*f, format!("{}:{}", r.kind, r.qualified()))).collect();
    assert_eq!(
        refs,
        [
            (Field::Owner, "group:team-a".to_string()),
            (Field::System, "system:artist-engagement-portal".into()),
            (Field::DependsOn, "resource:artists-db".into()),
            (Field::ProvidesApis, "api:artist-api".into()),
        ]
    );
    let entries = entries(&file);
    assert_eq!(entries[0].owner.as_deref(), Some("team:team-a"));
    assert_eq!(entries[0].folder, "services/artist");
}

#[test]
fn references_take_the_entitys_namespace_unless_they_name_one() {
    let ns = Some("alternative");
    assert_eq!(parse_ref("team-a", "group", ns).unwrap().qualified(), "alternative/team-a");
    assert_eq!(parse_ref("default/team-a", "group", ns).unwrap().qualified(), "team-a");
    assert_eq!(parse_ref("group:default/Team-A", "group", None).unwrap().name, "team-a");
    assert_eq!(parse_ref("user:guest", "group", None).unwrap().kind, "user");
    assert!(parse_ref("component:", "component", None).is_err());
}

#[test]
fn groups_users_and_locations_are_entities_too() {
    let content = "\
# the organisation
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: team-a
spec:
  type: team
  parent: backstage
  children: []
  members: [jdoe]
  profile:
    email: team-a@example.com
---
apiVersion: backstage.io/v1alpha1
kind: Location
metadata:
  name: groups
spec:
  targets: [./team-b.yaml]
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: not-backstage
";
    let file = read("org.yaml", content).unwrap();
    let kinds: Vec<(Kind, usize)> = file.entities.iter().map(|e| (e.kind, e.line)).collect();
    assert_eq!(kinds, [(Kind::Group, 6), (Kind::Location, 18)]);
    let group = &file.entities[0];
    assert_eq!(group.profile["email"], "team-a@example.com");
    assert_eq!(group.refs_of(Field::Members).next().unwrap().kind, "user");
    assert_eq!(file.entities[1].targets, ["./team-b.yaml"]);
    assert!(holds_location(content));
}

#[test]
fn yaml_that_does_not_parse_fails_the_file_with_its_line() {
    let error = read("catalog-info.yaml", "kind: Component\nmetadata: [\n").unwrap_err();
    assert_eq!(error.path, "catalog-info.yaml");
    assert!(error.line.is_some(), "{error}");
}
