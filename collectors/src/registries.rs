//! The latest published version of a package, from its ecosystem's public
//! registry (npm, the Go module proxy, PyPI, Maven Central, NuGet,
//! crates.io, Packagist, RubyGems), each at a configurable base URL,
//! remembered for the day so a package asked about by a hundred
//! repositories is looked up once.

use std::collections::HashMap;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::http::{Auth, HttpClient, HttpError, HttpSettings};
use crate::Day;

/// `[collectors.github.registries]`: base URLs of the registries (an
/// internal mirror, or a local server in tests); an empty one is not asked.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct RegistryUrls {
    pub npm: String,
    pub go: String,
    pub pypi: String,
    pub maven: String,
    pub nuget: String,
    pub cargo: String,
    pub composer: String,
    pub rubygems: String,
}

impl Default for RegistryUrls {
    fn default() -> RegistryUrls {
        RegistryUrls {
            npm: "https://registry.npmjs.org".into(),
            go: "https://proxy.golang.org".into(),
            pypi: "https://pypi.org".into(),
            maven: "https://search.maven.org".into(),
            nuget: "https://api.nuget.org".into(),
            cargo: "https://crates.io".into(),
            composer: "https://repo.packagist.org".into(),
            rubygems: "https://rubygems.org".into(),
        }
    }
}

impl RegistryUrls {
    /// Every registry at one base URL (a fake registry in tests).
    pub fn all_at(base: &str) -> RegistryUrls {
        let at = |path: &str| format!("{}/{path}", base.trim_end_matches('/'));
        RegistryUrls {
            npm: at("npm"),
            go: at("go"),
            pypi: at("pypi"),
            maven: at("maven"),
            nuget: at("nuget"),
            cargo: at("cargo"),
            composer: at("composer"),
            rubygems: at("rubygems"),
        }
    }
}

/// The day a package was asked about, and the latest version then.
type Answer = (Day, Option<String>);

pub struct Registries {
    clients: HashMap<&'static str, HttpClient>,
    /// (ecosystem, name) → the day asked and the answer.
    known: Mutex<HashMap<(String, String), Answer>>,
}

impl Registries {
    pub fn new(urls: &RegistryUrls, settings: &HttpSettings) -> Result<Registries, HttpError> {
        let mut clients = HashMap::new();
        for (ecosystem, service, base) in [
            ("npm", "npm registry", &urls.npm),
            ("go", "Go module proxy", &urls.go),
            ("pypi", "PyPI", &urls.pypi),
            ("maven", "Maven Central", &urls.maven),
            ("nuget", "NuGet", &urls.nuget),
            ("cargo", "crates.io", &urls.cargo),
            ("composer", "Packagist", &urls.composer),
            ("rubygems", "RubyGems", &urls.rubygems),
        ] {
            if !base.is_empty() {
                clients.insert(
                    ecosystem,
                    HttpClient::new(service, base, Auth::None, "registries need no credentials", settings)?,
                );
            }
        }
        Ok(Registries { clients, known: Mutex::new(HashMap::new()) })
    }

    /// The latest stable version of `name` in `ecosystem`, as of `day`;
    /// `None` when the registry does not know it (a private package) or is
    /// not configured.
    pub async fn latest(&self, ecosystem: &str, name: &str, day: Day) -> Result<Option<String>, HttpError> {
        let key = (ecosystem.to_string(), name.to_string());
        if let Some((asked, answer)) = self.known.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
            if *asked == day {
                return Ok(answer.clone());
            }
        }
        let Some(client) = self.clients.get(ecosystem) else { return Ok(None) };
        let answer = match lookup(client, ecosystem, name).await {
            Ok(version) => version,
            Err(HttpError::NotFound { .. }) => None,
            Err(e) => return Err(e),
        };
        self.known.lock().unwrap_or_else(|e| e.into_inner()).insert(key, (day, answer.clone()));
        Ok(answer)
    }
}

async fn lookup(client: &HttpClient, ecosystem: &str, name: &str) -> Result<Option<String>, HttpError> {
    let text = |v: &Value| v.as_str().map(str::to_string);
    Ok(match ecosystem {
        "npm" => text(&client.get_json::<Value>(&segment(name), &[]).await?["dist-tags"]["latest"]),
        "go" => text(&client.get_json::<Value>(&format!("{}/@latest", go_escape(name)), &[]).await?["Version"]),
        "pypi" => {
            text(&client.get_json::<Value>(&format!("pypi/{}/json", segment(name)), &[]).await?["info"]["version"])
        }
        "maven" => {
            let Some((group, artifact)) = name.split_once(':') else { return Ok(None) };
            let query =
                [("q", format!("g:\"{group}\" AND a:\"{artifact}\"")), ("rows", "1".into()), ("wt", "json".into())];
            text(&client.get_json::<Value>("solrsearch/select", &query).await?["response"]["docs"][0]["latestVersion"])
        }
        "nuget" => {
            let index: Value =
                client.get_json(&format!("v3-flatcontainer/{}/index.json", name.to_lowercase()), &[]).await?;
            let versions = index["versions"].as_array().cloned().unwrap_or_default();
            versions.iter().rev().filter_map(Value::as_str).find(|v| !v.contains('-')).map(str::to_string)
        }
        "cargo" => text(
            &client.get_json::<Value>(&format!("api/v1/crates/{}", segment(name)), &[]).await?["crate"]
                ["max_stable_version"],
        ),
        "composer" => {
            let doc: Value = client.get_json(&format!("p2/{name}.json"), &[]).await?;
            let versions = doc["packages"][name].as_array().cloned().unwrap_or_default();
            versions
                .iter()
                .filter_map(|v| v["version"].as_str())
                .find(|v| !v.contains('-') && !v.starts_with("dev-"))
                .map(str::to_string)
        }
        "rubygems" => text(
            &client.get_json::<Value>(&format!("api/v1/versions/{}/latest.json", segment(name)), &[]).await?["version"],
        ),
        _ => None,
    })
}

/// A package name as one URL path segment (`@acme/ui` → `@acme%2Fui`).
fn segment(name: &str) -> String {
    let mut url = reqwest::Url::parse("http://x/").expect("a valid URL");
    url.path_segments_mut().expect("a base URL").push(name);
    url.path()[1..].to_string()
}

/// The Go proxy's case encoding: an upper-case letter becomes `!` and its
/// lower case (`github.com/Azure/x` → `github.com/!azure/x`).
fn go_escape(module: &str) -> String {
    let mut out = String::with_capacity(module.len());
    for c in module.chars() {
        if c.is_ascii_uppercase() {
            out.push('!');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_escaped_as_each_registry_expects() {
        assert_eq!(segment("@acme/ui"), "@acme%2Fui");
        assert_eq!(go_escape("github.com/Azure/azure-sdk"), "github.com/!azure/azure-sdk");
    }
}
