//! The layering, checked: no import circle between files or between the
//! top-level modules of `src/`, no function over 100 lines, and the scan
//! entry a short orchestrator. Reads the sources as text; see
//! ARCHITECTURE.md for what each layer may import.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use regex::Regex;

/// Longest a function may be, outside test code.
const MAX_LINES: usize = 100;
/// The scan pipeline's entry: an orchestrator, short.
const SCAN_ENTRY_MAX: usize = 60;

struct Source {
    module: String,
    rel: String,
    /// The text before any trailing `#[cfg(test)]` module.
    code: String,
}

fn sources() -> Vec<Source> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = Vec::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).expect("src dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let rel = p
                    .strip_prefix(&root)
                    .expect("under src")
                    .to_string_lossy()
                    .replace('\\', "/");
                let mut parts: Vec<String> = rel
                    .trim_end_matches(".rs")
                    .split('/')
                    .map(String::from)
                    .collect();
                if matches!(
                    parts.last().map(String::as_str),
                    Some("mod" | "lib" | "main")
                ) {
                    parts.pop();
                }
                let text = std::fs::read_to_string(&p).expect("read source");
                let code = match text.find("\n#[cfg(test)]\nmod ") {
                    Some(i) => text[..i].to_string(),
                    None => text,
                };
                out.push(Source {
                    module: parts.join("::"),
                    rel,
                    code,
                });
            }
        }
    }
    out
}

/// Module → modules it names (`crate::`, `super::`, `self::` paths).
fn imports(srcs: &[Source]) -> BTreeMap<String, BTreeSet<String>> {
    let modules: BTreeSet<&str> = srcs.iter().map(|s| s.module.as_str()).collect();
    let path = Regex::new(r"\b(?:crate|super|self)(?:::\w+)+").expect("regex");
    let comment = Regex::new(r"(?m)//.*$").expect("regex");
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for s in srcs {
        let code = comment.replace_all(&s.code, "");
        let here: Vec<&str> = if s.module.is_empty() {
            vec![]
        } else {
            s.module.split("::").collect()
        };
        for m in path.find_iter(&code) {
            let mut segs: Vec<&str> = m.as_str().split("::").collect();
            let mut base: Vec<&str> = match segs.first() {
                Some(&"crate") => vec![],
                Some(&"self") => here.clone(),
                _ => here[..here.len().saturating_sub(1)].to_vec(),
            };
            segs.remove(0);
            while segs.first() == Some(&"super") {
                base.pop();
                segs.remove(0);
            }
            let target = (0..=segs.len()).rev().find_map(|i| {
                let t = [base.as_slice(), &segs[..i]].concat().join("::");
                modules.contains(t.as_str()).then_some(t)
            });
            if let Some(t) = target.filter(|t| *t != s.module && !t.is_empty()) {
                // a parent's own items, used by its child, are an edge too;
                // a parent naming its children (mod declarations) is not
                if !t.starts_with(&format!("{}::", s.module)) || s.module.is_empty() {
                    out.entry(s.module.clone()).or_default().insert(t);
                }
            }
        }
    }
    out
}

/// Strongly connected groups of more than one node.
fn circles(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    let nodes: BTreeSet<&String> = edges.keys().chain(edges.values().flatten()).collect();
    let reach = |from: &String| {
        let mut seen = BTreeSet::new();
        let mut todo = vec![from.clone()];
        while let Some(n) = todo.pop() {
            for m in edges.get(&n).into_iter().flatten() {
                if seen.insert(m.clone()) {
                    todo.push(m.clone());
                }
            }
        }
        seen
    };
    let mut found: BTreeSet<Vec<String>> = BTreeSet::new();
    for n in &nodes {
        let r = reach(n);
        if r.contains(*n) {
            let group: Vec<String> = r
                .iter()
                .filter(|m| reach(m).contains(*n))
                .cloned()
                .collect();
            found.insert(group);
        }
    }
    found.into_iter().collect()
}

#[test]
fn no_import_circles_between_files_or_top_level_modules() {
    let srcs = sources();
    let edges = imports(&srcs);
    assert!(
        edges.values().map(BTreeSet::len).sum::<usize>() > 50,
        "the parser sees the imports"
    );
    let files = circles(&edges);
    assert!(files.is_empty(), "import circles between files: {files:?}");
    let mut top: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (a, bs) in &edges {
        let ta = a.split("::").next().unwrap_or_default().to_string();
        for b in bs {
            let tb = b.split("::").next().unwrap_or_default().to_string();
            if ta != tb {
                top.entry(ta.clone()).or_default().insert(tb);
            }
        }
    }
    let tops = circles(&top);
    assert!(
        tops.is_empty(),
        "import circles between top-level modules: {tops:?}"
    );
}

/// Every function outside test code: (file, name, lines).
fn function_lengths() -> Vec<(String, String, usize)> {
    let start = Regex::new(r"^\s*(?:pub(?:\([^)]*\))?\s+)?(?:async\s+)?(?:const\s+)?fn\s+(\w+)")
        .expect("regex");
    let mut out = Vec::new();
    for s in sources() {
        if s.rel == "edge_tests.rs" || s.rel == "probe/fake.rs" {
            continue; // test code
        }
        let lines: Vec<&str> = s.code.lines().collect();
        let mut i = 0;
        while i < lines.len() {
            let Some(name) = start.captures(lines[i]).and_then(|c| c.get(1)) else {
                i += 1;
                continue;
            };
            let (mut depth, mut opened, mut j) = (0i64, false, i);
            while j < lines.len() {
                for ch in lines[j].chars() {
                    match ch {
                        '{' => {
                            depth += 1;
                            opened = true;
                        }
                        '}' => depth -= 1,
                        _ => {}
                    }
                }
                if (opened && depth == 0) || (!opened && lines[j].trim_end().ends_with(';')) {
                    break;
                }
                j += 1;
            }
            out.push((s.rel.clone(), name.as_str().to_string(), j + 1 - i));
            i = j + 1;
        }
    }
    out
}

#[test]
fn the_scan_entry_is_a_short_orchestrator() {
    let all = function_lengths();
    let run = all
        .iter()
        .find(|(f, n, _)| f == "scan.rs" && n == "run")
        .expect("scan::run");
    assert!(
        run.2 < SCAN_ENTRY_MAX,
        "scan::run has {} lines (under {SCAN_ENTRY_MAX})",
        run.2
    );
}

#[test]
fn no_function_is_over_100_lines() {
    let over: Vec<String> = function_lengths()
        .into_iter()
        .filter(|(_, _, n)| *n > MAX_LINES)
        .map(|(f, name, n)| format!("{f}: fn {name} has {n} lines"))
        .collect();
    assert!(
        over.is_empty(),
        "split these (at most {MAX_LINES} lines): {over:?}"
    );
}
