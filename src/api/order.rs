//! Response fields in the order the query asks for them.
//!
//! The GraphQL spec orders an object's fields as the query selects them;
//! async-graphql 7 resolves an object's fields concurrently and keeps them
//! in the order they finish (upstream issue #612), so a fast field can
//! overtake a slow one. A [`Layout`], computed once per parsed document,
//! says in which order each object's response keys come; after execution
//! the response is put in that order. Objects already in order (the common
//! case) are only checked, not rebuilt.

use async_graphql::indexmap::IndexMap;
use async_graphql::parser::types::{ExecutableDocument, OperationDefinition, Selection, SelectionSet};
use async_graphql::{Name, Value};

/// The response keys of one selection, in query order, each with the
/// layout of its own selection (empty for leaves).
#[derive(Debug, Default, PartialEq)]
pub struct Layout {
    keys: Vec<(Name, Layout)>,
}

impl Layout {
    /// The layout of an operation's response `data`. Fragments are
    /// expanded: callers bound the document's expanded size first
    /// (`expansion.rs`), and a fragment already being expanded (a cycle,
    /// refused by validation anyway) is skipped.
    pub fn of_operation(document: &ExecutableDocument, operation: &OperationDefinition) -> Layout {
        Layout::of(document, &[&operation.selection_set.node], &mut Vec::new())
    }

    fn of<'a>(document: &'a ExecutableDocument, sets: &[&'a SelectionSet], expanding: &mut Vec<&'a str>) -> Layout {
        let mut grouped: Vec<(Name, Vec<&'a SelectionSet>)> = Vec::new();
        for set in sets {
            group(document, set, &mut grouped, expanding);
        }
        let keys = grouped
            .into_iter()
            .map(|(key, subsets)| {
                let layout = if subsets.iter().all(|s| s.items.is_empty()) {
                    Layout::default()
                } else {
                    Layout::of(document, &subsets, expanding)
                };
                (key, layout)
            })
            .collect();
        Layout { keys }
    }

    /// Puts `value` (an operation's `data`, or any value below it) in this
    /// layout's order.
    pub fn apply(&self, value: &mut Value) {
        if self.keys.is_empty() {
            return;
        }
        match value {
            Value::Object(object) => self.apply_object(object),
            Value::List(items) => items.iter_mut().for_each(|item| self.apply(item)),
            _ => {}
        }
    }

    fn apply_object(&self, object: &mut IndexMap<Name, Value>) {
        if !self.in_order(object) {
            let mut ordered = IndexMap::with_capacity(object.len());
            for (key, _) in &self.keys {
                if let Some(value) = object.swap_remove(key) {
                    ordered.insert(key.clone(), value);
                }
            }
            // Nothing should be left; if something is, keep it at the end.
            ordered.extend(object.drain(..));
            *object = ordered;
        }
        for (key, layout) in &self.keys {
            if let Some(value) = object.get_mut(key) {
                layout.apply(value);
            }
        }
    }

    /// Whether the object's keys already come in this layout's order (keys
    /// of fragments on other types are absent, not out of order).
    fn in_order(&self, object: &IndexMap<Name, Value>) -> bool {
        let mut expected = self.keys.iter();
        object.keys().all(|key| expected.any(|(wanted, _)| wanted == key))
    }
}

/// Adds the response keys of `set` to `grouped` in order; a key selected
/// again (a field repeated, or through a fragment) keeps its first place
/// and gathers every selection made under it.
fn group<'a>(
    document: &'a ExecutableDocument,
    set: &'a SelectionSet,
    grouped: &mut Vec<(Name, Vec<&'a SelectionSet>)>,
    expanding: &mut Vec<&'a str>,
) {
    for item in &set.items {
        match &item.node {
            Selection::Field(field) => {
                let field = &field.node;
                let key = field.alias.as_ref().unwrap_or(&field.name).node.clone();
                let subset = &field.selection_set.node;
                match grouped.iter_mut().find(|(existing, _)| *existing == key) {
                    Some((_, subsets)) => subsets.push(subset),
                    None => grouped.push((key, vec![subset])),
                }
            }
            Selection::InlineFragment(inline) => group(document, &inline.node.selection_set.node, grouped, expanding),
            Selection::FragmentSpread(spread) => {
                let name = spread.node.fragment_name.node.as_str();
                let Some(fragment) = document.fragments.get(name) else { continue };
                if expanding.contains(&name) {
                    continue;
                }
                expanding.push(name);
                group(document, &fragment.node.selection_set.node, grouped, expanding);
                expanding.pop();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(query: &str) -> Layout {
        let document = async_graphql::parser::parse_query(query).unwrap();
        let (_, operation) = document.operations.iter().next().unwrap();
        Layout::of_operation(&document, &operation.node)
    }

    fn reordered(query: &str, data: serde_json::Value) -> String {
        let mut value = Value::from_json(data).unwrap();
        layout(query).apply(&mut value);
        serde_json::to_string(&value).unwrap()
    }

    #[test]
    fn fields_come_back_in_query_order_at_every_depth_and_in_lists() {
        let query = "{ z: latestDay service { name key owner { key name } } a: latestDay }";
        let finished_out_of_order = serde_json::json!({
            "a": 1, "z": 2, "service": [{"owner": {"name": "n", "key": "k"}, "key": "s", "name": "b"}]
        });
        assert_eq!(
            reordered(query, finished_out_of_order),
            r#"{"z":2,"service":[{"name":"b","key":"s","owner":{"key":"k","name":"n"}}],"a":1}"#
        );
    }

    #[test]
    fn fragments_and_repeated_fields_keep_their_first_place() {
        let query = "{ b ...F ... on Query { c } a { y } a { x } } fragment F on Query { d b }";
        let data = serde_json::json!({"a": {"x": 1, "y": 2}, "c": 3, "d": 4, "b": 5});
        assert_eq!(reordered(query, data), r#"{"b":5,"d":4,"c":3,"a":{"y":2,"x":1}}"#);
    }

    #[test]
    fn keys_of_fragments_on_other_types_may_be_missing() {
        let query = "{ node { id ... on Service { owner } ... on Team { members } name } }";
        let data = serde_json::json!({"node": {"name": "x", "members": 3, "id": 1}});
        assert_eq!(reordered(query, data), r#"{"node":{"id":1,"members":3,"name":"x"}}"#);
    }
}
