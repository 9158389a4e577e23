//! CODEOWNERS: who owns which paths, with GitHub's semantics.
//!
//! Each line is a pattern followed by owners (`@org/team`, `@user`, or an
//! email address); `#` starts a comment; the last matching line wins, and a
//! pattern with no owners leaves its paths unowned. Patterns follow
//! gitignore with GitHub's differences: a pattern with a `/` at its start or
//! middle is anchored at the root, otherwise it matches at any depth; a
//! trailing `/` matches a directory's contents; `*` and `?` stop at `/`, `**`
//! does not; a pattern ending in `/*` matches a directory's direct children
//! only (GitHub's `docs/*`), any other pattern also matches everything
//! under a directory it matches. Negation (`!`) does not exist in
//! CODEOWNERS, and `[ ]` is literal.
//!
//! A line GitHub would reject (a negation, an owner that is not one, a
//! pattern that cannot be compiled) is skipped and reported, as GitHub
//! does, and the other lines still apply. GitLab's `[Section]` headers are
//! reported and skipped: their default owners are not applied.
//!
//! No crate fits: the `codeowners` crate is unmaintained and matches with
//! `glob` (other semantics); `globset` has no gitignore anchoring. The
//! patterns compile to the `regex` crate the collectors already use.

use regex::Regex;

use crate::keys;

use super::ParseError;

/// An owner as CODEOWNERS names one.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Owner {
    /// `@org/team`.
    Team { org: String, name: String },
    /// `@login`.
    User(String),
    /// `someone@example.com`.
    Email(String),
}

impl Owner {
    /// The entity key: `team:<name>` (the organisation dropped, as SPoT's
    /// teams have one namespace), `user:<login>`, `user:<email>`; lower case.
    pub fn key(&self) -> String {
        match self {
            Owner::Team { name, .. } => keys::team(name),
            Owner::User(login) => keys::user(login),
            Owner::Email(address) => keys::user(address),
        }
    }
}

/// One line: a pattern and its owners.
#[derive(Debug, Clone)]
pub struct Rule {
    pub pattern: String,
    pub owners: Vec<Owner>,
    /// 1-based line in the file.
    pub line: usize,
    matcher: Regex,
}

impl Rule {
    pub fn matches(&self, path: &str) -> bool {
        self.matcher.is_match(path.trim_start_matches('/'))
    }
}

/// The rules of a file, in order, and the lines skipped as invalid.
#[derive(Debug, Clone, Default)]
pub struct Codeowners {
    pub rules: Vec<Rule>,
    pub skipped: Vec<ParseError>,
}

/// Reads a CODEOWNERS file (`path` names it in the skipped lines' errors).
pub fn parse_codeowners(path: &str, content: &str) -> Codeowners {
    let mut out = Codeowners::default();
    for (i, raw) in content.lines().enumerate() {
        let n = i + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        match rule(line, n) {
            Ok(rule) => out.rules.push(rule),
            Err(message) => out.skipped.push(ParseError::at(path, n, message)),
        }
    }
    out
}

fn rule(line: &str, n: usize) -> Result<Rule, String> {
    if line.starts_with('[') || line.starts_with("^[") {
        return Err("GitLab section headers are not read".into());
    }
    let (pattern, rest) = split_pattern(line);
    if pattern.starts_with('!') {
        return Err(format!("`{pattern}`: negation is not supported in CODEOWNERS"));
    }
    let mut owners = Vec::new();
    for word in rest.split_whitespace() {
        if word.starts_with('#') {
            break;
        }
        owners.push(owner(word).ok_or_else(|| format!("`{word}` is not an owner (@org/team, @user or an email)"))?);
    }
    let matcher = Regex::new(&to_regex(&pattern)).map_err(|e| format!("`{pattern}` cannot be matched: {e}"))?;
    Ok(Rule { pattern, owners, line: n, matcher })
}

/// The pattern (with `\ ` escapes for spaces undone) and the rest of the line.
fn split_pattern(line: &str) -> (String, &str) {
    let mut pattern = String::new();
    let mut chars = line.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some((_, escaped)) => pattern.push(escaped),
                None => pattern.push('\\'),
            },
            c if c.is_whitespace() => return (pattern, &line[i..]),
            c => pattern.push(c),
        }
    }
    (pattern, "")
}

fn owner(word: &str) -> Option<Owner> {
    let valid = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if let Some(handle) = word.strip_prefix('@') {
        return match handle.split_once('/') {
            Some((org, team)) if valid(org) && valid(team) => {
                Some(Owner::Team { org: org.to_string(), name: team.to_string() })
            }
            None if valid(handle) => Some(Owner::User(handle.to_string())),
            _ => None,
        };
    }
    let (local, domain) = word.split_once('@')?;
    (!local.is_empty() && domain.contains('.') && !domain.contains('@')).then(|| Owner::Email(word.to_string()))
}

