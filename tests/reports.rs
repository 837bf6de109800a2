//! Every renderer on fixed scan and diff files (tests/fixtures: the small
//! lab before and after drift-after.toml, trimmed, plus a hostile device:
//! sysName `<script>alert(1)</script>`, sysLocation `=HYPERLINK(...)`, a
//! sysDescr of control characters and 10 kB of text, markup in its model,
//! interface and neighbour names). Golden snapshots in tests/snapshots
//! (insta), and the safety properties asserted outright. The HTML report is
//! also opened in headless Chromium (Debian's `chromium`, installed by
//! tests/run.sh): its script must run to the end without errors; the
//! screenshot is kept as target/report-screenshot.png.

use std::path::PathBuf;
use std::process::Command;

use netcensus::ScanFile;
use netcensus::{check_topology as check, parse_topology as parse_toml, Check};
use netcensus::{diff, DriftRules as Rules};
use netcensus::{render, Format, Primary, View};

fn fixture(name: &str) -> ScanFile {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    netcensus::load_scan_file(&p).expect("fixture")
}

struct Fixtures {
    scan: ScanFile,
    diff: netcensus::Diff,
    check: Check,
}

fn fixtures() -> Fixtures {
    let scan = fixture("scan.json");
    let d = diff(&fixture("baseline.json"), &scan, &Rules::default());
    let topo = parse_toml(
        "topology.toml",
        "[[device]]\nip = \"10.77.1.1\"\nname = \"core-rtr-1\"\nrole = \"router\"\n\
         [[device]]\nip = \"10.77.1.2\"\n[[device]]\nip = \"10.77.9.9\"\nname = \"sw9\"\n\
         [[link]]\nfrom = \"core-rtr-1\"\nto = \"h3c-5800out\"\n",
    )
    .expect("topology");
    let c = check(&topo, "topology.toml", &scan);
    Fixtures {
        scan,
        diff: d,
        check: c,
    }
}

fn view(f: &Fixtures, primary: Primary) -> View<'_> {
    View {
        primary,
        scan: Some(&f.scan),
        diff: Some(&f.diff),
        check: Some(&f.check),
        color: false,
    }
}

const HOSTILE: [&str; 4] = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(2)>",
    "<script>alert(3)</script>",
    "<h1>x</h1>",
];

#[test]
fn table_is_aligned_plain_and_fits_100_columns() {
    let f = fixtures();
    let scan_only = View {
        diff: None,
        check: None,
        ..view(&f, Primary::Scan)
    };
    let t = render(Format::Table, &scan_only).expect("table");
    insta::assert_snapshot!("table", t);
    for line in t
        .lines()
        .take_while(|l| !l.starts_with(|c: char| c.is_ascii_digit()))
    {
        assert!(line.chars().count() <= 100, "too wide: {line}");
    }
    assert!(
        !t.chars().any(|c| c.is_control() && c != '\n'),
        "control characters reach the terminal"
    );
    let colored = render(
        Format::Table,
        &View {
            color: true,
            ..scan_only
        },
    )
    .expect("table");
    assert!(colored.contains("\x1b["), "colour when asked");
}

#[test]
fn csv_is_rfc4180_and_neutralises_formulas() {
    let f = fixtures();
    let text = render(Format::Csv, &view(&f, Primary::Scan)).expect("csv");
    insta::assert_snapshot!("devices_csv", text);
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let rows: Vec<csv::StringRecord> = r.records().map(|x| x.expect("record")).collect();
    assert_eq!(rows.len(), f.scan.devices.len());
    let hostile = rows
        .iter()
        .find(|r| &r[0] == "10.77.9.9")
        .expect("hostile row");
    assert_eq!(&hostile[9], "'=HYPERLINK(\"http://x\")");
    assert!(hostile[10].starts_with("'@SUM"));
    assert_eq!(&hostile[7], "'-2+3");
    assert!(hostile[12].len() > 10_000, "data kept whole in CSV");
    let ifs = netcensus::interfaces_csv(&f.scan);
    insta::assert_snapshot!("interfaces_csv", ifs);
    assert!(ifs.contains(",\"'=cmd\","));
    insta::assert_snapshot!(
        "changes_csv",
        render(Format::Csv, &view(&f, Primary::Diff)).expect("csv")
    );
    insta::assert_snapshot!(
        "check_csv",
        render(Format::Csv, &view(&f, Primary::Check)).expect("csv")
    );
}

