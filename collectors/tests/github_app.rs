//! The GitHub collector as a GitHub App, against the fake GitHub, which
//! checks the app's signed token the way GitHub does (RS256 signature with
//! the app's public key, issuer, issue and expiry times), issues
//! installation tokens that really expire, and admits API calls only with
//! a live one. Keys are generated per test; none is committed.

mod support;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use collectors::github::fake::{FakeApp, FakeGitHub, TestKey};
use collectors::github::{Config, GitHub};
use collectors::http::HttpSettings;
use collectors::{Collector, Day};
use support::{Recorded, ReplayServer, Reply};

const DAY: Day = Day(20_000);
const APP_ID: u64 = 424_242;
const INSTALLATION: u64 = 7_000_001;
const AN_HOUR: Duration = Duration::from_secs(3600);

/// A fake GitHub serving `repos` repositories of `acme` to an app whose
/// key is `key`.
async fn github_with_app(key: &TestKey, repos: usize, token_lifetime: Duration, latency: Duration) -> FakeGitHub {
    let app = FakeApp {
        app_id: APP_ID,
        installation_id: INSTALLATION,
        public_key_pem: key.public_pem.clone(),
        token_lifetime,
    };
    FakeGitHub::start_app("acme", repos, app, latency).await.unwrap()
}

/// The collector's config as app `APP_ID`, its private key written to `dir`.
fn app_config(url: &str, dir: &Path, private_pem: &str, installation_id: Option<u64>) -> Config {
    let key_file = write(dir, "app.pem", private_pem);
    let installation = installation_id.map(|id| format!("installation_id = {id}\n")).unwrap_or_default();
    let mut config: Config = toml::from_str(&format!(
        "base_url = \"{url}\"\norgs = [\"acme\"]\ncheck_latest = false\ncache_dir = \"{}\"\napp_id = {APP_ID}\napp_key_file = \"{}\"\n{installation}",
        dir.join("cache").display(),
        key_file.display(),
    ))
    .unwrap();
    config.http = HttpSettings { backoff_ms: 1, max_backoff_ms: 5, retries: 2, concurrency: 8, ..config.http };
    config
}

fn write(dir: &Path, name: &str, content: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    path
}

fn repos_observed(obs: &collectors::Observation) -> usize {
    obs.entities.iter().filter(|e| e.kind == "repo").count()
}

#[tokio::test]
async fn an_app_reads_the_organisation_with_its_installation_token() {
    let key = TestKey::generate();
    let github = github_with_app(&key, 12, AN_HOUR, Duration::ZERO).await;
    let dir = tempfile::tempdir().unwrap();
    let collector = GitHub::new(&app_config(&github.url, dir.path(), &key.private_pem, Some(INSTALLATION))).unwrap();
    let obs = collector.collect("acme", DAY).await.unwrap();
    assert!(obs.complete && obs.unobserved.is_empty(), "{:?}", obs.warnings);
    assert_eq!(repos_observed(&obs), 12);
    let (exchanges, refused) = github.app_tokens();
    assert_eq!(exchanges, 1, "one token serves the whole sync");
    assert_eq!(refused, 0, "every API call carried the installation token");

    // A second run of the same collector keeps the token it has.
    collector.collect("acme", DAY).await.unwrap();
    assert_eq!(github.app_tokens(), (1, 0));
}

#[tokio::test]
async fn without_an_installation_id_the_organisations_installation_is_found() {
    let key = TestKey::generate();
    let github = github_with_app(&key, 3, AN_HOUR, Duration::ZERO).await;
    let dir = tempfile::tempdir().unwrap();
    let collector = GitHub::new(&app_config(&github.url, dir.path(), &key.private_pem, None)).unwrap();
    let obs = collector.collect("acme", DAY).await.unwrap();
    assert_eq!(repos_observed(&obs), 3);
    assert_eq!(github.app_tokens(), (1, 0));
}

