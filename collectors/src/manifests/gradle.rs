//! Gradle: `build.gradle` (Groovy) and `build.gradle.kts` (Kotlin), **best
//! effort**. A build script is a program, and no Rust crate parses Groovy or
//! Kotlin, so this reads the declaration shapes real projects use, inside
//! `dependencies { … }` blocks (`constraints { … }` left out: a constraint
//! is not a dependency):
//!
//! - string notation, one or several coordinates per call, on one line or
//!   continued over several (`implementation "a:b:1.0",` then `"c:d:2.0"`),
//!   with or without parentheses: `implementation 'g:a:1.0'`,
//!   `implementation("g:a:1.0")`, `testImplementation "g:a:1.0:classifier@jar"`;
//! - `platform(…)` and `enforcedPlatform(…)` BOMs, and `kotlin("x")`
//!   (`org.jetbrains.kotlin:kotlin-x`);
//! - map notation: Groovy's `group: 'g', name: 'a', version: '1.0'` and
//!   Kotlin's named arguments `group = "g", name = "a", version = "1.0"`;
//! - version catalogs: `libs.foo.bar` and `libs.bundles.x` resolved through
//!   `gradle/libs.versions.toml` (any `gradle/<name>.versions.toml` is the
//!   catalog `<name>`) of the nearest folder above the script that has one
//!   ([`context_files`]), with `[versions]`, `version.ref`, rich versions
//!   (`strictly`, `require`, `prefer`) and `[bundles]`;
//! - `$var` and `${var}` in versions, when the script assigns the variable
//!   a plain string (`def v = '1.0'`, `val v = "1.0"`, `ext.v = '1.0'`,
//!   `v = '1.0'` in an `ext {}` block, `extra["v"] = "1.0"`, a map entry
//!   `v: '1.0'` for `${versions.v}`), or a `gradle.properties` beside or
//!   above the script sets it, and `${libs.versions.v.get()}`.
//!
//! Not read: project dependencies (`project(":core")`, `projects.core`),
//! coordinates held in variables (`implementation deps.guava`), anything a
//! plugin, a convention plugin (`build-logic`, `buildSrc`) or a function
//! adds, versions a BOM manages (the BOM is a dependency; what it pins is
//! not read), and publications (a Gradle project's artifact name lives in
//! `settings.gradle`). A version still holding a `$` is kept as written
//! and is not a resolved version.

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;
use toml::Value;

use super::{declared, file_name, folder_of, read_toml, DepRole, DepScope, Ecosystem, Manifest, ParseError};

/// Where a `dependencies` block starts (`.dependencies {` of Kotlin
/// multiplatform source sets included).
static DEPENDENCIES_BLOCK: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\bdependencies\s*\{").expect("a valid pattern"));

static CONSTRAINTS_BLOCK: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\bconstraints\s*\{").expect("a valid pattern"));

/// `group:artifact[:version[:classifier]][@extension]`, the whole string.
static COORDINATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^([^\s:()]+):([^\s:()]+)(?::([^\s:@()]*))?(?::[^@()]*)?(?:@\w+)?$").expect("a valid pattern")
});

/// One key of map notation: `group: 'g'` (Groovy) or `group = "g"` (Kotlin).
static MAP_ENTRY: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"\b(group|name|version)\s*[:=]\s*["']([^"']*)["']"#).expect("a valid pattern"));

static KOTLIN_MODULE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"\bkotlin\s*\(\s*["']([\w.-]+)["'](?:\s*,\s*["']([^"']+)["'])?\s*\)"#).expect("a valid pattern")
});

/// A catalog accessor outside strings: `libs.androidx.core.ktx`.
static ACCESSOR: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?:^|[^\w.$])([A-Za-z]\w*)\.([A-Za-z][\w.]*)").expect("a valid pattern"));

static ASSIGNMENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?m)^\s*(?:ext\.|project\.ext\.|val\s+|var\s+|def\s+|String\s+)?(\w+)\s*(?::\s*String\s*)?=\s*["']([^"'$\s]+)["']\s*;?\s*$"#)
        .expect("a valid pattern")
});

