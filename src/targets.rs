//! Target parsing and lazy iteration.
//!
//! Every target (address, CIDR, range) becomes an inclusive span of integers
//! per address family; spans are sorted, merged and have the exclusions cut
//! out, so iteration is ordered, deduplicated and never materialises the
//! addresses themselves: a /8 costs a few bytes.

use std::io::{BufRead, Read};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::Path;
use std::str::FromStr;

use ipnetwork::IpNetwork;

use crate::error::{Origin, TargetError};

/// Shortest IPv4 prefix accepted without `--force`.
pub const MIN_V4_PREFIX: u8 = 8;
/// Shortest IPv6 prefix accepted without `--force`.
pub const MIN_V6_PREFIX: u8 = 112;

/// One target token and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub text: String,
    pub origin: Origin,
}

impl Token {
    /// A token given on the command line.
    pub fn arg(text: &str) -> Token {
        Token {
            text: text.trim().to_string(),
            origin: Origin::Arg,
        }
    }
}

/// Inclusive range of addresses of one family, as integers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Span {
    start: u128,
    end: u128,
}

impl Span {
    /// Addresses in the span; the whole IPv6 space (2^128) saturates.
    fn len(&self) -> u128 {
        self.end.saturating_sub(self.start).saturating_add(1)
    }
}

/// A parsed token: its family and span.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Parsed {
    v6: bool,
    span: Span,
}

/// The deduplicated, exclusion-free set of addresses to scan.
#[derive(Debug, Clone, Default)]
pub struct TargetSet {
    v4: Vec<Span>,
    v6: Vec<Span>,
    /// The target tokens as given (for the scan file).
    pub specs: Vec<String>,
    /// The exclusion tokens as given (for the scan file).
    pub excluded: Vec<String>,
    /// Each target token's span, in the order given: which token named an
    /// address first (the canonical address of a device with several).
    order: Vec<(bool, Span)>,
}

impl TargetSet {
    /// Parse and combine targets and exclusions.
    ///
    /// `force` lifts the size limits (IPv4 prefixes shorter than /8, IPv6
    /// shorter than /112, and ranges of the same sizes).
    pub fn build(
        targets: &[Token],
        excludes: &[Token],
        force: bool,
    ) -> Result<TargetSet, TargetError> {
        if targets.is_empty() {
            return Err(TargetError::Empty);
        }
        let mut v4 = Vec::new();
        let mut v6 = Vec::new();
        let mut order = Vec::new();
        for t in targets {
            let p = parse_token(t, true, force)?;
            order.push((p.v6, p.span));
            if p.v6 { &mut v6 } else { &mut v4 }.push(p.span);
        }
        let mut x4 = Vec::new();
        let mut x6 = Vec::new();
        for t in excludes {
            let p = parse_token(t, false, true)?;
            if p.v6 { &mut x6 } else { &mut x4 }.push(p.span);
        }
        let set = TargetSet {
            v4: subtract(merge(v4), &merge(x4)),
            v6: subtract(merge(v6), &merge(x6)),
            specs: targets.iter().map(|t| t.text.clone()).collect(),
            excluded: excludes.iter().map(|t| t.text.clone()).collect(),
            order,
        };
        if set.is_empty() {
            return Err(TargetError::AllExcluded);
        }
        Ok(set)
    }

    /// Number of addresses to probe.
    pub fn len(&self) -> u128 {
        self.v4
            .iter()
            .chain(&self.v6)
            .map(Span::len)
            .fold(0u128, u128::saturating_add)
    }

    /// True when there is nothing to probe.
    pub fn is_empty(&self) -> bool {
        self.v4.is_empty() && self.v6.is_empty()
    }

    /// True when the set holds IPv4 (resp. IPv6) addresses.
    pub fn has_v4(&self) -> bool {
        !self.v4.is_empty()
    }

    /// See [`TargetSet::has_v4`].
    pub fn has_v6(&self) -> bool {
        !self.v6.is_empty()
    }

    /// Size of the contiguous block of targets that holds `ip`, if any
    /// (binary search).
    pub fn block_len(&self, ip: IpAddr) -> Option<u128> {
        let (spans, n) = match ip {
            IpAddr::V4(a) => (&self.v4, u128::from(u32::from(a))),
            IpAddr::V6(a) => (&self.v6, u128::from(a)),
        };
        let i = spans.partition_point(|s| s.end < n);
        spans.get(i).filter(|s| s.start <= n).map(Span::len)
    }

