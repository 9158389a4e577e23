//! Which facts moved between two states of an entity: attribute paths
//! (objects walked into, dotted; arrays and scalars compared whole) with
//! their old and new values.

use serde::Serialize;
use serde_json::{Map, Value};

/// One attribute path whose value moved; `None` where it was absent.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Moved {
    pub path: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// Every path whose value differs between `before` and `after`, by path.
pub fn moved(before: &Map<String, Value>, after: &Map<String, Value>) -> Vec<Moved> {
    let mut found = Vec::new();
    walk("", Some(before), Some(after), &mut found);
    found.sort_by(|a, b| a.path.cmp(&b.path));
    found
}

fn walk(prefix: &str, before: Option<&Map<String, Value>>, after: Option<&Map<String, Value>>, found: &mut Vec<Moved>) {
    let empty = Map::new();
    let (before, after) = (before.unwrap_or(&empty), after.unwrap_or(&empty));
    let mut names: Vec<&String> = before.keys().chain(after.keys()).collect();
    names.sort();
    names.dedup();
    for name in names {
        let path = if prefix.is_empty() { name.clone() } else { format!("{prefix}.{name}") };
        match (before.get(name), after.get(name)) {
            (Some(a), Some(b)) if a == b => {}
            (Some(Value::Object(a)), Some(Value::Object(b))) => walk(&path, Some(a), Some(b), found),
            (Some(Value::Object(a)), None) => walk(&path, Some(a), None, found),
            (None, Some(Value::Object(b))) => walk(&path, None, Some(b), found),
            (a, b) => found.push(Moved { path, before: a.cloned(), after: b.cloned() }),
        }
    }
}

/// A value as a person reads it: strings without quotes, `—` for none.
pub fn shown(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => "—".to_string(),
        Some(Value::String(text)) => text.clone(),
        Some(other) => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn nested_objects_give_dotted_paths_and_equal_values_are_left_out() {
        let before = map(json!({ "version": "1.0", "replicas": { "desired": 2, "ready": 2 }, "gone": 1 }));
        let after = map(json!({ "version": "1.1", "replicas": { "desired": 3, "ready": 2 }, "new": [1] }));
        let paths: Vec<(String, String, String)> = moved(&before, &after)
            .into_iter()
            .map(|m| (m.path, shown(m.before.as_ref()), shown(m.after.as_ref())))
            .collect();
        let expect = |p: &str, a: &str, b: &str| (p.to_string(), a.to_string(), b.to_string());
        assert_eq!(
            paths,
            vec![
                expect("gone", "1", "—"),
                expect("new", "—", "[1]"),
                expect("replicas.desired", "2", "3"),
                expect("version", "1.0", "1.1"),
            ]
        );
    }
}