/// `extra["v"] = "1.0"`, `ext["v"] = '1.0'`, `set("v", "1.0")`, and map
/// entries (`v: '1.0'` in `ext.versions = [v: '1.0']`).
static OTHER_ASSIGNMENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?:\b(?:extra|ext)\s*\[\s*["'](\w+)["']\s*\]\s*=|\bset\s*\(\s*["'](\w+)["']\s*,|[\[,(]\s*(\w+)\s*:)\s*["']([^"'$\s:]+)["']"#,
    )
    .expect("a valid pattern")
});

static VARIABLE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\$\{\s*([\w.]+?)(?:\.get\(\))?\s*\}|\$(\w+)").expect("a valid pattern"));

/// The scope of a dependency configuration; `None` for names that are not
/// dependency configurations (`id`, `version`, `mavenBom`, ...).
pub fn configuration_scope(configuration: &str) -> Option<DepScope> {
    let c = configuration.to_ascii_lowercase();
    if c.starts_with("test") || c.starts_with("androidtest") || c.starts_with("integrationtest") {
        return Some(DepScope::Test);
    }
    const BUILD_TOOLS: &[&str] =
        &["classpath", "providedcompile", "providedruntime", "detektplugins", "lintchecks", "checkstyle", "errorprone"];
    if BUILD_TOOLS.contains(&c.as_str())
        || c.starts_with("kapt")
        || c.starts_with("ksp")
        || c.ends_with("compileonly")
        || c.ends_with("compileonlyapi")
        || c.ends_with("annotationprocessor")
    {
        return Some(DepScope::Build);
    }
    if c == "developmentonly" || c.starts_with("debug") {
        return Some(DepScope::Dev);
    }
    if c == "corelibrarydesugaring"
        || ["implementation", "api", "compile", "runtime", "runtimeonly"].iter().any(|s| c.ends_with(s))
    {
        return Some(DepScope::Runtime);
    }
    None
}

/// Whether a file is one a build script's reading may depend on: a version
/// catalog (`gradle/*.versions.toml`) or `gradle.properties`.
pub fn is_context_file(path: &str) -> bool {
    let name = file_name(path);
    name == "gradle.properties" || (name.ends_with(".versions.toml") && file_name(folder_of(path)) == "gradle")
}

/// The files among `paths` that a build script in `folder` reads through:
/// the version catalogs of the nearest folder at or above it that has a
/// `gradle/*.versions.toml`, then every `gradle.properties` at or above it,
/// the root's first (a nearer one overrides it).
pub fn context_files<'a>(folder: &str, paths: impl Iterator<Item = &'a str> + Clone) -> Vec<&'a str> {
    let ancestors = ancestors(folder);
    let catalog_root = ancestors.iter().find(|a| paths.clone().any(|p| is_catalog_in(p, a)));
    let mut out: Vec<&str> = match catalog_root {
        Some(root) => paths.clone().filter(|p| is_catalog_in(p, root)).collect(),
        None => Vec::new(),
    };
    for ancestor in ancestors.iter().rev() {
        let properties = join(ancestor, "gradle.properties");
        out.extend(paths.clone().filter(|p| *p == properties));
    }
    out
}

/// `folder` and every folder above it, nearest first, `""` (the root) last.
fn ancestors(folder: &str) -> Vec<String> {
    let mut out = vec![folder.to_string()];
    let mut current = folder;
    while !current.is_empty() {
        current = folder_of(current);
        out.push(current.to_string());
    }
    out
}

fn join(folder: &str, name: &str) -> String {
    if folder.is_empty() {
        name.to_string()
    } else {
        format!("{folder}/{name}")
    }
}

fn is_catalog_in(path: &str, folder: &str) -> bool {
    is_context_file(path) && file_name(path) != "gradle.properties" && folder_of(folder_of(path)) == folder
}

/// Whether a context file reads: `gradle.properties` always does.
pub(super) fn check_context(path: &str, content: &str) -> Result<(), ParseError> {
    if file_name(path) == "gradle.properties" {
        return Ok(());
    }
    read_catalog(path, content).map(|_| ())
}

/// Reads a build script alone (no catalog, no `gradle.properties`).
pub(super) fn build_gradle(path: &str, content: &str) -> Result<Manifest, ParseError> {
    build_gradle_in(path, content, &[])
}

