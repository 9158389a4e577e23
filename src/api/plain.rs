//! Lists of plain objects, written out without a future per field.
//!
//! async-graphql resolves every field of every list item as its own boxed
//! future, joined through a `FuturesOrdered`. For a depth-3 traversal with a
//! hundred edges that machinery cost more than reading the graph from the
//! store. Most selections on traversal edges and nodes ask only for stored
//! values (`kind from to attrs`, `depth entity { key name }`), which need
//! neither the context nor a store call; a [`PlainList`] writes those out
//! directly. Entities' `facts`, `relations` and `search` hits are plain lists too.
//!
//! Any other selection (an argument, a directive, a fragment, a field that
//! reads the store) goes through async-graphql exactly as before, so the
//! answer never depends on which path ran; `tests/api.rs` checks that both
//! paths give the same bytes.

use std::borrow::Cow;

use async_graphql::indexmap::IndexMap;
use async_graphql::parser::types::{Field, Selection, SelectionSet};
use async_graphql::{registry, ContextSelectionSet, Name, OutputType, Positioned, ServerResult, Value};

/// A field a [`Plain`] type can answer by itself.
pub enum PlainField {
    /// A scalar (or a list or JSON of scalars).
    Leaf(&'static str),
    /// A nested plain object, planned with its own type's fields.
    Object(&'static str, fn(&SelectionSet) -> Option<Plan>),
}

/// An object type whose listed fields are stored values.
pub trait Plain: OutputType {
    const FIELDS: &'static [PlainField];

    /// The value of `FIELDS[field]`; `nested` is the plan of an `Object` field.
    fn value(&self, field: usize, nested: Option<&Plan>) -> Value;

    /// The plan for a selection on this type, if every selected field is plain.
    fn plan(selection: &SelectionSet) -> Option<Plan> {
        Plan::of(selection, Self::FIELDS)
    }
}

/// What to write for each item: response keys in selection order.
pub struct Plan {
    steps: Vec<Step>,
}

struct Step {
    key: Name,
    /// Index into `FIELDS`; `None` for `__typename`.
    field: Option<usize>,
    nested: Option<Plan>,
}

impl Plan {
    fn of(selection: &SelectionSet, fields: &[PlainField]) -> Option<Plan> {
        let mut steps = Vec::with_capacity(selection.items.len());
        for item in &selection.items {
            let Selection::Field(field) = &item.node else { return None };
            steps.push(Plan::step(&field.node, fields)?);
        }
        Some(Plan { steps })
    }

    fn step(field: &Field, fields: &[PlainField]) -> Option<Step> {
        if !field.arguments.is_empty() || !field.directives.is_empty() {
            return None;
        }
        let key = field.response_key().node.clone();
        let name = field.name.node.as_str();
        let nested_selection = &field.selection_set.node;
        if name == "__typename" {
            return Some(Step { key, field: None, nested: None });
        }
        let index = fields.iter().position(|f| match f {
            PlainField::Leaf(n) | PlainField::Object(n, _) => *n == name,
        })?;
        let nested = match &fields[index] {
            PlainField::Leaf(_) if nested_selection.items.is_empty() => None,
            PlainField::Leaf(_) => return None,
            PlainField::Object(_, plan) => Some(plan(nested_selection)?),
        };
        Some(Step { key, field: Some(index), nested })
    }

    /// One item, as async-graphql would have answered it.
    pub fn write<T: Plain>(&self, item: &T) -> Value {
        let mut object = IndexMap::with_capacity(self.steps.len());
        for step in &self.steps {
            let value = match step.field {
                Some(field) => item.value(field, step.nested.as_ref()),
                None => Value::String(T::type_name().into_owned()),
            };
            // A key selected twice keeps its first position, like async-graphql.
            object.insert(step.key.clone(), value);
        }
        Value::Object(object)
    }
}

/// A list in the schema exactly like `[T!]!`, answered through a [`Plan`]
/// when the selection allows.
pub struct PlainList<T>(pub Vec<T>);

impl<T: Plain> OutputType for PlainList<T> {
    fn type_name() -> Cow<'static, str> {
        <Vec<T> as OutputType>::type_name()
    }

    fn qualified_type_name() -> String {
        <Vec<T> as OutputType>::qualified_type_name()
    }

    fn create_type_info(registry: &mut registry::Registry) -> String {
        <Vec<T> as OutputType>::create_type_info(registry)
    }

    async fn resolve(&self, ctx: &ContextSelectionSet<'_>, field: &Positioned<Field>) -> ServerResult<Value> {
        // `ctx.item` is the selection on the list's items (hidden in the docs
        // but public; async-graphql's own list resolver reads it the same way).
        match T::plan(&ctx.item.node) {
            Some(plan) => Ok(Value::List(self.0.iter().map(|item| plan.write(item)).collect())),
            None => OutputType::resolve(&self.0, ctx, field).await,
        }
    }
}

/// A JSON value as a GraphQL value, as async-graphql's `Json` scalar gives
/// it, without going through a serializer.
pub fn json(value: &serde_json::Value) -> Value {
    match value {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Boolean(*b),
        serde_json::Value::Number(n) => Value::Number(n.clone()),
        serde_json::Value::String(s) => Value::String(s.clone()),
        serde_json::Value::Array(items) => Value::List(items.iter().map(json).collect()),
        serde_json::Value::Object(map) => json_object(map),
    }
}

pub fn json_object(map: &serde_json::Map<String, serde_json::Value>) -> Value {
    Value::Object(map.iter().map(|(k, v)| (Name::new(k), json(v))).collect())
}

#[cfg(test)]
mod tests {
    use async_graphql::parser::parse_query;
    use async_graphql::parser::types::DocumentOperations;

    use super::*;
    use crate::api::entity::Relation;
    use crate::api::graph::Node;

    /// The selection on the items of the document's first top-level field.
    fn items(query: &str) -> SelectionSet {
        let document = parse_query(query).unwrap();
        let DocumentOperations::Single(operation) = document.operations else { panic!("one operation") };
        let Selection::Field(field) = &operation.node.selection_set.node.items[0].node else { panic!("a field") };
        field.node.selection_set.node.clone()
    }

    #[test]
    fn only_stored_values_without_arguments_directives_or_fragments_are_plain() {
        assert!(Relation::plan(&items("{ edges { kind from to attrs validTo t: __typename } }")).is_some());
        assert!(Node::plan(&items("{ nodes { depth entity { key name at } } }")).is_some());
        assert!(Node::plan(&items("{ nodes { entity { facts { source } } } }")).is_none(), "reads the store");
        assert!(Relation::plan(&items("{ edges { toEntity { key } } }")).is_none(), "reads the store");
        assert!(Relation::plan(&items("{ edges { ... on Relation { kind } } }")).is_none());
        assert!(Relation::plan(&items("{ edges { kind @include(if: true) } }")).is_none());
        assert!(Node::plan(&items("{ nodes { entity { attribute(path: \"a\") } } }")).is_none());
        assert!(Relation::plan(&items("{ edges { kind { nested } } }")).is_none(), "a leaf has no selection");
    }
}
