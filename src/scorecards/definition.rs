//! Reading scorecard files (`scorecards/*.toml`): every problem found at
//! once, each naming its file and line, so `spot config check` can list
//! them all.

use std::ops::Range;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use super::rule::{Aggregate, Builtin, Operator, Reads, Rule};
use super::vocabulary as known;
use super::{Scorecard, ScorecardLimits};
use crate::model::{Direction, EdgeRule};

/// Longest path a rule may follow.
pub const MAX_PATH: usize = 4;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileScorecard {
    name: Spanned<String>,
    #[serde(default)]
    description: String,
    levels: Spanned<Vec<String>>,
    #[serde(default)]
    rules: Vec<Spanned<FileRule>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileRule {
    id: Spanned<String>,
    level: Spanned<String>,
    attribute: Option<Spanned<String>>,
    path: Option<Vec<Spanned<FileStep>>>,
    aggregate: Option<Spanned<String>>,
    builtin: Option<Spanned<String>>,
    op: Spanned<String>,
    value: Option<Spanned<toml::Value>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileStep {
    kind: String,
    direction: String,
}

/// Where problems are found: a file's name and its text, to turn byte
/// offsets into lines.
struct Located<'a> {
    file: &'a str,
    text: &'a str,
    /// SonarQube metrics configured beyond the defaults: attributes too.
    sonar_metrics: &'a [String],
    /// `scorecards.max_in_items`.
    max_in_items: usize,
    /// Each with its line, to list them in the file's order.
    problems: Vec<(usize, String)>,
}

impl Located<'_> {
    fn line(&self, span: &Range<usize>) -> usize {
        self.text[..span.start.min(self.text.len())].matches('\n').count() + 1
    }

    fn problem(&mut self, span: &Range<usize>, what: impl std::fmt::Display) {
        let line = self.line(span);
        self.problems.push((line, format!("{}:{line}: {what}", self.file)));
    }

    /// Every problem, in the order of their lines.
    fn listed(mut self) -> Vec<String> {
        self.problems.sort_by_key(|(line, _)| *line);
        self.problems.into_iter().map(|(_, problem)| problem).collect()
    }
}

/// One scorecard file read and checked: the scorecard when it has no
/// problem, else every problem. `sonar_metrics`: the SonarQube metrics
/// `[collectors.sonarqube] metrics` names, attributes of its projects.
pub fn read(
    file: &Path,
    text: &str,
    sonar_metrics: &[String],
    limits: &ScorecardLimits,
) -> Result<Scorecard, Vec<String>> {
    let name = file.display().to_string();
    let mut at = Located { file: &name, text, sonar_metrics, max_in_items: limits.max_in_items, problems: Vec::new() };
    let parsed: FileScorecard = match toml::from_str(text) {
        Ok(parsed) => parsed,
        Err(error) => {
            let span = error.span().unwrap_or(0..0);
            at.problem(&span, error.message().trim());
            return Err(at.listed());
        }
    };
    // Before any rule is checked: checking is quadratic in places (ids).
    if let Some(first_beyond) = parsed.rules.get(limits.max_rules) {
        at.problem(
            &first_beyond.span(),
            format!(
                "rules: {} rules, more than scorecards.max_rules ({}); this is the first beyond",
                parsed.rules.len(),
                limits.max_rules
            ),
        );
        return Err(at.listed());
    }
    let levels = check_levels(&mut at, &parsed.levels);
    let mut rules: Vec<Rule> = Vec::new();
    for (index, rule) in parsed.rules.iter().enumerate() {
        if let Some(checked) = check_rule(&mut at, index, rule, &levels) {
            rules.push(checked);
        }
    }
    for (index, rule) in parsed.rules.iter().enumerate() {
        let id = rule.get_ref().id.get_ref();
        if parsed.rules[..index].iter().any(|r| r.get_ref().id.get_ref() == id) {
            at.problem(&rule.get_ref().id.span(), format!("rules[{index}].id: \"{id}\" is used by an earlier rule"));
        }
    }
    for level in &levels {
        if !parsed.rules.iter().any(|r| r.get_ref().level.get_ref() == level) {
            at.problem(&parsed.levels.span(), format!("levels: \"{level}\" has no rules (a level needs at least one)"));
        }
    }
    if parsed.name.get_ref().trim().is_empty() {
        at.problem(&parsed.name.span(), "name: must not be empty");
    }
    if parsed.rules.is_empty() {
        at.problem(&(0..0), "rules: a scorecard needs at least one [[rules]]");
    }
    if !at.problems.is_empty() {
        return Err(at.listed());
    }
    Ok(Scorecard { name: parsed.name.into_inner(), description: parsed.description, levels, rules, file: name })
}