/// Reads a build script with the catalogs and properties
/// [`context_files`] names, as (path, content).
pub(super) fn build_gradle_in(path: &str, content: &str, context: &[(&str, &str)]) -> Result<Manifest, ParseError> {
    let code = strip_comments(content);
    let masked = mask_strings(&code);
    let catalogs = Catalogs::read(context);
    let variables = variables(&code, context);
    let fill = |text: &str| fill_variables(text, &variables, &catalogs);
    let locals = locals(&code, &masked);
    let mut found: Vec<(usize, Found)> = Vec::new();
    let mut platforms: Vec<usize> = Vec::new();
    for (start, end) in dependency_blocks(&masked) {
        for call in calls(&code[start..end], &masked[start..end]) {
            let Some(scope) = configuration_scope(call.configuration) else { continue };
            // `val bom = platform(libs.compose.bom)`, then `implementation(bom)`.
            let call = match locals.get(call.masked.trim()) {
                Some(&(from, to)) => Call { code: &code[from..to], masked: &masked[from..to], ..call },
                None => call,
            };
            let platform = call.masked.contains("latform(");
            for (offset, item) in items(&call, &fill) {
                if platform {
                    platforms.push(start + call.offset + offset);
                }
                found.push((start + call.offset + offset, item.with_scope(scope)));
            }
        }
    }
    found.sort_by_key(|(offset, _)| *offset);
    let mut manifest = Manifest::default();
    for (offset, item) in found {
        let role = platforms.contains(&offset).then_some(DepRole::Bom);
        let mut add = |mut dependency: super::Dependency| {
            dependency.role = role;
            manifest.dependencies.push(dependency);
        };
        match item {
            Found::Coordinate { name, spec, scope } => add(dependency(path, &name, spec, scope)),
            Found::Accessor { catalog, accessor, scope } => {
                for (name, spec) in catalogs.resolve(path, &catalog, &accessor)? {
                    add(dependency(path, &name, spec, scope));
                }
            }
        }
    }
    manifest.dependencies.extend(spring_boot_bom(path, &code));
    mark_managed(&mut manifest.dependencies);
    Ok(manifest)
}

/// Spring Boot's plugin with `io.spring.dependency-management` imports the
/// Spring Boot BOM of the plugin's version
/// (`org.springframework.boot:spring-boot-dependencies`).
fn spring_boot_bom(path: &str, code: &str) -> Option<super::Dependency> {
    static BOOT: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r#"id\s*\(?\s*["']org\.springframework\.boot["']\s*\)?\s*version\s*\(?\s*["']([^"'$]+)["']"#)
            .expect("a valid pattern")
    });
    if !code.contains("io.spring.dependency-management") {
        return None;
    }
    let version = BOOT.captures(code)?.get(1)?.as_str().to_string();
    let mut bom = dependency(path, "org.springframework.boot:spring-boot-dependencies", Some(version), DepScope::Build);
    bom.role = Some(DepRole::Bom);
    Some(bom)
}

/// Each dependency naming no version gets the BOM most likely to give it
/// one ([`super::maven::managing`]).
fn mark_managed(dependencies: &mut [super::Dependency]) {
    let boms: Vec<super::Dependency> = dependencies.iter().filter(|d| d.role.is_some()).cloned().collect();
    for dependency in dependencies.iter_mut().filter(|d| d.spec.is_none() && d.role.is_none()) {
        dependency.managed_by = super::maven::managing(&dependency.name, &boms);
    }
}

/// Local values (`val x = …`, `def x = …`): each name and the byte range
/// of what it is assigned, up to the end of its line.
fn locals(code: &str, masked: &str) -> HashMap<String, (usize, usize)> {
    static LOCAL: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?m)^[ \t]*(?:val|var|def)\s+(\w+)\s*=\s*([^\n]+)").expect("a valid pattern"));
    LOCAL
        .captures_iter(masked)
        .filter_map(|c| Some((c.get(1)?.as_str().to_string(), (c.get(2)?.start(), c.get(2)?.end()))))
        .filter(|(_, (from, to))| code.is_char_boundary(*from) && code.is_char_boundary(*to))
        .collect()
}

fn dependency(path: &str, name: &str, spec: Option<String>, scope: DepScope) -> super::Dependency {
    let mut dep = declared(Ecosystem::Maven, name, spec.filter(|s| !s.is_empty()), scope, path);
    dep.resolved = dep.spec.clone().filter(|s| is_exact(s));
    dep
}

