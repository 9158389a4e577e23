//! Untrusted text in messages: what a client or a file sent us, quoted so
//! that it can neither flood an error nor forge a second log line.

/// Longest stretch of untrusted text an error quotes.
pub const QUOTE_LIMIT: usize = 120;

/// `text` in single quotes, bounded and escaped as by [`bounded`].
pub fn quote(text: &str) -> String {
    format!("'{}'", bounded(text))
}

/// `text` with control characters escaped (`\n`, `\u{1b}`), cut after
/// [`QUOTE_LIMIT`] characters with how long it was.
pub fn bounded(text: &str) -> String {
    let mut shown = String::with_capacity(text.len().min(QUOTE_LIMIT));
    for (count, c) in text.chars().enumerate() {
        if count == QUOTE_LIMIT {
            let total = text.chars().count();
            shown.push_str(&format!("… ({total} characters)"));
            return shown;
        }
        if c.is_control() {
            shown.extend(c.escape_default());
        } else {
            shown.push(c);
        }
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_text_is_quoted_as_it_is() {
        assert_eq!(quote("billing"), "'billing'");
    }

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(quote("a\nINFO forged\r\u{1b}[31m"), "'a\\nINFO forged\\r\\u{1b}[31m'");
    }

    #[test]
    fn long_text_is_cut_and_its_length_given() {
        let quoted = quote(&"x".repeat(10_000_000));
        assert!(quoted.len() < QUOTE_LIMIT + 40, "{quoted}");
        assert!(quoted.ends_with("… (10000000 characters)'"), "{quoted}");
    }
}
