//! One page of a list already in memory, as a Relay connection whose
//! cursors are positions: `changes` and `deploys` page this way.

use async_graphql::connection::{query, Connection, Edge, EmptyFields};
use async_graphql::{ObjectType, OutputType, Result};

use super::context::bad_request;

/// The page of `all` after the cursor `after`, at most `first` long, with
/// `info` beside the edges; `what` names the items in the error for a
/// cursor past the end.
pub async fn page<T: OutputType, I: ObjectType>(
    all: Vec<T>,
    first: usize,
    after: Option<String>,
    info: I,
    what: &'static str,
) -> Result<Connection<usize, T, I, EmptyFields>> {
    let total = all.len();
    query(after, None, Some(first as i32), None, |after: Option<usize>, _: Option<usize>, first, _| async move {
        let start = after.map_or(0, |a| a + 1);
        if start > total && total > 0 {
            return Err(bad_request(format!("'after' points past the last {what}")));
        }
        let end = (start + first.unwrap_or(100)).min(total);
        let mut connection = Connection::with_additional_fields(start > 0, end < total, info);
        connection
            .edges
            .extend(all.into_iter().enumerate().skip(start).take(end - start).map(|(i, x)| Edge::new(i, x)));
        Ok::<_, async_graphql::Error>(connection)
    })
    .await
}