/// A version that names one release: not a range (`[1.0,2.0)`, `1.+`), a
/// dynamic selector (`latest.release`) or a variable left unfilled.
fn is_exact(version: &str) -> bool {
    !version.contains(['$', '+', '[', ']', '(', ')', ',']) && !version.starts_with("latest.")
}

/// One thing a dependency call names.
enum Found {
    Coordinate {
        name: String,
        spec: Option<String>,
        scope: DepScope,
    },
    /// A catalog accessor (`libs` and `androidx.core.ktx`).
    Accessor {
        catalog: String,
        accessor: String,
        scope: DepScope,
    },
}

impl Found {
    fn with_scope(self, scope: DepScope) -> Found {
        match self {
            Found::Coordinate { name, spec, .. } => Found::Coordinate { name, spec, scope },
            Found::Accessor { catalog, accessor, .. } => Found::Accessor { catalog, accessor, scope },
        }
    }
}

/// A call in a `dependencies` block: its configuration name and the text
/// of its arguments (`code` as written, `masked` with string contents
/// blanked), `offset` where the arguments start in the block.
struct Call<'a> {
    configuration: &'a str,
    offset: usize,
    code: &'a str,
    masked: &'a str,
}

/// What one call's arguments name, with offsets in the arguments.
fn items(call: &Call<'_>, fill: &dyn Fn(&str) -> String) -> Vec<(usize, Found)> {
    const UNSET: DepScope = DepScope::Runtime; // replaced by the caller's
    let mut out = Vec::new();
    for (offset, literal) in literals(call.code) {
        let text = fill(literal);
        if let Some(c) = COORDINATE.captures(&text) {
            let spec = c.get(3).map(|v| v.as_str().to_string());
            out.push((offset, Found::Coordinate { name: format!("{}:{}", &c[1], &c[2]), spec, scope: UNSET }));
        }
    }
    for c in KOTLIN_MODULE.captures_iter(call.code) {
        let name = format!("org.jetbrains.kotlin:kotlin-{}", &c[1]);
        let spec = c.get(2).map(|v| fill(v.as_str()));
        out.push((c.get(0).map_or(0, |m| m.start()), Found::Coordinate { name, spec, scope: UNSET }));
    }
    if let Some((offset, name, spec)) = map_notation(call.code, fill) {
        out.push((offset, Found::Coordinate { name, spec, scope: UNSET }));
    }
    for c in ACCESSOR.captures_iter(call.masked) {
        let (Some(catalog), Some(accessor)) = (c.get(1), c.get(2)) else { continue };
        let accessor = accessor.as_str().trim_end_matches(".get").trim_end_matches(".asProvider");
        let found = Found::Accessor { catalog: catalog.as_str().into(), accessor: accessor.into(), scope: UNSET };
        out.push((catalog.start(), found));
    }
    out
}

/// `group: 'g', name: 'a', version: '1.0'` (or with `=`), in any order;
/// `None` without a `name`.
fn map_notation(code: &str, fill: &dyn Fn(&str) -> String) -> Option<(usize, String, Option<String>)> {
    let (mut group, mut name, mut version, mut start) = (None, None, None, usize::MAX);
    for c in MAP_ENTRY.captures_iter(code) {
        start = start.min(c.get(0).map_or(0, |m| m.start()));
        let value = c.get(2).map(|v| v.as_str().to_string());
        match &c[1] {
            "group" => group = value,
            "name" => name = value,
            _ => version = value.map(|v| fill(&v)),
        }
    }
    let name = name?;
    let name = match group {
        Some(group) => format!("{group}:{name}"),
        None => name,
    };
    Some((start, name, version))
}

/// The byte ranges of every `dependencies { … }` block's body, in `masked`
/// code, with `constraints { … }` blocks cut out of them.
fn dependency_blocks(masked: &str) -> Vec<(usize, usize)> {
    let mut blocks: Vec<(usize, usize)> = Vec::new();
    for m in DEPENDENCIES_BLOCK.find_iter(masked) {
        if blocks.iter().any(|(start, end)| m.start() >= *start && m.start() < *end) {
            continue; // inside a block already taken
        }
        let open = m.end() - 1;
        let close = matching(masked, open).unwrap_or(masked.len());
        blocks.push((open + 1, close));
    }
    let mut out = Vec::new();
    for (start, end) in blocks {
        let mut from = start;
        for m in CONSTRAINTS_BLOCK.find_iter(&masked[start..end]) {
            let at = start + m.start();
            if at < from {
                continue;
            }
            out.push((from, at));
            from = matching(masked, start + m.end() - 1).map_or(end, |close| (close + 1).min(end));
        }
        out.push((from, end));
    }
    out
}