    /// The position of the first target token that names `ip` (after
    /// every token when none does).
    pub fn rank(&self, ip: IpAddr) -> usize {
        let (v6, n) = match ip {
            IpAddr::V4(a) => (false, u128::from(u32::from(a))),
            IpAddr::V6(a) => (true, u128::from(a)),
        };
        self.order
            .iter()
            .position(|(f, s)| *f == v6 && s.start <= n && n <= s.end)
            .unwrap_or(self.order.len())
    }

    /// Whether `ip` is one of the addresses to probe.
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.block_len(ip).is_some()
    }

    /// All addresses, IPv4 first, each family in ascending order.
    pub fn iter(&self) -> impl Iterator<Item = IpAddr> + '_ {
        self.iter_sized().map(|(ip, _)| ip)
    }

    /// All addresses with the size of the contiguous block each belongs to
    /// (policies such as the SNMP sweep depend on it).
    pub fn iter_sized(&self) -> impl Iterator<Item = (IpAddr, u128)> + '_ {
        let v4 = self.v4.iter().flat_map(|s| {
            (s.start..=s.end).map(|n| (IpAddr::V4(Ipv4Addr::from(n as u32)), s.len()))
        });
        let v6 = self
            .v6
            .iter()
            .flat_map(|s| (s.start..=s.end).map(|n| (IpAddr::V6(Ipv6Addr::from(n)), s.len())));
        v4.chain(v6)
    }
}

/// Longest line of a targets file: a few hundred targets side by side fit
/// easily; a file without newlines (`/dev/zero`, a binary) does not.
const TARGETS_LINE_MAX: usize = 64 << 10;
/// Most bytes read from a targets file (ten million targets are ~150 MB).
const TARGETS_FILE_MAX: u64 = 1 << 30;

/// Read targets from a file (`-` = standard input; a pipe such as
/// `-iL <(cmd)` too): one per line, `#` starts a comment, blank lines are
/// skipped. Lines are at most 64 KiB and UTF-8, the file at most 1 GiB.
pub fn read_targets_file(path: &Path) -> Result<Vec<Token>, TargetError> {
    let name = path.display().to_string();
    let read_err = |source| TargetError::Read {
        path: path.to_path_buf(),
        source,
    };
    let reader: Box<dyn BufRead> = if name == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(std::io::BufReader::new(
            std::fs::File::open(path).map_err(read_err)?,
        ))
    };
    read_targets(reader, &name).map_err(|e| match e {
        Unreadable::Io(source) => read_err(source),
        Unreadable::Line(line, reason) => TargetError::File {
            path: name.clone(),
            line,
            reason,
        },
    })
}

/// Why a targets file could not be read.
enum Unreadable {
    Io(std::io::Error),
    /// At a line: what is wrong with it.
    Line(usize, String),
}

/// The tokens of a targets file's text, read line by line within the caps.
fn read_targets(mut reader: impl BufRead, name: &str) -> Result<Vec<Token>, Unreadable> {
    let (mut out, mut buf, mut total) = (Vec::new(), Vec::new(), 0u64);
    for line_no in 1.. {
        buf.clear();
        let n = (&mut reader)
            .take(TARGETS_LINE_MAX as u64 + 1)
            .read_until(b'\n', &mut buf)
            .map_err(Unreadable::Io)?;
        if n == 0 {
            break;
        }
        total = total.saturating_add(n as u64);
        if total > TARGETS_FILE_MAX {
            return Err(Unreadable::Line(
                line_no,
                format!("the file is over {TARGETS_FILE_MAX} bytes"),
            ));
        }
        if n > TARGETS_LINE_MAX {
            return Err(Unreadable::Line(
                line_no,
                format!("line longer than {TARGETS_LINE_MAX} bytes"),
            ));
        }
        let line = std::str::from_utf8(&buf)
            .map_err(|_| Unreadable::Line(line_no, "not UTF-8 text".into()))?;
        out.extend(tokens_of_line(line, name, line_no));
    }
    Ok(out)
}

