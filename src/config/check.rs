//! `spot config check`: everything that can be known about a config
//! before running it, each problem naming its key.

use super::Config;

/// Every problem found; empty when the config can run.
pub fn problems(config: &Config) -> Vec<String> {
    let mut problems = Vec::new();
    if let Err(mut unusable) = config.auth.resolve_tokens() {
        problems.append(&mut unusable);
    }
    if config.auth.tokens.is_empty() && !config.server.listen.ip().is_loopback() {
        problems.push(format!(
            "server.listen: {} is not a loopback address, and no [[auth.tokens]] are configured",
            config.server.listen
        ));
    }
    for name in config.collectors.configured() {
        if let Err(e) = config.collectors.build(name) {
            problems.push(e.to_string());
        }
        match config.collectors.schedule(name) {
            Ok(schedule) => {
                if let Err(mut wrong) = crate::scheduler::Timing::check(name, &schedule) {
                    problems.append(&mut wrong);
                }
            }
            Err(e) => problems.push(e.to_string()),
        }
    }
    for (source, days) in &config.retention {
        if *days < crate::model::MIN_RETENTION_DAYS {
            problems.push(format!(
                "retention.{source}: {days} days is too short; keep at least {} (a re-run of a day reopens what it closed)",
                crate::model::MIN_RETENTION_DAYS
            ));
        }
    }
    if let Err(mut wrong) = crate::links::Links::new(&config.links) {
        problems.append(&mut wrong);
    }
    problems.extend(config.delivery.problems());
    if let Err(mut wrong) = crate::scorecards::Scorecards::load(&config.scorecards, &sonar_metrics(config)) {
        problems.append(&mut wrong);
    }
    if config.scheduler.concurrency == 0 {
        problems.push("scheduler.concurrency: must be at least 1".into());
    }
    match &config.store.arangodb {
        Some(arango) => problems.extend(arango.problems()),
        None => {
            if let Some(parent) = config.store.path.parent().filter(|p| !p.as_os_str().is_empty()) {
                if !parent.is_dir() {
                    problems.push(format!("store.path: the folder {} does not exist", parent.display()));
                }
            }
        }
    }
    problems
}

/// What may be meant but is risky: printed by `spot config check`, which
/// still passes.
pub fn warnings(config: &Config) -> Vec<String> {
    crate::links::Links::warnings(&config.links)
}

/// The metrics the SonarQube collector reads: attributes scorecards may name.
pub fn sonar_metrics(config: &Config) -> Vec<String> {
    config.collectors.sonarqube.as_ref().map(|s| s.metrics.clone()).unwrap_or_default()
}

/// The secrets a config refers to, each with whether it can be read; the
/// values themselves are never shown.
pub fn secrets(config: &Config) -> Vec<String> {
    let mut lines = Vec::new();
    if let Ok(value) = toml::Value::try_from(config) {
        collect_secrets(&value, &mut lines);
    }
    lines.sort();
    lines.dedup();
    lines
}

