//! The scheduler's sense of time. `System` is the wall clock; `Virtual`
//! runs on tokio's clock from a chosen start, so tests with paused time
//! can pass days in milliseconds and still see exact instants.

use std::time::Duration;

use chrono::{DateTime, Utc};

#[derive(Debug, Clone, Copy)]
pub enum Clock {
    System,
    Virtual { start: DateTime<Utc>, origin: tokio::time::Instant },
}

impl Clock {
    /// A clock that reads `start` now and advances with tokio's time.
    pub fn starting_at(start: DateTime<Utc>) -> Clock {
        Clock::Virtual { start, origin: tokio::time::Instant::now() }
    }

    pub fn now(&self) -> DateTime<Utc> {
        match self {
            Clock::System => Utc::now(),
            Clock::Virtual { start, origin } => {
                *start + chrono::Duration::from_std(origin.elapsed()).unwrap_or(chrono::Duration::zero())
            }
        }
    }

    pub fn now_ms(&self) -> i64 {
        self.now().timestamp_millis()
    }

    /// Waits until `when`. The system clock is re-read at least every
    /// minute, so a machine that slept or a clock that was set still fires
    /// on time.
    pub async fn sleep_until(&self, when: DateTime<Utc>) {
        loop {
            let left = (when - self.now()).to_std().unwrap_or(Duration::ZERO);
            if left.is_zero() {
                return;
            }
            let step = match self {
                Clock::System => left.min(Duration::from_secs(60)),
                Clock::Virtual { .. } => left,
            };
            tokio::time::sleep(step).await;
        }
    }
}
