//! What a link may point to: an absolute http(s) URL with a host and no
//! credentials. Links end up as `href`s in browsers, so anything else
//! (`javascript:`, a relative path, a password) is never handed out.

/// The longest link kept; longer ones are not links a person clicks.
pub const MAX_URL_BYTES: usize = 8192;

/// `text` as a URL, normalised by the `url` crate (WHATWG rules), or what
/// is wrong with it.
pub fn checked(text: &str) -> Result<String, String> {
    if text.len() > MAX_URL_BYTES {
        return Err(format!("longer than {MAX_URL_BYTES} bytes"));
    }
    let url = ::url::Url::parse(text.trim()).map_err(|e| format!("not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("not an http(s) URL: its scheme is {}", url.scheme()));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err("not an http(s) URL: it has no host".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not hold credentials (a user or password before the host)".into());
    }
    Ok(url.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_absolute_http_urls_without_credentials_are_links() {
        assert_eq!(checked("https://Grafana.example").as_deref(), Ok("https://grafana.example/"));
        assert_eq!(checked("http://x.example/a b").as_deref(), Ok("http://x.example/a%20b"));
        assert!(checked("javascript:alert(1)").unwrap_err().starts_with("not an http(s) URL"));
        assert!(checked("/d/abc").unwrap_err().starts_with("not a URL"));
        assert!(checked("https://admin:secret@x.example/").unwrap_err().starts_with("must not hold credentials"));
        assert!(checked("#payments").is_err());
    }
}