#[tokio::test]
async fn a_token_that_expires_during_a_sync_is_renewed() {
    let key = TestKey::generate();
    let lifetime = Duration::from_millis(800);
    // ~30 requests a repository, 20 ms each, two repositories (eight
    // requests) at a time: at least 2.2 s, the life of nearly three tokens.
    let github = github_with_app(&key, 30, lifetime, Duration::from_millis(20)).await;
    let dir = tempfile::tempdir().unwrap();
    let mut config = app_config(&github.url, dir.path(), &key.private_pem, Some(INSTALLATION));
    config.http.concurrency = 2;
    let collector = GitHub::new(&config).unwrap();
    let started = Instant::now();
    let obs = collector.collect("acme", DAY).await.unwrap();
    let took = started.elapsed();
    assert!(took > lifetime * 2, "the sync must outlast two tokens for this test to mean anything: {took:?}");
    assert!(obs.complete && obs.unobserved.is_empty(), "{:?}", obs.warnings);
    assert_eq!(repos_observed(&obs), 30);
    let (exchanges, refused) = github.app_tokens();
    assert!(exchanges >= 3, "renewed before each token expired: {exchanges} tokens in {took:?}");
    assert!(
        exchanges <= 2 * (took.as_millis() / lifetime.as_millis()) as u64 + 2,
        "not renewed needlessly: {exchanges}"
    );
    assert_eq!(refused, 0, "no call went out with an expired token");
}

