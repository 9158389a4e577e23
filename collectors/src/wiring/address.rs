//! Which in-cluster hosts a configuration value names: `cartservice:7070`,
//! `http://catalog:80/api`, `jdbc:postgresql://ledger-db:5432/db`,
//! `redis://user:pw@checkout-redis:6379`, `ledger.bank.svc.cluster.local`,
//! `orders.shop`. A value names nothing when it is a loopback or wildcard
//! address, an IP, an external domain (any host whose last label is a
//! public top-level domain), or a template (`${X}`, `$(X)`, `{{ x }}`).

/// Words in a variable's name that say its value is an address, so that a
/// bare name (`REDIS_HOST=redis-cart`) counts; other values need a port
/// or a scheme to be read as one (`DB_USER=cart` is not an address).
const ADDRESS_WORDS: &[&str] = &[
    "ADDR",
    "ADDRESS",
    "HOST",
    "HOSTNAME",
    "URL",
    "URI",
    "ENDPOINT",
    "ENDPOINTS",
    "SERVER",
    "SERVERS",
    "BROKER",
    "BROKERS",
    "DSN",
];

/// Top-level domains that make a dotted host external. Every two-letter
/// label is taken for a country code too; an in-cluster `host.ns` whose
/// namespace is one of these is not read (precision before recall).
const PUBLIC_TLDS: &[&str] = &[
    "com",
    "net",
    "org",
    "io",
    "dev",
    "app",
    "cloud",
    "info",
    "biz",
    "edu",
    "gov",
    "mil",
    "int",
    "xyz",
    "online",
    "site",
    "tech",
    "ai",
    "co",
    "me",
    "tv",
    "aws",
    "google",
    "azure",
    "amazonaws",
    "microsoft",
    "run",
    "page",
    "sh",
    "so",
];

/// The hosts `value` names (a comma- or space-separated list counts, as
/// Kafka's bootstrap servers are written), lower case, each reduced to the
/// name it resolves in-cluster (`ledger.bank.svc.cluster.local` →
/// `ledger`). `variable` is the name the value is read under (an env
/// variable, a ConfigMap key, a values path).
pub fn hosts(variable: &str, value: &str) -> Vec<String> {
    let bare_allowed = names_an_address(variable);
    let mut found: Vec<String> = value
        .split([',', ' ', ';'])
        .filter(|token| !token.is_empty())
        .filter_map(|token| host_of(token.trim(), bare_allowed))
        .collect();
    found.dedup();
    found
}

/// Whether a variable's name says it holds an address.
fn names_an_address(variable: &str) -> bool {
    variable.to_ascii_uppercase().split(|c: char| !c.is_ascii_alphanumeric()).any(|word| ADDRESS_WORDS.contains(&word))
}

/// One token's in-cluster host, if it names one.
fn host_of(token: &str, bare_allowed: bool) -> Option<String> {
    if token.contains(['$', '{', '}', '<', '>']) {
        return None;
    }
    let (rest, has_scheme) = match token.find("://") {
        Some(at) => (&token[at + 3..], true),
        None => (token, false),
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    // `user:password@host`: the credentials are not the host.
    let authority = authority.rsplit_once('@').map(|(_, host)| host).unwrap_or(authority);
    let (host, has_port) = split_port(authority)?;
    if !(has_scheme || has_port || bare_allowed) {
        return None;
    }
    in_cluster_name(&host.to_ascii_lowercase())
}

/// `host:port` → (`host`, true); `host` → (`host`, false); `None` when
/// what follows the colon is not a port (`a:b`, IPv6).
fn split_port(authority: &str) -> Option<(&str, bool)> {
    match authority.rsplit_once(':') {
        Some((host, port)) if !port.is_empty() && port.chars().all(|c| c.is_ascii_digit()) => Some((host, true)),
        Some(_) => None,
        None => Some((authority, false)),
    }
}

/// The name a host resolves to inside a cluster or a compose network, or
/// `None` for what is not one.
fn in_cluster_name(host: &str) -> Option<String> {
    let host = host.trim_end_matches('.');
    if host.is_empty() || host == "localhost" || host.parse::<std::net::IpAddr>().is_ok() {
        return None;
    }
    if !host.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == '_') {
        return None;
    }
    if host.split('.').all(|label| label.chars().all(|c| c.is_ascii_digit())) {
        return None; // a partial IP, a version
    }
    let labels: Vec<&str> = host.split('.').collect();
    let first = labels[0];
    if first.is_empty() || !first.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return None;
    }
    let in_cluster = labels.len() == 1
        || host.ends_with(".svc.cluster.local")
        || host.ends_with(".svc")
        || host.ends_with(".local")
        || (labels.len() == 2 && !is_public_tld(labels[1]));
    in_cluster.then(|| first.to_string())
}

