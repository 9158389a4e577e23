//! Prints what SPoT reads from local clones at their last commit: one line
//! per `uses` relation (from, package, spec, resolved, scope, manifest),
//! warnings on stderr. The SPoT side of a fidelity check by hand:
//!
//! ```sh
//! cargo run -p collectors --example uses -- /path/to/clone [more clones of the same organisation]
//! ```

use std::path::Path;

use collectors::git::{GitRepo, OrgReplay};
use collectors::Day;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let repos: Vec<GitRepo> =
        std::env::args().skip(1).map(|p| GitRepo::open(Path::new(&p))).collect::<Result<_, _>>()?;
    // History folded into today: every repository as its last commit left
    // it; commits dated after tomorrow (ingest's default allowance) skipped.
    let mut replay = OrgReplay::new(repos, Some(Day::today()), None, Day::today().plus(1), 5 << 20)?;
    let Some(&day) = replay.days().last() else { return Ok(()) };
    let observation = replay.observe(day)?.observation;
    let text = |v: Option<&serde_json::Value>| v.and_then(|v| v.as_str()).unwrap_or("-").to_string();
    let mut lines: Vec<String> = observation
        .relations
        .iter()
        .filter(|r| r.kind == "uses")
        .map(|r| {
            let field = |name: &str| text(r.attrs.get(name));
            let (spec, resolved, scope, manifest) =
                (field("spec"), field("resolved"), field("scope"), field("manifest"));
            format!("{}\t{}\t{spec}\t{resolved}\t{scope}\t{manifest}", r.from, r.to)
        })
        .collect();
    lines.sort();
    for line in lines {
        println!("{line}");
    }
    for warning in &observation.warnings {
        eprintln!("warning: {warning}");
    }
    Ok(())
}
