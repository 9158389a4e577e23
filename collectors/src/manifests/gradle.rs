//! Gradle: `build.gradle` (Groovy) and `build.gradle.kts` (Kotlin), **best
//! effort**. A build script is a program, and no Rust crate parses Groovy or
//! Kotlin, so this reads the common declaration shapes with patterns:
//!
//! - `implementation 'g:a:1.0'`, `implementation("g:a:1.0")`,
//!   `testImplementation "g:a:1.0:classifier@jar"`;
//! - `implementation platform("g:bom:1.0")` (and `enforcedPlatform`);
//! - `implementation group: 'g', name: 'a', version: '1.0'` (Groovy maps,
//!   and Kotlin's named arguments `group = "g", name = "a"`);
//! - `$var` and `${var}` in versions, when the same file assigns the
//!   variable a plain string (`def v = '1.0'`, `val v = "1.0"`,
//!   `ext.v = '1.0'`, `v = '1.0'` in an `ext {}` block).
//!
//! Not read: version catalogs (`libs.foo`), `gradle.properties`, project
//! dependencies (`project(":core")`), `kotlin("x")` shorthands, anything a
//! plugin or a function adds, and publications (a Gradle project's
//! artifact name lives in `settings.gradle`). A version still holding a
//! `$` is kept as written and is not a resolved version.

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;

use super::{declared, DepScope, Ecosystem, Manifest, ParseError};

static STRING_NOTATION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"\b([A-Za-z]\w*)\s*\(?\s*(?:(?:platform|enforcedPlatform)\s*\(\s*)?["']([^"'\s:()]+):([^"'\s:()]+)(?::([^"'\s:@()]+))?(?::[^"'@()]*)?(?:@\w+)?["']"#,
    )
    .expect("a valid pattern")
});

static MAP_NOTATION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"\b([A-Za-z]\w*)\s*\(?\s*group\s*[:=]\s*["']([^"']+)["']\s*,\s*name\s*[:=]\s*["']([^"']+)["'](?:\s*,\s*version\s*[:=]\s*["']([^"']+)["'])?"#,
    )
    .expect("a valid pattern")
});

static ASSIGNMENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?m)^\s*(?:ext\.|val\s+|var\s+|def\s+|String\s+)?(\w+)\s*=\s*["']([^"'$\s]+)["']\s*;?\s*$"#)
        .expect("a valid pattern")
});

static VARIABLE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\$\{?(?:project\.|rootProject\.ext\.|ext\.)?(\w+)\}?").expect("a valid pattern"));

/// The scope of a dependency configuration; `None` for names that are not
/// dependency configurations (`id`, `version`, `mavenBom`, ...).
pub fn configuration_scope(configuration: &str) -> Option<DepScope> {
    let c = configuration.to_ascii_lowercase();
    if c.starts_with("test") || c.starts_with("androidtest") || c.starts_with("integrationtest") {
        return Some(DepScope::Test);
    }
    if ["classpath", "kapt", "ksp", "providedcompile", "providedruntime", "detektplugins"].contains(&c.as_str())
        || c.ends_with("compileonly")
        || c.ends_with("compileonlyapi")
        || c.ends_with("annotationprocessor")
    {
        return Some(DepScope::Build);
    }
    if c == "developmentonly" || c.starts_with("debug") {
        return Some(DepScope::Dev);
    }
    if ["implementation", "api", "compile", "runtime", "runtimeonly"].iter().any(|s| c.ends_with(s)) {
        return Some(DepScope::Runtime);
    }
    None
}

pub(super) fn build_gradle(path: &str, content: &str) -> Result<Manifest, ParseError> {
    let code = strip_comments(content);
    let variables: HashMap<&str, &str> =
        ASSIGNMENT.captures_iter(&code).filter_map(|c| Some((c.get(1)?.as_str(), c.get(2)?.as_str()))).collect();
    let fill = |version: &str| {
        VARIABLE
            .replace_all(version, |c: &regex::Captures<'_>| {
                variables.get(&c[1]).map_or_else(|| c[0].to_string(), |v| v.to_string())
            })
            .into_owned()
    };
    let mut found: Vec<(usize, String, Option<String>, DepScope)> = Vec::new();
    for regex in [&*STRING_NOTATION, &*MAP_NOTATION] {
        for c in regex.captures_iter(&code) {
            let Some(scope) = configuration_scope(&c[1]) else { continue };
            let name = format!("{}:{}", &c[2], &c[3]);
            let spec = c.get(4).map(|v| fill(v.as_str()));
            found.push((c.get(0).map_or(0, |m| m.start()), name, spec, scope));
        }
    }
    found.sort_by_key(|f| f.0);
    let mut manifest = Manifest::default();
    for (_, name, spec, scope) in found {
        let mut dep = declared(Ecosystem::Maven, &name, spec, scope, path);
        dep.resolved =
            dep.spec.clone().filter(|s| !s.contains(['$', '+', '[', '(', ',']) && !s.ends_with("latest.release"));
        manifest.dependencies.push(dep);
    }
    Ok(manifest)
}

/// The script without `//` and `/* */` comments; quoted strings are kept
/// whole (a URL's `//` is not a comment).
fn strip_comments(content: &str) -> String {
    let mut out = String::with_capacity(content.len());
    let mut chars = content.chars().peekable();
    let mut quote: Option<char> = None;
    while let Some(c) = chars.next() {
        match quote {
            Some(q) => {
                out.push(c);
                if c == '\\' {
                    if let Some(next) = chars.next() {
                        out.push(next);
                    }
                } else if c == q || c == '\n' {
                    quote = None;
                }
            }
            None => match (c, chars.peek()) {
                ('/', Some('/')) => {
                    for c in chars.by_ref() {
                        if c == '\n' {
                            out.push('\n');
                            break;
                        }
                    }
                }
                ('/', Some('*')) => {
                    chars.next();
                    let mut last = ' ';
                    for c in chars.by_ref() {
                        if c == '\n' {
                            out.push('\n');
                        }
                        if last == '*' && c == '/' {
                            break;
                        }
                        last = c;
                    }
                }
                ('"' | '\'', _) => {
                    quote = Some(c);
                    out.push(c);
                }
                _ => out.push(c),
            },
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configurations_have_scopes() {
        assert_eq!(configuration_scope("implementation"), Some(DepScope::Runtime));
        assert_eq!(configuration_scope("api"), Some(DepScope::Runtime));
        assert_eq!(configuration_scope("testImplementation"), Some(DepScope::Test));
        assert_eq!(configuration_scope("androidTestImplementation"), Some(DepScope::Test));
        assert_eq!(configuration_scope("compileOnly"), Some(DepScope::Build));
        assert_eq!(configuration_scope("annotationProcessor"), Some(DepScope::Build));
        assert_eq!(configuration_scope("kapt"), Some(DepScope::Build));
        assert_eq!(configuration_scope("debugImplementation"), Some(DepScope::Dev));
        assert_eq!(configuration_scope("id"), None);
        assert_eq!(configuration_scope("mavenBom"), None);
    }

    #[test]
    fn comments_go_but_strings_stay() {
        let code = "a 'http://x' // note\n/* block\n still */ b \"//y\"";
        assert_eq!(strip_comments(code), "a 'http://x' \n\n b \"//y\"");
    }
}