#[tokio::test]
async fn the_token_exchange_is_retried_like_every_call_and_its_token_is_what_api_calls_carry() {
    let key = TestKey::generate();
    let exchanges = AtomicUsize::new(0);
    let expires_at = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
    let server = ReplayServer::start(move |request: &Recorded| match request.path.as_str() {
        "/app/installations/7000001/access_tokens" if exchanges.fetch_add(1, Ordering::SeqCst) == 0 => {
            Reply::status(502, "Bad Gateway")
        }
        "/app/installations/7000001/access_tokens" => {
            Reply::json(format!(r#"{{"token":"ghs_replayed_token","expires_at":"{expires_at}"}}"#))
        }
        "/orgs/acme/repos" if request.header("authorization") == Some("Bearer ghs_replayed_token") => Reply::json("[]"),
        _ => Reply::status(401, r#"{"message":"Bad credentials"}"#),
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let config = app_config(&server.url, dir.path(), &key.private_pem, Some(INSTALLATION));
    let obs = GitHub::new(&config).unwrap().collect("acme", DAY).await.unwrap();
    assert!(obs.complete && obs.entities.is_empty());
    let requests = server.requests();
    let paths: Vec<&str> = requests.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(
        paths,
        ["/app/installations/7000001/access_tokens", "/app/installations/7000001/access_tokens", "/orgs/acme/repos"]
    );
    let app_token = requests[1].header("authorization").unwrap().strip_prefix("Bearer ").unwrap();
    assert_eq!(app_token.split('.').count(), 3, "a signed JSON web token");
}

#[tokio::test]
async fn a_key_the_app_does_not_have_fails_the_run_naming_the_app_and_the_key_file() {
    let (apps_key, other_key) = (TestKey::generate(), TestKey::generate());
    let github = github_with_app(&apps_key, 3, AN_HOUR, Duration::ZERO).await;
    let dir = tempfile::tempdir().unwrap();
    let config = app_config(&github.url, dir.path(), &other_key.private_pem, Some(INSTALLATION));
    let err = GitHub::new(&config).unwrap().collect("acme", DAY).await.unwrap_err().to_string();
    assert!(
        err.starts_with(&format!(
            "GitHub rejected the credentials (HTTP 401 on app/installations/{INSTALLATION}/access_tokens): check app_id = {APP_ID} and that app_key_file {} holds a current private key of that app",
            dir.path().join("app.pem").display()
        )),
        "{err}"
    );
    for secret in ["PRIVATE KEY", "eyJ", "ghs_"] {
        assert!(!err.contains(secret), "{secret} leaked: {err}");
    }
    assert_eq!(github.app_tokens(), (0, 0), "no token was issued, and no API call was tried");
}

#[tokio::test]
async fn an_installation_the_app_does_not_have_fails_the_run() {
    let key = TestKey::generate();
    let github = github_with_app(&key, 3, AN_HOUR, Duration::ZERO).await;
    let dir = tempfile::tempdir().unwrap();
    let config = app_config(&github.url, dir.path(), &key.private_pem, Some(999));
    let err = GitHub::new(&config).unwrap().collect("acme", DAY).await.unwrap_err();
    assert!(matches!(&err, collectors::CollectError::Http(e) if e.is_fatal()), "{err:?}");
    assert!(
        err.to_string().starts_with(&format!(
            "GitHub: GitHub App {APP_ID} has no installation 999 (HTTP 404 on app/installations/999/access_tokens): check installation_id"
        )),
        "{err}"
    );
}

#[tokio::test]
async fn an_organisation_the_app_is_not_installed_on_fails_its_run() {
    let key = TestKey::generate();
    let github = github_with_app(&key, 3, AN_HOUR, Duration::ZERO).await;
    let dir = tempfile::tempdir().unwrap();
    let mut config = app_config(&github.url, dir.path(), &key.private_pem, None);
    config.orgs = vec!["globex".into()];
    let err = GitHub::new(&config).unwrap().collect("globex", DAY).await.unwrap_err().to_string();
    assert!(
        err.starts_with(&format!(
            "GitHub: GitHub App {APP_ID} is not installed on the organisation globex (HTTP 404 on orgs/globex/installation)"
        )),
        "{err}"
    );
}

#[test]
fn a_key_file_that_is_not_a_github_app_key_is_a_config_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let rsa = openssl::rsa::Rsa::generate(2048).unwrap();
    let ec = openssl::ec::EcKey::generate(
        &openssl::ec::EcGroup::from_curve_name(openssl::nid::Nid::X9_62_PRIME256V1).unwrap(),
    )
    .unwrap();
    let encrypted = rsa.private_key_to_pem_passphrase(openssl::symm::Cipher::aes_128_cbc(), b"passphrase").unwrap();
    let cases = [
        (None, "(missing)"),
        (Some("this is not a key\n".to_string()), "is not a PEM private key"),
        (Some(String::from_utf8(rsa.public_key_to_pem().unwrap()).unwrap()), "is not a PEM private key"),
        (Some(String::from_utf8(ec.private_key_to_pem().unwrap()).unwrap()), "is not an RSA key"),
        (Some(String::from_utf8(encrypted).unwrap()), "is encrypted with a passphrase"),
    ];
    for (n, (content, problem)) in cases.into_iter().enumerate() {
        let mut config = app_config("http://127.0.0.1:9", dir.path(), "", Some(INSTALLATION));
        let key_file = dir.path().join(format!("key-{n}.pem"));
        if let Some(content) = &content {
            std::fs::write(&key_file, content).unwrap();
        }
        config.app_key_file = Some(key_file.clone());
        let err = GitHub::new(&config).err().expect("refused").to_string();
        let shown = key_file.display();
        let expected = match content {
            None => format!("collectors.github: app_key_file: cannot read {shown}: "),
            Some(_) => format!("collectors.github: app_key_file: {shown} {problem}"),
        };
        assert!(err.starts_with(&expected), "case {n}: {err}");
        for line in content.iter().flat_map(|c| c.lines()).filter(|l| !l.starts_with("-----") && l.len() > 8) {
            assert!(!err.contains(line), "case {n}: the key's content leaked: {err}");
        }
    }
}

#[test]
fn an_app_and_a_token_together_or_an_app_half_configured_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let key = TestKey::generate();
    let refusal = |config: &Config| GitHub::new(config).err().expect("refused").to_string();

    let mut both = app_config("http://127.0.0.1:9", dir.path(), &key.private_pem, None);
    both.token_env = Some("SPOT_GITHUB_TOKEN".into());
    assert_eq!(
        refusal(&both),
        "collectors.github: set either a token (token_env / token_file) or a GitHub App (app_id, app_key_file), not both"
    );

    let mut no_key = app_config("http://127.0.0.1:9", dir.path(), &key.private_pem, None);
    no_key.app_key_file = None;
    assert!(refusal(&no_key).starts_with("collectors.github: a GitHub App needs app_key_file"), "{}", refusal(&no_key));

    let mut no_id = app_config("http://127.0.0.1:9", dir.path(), &key.private_pem, Some(INSTALLATION));
    no_id.app_id = None;
    assert!(refusal(&no_id).starts_with("collectors.github: a GitHub App needs app_id"), "{}", refusal(&no_id));

    let mut two_orgs = app_config("http://127.0.0.1:9", dir.path(), &key.private_pem, Some(INSTALLATION));
    two_orgs.orgs.push("globex".into());
    assert!(
        refusal(&two_orgs).starts_with("collectors.github: installation_id names one organisation's installation"),
        "{}",
        refusal(&two_orgs)
    );
    two_orgs.installation_id = None;
    assert!(GitHub::new(&two_orgs).is_ok(), "each organisation's installation is found");
}
