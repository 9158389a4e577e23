//! What SPoT's collectors write, for checking scorecard rules: the
//! attributes of each entity kind and the kinds each relation joins.
//!
//! Read from the collectors' source: `github` (`collectors/src/github/map.rs`,
//! `services.rs`; `spot backfill git` replays through the same mapping, so it
//! writes the same), `kubernetes` (`kubernetes/entities.rs`, `read/`), `consul`
//! (`consul/map.rs`), `sonarqube` (`sonarqube/map.rs`), `confluence`
//! (`confluence/map.rs`) and the synthetic organisation of `spot generate` /
//! `spot demo` (`synthetic/observe.rs`, `hygiene.rs`). `aliases` is the
//! rewriting `spot collect` and backfill apply to every observation
//! (`identity/aliases.rs`): a `service:<alias>` key becomes the service's,
//! with `alias` on the entity and on each relation rewritten. Each entry's
//! comment names the collectors that write it.
//!
//! Conventions, for the check:
//! - Paths are dotted as [`crate::attribute_path`] reads them. An object's
//!   path and every member's are listed (`replicas`, `replicas.desired`).
//! - Arrays: the array's own path, and its elements under a `*` segment
//!   (`topics.*`, `containers.*.image`). A rule's digit segments (array
//!   indexes, `containers.0.image`) are to be matched against `*`.
//! - Free-form maps (labels, annotations, Consul meta, resource requests) are
//!   listed as attributes and their paths given in `open`: any key below
//!   them is allowed.
//! - Not covered here, so the check must allow for them: SonarQube measures
//!   are one attribute per metric key, and `[collectors.sonarqube] metrics`
//!   can name others than the defaults listed; observations ingested with
//!   `spot ingest` or the `ingest` mutation carry whatever they carry.

/// The attributes one kind of entity carries, as dotted paths.
pub struct KindAttributes {
    pub kind: &'static str,
    /// Every attribute path any collector writes for this kind, dotted for nested objects (e.g. "replicas.ready").
    pub attributes: &'static [&'static str],
    /// Prefixes under which any key is allowed (free-form maps such as "labels", "annotations").
    pub open: &'static [&'static str],
}

pub struct RelationKind {
    pub kind: &'static str,
    pub from: &'static [&'static str],
    pub to: &'static [&'static str],
    /// Attribute paths the relation carries (e.g. uses: "resolved", "spec", "scope", "manifest", "via").
    pub attributes: &'static [&'static str],
}