/// The index of the bracket closing the one at `open`, in masked code
/// (strings hold no brackets there).
fn matching(masked: &str, open: usize) -> Option<usize> {
    let bytes = masked.as_bytes();
    let mut depth = 0usize;
    for (i, b) in bytes.iter().enumerate().skip(open) {
        match b {
            b'{' | b'(' | b'[' => depth += 1,
            b'}' | b')' | b']' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// The calls of a block whose name could be a configuration: `name(…)`, or
/// Groovy's `name args`, whose arguments end with the line unless it ends
/// with a comma (a list continued on the next line).
fn calls<'a>(code: &'a str, masked: &'a str) -> Vec<Call<'a>> {
    let bytes = masked.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let starts_word = bytes[i].is_ascii_alphabetic()
            && (i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || matches!(bytes[i - 1], b'_' | b'.' | b'$')));
        if !starts_word {
            i += 1;
            continue;
        }
        let name_end = i + bytes[i..].iter().take_while(|b| b.is_ascii_alphanumeric() || **b == b'_').count();
        let configuration = &masked[i..name_end];
        let after = name_end + bytes[name_end..].iter().take_while(|b| matches!(b, b' ' | b'\t')).count();
        let args = match bytes.get(after) {
            Some(b'(') => matching(masked, after).map(|close| (after + 1, close)),
            Some(b'"' | b'\'' | b'[') if after > name_end => Some((after, command_end(bytes, after))),
            Some(c) if after > name_end && c.is_ascii_alphabetic() => Some((after, command_end(bytes, after))),
            _ => None,
        };
        match args {
            Some((start, end)) if configuration_scope(configuration).is_some() => {
                out.push(Call { configuration, offset: start, code: &code[start..end], masked: &masked[start..end] });
                i = end.max(name_end);
            }
            _ => i = name_end,
        }
    }
    out
}

/// Where a Groovy command call's arguments end: a newline, `;`, `{` or an
/// unopened `}` outside brackets, unless the line ends with a comma.
fn command_end(bytes: &[u8], start: usize) -> usize {
    let mut depth = 0usize;
    let mut last = b' ';
    for (i, b) in bytes.iter().enumerate().skip(start) {
        match b {
            b'(' | b'[' => depth += 1,
            b')' | b']' => depth = depth.saturating_sub(1),
            b'{' | b'}' | b';' if depth == 0 => return i,
            b'\n' if depth == 0 && last != b',' => return i,
            _ => {}
        }
        if !b.is_ascii_whitespace() {
            last = *b;
        }
    }
    bytes.len()
}

/// The contents of each quoted string, with the offset of its opening
/// quote. Strings are closed by their quote or the end of the line.
fn literals(code: &str) -> Vec<(usize, &str)> {
    let bytes = code.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if matches!(bytes[i], b'"' | b'\'') {
            let end = string_end(bytes, i);
            let close = if end > i + 1 && bytes.get(end - 1) == Some(&bytes[i]) { end - 1 } else { end };
            out.push((i, &code[i + 1..close.max(i + 1)]));
            i = end;
        } else {
            i += 1;
        }
    }
    out
}

/// The index just after the string opening at `open`: after its closing
/// quote, or at the end of its line when it is not closed.
fn string_end(bytes: &[u8], open: usize) -> usize {
    let quote = bytes[open];
    let mut i = open + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'\n' => return i,
            b if b == quote => return i + 1,
            _ => i += 1,
        }
    }
    bytes.len()
}

