//! Every rule explains itself in one generated sentence, and every
//! outcome in one more: what was seen, and whether a source's last known
//! values carried forward.

use super::evaluate::{kinds_at_end, RuleOutcome};
use super::rule::{shown, Aggregate, Operator, Reads, Rule};
use crate::model::{Direction, EdgeRule};

/// "The service's tier is one of 1, 2, 3."
pub fn rule(rule: &Rule) -> String {
    let wanted = wanted(rule);
    match &rule.reads {
        Reads::Attribute(attribute) => format!("The service's {attribute} is {wanted}."),
        Reads::Builtin(builtin) => format!("{} is {wanted}.", capitalised(builtin.words())),
        Reads::Path { path, aggregate, attribute } => {
            let kinds = kinds_at_end(path).join(" or ");
            let through = path_words(path);
            let attribute = attribute.as_deref().unwrap_or("");
            match aggregate {
                Aggregate::Count => format!("The number of {kinds} entities reached through {through} is {wanted}."),
                Aggregate::All => format!("Every {kinds} reached through {through} has {attribute} {wanted}."),
                Aggregate::Any => format!("At least one {kinds} reached through {through} has {attribute} {wanted}."),
                Aggregate::None => format!("No {kinds} reached through {through} has {attribute} {wanted}."),
                Aggregate::Min => {
                    format!("The lowest {attribute} of the {kinds} reached through {through} is {wanted}.")
                }
                Aggregate::Max => {
                    format!("The highest {attribute} of the {kinds} reached through {through} is {wanted}.")
                }
            }
        }
    }
}

/// "The service's tier is one of 1, 2, 3. Seen: 4, so it fails."
pub fn outcome(rule_: &Rule, outcome: &RuleOutcome) -> String {
    let verdict = if outcome.passed { "passes" } else { "fails" };
    let seen = match (&outcome.seen, &rule_.reads) {
        (Some(seen), _) => format!("Seen: {seen}, so it {verdict}."),
        (None, Reads::Path { .. }) => format!("Nothing reached has it, so it {verdict}."),
        (None, _) => format!("No value that day, so it {verdict}."),
    };
    let mut sentence = format!("{} {seen}", rule(rule_));
    for note in &outcome.carried_forward {
        sentence.push_str(&format!(" ({note}.)"));
    }
    sentence
}

/// "at least 60", "one of 1, 2, 3", "set".
fn wanted(rule: &Rule) -> String {
    let value = rule.value.as_ref().map(shown).unwrap_or_default();
    match rule.op {
        Operator::Exists => "set".into(),
        Operator::Eq => value,
        op => format!("{} {value}", op.words()),
    }
}

/// "owns (in) → measures (in)".
pub fn path_words(path: &[EdgeRule]) -> String {
    path.iter()
        .map(|step| {
            let direction = match step.direction {
                Direction::Out => "out",
                Direction::In => "in",
                Direction::Both => "both",
            };
            format!("{} ({direction})", step.kind.as_deref().unwrap_or("any"))
        })
        .collect::<Vec<_>>()
        .join(" → ")
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| first.to_uppercase().chain(chars).collect())
}
