//! Compiles the device knowledge in `profiles/` into the binary: the IANA
//! enterprise registry as one sorted table (numbers and a name blob, no
//! per-entry allocation at run time) and the list of built-in rule files.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    let out = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    println!("cargo:rerun-if-changed=profiles/enterprises.tsv");
    println!("cargo:rerun-if-changed=profiles/rules");

    // --- the IANA Private Enterprise Numbers registry
    let tsv = std::fs::read_to_string("profiles/enterprises.tsv")
        .expect("profiles/enterprises.tsv (regenerate with profiles/update-enterprises.sh)");
    let mut entries: Vec<(u32, &str)> = Vec::new();
    let mut date = String::new();
    for line in tsv.lines() {
        if let Some(d) = line.split("last updated ").nth(1) {
            date = d.trim_end_matches(')').trim().to_string();
        }
        let Some((num, rest)) = line.split_once(['\t', ' ']) else {
            continue;
        };
        let Ok(pen) = num.parse::<u32>() else {
            continue;
        };
        // "<name>\t# formerly ..." : the comment is not the name
        let name = rest.split("\t#").next().unwrap_or("").trim();
        if !name.is_empty() {
            entries.push((pen, name));
        }
    }
    entries.sort_by_key(|e| e.0);
    entries.dedup_by_key(|e| e.0);
    assert!(
        entries.len() > 50_000,
        "enterprises.tsv: {} entries",
        entries.len()
    );
    // short lines: a diagnostic that quotes a line stays small
    let mut blob = String::new();
    let mut numbers = String::new();
    let mut offsets = String::new();
    for (i, (pen, name)) in entries.iter().enumerate() {
        let sep = if i % 16 == 15 { "\n" } else { " " };
        write!(numbers, "{pen},{sep}").unwrap();
        write!(offsets, "{},{sep}", blob.len()).unwrap();
        blob.push_str(name);
    }
    write!(offsets, "{}", blob.len()).unwrap();
    // the names as concat!() of short literals
    let mut names = String::from("concat!(\n");
    let mut line = String::new();
    for c in blob.chars() {
        line.push(c);
        if line.len() >= 80 {
            writeln!(names, "    {line:?},").unwrap();
            line.clear();
        }
    }
    writeln!(names, "    {line:?}\n)").unwrap();
    let code = format!(
        "/// Registry date (from the file's header).\n\
         pub const REGISTRY_DATE: &str = {date:?};\n\
         /// Enterprise numbers, ascending.\n\
         pub static NUMBERS: [u32; {n}] = [{numbers}];\n\
         /// Start of each name in [`NAMES`]; one more entry than [`NUMBERS`].\n\
         pub static OFFSETS: [u32; {n1}] = [{offsets}];\n\
         /// The registrants' names, concatenated.\n\
         pub static NAMES: &str = {names};\n",
        n = entries.len(),
        n1 = entries.len() + 1,
    );
    std::fs::write(Path::new(&out).join("enterprises.rs"), code).expect("write enterprises.rs");

    // --- built-in rule files, in name order
    let mut files: Vec<String> = std::fs::read_dir("profiles/rules")
        .expect("profiles/rules")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".toml"))
        .collect();
    files.sort();
    let mut list = String::from(
        "/// Built-in rule files: (path, text).\npub const RULE_FILES: &[(&str, &str)] = &[\n",
    );
    for f in &files {
        println!("cargo:rerun-if-changed=profiles/rules/{f}");
        writeln!(
            list,
            "    (\"profiles/rules/{f}\", include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/profiles/rules/{f}\"))),"
        )
        .unwrap();
    }
    list.push_str("];\n");
    std::fs::write(Path::new(&out).join("rule_files.rs"), list).expect("write rule_files.rs");
}
