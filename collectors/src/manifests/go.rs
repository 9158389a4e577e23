//! Go: `go.mod`, read by hand. It is a line format (directives, optionally
//! in parenthesised blocks, `//` comments); the only maintained parser is
//! Go's own `golang.org/x/mod/modfile`, whose rules this follows for the
//! directives that matter here: `module`, `require` and `replace`. Others
//! (`go`, `toolchain`, `exclude`, `retract`, `tool`, `godebug`, and any a
//! later Go adds) are skipped.
//!
//! Since Go 1.17 `go.mod` lists every module the build uses, at the version
//! the build uses (minimal version selection picks exactly the listed
//! version), so each requirement is both the spec and the resolved version;
//! `// indirect` marks the ones the module does not import itself.

use super::{declared, DepScope, Ecosystem, Manifest, ParseError, Published};

pub(super) fn go_mod(path: &str, content: &str) -> Result<Manifest, ParseError> {
    let mut manifest = Manifest::default();
    // (module, version) → the version it is replaced by, or None when it is
    // replaced by another module or a local folder.
    let mut replaced: Vec<(String, Option<String>, Option<String>)> = Vec::new();
    let mut block: Option<(String, usize)> = None;
    for (i, raw) in content.lines().enumerate() {
        let n = i + 1;
        let (code, comment) = match raw.find("//") {
            Some(at) => (&raw[..at], raw[at + 2..].trim()),
            None => (raw, ""),
        };
        let code = code.trim();
        if code.is_empty() {
            continue;
        }
        let (verb, args) = match &block {
            Some(_) if code == ")" => {
                block = None;
                continue;
            }
            Some((verb, _)) => (verb.clone(), code),
            None => {
                let (verb, rest) = code.split_once(char::is_whitespace).unwrap_or((code, ""));
                let rest = rest.trim();
                if rest == "(" {
                    block = Some((verb.to_string(), n));
                    continue;
                }
                (verb.to_string(), rest)
            }
        };
        let words = words(args).map_err(|e| ParseError::at(path, n, e))?;
        match verb.as_str() {
            "module" => {
                let [module] = words.as_slice() else {
                    return Err(ParseError::at(path, n, "`module` takes one module path"));
                };
                manifest.publishes.push(Published {
                    ecosystem: Ecosystem::Go,
                    name: module.clone(),
                    version: None,
                    manifest: path.to_string(),
                    distributed: false,
                    group_of_parent: None,
                });
            }
            "require" => {
                let [module, version] = words.as_slice() else {
                    return Err(ParseError::at(path, n, "`require` takes a module path and a version"));
                };
                if !version.starts_with('v') {
                    return Err(ParseError::at(path, n, format!("`{version}` is not a Go module version")));
                }
                let mut dep = declared(Ecosystem::Go, module, Some(version.clone()), DepScope::Runtime, path);
                dep.resolved = Some(version.clone());
                dep.direct = !comment.split(';').any(|c| c.trim() == "indirect");
                manifest.dependencies.push(dep);
            }
            "replace" => {
                let Some(arrow) = words.iter().position(|w| w == "=>") else {
                    return Err(ParseError::at(path, n, "`replace` has no `=>`"));
                };
                let (old, new) = words.split_at(arrow);
                let new = &new[1..];
                let (old_path, old_version) = match old {
                    [p] => (p.clone(), None),
                    [p, v] => (p.clone(), Some(v.clone())),
                    _ => return Err(ParseError::at(path, n, "`replace` takes `module [version] => target`")),
                };
                let to = match new {
                    [p, v] if *p == old_path => Some(v.clone()),
                    [_] | [_, _] => None,
                    _ => return Err(ParseError::at(path, n, "`replace` takes `module [version] => target`")),
                };
                replaced.push((old_path, old_version, to));
            }
            _ => {}
        }
    }
    if let Some((verb, line)) = block {
        return Err(ParseError::at(path, line, format!("the `{verb} (` block is never closed")));
    }
    // A replacement by another version of the same module is what builds;
    // a fork or a local folder is not a registry version at all.
    for dep in &mut manifest.dependencies {
        let replacement =
            replaced.iter().find(|(p, v, _)| *p == dep.name && v.as_ref().is_none_or(|v| Some(v) == dep.spec.as_ref()));
        if let Some((_, _, to)) = replacement {
            dep.resolved = to.clone();
        }
    }
    Ok(manifest)
}

/// The words of a directive; module paths may be quoted (`"a b"` or
/// backquoted).
fn words(args: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut rest = args.trim_start();
    while !rest.is_empty() {
        let (word, after) = match rest.chars().next() {
            Some(q @ ('"' | '`')) => {
                let end = rest[1..].find(q).ok_or_else(|| format!("unterminated quote in `{args}`"))?;
                (rest[1..1 + end].to_string(), &rest[end + 2..])
            }
            _ => {
                let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
                (rest[..end].to_string(), &rest[end..])
            }
        };
        words.push(word);
        rest = after.trim_start();
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_may_be_quoted() {
        assert_eq!(words(r#"  "example.com/a b" v1.0.0 "#).unwrap(), ["example.com/a b", "v1.0.0"]);
        assert_eq!(words("`x` v2").unwrap(), ["x", "v2"]);
        assert!(words("\"open v1").is_err());
    }

    #[test]
    fn a_single_line_require_and_an_indirect_one() {
        let m = go_mod("go.mod", "module x\nrequire a.io/b v1.2.3 // indirect\nrequire c.io/d v0.1.0\n").unwrap();
        assert_eq!(m.dependencies.len(), 2);
        assert!(!m.dependencies[0].direct);
        assert!(m.dependencies[1].direct);
        assert_eq!(m.dependencies[1].resolved.as_deref(), Some("v0.1.0"));
    }
}