/// The code with every string's contents replaced by spaces (quotes and
/// length kept), so brackets, words and accessors are found outside
/// strings only and offsets stay those of `code`.
fn mask_strings(code: &str) -> String {
    let bytes = code.as_bytes();
    let mut out = bytes.to_vec();
    let mut i = 0;
    while i < bytes.len() {
        if matches!(bytes[i], b'"' | b'\'') {
            let end = string_end(bytes, i);
            let inner_end = if end > i + 1 && bytes[end - 1] == bytes[i] { end - 1 } else { end };
            for b in &mut out[i + 1..inner_end.max(i + 1)] {
                *b = b' ';
            }
            i = end;
        } else {
            i += 1;
        }
    }
    // Only ASCII bytes inside strings were replaced; what is left of a
    // multi-byte character outside strings is untouched, but a string's
    // multi-byte characters became spaces byte by byte: still valid UTF-8.
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Plain string variables the script assigns, over the properties of its
/// `gradle.properties` files (the script's own win).
fn variables(code: &str, context: &[(&str, &str)]) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for (path, content) in context {
        if file_name(path) == "gradle.properties" {
            out.extend(properties(content));
        }
    }
    for c in OTHER_ASSIGNMENT.captures_iter(code) {
        let name = c.get(1).or(c.get(2)).or(c.get(3));
        if let (Some(name), Some(value)) = (name, c.get(4)) {
            out.insert(name.as_str().to_string(), value.as_str().to_string());
        }
    }
    for c in ASSIGNMENT.captures_iter(code) {
        out.insert(c[1].to_string(), c[2].to_string());
    }
    out
}

/// `key=value`, `key: value` and `key value` lines; `#` and `!` comments.
fn properties(content: &str) -> impl Iterator<Item = (String, String)> + '_ {
    content.lines().filter_map(|line| {
        let line = line.trim();
        if line.is_empty() || line.starts_with(['#', '!']) {
            return None;
        }
        let at = line.find(['=', ':', ' ', '\t'])?;
        let value = line[at + 1..].trim_start_matches(['=', ':', ' ', '\t']).trim();
        Some((line[..at].trim().to_string(), value.to_string()))
    })
}

/// `$v`, `${v}`, `${project.v}`, `${versions.v}` (a map entry) and
/// `${libs.versions.v.get()}` replaced by their values; others kept.
fn fill_variables(text: &str, variables: &HashMap<String, String>, catalogs: &Catalogs) -> String {
    VARIABLE
        .replace_all(text, |c: &regex::Captures<'_>| {
            let whole = c[0].to_string();
            let Some(name) = c.get(1).or(c.get(2)).map(|m| m.as_str()) else { return whole };
            if let Some(value) = catalogs.version(name) {
                return value;
            }
            let last = name.rsplit('.').next().unwrap_or(name);
            variables.get(name).or_else(|| variables.get(last)).cloned().unwrap_or(whole)
        })
        .into_owned()
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

// ------------------------------------------------------------ catalogs

/// The version catalogs a script can use, by accessor name (`libs`).
#[derive(Default)]
struct Catalogs {
    catalogs: HashMap<String, (String, Result<Catalog, ParseError>)>,
}

/// A library of a catalog: `group:artifact` and its version, if any.
#[derive(Debug, Clone, PartialEq)]
struct Library {
    module: String,
    version: Option<String>,
}

#[derive(Debug, Default)]
struct Catalog {
    /// By accessor: `androidx-core-ktx` is `androidx.core.ktx`.
    libraries: HashMap<String, Library>,
    bundles: HashMap<String, Vec<String>>,
    versions: HashMap<String, String>,
}

impl Catalogs {
    fn read(context: &[(&str, &str)]) -> Catalogs {
        let mut catalogs = HashMap::new();
        for (path, content) in context.iter().filter(|(p, _)| is_context_file(p) && file_name(p) != "gradle.properties")
        {
            let name = file_name(path).trim_end_matches(".versions.toml").to_string();
            catalogs.insert(name, (path.to_string(), read_catalog(path, content)));
        }
        Catalogs { catalogs }
    }

    /// `libs.versions.grpc` (as a `${…}` in a string): the version.
    fn version(&self, reference: &str) -> Option<String> {
        let (catalog, rest) = reference.split_once('.')?;
        let name = rest.strip_prefix("versions.")?;
        let (_, Ok(catalog)) = self.catalogs.get(catalog)? else { return None };
        catalog.versions.get(name).cloned()
    }

