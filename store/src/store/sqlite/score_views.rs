//! Kept scores (schema 012, docs/scorecards.md "Kept scores"): each
//! service's score by a card as interval versions, exact for the days in
//! `[cover_from, good_before)` less those a write marked stale since.
//!
//! The store does not score: it cannot read the card's configuration. A
//! deriver (src/scorecards/kept.rs) scores days from `good_before` on and
//! appends them here; triggers mark the earliest day each write can move
//! (`stale_from`), and the next `prepare` cuts the rows back to it. An
//! append is taken only when no write since its `prepare` touched its
//! days, so scores read before a concurrent write are never kept.

use std::collections::BTreeMap;

use rusqlite::{params, Connection, OptionalExtension};

use super::backend;
use crate::model::Day;
use crate::store::StoreResult;

/// Longest a row runs: a day's rows are then found among the rows that
/// start in the [`MAX_SPAN`] days up to it, not among all that end after
/// it. A longer unchanged score is several rows with equal content.
pub const MAX_SPAN: i32 = 32;

/// One service's score over `[from, to)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptRow {
    pub service: String,
    pub from: Day,
    pub to: Day,
    /// The rank of the level reached; `None` below the lowest.
    pub level: Option<u32>,
    /// `'1'` or `'0'` for each rule, in the card's order.
    pub passed: String,
    pub team: Option<String>,
    /// Every key `owns` reaches against the relation, sorted.
    pub owners: Vec<String>,
    /// Each rule's outcome as JSON; empty when read brief.
    pub outcomes: String,
}

impl KeptRow {
    /// Same score, whatever its days.
    fn same(&self, other: &KeptRow) -> bool {
        (self.level, &self.passed, &self.team, &self.owners, &self.outcomes)
            == (other.level, &other.passed, &other.team, &other.owners, &other.outcomes)
    }
}

/// What to read of a card's kept scores.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeptQuery {
    /// The rows holding on any of `days`; only services `team` owns when
    /// given; `brief`: without the outcomes.
    Days { fingerprint: String, days: Vec<Day>, team: Option<String>, brief: bool },
    /// One service's rows that hold on some day of `[from, to]`.
    Service { fingerprint: String, service: String, from: Day, to: Day },
}

/// A card's kept rows, and the days they are exact for:
/// `[cover_from, good_before)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kept {
    pub cover_from: Day,
    pub good_before: Day,
    pub rows: Vec<KeptRow>,
}

impl Kept {
    pub fn covers(&self, day: Day) -> bool {
        self.cover_from <= day && day < self.good_before
    }
}

/// A write to the kept scores.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeepScores {
    /// Registers the card when new, takes in what writes marked stale
    /// (rows cut back to it) and answers from which day to derive.
    Prepare { fingerprint: String, name: String },
    /// The scores of consecutive days from `first` (each day's rows, the
    /// days of each row ignored); taken when `first` is where the card's
    /// derivation stands and no write touched these days since.
    Append { fingerprint: String, first: Day, days: Vec<Vec<KeptRow>> },
    /// Forgets every card but these (the cards a server scores by).
    Retain { fingerprints: Vec<String> },
}

/// Where a card's derivation stands after a write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeptState {
    /// The next day to derive; `None`: the store has no history yet.
    pub next: Option<Day>,
    /// Whether an append was taken (always true for the other writes).
    pub taken: bool,
}

const ROW_COLUMNS: &str = "service, valid_from, valid_to, level, passed, team, owners";

fn row_of(r: &rusqlite::Row, with_outcomes: bool) -> rusqlite::Result<KeptRow> {
    let owners: String = r.get(6)?;
    Ok(KeptRow {
        service: r.get(0)?,
        from: Day(r.get(1)?),
        to: Day(r.get(2)?),
        level: r.get(3)?,
        passed: r.get(4)?,
        team: r.get(5)?,
        owners: owners.lines().map(str::to_string).filter(|o| !o.is_empty()).collect(),
        outcomes: if with_outcomes { r.get(7)? } else { String::new() },
    })
}

/// The card's bounds: (cover_from, good_before less what is stale).
fn bounds(conn: &Connection, fingerprint: &str) -> StoreResult<Option<(Day, Day)>> {
    conn.query_row(
        "SELECT cover_from, MIN(good_before, COALESCE(stale_from, good_before)) FROM score_cards \
         WHERE fingerprint = ?1",
        [fingerprint],
        |r| Ok((Day(r.get(0)?), Day(r.get(1)?))),
    )
    .optional()
    .map_err(backend("reading how far scores are kept"))
}

