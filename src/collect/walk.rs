//! The table walker: column-selective GETBULK over several columns at once
//! (only the columns asked for cross the wire), with max-repetitions that
//! adapt (halved on tooBig or timeout), GETNEXT for v1, and every stop a
//! broken agent needs: a non-increasing OID, leaving the column, endOfMibView,
//! a row cap and a deadline. What was read before a stop is kept.

use std::collections::BTreeMap;

use snmp2::Version;
use tokio::time::Instant;

use crate::oid::oid_string;
use crate::probe::agent::{Agent, AgentError, Val};

/// How a walk is run.
#[derive(Debug, Clone, Copy)]
pub struct WalkOptions {
    /// Starting max-repetitions (per column; shrunk to fit the varbind cap).
    pub max_repetitions: u32,
    /// Varbinds an answer may hold (agents answer at most ~64).
    pub max_varbinds: u32,
    /// GETNEXT even on v2c/v3 (firmware that mangles GETBULK).
    pub bulk: bool,
    /// Start with 2 repetitions and grow: for columns the agent may lack
    /// (one varbind each instead of a screenful of the next subtree).
    pub ramp: bool,
    /// Most rows read per table.
    pub row_cap: usize,
    /// The walk stops here, whatever is left (and when the agent's own
    /// budget is spent: `probe::budget`).
    pub deadline: Instant,
}

/// A table: row index (the OID suffix after the column) → column → value.
pub type Rows = BTreeMap<Vec<u64>, BTreeMap<usize, Val>>;

/// A walk's result: the rows read and, if it stopped early, why.
#[derive(Debug, Default)]
pub struct Walked {
    pub rows: Rows,
    pub stopped: Option<String>,
}

struct Column {
    prefix: Vec<u64>,
    cursor: Vec<u64>,
    done: bool,
}

/// Walk `columns` (full column OIDs, e.g. ifDescr 1.3.6.1.2.1.2.2.1.2) of one
/// table together.
pub async fn walk(agent: &mut Agent, columns: &[Vec<u64>], opts: &WalkOptions) -> Walked {
    walk_rows(agent, columns, &[], None, opts).await
}

/// Walk the rows after index `after` (empty: from the start) and before
/// index `until` (none: to the end): one slice of a big table, so that
/// several slices can be read side by side.
pub async fn walk_rows(
    agent: &mut Agent,
    columns: &[Vec<u64>],
    after: &[u64],
    until: Option<&[u64]>,
    opts: &WalkOptions,
) -> Walked {
    let mut out = Walked::default();
    let mut cols: Vec<Column> = columns
        .iter()
        .map(|c| Column {
            prefix: c.clone(),
            cursor: [c.as_slice(), after].concat(),
            done: false,
        })
        .collect();
    // start small: a column the agent lacks costs one varbind, not a
    // screenful of the next subtree; grow while answers come
    let mut reps = if opts.ramp {
        opts.max_repetitions.clamp(1, 2)
    } else {
        opts.max_repetitions.max(1)
    };
    let bulk = opts.bulk && agent.version() != Version::V1;
    loop {
        let live: Vec<usize> = (0..cols.len()).filter(|i| !cols[*i].done).collect();
        if live.is_empty() {
            return out;
        }
        if Instant::now() >= opts.deadline {
            out.stopped = Some("time budget exhausted".into());
            return out;
        }
        if let Some(why) = agent.spent_why() {
            out.stopped = Some(why.into());
            return out;
        }
        let oids: Vec<Vec<u64>> = live.iter().map(|i| cols[*i].cursor.clone()).collect();
        let fit = (opts.max_varbinds / live.len() as u32).max(1);
        let asked = reps.min(fit);
        let answer = if bulk {
            agent.bulk(&oids, asked).await
        } else {
            agent.next_each(&oids).await
        };
        let vbs = match answer {
            Ok(v) => {
                // grow step by step while answers come (and after a shrink)
                reps = (reps + reps.div_ceil(2)).min(opts.max_repetitions.max(1));
                v
            }
            // too big, or lost on the way: ask for less, down to one row
            Err(AgentError::Status { status: 1, .. } | AgentError::Timeout)
                if bulk && asked > 1 =>
            {
                reps = (asked / 2).max(1);
                continue;
            }
            Err(e) => {
                out.stopped = Some(e.to_string());
                return out;
            }
        };
        if vbs.is_empty() {
            out.stopped = Some("empty answer".into());
            return out;
        }
        // answers come row by row: varbind k belongs to live column k % n
        let n = if bulk { live.len() } else { oids.len() };
        let progressed = take(&mut cols, &live, n, vbs, until, opts.row_cap, &mut out);
        if !progressed && cols.iter().all(|c| c.done) {
            return out;
        }
        if !progressed {
            // nothing new and nothing ended: a stuck agent
            out.stopped = Some("agent makes no progress".into());
            return out;
        }
    }
}

/// Most sub-identifiers an OID may have (RFC 2578 §3.5).
pub const MAX_ARCS: usize = 128;

