//! Reading one attribute out of stored attributes by a dotted path, as the
//! embedded store's JSON paths do: names select object members, digits
//! index arrays.

use serde_json::{Map, Value};

/// The value at `path` (checked beforehand with `check_path`); null when
/// some step is missing.
pub fn at_path(attrs: &Map<String, Value>, path: &str) -> Value {
    let mut segments = path.split('.');
    let Some(first) = segments.next() else { return Value::Null };
    let mut current = match attrs.get(first) {
        Some(value) if !is_index(first) => value,
        _ => return Value::Null,
    };
    for segment in segments {
        let next = if is_index(segment) {
            segment.parse::<usize>().ok().and_then(|i| current.as_array().and_then(|items| items.get(i)))
        } else {
            current.as_object().and_then(|members| members.get(segment))
        };
        match next {
            Some(value) => current = value,
            None => return Value::Null,
        }
    }
    current.clone()
}

fn is_index(segment: &str) -> bool {
    !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_select_members_and_index_arrays() {
        let attrs = json!({"replicas": {"desired": 3}, "ports": [80, 443], "labels": {"app/name": "w"}, "ok": true});
        let attrs = attrs.as_object().unwrap();
        assert_eq!(at_path(attrs, "replicas.desired"), json!(3));
        assert_eq!(at_path(attrs, "ports.1"), json!(443));
        assert_eq!(at_path(attrs, "ports"), json!([80, 443]));
        assert_eq!(at_path(attrs, "labels.app/name"), json!("w"));
        assert_eq!(at_path(attrs, "ok"), json!(true));
        assert_eq!(at_path(attrs, "missing"), Value::Null);
        assert_eq!(at_path(attrs, "ports.7"), Value::Null);
        assert_eq!(at_path(attrs, "replicas.0"), Value::Null, "digits index arrays only, as JSON paths do");
    }
}
