//! Change intelligence in `spot bench store` (docs/changes.md): what
//! changed around a service over 24 hours and over 7 days (depth 2), and
//! the first page of a week's changes in words, grouped by service.

use std::cell::RefCell;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::store::time;
use crate::changes::{self, AroundQuery, Scope};
use crate::model::{Day, Direction};
use crate::store::Store;

use super::Percentiles;

/// The page size the explorer's changes page asks for.
const PAGE: usize = 100;

pub async fn changes(
    store: &dyn Store,
    (first, last): (Day, Day),
    samples: usize,
    record: &mut impl FnMut(&'static str, (Percentiles, f64)),
    progress: &mut impl FnMut(&str, u64, u64),
) -> anyhow::Result<()> {
    let services: Vec<String> =
        store.entities_of_kind("service", last).await?.into_iter().map(|s| s.entity.key).collect();
    anyhow::ensure!(!services.is_empty(), "the history has no service on {last}");
    let rng = RefCell::new(ChaCha8Rng::seed_from_u64(30));
    // A moment of a day late enough for a week's window before it.
    let moment = || {
        let mut rng = rng.borrow_mut();
        let day = Day(rng.random_range(first.plus(8).0.min(last.0)..=last.0));
        let service = services[rng.random_range(0..services.len())].clone();
        (service, day.start() + chrono::Duration::minutes(rng.random_range(0..24 * 60)))
    };
    for (name, hours, step) in [("changes_around_24h", 24, 0), ("changes_around_7d", 24 * 7, 1)] {
        progress(name, step, 3);
        let figures = time(samples, || {
            let (service, to) = moment();
            let query = AroundQuery {
                service,
                from: to - chrono::Duration::hours(hours),
                to,
                depth: 2,
                direction: Direction::Both,
                kinds: Vec::new(),
                fix_forward: crate::delivery::DeliveryConfig::default().fix_forward(),
            };
            async move { Ok(changes::around(store, &query).await?.events.len()) }
        })
        .await?;
        record(name, figures);
    }
    progress("changes_week_grouped_first_page", 2, 3);
    let figures = time((samples / 5).max(20), || {
        let to = moment().1;
        let to = Day::from_date(to.date_naive());
        async move {
            let outlined = changes::outline(store, to.minus(7), to, &Scope::default()).await?;
            let page = outlined.into_iter().take(PAGE).collect();
            Ok(changes::finish(store, page).await?.len())
        }
    })
    .await?;
    record("changes_week_grouped_first_page", figures);
    Ok(())
}