pub const ENTITY_KINDS: &[KindAttributes] = &[
    // github (Backstage API entities, docs/backstage.md)
    KindAttributes {
        kind: "api",
        attributes: &[
            "annotations",   // github: metadata.annotations (map, values over 2 KiB left out)
            "declared_in",   // github: the catalog file declaring it
            "description",   // github: metadata.description
            "labels",        // github: metadata.labels (map)
            "lifecycle",     // github: spec.lifecycle
            "links",         // github: metadata.links, and github.com/project-slug / backstage.io/techdocs-ref
            "links.*",       // github
            "links.*.title", // github
            "links.*.type",  // github
            "links.*.url",   // github
            "namespace",     // github: metadata.namespace, outside `default` only
            "repo",          // github: the key of the repository holding the file
            "system",        // github: spec.system's name
            "tags",          // github: metadata.tags
            "tags.*",        // github
            "title",         // github: metadata.title
            "type",          // github: spec.type, verbatim
        ],
        open: &["annotations", "labels"],
    },
    // kubernetes (one per scope), synthetic
    KindAttributes {
        kind: "cluster",
        attributes: &[
            "datacenter", // kubernetes: `clusters[].datacenter` of the config
            "region",     // synthetic: the real collector writes `datacenter` instead
            "version",    // kubernetes, synthetic: the API server's version
        ],
        open: &[],
    },
    // github (Backstage components that are not services: libraries, ...)
    KindAttributes {
        kind: "component",
        attributes: &[
            "annotations",   // github: metadata.annotations (map, values over 2 KiB left out)
            "declared_in",   // github: the catalog file declaring it
            "description",   // github: metadata.description
            "labels",        // github: metadata.labels (map)
            "lifecycle",     // github: spec.lifecycle
            "links",         // github: metadata.links, and github.com/project-slug / backstage.io/techdocs-ref
            "links.*",       // github
            "links.*.title", // github
            "links.*.type",  // github
            "links.*.url",   // github
            "namespace",     // github: metadata.namespace, outside `default` only
            "repo",          // github: the key of the repository holding the file
            "system",        // github: spec.system's name
            "tags",          // github: metadata.tags
            "tags.*",        // github
            "title",         // github: metadata.title
            "type",          // github: spec.type, verbatim
        ],
        open: &["annotations", "labels"],
    },
    // confluence, synthetic
    KindAttributes {
        kind: "doc",
        attributes: &[
            "labels",      // confluence, synthetic: a list of label names (not a map, unlike a workload's)
            "labels.*",    // confluence, synthetic
            "last_editor", // confluence, synthetic
            "space",       // confluence, synthetic: the space key
            "title",       // confluence, synthetic
            "updated",     // confluence, synthetic: RFC 3339 (synthetic: a date)
            "url",         // confluence, synthetic
            "version",     // confluence, synthetic: page version number
        ],
        open: &[],
    },
    // github (Backstage Domain entities)
    KindAttributes {
        kind: "domain",
        attributes: &[
            "annotations",   // github: metadata.annotations (map, values over 2 KiB left out)
            "declared_in",   // github: the catalog file declaring it
            "description",   // github: metadata.description
            "labels",        // github: metadata.labels (map)
            "links",         // github: metadata.links, and github.com/project-slug / backstage.io/techdocs-ref
            "links.*",       // github
            "links.*.title", // github
            "links.*.type",  // github
            "links.*.url",   // github
            "namespace",     // github: metadata.namespace, outside `default` only
            "repo",          // github: the key of the repository holding the file
            "tags",          // github: metadata.tags
            "tags.*",        // github
            "title",         // github: metadata.title
            "type",          // github: spec.type, verbatim
        ],
        open: &["annotations", "labels"],
    },
    // github (manifests), synthetic
    KindAttributes {
        kind: "package",
        attributes: &[
            "ecosystem",    // github, synthetic
            "internal",     // github, synthetic: github writes it only when true; synthetic writes true or false
            "latest",       // github, synthetic: github with `check_latest`, external packages only
            "published_by", // github: the publishing repo's key
        ],
        open: &[],
    },
    // github (also `spot backfill git`), synthetic
    KindAttributes {
        kind: "repo",
        attributes: &[
            "catalog_findings", // github: Backstage entities left out, Locations not followed (path, line, problem)
            "catalog_findings.*", // github
            "catalog_findings.*.line", // github
            "catalog_findings.*.path", // github
            "catalog_findings.*.problem", // github
            "default_branch",   // github, synthetic
            "description",      // github
            "fork",             // github
            "language",         // github, synthetic
            "languages",        // github: names by size
            "languages.*",      // github
            "last_push",        // github, synthetic
            "open_issues",      // github, synthetic
            "releases",         // github: latest releases then tags, newest first; backfill: the clone's tags
            "releases.*",       // github
            "releases.*.at",    // github: null for a bare tag
            "releases.*.commit", // github
            "releases.*.tag",   // github
            "status",           // github, synthetic: active / archived / disabled
            "topics",           // github, synthetic
            "topics.*",         // github, synthetic
            "type",             // github, synthetic: service / library / infrastructure / other
            "url",              // github
            "visibility",       // github, synthetic
        ],
        open: &[],
    },
    // github (Backstage Resource entities; wiring: backing services run from third-party images), kubernetes, synthetic
    KindAttributes {
        kind: "resource",
        attributes: &[
            "annotations",   // github: metadata.annotations (map, values over 2 KiB left out)
            "declared_in",   // github: the catalog file declaring it
            "description",   // github: metadata.description
            "engine",        // github, kubernetes, synthetic: postgres / redis / kafka / … (wiring)
            "image",         // github, kubernetes, synthetic: the image it runs (wiring)
            "labels",        // github: metadata.labels (map)
            "links",         // github: metadata.links, and github.com/project-slug / backstage.io/techdocs-ref
            "links.*",       // github
            "links.*.title", // github
            "links.*.type",  // github
            "links.*.url",   // github
            "namespace",     // github: metadata.namespace, outside `default` only
            "repo",          // github: the key of the repository holding the file
            "system",        // github: spec.system's name
            "tags",          // github: metadata.tags
            "tags.*",        // github
            "title",         // github: metadata.title
            "type", // github, synthetic: spec.type, verbatim; wiring: database / cache / queue / search / storage / other
        ],
        open: &["annotations", "labels"],
    },
    // github (identity, catalog-info.yaml / .spot.yaml), consul, synthetic; `alias` by alias rewriting
    KindAttributes {
        kind: "service",
        attributes: &[
            "alias",                // aliases: the alias the key was rewritten from (in practice consul's)
            "aliases",              // github: catalog file's declared aliases
            "aliases.*",            // github
            "annotations",          // github: catalog file's metadata.annotations (map, values over 2 KiB left out)
            "conflict",             // github, synthetic: only when the service lost its name to another claim
            "conflict.held_by",     // github, synthetic
            "conflict.holder_path", // github, synthetic
            "conflict.holder_repo", // github, synthetic
            "conflict.name",        // github, synthetic
            "conflict.path",        // github, synthetic
            "conflict.reason",      // github, synthetic
            "conflict.repo",        // github, synthetic
            "critical",             // consul, synthetic: instances
            "description",          // github: Backstage metadata.description
            "evidence",             // github: the files that found it
            "evidence.*",           // github
            "found_by",             // github, synthetic: the signals that found it (catalog-info, dockerfile, ...)
            "found_by.*",           // github, synthetic
            "image",                // github: the image its build produces, when known
            "instances",            // consul, synthetic
            "labels",               // github: Backstage metadata.labels (map)
            "lifecycle",            // github, synthetic: catalog file (null when it names none)
            "links",                // github: catalog metadata.links / .spot.yaml docs
            "links.*",              // github
            "links.*.title",        // github
            "links.*.type",         // github
            "links.*.url",          // github
            "matched_by",           // consul: `consul-name`
            "meta",                 // consul: merged ServiceMeta (map)
            "name_then",            // github (backfill): the name it had that day, before a rename
            "named_by",             // github, synthetic: what named it (catalog-info, image, folder, ...)
            "namespace",            // github: Backstage metadata.namespace, outside `default` only
            "nodes",                // consul
            "nodes.*",              // consul
            "passing",              // consul, synthetic: instances
            "path",                 // github, synthetic: its folder, `/` at the root
            "signal",               // github, synthetic: explicit / build / deploy / weak
            "system",               // github: catalog file (null when it names none)
            "tags",                 // consul, synthetic, github: Backstage metadata.tags
            "tags.*",               // consul, synthetic, github
            "tier",                 // synthetic: no real collector writes it
            "title",                // github: Backstage metadata.title
            "type",                 // github, synthetic: `service`, or `website` for a Backstage website
            "warning",              // consul, synthetic: instances
        ],
        open: &["annotations", "labels", "meta"],
    },
    // sonarqube, synthetic
    KindAttributes {
        kind: "sonar_project",
        attributes: &[
            "bugs",                              // sonarqube, synthetic: default metric
            "code_smells",                       // sonarqube, synthetic: default metric
            "coverage",                          // sonarqube, synthetic: default metric
            "duplicated_lines_density",          // sonarqube, synthetic: default metric
            "last_analysis",                     // sonarqube, synthetic
            "ncloc",                             // sonarqube, synthetic: default metric
            "quality_gate",                      // sonarqube, synthetic: OK / WARN / ERROR / NONE
            "quality_gate_failing",              // sonarqube: conditions not OK
            "quality_gate_failing.*",            // sonarqube
            "quality_gate_failing.*.actual",     // sonarqube
            "quality_gate_failing.*.comparator", // sonarqube
            "quality_gate_failing.*.metric",     // sonarqube
            "quality_gate_failing.*.status",     // sonarqube
            "quality_gate_failing.*.threshold",  // sonarqube
            "reliability_rating",                // sonarqube: default metric, A-E
            "revision",                          // sonarqube
            "security_hotspots",                 // sonarqube, synthetic: default metric
            "security_rating",                   // sonarqube: default metric, A-E
            "security_review_rating",            // sonarqube: default metric, A-E
            "sqale_rating",                      // sonarqube: default metric, A-E
            "tags",                              // sonarqube
            "tags.*",                            // sonarqube
            "visibility",                        // sonarqube
            "vulnerabilities",                   // sonarqube, synthetic: default metric
        ],
        open: &[],
    },
    // confluence
    KindAttributes {
        kind: "space",
        attributes: &[
            "key",  // confluence
            "name", // confluence
            "type", // confluence: global / personal
        ],
        open: &[],
    },
    // github (Backstage System entities, and systems catalog files name), synthetic (one per team: description)
    KindAttributes {
        kind: "system",
        attributes: &[
            "annotations",   // github: metadata.annotations (map, values over 2 KiB left out)
            "declared_in",   // github: the catalog file declaring it
            "description",   // github, synthetic: metadata.description
            "labels",        // github: metadata.labels (map)
            "links",         // github: metadata.links, and github.com/project-slug / backstage.io/techdocs-ref
            "links.*",       // github
            "links.*.title", // github
            "links.*.type",  // github
            "links.*.url",   // github
            "namespace",     // github: metadata.namespace, outside `default` only
            "repo",          // github: the key of the repository holding the file
            "tags",          // github: metadata.tags
            "tags.*",        // github
            "title",         // github: metadata.title
            "type",          // github: spec.type, verbatim
        ],
        open: &["annotations", "labels"],
    },
    // github (Group entities; CODEOWNERS and catalog owners: no attributes), synthetic
    KindAttributes {
        kind: "team",
        attributes: &[
            "annotations",   // github: metadata.annotations (map, values over 2 KiB left out)
            "declared_in",   // github: the catalog file declaring it
            "description",   // github: metadata.description
            "display_name",  // github: spec.profile.displayName
            "email",         // github: spec.profile.email
            "labels",        // github: metadata.labels (map)
            "links",         // github: metadata.links, and github.com/project-slug / backstage.io/techdocs-ref
            "links.*",       // github
            "links.*.title", // github
            "links.*.type",  // github
            "links.*.url",   // github
            "members",       // synthetic: no real collector writes it
            "namespace",     // github: metadata.namespace, outside `default` only
            "picture",       // github: spec.profile.picture
            "repo",          // github: the key of the repository holding the file
            "slack",         // synthetic: no real collector writes it
            "tags",          // github: metadata.tags
            "tags.*",        // github
            "title",         // github: metadata.title
            "type",          // github: spec.type, verbatim
            "unresolved",    // github: true for an owner a catalog names that no Group or User declares
        ],
        open: &["annotations", "labels"],
    },
    // github (User entities; CODEOWNERS @login or email, catalog `user:` owners: no attributes)
    KindAttributes {
        kind: "user",
        attributes: &[
            "annotations",   // github: metadata.annotations (map, values over 2 KiB left out)
            "declared_in",   // github: the catalog file declaring it
            "description",   // github: metadata.description
            "display_name",  // github: spec.profile.displayName
            "email",         // github: spec.profile.email
            "labels",        // github: metadata.labels (map)
            "links",         // github: metadata.links, and github.com/project-slug / backstage.io/techdocs-ref
            "links.*",       // github
            "links.*.title", // github
            "links.*.type",  // github
            "links.*.url",   // github
            "namespace",     // github: metadata.namespace, outside `default` only
            "picture",       // github: spec.profile.picture
            "repo",          // github: the key of the repository holding the file
            "tags",          // github: metadata.tags
            "tags.*",        // github
            "title",         // github: metadata.title
            "type",          // github: spec.type, verbatim
            "unresolved",    // github: true for an owner a catalog names that no Group or User declares
        ],
        open: &["annotations", "labels"],
    },
    // kubernetes, github (declared in manifests, `workload:declared/...`), synthetic
    KindAttributes {
        kind: "workload",
        attributes: &[
            "annotations",                // kubernetes: map, kubectl's last-applied and values over 2 KiB left out
            "container",                  // kubernetes: main container's name
            "containers",                 // kubernetes
            "containers.*",               // kubernetes
            "containers.*.digest",        // kubernetes
            "containers.*.image",         // kubernetes
            "containers.*.limits",        // kubernetes: map: cpu, memory, ...
            "containers.*.name",          // kubernetes
            "containers.*.requests",      // kubernetes: map: cpu, memory, ...
            "containers.*.tag",           // kubernetes
            "created",                    // kubernetes
            "declared_in",                // github: declared workloads: the file or folder
            "digest",                     // kubernetes
            "hosts",                      // kubernetes: Ingress hosts
            "hosts.*",                    // kubernetes
            "hpa",                        // kubernetes
            "hpa.current",                // kubernetes
            "hpa.desired",                // kubernetes
            "hpa.max",                    // kubernetes
            "hpa.min",                    // kubernetes
            "image",                      // kubernetes, github, synthetic
            "init_containers",            // kubernetes
            "init_containers.*",          // kubernetes
            "init_containers.*.digest",   // kubernetes
            "init_containers.*.image",    // kubernetes
            "init_containers.*.limits",   // kubernetes: map
            "init_containers.*.name",     // kubernetes
            "init_containers.*.requests", // kubernetes: map
            "init_containers.*.sidecar",  // kubernetes: native sidecars only
            "init_containers.*.tag",      // kubernetes
            "kind",                       // kubernetes, github, synthetic: the object's kind (declared: also Helm)
            "labels",                     // kubernetes, synthetic: map
            "namespace",                  // kubernetes, github, synthetic
            "pods",                       // kubernetes
            "pods.failed",                // kubernetes
            "pods.node_count",            // kubernetes
            "pods.nodes",                 // kubernetes: at most 100
            "pods.nodes.*",               // kubernetes
            "pods.pending",               // kubernetes
            "pods.ready",                 // kubernetes
            "pods.restarts",              // kubernetes
            "pods.running",               // kubernetes
            "pods.succeeded",             // kubernetes
            "pods.unknown",               // kubernetes
            "pods.zones",                 // kubernetes: only when nodes were read
            "pods.zones.*",               // kubernetes
            "purpose",                    // github: declared workloads: deploy / test / example
            "replicas",                   // kubernetes, synthetic: absent for CronJobs
            "replicas.available",         // kubernetes
            "replicas.desired",           // kubernetes, synthetic
            "replicas.ready",             // kubernetes, synthetic
            "replicas.updated",           // kubernetes
            "revision",                   // kubernetes: Deployments
            "role",                       // github: declared workloads: service / job / third-party
            "rollout_status",             // kubernetes: complete / progressing / failed / paused
            "rollouts",                   // kubernetes: Deployments, oldest first
            "rollouts.*",                 // kubernetes
            "rollouts.*.created",         // kubernetes
            "rollouts.*.image",           // kubernetes
            "rollouts.*.revision",        // kubernetes
            "rollouts.*.version",         // kubernetes
            "schedule",                   // kubernetes: CronJobs
            "service",                    // kubernetes: the service's name, when one is found
            "service_via",                // kubernetes: annotation, backstage-id, label:<label>, image
            "services",                   // kubernetes: Kubernetes Services selecting its pods
            "services.*",                 // kubernetes
            "suspend",                    // kubernetes: CronJobs
            "time_zone",                  // kubernetes: CronJobs
            "version",                    // kubernetes, github, synthetic: image tag, else digest
            "via",                        // github: declared workloads: manifest / kustomize / helm
        ],
        open: &[
            "annotations",
            "containers.*.limits",
            "containers.*.requests",
            "init_containers.*.limits",
            "init_containers.*.requests",
            "labels",
        ],
    },
];