/// File one answer's varbinds into their columns' rows; `false` when none
/// advanced a column. A column ends when the answer leaves it, at
/// endOfMibView, past `until`, on a non-increasing OID (a looping agent,
/// recorded in `out.stopped`), or at the row cap.
fn take(
    cols: &mut [Column],
    live: &[usize],
    n: usize,
    vbs: Vec<(Vec<u64>, Val)>,
    until: Option<&[u64]>,
    row_cap: usize,
    out: &mut Walked,
) -> bool {
    let mut progressed = false;
    for (k, (oid, val)) in vbs.into_iter().enumerate() {
        let col = live[k % n];
        let c = &mut cols[col];
        if c.done {
            continue;
        }
        if !oid.starts_with(&c.prefix)
            || matches!(val, Val::EndOfMibView)
            || until.is_some_and(|u| oid[c.prefix.len()..] >= *u)
        {
            c.done = true;
            continue;
        }
        if oid <= c.cursor {
            c.done = true;
            out.stopped = Some(format!(
                "agent loops: {} after {}",
                oid_string(&oid),
                oid_string(&c.cursor)
            ));
            continue;
        }
        if oid.len() > MAX_ARCS {
            // RFC 2578 §3.5: at most 128 sub-identifiers. An agent growing
            // its OIDs each answer would otherwise grow our next request
            // past what can be encoded and sent
            c.done = true;
            out.stopped = Some(format!(
                "agent answered an OID of {} arcs (at most {MAX_ARCS}) after {}",
                oid.len(),
                oid_string(&c.cursor)
            ));
            continue;
        }
        c.cursor = oid.clone();
        progressed = true;
        let index = oid[c.prefix.len()..].to_vec();
        if !out.rows.contains_key(&index) && out.rows.len() >= row_cap {
            c.done = true;
            out.stopped = Some(format!("row cap {row_cap} reached"));
            continue;
        }
        out.rows.entry(index).or_default().insert(col, val);
    }
    progressed
}

/// The fuzz target's walk: answers made of `data` (each varbind's column,
/// arcs and value from a few bytes) through [`take`], round after round.
/// Whatever they are, every cursor only moves forward, the row cap holds,
/// and the walk ends.
#[doc(hidden)]
pub fn fuzz_take(data: &[u8]) {
    let prefixes = [
        vec![1, 3, 6, 1, 2, 1, 2, 2, 1, 2],
        vec![1, 3, 6, 1, 2, 1, 2, 2, 1, 10],
    ];
    let mut cols: Vec<Column> = prefixes
        .iter()
        .map(|p| Column {
            prefix: p.clone(),
            cursor: p.clone(),
            done: false,
        })
        .collect();
    let mut out = Walked::default();
    let cap = 64;
    let mut bytes = data.iter().copied();
    loop {
        let live: Vec<usize> = (0..cols.len()).filter(|i| !cols[*i].done).collect();
        if live.is_empty() {
            break;
        }
        let mut vbs = Vec::new();
        for _ in 0..live.len() {
            let (Some(which), Some(len)) = (bytes.next(), bytes.next()) else {
                break;
            };
            let base = &prefixes[usize::from(which) % 2];
            let mut oid = if which & 4 == 0 {
                base.clone()
            } else {
                base[..base.len() - 1].to_vec()
            };
            let arc = u64::from(bytes.next().unwrap_or(1));
            oid.extend(std::iter::repeat_n(arc, usize::from(len % 140)));
            let val = match which >> 5 {
                0 => Val::EndOfMibView,
                1 => Val::Null,
                _ => Val::Int(i64::from(len)),
            };
            vbs.push((oid, val));
        }
        if vbs.is_empty() {
            break;
        }
        let before: Vec<Vec<u64>> = cols.iter().map(|c| c.cursor.clone()).collect();
        let progressed = take(&mut cols, &live, live.len(), vbs, None, cap, &mut out);
        for (c, b) in cols.iter().zip(&before) {
            assert!(c.cursor >= *b, "a cursor went back");
            assert!(c.cursor.len() <= MAX_ARCS, "an over-long OID was kept");
        }
        assert!(out.rows.len() <= cap, "the row cap holds");
        if !progressed {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_oid_longer_than_128_arcs_ends_the_column_with_the_reason() {
        let prefix = vec![1, 3, 6, 1, 2, 1, 2, 2, 1, 2];
        let mut cols = vec![Column {
            prefix: prefix.clone(),
            cursor: prefix.clone(),
            done: false,
        }];
        let mut out = Walked::default();
        let ok = [prefix.as_slice(), &[1]].concat();
        let long = [prefix.as_slice(), &[2; 119]].concat();
        assert_eq!(long.len(), 129);
        let vbs = vec![(ok, Val::Int(1)), (long, Val::Int(2))];
        take(&mut cols, &[0], 1, vbs, None, 1000, &mut out);
        assert!(cols[0].done);
        assert_eq!(out.rows.len(), 1, "the row before it is kept");
        assert!(out
            .stopped
            .is_some_and(|s| s.contains("129 arcs (at most 128)")));
    }
}