fn check_levels(at: &mut Located<'_>, levels: &Spanned<Vec<String>>) -> Vec<String> {
    if levels.get_ref().is_empty() {
        at.problem(&levels.span(), "levels: name at least one level, lowest first (e.g. [\"bronze\", \"silver\"])");
    }
    for (index, level) in levels.get_ref().iter().enumerate() {
        if level.trim().is_empty() || levels.get_ref()[..index].contains(level) {
            at.problem(&levels.span(), format!("levels: \"{level}\" is empty or named twice"));
        }
    }
    levels.get_ref().clone()
}

fn check_rule(at: &mut Located<'_>, index: usize, spanned: &Spanned<FileRule>, levels: &[String]) -> Option<Rule> {
    let rule = spanned.get_ref();
    let before = at.problems.len();
    let here = |field: &str| format!("rules[{index}].{field}");
    if !levels.contains(rule.level.get_ref()) {
        at.problem(
            &rule.level.span(),
            format!("{}: unknown level \"{}\" (levels: {})", here("level"), rule.level.get_ref(), levels.join(", ")),
        );
    }
    if rule.id.get_ref().trim().is_empty() {
        at.problem(&rule.id.span(), format!("{}: must not be empty", here("id")));
    }
    let op = Operator::parse(rule.op.get_ref());
    if op.is_none() {
        let names: Vec<&str> = Operator::ALL.iter().map(|(name, _)| *name).collect();
        at.problem(
            &rule.op.span(),
            format!("{}: unknown operator \"{}\" (operators: {})", here("op"), rule.op.get_ref(), names.join(" ")),
        );
    }
    let reads = check_reads(at, index, spanned);
    if let Some(items) =
        rule.value.as_ref().filter(|v| v.get_ref().as_array().is_some_and(|a| a.len() > at.max_in_items))
    {
        let count = items.get_ref().as_array().map_or(0, Vec::len);
        at.problem(
            &items.span(),
            format!("{}: {count} items, more than scorecards.max_in_items ({})", here("value"), at.max_in_items),
        );
        return None;
    }
    let value = rule.value.as_ref().map(|v| serde_json::to_value(v.get_ref()).unwrap_or_default());
    let mut pattern = None;
    if let (Some(op), Some(reads)) = (op, &reads) {
        pattern = check_value(at, index, spanned, op, reads, value.as_ref());
    }
    (at.problems.len() == before).then(|| Rule {
        id: rule.id.get_ref().clone(),
        level: rule.level.get_ref().clone(),
        reads: reads.expect("no problem means the reading was checked"),
        op: op.expect("no problem means the operator is known"),
        value,
        pattern,
    })
}

/// What the rule reads: exactly one of an attribute of the service, a
/// path (with its aggregate), or a built-in.
fn check_reads(at: &mut Located<'_>, index: usize, spanned: &Spanned<FileRule>) -> Option<Reads> {
    let rule = spanned.get_ref();
    let here = |field: &str| format!("rules[{index}].{field}");
    match (&rule.builtin, &rule.path) {
        (Some(builtin), _) => {
            if rule.path.is_some() || rule.attribute.is_some() || rule.aggregate.is_some() {
                at.problem(
                    &builtin.span(),
                    format!("{}: a built-in reads no path, attribute or aggregate", here("builtin")),
                );
            }
            match Builtin::parse(builtin.get_ref()) {
                Some(known) => Some(Reads::Builtin(known)),
                None => {
                    let names: Vec<&str> = Builtin::ALL.iter().map(|(name, _)| *name).collect();
                    at.problem(
                        &builtin.span(),
                        format!(
                            "{}: unknown built-in \"{}\" (built-ins: {})",
                            here("builtin"),
                            builtin.get_ref(),
                            names.join(", ")
                        ),
                    );
                    None
                }
            }
        }
        (None, Some(steps)) => check_path(at, index, spanned, steps),
        (None, None) => {
            if let Some(aggregate) = &rule.aggregate {
                at.problem(&aggregate.span(), format!("{}: an aggregate needs a path", here("aggregate")));
            }
            match &rule.attribute {
                Some(attribute) => {
                    check_attribute(at, &here("attribute"), attribute, &["service"]);
                    Some(Reads::Attribute(attribute.get_ref().clone()))
                }
                None => {
                    at.problem(
                        &spanned.span(),
                        format!("rules[{index}]: say what it reads: attribute, path or builtin"),
                    );
                    None
                }
            }
        }
    }
}

