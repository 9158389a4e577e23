//! The embedded SQLite store against the conformance suite.

mod conformance;

use conformance::{Fixture, Harness};
use spot::store::sqlite::{SqliteOptions, SqliteStore};

struct Sqlite;

impl Harness for Sqlite {
    fn fresh(&self) -> Fixture {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let path = dir.path().join("spot.db");
        let store = SqliteStore::open(&path).expect("a new store");
        let faulty_path = path.clone();
        Fixture {
            store: Box::new(store),
            faulty: Box::new(move |writes| {
                let options = SqliteOptions { fail_after_writes: Some(writes) };
                Box::new(SqliteStore::open_with(&faulty_path, options).expect("a second handle"))
            }),
            _keep: Box::new(dir),
        }
    }
}

conformance_suite!(Sqlite);
