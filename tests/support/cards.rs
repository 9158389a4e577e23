//! Scorecards the tests score with.

use spot::scorecards::{Scorecard, Scorecards};

/// The demo's card with a `gold` rule per (built-in, operator, value),
/// each rule's id the built-in's name followed by `suffix` (a changed id
/// is a changed card). Read as the file `file`.
pub fn demo_card_with_builtins(file: &str, suffix: &str, rules: &[(&str, &str, &str)]) -> Scorecard {
    let mut text = spot::scorecards::DEMO.1.to_string();
    for (name, op, value) in rules {
        text.push_str(&format!(
            "\n[[rules]]\nid = \"{name}{suffix}\"\nlevel = \"gold\"\nbuiltin = \"{name}\"\nop = \"{op}\"\nvalue = {value}\n"
        ));
    }
    Scorecards::read([(std::path::Path::new(file), text.as_str())]).unwrap().all.remove(0)
}
