//! JUnit XML (via quick-junit) for CI systems: drift as one testcase per
//! device, a topology check as one testcase per expectation; failures carry
//! the drift or the check's finding. No timestamps: the same input gives
//! the same file.

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use crate::diff::{Change, Diff, Kind};
use crate::model::ScanFile;
use crate::topology::Check;

/// Classnames: Jenkins splits a classname at its dots into packages, so a
/// file name ("lab-topology.toml:12") makes nonsense of its tree; these
/// are fixed, and the file and line go in attributes of their own.
const CHECK_CLASS: &str = "netcensus.topology";
/// Followed by the device's role: `netcensus.drift.switch`.
const DRIFT_CLASS: &str = "netcensus.drift";

fn xml(report: &Report) -> String {
    // the model is built here and always serialisable
    report.to_string().unwrap_or_default()
}

/// Text as XML 1.0 allows it: any other character (control characters,
/// U+FFFE, U+FFFF, lone surrogates cannot occur in a `str`) becomes
/// U+FFFD, so a device's name cannot make the whole file unreadable.
fn xml_text(s: &str) -> String {
    s.chars()
        .map(|c| if is_xml_char(c) { c } else { '\u{FFFD}' })
        .collect()
}

/// A character XML 1.0 allows in a document.
pub fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

fn failure(message: String, description: String) -> TestCaseStatus {
    let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
    s.set_message(xml_text(&message))
        .set_description(xml_text(&description));
    s
}

/// One report with a suite for the drift and one for the check, as given.
pub fn render(diff: Option<(&Diff, Option<&ScanFile>)>, check: Option<&Check>) -> String {
    let mut r = Report::new("netcensus");
    if let Some((d, scan)) = diff {
        r.add_test_suite(diff_suite(d, scan));
    }
    if let Some(c) = check {
        r.add_test_suite(check_suite(c));
    }
    xml(&r)
}

/// Drift: a testcase per device of the scan (and per removed device).
fn diff_suite(d: &Diff, scan: Option<&ScanFile>) -> TestSuite {
    let mut suite = TestSuite::new("netcensus drift");
    // devices by address, as the scan has them; removed ones from the diff
    let mut devices: Vec<(String, Option<String>, String)> = scan
        .map(|s| {
            s.devices
                .iter()
                .map(|x| {
                    let name = x.snmp.as_ref().and_then(|s| s.sys_name.clone());
                    (
                        x.ip.to_string(),
                        name,
                        x.role.map(|r| r.name().to_string()).unwrap_or_default(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    // changes by address: one pass, not one per device
    let mut by_ip: std::collections::HashMap<&str, Vec<&Change>> = std::collections::HashMap::new();
    for c in &d.changes {
        by_ip.entry(c.ip.as_str()).or_default().push(c);
    }
    let mut known: std::collections::HashSet<String> =
        devices.iter().map(|(ip, _, _)| ip.clone()).collect();
    for c in &d.changes {
        if known.insert(c.ip.clone()) {
            devices.push((c.ip.clone(), c.name.clone(), String::new()));
        }
    }
    for (ip, name, role) in &devices {
        let mine: Vec<&Change> = by_ip.get(ip.as_str()).cloned().unwrap_or_default();
        let status = if mine.is_empty() {
            TestCaseStatus::success()
        } else {
            let mut kinds: Vec<Kind> = mine.iter().map(|c| c.kind).collect();
            kinds.dedup();
            failure(
                kinds
                    .iter()
                    .map(|k| k.name())
                    .collect::<Vec<_>>()
                    .join(", "),
                mine.iter()
                    .map(|c| c.text.as_str())
                    .collect::<Vec<_>>()
                    .join("\n"),
            )
        };
        let title = match name {
            Some(n) => format!("{ip} {n}"),
            None => ip.clone(),
        };
        let mut case = TestCase::new(xml_text(&title), status);
        case.set_classname(format!(
            "{DRIFT_CLASS}.{}",
            if role.is_empty() { "device" } else { role }
        ));
        suite.add_test_case(case);
    }
    suite
}

/// A topology check: a testcase per expectation.
fn check_suite(c: &Check) -> TestSuite {
    let mut suite = TestSuite::new("netcensus topology");
    for res in &c.results {
        let status = if res.pass {
            TestCaseStatus::success()
        } else {
            failure(res.detail.clone(), res.detail.clone())
        };
        let mut case = TestCase::new(xml_text(&res.expectation), status);
        case.set_classname(CHECK_CLASS);
        if res.warning {
            // passed: CI stays green, and the job's test view shows why to look
            case.set_system_out(xml_text(&format!("warning: {}", res.detail)));
        }
        // where the expectation was written, as Jenkins and GitLab read it
        let (file, line) = match res.origin.as_deref().and_then(|o| o.rsplit_once(':')) {
            Some((file, line)) if line.parse::<u64>().is_ok() => (file, Some(line)),
            _ => (c.topology.as_str(), None),
        };
        case.extra.insert("file".into(), xml_text(file).into());
        if let Some(line) = line {
            case.extra.insert("line".into(), line.into());
        }
        suite.add_test_case(case);
    }
    suite
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_xml_characters_and_linear_in_the_devices() {
        assert_eq!(
            xml_text("a\u{FFFE}b\u{FFFF}c\u{1}d\te"),
            "a\u{FFFD}b\u{FFFD}c\u{FFFD}d\te"
        );
        let devices: Vec<crate::model::Device> = (0..20_000u32)
            .map(|n| {
                let ip = format!("10.{}.{}.{}", n >> 16, (n >> 8) & 255, n & 255);
                crate::diff::tests::dev(&ip, Some(&format!("sw\u{FFFE}{n}")))
            })
            .collect();
        let old = crate::diff::tests::scan("2026-11-25T10:00:00.000Z", devices);
        let new = crate::diff::tests::scan("2026-11-25T11:00:00.000Z", Vec::new());
        let d = crate::diff::diff(&old, &new, &crate::diff::Rules::default());
        let t = std::time::Instant::now();
        let xml = render(Some((&d, Some(&new))), None);
        // a figure, not a timed assertion: printed for the record
        println!("JUnit of 20,000 removed devices: {:?}", t.elapsed());
        assert_eq!(xml.matches("<testcase ").count(), 20_000);
        assert!(!xml.contains('\u{FFFE}'));
    }
}
