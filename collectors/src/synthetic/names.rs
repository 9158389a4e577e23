//! Believable names for teams, services, libraries and packages.

use std::collections::HashSet;

use rand::Rng;

const DOMAINS: &[&str] = &[
    "payments",
    "billing",
    "identity",
    "search",
    "catalog",
    "checkout",
    "shipping",
    "pricing",
    "inventory",
    "orders",
    "accounts",
    "ledger",
    "fraud",
    "risk",
    "growth",
    "ads",
    "mobile",
    "platform",
    "data",
    "ml",
    "messaging",
    "notifications",
    "media",
    "reviews",
    "loyalty",
    "partners",
    "support",
    "compliance",
    "audit",
    "reporting",
    "analytics",
    "auth",
    "gateway",
    "storage",
    "network",
    "observability",
    "release",
    "devex",
    "security",
    "maps",
    "travel",
    "booking",
    "subscriptions",
    "invoicing",
    "tax",
    "treasury",
    "onboarding",
    "profile",
    "recommendations",
    "content",
    "translation",
    "experiments",
    "feeds",
    "sellers",
    "buyers",
    "logistics",
    "returns",
    "warehouse",
    "fleet",
    "routing",
    "events",
];

const PARTS: &[&str] = &[
    "api",
    "service",
    "worker",
    "sync",
    "gateway",
    "engine",
    "store",
    "indexer",
    "scheduler",
    "router",
    "adapter",
    "bridge",
    "processor",
    "publisher",
    "consumer",
    "resolver",
    "cache",
    "importer",
    "exporter",
    "monitor",
    "planner",
    "tracker",
    "validator",
    "proxy",
    "hub",
];

const SYLLABLES: &[&str] = &[
    "ka", "lo", "mi", "ra", "zu", "te", "vo", "ne", "si", "po", "da", "xi", "bel", "cor", "fen", "gar", "hal", "jin",
    "kor", "lum", "mor", "nix", "pax", "qua", "rho", "sel", "tor", "ul", "ven", "wex", "yar", "zen", "ash", "bri",
    "cal", "dro", "eph", "fly",
];

pub const TOPICS: &[&str] = &[
    "backend",
    "frontend",
    "grpc",
    "rest",
    "kafka",
    "postgres",
    "redis",
    "batch",
    "realtime",
    "internal",
    "public-api",
    "pci",
    "gdpr",
    "legacy",
    "experimental",
];

pub const REGIONS: &[&str] = &["eu-west", "eu-central", "us-east", "us-west", "ap-south", "ap-east"];

/// Hands out names that are unique within one organisation.
pub struct NameBook {
    taken: HashSet<String>,
}

impl NameBook {
    pub fn new() -> NameBook {
        NameBook { taken: HashSet::new() }
    }

    fn unique(&mut self, base: String) -> String {
        if self.taken.insert(base.clone()) {
            return base;
        }
        (2..)
            .map(|n| format!("{base}-{n}"))
            .find(|candidate| self.taken.insert(candidate.clone()))
            .expect("an unbounded range always yields a free name")
    }

    pub fn team(&mut self, index: usize) -> String {
        let domain = DOMAINS[index % DOMAINS.len()];
        self.unique(domain.to_string())
    }

    pub fn service(&mut self, rng: &mut impl Rng) -> String {
        let domain = DOMAINS[rng.random_range(0..DOMAINS.len())];
        let part = PARTS[rng.random_range(0..PARTS.len())];
        self.unique(format!("{domain}-{part}"))
    }

    pub fn library(&mut self, rng: &mut impl Rng) -> String {
        let domain = DOMAINS[rng.random_range(0..DOMAINS.len())];
        let suffix = ["lib", "sdk", "client", "common", "utils", "proto"][rng.random_range(0..6)];
        self.unique(format!("{domain}-{suffix}"))
    }

    pub fn repo(&mut self, rng: &mut impl Rng, flavour: &str) -> String {
        let domain = DOMAINS[rng.random_range(0..DOMAINS.len())];
        self.unique(format!("{domain}-{flavour}"))
    }

    /// A pronounceable external package name.
    pub fn package(&mut self, rng: &mut impl Rng) -> String {
        let parts = rng.random_range(2..=3);
        let word: String = (0..parts).map(|_| SYLLABLES[rng.random_range(0..SYLLABLES.len())]).collect();
        self.unique(word)
    }
}
