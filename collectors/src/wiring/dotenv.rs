//! The `.env` file beside a compose file, and compose's interpolation of
//! `${NAME}`, `${NAME:-default}`, `${NAME-default}` and `$NAME` with it, as
//! `docker compose` does (a variable the file does not set stays as it
//! is, and a value still holding `${…}` names no address).

use std::collections::BTreeMap;

/// `KEY=VALUE` lines (`export ` prefixes, quotes and comments allowed),
/// each value interpolated with the lines above it.
pub fn parse(content: &str) -> BTreeMap<String, String> {
    let mut variables = BTreeMap::new();
    for line in content.lines() {
        let line = line.trim();
        let line = line.strip_prefix("export ").unwrap_or(line);
        if line.starts_with('#') {
            continue;
        }
        let Some((name, value)) = line.split_once('=') else { continue };
        let name = name.trim();
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            continue;
        }
        let value = unquote(value.trim());
        let value = interpolate(&value, &variables);
        variables.insert(name.to_string(), value);
    }
    variables
}

fn unquote(value: &str) -> String {
    for quote in ['"', '\''] {
        if let Some(inner) = value.strip_prefix(quote).and_then(|v| v.strip_suffix(quote)) {
            return inner.to_string();
        }
    }
    // An unquoted value ends at ` #`.
    value.split(" #").next().unwrap_or(value).trim().to_string()
}

/// `value` with every variable `variables` sets replaced.
pub fn interpolate(value: &str, variables: &BTreeMap<String, String>) -> String {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let (replaced, used) = match after.strip_prefix('{') {
            Some(braced) => match braced.find('}') {
                Some(end) => (braced_variable(&braced[..end], variables), end + 2),
                None => (None, 0),
            },
            None => {
                let end = after.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(after.len());
                (variables.get(&after[..end]).cloned().filter(|_| end > 0), end)
            }
        };
        match replaced {
            Some(text) => {
                out.push_str(&text);
                rest = &after[used..];
            }
            None => {
                out.push('$');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// `NAME`, `NAME:-default`, `NAME-default` (other forms are left alone).
fn braced_variable(inside: &str, variables: &BTreeMap<String, String>) -> Option<String> {
    if let Some((name, default)) = inside.split_once(":-") {
        return Some(variables.get(name).filter(|v| !v.is_empty()).cloned().unwrap_or_else(|| default.to_string()));
    }
    if let Some((name, default)) = inside.split_once('-') {
        return Some(variables.get(name).cloned().unwrap_or_else(|| default.to_string()));
    }
    variables.get(inside).cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_interpolate_the_lines_above_them() {
        let variables = parse(
            "# ports\nCART_PORT=7070\nCART_ADDR=cart:${CART_PORT}\nexport EMAIL_ADDR=\"http://email:$EMAIL_PORT\"\nFRONTEND=${FRONTEND_HOST:-frontend}:8080 # the proxy\n",
        );
        assert_eq!(variables["CART_ADDR"], "cart:7070");
        assert_eq!(variables["EMAIL_ADDR"], "http://email:$EMAIL_PORT", "not set above: left as it is");
        assert_eq!(variables["FRONTEND"], "frontend:8080");
    }

    #[test]
    fn unknown_variables_and_lone_dollars_stay() {
        let variables = BTreeMap::from([("A".to_string(), "x".to_string())]);
        assert_eq!(interpolate("${A}-${B}-$-${C", &variables), "x-${B}-$-${C");
    }
}