/// The rows `query` asks for; `None` when the card is not kept.
pub fn read(conn: &Connection, query: &KeptQuery) -> StoreResult<Option<Kept>> {
    let doing = "reading kept scores";
    let fingerprint = match query {
        KeptQuery::Days { fingerprint, .. } | KeptQuery::Service { fingerprint, .. } => fingerprint,
    };
    let Some((cover_from, good_before)) = bounds(conn, fingerprint)? else { return Ok(None) };
    let mut found: BTreeMap<(String, Day), KeptRow> = BTreeMap::new();
    match query {
        KeptQuery::Days { days, team, brief, .. } => {
            let outcomes = if *brief { "" } else { ", outcomes" };
            let mut stmt = conn
                .prepare_cached(&format!(
                    "SELECT {ROW_COLUMNS}{outcomes} FROM score_rows WHERE fingerprint = ?1 \
                     AND valid_from > ?2 - {MAX_SPAN} AND valid_from <= ?2 AND valid_to > ?2 \
                     AND (?3 IS NULL OR (char(10) || owners || char(10)) LIKE ('%' || char(10) || ?3 || char(10) || '%'))"
                ))
                .map_err(backend(doing))?;
            for day in days {
                let rows = stmt
                    .query_map(params![fingerprint, day.0, team], |r| row_of(r, !*brief))
                    .map_err(backend(doing))?;
                for row in rows {
                    let row = row.map_err(backend(doing))?;
                    // LIKE's `_` and `%` in a key match more: check exactly.
                    if team.as_ref().is_none_or(|t| row.owners.contains(t)) {
                        found.insert((row.service.clone(), row.from), row);
                    }
                }
            }
        }
        KeptQuery::Service { service, from, to, .. } => {
            let mut stmt = conn
                .prepare_cached(&format!(
                    "SELECT {ROW_COLUMNS}, outcomes FROM score_rows WHERE fingerprint = ?1 AND service = ?2 \
                     AND valid_from <= ?4 AND valid_to > ?3"
                ))
                .map_err(backend(doing))?;
            let rows = stmt.query_map(params![fingerprint, service, from.0, to.0], |r| row_of(r, true));
            for row in rows.map_err(backend(doing))? {
                let row = row.map_err(backend(doing))?;
                found.insert((row.service.clone(), row.from), row);
            }
        }
    }
    Ok(Some(Kept { cover_from, good_before, rows: found.into_values().collect() }))
}

/// Applies `write` in one transaction.
pub fn write(conn: &Connection, write: &KeepScores) -> StoreResult<KeptState> {
    let tx = conn.unchecked_transaction().map_err(backend("starting to keep scores"))?;
    let state = match write {
        KeepScores::Prepare { fingerprint, name } => prepare(&tx, fingerprint, name)?,
        KeepScores::Append { fingerprint, first, days } => append(&tx, fingerprint, *first, days)?,
        KeepScores::Retain { fingerprints } => retain(&tx, fingerprints)?,
    };
    tx.commit().map_err(backend("committing kept scores"))?;
    Ok(state)
}