    /// What an accessor names: one library, a bundle's libraries, or
    /// nothing (a version, a plugin, an alias the catalog does not have, or
    /// no catalog of that name: `deps.guava` is a variable, not read). A
    /// catalog that does not parse is the script's error.
    fn resolve(
        &self,
        script: &str,
        catalog: &str,
        accessor: &str,
    ) -> Result<Vec<(String, Option<String>)>, ParseError> {
        let Some((path, read)) = self.catalogs.get(catalog) else { return Ok(Vec::new()) };
        let catalog = read.as_ref().map_err(|e| {
            ParseError::new(script, format!("its version catalog {path} cannot be read: {}", e.message))
        })?;
        let library = |alias: &str| catalog.libraries.get(alias).map(|l| (l.module.clone(), l.version.clone()));
        let found = if let Some(bundle) = accessor.strip_prefix("bundles.") {
            catalog.bundles.get(bundle).map(|aliases| aliases.iter().filter_map(|a| library(a)).collect())
        } else if accessor.starts_with("versions.") || accessor.starts_with("plugins.") {
            None
        } else {
            library(accessor).map(|l| vec![l])
        };
        Ok(found.unwrap_or_default())
    }
}

/// The accessor of an alias: `-`, `_` and `.` all separate its parts.
fn accessor(alias: &str) -> String {
    alias.replace(['-', '_'], ".")
}

/// A version catalog (`gradle/libs.versions.toml`): `[versions]`,
/// `[libraries]` and `[bundles]` (plugins are not dependencies).
fn read_catalog(path: &str, content: &str) -> Result<Catalog, ParseError> {
    let doc = read_toml(path, content)?;
    let section = |name: &str| -> Result<Option<&toml::Table>, ParseError> {
        match doc.get(name) {
            None => Ok(None),
            Some(Value::Table(t)) => Ok(Some(t)),
            Some(_) => Err(ParseError::new(path, format!("[{name}] is not a table"))),
        }
    };
    let mut catalog = Catalog::default();
    for (name, value) in section("versions")?.into_iter().flatten() {
        if let Some(version) = rich_version(value) {
            catalog.versions.insert(accessor(name), version);
        }
    }
    for (alias, value) in section("libraries")?.into_iter().flatten() {
        let library = catalog_library(value, &catalog.versions)
            .ok_or_else(|| ParseError::new(path, format!("library `{alias}` names no module")))?;
        catalog.libraries.insert(accessor(alias), library);
    }
    for (name, value) in section("bundles")?.into_iter().flatten() {
        let Value::Array(aliases) = value else {
            return Err(ParseError::new(path, format!("bundle `{name}` is not a list of aliases")));
        };
        let aliases = aliases.iter().filter_map(Value::as_str).map(accessor).collect();
        catalog.bundles.insert(accessor(name), aliases);
    }
    Ok(catalog)
}

/// A library entry: `"g:a:v"`, `{ module = "g:a", version = … }` or
/// `{ group = "g", name = "a", version.ref = "x" }`.
fn catalog_library(value: &Value, versions: &HashMap<String, String>) -> Option<Library> {
    match value {
        Value::String(notation) => {
            let mut parts = notation.splitn(3, ':');
            let (group, name) = (parts.next()?, parts.next()?);
            Some(Library { module: format!("{group}:{name}"), version: parts.next().map(str::to_string) })
        }
        Value::Table(t) => {
            let module = match t.get("module").and_then(Value::as_str) {
                Some(module) if module.contains(':') => module.to_string(),
                _ => format!("{}:{}", t.get("group")?.as_str()?, t.get("name")?.as_str()?),
            };
            let version = match t.get("version") {
                Some(Value::Table(v)) if v.contains_key("ref") => {
                    v.get("ref").and_then(Value::as_str).and_then(|r| versions.get(&accessor(r)).cloned())
                }
                Some(v) => rich_version(v),
                None => None,
            };
            Some(Library { module, version })
        }
        _ => None,
    }
}

