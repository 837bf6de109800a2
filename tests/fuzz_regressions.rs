//! The fuzz targets' corpus and every input a fuzzer ever crashed on
//! (`fuzz/corpus/<target>/`, `fuzz/regressions/<target>/`), replayed
//! through the same entry points (`netcensus::fuzzing`) on every test run:
//! a crash once fixed stays fixed without a nightly toolchain.

use std::path::Path;

fn replay(target: &str, run: &dyn Fn(&[u8])) -> usize {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut n = 0;
    for dir in ["corpus", "regressions"] {
        let Ok(entries) = std::fs::read_dir(root.join(dir).join(target)) else {
            continue;
        };
        for e in entries.flatten() {
            let data = std::fs::read(e.path()).expect("input");
            run(&data);
            n += 1;
        }
    }
    n
}

fn text(f: fn(&str)) -> impl Fn(&[u8]) {
    move |data| {
        if let Ok(t) = std::str::from_utf8(data) {
            f(t);
        }
    }
}

#[test]
fn every_corpus_and_regression_input_passes_its_target() {
    let counts = [
        (
            "snmp_reply",
            replay("snmp_reply", &netcensus::fuzzing::snmp_reply),
        ),
        (
            "walk_answers",
            replay("walk_answers", &netcensus::fuzzing::walk_answers),
        ),
        (
            "learned_tables",
            replay("learned_tables", &netcensus::fuzzing::learned_tables),
        ),
        (
            "targets",
            replay("targets", &text(netcensus::fuzzing::targets)),
        ),
        (
            "profiles",
            replay("profiles", &text(netcensus::fuzzing::profiles)),
        ),
        (
            "topology",
            replay("topology", &text(netcensus::fuzzing::topology)),
        ),
        (
            "scan_file",
            replay("scan_file", &text(netcensus::fuzzing::scan_file)),
        ),
    ];
    for (target, n) in counts {
        assert!(
            n > 0,
            "no inputs for {target}: the corpus is in fuzz/corpus/{target}/"
        );
    }
}
