//! Content hashes: how ingest tells "unchanged" from "changed" without
//! comparing JSON documents.

use serde_json::{Map, Value};
use xxhash_rust::xxh3::Xxh3;

/// A 64-bit hash of attributes that ignores key order, so two observations of
/// the same content hash alike whatever order a collector wrote them in.
pub fn content_hash(attrs: &Map<String, Value>) -> i64 {
    let mut hasher = Xxh3::new();
    hash_object(&mut hasher, attrs);
    hasher.digest() as i64
}

fn hash_object(hasher: &mut Xxh3, map: &Map<String, Value>) {
    hasher.update(b"{");
    hasher.update(&(map.len() as u64).to_le_bytes());
    // serde_json's map is sorted unless some crate turns on its
    // `preserve_order` feature; sort only when it is not.
    if map.keys().is_sorted() {
        for (key, value) in map {
            hash_str(hasher, key);
            hash_value(hasher, value);
        }
        return;
    }
    let mut entries: Vec<(&String, &Value)> = map.iter().collect();
    entries.sort_unstable_by_key(|&(key, _)| key);
    for (key, value) in entries {
        hash_str(hasher, key);
        hash_value(hasher, value);
    }
}

fn hash_str(hasher: &mut Xxh3, text: &str) {
    hasher.update(&(text.len() as u64).to_le_bytes());
    hasher.update(text.as_bytes());
}

// Each value is prefixed with a type tag and each string with its length, so
// that no two different documents feed the hasher the same bytes.
fn hash_value(hasher: &mut Xxh3, value: &Value) {
    match value {
        Value::Null => hasher.update(b"n"),
        Value::Bool(b) => hasher.update(if *b { b"t" } else { b"f" }),
        Value::Number(n) => {
            hasher.update(b"#");
            hash_str(hasher, &n.to_string());
        }
        Value::String(s) => {
            hasher.update(b"s");
            hash_str(hasher, s);
        }
        Value::Array(items) => {
            hasher.update(b"[");
            hasher.update(&(items.len() as u64).to_le_bytes());
            items.iter().for_each(|item| hash_value(hasher, item));
        }
        Value::Object(map) => hash_object(hasher, map),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn hash(value: Value) -> i64 {
        content_hash(value.as_object().unwrap())
    }

    #[test]
    fn key_order_does_not_matter() {
        let a: Value = serde_json::from_str(r#"{"a":1,"b":{"x":true,"y":null}}"#).unwrap();
        let b: Value = serde_json::from_str(r#"{"b":{"y":null,"x":true},"a":1}"#).unwrap();
        assert_eq!(hash(a), hash(b));
    }

    #[test]
    fn any_change_of_content_changes_the_hash() {
        let base = hash(json!({"version": "1.2.3", "replicas": 3}));
        assert_ne!(base, hash(json!({"version": "1.2.4", "replicas": 3})));
        assert_ne!(base, hash(json!({"version": "1.2.3", "replicas": "3"})));
        assert_ne!(base, hash(json!({"version": "1.2.3"})));
        assert_ne!(hash(json!({"a": ["bc"]})), hash(json!({"a": ["b", "c"]})));
        assert_ne!(hash(json!({"ab": "c"})), hash(json!({"a": "bc"})));
    }
}
