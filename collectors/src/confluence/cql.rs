//! The CQL that selects the pages one run reads, built from the config.
//!
//! Every value from the config is quoted, so a space key or label can
//! never end a string early and change the query.

/// A CQL string literal: `"` and `\` escaped, in double quotes.
pub fn quote(value: &str) -> String {
    let mut quoted = String::with_capacity(value.len() + 2);
    quoted.push('"');
    for c in value.chars() {
        if c == '"' || c == '\\' {
            quoted.push('\\');
        }
        quoted.push(c);
    }
    quoted.push('"');
    quoted
}

/// What to select: pages in any of `spaces`, carrying any of `labels`
/// (when given), under any of `ancestors` (when given).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection<'a> {
    pub spaces: &'a [String],
    pub labels: &'a [String],
    /// Page ids, digits only (checked with the config).
    pub ancestors: &'a [String],
}

/// `type = page AND space in ("ENG") [AND label in (…)] [AND (ancestor = … OR …)] ORDER BY created`.
///
/// Ordered by creation so that offset pagination (Server / Data Center)
/// sees pages created during the run at the end, instead of shifting the
/// pages not yet read onto pages already read.
pub fn build(selection: &Selection<'_>) -> String {
    let mut clauses = vec!["type = page".to_string()];
    if !selection.spaces.is_empty() {
        clauses.push(format!("space in ({})", list(selection.spaces)));
    }
    if !selection.labels.is_empty() {
        clauses.push(format!("label in ({})", list(selection.labels)));
    }
    if !selection.ancestors.is_empty() {
        // `ancestor in (…)` is not supported by every Confluence Cloud
        // release (its field reference lists IN as unsupported); an OR of
        // equalities is.
        let any: Vec<String> = selection.ancestors.iter().map(|id| format!("ancestor = {}", page_id(id))).collect();
        clauses.push(format!("({})", any.join(" OR ")));
    }
    format!("{} ORDER BY created", clauses.join(" AND "))
}

/// A page id as the CQL field reference writes it (bare digits); anything
/// else is quoted, so even an unchecked value cannot change the query.
fn page_id(id: &str) -> String {
    if !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) {
        id.to_string()
    } else {
        quote(id)
    }
}

fn list(values: &[String]) -> String {
    values.iter().map(|v| quote(v)).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(values: &[&str]) -> Vec<String> {
        values.iter().map(|v| v.to_string()).collect()
    }

    #[test]
    fn quotes_and_backslashes_are_escaped() {
        assert_eq!(quote("ENG"), r#""ENG""#);
        assert_eq!(quote(r#"a"b\c"#), r#""a\"b\\c""#);
        assert_eq!(quote(r#"" OR space = "X"#), r#""\" OR space = \"X""#);
        assert_eq!(quote(""), r#""""#);
    }

    #[test]
    fn spaces_alone_select_their_pages() {
        let spaces = strings(&["ENG", "OPS"]);
        let cql = build(&Selection { spaces: &spaces, ..Default::default() });
        assert_eq!(cql, r#"type = page AND space in ("ENG", "OPS") ORDER BY created"#);
    }

    #[test]
    fn labels_and_ancestors_narrow_the_selection() {
        let (spaces, labels, ancestors) = (strings(&["ENG"]), strings(&["runbook", "adr"]), strings(&["123", "456"]));
        let cql = build(&Selection { spaces: &spaces, labels: &labels, ancestors: &ancestors });
        assert_eq!(
            cql,
            r#"type = page AND space in ("ENG") AND label in ("runbook", "adr") AND (ancestor = 123 OR ancestor = 456) ORDER BY created"#
        );
    }

    #[test]
    fn an_ancestor_that_is_not_an_id_is_still_quoted() {
        let ancestors = strings(&[r#"1) OR (type = "blogpost"#]);
        let cql = build(&Selection { ancestors: &ancestors, ..Default::default() });
        assert_eq!(cql, r#"type = page AND (ancestor = "1) OR (type = \"blogpost") ORDER BY created"#);
    }
}
