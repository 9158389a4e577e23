//! URLs shown with their secrets hidden. A URL in a config may carry a
//! password (`https://user:password@host`) or a token in its query
//! (`?access_token=…`); wherever SPoT prints one (the resolved config, an
//! error naming it), these parts print as `***`. Parsing is the `url`
//! crate's: what it does not read as a URL is left as it is.

use std::borrow::Cow;

use url::Url;

/// What a hidden part is replaced with.
pub const HIDDEN: &str = "***";

/// `text` with the password of its userinfo (or, without a password, the
/// user name, which is then often a token itself), and the values of
/// query or fragment parameters whose names say they are secret, replaced
/// by `***`. Text that is not a URL, or a URL with nothing secret, is
/// returned unchanged.
pub fn url(text: &str) -> Cow<'_, str> {
    let Ok(mut parsed) = Url::parse(text) else {
        return Cow::Borrowed(text);
    };
    let hid_userinfo = hide_userinfo(&mut parsed);
    let hid_query = hide_query(&mut parsed);
    let hid_fragment = hide_fragment(&mut parsed);
    if hid_userinfo || hid_query || hid_fragment {
        Cow::Owned(parsed.to_string())
    } else {
        Cow::Borrowed(text)
    }
}

/// `text` with every URL in it (`scheme://…`, up to the next space or
/// quote) passed through [`url`]: for messages that quote a value.
pub fn urls_in(text: &str) -> Cow<'_, str> {
    if !text.contains("://") {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(found) = rest.find("://") {
        let start = rest[..found]
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
            .map_or(0, |i| i + 1);
        let end =
            rest[found..].find(|c: char| c.is_whitespace() || "\"'`<>\\".contains(c)).map_or(rest.len(), |i| found + i);
        out.push_str(&rest[..start]);
        out.push_str(&url(&rest[start..end]));
        rest = &rest[end..];
    }
    out.push_str(rest);
    if out == text {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(out)
    }
}

fn hide_userinfo(url: &mut Url) -> bool {
    if url.password().is_some() {
        return url.set_password(Some(HIDDEN)).is_ok();
    }
    if !url.username().is_empty() {
        return url.set_username(HIDDEN).is_ok();
    }
    false
}

fn hide_query(url: &mut Url) -> bool {
    if !url.query_pairs().any(|(name, _)| is_secret_name(&name)) {
        return false;
    }
    let pairs: Vec<(String, String)> = url.query_pairs().map(|(name, value)| hidden_pair(&name, &value)).collect();
    url.query_pairs_mut().clear().extend_pairs(pairs);
    true
}

/// OAuth's implicit flow puts tokens in the fragment (`#access_token=…`).
fn hide_fragment(url: &mut Url) -> bool {
    let Some(fragment) = url.fragment() else {
        return false;
    };
    let pairs: Vec<(String, String)> =
        url::form_urlencoded::parse(fragment.as_bytes()).map(|(name, value)| hidden_pair(&name, &value)).collect();
    if !pairs.iter().any(|(name, _)| is_secret_name(name)) {
        return false;
    }
    let hidden = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish();
    url.set_fragment(Some(&hidden));
    true
}

fn hidden_pair(name: &str, value: &str) -> (String, String) {
    let value = if is_secret_name(name) { HIDDEN } else { value };
    (name.to_string(), value.to_string())
}

/// Parameter names that carry credentials: `token`, `access_token`,
/// `api_key`, `apiKey`, `password`, `client_secret`, `X-Amz-Signature`,
/// `key`, `sig`, …
fn is_secret_name(name: &str) -> bool {
    const WHOLE: &[&str] = &["key", "sig", "pwd", "pass", "auth", "code", "session", "sessionid", "jwt", "ticket"];
    const PARTS: &[&str] =
        &["token", "password", "passwd", "secret", "apikey", "api_key", "signature", "credential", "private_key"];
    let name = name.to_ascii_lowercase().replace('-', "_");
    WHOLE.contains(&name.as_str()) || PARTS.iter().any(|part| name.contains(part))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_in_a_url_is_hidden() {
        assert_eq!(
            url("https://spot:hunter2@arango.acme.internal:8529"),
            "https://spot:***@arango.acme.internal:8529/"
        );
        assert_eq!(url("https://ghp_token123@github.com/acme/x.git"), "https://***@github.com/acme/x.git");
    }

    #[test]
    fn secret_query_and_fragment_values_are_hidden_and_the_rest_kept() {
        assert_eq!(
            url("https://sonar.acme.internal/api?token=abc&project=billing&access_token=def"),
            "https://sonar.acme.internal/api?token=***&project=billing&access_token=***"
        );
        assert_eq!(
            url("http://h/?apiKey=a&X-Amz-Signature=b&key=c&page=2"),
            "http://h/?apiKey=***&X-Amz-Signature=***&key=***&page=2"
        );
        assert_eq!(url("http://h/?client_secret=s&password=p"), "http://h/?client_secret=***&password=***");
        assert_eq!(url("https://h/cb#access_token=t&state=x"), "https://h/cb#access_token=***&state=x");
    }

    #[test]
    fn a_url_without_secrets_and_text_that_is_no_url_are_unchanged() {
        for text in ["https://sonar.acme.internal", "http://h/?page=2&q=a+b", "consul:8500", "not a url", ""] {
            assert!(matches!(url(text), Cow::Borrowed(_)), "{text}");
        }
    }

    #[test]
    fn urls_inside_a_message_are_hidden() {
        assert_eq!(
            urls_in("base_url 'https://u:p@host/x?token=t' is not usable; also \"http://a:b@c\"."),
            "base_url 'https://u:***@host/x?token=***' is not usable; also \"http://a:***@c/\"."
        );
        assert_eq!(urls_in("no url here"), "no url here");
        assert_eq!(urls_in("only://"), "only://");
    }
}
