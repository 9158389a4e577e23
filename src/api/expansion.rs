//! How many fields a GraphQL document asks for once its fragments are
//! expanded, measured in time linear in the document's text.
//!
//! async-graphql's depth and complexity checks walk every fragment spread
//! anew, so fragments that each spread the next one twice make them walk
//! 2ᵏ fields: a 1 KB request costs minutes of CPU before any limit answers,
//! and no timeout can stop a computation that never yields. Counting each
//! fragment once (memoised) bounds that work by the document's size, and a
//! document whose expansion exceeds the complexity limit is refused before
//! async-graphql sees it. Every field costs at least one unit of complexity,
//! so a document refused here would have been refused by the complexity
//! limit anyway: the check changes when the answer comes, not what it is.

use std::collections::HashMap;

use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};

/// Why a document cannot be expanded within bounds.
#[derive(Debug, PartialEq, Eq)]
pub enum ExpansionError {
    /// The fields asked for once every fragment is expanded, at least.
    TooManyFields { at_least: usize },
    /// A fragment spreads itself, directly or through others.
    FragmentCycle { fragment: String },
}

/// Where a fragment's count stands while the document is measured.
#[derive(Clone, Copy)]
enum Measure {
    InProgress,
    Fields(usize),
}

/// The number of fields every operation of `document` selects, fragments
/// expanded, or why it is out of bounds. Counting stops as soon as it
/// passes `limit`, so the work is bounded by the document's own size.
/// Fragments the document does not define count as empty: async-graphql
/// reports them by name.
pub fn expanded_fields(document: &ExecutableDocument, limit: usize) -> Result<usize, ExpansionError> {
    let mut counter = Counter { document, limit, fragments: HashMap::new() };
    let mut total = 0usize;
    for (_, operation) in document.operations.iter() {
        total = total.saturating_add(counter.selection_set(&operation.node.selection_set.node)?);
        counter.check(total)?;
    }
    Ok(total)
}

struct Counter<'a> {
    document: &'a ExecutableDocument,
    limit: usize,
    fragments: HashMap<&'a str, Measure>,
}

impl<'a> Counter<'a> {
    fn check(&self, fields: usize) -> Result<usize, ExpansionError> {
        if fields > self.limit {
            return Err(ExpansionError::TooManyFields { at_least: fields });
        }
        Ok(fields)
    }

    fn selection_set(&mut self, set: &'a SelectionSet) -> Result<usize, ExpansionError> {
        let mut fields = 0usize;
        for item in &set.items {
            let more = match &item.node {
                Selection::Field(field) => 1usize.saturating_add(self.selection_set(&field.node.selection_set.node)?),
                Selection::InlineFragment(inline) => self.selection_set(&inline.node.selection_set.node)?,
                Selection::FragmentSpread(spread) => self.fragment(spread.node.fragment_name.node.as_str())?,
            };
            fields = self.check(fields.saturating_add(more))?;
        }
        Ok(fields)
    }

    fn fragment(&mut self, name: &'a str) -> Result<usize, ExpansionError> {
        match self.fragments.get(name) {
            Some(Measure::Fields(fields)) => return Ok(*fields),
            Some(Measure::InProgress) => return Err(ExpansionError::FragmentCycle { fragment: name.to_string() }),
            None => {}
        }
        let Some(definition) = self.document.fragments.get(name) else { return Ok(0) };
        self.fragments.insert(name, Measure::InProgress);
        let fields = self.selection_set(&definition.node.selection_set.node)?;
        self.fragments.insert(name, Measure::Fields(fields));
        Ok(fields)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expanded(query: &str, limit: usize) -> Result<usize, ExpansionError> {
        expanded_fields(&async_graphql::parser::parse_query(query).unwrap(), limit)
    }

    /// Fragments f0..f(k-1) each spread the next one twice; fk asks for one field.
    fn fragment_bomb(k: usize) -> String {
        let mut query = String::from("query{...f0} ");
        for i in 0..k {
            query.push_str(&format!("fragment f{i} on Query{{...f{} ...f{}}} ", i + 1, i + 1));
        }
        query + &format!("fragment f{k} on Query{{latestDay}}")
    }

    #[test]
    fn counts_fields_at_every_depth_and_through_fragments() {
        assert_eq!(expanded("{ a b { c d { e } } }", 100), Ok(5));
        assert_eq!(expanded("{ a ...F ... on Query { b } } fragment F on Query { c { d } }", 100), Ok(4));
        assert_eq!(expanded("query A { a } query B { b c }", 100), Ok(3));
    }

    #[test]
    fn a_fragment_used_twice_counts_twice() {
        assert_eq!(expanded("{ ...F x: latestDay { ...F } } fragment F on Query { a b }", 100), Ok(5));
    }

    #[test]
    fn a_fragment_bomb_is_measured_without_expanding_it() {
        assert_eq!(expanded(&fragment_bomb(10), 10_000), Ok(1024));
        let started = std::time::Instant::now();
        assert_eq!(expanded(&fragment_bomb(64), 5_000), Err(ExpansionError::TooManyFields { at_least: 8192 }));
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
    }

    #[test]
    fn a_fragment_cycle_is_named() {
        let cycle = "{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }";
        assert_eq!(expanded(cycle, 100), Err(ExpansionError::FragmentCycle { fragment: "A".into() }));
    }

    #[test]
    fn an_unknown_fragment_counts_as_empty() {
        assert_eq!(expanded("{ a ...Missing }", 100), Ok(1));
    }
}
