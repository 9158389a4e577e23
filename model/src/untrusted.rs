//! Text from outside (an observation file, a config value, a request) as an
//! error message shows it: bounded in length and on one line, so that a
//! 10 MB value cannot flood a terminal or a log, and a newline or an ANSI
//! escape inside it cannot forge a second log line or repaint the screen.
//!
//! - [`quote`] for a value the message names: `'billing api'`.
//! - [`one_line`] for a whole message another library wrote, which may
//!   carry input somewhere inside it (serde's `unknown field `…``).

use std::fmt::{self, Write};

/// Characters of a quoted value shown before it is cut.
pub const QUOTED_CHARS: usize = 100;

/// Characters of a message kept from its start and from its end when it is
/// too long to show whole.
const MESSAGE_HEAD: usize = 240;
const MESSAGE_TAIL: usize = 120;

/// A value quoted for an error message: in single quotes, control and
/// invisible formatting characters escaped (`\n`, `\u{1b}`, `\u{202e}`),
/// quotes and backslashes escaped, and past [`QUOTED_CHARS`] characters cut
/// with an ellipsis and the value's length: `'aaaa…' (10485760 bytes)`.
pub fn quote(value: &str) -> Quoted<'_> {
    Quoted(value)
}

/// See [`quote`].
pub struct Quoted<'a>(&'a str);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_char('\'')?;
        let mut shown = 0;
        for c in self.0.chars() {
            let width = escaped_width(c, Quoting::Quoted);
            if shown + width > QUOTED_CHARS {
                return write!(f, "…' ({} bytes)", self.0.len());
            }
            write_escaped(f, c, Quoting::Quoted)?;
            shown += width;
        }
        f.write_char('\'')
    }
}

/// A message that may carry input, made safe to print: control and
/// invisible formatting characters escaped, and, when longer than a few
/// hundred characters, its middle left out (the start says what went wrong,
/// the end usually what was expected).
pub fn one_line(message: &str) -> String {
    let total: usize = message.chars().map(|c| escaped_width(c, Quoting::Bare)).sum();
    let mut out = String::with_capacity(total.min(MESSAGE_HEAD + MESSAGE_TAIL + 40));
    if total <= MESSAGE_HEAD + MESSAGE_TAIL {
        message.chars().for_each(|c| push_escaped(&mut out, c));
        return out;
    }
    let head = prefix_within(message.chars(), MESSAGE_HEAD);
    let tail = prefix_within(message.chars().rev(), MESSAGE_TAIL);
    message.chars().take(head.chars).for_each(|c| push_escaped(&mut out, c));
    let left_out = total - head.width - tail.width;
    let _ = write!(out, " …({left_out} characters left out)… ");
    let from_end: Vec<char> = message.chars().rev().take(tail.chars).collect();
    from_end.into_iter().rev().for_each(|c| push_escaped(&mut out, c));
    out
}

/// How many characters, escaped, fit in `limit`, and their escaped width.
struct Prefix {
    chars: usize,
    width: usize,
}

fn prefix_within(chars: impl Iterator<Item = char>, limit: usize) -> Prefix {
    let mut prefix = Prefix { chars: 0, width: 0 };
    for c in chars {
        let width = escaped_width(c, Quoting::Bare);
        if prefix.width + width > limit {
            break;
        }
        prefix.chars += 1;
        prefix.width += width;
    }
    prefix
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Quoting {
    /// Inside our own single quotes: `'` and `\` are escaped too, so the
    /// quoted value cannot seem to end early.
    Quoted,
    /// A message as another library wrote it, its own quoting kept.
    Bare,
}

/// Whether `c` is shown as an escape rather than itself.
fn needs_escape(c: char, quoting: Quoting) -> bool {
    is_unprintable(c) || (quoting == Quoting::Quoted && matches!(c, '\'' | '\\'))
}

/// A control character (newline, CR, ESC, …) or an invisible formatting
/// one: what a name must never hold, since printed it would start a line
/// of its own, repaint a terminal or read as something else.
pub fn is_unprintable(c: char) -> bool {
    c.is_control() || is_invisible_format(c)
}

/// Characters that print nothing yet change what the text around them
/// looks like: bidirectional overrides (the "Trojan Source" characters),
/// zero-width characters, line and paragraph separators, the BOM.
fn is_invisible_format(c: char) -> bool {
    matches!(c, '\u{061c}' | '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2060}'..='\u{2069}' | '\u{feff}')
}

fn escaped_width(c: char, quoting: Quoting) -> usize {
    if needs_escape(c, quoting) {
        c.escape_default().len()
    } else {
        1
    }
}

fn write_escaped(out: &mut impl Write, c: char, quoting: Quoting) -> fmt::Result {
    if needs_escape(c, quoting) {
        // `\n`, `\r`, `\t`, `\'`, `\\`, otherwise `\u{…}`.
        c.escape_default().try_for_each(|e| out.write_char(e))
    } else {
        out.write_char(c)
    }
}

fn push_escaped(out: &mut String, c: char) {
    // Writing to a String cannot fail.
    let _ = write_escaped(out, c, Quoting::Bare);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn has_raw_control(text: &str) -> bool {
        text.chars().any(|c| c.is_control() || is_invisible_format(c))
    }

    #[test]
    fn a_short_plain_value_is_quoted_as_it_is() {
        assert_eq!(quote("billing api").to_string(), "'billing api'");
        assert_eq!(quote("").to_string(), "''");
        assert_eq!(quote("café ünïcode 名前").to_string(), "'café ünïcode 名前'");
    }

    #[test]
    fn newlines_and_terminal_escapes_in_a_quoted_value_are_escaped() {
        let forged = "x\nerror: forged line\r\u{1b}[31mred\u{202e}";
        let quoted = quote(forged).to_string();
        assert_eq!(quoted, "'x\\nerror: forged line\\r\\u{1b}[31mred\\u{202e}'");
        assert!(!has_raw_control(&quoted));
    }

    #[test]
    fn quotes_inside_a_quoted_value_cannot_end_it_early() {
        assert_eq!(quote(r"it's a\b").to_string(), r"'it\'s a\\b'");
    }

    #[test]
    fn a_long_value_is_cut_with_its_length() {
        let long = "a".repeat(10 << 20);
        let quoted = quote(&long).to_string();
        assert_eq!(quoted, format!("'{}…' (10485760 bytes)", "a".repeat(QUOTED_CHARS)));
    }

    #[test]
    fn a_long_value_of_escapes_is_cut_by_what_it_shows() {
        let quoted = quote(&"\u{1}".repeat(1000)).to_string();
        assert!(quoted.chars().count() < QUOTED_CHARS + 30, "{quoted}");
        assert!(quoted.starts_with("'\\u{1}\\u{1}") && quoted.ends_with("…' (1000 bytes)"), "{quoted}");
    }

    #[test]
    fn a_message_is_kept_on_one_line() {
        let message = "unknown field `a\nerror: forged`, expected one of `b`";
        assert_eq!(one_line(message), "unknown field `a\\nerror: forged`, expected one of `b`");
    }

    #[test]
    fn a_long_message_keeps_its_start_and_its_end() {
        let message = format!("invalid type: string \"{}\", expected a boolean", "x".repeat(1 << 20));
        let shown = one_line(&message);
        assert!(shown.starts_with("invalid type: string \"xxx"), "{shown}");
        assert!(shown.ends_with("xxx\", expected a boolean"), "{shown}");
        assert!(shown.contains("characters left out)"), "{shown}");
        assert!(shown.chars().count() <= MESSAGE_HEAD + MESSAGE_TAIL + 50, "{}", shown.len());
    }
}
