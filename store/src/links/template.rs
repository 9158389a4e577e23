//! One `[links.templates.<name>]` URL: an RFC 6570 URI Template over the
//! variables of a [`LinkContext`], checked once when the config is read and
//! expanded for each object that has a value for every variable it uses.
//!
//! The template format is the standard one, so iri-string parses it and
//! percent-encodes the values: `{service}` encodes everything but letters,
//! digits and `-._~` (one path segment, or one query value); `{+service}`
//! keeps reserved characters such as `/` and `:` as they are.

use iri_string::spec::UriSpec;
use iri_string::template::context::{Context, Visitor};
use iri_string::template::{UriTemplateStr, UriTemplateString};

use super::context::{LinkContext, Variable};

/// A template that parsed, uses only known variables and renders an
/// http(s) URL.
#[derive(Debug, Clone)]
pub struct Template {
    template: UriTemplateString,
    variables: Vec<Variable>,
}

impl Template {
    /// The template of `text`, or what is wrong with it (without the key:
    /// the caller names it).
    pub fn parse(text: &str) -> Result<Template, String> {
        let template = UriTemplateStr::new(text).map_err(|e| format!("not a URI template: {}", reworded(&e)))?;
        let mut variables = Vec::new();
        for name in template.variables() {
            let name = name.as_str();
            let variable = Variable::named(name)
                .ok_or_else(|| format!("unknown variable {{{name}}}; the variables are {}", Variable::listed()))?;
            if !variables.contains(&variable) {
                variables.push(variable);
            }
        }
        let template = Template { template: template.to_owned(), variables };
        let sample = template.expand(&LinkContext::sample()).ok_or("renders nothing for a sample object")?;
        // Not quoted in the message: the sample could show a password.
        super::href::checked(&sample)?;
        Ok(template)
    }

    /// The variables it uses, each once, in the order they first appear.
    pub fn variables(&self) -> &[Variable] {
        &self.variables
    }

    /// The URL for `context`; `None` when a variable it uses has no value
    /// there (never a URL with an empty hole), or when what it renders is
    /// not an http(s) URL (a value that changed the host into nonsense).
    pub fn render(&self, context: &LinkContext) -> Option<String> {
        super::href::checked(&self.expand(context)?).ok()
    }

    fn expand(&self, context: &LinkContext) -> Option<String> {
        if self.variables.iter().any(|v| context.value(*v).is_none()) {
            return None;
        }
        self.template.expand_dynamic_to_string::<UriSpec, _>(&mut Values(context)).ok()
    }
}

/// Why a template lets the data choose the link's host, if it does: a
/// reserved expansion (`{+service}`, `{#service}`) before the path keeps
/// `/`, `@` and `:` as they are, so a service named `evil.example/x` points
/// the link at another host. (`{service}` there is percent-encoded: it can
/// choose a name within the host, not another host.)
pub fn host_warning(text: &str) -> Option<String> {
    let authority = match text.find("://") {
        Some(at) => &text[at + 3..],
        // The whole URL from a variable: the host with it.
        None if text.starts_with('{') => text,
        None => return None,
    };
    let mut depth = 0;
    let mut end = authority.len();
    for (i, c) in authority.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            '/' | '?' | '#' if depth == 0 => {
                end = i;
                break;
            }
            _ => {}
        }
    }
    let host = &authority[..end];
    (host.contains("{+") || host.contains("{#")).then(|| {
        format!(
            "a reserved expansion ({{+…}} or {{#…}}) in the host lets a value choose the host the link points to; \
             use {{name}} (percent-encoded) there, or move the variable into the path: {host}"
        )
    })
}

/// iri-string's message, with its position in words a reader can use.
fn reworded(error: &iri_string::template::Error) -> String {
    let text = error.to_string();
    let text = text.strip_prefix("invalid URI template: ").unwrap_or(&text);
    match text.split_once(" (at ") {
        Some((what, at)) => format!("{what} at byte {}", at.trim_end_matches(")").trim_end_matches("-th byte")),
        None => text.to_string(),
    }
}

/// The context as iri-string asks for it: every variable a string.
struct Values<'a>(&'a LinkContext);

impl Context for Values<'_> {
    fn visit<V: Visitor>(&self, visitor: V) -> V::Result {
        let value = Variable::named(visitor.var_name().as_str()).and_then(|v| self.0.value(v));
        match value {
            Some(value) => visitor.visit_string(value),
            None => visitor.visit_undefined(),
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::links::context::Window;

    fn billing() -> LinkContext {
        LinkContext {
            service: Some("billing api".into()),
            cluster: Some("dc1".into()),
            window: Some(Window {
                from: Utc.with_ymd_and_hms(2026, 3, 1, 13, 47, 0).unwrap(),
                to: Utc.with_ymd_and_hms(2026, 3, 1, 14, 17, 0).unwrap(),
            }),
            ..LinkContext::default()
        }
    }

    #[test]
    fn values_are_percent_encoded_and_times_come_in_both_formats() {
        let template = Template::parse("https://logs.example/q?app={service}&from={from}&to={to_ms}").unwrap();
        assert_eq!(
            template.render(&billing()).as_deref(),
            Some("https://logs.example/q?app=billing%20api&from=2026-03-01T13%3A47%3A00Z&to=1772374620000")
        );
        let reserved = Template::parse("https://kibana.example/app?t=(from:'{+from}')").unwrap();
        assert_eq!(
            reserved.render(&billing()).as_deref(),
            Some("https://kibana.example/app?t=(from:%272026-03-01T13:47:00Z%27)"),
            "{{+from}} keeps the colons; the URL parser encodes the quotes"
        );
    }

    #[test]
    fn a_template_with_a_variable_the_object_lacks_is_not_rendered() {
        let template = Template::parse("https://grafana.example/d/k8s?var-ns={namespace}&var-app={service}").unwrap();
        assert_eq!(template.variables(), [Variable::Namespace, Variable::Service]);
        assert_eq!(template.render(&billing()), None, "no namespace on this object");
        let empty = LinkContext { namespace: Some(String::new()), ..billing() };
        assert_eq!(template.render(&empty), None, "an empty value is no value");
    }

    #[test]
    fn a_reserved_expansion_in_the_host_is_warned_of() {
        assert!(host_warning("https://{+service}.logs.example/q").is_some());
        assert!(host_warning("{+base}/d/{service}").is_some(), "the whole URL from a value");
        assert!(host_warning("https://logs.example{#service}").is_some());
        assert_eq!(host_warning("https://{service}.logs.example/q?from={+from}"), None, "encoded in the host");
        assert_eq!(host_warning("https://kibana.example/app?t=(from:'{+from}')"), None, "reserved, in the query");
    }

    #[test]
    fn bad_templates_say_what_is_wrong() {
        let problem = |text: &str| Template::parse(text).unwrap_err();
        assert_eq!(problem("https://x.example/{service"), "not a URI template: expression not closed at byte 18");
        assert!(problem("https://x.example/{servce}")
            .starts_with("unknown variable {servce}; the variables are service, team, repository,"));
        assert!(
            problem("ftp://x.example/{service}").starts_with("not an http(s) URL"),
            "{}",
            problem("ftp://x.example/{service}")
        );
        assert!(problem("/relative/{service}").starts_with("not a URL"), "{}", problem("/relative/{service}"));
        assert!(
            problem("https://x.example/}").starts_with("not a URI template: invalid character"),
            "{}",
            problem("https://x.example/}")
        );
    }
}
