//! The day rollups of one lane (a service in a cluster) packed per span of
//! [`SPAN_DAYS`] days: what a store keeps so that a read over a long window
//! adds a few thousand packed rows instead of a row per service, cluster
//! and day (docs/dora.md, "How the figures are kept"). The packing loses
//! nothing: every day's counts and every sample stay, so the figures of
//! any window, bucket and set of services stay exact.

use super::rollup::DayRollup;
use crate::model::Day;

/// Days of one span. Spans start on multiples of it (days since the
/// epoch), so a day's span is known without a lookup. 256 days: a two-year
/// organisation read is ~3 spans per lane, and a deploy rewrites one
/// span's blob of at most 256 days.
pub const SPAN_DAYS: i32 = 256;

/// The span holding `day`.
pub fn span_of(day: Day) -> i32 {
    day.0.div_euclid(SPAN_DAYS)
}

/// The first and last day of `span`.
pub fn span_days(span: i32) -> (Day, Day) {
    let first = span.saturating_mul(SPAN_DAYS);
    (Day(first), Day(first.saturating_add(SPAN_DAYS - 1)))
}

/// One day of a [`LaneDays`]: its counts, and how many of the lane's
/// samples are its own (they follow the previous days' in the lists).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayCounts {
    pub day: Day,
    pub deploys: u64,
    pub changes: u64,
    pub failed_changes: u64,
    pub rollbacks: u64,
    pub unrestored: u64,
    pub lead_times: usize,
    pub restores: usize,
}

/// Some days of one lane, oldest first, as [`DayRollup`]s hold them but
/// packed: the counts of each day, and every sample in one list per kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaneDays {
    pub service: String,
    pub cluster: String,
    pub days: Vec<DayCounts>,
    /// Lead times, seconds: the first day's, then the next day's, ...
    pub lead_times: Vec<i64>,
    /// Times to restore, seconds, in the same order.
    pub restores: Vec<i64>,
}

impl LaneDays {
    /// `rows` (one lane's, oldest first) packed.
    pub fn of(service: &str, cluster: &str, rows: &[DayRollup]) -> LaneDays {
        let mut lane = LaneDays {
            service: service.into(),
            cluster: cluster.into(),
            days: Vec::with_capacity(rows.len()),
            lead_times: Vec::new(),
            restores: Vec::new(),
        };
        for row in rows {
            lane.days.push(DayCounts {
                day: row.day,
                deploys: row.deploys,
                changes: row.changes,
                failed_changes: row.failed_changes,
                rollbacks: row.rollbacks,
                unrestored: row.unrestored,
                lead_times: row.lead_times.len(),
                restores: row.restores.len(),
            });
            lane.lead_times.extend_from_slice(&row.lead_times);
            lane.restores.extend_from_slice(&row.restores);
        }
        lane
    }

    /// Each day with its own lead times and restores, oldest first.
    pub fn each_day(&self) -> impl Iterator<Item = (&DayCounts, &[i64], &[i64])> {
        let (mut lead, mut restore) = (0, 0);
        self.days.iter().map(move |day| {
            let leads = &self.lead_times[lead..lead + day.lead_times];
            let restores = &self.restores[restore..restore + day.restores];
            (lead, restore) = (lead + day.lead_times, restore + day.restores);
            (day, leads, restores)
        })
    }

    /// The days as stored (service and cluster are the row's key): per
    /// day, LEB128 varints of the day (as the difference from the day
    /// before, zigzagged), the five counts, the two sample counts, then
    /// the samples (zigzagged). A day is ~10 bytes, a sample ~3.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.days.len() * 10 + (self.lead_times.len() + self.restores.len()) * 3);
        let mut previous = 0i64;
        for (day, leads, restores) in self.each_day() {
            put(&mut out, zigzag(day.day.0 as i64 - previous));
            previous = day.day.0 as i64;
            for count in [day.deploys, day.changes, day.failed_changes, day.rollbacks, day.unrestored] {
                put(&mut out, count);
            }
            put(&mut out, leads.len() as u64);
            put(&mut out, restores.len() as u64);
            for &sample in leads.iter().chain(restores) {
                put(&mut out, zigzag(sample));
            }
        }
        out
    }

    /// [`LaneDays::encode`] read back; a blob that does not read so is an
    /// error saying where.
    pub fn decode(service: &str, cluster: &str, blob: &[u8]) -> Result<LaneDays, String> {
        let mut lane = LaneDays::of(service, cluster, &[]);
        let mut reader = Reader { blob, at: 0 };
        let mut previous = 0i64;
        while !reader.done() {
            let day = previous + unzigzag(reader.next()?);
            previous = day;
            let day = i32::try_from(day).map_err(|_| format!("day {day} at byte {} is out of range", reader.at))?;
            let mut counts = [0u64; 5];
            for count in &mut counts {
                *count = reader.next()?;
            }
            let [deploys, changes, failed_changes, rollbacks, unrestored] = counts;
            let (leads, restores) = (reader.count()?, reader.count()?);
            for _ in 0..leads {
                lane.lead_times.push(unzigzag(reader.next()?));
            }
            for _ in 0..restores {
                lane.restores.push(unzigzag(reader.next()?));
            }
            lane.days.push(DayCounts {
                day: Day(day),
                deploys,
                changes,
                failed_changes,
                rollbacks,
                unrestored,
                lead_times: leads,
                restores,
            });
        }
        Ok(lane)
    }
}

