//! One retry policy and one retry loop for everything in SPoT that tries
//! again: the HTTP layer the SaaS collectors share ([`crate::http`]), the
//! Kubernetes client, and the scheduler's failed runs.
//!
//! A caller writes one attempt as a closure that says how it ended
//! ([`Attempt`]: done, failed for good, or worth another try, possibly
//! after a wait the source asked for); [`run`] counts the attempts, waits
//! the policy's backoff (or the asked wait) through the caller's sleeper,
//! and asks the caller's `before_retry` hook before each wait, where the
//! caller logs and may decline (the scheduler does once a retry would fall
//! on the next day). What the source says (status codes, `Retry-After`)
//! stays with the caller: `crate::http` reads the HTTP side of it.
//!
//! Why not the `backon` crate: it is maintained (1.6, 2025) and small, and
//! its sleeper, `when` and `adjust` hooks could host the scheduler's fake
//! clock, its end-of-day rule and `Retry-After`. But it gives the attempt
//! neither its number nor whether another follows, which every error here
//! carries ("after 3 attempts", the `attempt` log field, a refused
//! `Retry-After` reported only when a retry would follow), so each caller
//! would thread a counter through shared cells; and neither of its backoffs
//! is ours (its jitter adds up to a whole step on top, in `f32` seconds,
//! where ours waits between half the step and the step). What would remain
//! of it is the loop below, behind more adapter code than the loop itself.

use std::future::Future;
use std::time::Duration;

use rand::Rng;

/// How many times to try again, and how long to wait before each retry.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Attempts after the first one.
    pub retries: u32,
    /// The wait before the first retry; it doubles for each further one.
    pub base: Duration,
    /// The longest wait between attempts (asked waits aside).
    pub max_backoff: Duration,
    /// A `Retry-After` longer than this fails the call instead of stalling
    /// the run (read by the HTTP callers, see `crate::http`).
    pub max_retry_after: Duration,
    /// Wait a random share of each step (between half of it and all of it)
    /// so that clients that failed together do not retry together; without
    /// jitter, each wait is exactly its step.
    pub jitter: bool,
}

impl RetryPolicy {
    /// `retries` retries, the first after `base`, each further one after
    /// twice the last wait, without jitter or cap: the scheduler's
    /// `retry_backoff_s`, as documented in `docs/operations.md`.
    pub fn doubling(retries: u32, base: Duration) -> RetryPolicy {
        RetryPolicy { retries, base, max_backoff: Duration::MAX, max_retry_after: Duration::ZERO, jitter: false }
    }

    /// The wait before attempt `attempt + 1` (attempt 0 is the first): the
    /// exponential step, capped, or with jitter half the step plus a random
    /// share of the other half.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let step = self.base.saturating_mul(1u32 << attempt.min(16)).min(self.max_backoff);
        if !self.jitter {
            return step;
        }
        let half = step / 2;
        half + half.mul_f64(rand::rng().random::<f64>())
    }
}

/// Which attempt is running, as [`run`] tells it to the attempt closure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Try {
    number: u32,
    last: bool,
}

impl Try {
    /// 0 for the first attempt: the `attempt` field of log lines.
    pub fn number(&self) -> u32 {
        self.number
    }

    /// The attempts made so far, this one included: what errors count.
    pub fn count(&self) -> u32 {
        self.number + 1
    }

    /// No retry follows this attempt, whatever it answers: a failure that
    /// would only matter before a wait (a refused `Retry-After`) does not.
    pub fn is_last(&self) -> bool {
        self.last
    }
}

/// How one attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt<T, E> {
    /// It succeeded: [`run`] returns `Ok`.
    Done(T),
    /// It failed in a way no retry would mend: [`run`] returns `Err`.
    Fail(E),
    /// Worth another try, after `wait` when the source asked for one (at
    /// least a millisecond), else after the policy's backoff. `last` is what
    /// [`run`] fails with when no retry follows (the retries are spent, or
    /// `before_retry` declined).
    Retry { wait: Option<Duration>, last: E },
}

/// The shortest asked wait: `Retry-After: 0` still yields to others.
const SHORTEST_ASKED_WAIT: Duration = Duration::from_millis(1);

