//! When an HTTP answer is worth another try, and how long it asks to wait.
//! The policy and the loop themselves are [`crate::retry`]'s, shared with
//! the Kubernetes client and the scheduler.

use std::time::Duration;

use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::StatusCode;

use crate::retry::RetryPolicy;

/// Statuses worth another try: rate limits and a server's bad moments.
pub fn is_retryable(status: StatusCode) -> bool {
    status == StatusCode::TOO_MANY_REQUESTS || matches!(status.as_u16(), 500 | 502 | 503 | 504)
}

/// What an HTTP answer asks of a [`RetryPolicy`].
impl RetryPolicy {
    /// Why a wait a response asked for was refused.
    pub fn refusal(&self, asked: Duration) -> String {
        format!(
            "asked to retry after {} s, longer than max_retry_after_s ({} s)",
            asked.as_secs(),
            self.max_retry_after.as_secs()
        )
    }

    /// The wait a response asks for, when it asks for one we accept;
    /// `Err` carries the requested wait when it is over the cap.
    pub fn retry_after(&self, headers: &HeaderMap) -> Result<Option<Duration>, Duration> {
        let Some(wait) = headers.get(RETRY_AFTER).and_then(|v| v.to_str().ok()).and_then(parse_retry_after) else {
            return Ok(None);
        };
        if wait > self.max_retry_after {
            Err(wait)
        } else {
            Ok(Some(wait))
        }
    }
}

/// A rate limit that says when it resets: GitHub answers 403 or 429 with
/// `x-ratelimit-remaining: 0` and the reset time in epoch seconds (its
/// secondary limits send `Retry-After`, read by [`RetryPolicy::retry_after`]).
/// The wait until the reset, plus a second for clock skew.
pub fn rate_limit_reset(status: StatusCode, headers: &HeaderMap) -> Option<Duration> {
    if status != StatusCode::FORBIDDEN && status != StatusCode::TOO_MANY_REQUESTS {
        return None;
    }
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    if header("x-ratelimit-remaining") != Some("0") {
        return (status == StatusCode::FORBIDDEN && headers.contains_key(RETRY_AFTER))
            .then(|| header("retry-after").and_then(parse_retry_after))
            .flatten();
    }
    let reset: i64 = header("x-ratelimit-reset")?.parse().ok()?;
    let wait = reset - chrono::Utc::now().timestamp();
    Some(Duration::from_secs(wait.max(0) as u64 + 1))
}

/// `Retry-After` is either delta-seconds or an HTTP date (RFC 9110 §10.2.3).
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let wait = when.signed_duration_since(chrono::Utc::now()).to_std().unwrap_or(Duration::ZERO);
    Some(wait)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            retries: 3,
            base: Duration::from_millis(100),
            max_backoff: Duration::from_secs(1),
            max_retry_after: Duration::from_secs(60),
            jitter: true,
        }
    }

    #[test]
    fn retry_after_takes_seconds_and_dates() {
        assert_eq!(parse_retry_after("7"), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), Some(Duration::ZERO));
        let soon = (chrono::Utc::now() + chrono::Duration::seconds(30)).to_rfc2822();
        let wait = parse_retry_after(&soon).unwrap();
        assert!(wait > Duration::from_secs(25) && wait <= Duration::from_secs(30), "{wait:?}");
        assert_eq!(parse_retry_after("soon"), None);
    }

    #[test]
    fn a_retry_after_over_the_cap_is_refused() {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, "3600".parse().unwrap());
        assert_eq!(policy().retry_after(&headers), Err(Duration::from_secs(3600)));
        headers.insert(RETRY_AFTER, "2".parse().unwrap());
        assert_eq!(policy().retry_after(&headers), Ok(Some(Duration::from_secs(2))));
    }

    #[test]
    fn an_exhausted_rate_limit_waits_for_its_reset() {
        let mut headers = HeaderMap::new();
        headers.insert("x-ratelimit-remaining", "0".parse().unwrap());
        let reset = chrono::Utc::now().timestamp() + 30;
        headers.insert("x-ratelimit-reset", reset.to_string().parse().unwrap());
        let wait = rate_limit_reset(StatusCode::FORBIDDEN, &headers).unwrap();
        assert!(wait >= Duration::from_secs(29) && wait <= Duration::from_secs(31), "{wait:?}");
        headers.insert("x-ratelimit-remaining", "12".parse().unwrap());
        assert_eq!(rate_limit_reset(StatusCode::FORBIDDEN, &headers), None, "a plain 403 is a permission problem");
        headers.insert(RETRY_AFTER, "5".parse().unwrap());
        assert_eq!(
            rate_limit_reset(StatusCode::FORBIDDEN, &headers),
            Some(Duration::from_secs(5)),
            "a secondary limit"
        );
        assert_eq!(rate_limit_reset(StatusCode::OK, &headers), None);
    }

    #[test]
    fn only_rate_limits_and_server_trouble_are_retried() {
        for code in [429, 500, 502, 503, 504] {
            assert!(is_retryable(StatusCode::from_u16(code).unwrap()), "{code}");
        }
        for code in [400, 401, 403, 404, 501] {
            assert!(!is_retryable(StatusCode::from_u16(code).unwrap()), "{code}");
        }
    }
}
