//! Dotted attribute paths (`replicas.desired`, `containers.0.image`), read
//! one way everywhere: names select object members, digits index arrays,
//! as the SQLite JSON paths the embedded store queries with
//! ([`json_path`]). The API, the stores' defaults and the ArangoDB store
//! all look values up with [`lookup`], so a path means the same on either
//! store and in every field.

use serde_json::{Map, Value};

/// Why `path` is not an attribute path, if it is not one.
pub fn check(path: &str) -> Result<(), String> {
    if path.is_empty() || path.split('.').any(str::is_empty) {
        return Err(format!("'{path}' is not an attribute path: use dot-separated names, e.g. replicas.desired"));
    }
    Ok(())
}

/// The value at `path`, if every step exists (a stored null is `Some`).
pub fn lookup<'a>(attrs: &'a Map<String, Value>, path: &str) -> Option<&'a Value> {
    let mut segments = path.split('.');
    let first = segments.next().filter(|s| !is_index(s))?;
    let mut current = attrs.get(first)?;
    for segment in segments {
        current = if is_index(segment) {
            current.as_array()?.get(segment.parse::<usize>().ok()?)?
        } else {
            current.as_object()?.get(segment)?
        };
    }
    Some(current)
}

/// `replicas.desired` → `$."replicas"."desired"`, `containers.0.image` →
/// `$."containers"[0]."image"`: the same path for SQLite's JSON functions.
/// A segment may hold any character but `.`.
pub fn json_path(path: &str) -> Result<String, String> {
    check(path)?;
    let mut json = String::from("$");
    for segment in path.split('.') {
        if is_index(segment) {
            json.push_str(&format!("[{segment}]"));
        } else {
            json.push_str(&format!(".\"{}\"", segment.replace('"', "\\\"")));
        }
    }
    Ok(json)
}

fn is_index(segment: &str) -> bool {
    !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_select_members_and_digits_index_arrays() {
        let attrs = json!({"replicas": {"desired": 3}, "ports": [80, 443], "labels": {"app/name": "w", "0": "zero"},
                           "ok": true, "gone": null});
        let attrs = attrs.as_object().unwrap();
        assert_eq!(lookup(attrs, "replicas.desired"), Some(&json!(3)));
        assert_eq!(lookup(attrs, "ports.1"), Some(&json!(443)));
        assert_eq!(lookup(attrs, "ports"), Some(&json!([80, 443])));
        assert_eq!(lookup(attrs, "labels.app/name"), Some(&json!("w")));
        assert_eq!(lookup(attrs, "ok"), Some(&json!(true)));
        assert_eq!(lookup(attrs, "gone"), Some(&Value::Null), "a stored null is there");
        assert_eq!(lookup(attrs, "missing"), None);
        assert_eq!(lookup(attrs, "ports.7"), None);
        assert_eq!(lookup(attrs, "replicas.0"), None, "digits index arrays only, as JSON paths do");
        assert_eq!(lookup(attrs, "labels.0"), None, "…even where an object has a member named by digits");
        assert_eq!(lookup(attrs, "ok.x"), None);
    }

    #[test]
    fn the_same_path_becomes_the_sqlite_json_path() {
        assert_eq!(json_path("version").unwrap(), "$.\"version\"");
        assert_eq!(json_path("replicas.desired").unwrap(), "$.\"replicas\".\"desired\"");
        assert_eq!(json_path("containers.0.image").unwrap(), "$.\"containers\"[0].\"image\"");
        assert_eq!(json_path("labels.app/name").unwrap(), "$.\"labels\".\"app/name\"");
        assert_eq!(json_path("say.\"hi\"").unwrap(), "$.\"say\".\"\\\"hi\\\"\"");
    }

    #[test]
    fn empty_segments_are_refused_by_name() {
        assert!(check("").is_err());
        assert!(check("a..b").unwrap_err().contains("'a..b'"));
        assert!(check(".a").is_err() && check("a.").is_err());
        assert!(check("a.0.b").is_ok());
    }
}