/// The tokens of one line of a targets file (whitespace or commas separate
/// several on one line).
fn tokens_of_line(line: &str, path: &str, line_no: usize) -> Vec<Token> {
    let content = line.split('#').next().unwrap_or("");
    content
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|s| !s.is_empty())
        .map(|s| Token {
            text: s.to_string(),
            origin: Origin::File {
                path: path.to_string(),
                line: line_no,
            },
        })
        .collect()
}

/// Split comma-separated command-line values into tokens.
pub fn arg_tokens<S: AsRef<str>>(values: &[S]) -> Vec<Token> {
    values
        .iter()
        .flat_map(|v| {
            v.as_ref()
                .split(',')
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .filter(|s| !s.trim().is_empty())
        .map(|s| Token::arg(&s))
        .collect()
}

fn invalid(t: &Token, reason: impl Into<String>) -> TargetError {
    TargetError::Invalid {
        token: t.text.clone(),
        origin: t.origin.clone(),
        reason: reason.into(),
    }
}

fn ip_to_u128(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(a) => u128::from(u32::from(a)),
        IpAddr::V6(a) => u128::from(a),
    }
}

/// Parse one token. `skip_edges`: drop the network and broadcast address of
/// IPv4 prefixes shorter than /31 (not for exclusions, which cut the whole
/// block). `force` lifts the size limits.
fn parse_token(t: &Token, skip_edges: bool, force: bool) -> Result<Parsed, TargetError> {
    let s = t.text.as_str();
    if s.contains('/') {
        let net = IpNetwork::from_str(s).map_err(|e| invalid(t, format!("bad CIDR: {e}")))?;
        let (v6, min, limit) = match net {
            IpNetwork::V4(_) => (false, MIN_V4_PREFIX, "/8"),
            IpNetwork::V6(_) => (true, MIN_V6_PREFIX, "/112"),
        };
        let bits: u32 = if v6 { 128 } else { 32 };
        let host_bits = bits - u32::from(net.prefix());
        let size = 1u128.checked_shl(host_bits).unwrap_or(u128::MAX);
        if net.prefix() < min && !force {
            return Err(TargetError::TooLarge {
                token: s.to_string(),
                origin: t.origin.clone(),
                size,
                limit,
            });
        }
        let start = ip_to_u128(net.network());
        let end = start + (size - 1);
        let span = if skip_edges && !v6 && net.prefix() < 31 {
            Span {
                start: start + 1,
                end: end - 1,
            }
        } else {
            Span { start, end }
        };
        return Ok(Parsed { v6, span });
    }
    if let Some((a, b)) = s.split_once('-') {
        let first = IpAddr::from_str(a.trim())
            .map_err(|_| invalid(t, format!("range start '{a}' is not an IP address")))?;
        let last = match (first, IpAddr::from_str(b.trim())) {
            (_, Ok(ip)) => ip,
            // nmap-style short form: 10.0.0.10-50 (last octet only)
            (IpAddr::V4(f), Err(_)) => {
                let octet: u8 = b.trim().parse().map_err(|_| {
                    invalid(
                        t,
                        format!("range end '{b}' is neither an address nor a last octet"),
                    )
                })?;
                let o = f.octets();
                IpAddr::V4(Ipv4Addr::new(o[0], o[1], o[2], octet))
            }
            (IpAddr::V6(_), Err(_)) => {
                return Err(invalid(
                    t,
                    format!("range end '{b}' is not an IPv6 address"),
                ))
            }
        };
        if first.is_ipv4() != last.is_ipv4() {
            return Err(invalid(t, "range mixes IPv4 and IPv6"));
        }
        let (start, end) = (ip_to_u128(first), ip_to_u128(last));
        if start > end {
            return Err(invalid(t, "range start is above its end"));
        }
        let span = Span { start, end };
        let v6 = first.is_ipv6();
        let (max, limit) = if v6 {
            (1u128 << (128 - MIN_V6_PREFIX), "/112")
        } else {
            (1u128 << (32 - MIN_V4_PREFIX), "/8")
        };
        if span.len() > max && !force {
            return Err(TargetError::TooLarge {
                token: s.to_string(),
                origin: t.origin.clone(),
                size: span.len(),
                limit,
            });
        }
        return Ok(Parsed { v6, span });
    }
    let ip = IpAddr::from_str(s)
        .map_err(|_| invalid(t, "not an IP address, CIDR (a.b.c.d/n) or range (a-b)"))?;
    let n = ip_to_u128(ip);
    Ok(Parsed {
        v6: ip.is_ipv6(),
        span: Span { start: n, end: n },
    })
}

/// Sort and merge overlapping or adjacent spans.
fn merge(mut spans: Vec<Span>) -> Vec<Span> {
    spans.sort();
    let mut out: Vec<Span> = Vec::with_capacity(spans.len());
    for s in spans {
        match out.last_mut() {
            Some(last) if s.start <= last.end.saturating_add(1) => {
                last.end = last.end.max(s.end);
            }
            _ => out.push(s),
        }
    }
    out
}

/// Cut the (merged) exclusions out of the (merged) spans.
fn subtract(spans: Vec<Span>, cut: &[Span]) -> Vec<Span> {
    let mut out = Vec::with_capacity(spans.len());
    for s in spans {
        let mut cur = Some(s);
        for c in cut {
            let Some(x) = cur else { break };
            if c.end < x.start || c.start > x.end {
                continue;
            }
            if c.start > x.start {
                out.push(Span {
                    start: x.start,
                    end: c.start - 1,
                });
            }
            cur = (c.end < x.end).then(|| Span {
                start: c.end + 1,
                end: x.end,
            });
        }
        if let Some(x) = cur {
            out.push(x);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(t: &[&str], x: &[&str]) -> Result<TargetSet, TargetError> {
        let t: Vec<Token> = t.iter().map(|s| Token::arg(s)).collect();
        let x: Vec<Token> = x.iter().map(|s| Token::arg(s)).collect();
        TargetSet::build(&t, &x, false)
    }

    fn ips(s: &TargetSet) -> Vec<String> {
        s.iter().map(|i| i.to_string()).collect()
    }

    #[test]
    fn targets_files_are_read_within_their_caps() {
        let read = |text: &[u8]| read_targets(text, "t.txt");
        let ok = read(b"10.0.0.1, 10.0.0.2\r\n# none\n\n10.0.0.3 # last")
            .ok()
            .expect("read");
        let lines: Vec<(String, String)> = ok
            .iter()
            .map(|t| (t.text.clone(), t.origin.to_string()))
            .collect();
        assert_eq!(
            lines,
            [
                ("10.0.0.1".into(), " (t.txt:1)".into()),
                ("10.0.0.2".into(), " (t.txt:1)".into()),
                ("10.0.0.3".into(), " (t.txt:4)".into())
            ]
        );
        let mut long = b"10.0.0.1\n".to_vec();
        long.extend(std::iter::repeat_n(b' ', TARGETS_LINE_MAX));
        long.push(b'\n');
        assert!(matches!(read(&long), Err(Unreadable::Line(2, r)) if r.contains("longer than")));
        // a line of exactly the cap, newline included, is fine
        let mut fits = vec![b' '; TARGETS_LINE_MAX - 1];
        fits.push(b'\n');
        assert!(read(&fits).is_ok_and(|t| t.is_empty()));
        assert!(matches!(read(b"\xfe\xff"), Err(Unreadable::Line(1, r)) if r == "not UTF-8 text"));
    }

    #[test]
    fn cidr_skips_network_and_broadcast() {
        let s = set(&["10.0.0.0/30"], &[]).unwrap();
        assert_eq!(ips(&s), ["10.0.0.1", "10.0.0.2"]);
        let s = set(&["10.0.0.0/31"], &[]).unwrap();
        assert_eq!(ips(&s), ["10.0.0.0", "10.0.0.1"]);
        let s = set(&["10.0.0.5/32"], &[]).unwrap();
        assert_eq!(ips(&s), ["10.0.0.5"]);
    }

    #[test]
    fn host_bits_in_cidr_mean_the_network() {
        let s = set(&["10.0.0.77/30"], &[]).unwrap();
        assert_eq!(ips(&s), ["10.0.0.77", "10.0.0.78"]);
    }

    #[test]
    fn ranges_full_and_short() {
        let s = set(&["10.0.0.10-10.0.0.12"], &[]).unwrap();
        assert_eq!(ips(&s), ["10.0.0.10", "10.0.0.11", "10.0.0.12"]);
        let s = set(&["10.0.0.254-255"], &[]).unwrap();
        assert_eq!(ips(&s), ["10.0.0.254", "10.0.0.255"]);
        let s = set(&["fd00::1-fd00::3"], &[]).unwrap();
        assert_eq!(ips(&s), ["fd00::1", "fd00::2", "fd00::3"]);
    }

    #[test]
    fn overlaps_are_deduplicated_and_sorted() {
        let s = set(&["10.0.0.3", "10.0.0.0/29", "10.0.0.2-10.0.0.9"], &[]).unwrap();
        assert_eq!(s.len(), 9);
        assert_eq!(ips(&s).first().map(String::as_str), Some("10.0.0.1"));
        assert_eq!(ips(&s).last().map(String::as_str), Some("10.0.0.9"));
    }

    #[test]
    fn excludes_cut_holes() {
        let s = set(&["10.0.0.0/28"], &["10.0.0.4-10.0.0.6", "10.0.0.1"]).unwrap();
        assert_eq!(
            ips(&s),
            [
                "10.0.0.2",
                "10.0.0.3",
                "10.0.0.7",
                "10.0.0.8",
                "10.0.0.9",
                "10.0.0.10",
                "10.0.0.11",
                "10.0.0.12",
                "10.0.0.13",
                "10.0.0.14"
            ]
        );
        assert!(s.contains("10.0.0.7".parse().unwrap()));
        assert!(!s.contains("10.0.0.5".parse().unwrap()));
        assert!(matches!(
            set(&["10.0.0.1"], &["10.0.0.0/24"]),
            Err(TargetError::AllExcluded)
        ));
    }

    #[test]
    fn mixed_families_iterate_v4_first() {
        let s = set(&["fd00::1", "10.0.0.1"], &[]).unwrap();
        assert_eq!(ips(&s), ["10.0.0.1", "fd00::1"]);
        assert!(s.has_v4() && s.has_v6());
    }

    #[test]
    fn size_limits_need_force() {
        assert!(matches!(
            set(&["10.0.0.0/7"], &[]),
            Err(TargetError::TooLarge { .. })
        ));
        assert!(matches!(
            set(&["fd00::/111"], &[]),
            Err(TargetError::TooLarge { .. })
        ));
        assert!(matches!(
            set(&["10.0.0.0-11.0.0.1"], &[]),
            Err(TargetError::TooLarge { .. })
        ));
        // a range over all of IPv6 is the largest there is, not zero
        assert!(matches!(
            set(&["::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"], &[]),
            Err(TargetError::TooLarge { .. })
        ));
        let all = [Token::arg("::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")];
        assert_eq!(TargetSet::build(&all, &[], true).unwrap().len(), u128::MAX);
        let t = [Token::arg("10.0.0.0/7")];
        let s = TargetSet::build(&t, &[], true).unwrap();
        assert_eq!(s.len(), (1u128 << 25) - 2);
        // a /8 is fine and lazy: taking a few costs nothing
        let s = set(&["10.0.0.0/8"], &[]).unwrap();
        assert_eq!(s.len(), (1 << 24) - 2);
        assert_eq!(
            s.iter().nth(1_000_000).map(|i| i.to_string()).as_deref(),
            Some("10.15.66.65")
        );
    }

    #[test]
    fn bad_tokens_name_themselves() {
        for bad in [
            "10.0.0.256",
            "10.0.0.0/33",
            "banana",
            "10.0.0.9-10.0.0.1",
            "10.0.0.1-fd00::1",
            "10.0.0.1-300",
        ] {
            let e = set(&[bad], &[]).unwrap_err().to_string();
            assert!(e.contains(bad), "{e}");
        }
        assert!(matches!(set(&[], &[]), Err(TargetError::Empty)));
    }

    #[test]
    fn file_lines_carry_their_origin() {
        let t = tokens_of_line("10.0.0.1, 10.0.0.2  # the core", "t.txt", 7);
        assert_eq!(t.len(), 2);
        assert_eq!(
            t[1].origin,
            Origin::File {
                path: "t.txt".into(),
                line: 7
            }
        );
        assert!(tokens_of_line("# only a comment", "t.txt", 1).is_empty());
        let e = TargetSet::build(&tokens_of_line("nope", "t.txt", 3), &[], false)
            .unwrap_err()
            .to_string();
        assert!(e.contains("t.txt:3") && e.contains("nope"), "{e}");
    }
}