fn put(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

fn zigzag(value: i64) -> u64 {
    ((value << 1) ^ (value >> 63)) as u64
}

fn unzigzag(value: u64) -> i64 {
    ((value >> 1) as i64) ^ -((value & 1) as i64)
}

struct Reader<'a> {
    blob: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn done(&self) -> bool {
        self.at >= self.blob.len()
    }

    fn next(&mut self) -> Result<u64, String> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let Some(&byte) = self.blob.get(self.at) else {
                return Err(format!("a packed day rollup ends inside a number at byte {}", self.at));
            };
            self.at += 1;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(format!("a packed day rollup has a number longer than 64 bits before byte {}", self.at))
    }

    /// A count of samples: each takes at least a byte, so one larger than
    /// the bytes left is corruption (and is not allocated for).
    fn count(&mut self) -> Result<usize, String> {
        let count = self.next()?;
        let left = (self.blob.len() - self.at) as u64;
        if count > left {
            return Err(format!("a packed day rollup claims {count} samples with {left} bytes left"));
        }
        Ok(count as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(day: i32, leads: &[i64], restores: &[i64]) -> DayRollup {
        DayRollup {
            deploys: 3,
            changes: 4,
            failed_changes: 2,
            rollbacks: 1,
            unrestored: u64::MAX,
            lead_times: leads.to_vec(),
            restores: restores.to_vec(),
            ..DayRollup::empty("service:a", "dc1", Day(day))
        }
    }

    #[test]
    fn packed_days_read_back_as_written() {
        let rows = [row(-3, &[], &[]), row(20_000, &[0, -5, i64::MAX, i64::MIN], &[86_400]), row(20_255, &[7], &[])];
        let lane = LaneDays::of("service:a", "dc1", &rows);
        assert_eq!(LaneDays::decode("service:a", "dc1", &lane.encode()).unwrap(), lane);
        let days: Vec<(i32, Vec<i64>, Vec<i64>)> =
            lane.each_day().map(|(d, l, r)| (d.day.0, l.to_vec(), r.to_vec())).collect();
        let expected: Vec<(i32, Vec<i64>, Vec<i64>)> =
            rows.iter().map(|r| (r.day.0, r.lead_times.clone(), r.restores.clone())).collect();
        assert_eq!(days, expected);
    }

    #[test]
    fn bad_blobs_are_errors_not_panics() {
        let lane = LaneDays::of("service:a", "dc1", &[row(20_000, &[1, 2, 3], &[4])]);
        let blob = lane.encode();
        for cut in 1..blob.len() {
            assert!(LaneDays::decode("s", "c", &blob[..cut]).is_err(), "cut at {cut}");
        }
        assert!(LaneDays::decode("s", "c", &[0xff; 11]).unwrap_err().contains("64 bits"));
        // A day with a billion samples in three bytes: refused, not allocated.
        assert!(LaneDays::decode("s", "c", &[0, 0, 0, 0, 0, 0, 0x80, 0x94, 0xeb, 0xdc, 0x03, 0])
            .unwrap_err()
            .contains("samples"));
    }

    #[test]
    fn spans_cut_days_on_multiples_of_their_length() {
        assert_eq!(span_of(Day(0)), 0);
        assert_eq!(span_of(Day(255)), 0);
        assert_eq!(span_of(Day(256)), 1);
        assert_eq!(span_of(Day(-1)), -1);
        assert_eq!(span_days(-1), (Day(-256), Day(-1)));
        assert_eq!(span_days(78), (Day(19_968), Day(20_223)));
    }
}