#[test]
fn markdown_keeps_device_text_inert() {
    let f = fixtures();
    let md = render(Format::Markdown, &view(&f, Primary::Scan)).expect("md");
    insta::assert_snapshot!("markdown", md);
    for h in HOSTILE {
        assert!(!md.contains(h), "raw {h} in Markdown");
    }
    assert!(!md.contains("](javascript"), "a live link");
    assert!(!md.contains("http://x"), "an autolink");
    // every device row has exactly the table's 9 unescaped pipes
    let unescaped = |l: &str| {
        let b = l.as_bytes();
        (0..b.len())
            .filter(|&i| b[i] == b'|' && (i == 0 || b[i - 1] != b'\\'))
            .count()
    };
    for l in md.lines().filter(|l| l.starts_with("| 10.77.")) {
        assert_eq!(unescaped(l), 9, "{l}");
    }
}

#[test]
fn html_escapes_everything_and_is_self_contained() {
    let f = fixtures();
    let html = render(Format::Html, &view(&f, Primary::Scan)).expect("html");
    insta::assert_snapshot!("html", html);
    for h in HOSTILE {
        assert!(!html.contains(h), "raw {h} in HTML");
    }
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    // nothing fetched: no external URL in src/href, and a CSP that forbids it
    assert!(!html.contains("src=\"http") && !html.contains("href=\"http"));
    assert!(html.contains("default-src 'none'"));
    assert!(html.contains("<svg"), "charts are inline SVG");
}

#[test]
fn junit_has_a_testcase_per_device_and_per_expectation() {
    let f = fixtures();
    let d = render(Format::Junit, &view(&f, Primary::Diff)).expect("junit");
    insta::assert_snapshot!("junit_diff", d);
    let c = render(Format::Junit, &view(&f, Primary::Check)).expect("junit");
    insta::assert_snapshot!("junit_check", c);
    for x in [&d, &c] {
        for h in HOSTILE {
            assert!(!x.contains(h), "raw {h} in XML");
        }
    }
    // the scan's devices plus the two removed ones
    assert_eq!(d.matches("<testcase ").count(), f.scan.devices.len() + 2);
    // one per device with changes: 2 removed, rebooted, 2 changed, added, moved
    assert_eq!(d.matches("<failure ").count(), 7, "{d}");
    assert_eq!(c.matches("<testcase ").count(), f.check.results.len());
    // a report with both: a suite for each
    let both = render(Format::Junit, &view(&f, Primary::Scan)).expect("junit");
    assert_eq!(both.matches("<testsuite ").count(), 2);
    let bare = View {
        diff: None,
        check: None,
        ..view(&f, Primary::Scan)
    };
    assert!(render(Format::Junit, &bare).is_err());
}

#[test]
fn json_is_the_scan_the_diff_or_the_check() {
    let f = fixtures();
    let s: ScanFile =
        serde_json::from_str(&render(Format::Json, &view(&f, Primary::Scan)).expect("json"))
            .expect("scan");
    assert_eq!(s, f.scan);
    let d: netcensus::Diff =
        serde_json::from_str(&render(Format::Json, &view(&f, Primary::Diff)).expect("json"))
            .expect("diff");
    assert_eq!(d, f.diff);
    insta::assert_snapshot!(
        "diff_json",
        render(Format::Json, &view(&f, Primary::Diff)).expect("json")
    );
}

#[test]
#[ignore = "needs chromium: run tests/run.sh"]
fn html_renders_in_headless_chromium_without_script_errors() {
    let f = fixtures();
    let dir = tempfile::tempdir().expect("tempdir");
    let page = dir.path().join("report.html");
    std::fs::write(
        &page,
        render(Format::Html, &view(&f, Primary::Scan)).expect("html"),
    )
    .expect("write");
    let url = format!("file://{}", page.display());
    let chromium = |args: &[&str]| {
        Command::new("chromium")
            .args(["--headless", "--no-sandbox", "--disable-gpu"])
            .arg(format!(
                "--user-data-dir={}",
                dir.path().join("profile").display()
            ))
            .args(args)
            .arg(&url)
            .output()
            .expect("chromium is installed (tests/run.sh installs it)")
    };
    let dom = chromium(&["--dump-dom", "--virtual-time-budget=2000"]);
    assert!(
        dom.status.success(),
        "{}",
        String::from_utf8_lossy(&dom.stderr)
    );
    let dom = String::from_utf8_lossy(&dom.stdout);
    let body = dom
        .split("<body")
        .nth(1)
        .and_then(|b| b.split('>').next())
        .unwrap_or_default();
    assert!(
        body.contains("data-ready=\"1\""),
        "the script did not run to its end: <body{body}>"
    );
    assert!(!body.contains("data-error"), "script error: <body{body}>");
    // the hostile sysName is text in the page, not an element
    assert!(dom.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    let shot = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/report-screenshot.png");
    let o = chromium(&[
        &format!("--screenshot={}", shot.display()),
        "--window-size=1280,1800",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let png = std::fs::read(&shot).expect("screenshot written");
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 20_000,
        "a real screenshot"
    );
}
