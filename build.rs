//! Compiles the device knowledge in `profiles/` into the binary: the IANA
//! enterprise registry and the IEEE MAC address block registries as sorted
//! tables (keys and a name blob, no per-entry allocation at run time) and
//! the list of built-in rule files.

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
    let entries: Vec<(u64, &str)> = entries.iter().map(|(n, s)| (u64::from(*n), *s)).collect();
    let code = sorted_table("u32", &entries, &date, "Enterprise numbers");
    std::fs::write(Path::new(&out).join("enterprises.rs"), code).expect("write enterprises.rs");

    // --- the IEEE MAC address block registries (MA-L, MA-M, MA-S, IAB)
    println!("cargo:rerun-if-changed=profiles/oui.tsv");
    let tsv = std::fs::read_to_string("profiles/oui.tsv")
        .expect("profiles/oui.tsv (regenerate with profiles/update-oui.sh)");
    let mut date = String::new();
    let mut blocks: Vec<(u64, &str)> = Vec::new();
    for line in tsv.lines() {
        if let Some(d) = line.split("last updated ").nth(1) {
            date = d.trim_end_matches(')').trim().to_string();
        }
        let mut f = line.split('\t');
        let (Some(prefix), Some(bits), Some(org)) = (f.next(), f.next(), f.next()) else {
            continue;
        };
        let (Ok(prefix), Ok(bits)) = (u64::from_str_radix(prefix, 16), bits.parse::<u64>()) else {
            continue;
        };
        // the key: the prefix, then its length (see src/oui.rs)
        blocks.push(((prefix << 8) | bits, org));
    }
    blocks.sort_by_key(|e| e.0);
    blocks.dedup_by_key(|e| e.0);
    assert!(blocks.len() > 40_000, "oui.tsv: {} entries", blocks.len());
    let code = sorted_table("u64", &blocks, &date, "Block keys (prefix << 8 | bits)");
    std::fs::write(Path::new(&out).join("oui.rs"), code).expect("write oui.rs");

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

/// A sorted registry as Rust source: its date, the keys ascending, the
/// offsets of each name in one blob (one more than the keys), the blob.
fn sorted_table(key_type: &str, entries: &[(u64, &str)], date: &str, keys_doc: &str) -> String {
    // short lines: a diagnostic that quotes a line stays small
    let mut blob = String::new();
    let mut numbers = String::new();
    let mut offsets = String::new();
    for (i, (key, name)) in entries.iter().enumerate() {
        let sep = if i % 16 == 15 { "\n" } else { " " };
        write!(numbers, "{key},{sep}").unwrap();
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
    format!(
        "/// Registry date (from the file's header).\n\
         pub const REGISTRY_DATE: &str = {date:?};\n\
         /// {keys_doc}, ascending.\n\
         pub static NUMBERS: [{key_type}; {n}] = [{numbers}];\n\
         /// Start of each name in [`NAMES`]; one more entry than [`NUMBERS`].\n\
         pub static OFFSETS: [u32; {n1}] = [{offsets}];\n\
         /// The names, concatenated.\n\
         pub static NAMES: &str = {names};\n",
        n = entries.len(),
        n1 = entries.len() + 1,
    )
}
