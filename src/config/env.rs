//! `SPOT_*` environment overrides: `SPOT_SECTION__KEY=value` sets `key` in
//! `[section]`, e.g. `SPOT_SERVER__LISTEN=0.0.0.0:8080` or
//! `SPOT_COLLECTORS__SONARQUBE__BASE_URL=https://sonar.acme.internal`.
//! Values are read as TOML when they parse (`8080`, `true`, `["a"]`) and as
//! strings otherwise. Variables without `__` (`SPOT_CONFIG`, `SPOT_DB`,
//! `SPOT_LOG`) are command-line settings, not config keys.

use toml::{Table, Value};

/// One override applied: the variable, and the key it set (`["server", "listen"]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub var: String,
    pub key: Vec<String>,
}

/// Applies the overrides to a parsed config file; returns the overrides
/// applied, and a problem for each variable that could not be.
pub fn apply(table: &mut Table, vars: impl IntoIterator<Item = (String, String)>) -> (Vec<Applied>, Vec<String>) {
    let (mut applied, mut problems) = (Vec::new(), Vec::new());
    let mut vars: Vec<(String, String)> = vars.into_iter().filter(|(name, _)| is_override(name)).collect();
    vars.sort();
    for (name, raw) in vars {
        let key: Vec<String> = name["SPOT_".len()..].split("__").map(|p| p.to_ascii_lowercase()).collect();
        if key.iter().any(String::is_empty) {
            problems.push(format!("{name}: expected SPOT_SECTION__KEY, e.g. SPOT_SERVER__LISTEN"));
            continue;
        }
        match set(table, &key, value(&raw)) {
            Ok(()) => applied.push(Applied { var: name, key }),
            Err(problem) => problems.push(format!("{name}: {problem}")),
        }
    }
    (applied, problems)
}

fn is_override(name: &str) -> bool {
    name.starts_with("SPOT_") && name.contains("__")
}

fn value(raw: &str) -> Value {
    match format!("v = {raw}").parse::<Table>() {
        Ok(mut table) => table.remove("v").unwrap_or_else(|| Value::String(raw.into())),
        Err(_) => Value::String(raw.into()),
    }
}

fn set(table: &mut Table, path: &[String], value: Value) -> Result<(), String> {
    let (last, parents) = path.split_last().expect("a path has at least one part");
    let mut current = table;
    for (i, part) in parents.iter().enumerate() {
        let entry = current.entry(part.clone()).or_insert_with(|| Value::Table(Table::new()));
        current = match entry {
            Value::Table(inner) => inner,
            _ => return Err(format!("`{}` is not a section", path[..=i].join("."))),
        };
    }
    current.insert(last.clone(), value);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn overrides_set_nested_keys_with_typed_values() {
        let mut table: Table = "[server]\nlisten = \"127.0.0.1:1\"\n".parse().unwrap();
        let (applied, problems) = apply(
            &mut table,
            vars(&[
                ("SPOT_SERVER__LISTEN", "0.0.0.0:8080"),
                ("SPOT_SERVER__REQUEST_TIMEOUT_MS", "2500"),
                ("SPOT_COLLECTORS__CONSUL__DATACENTERS", "[\"dc1\", \"dc2\"]"),
                ("SPOT_DB", "ignored.db"),
                ("HOME", "/root"),
            ]),
        );
        assert_eq!(problems, Vec::<String>::new());
        assert_eq!(applied.len(), 3);
        assert_eq!(applied[0].var, "SPOT_COLLECTORS__CONSUL__DATACENTERS");
        assert_eq!(applied[0].key, ["collectors", "consul", "datacenters"]);
        assert_eq!(table["server"]["listen"].as_str(), Some("0.0.0.0:8080"));
        assert_eq!(table["server"]["request_timeout_ms"].as_integer(), Some(2500));
        assert_eq!(table["collectors"]["consul"]["datacenters"].as_array().unwrap().len(), 2);
    }

    #[test]
    fn every_bad_override_is_named_by_its_variable() {
        let mut table: Table = "[store]\npath = \"x.db\"\n".parse().unwrap();
        let (applied, problems) = apply(
            &mut table,
            vars(&[("SPOT_STORE__PATH__DEEPER", "y"), ("SPOT_SERVER____LISTEN", "y"), ("SPOT_SERVER__LISTEN", "z")]),
        );
        assert_eq!(applied.len(), 1);
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].starts_with("SPOT_SERVER____LISTEN: expected SPOT_SECTION__KEY"), "{problems:?}");
        assert_eq!(problems[1], "SPOT_STORE__PATH__DEEPER: `store.path` is not a section");
    }
}
