//! Latest versions from each ecosystem's registry, against a local server
//! answering in each registry's shape.

mod support;

use collectors::http::HttpSettings;
use collectors::registries::{Registries, RegistryUrls};
use collectors::Day;
use support::{Recorded, ReplayServer, Reply};

fn registry(request: &Recorded) -> Reply {
    match request.path.as_str() {
        "/npm/@acme%2Fui" => Reply::json(r#"{"name":"@acme/ui","dist-tags":{"latest":"3.1.0","next":"4.0.0-rc.1"}}"#),
        "/npm/lodash" => Reply::json(r#"{"dist-tags":{"latest":"4.17.21"}}"#),
        "/go/github.com/!azure/azure-sdk-for-go/@latest" => {
            Reply::json(r#"{"Version":"v68.0.0+incompatible","Time":"2022-10-04T00:00:00Z"}"#)
        }
        "/pypi/pypi/django/json" => Reply::json(r#"{"info":{"name":"Django","version":"5.1.3"}}"#),
        "/maven/solrsearch/select" if request.param("q") == Some("g:\"org.slf4j\" AND a:\"slf4j-api\"") => Reply::json(
            r#"{"response":{"numFound":1,"docs":[{"g":"org.slf4j","a":"slf4j-api","latestVersion":"2.0.16"}]}}"#,
        ),
        "/nuget/v3-flatcontainer/newtonsoft.json/index.json" => {
            Reply::json(r#"{"versions":["12.0.3","13.0.3","14.0.1-beta1"]}"#)
        }
        "/cargo/api/v1/crates/serde" => {
            Reply::json(r#"{"crate":{"name":"serde","max_version":"1.0.215","max_stable_version":"1.0.215"}}"#)
        }
        "/composer/p2/monolog/monolog.json" => {
            Reply::json(r#"{"packages":{"monolog/monolog":[{"version":"3.8.0"},{"version":"3.7.0"}]}}"#)
        }
        "/rubygems/api/v1/versions/rails/latest.json" => Reply::json(r#"{"version":"8.0.0"}"#),
        _ => Reply::status(404, r#"{"error":"Not found"}"#),
    }
}

#[tokio::test]
async fn each_registry_says_its_latest_stable_version() {
    let server = ReplayServer::start(registry).await;
    let registries = Registries::new(&RegistryUrls::all_at(&server.url), &HttpSettings::default()).unwrap();
    let day = Day(20_000);
    for (ecosystem, name, latest) in [
        ("npm", "@acme/ui", Some("3.1.0")),
        ("npm", "lodash", Some("4.17.21")),
        ("go", "github.com/Azure/azure-sdk-for-go", Some("v68.0.0+incompatible")),
        ("pypi", "django", Some("5.1.3")),
        ("maven", "org.slf4j:slf4j-api", Some("2.0.16")),
        ("nuget", "Newtonsoft.Json", Some("13.0.3")),
        ("cargo", "serde", Some("1.0.215")),
        ("composer", "monolog/monolog", Some("3.8.0")),
        ("rubygems", "rails", Some("8.0.0")),
        ("npm", "@acme/private-thing", None),
        ("maven", "not-a-coordinate", None),
    ] {
        let found = registries.latest(ecosystem, name, day).await.unwrap();
        assert_eq!(found.as_deref(), latest, "{ecosystem} {name}");
    }
}

#[tokio::test]
async fn a_package_is_looked_up_once_a_day() {
    let server = ReplayServer::start(registry).await;
    let registries = Registries::new(&RegistryUrls::all_at(&server.url), &HttpSettings::default()).unwrap();
    for _ in 0..3 {
        registries.latest("npm", "lodash", Day(20_000)).await.unwrap();
    }
    assert_eq!(server.count("/npm/lodash"), 1);
    registries.latest("npm", "lodash", Day(20_001)).await.unwrap();
    assert_eq!(server.count("/npm/lodash"), 2, "a new day asks again");
}

#[tokio::test]
async fn a_registry_in_trouble_is_an_error_naming_it() {
    let server = ReplayServer::start(|_: &Recorded| Reply::status(500, "down")).await;
    let settings = HttpSettings { retries: 0, ..HttpSettings::default() };
    let registries = Registries::new(&RegistryUrls::all_at(&server.url), &settings).unwrap();
    let err = registries.latest("pypi", "django", Day(20_000)).await.unwrap_err().to_string();
    assert_eq!(err, "PyPI: pypi/django/json answered HTTP 500 after 1 attempts: down");
}
