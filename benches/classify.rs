//! Rule evaluation cost (not a test): classifies every device of a scan
//! file (default `tests/fixtures/scan.json`; `NETCENSUS_BENCH_SCAN=FILE`
//! for another, e.g. a scan of the all-devices lab) and every worked
//! example of the built-in rules, many times over, and prints the time per
//! device (mean and the slowest device). Goal: at most 1 ms per device.
//!
//! cargo bench --bench classify

use std::time::{Duration, Instant};

use netcensus::Profiles;
use netcensus::ScanFile;
use netcensus::{classify, Evidence};
use netcensus::{coverage, evidence};

fn main() {
    let profiles = Profiles::builtin().expect("built-in profiles");
    let path = std::env::var("NETCENSUS_BENCH_SCAN").unwrap_or_else(|_| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/scan.json").into()
    });
    let scan: ScanFile = serde_json::from_str(&std::fs::read_to_string(&path).expect("scan file"))
        .expect("a scan file");
    let mut inputs: Vec<(String, Evidence)> = scan
        .devices
        .iter()
        .map(|d| {
            (
                d.ip.to_string(),
                Evidence {
                    snmp: d.snmp.as_ref(),
                    facts: d.facts.as_ref(),
                    interfaces: d.interfaces.as_deref(),
                },
            )
        })
        .collect();
    let devices = inputs.len();
    for r in &profiles.rules {
        for ex in &r.examples {
            inputs.push((ex.origin.clone(), evidence(ex)));
        }
    }
    let rounds = 20u32;
    let mut total = Duration::ZERO;
    let mut slowest = (Duration::ZERO, String::new());
    for _ in 0..rounds {
        for (name, ev) in &inputs {
            let t = Instant::now();
            let c = classify(ev, &profiles);
            let dt = t.elapsed();
            std::hint::black_box(c);
            total += dt;
            if dt > slowest.0 {
                slowest = (dt, name.clone());
            }
        }
    }
    let n = u32::try_from(inputs.len()).unwrap_or(u32::MAX).max(1) * rounds;
    let cov = coverage(&profiles);
    println!(
        "classify: {} rules; {} inputs ({devices} devices of {path}, {} rule examples) x {rounds} rounds",
        cov.rules,
        inputs.len(),
        inputs.len() - devices
    );
    println!(
        "  mean {:.1} µs per device, slowest {:.1} µs ({}); goal <= 1000 µs",
        total.as_secs_f64() * 1e6 / f64::from(n),
        slowest.0.as_secs_f64() * 1e6,
        slowest.1
    );
}
