//! `[links]`: URL templates per kind of link, the time windows they are
//! rendered with, and which annotations are links.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Longest window margin: a week, in minutes.
pub const MAX_MINUTES: u32 = 7 * 24 * 60;

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct LinksConfig {
    /// A deploy's or an action's window starts this many minutes before it.
    pub before_minutes: u32,
    /// … and ends this many minutes after it.
    pub after_minutes: u32,
    /// A service or a workload has no moment of its own: its window is the
    /// last this many minutes.
    pub recent_minutes: u32,
    /// Annotations (of a catalog file or a workload) whose http(s) values
    /// are links: exact keys, or prefixes ending in `*` (`a8r.io/*`).
    pub annotations: Vec<String>,
    /// `[links.templates.<name>]`: one URL template each.
    pub templates: BTreeMap<String, TemplateConfig>,
}

/// One `[links.templates.<name>]`.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct TemplateConfig {
    /// An RFC 6570 URI Template over the variables of docs/links.md.
    pub url: String,
    /// `logs`, `dashboard`, `traces`, `ci`, `runbook`, …; the template's
    /// name when not given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// What a person reads; the kind, capitalised, when not given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

impl Default for LinksConfig {
    fn default() -> LinksConfig {
        LinksConfig {
            before_minutes: 15,
            after_minutes: 15,
            recent_minutes: 60,
            annotations: [
                "a8r.io/*",
                "link.argocd.argoproj.io/*",
                "backstage.io/source-location",
                "backstage.io/view-url",
            ]
            .map(String::from)
            .to_vec(),
            templates: BTreeMap::new(),
        }
    }
}

/// A template's name or kind: what `[links.templates.<name>]` and the
/// API's `kind` can spell.
pub fn name_problem(name: &str) -> Option<String> {
    let valid = !name.is_empty()
        && name.len() <= 64
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    (!valid)
        .then(|| format!("'{}' is not a kind: use 1 to 64 lowercase letters, digits, '_' or '-'", name.escape_debug()))
}

impl LinksConfig {
    /// What is wrong with the window settings, each problem naming its key.
    pub fn window_problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        for (key, minutes) in [
            ("before_minutes", self.before_minutes),
            ("after_minutes", self.after_minutes),
            ("recent_minutes", self.recent_minutes),
        ] {
            if minutes > MAX_MINUTES {
                problems.push(format!("links.{key}: {minutes} is more than a week ({MAX_MINUTES} minutes)"));
            }
        }
        if self.recent_minutes == 0 {
            problems.push("links.recent_minutes: must be at least 1".into());
        }
        problems
    }
}