fn is_public_tld(label: &str) -> bool {
    label.len() == 2 || PUBLIC_TLDS.contains(&label)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_host_and_port_names_the_host() {
        assert_eq!(hosts("CART_SERVICE_ADDR", "cartservice:7070"), ["cartservice"]);
        assert_eq!(hosts("ANYTHING", "cartservice:7070"), ["cartservice"], "a port is enough");
    }

    #[test]
    fn urls_name_their_host_whatever_the_scheme_path_or_credentials() {
        assert_eq!(hosts("RETAIL_UI_ENDPOINTS_CATALOG", "http://catalog:8080/api"), ["catalog"]);
        assert_eq!(hosts("SPRING_DATASOURCE_URL", "jdbc:postgresql://ledger-db:5432/postgresdb"), ["ledger-db"]);
        assert_eq!(hosts("REDIS", "redis://user:secret@checkout-redis:6379/0"), ["checkout-redis"]);
        assert_eq!(hosts("MONGO", "mongodb://mongodb/catalogue"), ["mongodb"]);
    }

    #[test]
    fn cluster_dns_names_reduce_to_the_service_name() {
        assert_eq!(hosts("LEDGER", "ledger.bank.svc.cluster.local:8080"), ["ledger"]);
        assert_eq!(hosts("LEDGER_HOST", "ledger.bank.svc"), ["ledger"]);
        assert_eq!(hosts("LEDGER_HOST", "ledger.bank"), ["ledger"]);
        assert_eq!(hosts("X", "http://orders.local:80"), ["orders"]);
    }

    #[test]
    fn a_bare_name_counts_only_under_a_variable_that_holds_an_address() {
        assert_eq!(hosts("REDIS_HOST", "redis-cart"), ["redis-cart"]);
        assert_eq!(hosts("catalogue.endpoint", "catalogue"), ["catalogue"]);
        assert!(hosts("DB_USER", "cart").is_empty());
        assert!(hosts("LOG_LEVEL", "info").is_empty());
    }

    #[test]
    fn lists_of_brokers_name_each_host() {
        assert_eq!(hosts("KAFKA_BOOTSTRAP_SERVERS", "kafka-0:9092,kafka-1:9092"), ["kafka-0", "kafka-1"]);
    }

    #[test]
    fn loopback_ips_external_domains_and_templates_name_nothing() {
        for value in [
            "localhost:8080",
            "http://localhost:3550",
            "0.0.0.0:8080",
            "127.0.0.1:6379",
            "10.0.0.12:5432",
            "[::1]:80",
            "https://api.stripe.com/v1",
            "otel.example.io:4317",
            "https://storage.googleapis.com/bucket",
            "ledger.acme.de:80",
            "${CART_ADDR}",
            "$(POD_IP):8080",
            "{{ .Values.host }}:80",
            "1.2:3",
            "",
        ] {
            assert!(hosts("SERVICE_ADDR", value).is_empty(), "{value} named {:?}", hosts("SERVICE_ADDR", value));
        }
    }
}