pub const RELATION_KINDS: &[RelationKind] = &[
    // github, synthetic
    RelationKind {
        kind: "builds",
        from: &["repo"],
        to: &["service"],
        attributes: &[
            "found_by",   // github, synthetic
            "found_by.*", // github, synthetic
            "named_by",   // github, synthetic
            "path",       // github, synthetic: the service's folder (`""` at the root for github, `/` for synthetic)
        ],
    },
    // github (Backstage Group spec.parent / spec.children)
    RelationKind {
        kind: "child_of",
        from: &["team"],
        to: &["team"],
        attributes: &[
            "field", // github: parent / children (the Backstage field it was read from)
            "via",   // github: catalog-info
        ],
    },
    // github (Backstage spec.consumesApis)
    RelationKind {
        kind: "consumes_api",
        from: &["component", "service"],
        to: &["api", "component", "service"],
        attributes: &[
            "field", // github: consumesApis
            "via",   // github: catalog-info
        ],
    },
    // github
    RelationKind {
        kind: "declares",
        from: &["repo"],
        to: &["workload"],
        attributes: &[
            "path", // github: the declaring file
        ],
    },
    // github (catalog dependsOn, internal packages), consul (upstreams), synthetic
    RelationKind {
        kind: "depends_on",
        from: &["api", "component", "resource", "service", "system"],
        to: &["api", "component", "resource", "service", "system"],
        attributes: &[
            "alias",     // aliases
            "field",     // github: Backstage dependsOn / dependencyOf
            "file",      // github, kubernetes, synthetic: via env / configmap / helm / compose: the declaring file
            "intention", // consul: allow / deny / l7
            "object",    // kubernetes: the workload or ConfigMap naming the address (`ConfigMap shop/api`)
            "package",   // github: via package: the package key
            "variable", // github, kubernetes, synthetic: the env variable, ConfigMap key or values path naming the address
            "via", // github, consul, kubernetes, synthetic: declared / package / consul / env / configmap / helm / compose / kubernetes
        ],
    },
    // kubernetes, github (declared), synthetic
    RelationKind {
        kind: "deploys",
        from: &["service"],
        to: &["workload"],
        attributes: &[
            "alias",   // aliases
            "purpose", // github: declared workloads: deploy / test / example
            "version", // kubernetes, github (declared: the service's own image only)
            "via",     // kubernetes, github, synthetic: what named the service: label:app, image, declared, ...
        ],
    },
    // confluence, synthetic
    RelationKind {
        kind: "documents",
        from: &["doc"],
        to: &["service"],
        attributes: &[
            "alias", // aliases
            "via",   // confluence, synthetic: label / property / title
        ],
    },
    // confluence
    RelationKind { kind: "in_space", from: &["doc"], to: &["space"], attributes: &[] },
    // consul
    RelationKind {
        kind: "intention",
        from: &["service"],
        to: &["service"],
        attributes: &[
            "action", // consul: allow / deny / l7
            "alias",  // aliases
        ],
    },
    // sonarqube, github (sonar.projectKey in a service folder), synthetic
    RelationKind {
        kind: "measures",
        from: &["sonar_project"],
        to: &["repo", "service"],
        attributes: &[
            "alias",      // aliases
            "by",         // sonarqube, synthetic: alm_binding / project_key
            "path",       // github: the sonar-project.properties or pom.xml read
            "repository", // sonarqube: monorepo bindings: the repo key
            "via",        // sonarqube, github, synthetic: binding / project_key / monorepo-*; github: the file read
        ],
    },
    // github (Backstage Group spec.members, User spec.memberOf)
    RelationKind {
        kind: "member_of",
        from: &["user"],
        to: &["team"],
        attributes: &[
            "field", // github: members / memberOf
            "via",   // github: catalog-info
        ],
    },
    // github, synthetic
    RelationKind {
        kind: "owns",
        from: &["team", "user"],
        to: &["api", "component", "domain", "repo", "resource", "service", "system"],
        attributes: &[
            "via", // github, synthetic: catalog-info / codeowners
        ],
    },
    // github (Backstage spec.system, .domain, .subdomainOf, .subcomponentOf), synthetic (services part of their team's system)
    RelationKind {
        kind: "part_of",
        from: &["api", "component", "domain", "resource", "service", "system"],
        to: &["component", "domain", "service", "system"],
        attributes: &[
            "field", // github, synthetic: system / domain / subdomainOf / subcomponentOf
            "via",   // github, synthetic: catalog-info
        ],
    },
    // github (Backstage spec.providesApis)
    RelationKind {
        kind: "provides_api",
        from: &["component", "service"],
        to: &["api"],
        attributes: &[
            "field", // github: providesApis
            "via",   // github: catalog-info
        ],
    },
    // github, synthetic (no attributes)
    RelationKind {
        kind: "publishes",
        from: &["repo"],
        to: &["package"],
        attributes: &[
            "manifest", // github
            "version",  // github
        ],
    },
    // kubernetes, synthetic
    RelationKind { kind: "runs_in", from: &["workload"], to: &["cluster"], attributes: &[] },
    // github, synthetic
    RelationKind {
        kind: "uses",
        from: &["repo", "service"],
        to: &["package"],
        attributes: &[
            "behind",     // github: with check_latest: major / minor / patch / up_to_date / ahead / unknown
            "latest",     // github: with check_latest
            "managed_by", // github: the parent or BOM (package key) giving its version
            "manifest",   // github, synthetic
            "outdated",   // github: with check_latest, when known
            "resolved",   // github, synthetic
            "role",       // github: parent / bom, for a Maven parent or an imported BOM
            "scope",      // github, synthetic: runtime / dev / test / build / optional
            "spec",       // github, synthetic
        ],
    },
];

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    fn is_sorted_and_unique(list: &[&str]) -> bool {
        list.windows(2).all(|pair| pair[0] < pair[1])
    }

    #[test]
    fn no_kind_appears_twice() {
        let mut entities = BTreeSet::new();
        for kind in ENTITY_KINDS {
            assert!(entities.insert(kind.kind), "entity kind {} appears twice", kind.kind);
        }
        let mut relations = BTreeSet::new();
        for relation in RELATION_KINDS {
            assert!(relations.insert(relation.kind), "relation kind {} appears twice", relation.kind);
        }
    }

    #[test]
    fn every_relation_joins_known_entity_kinds() {
        let known: BTreeSet<&str> = ENTITY_KINDS.iter().map(|k| k.kind).collect();
        for relation in RELATION_KINDS {
            for end in relation.from.iter().chain(relation.to) {
                assert!(known.contains(end), "{} joins {end}, which ENTITY_KINDS does not list", relation.kind);
            }
        }
    }

    #[test]
    fn lists_are_sorted_without_duplicates() {
        let kinds: Vec<&str> = ENTITY_KINDS.iter().map(|k| k.kind).collect();
        assert!(is_sorted_and_unique(&kinds), "{kinds:?}");
        let kinds: Vec<&str> = RELATION_KINDS.iter().map(|k| k.kind).collect();
        assert!(is_sorted_and_unique(&kinds), "{kinds:?}");
        for kind in ENTITY_KINDS {
            assert!(is_sorted_and_unique(kind.attributes), "{}: {:?}", kind.kind, kind.attributes);
            assert!(is_sorted_and_unique(kind.open), "{}: {:?}", kind.kind, kind.open);
        }
        for relation in RELATION_KINDS {
            for list in [relation.from, relation.to, relation.attributes] {
                assert!(is_sorted_and_unique(list), "{}: {list:?}", relation.kind);
            }
        }
    }

    #[test]
    fn paths_are_attribute_paths_and_every_parent_is_listed() {
        for kind in ENTITY_KINDS {
            for path in kind.attributes.iter().chain(kind.open) {
                assert!(crate::attribute_path::check(path).is_ok(), "{}: {path}", kind.kind);
                if let Some((parent, _)) = path.rsplit_once('.') {
                    assert!(kind.attributes.contains(&parent), "{}: {path} without {parent}", kind.kind);
                }
            }
            for prefix in kind.open {
                assert!(kind.attributes.contains(prefix), "{}: open {prefix} is not an attribute", kind.kind);
            }
        }
        for relation in RELATION_KINDS {
            for path in relation.attributes {
                if let Some((parent, _)) = path.rsplit_once('.') {
                    assert!(relation.attributes.contains(&parent), "{}: {path} without {parent}", relation.kind);
                }
            }
        }
    }
}
