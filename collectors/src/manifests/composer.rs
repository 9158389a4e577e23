//! Composer: `composer.json` and `composer.lock` (JSON).
//!
//! Platform requirements (`php`, `hhvm`, `ext-*`, `lib-*`,
//! `composer-plugin-api`, ...) are the runtime, not packages, and are not
//! uses. A package is published unless its `type` is `project` (an
//! application). `composer.lock` does not record which packages the
//! project declared; `packages-dev` are dev.

use serde_json::{Map, Value};

use super::{declared, dedup_locked, locked, read_json, DepScope, Ecosystem, Manifest, ParseError, Published};

const COMPOSER: Ecosystem = Ecosystem::Composer;

fn is_platform(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    [
        "php",
        "php-64bit",
        "php-ipv6",
        "php-zts",
        "php-debug",
        "hhvm",
        "composer",
        "composer-plugin-api",
        "composer-runtime-api",
    ]
    .contains(&name.as_str())
        || name.starts_with("ext-")
        || name.starts_with("lib-")
}

pub(super) fn composer_json(path: &str, content: &str) -> Result<Manifest, ParseError> {
    let root = read_json(path, content)?;
    let obj = object(path, &root)?;
    let mut manifest = Manifest::default();
    for (field, scope) in [("require", DepScope::Runtime), ("require-dev", DepScope::Dev)] {
        let section = match obj.get(field) {
            None | Some(Value::Null) => continue,
            Some(Value::Object(section)) => section,
            // `"require": []` is how PHP encodes an empty map.
            Some(Value::Array(empty)) if empty.is_empty() => continue,
            Some(_) => return Err(ParseError::new(path, format!("`{field}` is not an object"))),
        };
        for (name, spec) in section {
            let Some(spec) = spec.as_str() else {
                return Err(ParseError::new(path, format!("`{field}.{name}` is not a string")));
            };
            if !is_platform(name) {
                manifest.dependencies.push(declared(COMPOSER, name, Some(spec.to_string()), scope, path));
            }
        }
    }
    let declared_kind = obj.get("type").and_then(Value::as_str);
    let kind = declared_kind.unwrap_or("library");
    if let (Some(name), false) = (obj.get("name").and_then(Value::as_str), kind == "project") {
        manifest.publishes.push(Published {
            ecosystem: COMPOSER,
            name: super::normalise_name(COMPOSER, name),
            version: obj.get("version").and_then(Value::as_str).map(str::to_string),
            manifest: path.to_string(),
            distributed: declared_kind == Some("library"),
            group_of_parent: None,
        });
    }
    Ok(manifest)
}

pub(super) fn composer_lock(path: &str, content: &str) -> Result<Manifest, ParseError> {
    let root = read_json(path, content)?;
    let obj = object(path, &root)?;
    if !obj.contains_key("packages") {
        return Err(ParseError::new(path, "no `packages`: not a Composer lockfile"));
    }
    let mut deps = Vec::new();
    for (field, scope) in [("packages", DepScope::Runtime), ("packages-dev", DepScope::Dev)] {
        let list = match obj.get(field) {
            None | Some(Value::Null) => continue,
            Some(Value::Array(list)) => list,
            Some(_) => return Err(ParseError::new(path, format!("`{field}` is not a list"))),
        };
        for (i, package) in list.iter().enumerate() {
            let field_of = |f: &str| package.get(f).and_then(Value::as_str);
            let (Some(name), Some(version)) = (field_of("name"), field_of("version")) else {
                return Err(ParseError::new(path, format!("`{field}[{i}]` lacks `name` or `version`")));
            };
            deps.push(locked(COMPOSER, name, version, scope, false, path));
        }
    }
    Ok(super::Manifest { dependencies: dedup_locked(deps), ..Default::default() })
}

fn object<'a>(path: &str, value: &'a Value) -> Result<&'a Map<String, Value>, ParseError> {
    value.as_object().ok_or_else(|| ParseError::new(path, "the top level is not an object"))
}
