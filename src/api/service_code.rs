//! Where a service's code is and what it is written in, for its page: the
//! folder of its repository it is built from (the `builds` relation's
//! `path`), and its languages, from the manifests in that folder (the
//! ecosystems of its own `uses`), else from its repository's languages (as
//! GitHub measures them; a backfill does not know them).

use async_graphql::{Context, Result};
use collectors::manifests::{self, Ecosystem};
use serde_json::Value;

use super::context::{load_entity, store, store_error};
use crate::model::{Day, Direction};

/// The folder of its repository that builds it (`""` for the root); `None`
/// when no repository builds it that day.
pub async fn folder(ctx: &Context<'_>, service: &str, day: Day) -> Result<Option<String>> {
    let builds =
        store(ctx)?.relations(service, day, Direction::In, &["builds".to_string()]).await.map_err(store_error)?;
    Ok(builds.iter().find_map(|r| r.attrs.get("path").and_then(Value::as_str)).map(str::to_string))
}

/// Its languages: those of the ecosystems of its own package uses, in
/// order of how many uses each has; else its repository's.
pub async fn languages(ctx: &Context<'_>, service: &str, day: Day) -> Result<Vec<String>> {
    let store = store(ctx)?;
    let uses = store.relations(service, day, Direction::Out, &["uses".to_string()]).await.map_err(store_error)?;
    let mut counted: Vec<(&'static str, usize)> = Vec::new();
    for language in uses.iter().filter_map(|r| manifests::package_ecosystem(&r.to)).map(language_of) {
        match counted.iter_mut().find(|(known, _)| *known == language) {
            Some((_, count)) => *count += 1,
            None => counted.push((language, 1)),
        }
    }
    if !counted.is_empty() {
        counted.sort_by_key(|(_, count)| std::cmp::Reverse(*count));
        return Ok(counted.into_iter().map(|(language, _)| language.to_string()).collect());
    }
    let builds = store.relations(service, day, Direction::In, &["builds".to_string()]).await.map_err(store_error)?;
    let Some(repo) = builds.first() else { return Ok(Vec::new()) };
    let Some(state) = load_entity(ctx, &repo.from, day).await? else { return Ok(Vec::new()) };
    let attrs = state.facts.iter().map(|f| &f.attrs);
    let listed = attrs.clone().find_map(|a| a.get("languages").and_then(Value::as_array).filter(|l| !l.is_empty()));
    let languages = match listed {
        Some(list) => list.iter().filter_map(Value::as_str).map(str::to_string).collect(),
        None => attrs.filter_map(|a| a.get("language").and_then(Value::as_str)).map(str::to_string).take(1).collect(),
    };
    Ok(languages)
}

/// The language an ecosystem's manifests build: the runtime's (npm's code
/// may be TypeScript, Maven's and Gradle's Kotlin or Scala too).
fn language_of(ecosystem: Ecosystem) -> &'static str {
    match ecosystem {
        Ecosystem::Npm => "JavaScript",
        Ecosystem::Go => "Go",
        Ecosystem::Pypi => "Python",
        Ecosystem::Maven => "Java",
        Ecosystem::Nuget => "C#",
        Ecosystem::Cargo => "Rust",
        Ecosystem::Composer => "PHP",
        Ecosystem::Rubygems => "Ruby",
    }
}
