//! Backing services: what a workload runs when its image is a well-known
//! third-party database, cache, queue or search engine rather than code of
//! the organisation. Such a workload is a `resource`, not a service.

use crate::image::ImageRef;

/// What kind of backing service an image runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backing {
    /// `database`, `cache`, `queue`, `search`, `storage` or `other`.
    pub kind: &'static str,
    /// The engine, as one name whatever the image's vendor: `postgres`,
    /// `redis`, `kafka`, …
    pub engine: &'static str,
}

/// (image name, engine, kind). Image names are the last path segment of
/// the repository, so that every registry's copy counts
/// (`public.ecr.aws/docker/library/mysql`, `bitnami/postgresql`).
const ENGINES: &[(&str, &str, &str)] = &[
    ("postgres", "postgres", "database"),
    ("postgresql", "postgres", "database"),
    ("postgis", "postgres", "database"),
    ("timescaledb", "postgres", "database"),
    ("mysql", "mysql", "database"),
    ("mysql-server", "mysql", "database"),
    ("mariadb", "mariadb", "database"),
    ("percona-server", "mysql", "database"),
    ("mongo", "mongodb", "database"),
    ("mongodb", "mongodb", "database"),
    ("cassandra", "cassandra", "database"),
    ("scylla", "scylla", "database"),
    ("dynamodb-local", "dynamodb", "database"),
    ("aws-dynamodb-local", "dynamodb", "database"),
    ("cockroach", "cockroachdb", "database"),
    ("couchdb", "couchdb", "database"),
    ("couchbase", "couchbase", "database"),
    ("neo4j", "neo4j", "database"),
    ("clickhouse-server", "clickhouse", "database"),
    ("influxdb", "influxdb", "database"),
    ("redis", "redis", "cache"),
    ("redis-stack", "redis", "cache"),
    ("redis-stack-server", "redis", "cache"),
    ("valkey", "valkey", "cache"),
    ("keydb", "keydb", "cache"),
    ("memcached", "memcached", "cache"),
    ("rabbitmq", "rabbitmq", "queue"),
    ("kafka", "kafka", "queue"),
    ("cp-kafka", "kafka", "queue"),
    ("cp-server", "kafka", "queue"),
    ("nats", "nats", "queue"),
    ("nats-streaming", "nats", "queue"),
    ("activemq", "activemq", "queue"),
    ("activemq-artemis", "activemq", "queue"),
    ("pulsar", "pulsar", "queue"),
    ("elasticsearch", "elasticsearch", "search"),
    ("opensearch", "opensearch", "search"),
    ("solr", "solr", "search"),
    ("meilisearch", "meilisearch", "search"),
    ("minio", "minio", "storage"),
    ("azurite", "azurite", "storage"),
    ("zookeeper", "zookeeper", "other"),
    ("cp-zookeeper", "zookeeper", "other"),
    ("consul", "consul", "other"),
    ("etcd", "etcd", "other"),
];

/// The backing service `image` runs, if it is one.
pub fn classify(image: &str) -> Option<Backing> {
    let reference = ImageRef::parse(image)?;
    let name = reference.short_name().to_ascii_lowercase();
    ENGINES.iter().find(|(known, _, _)| *known == name).map(|(_, engine, kind)| Backing { kind, engine })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn third_party_images_are_backing_services_whatever_their_registry() {
        let engine = |image: &str| classify(image).map(|b| (b.engine, b.kind));
        assert_eq!(engine("redis:alpine"), Some(("redis", "cache")));
        assert_eq!(engine("public.ecr.aws/docker/library/mysql:8.0"), Some(("mysql", "database")));
        assert_eq!(engine("bitnami/postgresql:16"), Some(("postgres", "database")));
        assert_eq!(engine("amazon/dynamodb-local:1.20.0"), Some(("dynamodb", "database")));
        assert_eq!(engine("rabbitmq:3-management"), Some(("rabbitmq", "queue")));
        assert_eq!(engine("opensearchproject/opensearch:2"), Some(("opensearch", "search")));
        assert_eq!(engine("confluentinc/cp-zookeeper"), Some(("zookeeper", "other")));
    }

    #[test]
    fn the_organisations_own_images_are_not() {
        assert_eq!(classify("gcr.io/acme/cartservice:1.2"), None);
        assert_eq!(classify("acme/redis-exporter:1"), None, "a name must match whole");
        assert_eq!(classify("gcr.io/bank-of-anthos/ledger-db:v0.6"), None);
    }
}