fn check_path(
    at: &mut Located<'_>,
    index: usize,
    spanned: &Spanned<FileRule>,
    steps: &[Spanned<FileStep>],
) -> Option<Reads> {
    let rule = spanned.get_ref();
    let here = |field: &str| format!("rules[{index}].{field}");
    if steps.is_empty() || steps.len() > MAX_PATH {
        at.problem(&spanned.span(), format!("{}: a path has 1 to {MAX_PATH} steps", here("path")));
        return None;
    }
    let mut reached: Vec<&'static str> = vec!["service"];
    let mut path = Vec::new();
    for (n, step) in steps.iter().enumerate() {
        let (kind, direction) = (&step.get_ref().kind, step.get_ref().direction.to_ascii_lowercase());
        let direction = match direction.as_str() {
            "out" => Direction::Out,
            "in" => Direction::In,
            "both" => Direction::Both,
            other => {
                at.problem(
                    &step.span(),
                    format!("{}: direction \"{other}\" is not in, out or both", here(&format!("path[{n}]"))),
                );
                return None;
            }
        };
        let Some(relation) = known::relation(kind) else {
            let names: Vec<&str> = known::RELATION_KINDS.iter().map(|r| r.kind).collect();
            at.problem(
                &step.span(),
                format!(
                    "{}: unknown relation kind \"{kind}\" (kinds: {})",
                    here(&format!("path[{n}]")),
                    names.join(", ")
                ),
            );
            return None;
        };
        let next = known::step(relation, &reached, direction);
        if next.is_empty() {
            at.problem(
                &step.span(),
                format!(
                    "{}: {kind} ({}) leads nowhere from {} ({kind} joins {} to {})",
                    here(&format!("path[{n}]")),
                    step.get_ref().direction,
                    reached.join(" or "),
                    relation.from.join("|"),
                    relation.to.join("|")
                ),
            );
            return None;
        }
        reached = next;
        path.push(EdgeRule::new(kind, direction));
    }
    let aggregate = match &rule.aggregate {
        None => {
            at.problem(
                &spanned.span(),
                format!("{}: a path needs an aggregate: count, all, any, none, min or max", here("aggregate")),
            );
            return None;
        }
        Some(name) => match Aggregate::parse(name.get_ref()) {
            Some(aggregate) => aggregate,
            None => {
                at.problem(
                    &name.span(),
                    format!(
                        "{}: unknown aggregate \"{}\" (count, all, any, none, min, max)",
                        here("aggregate"),
                        name.get_ref()
                    ),
                );
                return None;
            }
        },
    };
    match (&rule.attribute, aggregate) {
        (Some(attribute), Aggregate::Count) => {
            at.problem(
                &attribute.span(),
                format!("{}: count counts what the path reaches; it reads no attribute", here("attribute")),
            );
            None
        }
        (None, Aggregate::Count) => Some(Reads::Path { path, aggregate, attribute: None }),
        (None, other) => {
            at.problem(&spanned.span(), format!("{}: {} needs an attribute to read", here("attribute"), other.name()));
            None
        }
        (Some(attribute), _) => {
            check_attribute(at, &here("attribute"), attribute, &reached);
            Some(Reads::Path { path, aggregate, attribute: Some(attribute.get_ref().clone()) })
        }
    }
}

fn check_attribute(at: &mut Located<'_>, field: &str, attribute: &Spanned<String>, kinds: &[&str]) {
    let name = attribute.get_ref();
    if let Err(wrong) = crate::attribute_path::check(name) {
        at.problem(&attribute.span(), format!("{field}: {wrong}"));
        return;
    }
    let configured = kinds.contains(&"sonar_project") && at.sonar_metrics.iter().any(|m| m == name);
    if !configured && !kinds.iter().any(|kind| known::has_attribute(kind, name)) {
        at.problem(
            &attribute.span(),
            format!(
                "{field}: unknown attribute \"{name}\" of {} (docs/scorecards.md lists each kind's)",
                kinds.join(" or ")
            ),
        );
    }
}

