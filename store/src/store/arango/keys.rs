//! Deterministic document keys: writing the same thing twice writes the
//! same document, so every write is idempotent and a retried attempt
//! replaces what a crashed one left.

use xxhash_rust::xxh3::xxh3_128;

/// The longest `_key` ArangoDB accepts.
const MAX_KEY: usize = 254;

/// The `_key` of an entity's anchor: the entity key itself where ArangoDB
/// allows its characters (readable in the web UI), with every other byte
/// (`/` above all) as `%XX`; a hash when that is too long. Escaped keys
/// always hold `:` (entity keys do) and hashed ones never, so the two
/// cannot meet.
pub fn anchor(key: &str) -> String {
    escaped(key)
}

/// Any name as a legal `_key`: readable where ArangoDB allows its bytes,
/// `%XX` for the others, a hash when that is too long.
pub fn escaped(name: &str) -> String {
    let key = name;
    let mut escaped = String::with_capacity(key.len());
    for byte in key.bytes() {
        let allowed = byte.is_ascii_alphanumeric() || b"_-:.@()+,=;$!*'".contains(&byte);
        if allowed {
            escaped.push(byte as char);
        } else {
            escaped.push_str(&format!("%{byte:02X}"));
        }
    }
    if escaped.len() <= MAX_KEY {
        return escaped;
    }
    format!("h-{:032x}", xxh3_128(key.as_bytes()))
}

/// The `_id` of an entity's anchor.
pub fn anchor_id(key: &str) -> String {
    format!("entities/{}", anchor(key))
}

/// A version's `_key`, from everything that identifies it: what it is
/// about, who says so, from which day, with which content. A re-run of a
/// day that observes other content writes another document.
pub fn version(kind: char, parts: &[&str], valid_from: i32, hash: i64) -> String {
    let mut text = String::new();
    for part in parts {
        text.push_str(&part.len().to_string());
        text.push(':');
        text.push_str(part);
    }
    text.push_str(&format!("|{valid_from}|{hash}"));
    format!("{kind}{:032x}", xxh3_128(text.as_bytes()))
}

/// The `_key` of the run record of (source, scope, day).
pub fn run(source: &str, scope: &str, day: i32) -> String {
    format!("r{:032x}", xxh3_128(format!("{}:{source}|{scope}|{day}", source.len()).as_bytes()))
}

/// A content hash as stored: hex text, since JSON numbers past 2^53 do not
/// survive every JSON reader.
pub fn hash_text(hash: i64) -> String {
    format!("{:016x}", hash as u64)
}

/// A fresh token naming one attempt (or one holder of leases).
pub fn token() -> String {
    use rand::RngCore;
    let mut rng = rand::rng();
    format!("{:016x}{:016x}", rng.next_u64(), rng.next_u64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchor_keys_stay_readable_and_legal() {
        assert_eq!(anchor("service:billing"), "service:billing");
        assert_eq!(anchor("repo:github.com/acme/billing"), "repo:github.com%2Facme%2Fbilling");
        assert_eq!(anchor("package:npm/@types/node"), "package:npm%2F@types%2Fnode");
        assert_eq!(anchor("doc:a%b"), "doc:a%25b", "a literal % is escaped too, so escaping is one-to-one");
        assert_eq!(anchor_id("team:x"), "entities/team:x");
        assert_eq!(escaped("ingest:github/acme"), "ingest:github%2Facme", "lease names too");
        let long = format!("repo:{}", "a/".repeat(200));
        let key = anchor(&long);
        assert!(key.starts_with("h-") && key.len() <= MAX_KEY && !key.contains(':'), "{key}");
        assert_eq!(anchor(&long), key, "deterministic");
    }

    #[test]
    fn version_keys_differ_by_every_part() {
        let base = version('f', &["service:a", "github", "acme"], 19_000, 7);
        assert_eq!(base, version('f', &["service:a", "github", "acme"], 19_000, 7));
        assert_ne!(base, version('f', &["service:a", "github", "acme"], 19_001, 7));
        assert_ne!(base, version('f', &["service:a", "github", "acme"], 19_000, 8));
        assert_ne!(base, version('f', &["service:a", "githu", "bacme"], 19_000, 7), "parts are length-prefixed");
        assert_ne!(base, version('r', &["service:a", "github", "acme"], 19_000, 7));
        assert_ne!(run("github", "acme", 1), run("github", "acme", 2));
        assert_eq!(hash_text(-1), "ffffffffffffffff");
    }
}
