//! How a test waits: on a condition, polled until a deadline, failing with
//! what it waited for (docs/architecture.md, "How tests wait"). Never a
//! fixed sleep that hopes something has happened by then.
#![allow(dead_code)] // each test file uses some of these

use std::future::Future;
use std::time::{Duration, Instant};

/// How often a condition is polled.
const POLL: Duration = Duration::from_millis(20);

/// Polls `ready` (on this thread) until it answers `Some`, and returns
/// that; panics after `deadline` naming `what` was awaited.
pub fn wait_for<T>(what: &str, deadline: Duration, mut ready: impl FnMut() -> Option<T>) -> T {
    let started = Instant::now();
    loop {
        if let Some(value) = ready() {
            return value;
        }
        assert!(started.elapsed() < deadline, "waited {deadline:?} for {what}, in vain");
        std::thread::sleep(POLL);
    }
}

/// [`wait_for`] for async conditions. Under `tokio::time::pause()` the
/// deadline is virtual time, as the polls' sleeps are.
pub async fn wait_for_async<T, F: Future<Output = Option<T>>>(
    what: &str,
    deadline: Duration,
    mut ready: impl FnMut() -> F,
) -> T {
    let started = tokio::time::Instant::now();
    loop {
        if let Some(value) = ready().await {
            return value;
        }
        assert!(started.elapsed() < deadline, "waited {deadline:?} for {what}, in vain");
        tokio::time::sleep(POLL).await;
    }
}
