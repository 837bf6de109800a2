//! SNMP values and variable bindings, owned: what every layer above the
//! wire reads.

use snmp2::Value;

use crate::oid::oid_string;

/// An SNMP value, owned.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Int(i64),
    Bytes(Vec<u8>),
    Oid(Vec<u64>),
    Ticks(u32),
    Counter(u64),
    Gauge(u32),
    Ip([u8; 4]),
    Null,
    NoSuchObject,
    NoSuchInstance,
    EndOfMibView,
    /// A type we do not decode.
    Other,
}

impl Val {
    pub(crate) fn from_value(v: &Value<'_>) -> Val {
        match v {
            Value::Integer(n) => Val::Int(*n),
            Value::OctetString(b) => Val::Bytes(b.to_vec()),
            Value::ObjectIdentifier(o) => {
                Val::Oid(o.iter().map(Iterator::collect).unwrap_or_default())
            }
            Value::Timeticks(t) => Val::Ticks(*t),
            Value::Counter32(c) => Val::Counter(u64::from(*c)),
            Value::Counter64(c) => Val::Counter(*c),
            Value::Unsigned32(g) => Val::Gauge(*g),
            Value::IpAddress(a) => Val::Ip(*a),
            Value::Null => Val::Null,
            Value::NoSuchObject => Val::NoSuchObject,
            Value::NoSuchInstance => Val::NoSuchInstance,
            Value::EndOfMibView => Val::EndOfMibView,
            _ => Val::Other,
        }
    }

    /// True for the v2c exceptions (no such object/instance, end of view).
    pub fn is_exception(&self) -> bool {
        matches!(
            self,
            Val::NoSuchObject | Val::NoSuchInstance | Val::EndOfMibView
        )
    }

    /// The value as an integer, where it is one.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Val::Int(n) => Some(*n),
            Val::Ticks(n) | Val::Gauge(n) => Some(i64::from(*n)),
            Val::Counter(n) => i64::try_from(*n).ok(),
            _ => None,
        }
    }

    /// The value as text: strings lossily decoded, numbers and OIDs printed.
    pub fn as_text(&self) -> Option<String> {
        match self {
            Val::Bytes(b) => Some(device_text(b)),
            Val::Oid(o) => Some(oid_string(o)),
            Val::Ip(a) => Some(std::net::Ipv4Addr::from(*a).to_string()),
            other => other.as_i64().map(|n| n.to_string()),
        }
    }
}

/// Longest device string kept, in bytes: a sysDescr is a few hundred; an
/// agent sending 60 kB strings must not make every report that size.
pub const TEXT_MAX: usize = 4096;

/// A device string as we keep it: decoded lossily (data, not markup) and
/// at most [`TEXT_MAX`] bytes, a longer one cut on a character boundary
/// and flagged with how long it was.
pub fn device_text(bytes: &[u8]) -> String {
    if bytes.len() <= TEXT_MAX {
        return String::from_utf8_lossy(bytes).into_owned();
    }
    let mut t = String::from_utf8_lossy(&bytes[..TEXT_MAX]).into_owned();
    // the cut may split a character: drop its replacement mark
    if t.ends_with('\u{FFFD}') {
        t.pop();
    }
    format!("{t}… [cut: {} bytes sent]", bytes.len())
}

/// One variable binding, owned.
pub type VarBind = (Vec<u64>, Val);

#[cfg(test)]
mod tests {
    #[test]
    fn long_device_strings_are_cut_and_say_so() {
        assert_eq!(super::device_text(b"short"), "short");
        let long = "é".repeat(30_000);
        let t = super::device_text(long.as_bytes());
        assert!(t.len() < super::TEXT_MAX + 40, "{}", t.len());
        assert!(
            t.ends_with("… [cut: 60000 bytes sent]"),
            "{}",
            &t[t.len() - 40..]
        );
        assert!(!t.contains('\u{FFFD}'));
    }

    use super::*;

    #[test]
    fn values_convert() {
        assert_eq!(Val::Gauge(7).as_i64(), Some(7));
        assert_eq!(
            Val::Bytes(b"abc".to_vec()).as_text().as_deref(),
            Some("abc")
        );
        assert_eq!(Val::Oid(vec![1, 3, 6]).as_text().as_deref(), Some("1.3.6"));
        assert!(Val::NoSuchInstance.is_exception());
        assert_eq!(Val::Null.as_text(), None);
    }
}