/// Runs `attempt` until it is done or fails for good, retrying up to
/// `policy.retries` times. Before each retry, `before_retry` gets the
/// attempt that failed and the wait ahead; it logs, and returns `false` to
/// stop there (a deadline). `sleep` waits: `tokio::time::sleep`, or a
/// clock of the caller's own (the scheduler's, virtual in its tests).
pub async fn run<T, E, A, AF, S, SF>(
    policy: &RetryPolicy,
    mut attempt: A,
    mut before_retry: impl FnMut(Try, Duration) -> bool,
    sleep: S,
) -> Result<T, E>
where
    A: FnMut(Try) -> AF,
    AF: Future<Output = Attempt<T, E>>,
    S: Fn(Duration) -> SF,
    SF: Future<Output = ()>,
{
    let mut number = 0;
    loop {
        let this = Try { number, last: number >= policy.retries };
        let (asked, last) = match attempt(this).await {
            Attempt::Done(value) => return Ok(value),
            Attempt::Fail(error) => return Err(error),
            Attempt::Retry { wait, last } => (wait, last),
        };
        if this.last {
            return Err(last);
        }
        let wait = match asked {
            Some(asked) => asked.max(SHORTEST_ASKED_WAIT),
            None => policy.backoff(number),
        };
        if !before_retry(this, wait) {
            return Err(last);
        }
        sleep(wait).await;
        number += 1;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

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
    fn backoff_grows_and_stays_within_its_step() {
        let p = policy();
        for attempt in 0..8 {
            let step = Duration::from_millis(100 * (1 << attempt)).min(Duration::from_secs(1));
            let wait = p.backoff(attempt);
            assert!(wait >= step / 2 && wait <= step, "attempt {attempt}: {wait:?} outside {step:?}");
        }
    }

    #[test]
    fn without_jitter_the_wait_doubles_exactly() {
        let p = RetryPolicy::doubling(3, Duration::from_secs(300));
        let waits: Vec<u64> = (0..4).map(|a| p.backoff(a).as_secs()).collect();
        assert_eq!(waits, [300, 600, 1200, 2400]);
        assert_eq!(p.backoff(40), Duration::from_secs(300 << 16), "the exponent stops growing");
    }

    /// Runs `outcomes` in turn through [`run`]; returns its answer, the
    /// attempts it saw and the waits it slept.
    async fn replay(
        policy: &RetryPolicy,
        outcomes: Vec<Attempt<&'static str, String>>,
        mut allow: impl FnMut(Try, Duration) -> bool,
    ) -> (Result<&'static str, String>, Vec<Try>, Vec<Duration>) {
        let outcomes = Mutex::new(outcomes.into_iter());
        let (tries, slept) = (Mutex::new(Vec::new()), Mutex::new(Vec::new()));
        let answer = run(
            policy,
            |attempt| {
                tries.lock().unwrap().push(attempt);
                let next = outcomes.lock().unwrap().next().expect("an outcome per attempt");
                async move { next }
            },
            &mut allow,
            |wait| {
                slept.lock().unwrap().push(wait);
                async {}
            },
        )
        .await;
        (answer, tries.into_inner().unwrap(), slept.into_inner().unwrap())
    }

    fn retry(last: &str) -> Attempt<&'static str, String> {
        Attempt::Retry { wait: None, last: last.into() }
    }

    #[tokio::test]
    async fn retries_until_done_waiting_the_backoff_or_the_asked_wait() {
        let p = RetryPolicy::doubling(3, Duration::from_secs(10));
        let outcomes = vec![
            retry("first"),
            Attempt::Retry { wait: Some(Duration::from_secs(7)), last: "second".into() },
            Attempt::Retry { wait: Some(Duration::ZERO), last: "third".into() },
            Attempt::Done("ok"),
        ];
        let (answer, tries, slept) = replay(&p, outcomes, |_, _| true).await;
        assert_eq!(answer, Ok("ok"));
        assert_eq!(
            tries.iter().map(|t| (t.number(), t.count(), t.is_last())).collect::<Vec<_>>(),
            [(0, 1, false), (1, 2, false), (2, 3, false), (3, 4, true)]
        );
        assert_eq!(slept, [Duration::from_secs(10), Duration::from_secs(7), Duration::from_millis(1)]);
    }

    #[tokio::test]
    async fn spent_retries_end_with_the_last_failure() {
        let p = RetryPolicy::doubling(2, Duration::from_secs(1));
        let (answer, tries, slept) = replay(&p, vec![retry("a"), retry("b"), retry("c")], |_, _| true).await;
        assert_eq!(answer, Err("c".to_string()));
        assert_eq!(tries.len(), 3);
        assert_eq!(slept, [Duration::from_secs(1), Duration::from_secs(2)]);

        let none = RetryPolicy::doubling(0, Duration::from_secs(1));
        let (answer, tries, slept) = replay(&none, vec![retry("only")], |_, _| true).await;
        assert_eq!((answer, tries.len(), slept.len()), (Err("only".to_string()), 1, 0));
    }

    #[tokio::test]
    async fn a_failure_for_good_is_not_retried() {
        let p = RetryPolicy::doubling(5, Duration::from_secs(1));
        let (answer, tries, _) = replay(&p, vec![retry("a"), Attempt::Fail("denied".into())], |_, _| true).await;
        assert_eq!((answer, tries.len()), (Err("denied".to_string()), 2));
    }

    #[tokio::test]
    async fn before_retry_sees_each_wait_and_may_stop() {
        let p = RetryPolicy::doubling(5, Duration::from_secs(60));
        let mut seen = Vec::new();
        let deadline = |attempt: Try, wait: Duration| {
            seen.push((attempt.number(), wait.as_secs()));
            wait < Duration::from_secs(200)
        };
        let (answer, tries, slept) = replay(&p, vec![retry("a"), retry("b"), retry("c")], deadline).await;
        assert_eq!(answer, Err("c".to_string()), "the attempt whose retry was declined");
        assert_eq!(tries.len(), 3);
        assert_eq!(slept, [Duration::from_secs(60), Duration::from_secs(120)]);
        assert_eq!(seen, [(0, 60), (1, 120), (2, 240)]);
    }
}