/// The value fits the operator and what is read; `matches` gets its
/// pattern compiled.
fn check_value(
    at: &mut Located<'_>,
    index: usize,
    spanned: &Spanned<FileRule>,
    op: Operator,
    reads: &Reads,
    value: Option<&serde_json::Value>,
) -> Option<regex::Regex> {
    let rule = spanned.get_ref();
    let field = format!("rules[{index}].value");
    let span = rule.value.as_ref().map_or(spanned.span(), |v| v.span());
    let numeric = matches!(reads, Reads::Builtin(_))
        || matches!(reads, Reads::Path { aggregate: Aggregate::Count | Aggregate::Min | Aggregate::Max, .. });
    let Some(value) = value else {
        if op != Operator::Exists {
            at.problem(&span, format!("{field}: {} needs a value to compare with", rule.op.get_ref()));
        }
        return None;
    };
    match op {
        Operator::Exists => at.problem(&span, format!("{field}: exists takes no value")),
        Operator::In if !value.is_array() => at.problem(&span, format!("{field}: in needs a list, e.g. [1, 2]")),
        Operator::Matches => match value.as_str().map(regex::Regex::new) {
            Some(Ok(pattern)) => return Some(pattern),
            Some(Err(wrong)) => {
                at.problem(&span, format!("{field}: not a regular expression: {}", one_line(&wrong.to_string())))
            }
            None => at.problem(&span, format!("{field}: matches needs a pattern (a string)")),
        },
        _ if numeric && !value.is_number() => {
            at.problem(&span, format!("{field}: what this rule reads is a number; compare it with a number"))
        }
        _ if op.is_ordering() && !(value.is_number() || value.is_string()) => {
            at.problem(&span, format!("{field}: {} compares numbers or text", rule.op.get_ref()))
        }
        _ => {}
    }
    None
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::read;

    fn problems(text: &str) -> Vec<String> {
        read(Path::new("cards/x.toml"), text, &[], &super::ScorecardLimits::default())
            .expect_err("the scorecard has problems")
    }

    const HEAD: &str = "name = \"x\"\nlevels = [\"bronze\"]\n";

    fn one_rule(rule: &str) -> Vec<String> {
        problems(&format!("{HEAD}[[rules]]\nid = \"r\"\nlevel = \"bronze\"\n{rule}"))
    }

    #[test]
    fn unknown_levels_operators_kinds_and_attributes_are_named_with_file_and_line() {
        assert_eq!(
            one_rule("attribute = \"tier\"\nop = \"~=\"\nvalue = 1\n"),
            vec!["cards/x.toml:7: rules[0].op: unknown operator \"~=\" (operators: exists = != < <= > >= in matches)"]
        );
        assert_eq!(
            problems(&format!(
                "{HEAD}[[rules]]\nid = \"r\"\nlevel = \"gold\"\nattribute = \"tier\"\nop = \"exists\"\n"
            )),
            vec![
                "cards/x.toml:2: levels: \"bronze\" has no rules (a level needs at least one)",
                "cards/x.toml:5: rules[0].level: unknown level \"gold\" (levels: bronze)",
            ]
        );
        let wrong = one_rule(
            "path = [{ kind = \"owned_by\", direction = \"in\" }]\naggregate = \"count\"\nop = \">\"\nvalue = 0\n",
        );
        assert!(
            wrong[0].starts_with("cards/x.toml:6: rules[0].path[0]: unknown relation kind \"owned_by\" (kinds: "),
            "{wrong:?}"
        );
        let wrong = one_rule(
            "path = [{ kind = \"builds\", direction = \"in\" }, { kind = \"measures\", direction = \"in\" }]\n\
             attribute = \"covrage\"\naggregate = \"min\"\nop = \">=\"\nvalue = 60\n",
        );
        assert_eq!(
            wrong,
            vec!["cards/x.toml:7: rules[0].attribute: unknown attribute \"covrage\" of sonar_project (docs/scorecards.md lists each kind's)"]
        );
    }

    #[test]
    fn a_path_step_that_leads_nowhere_is_refused() {
        let wrong = one_rule(
            "path = [{ kind = \"owns\", direction = \"out\" }]\naggregate = \"count\"\nop = \">\"\nvalue = 0\n",
        );
        assert_eq!(
            wrong,
            vec!["cards/x.toml:6: rules[0].path[0]: owns (out) leads nowhere from service (owns joins team|user to api|component|domain|repo|resource|service|system)"]
        );
    }

    #[test]
    fn values_must_fit_the_operator_and_what_is_read() {
        let wrong = one_rule("attribute = \"tier\"\nop = \"in\"\nvalue = 1\n");
        assert_eq!(wrong, vec!["cards/x.toml:8: rules[0].value: in needs a list, e.g. [1, 2]"]);
        let wrong = one_rule("attribute = \"tier\"\nop = \"matches\"\nvalue = \"(\"\n");
        assert!(wrong[0].starts_with("cards/x.toml:8: rules[0].value: not a regular expression: "), "{wrong:?}");
        let wrong = one_rule("builtin = \"majors_behind\"\nop = \"<=\"\nvalue = \"one\"\n");
        assert_eq!(
            wrong,
            vec!["cards/x.toml:8: rules[0].value: what this rule reads is a number; compare it with a number"]
        );
        let wrong = one_rule("attribute = \"tier\"\nop = \">\"\n");
        assert_eq!(wrong, vec!["cards/x.toml:3: rules[0].value: > needs a value to compare with"]);
        let wrong = one_rule("builtin = \"uptime\"\nop = \">\"\nvalue = 1\n");
        assert!(
            wrong[0].starts_with("cards/x.toml:6: rules[0].builtin: unknown built-in \"uptime\" (built-ins: "),
            "{wrong:?}"
        );
    }

    #[test]
    fn a_rule_reads_exactly_one_thing_and_aggregates_fit_their_path() {
        let wrong = one_rule("op = \"exists\"\n");
        assert_eq!(wrong, vec!["cards/x.toml:3: rules[0]: say what it reads: attribute, path or builtin"]);
        let wrong = one_rule("attribute = \"tier\"\naggregate = \"min\"\nop = \">\"\nvalue = 1\n");
        assert_eq!(wrong, vec!["cards/x.toml:7: rules[0].aggregate: an aggregate needs a path"]);
        let wrong = one_rule("path = [{ kind = \"owns\", direction = \"in\" }]\nop = \">\"\nvalue = 0\n");
        assert_eq!(
            wrong,
            vec!["cards/x.toml:3: rules[0].aggregate: a path needs an aggregate: count, all, any, none, min or max"]
        );
        let wrong =
            one_rule("path = [{ kind = \"owns\", direction = \"in\" }]\naggregate = \"max\"\nop = \">\"\nvalue = 0\n");
        assert_eq!(wrong, vec!["cards/x.toml:3: rules[0].attribute: max needs an attribute to read"]);
    }

    #[test]
    fn toml_errors_and_repeated_ids_are_named_too() {
        let wrong = problems("name = \"x\"\nlevels = [\"bronze\"\n");
        assert!(wrong[0].starts_with("cards/x.toml:2: "), "{wrong:?}");
        let wrong = problems(&format!("{HEAD}colour = \"red\"\n"));
        assert!(wrong[0].starts_with("cards/x.toml:3: unknown field `colour`"), "{wrong:?}");
        let rule = "[[rules]]\nid = \"r\"\nlevel = \"bronze\"\nattribute = \"tier\"\nop = \"exists\"\n";
        let wrong = problems(&format!("{HEAD}{rule}{rule}"));
        assert_eq!(wrong, vec!["cards/x.toml:9: rules[1].id: \"r\" is used by an earlier rule"]);
    }

    #[test]
    fn configured_sonarqube_metrics_are_attributes_of_its_projects() {
        let rule = "name = \"x\"\nlevels = [\"bronze\"]\n[[rules]]\nid = \"r\"\nlevel = \"bronze\"\n\
                    path = [{ kind = \"measures\", direction = \"in\" }]\nattribute = \"new_coverage\"\n\
                    aggregate = \"min\"\nop = \">=\"\nvalue = 80\n";
        assert!(read(Path::new("x.toml"), rule, &[], &super::ScorecardLimits::default()).is_err());
        assert!(
            read(Path::new("x.toml"), rule, &["new_coverage".to_string()], &super::ScorecardLimits::default()).is_ok()
        );
    }

    #[test]
    fn the_demo_scorecard_is_valid() {
        let card = read(Path::new(super::super::DEMO.0), super::super::DEMO.1, &[], &super::ScorecardLimits::default())
            .unwrap();
        assert_eq!(card.levels, ["bronze", "silver", "gold"]);
        assert_eq!(card.rules.len(), 10);
    }
}