/// A CODEOWNERS pattern as an anchored regular expression over a path
/// relative to the repository root.
fn to_regex(pattern: &str) -> String {
    if matches!(pattern, "/" | "*" | "**" | "/*" | "/**") {
        return "^.*$".into();
    }
    let directory_only = pattern.ends_with('/');
    let trimmed = pattern.trim_end_matches('/');
    let anchored = trimmed.contains('/');
    let body_source = trimmed.trim_start_matches('/');
    let children_only = body_source.ends_with("/*") && !body_source.ends_with("/**");
    let mut body = String::new();
    let chars: Vec<char> = body_source.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '*' if chars.get(i + 1) == Some(&'*') => {
                let at_start = i == 0 || chars[i - 1] == '/';
                match chars.get(i + 2) {
                    Some('/') if at_start => {
                        body.push_str("(?:.*/)?");
                        i += 3;
                    }
                    None if at_start => {
                        body.push_str(".*");
                        i += 2;
                    }
                    _ => {
                        body.push_str("[^/]*");
                        i += 2;
                    }
                }
                continue;
            }
            '*' => body.push_str("[^/]*"),
            '?' => body.push_str("[^/]"),
            c => body.push_str(&regex::escape(&c.to_string())),
        }
        i += 1;
    }
    let prefix = if anchored { "^" } else { "^(?:.*/)?" };
    let suffix = if directory_only {
        "/.*$"
    } else if children_only {
        "$"
    } else {
        "(?:/.*)?$"
    };
    format!("{prefix}{body}{suffix}")
}

/// The owners of a path: those of the last rule that matches it (none when
/// no rule does, or the last one names no owners).
pub fn owners_of(rules: &[Rule], path: &str) -> Vec<Owner> {
    rules.iter().rev().find(|r| r.matches(path)).map(|r| r.owners.clone()).unwrap_or_default()
}

/// The repository's owners: those of the last rule for the whole tree
/// (`*`, `/`, `/*`, `**`, `/**`).
pub fn repo_owners(rules: &[Rule]) -> Vec<Owner> {
    rules
        .iter()
        .rev()
        .find(|r| matches!(r.pattern.as_str(), "*" | "/" | "/*" | "**" | "/**"))
        .map(|r| r.owners.clone())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(pattern: &str, path: &str) -> bool {
        Regex::new(&to_regex(pattern)).unwrap().is_match(path)
    }

    #[test]
    fn unanchored_patterns_match_at_any_depth() {
        assert!(matches("*.js", "index.js"));
        assert!(matches("*.js", "web/src/app.js"));
        assert!(!matches("*.js", "web/app.jsx"));
        assert!(matches("apps/", "apps/a/b.rb"));
        assert!(matches("apps/", "x/apps/b.rb"));
        assert!(!matches("apps/", "apps"), "a trailing slash matches directories only");
        assert!(matches("docs", "docs/readme.md"));
        assert!(matches("docs", "a/docs"));
    }

    #[test]
    fn anchored_patterns_start_at_the_root() {
        assert!(matches("/build/logs/", "build/logs/a.log"));
        assert!(!matches("/build/logs/", "x/build/logs/a.log"));
        assert!(matches("docs/*", "docs/getting-started.md"));
        assert!(!matches("docs/*", "docs/build-app/troubleshooting.md"));
        assert!(!matches("docs/*", "x/docs/a.md"));
        assert!(matches("/scripts/", "scripts/deploy/run.sh"));
        assert!(matches("src/**/test?.rs", "src/a/b/test1.rs"));
        assert!(matches("src/**/test?.rs", "src/test1.rs"));
        assert!(matches("**/logs", "deep/down/logs/x"));
        assert!(matches("/apps/github", "apps/github/x.rb"));
        assert!(!matches("/apps/github", "apps/githubx"));
        assert!(matches("lib/**", "lib/a/b"));
        assert!(matches("file[1].txt", "file[1].txt"));
        assert!(!matches("file[1].txt", "file1.txt"));
    }

    #[test]
    fn owners_are_teams_users_or_emails() {
        assert_eq!(owner("@acme/Payments"), Some(Owner::Team { org: "acme".into(), name: "Payments".into() }));
        assert_eq!(owner("@jdoe"), Some(Owner::User("jdoe".into())));
        assert_eq!(owner("docs@example.com"), Some(Owner::Email("docs@example.com".into())));
        assert_eq!(owner("jdoe"), None);
        assert_eq!(owner("@"), None);
        assert_eq!(owner("@acme/"), None);
        assert_eq!(Owner::Team { org: "acme".into(), name: "Payments".into() }.key(), "team:payments");
    }

    #[test]
    fn escaped_spaces_stay_in_the_pattern() {
        assert_eq!(split_pattern(r"my\ docs/ @a"), ("my docs/".to_string(), " @a"));
    }
}