/// Every `token_env`, `token_file`, `app_key_file` and `kubeconfig`
/// anywhere in the config, and the ArangoDB store's `password_*` and `jwt_*`.
fn collect_secrets(value: &toml::Value, lines: &mut Vec<String>) {
    let readable = |path: &str| if std::path::Path::new(path).is_file() { "readable" } else { "MISSING" };
    match value {
        toml::Value::Table(table) => {
            for (key, value) in table {
                match (key.as_str(), value.as_str()) {
                    ("token_env" | "password_env" | "jwt_env", Some(var)) => {
                        let state = if std::env::var_os(var).is_some() { "set" } else { "NOT SET" };
                        lines.push(format!("environment variable {var}: {state}"));
                    }
                    ("token_file" | "app_key_file" | "password_file" | "jwt_file", Some(path)) => {
                        lines.push(format!("file {path}: {}", readable(path)))
                    }
                    // Read at each run, not at startup: a missing one fails runs.
                    ("kubeconfig", Some(path)) => lines.push(format!("kubeconfig {path}: {}", readable(path))),
                    _ => collect_secrets(value, lines),
                }
            }
        }
        toml::Value::Array(items) => items.iter().for_each(|item| collect_secrets(item, lines)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_can_run() {
        assert_eq!(problems(&Config::default()), Vec::<String>::new());
    }

    #[test]
    fn every_problem_is_reported_at_once_with_its_key() {
        let config: Config = toml::from_str(
            r#"
            [server]
            listen = "0.0.0.0:8080"
            [collectors.sonarqube]
            base_url = "https://sonar.example"
            token_env = "SPOT_TEST_CHECK_UNSET_VARIABLE"
            [collectors.sonarqube.schedule]
            cron = "61 * * * *"
            "#,
        )
        .unwrap();
        let problems = problems(&config);
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems[0].starts_with("server.listen: 0.0.0.0:8080 is not a loopback address"), "{problems:?}");
        assert!(problems[1].contains("SPOT_TEST_CHECK_UNSET_VARIABLE is not set"), "{problems:?}");
        assert!(problems[2].starts_with("collectors.sonarqube.schedule.cron: '61 * * * *'"), "{problems:?}");
        assert_eq!(secrets(&config), ["environment variable SPOT_TEST_CHECK_UNSET_VARIABLE: NOT SET"]);
    }

    #[test]
    fn an_arangodb_store_is_checked_instead_of_the_sqlite_path() {
        let config: Config = toml::from_str(
            r#"
            [store]
            path = "/nonexistent/folder/spot.db"
            [store.arangodb]
            url = "http://root:pw@127.0.0.1:8529"
            database = "1spot"
            password_env = "SPOT_TEST_CHECK_UNSET_ARANGO_PASSWORD"
            "#,
        )
        .unwrap();
        let problems = problems(&config);
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems[0].starts_with("store.arangodb.url: must not hold credentials"), "{problems:?}");
        assert!(problems[1].starts_with("store.arangodb.database: '1spot'"), "{problems:?}");
        assert!(problems[2].contains("SPOT_TEST_CHECK_UNSET_ARANGO_PASSWORD is not set"), "{problems:?}");
        assert_eq!(secrets(&config), ["environment variable SPOT_TEST_CHECK_UNSET_ARANGO_PASSWORD: NOT SET"]);
        let fine: Config = toml::from_str("[store.arangodb]\nurl = \"https://arango.acme.internal:8529\"\n").unwrap();
        assert_eq!(super::problems(&fine), Vec::<String>::new());
        assert_eq!(fine.store.arangodb.unwrap().database, "spot");
    }

    #[test]
    fn kubeconfigs_are_listed_and_a_missing_one_is_no_problem_yet() {
        let config: Config = toml::from_str(
            r#"
            [collectors.kubernetes]
            clusters = [{ name = "dc1", kubeconfig = "/nonexistent/spot-test.kubeconfig" }, { name = "dc2", context = "prod" }]
            "#,
        )
        .unwrap();
        assert_eq!(problems(&config), Vec::<String>::new(), "read at each run, where a missing one fails that run");
        assert_eq!(secrets(&config), ["kubeconfig /nonexistent/spot-test.kubeconfig: MISSING"]);
    }

    #[test]
    fn a_github_app_key_that_cannot_be_used_is_a_problem() {
        let dir = tempfile::tempdir().unwrap();
        let not_a_key = dir.path().join("app.pem");
        std::fs::write(&not_a_key, "not a key\n").unwrap();
        let config: Config = toml::from_str(&format!(
            "[collectors.github]\norgs = [\"acme\"]\napp_id = 1234\napp_key_file = \"{}\"\n",
            not_a_key.display()
        ))
        .unwrap();
        let problems = problems(&config);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].starts_with(&format!(
                "collectors.github: app_key_file: {} is not a PEM private key",
                not_a_key.display()
            )),
            "{problems:?}"
        );
        assert_eq!(secrets(&config), [format!("file {}: readable", not_a_key.display())]);
    }
}