/// `"1.0"`, or a rich version's `strictly`, `require` or `prefer`.
fn rich_version(value: &Value) -> Option<String> {
    match value {
        Value::String(v) => Some(v.clone()),
        Value::Table(t) => {
            ["strictly", "require", "prefer"].iter().find_map(|k| t.get(*k).and_then(Value::as_str)).map(str::to_string)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spring_boot_and_platforms_are_boms_that_manage_unversioned_dependencies() {
        let script = "plugins {\n  id 'org.springframework.boot' version '3.5.5'\n  id 'io.spring.dependency-management' version '1.1.7'\n}\ndependencies {\n  implementation platform('com.google.cloud:libraries-bom:26.84.0')\n  implementation 'org.springframework.boot:spring-boot-starter-web'\n  implementation 'com.google.cloud:google-cloud-storage'\n  implementation 'com.acme:pinned:1.0'\n}\n";
        let manifest = build_gradle("build.gradle", script).unwrap();
        let read: Vec<_> = manifest
            .dependencies
            .iter()
            .map(|d| (d.name.as_str(), d.resolved.as_deref(), d.role.map(DepRole::as_str), d.managed_by.as_deref()))
            .collect();
        let boot = "org.springframework.boot:spring-boot-dependencies";
        assert_eq!(
            read,
            [
                ("com.google.cloud:libraries-bom", Some("26.84.0"), Some("bom"), None),
                ("org.springframework.boot:spring-boot-starter-web", None, None, Some(boot)),
                ("com.google.cloud:google-cloud-storage", None, None, Some("com.google.cloud:libraries-bom")),
                ("com.acme:pinned", Some("1.0"), None, None),
                (boot, Some("3.5.5"), Some("bom"), None),
            ]
        );
        let without = script.replace("  id 'io.spring.dependency-management' version '1.1.7'\n", "");
        assert!(!build_gradle("build.gradle", &without).unwrap().dependencies.iter().any(|d| d.name == boot));
    }

    #[test]
    fn configurations_have_scopes() {
        assert_eq!(configuration_scope("implementation"), Some(DepScope::Runtime));
        assert_eq!(configuration_scope("api"), Some(DepScope::Runtime));
        assert_eq!(configuration_scope("testImplementation"), Some(DepScope::Test));
        assert_eq!(configuration_scope("androidTestImplementation"), Some(DepScope::Test));
        assert_eq!(configuration_scope("compileOnly"), Some(DepScope::Build));
        assert_eq!(configuration_scope("annotationProcessor"), Some(DepScope::Build));
        assert_eq!(configuration_scope("kapt"), Some(DepScope::Build));
        assert_eq!(configuration_scope("kspTest"), Some(DepScope::Build));
        assert_eq!(configuration_scope("debugImplementation"), Some(DepScope::Dev));
        assert_eq!(configuration_scope("coreLibraryDesugaring"), Some(DepScope::Runtime));
        assert_eq!(configuration_scope("checkstyle"), Some(DepScope::Build));
        assert_eq!(configuration_scope("id"), None);
        assert_eq!(configuration_scope("mavenBom"), None);
    }

    #[test]
    fn comments_go_but_strings_stay() {
        let code = "a 'http://x' // note\n/* block\n still */ b \"//y\"";
        assert_eq!(strip_comments(code), "a 'http://x' \n\n b \"//y\"");
    }

    #[test]
    fn strings_are_masked_without_moving_anything() {
        let code = "implementation(\"a:b:${v}\") { x }\n'é(' ";
        let masked = mask_strings(code);
        assert_eq!(masked.len(), code.len());
        assert!(masked.starts_with("implementation(\"        \") { x }\n'"));
    }

    #[test]
    fn catalogs_and_properties_are_found_above_the_script() {
        let paths = [
            "gradle/libs.versions.toml",
            "gradle/test.versions.toml",
            "gradle.properties",
            "app/gradle.properties",
            "other/gradle/libs.versions.toml",
        ];
        assert_eq!(
            context_files("app/src", paths.iter().copied()),
            ["gradle/libs.versions.toml", "gradle/test.versions.toml", "gradle.properties", "app/gradle.properties"]
        );
        assert_eq!(
            context_files("other", paths.iter().copied()),
            ["other/gradle/libs.versions.toml", "gradle.properties"]
        );
        assert!(!is_context_file("libs.versions.toml"));
        assert!(is_context_file("gradle/libs.versions.toml"));
    }

    #[test]
    fn a_groovy_command_call_ends_with_its_line_unless_a_comma_continues_it() {
        let code = "implementation 'a:b:1',\n    'c:d:2'\nfoo 'e:f:3'";
        let masked = mask_strings(code);
        let found: Vec<&str> = calls(code, &masked).iter().map(|c| c.code).collect();
        assert_eq!(found, ["'a:b:1',\n    'c:d:2'"]);
    }
}