fn prepare(conn: &Connection, fingerprint: &str, name: &str) -> StoreResult<KeptState> {
    let doing = "preparing to keep scores";
    let first: Option<i32> = conn.query_row("SELECT MIN(day) FROM runs", [], |r| r.get(0)).map_err(backend(doing))?;
    let Some(first) = first else { return Ok(KeptState { next: None, taken: true }) };
    let card: Option<(i32, i32, Option<i32>)> = conn
        .query_row(
            "SELECT cover_from, good_before, stale_from FROM score_cards WHERE fingerprint = ?1",
            [fingerprint],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()
        .map_err(backend(doing))?;
    let Some((cover_from, good_before, stale_from)) = card else {
        conn.execute(
            "INSERT INTO score_cards (fingerprint, name, cover_from, good_before) VALUES (?1, ?2, ?3, ?3)",
            params![fingerprint, name, first],
        )
        .map_err(backend(doing))?;
        return Ok(KeptState { next: Some(Day(first)), taken: true });
    };
    // History before the covered days (a late first write): derive all again.
    let (cover_from, good_before) = match first < cover_from {
        true => (first, first),
        false => (cover_from, good_before.min(stale_from.unwrap_or(good_before)).max(cover_from)),
    };
    conn.execute(
        "DELETE FROM score_rows WHERE fingerprint = ?1 AND valid_from >= ?2",
        params![fingerprint, good_before],
    )
    .map_err(backend(doing))?;
    conn.execute(
        "UPDATE score_rows SET valid_to = ?2 WHERE fingerprint = ?1 AND valid_to > ?2",
        params![fingerprint, good_before],
    )
    .map_err(backend(doing))?;
    conn.execute(
        "UPDATE score_cards SET cover_from = ?2, good_before = ?3, stale_from = NULL WHERE fingerprint = ?1",
        params![fingerprint, cover_from, good_before],
    )
    .map_err(backend(doing))?;
    Ok(KeptState { next: Some(Day(good_before)), taken: true })
}

fn append(conn: &Connection, fingerprint: &str, first: Day, days: &[Vec<KeptRow>]) -> StoreResult<KeptState> {
    let doing = "keeping a day's scores";
    let card: Option<(i32, Option<i32>)> = conn
        .query_row("SELECT good_before, stale_from FROM score_cards WHERE fingerprint = ?1", [fingerprint], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()
        .map_err(backend(doing))?;
    let Some((good_before, stale_from)) = card else { return Ok(KeptState { next: None, taken: false }) };
    let last = first.0 + days.len() as i32 - 1;
    // Scored before a write that can move these days: not kept.
    if good_before != first.0 || stale_from.is_some_and(|stale| stale <= last) {
        return Ok(KeptState { next: Some(Day(good_before)), taken: false });
    }
    for (offset, rows) in days.iter().enumerate() {
        append_day(conn, fingerprint, Day(first.0 + offset as i32), rows)?;
    }
    conn.execute("UPDATE score_cards SET good_before = ?2 WHERE fingerprint = ?1", params![fingerprint, last + 1])
        .map_err(backend(doing))?;
    Ok(KeptState { next: Some(Day(last + 1)), taken: true })
}

/// Extends each service's row ending on `day` when its score is the same
/// (and the row is shorter than [`MAX_SPAN`]), else starts a row.
fn append_day(conn: &Connection, fingerprint: &str, day: Day, rows: &[KeptRow]) -> StoreResult<()> {
    let doing = "keeping a day's scores";
    let mut open = conn
        .prepare_cached(&format!(
            "SELECT {ROW_COLUMNS}, outcomes FROM score_rows WHERE fingerprint = ?1 AND valid_to = ?2"
        ))
        .map_err(backend(doing))?;
    let ending: BTreeMap<String, KeptRow> = open
        .query_map(params![fingerprint, day.0], |r| row_of(r, true))
        .map_err(backend(doing))?
        .map(|row| row.map(|row| (row.service.clone(), row)))
        .collect::<Result<_, _>>()
        .map_err(backend(doing))?;
    let mut extend = conn
        .prepare_cached(
            "UPDATE score_rows SET valid_to = ?4 WHERE fingerprint = ?1 AND service = ?2 AND valid_from = ?3",
        )
        .map_err(backend(doing))?;
    let mut insert = conn
        .prepare_cached(
            "INSERT INTO score_rows (fingerprint, service, valid_from, valid_to, level, passed, team, owners, outcomes) \
             VALUES (?1, ?2, ?3, ?3 + 1, ?4, ?5, ?6, ?7, ?8)",
        )
        .map_err(backend(doing))?;
    for row in rows {
        match ending.get(&row.service) {
            Some(before) if before.same(row) && day.0 - before.from.0 < MAX_SPAN => {
                extend.execute(params![fingerprint, row.service, before.from.0, day.0 + 1]).map_err(backend(doing))?;
            }
            _ => {
                let owners = row.owners.join("\n");
                insert
                    .execute(params![
                        fingerprint,
                        row.service,
                        day.0,
                        row.level,
                        row.passed,
                        row.team,
                        owners,
                        row.outcomes
                    ])
                    .map_err(backend(doing))?;
            }
        }
    }
    Ok(())
}

fn retain(conn: &Connection, fingerprints: &[String]) -> StoreResult<KeptState> {
    let doing = "forgetting the scores of cards no longer scored by";
    let kept: Vec<String> = conn
        .prepare("SELECT fingerprint FROM score_cards")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .map_err(backend(doing))?;
    for gone in kept.iter().filter(|f| !fingerprints.contains(f)) {
        conn.execute("DELETE FROM score_rows WHERE fingerprint = ?1", [gone]).map_err(backend(doing))?;
        conn.execute("DELETE FROM score_cards WHERE fingerprint = ?1", [gone]).map_err(backend(doing))?;
    }
    Ok(KeptState { next: None, taken: true })
}
